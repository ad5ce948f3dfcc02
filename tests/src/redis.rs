//! A real redis-server on 127.0.0.1 for the revocation tests: Debian's `redis-server`
//! (installed by tests/run-all.sh; `REDIS_SERVER` names another binary), started on a free port
//! with an append-only file in its own directory, so that a restart keeps what was written, and
//! killed when dropped.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::oidc::free_port;

/// A redis-server child process.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers `PING`.
    ///
    /// # Panics
    ///
    /// When `redis-server` cannot be started (run tests/run-all.sh, which installs it).
    #[must_use]
    pub fn start() -> Self {
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("axum-scopes-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut server = Self {
            child: None,
            port,
            dir,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL): connections drop, nothing answers on the port.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Pauses the server (SIGSTOP): its connections stay open and nothing answers, as with a
    /// half-open connection or a stalled host. [`RedisServer::resume`] undoes it.
    ///
    /// # Panics
    ///
    /// When the server is not running or `kill` cannot be run.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Resumes a paused server (SIGCONT).
    ///
    /// # Panics
    ///
    /// When the server is not running or `kill` cannot be run.
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("the server runs");
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Starts the server again on the same port and directory (its append-only file keeps
    /// what was written) and waits until it answers.
    ///
    /// # Panics
    ///
    /// When it does not answer within 10 s.
    pub fn restart(&mut self) {
        self.stop();
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {binary} ({error}); tests/run-all.sh installs redis-server")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.try_command(&["PING"]).as_deref() != Some("PONG") {
            assert!(Instant::now() < deadline, "redis-server did not answer");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends one command; its simple or bulk string answer (or the integer as text).
    ///
    /// # Panics
    ///
    /// When the server does not answer.
    #[must_use]
    pub fn command(&self, args: &[&str]) -> String {
        self.try_command(args).expect("redis-server answers")
    }

    fn try_command(&self, args: &[&str]) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            let _ = write!(request, "${}\r\n{arg}\r\n", arg.len());
        }
        stream.write_all(request.as_bytes()).ok()?;
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        match line.as_bytes().first()? {
            b'+' | b':' | b'-' => Some(line[1..].to_owned()),
            b'$' => {
                let len: i64 = line[1..].parse().ok()?;
                let Ok(len) = usize::try_from(len) else {
                    return Some(String::new());
                };
                let mut body = vec![0; len + 2];
                reader.read_exact(&mut body).ok()?;
                body.truncate(len);
                String::from_utf8(body).ok()
            }
            _ => None,
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
