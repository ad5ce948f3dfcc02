//! SIGTERM and Ctrl-C: the demo stops accepting, lets the requests in flight finish (a login in
//! bcrypt among them) and exits 0. Against the real binary on 127.0.0.1.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The demo on a port of the system's choice, and its address.
fn start() -> (Child, SocketAddr) {
    start_with(&[])
}

/// [`start`] with more arguments.
fn start_with(args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_axum-scopes-demo"))
        .args(["--port", "0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the demo starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "the demo exited early"
        );
        if let Some(addr) = line.trim().strip_prefix("axum-scopes demo on http://") {
            break addr.parse().unwrap();
        }
    };
    // Keep draining stdout so the demo never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, addr)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Sends a login and returns the stream, the answer still to be read.
fn send_login(addr: SocketAddr) -> TcpStream {
    let body = "username=johndoe&password=secret&scope=me";
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

fn wait(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn in_flight_login_completes_then_exit_0(signal_name: &str) {
    let (mut child, addr) = start();
    let mut login = send_login(addr);
    // The login is in bcrypt (about 200 ms at the tutorial's cost) when the signal arrives.
    std::thread::sleep(Duration::from_millis(50));
    signal(&child, signal_name);
    let mut answer = String::new();
    login.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("\"access_token\""), "{answer}");
    let status = wait(&mut child, Duration::from_secs(15)).expect("the demo exits");
    assert_eq!(status.code(), Some(0));
    // And it no longer accepts.
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn sigterm_lets_an_in_flight_login_finish_then_exits_0() {
    in_flight_login_completes_then_exit_0("TERM");
}

#[test]
fn ctrl_c_lets_an_in_flight_login_finish_then_exits_0() {
    in_flight_login_completes_then_exit_0("INT");
}

#[test]
fn an_idle_demo_exits_0_at_once_on_sigterm() {
    let (mut child, addr) = start();
    // An idle keep-alive connection does not hold the shutdown up.
    let _idle = TcpStream::connect(addr).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    signal(&child, "TERM");
    let status = wait(&mut child, Duration::from_secs(15)).expect("the demo exits");
    assert_eq!(status.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// A client trickling its headers is cut after the header-read timeout, while others are served.
#[test]
fn a_client_trickling_its_headers_is_cut_after_the_header_read_timeout() {
    let (child, addr) = start_with(&["--header-read-timeout", "1"]);
    let mut child = child;
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let start = Instant::now();
    for byte in b"GET /openapi.json HTTP/1.1\r\nHost: x" {
        if slow.write_all(&[*byte]).is_err() {
            break;
        }
        // Meanwhile another client is served at once.
        if start.elapsed() < Duration::from_millis(300) {
            let mut quick = TcpStream::connect(addr).unwrap();
            quick
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            write!(
                quick,
                "GET /openapi.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            quick.read_to_string(&mut answer).unwrap();
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        }
        std::thread::sleep(Duration::from_millis(100));
        if start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    // The server has closed the slow connection: reading gives EOF (or a reset), not a timeout.
    let mut rest = Vec::new();
    let read = slow.read_to_end(&mut rest);
    assert!(
        read.is_ok()
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "{read:?}"
    );
    let elapsed = start.elapsed();
    assert!(
        elapsed < Duration::from_millis(2500),
        "cut after {elapsed:?}"
    );
    signal(&child, "TERM");
    assert_eq!(
        wait(&mut child, Duration::from_secs(15)).and_then(|s| s.code()),
        Some(0)
    );
}
