//! The demo's behaviour tests, one binary (every test binary is another link step on every
//! change): the route table, the request log and the shutdown, the last two against the real
//! `axum-scopes-demo` on 127.0.0.1.

#[cfg(unix)]
mod access_log;
mod routes;
#[cfg(unix)]
mod shutdown;

#[cfg(unix)]
pub(crate) use demo::{Demo, send_login};

#[cfg(unix)]
mod demo {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::process::{Child, Command, ExitStatus, Stdio};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// The demo binary on a port of the system's choice, its stdout read line by line. Killed
    /// when dropped, so a failing test leaves no server behind.
    pub(crate) struct Demo {
        child: Child,
        pub(crate) addr: SocketAddr,
        /// The stdout lines after the address line, as they arrive.
        pub(crate) lines: mpsc::Receiver<String>,
    }

    impl Demo {
        /// Starts the demo with `args`, `RUST_LOG` set to `rust_log` (unset: the default,
        /// info) and a `SECRET_KEY` of its own, and waits for it to print its address.
        pub(crate) fn start(args: &[&str], rust_log: Option<&str>) -> Self {
            let mut command = Command::new(env!("CARGO_BIN_EXE_axum-scopes-demo"));
            command
                .args(["--port", "0"])
                .args(args)
                .env_remove("RUST_LOG")
                .env("SECRET_KEY", "a test secret, not the tutorial's")
                .stdout(Stdio::piped())
                .stderr(Stdio::null());
            if let Some(filter) = rust_log {
                command.env("RUST_LOG", filter);
            }
            let mut child = command.spawn().expect("the demo starts");
            let stdout = BufReader::new(child.stdout.take().unwrap());
            // Read on a thread of its own, so the demo never blocks on a full pipe.
            let (sender, lines) = mpsc::channel();
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
            let deadline = Instant::now() + Duration::from_secs(30);
            let addr = loop {
                let line = lines
                    .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    .expect("the demo prints its address");
                if let Some(addr) = line.trim().strip_prefix("axum-scopes demo on http://") {
                    break addr.parse().unwrap();
                }
            };
            Self { child, addr, lines }
        }

        /// Sends the signal `name` (`TERM`, `INT`).
        pub(crate) fn signal(&self, name: &str) {
            let status = Command::new("kill")
                .args([format!("-{name}"), self.child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success());
        }

        /// Waits up to `limit` for the demo to exit; its exit status.
        pub(crate) fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
            let start = Instant::now();
            while start.elapsed() < limit {
                if let Some(status) = self.child.try_wait().unwrap() {
                    return Some(status);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            None
        }

        /// Stops the demo with SIGTERM, checks that it exits 0, and returns the rest of its
        /// stdout: the pipe is closed once the demo has exited, so that is everything it wrote.
        pub(crate) fn stop(&mut self) -> Vec<String> {
            self.signal("TERM");
            let status = self.wait(Duration::from_secs(15)).expect("the demo exits");
            assert_eq!(status.code(), Some(0));
            let mut rest = Vec::new();
            while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
                rest.push(line);
            }
            rest
        }
    }

    impl Drop for Demo {
        fn drop(&mut self) {
            // Already gone after `stop`: nothing to do then.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Sends a login of the tutorial's user with `password` and returns the stream, the answer
    /// still to be read.
    pub(crate) fn send_login(addr: SocketAddr, password: &str) -> TcpStream {
        let body = format!("username=johndoe&password={password}&scope=me");
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "POST /token HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        stream
    }
}
