//! The demo's request log (one event per request from a small tower service, tracing-subscriber's
//! formatter on tracing-appender's writer), read from the real binary's stdout: one line per request with
//! the path but never the query, the line of an idle server written at once, every line there
//! by the time the demo has exited (a request finished during the shutdown included), nothing
//! at all with `RUST_LOG=warn`, and no credential at any level.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::{Demo, send_login};

/// What every request line holds between its level and its method.
const ON_RESPONSE: &str = "  INFO access: ";

/// `count` GET requests of `path` on one keep-alive connection, with `headers` (each ending in
/// `\r\n`); the statuses.
fn get(addr: SocketAddr, path: &str, headers: &str, count: usize) -> Vec<u16> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    (0..count)
        .map(|_| {
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n"
            )
            .unwrap();
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

/// The request lines among `lines`.
fn requests(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|line| line.contains(ON_RESPONSE))
        .collect()
}

/// Whether `line` is `2026-12-03T12:00:00.123456Z  INFO access: GET <path> <status> 52us`.
fn is_request_line(line: &str, method: &str, path: &str, status: u16) -> bool {
    let Some((stamp, rest)) = line.split_once(ON_RESPONSE) else {
        return false;
    };
    let stamp_ok = stamp.len() == 27
        && stamp.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'.',
            26 => b == b'Z',
            _ => b.is_ascii_digit(),
        });
    let Some(micros) = rest
        .strip_prefix(&format!("{method} {path} {status} "))
        .and_then(|rest| rest.strip_suffix("us"))
    else {
        return false;
    };
    let micros_ok = !micros.is_empty() && micros.bytes().all(|b| b.is_ascii_digit());
    stamp_ok && micros_ok
}

#[test]
fn every_request_has_one_line_and_none_is_lost_at_exit() {
    let mut demo = Demo::start(&[], None);
    let addr = demo.addr;
    // Several connections at once, so lines come from every worker thread.
    let per_connection = 250;
    let connections = 4;
    let clients: Vec<_> = (0..connections)
        .map(|_| std::thread::spawn(move || get(addr, "/users/me/items/", "", per_connection)))
        .collect();
    for client in clients {
        assert!(client.join().unwrap().iter().all(|&status| status == 401));
    }
    let rest = demo.stop();
    let logged = requests(&rest);
    assert_eq!(
        logged.len(),
        per_connection * connections,
        "one line per request"
    );
    for line in logged {
        assert!(
            is_request_line(line, "GET", "/users/me/items/", 401),
            "{line}"
        );
    }
}

#[test]
fn an_idle_servers_line_is_written_at_once_and_the_query_never() {
    let demo = Demo::start(&[], None);
    assert_eq!(
        get(demo.addr, "/users/me/?token=s3cr3t-in-the-query", "", 1),
        [401]
    );
    // No further request and no exit: the line must come by itself.
    let deadline = Instant::now() + Duration::from_secs(2);
    let line = loop {
        let line = demo
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the idle server's line arrives within 2 s");
        if line.contains(ON_RESPONSE) {
            break line;
        }
    };
    assert!(is_request_line(&line, "GET", "/users/me/", 401), "{line}");
    assert!(!line.contains("s3cr3t"), "{line}");
}

#[test]
fn a_request_finished_during_the_shutdown_is_logged_before_the_exit() {
    let mut demo = Demo::start(&[], None);
    let mut login = send_login(demo.addr, "secret");
    // The login is in bcrypt (about 200 ms at the tutorial's cost) when the signal arrives.
    std::thread::sleep(Duration::from_millis(50));
    let rest = demo.stop();
    let mut answer = String::new();
    login.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let shutting_down = rest
        .iter()
        .position(|line| line.contains("shutting down"))
        .expect("the shutdown is logged");
    let logged = requests(&rest[shutting_down..]);
    assert_eq!(logged.len(), 1, "{rest:?}");
    assert!(
        is_request_line(logged[0], "POST", "/token", 200),
        "{rest:?}"
    );
}

#[test]
fn rust_log_warn_writes_nothing() {
    let mut demo = Demo::start(&[], Some("warn"));
    assert_eq!(get(demo.addr, "/users/me/items/", "", 20), [401; 20]);
    assert_eq!(get(demo.addr, "/nowhere", "", 1), [404]);
    let rest = demo.stop();
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn no_credential_is_logged_even_at_trace() {
    let secret_key = "a test secret, not the tutorial's";
    let mut demo = Demo::start(&[], Some("trace"));
    let mut answer = String::new();
    send_login(demo.addr, "secret")
        .read_to_string(&mut answer)
        .unwrap();
    let (_, body) = answer.split_once("\r\n\r\n").unwrap();
    let body: serde_json::Value = serde_json::from_str(body).unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    // A wrong password, the token accepted, the token with a forged signature, and a
    // credential in the query.
    let mut answer = String::new();
    send_login(demo.addr, "not-the-password-W0rd")
        .read_to_string(&mut answer)
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let bearer = format!("Authorization: Bearer {token}\r\n");
    assert_eq!(get(demo.addr, "/users/me/", &bearer, 1), [200]);
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let forged_signature: String = signature.chars().rev().collect();
    let bearer = format!("Authorization: Bearer {signed}.{forged_signature}\r\n");
    assert_eq!(get(demo.addr, "/users/me/", &bearer, 1), [401]);
    assert_eq!(
        get(demo.addr, "/users/me/?access_token=s3cr3t", "", 1),
        [401]
    );
    let rest = demo.stop();
    assert_eq!(requests(&rest).len(), 5, "{rest:?}");
    // The token's signature alone would do: its header and claims are no secret.
    for credential in [
        signature,
        &forged_signature,
        "not-the-password-W0rd",
        "s3cr3t",
        secret_key,
    ] {
        let leaks: Vec<_> = rest
            .iter()
            .filter(|line| line.contains(credential))
            .collect();
        assert!(leaks.is_empty(), "`{credential}` logged: {leaks:?}");
    }
}
