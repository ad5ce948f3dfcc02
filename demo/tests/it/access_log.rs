//! The demo's request log, read from the real binary's stdout on 127.0.0.1: one line per
//! request in the demo's format, the query never written, every line there by the time the
//! demo has exited, a line of an idle server written at once, and none with `RUST_LOG=warn`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::Demo;

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
    let mut demo = Demo::start(&[], None);
    let addr = demo.addr;
    // Several connections at once, so lines come from every worker thread.
    let per_connection = 250;
    let connections = 4;
    let workers: Vec<_> = (0..connections)
        .map(|_| std::thread::spawn(move || get(addr, "/users/me/items/", per_connection)))
        .collect();
    for worker in workers {
        assert!(worker.join().unwrap().iter().all(|&status| status == 401));
    }
    let rest = demo.stop();
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
    let mut demo = Demo::start(&[], None);
    assert_eq!(
        get(demo.addr, "/users/me/?token=s3cr3t-in-the-query", 1),
        [401]
    );
    // No further request and no exit: the line must come by itself.
    let deadline = Instant::now() + Duration::from_secs(2);
    let line = loop {
        let line = demo
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the idle server's line arrives within 2 s");
        if line.contains(" axum_scopes_demo::access: ") {
            break line;
        }
    };
    assert!(is_access_line(&line, "/users/me/", 401), "{line}");
    assert!(!line.contains("s3cr3t"), "{line}");
    demo.stop();
}

#[test]
fn rust_log_warn_turns_the_request_log_off() {
    let mut demo = Demo::start(&[], Some("warn"));
    assert_eq!(get(demo.addr, "/users/me/items/", 20), [401; 20]);
    let rest = demo.stop();
    assert!(access(&rest).is_empty(), "{rest:?}");
}
