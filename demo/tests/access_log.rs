//! The demo's request log, read from the real binary's stdout on 127.0.0.1: one line per
//! request in the demo's format, the query never written, every line there by the time the
//! demo has exited, a line of an idle server written at once, and none with `RUST_LOG=warn`.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The demo on a port of the system's choice with `RUST_LOG` as given (unset: the default,
/// info), its address, and its stdout lines as they arrive.
fn start(rust_log: Option<&str>) -> (Child, SocketAddr, mpsc::Receiver<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_axum-scopes-demo"));
    command
        .args(["--port", "0"])
        .env_remove("RUST_LOG")
        .env("SECRET_KEY", "a test secret, not the tutorial's")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(filter) = rust_log {
        command.env("RUST_LOG", filter);
    }
    let mut child = command.spawn().expect("the demo starts");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (lines, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        let line = receiver
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the demo prints its address");
        if let Some(addr) = line.trim().strip_prefix("axum-scopes demo on http://") {
            break addr.parse().unwrap();
        }
    };
    (child, addr, receiver)
}

/// `count` GET requests of `path` on one keep-alive connection; the statuses.
fn get(addr: SocketAddr, path: &str, count: usize) -> Vec<u16> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    (0..count)
        .map(|_| {
            write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header == "\r\n" {
                    break;
                }
                if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            status.split(' ').nth(1).unwrap().parse().unwrap()
        })
        .collect()
}

/// The access lines among `lines`.
fn access(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|line| line.contains(" axum_scopes_demo::access: "))
        .collect()
}

/// Stops the demo with SIGTERM and returns the rest of its stdout.
fn stop(mut child: Child, lines: &mpsc::Receiver<String>) -> Vec<String> {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // The pipe is closed once the demo has exited: everything it wrote is in the channel.
    let mut rest = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(10)) {
        rest.push(line);
    }
    rest
}

/// Whether `line` is `2026-12-02T16:01:51.351554Z  INFO axum_scopes_demo::access: method="GET"
/// path="<path>" status=<status> micros=<n>`.
fn is_access_line(line: &str, path: &str, status: u16) -> bool {
    let Some((stamp, rest)) = line.split_once("  INFO axum_scopes_demo::access: ") else {
        return false;
    };
    let stamp_ok = stamp.len() == 27
        && stamp.ends_with('Z')
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'.',
            26 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    let expected = format!("method=\"GET\" path=\"{path}\" status={status} micros=");
    stamp_ok
        && rest
            .strip_prefix(&expected)
            .is_some_and(|micros| !micros.is_empty() && micros.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
fn every_request_has_one_line_and_none_is_lost_at_exit() {
    let (child, addr, lines) = start(None);
    // Several connections at once, so lines come from every worker thread.
    let per_connection = 250;
    let connections = 4;
    let workers: Vec<_> = (0..connections)
        .map(|_| std::thread::spawn(move || get(addr, "/users/me/items/", per_connection)))
        .collect();
    for worker in workers {
        assert!(worker.join().unwrap().iter().all(|&status| status == 401));
    }
    let rest = stop(child, &lines);
    let logged = access(&rest);
    assert_eq!(
        logged.len(),
        per_connection * connections,
        "one line per request"
    );
    for line in logged {
        assert!(is_access_line(line, "/users/me/items/", 401), "{line}");
    }
}

#[test]
fn an_idle_servers_line_is_written_at_once_and_the_query_never() {
    let (child, addr, lines) = start(None);
    assert_eq!(get(addr, "/users/me/?token=s3cr3t-in-the-query", 1), [401]);
    // No further request and no exit: the line must come by itself.
    let deadline = Instant::now() + Duration::from_secs(2);
    let line = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the idle server's line arrives within 2 s");
        if line.contains(" axum_scopes_demo::access: ") {
            break line;
        }
    };
    assert!(is_access_line(&line, "/users/me/", 401), "{line}");
    assert!(!line.contains("s3cr3t"), "{line}");
    stop(child, &lines);
}

#[test]
fn rust_log_warn_turns_the_request_log_off() {
    let (child, addr, lines) = start(Some("warn"));
    assert_eq!(get(addr, "/users/me/items/", 20), [401; 20]);
    let rest = stop(child, &lines);
    assert!(access(&rest).is_empty(), "{rest:?}");
}
