//! The demo against FastAPI's tutorial app itself, request by request over HTTP, and tokens
//! crossing between the two both ways.
//!
//! The peer is started with `../shared/peers/run-fastapi.sh` (it installs FastAPI into a
//! virtualenv on first use), or taken from `FASTAPI_PEER_URL` when that is set. Where neither is
//! available (a checkout outside this workspace), the test says so and checks nothing.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use axum_scopes_tests::server::serve;
use axum_scopes_tests::tutorial::{client, demo, login, tutorial_cases, via_http};

/// The running peer; stops it when dropped if this test started it.
struct Peer {
    base: String,
    pid: Option<u32>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        if let Some(pid) = self.pid {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

fn start_peer() -> Option<Peer> {
    if let Ok(base) = std::env::var("FASTAPI_PEER_URL") {
        return Some(Peer { base, pid: None });
    }
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/peers/run-fastapi.sh");
    if !script.exists() {
        eprintln!(
            "parity: {} is missing and FASTAPI_PEER_URL is unset: not comparing with FastAPI",
            script.display()
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a loopback port is free")
        .port();
    let mut child = Command::new("bash")
        .arg(&script)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("bash runs the peer script");
    // The script prints its last line once the app answers; uvicorn keeps the pipe open after.
    let stdout = child.stdout.take().expect("stdout is piped");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.contains("(pid "))
        .expect("the peer script reports the app's pid");
    let pid = line
        .rsplit("(pid ")
        .next()
        .and_then(|rest| rest.trim_end_matches(')').parse().ok())
        .expect("the pid is a number");
    // The script ends once the app answers, leaving the app running in the background.
    child.wait().expect("the peer script ends");
    Some(Peer {
        base: format!("http://127.0.0.1:{port}"),
        pid: Some(pid),
    })
}

#[tokio::test]
async fn same_answers_as_fastapi() {
    let Some(peer) = tokio::task::spawn_blocking(start_peer).await.unwrap() else {
        return;
    };
    let base = serve(demo()).await;
    let client = client();
    let mut compared = 0;
    for case in tutorial_cases() {
        let fastapi = via_http(&client, &peer.base, &case).await;
        let ours = via_http(&client, &base, &case).await;
        if let Some(why) = case.differs_from_fastapi {
            assert_ne!(
                fastapi, ours,
                "{}: said to differ ({why}), but does not",
                case.name
            );
            continue;
        }
        assert_eq!(
            ours, fastapi,
            "{}: the demo and FastAPI disagree",
            case.name
        );
        case.check(&fastapi);
        compared += 1;
    }
    assert!(compared >= 30, "only {compared} cases compared");

    // Tokens cross both ways.
    for (issuer, verifier) in [(&peer.base, &base), (&base, &peer.base)] {
        let token = login(&client, issuer, "me items").await;
        let response = client
            .get(format!("{verifier}/users/me/items/"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "a token of {issuer} on {verifier}");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            serde_json::json!([{ "item_id": "Foo", "owner": "johndoe" }])
        );
    }
}
