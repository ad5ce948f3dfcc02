//! SIGTERM and Ctrl-C: the demo stops accepting, lets the requests in flight finish (a login in
//! bcrypt among them) and exits 0. Against the real binary on 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::{Demo, send_login};

/// The demo with its log off, so stdout holds nothing but its address.
fn start(args: &[&str]) -> Demo {
    Demo::start(args, Some("warn"))
}

fn in_flight_login_completes_then_exit_0(signal_name: &str) {
    let mut demo = start(&[]);
    let mut login = send_login(demo.addr, "secret");
    // The login is in bcrypt (about 200 ms at the tutorial's cost) when the signal arrives.
    std::thread::sleep(Duration::from_millis(50));
    demo.signal(signal_name);
    let mut answer = String::new();
    login.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("\"access_token\""), "{answer}");
    let status = demo.wait(Duration::from_secs(15)).expect("the demo exits");
    assert_eq!(status.code(), Some(0));
    // And it no longer accepts.
    assert!(TcpStream::connect(demo.addr).is_err());
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
    let mut demo = start(&[]);
    // An idle keep-alive connection does not hold the shutdown up.
    let _idle = TcpStream::connect(demo.addr).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    demo.signal("TERM");
    let status = demo.wait(Duration::from_secs(15)).expect("the demo exits");
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
    let mut demo = start(&["--header-read-timeout", "1"]);
    let addr = demo.addr;
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
    demo.stop();
}
