//! The DPoP load client of `benchmarks/dpop.sh`: wrk cannot sign proofs, and a proof is
//! single-use, so this client makes every request's proof before the timed run (ES256 with the
//! client's key, a fresh `jti` each, `ath` of the token) and then sends them on C keep-alive
//! connections for S seconds, as wrk would: the same client for every server compared.
//!
//! Usage: `dpop_load --url URL --htu HTU --token TOKEN --key-pem FILE --jwk JSON
//! [--connections C] [--seconds S] [--proofs N]`. Prints one line:
//! `<requests/s> <p50 ms> <p99 ms> <non-200 answers> <proofs left> <requests>`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

struct Args {
    url: String,
    htu: String,
    token: String,
    key_pem: String,
    jwk: Value,
    connections: usize,
    seconds: u64,
    proofs: usize,
}

fn args() -> Args {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        url: String::new(),
        htu: String::new(),
        token: String::new(),
        key_pem: String::new(),
        jwk: Value::Null,
        connections: 32,
        seconds: 3,
        proofs: 60_000,
    };
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| panic!("{arg} takes a value"));
        match arg.as_str() {
            "--url" => parsed.url = value,
            "--htu" => parsed.htu = value,
            "--token" => parsed.token = value,
            "--key-pem" => parsed.key_pem = std::fs::read_to_string(value).expect("the key file"),
            "--jwk" => parsed.jwk = serde_json::from_str(&value).expect("--jwk takes JSON"),
            "--connections" => parsed.connections = value.parse().expect("--connections N"),
            "--seconds" => parsed.seconds = value.parse().expect("--seconds N"),
            "--proofs" => parsed.proofs = value.parse().expect("--proofs N"),
            other => panic!("unknown argument {other}"),
        }
    }
    parsed
}

/// `n` proofs for `GET htu`, each with its own `jti`.
fn proofs(args: &Args) -> Vec<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let key = EncodingKey::from_ec_pem(args.key_pem.as_bytes()).expect("a P-256 PKCS#8 key");
    let header =
        engine.encode(json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": args.jwk }).to_string());
    let ath = engine.encode(sha2::Sha256::digest(args.token.as_bytes()));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    let run = now.as_nanos();
    (0..args.proofs)
        .map(|i| {
            let claims = json!({
                "jti": format!("load-{run}-{i}"),
                "htm": "GET",
                "htu": args.htu,
                "iat": now.as_secs(),
                "ath": ath,
            });
            let message = format!("{header}.{}", engine.encode(claims.to_string()));
            let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::ES256)
                .expect("signing succeeds");
            format!("{message}.{signature}")
        })
        .collect()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
    );
    let args = args();
    let proofs = Arc::new(proofs(&args));
    let next = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()
        .expect("a client");
    let authorization = format!("DPoP {}", args.token);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.connections)
        .map(|_| {
            let (client, proofs, next) = (client.clone(), Arc::clone(&proofs), Arc::clone(&next));
            let (url, authorization) = (args.url.clone(), authorization.clone());
            tokio::spawn(async move {
                let (mut latencies, mut failures) = (Vec::new(), 0_u64);
                while Instant::now() < deadline {
                    let Some(proof) = proofs.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let sent = Instant::now();
                    let answer = client
                        .get(&url)
                        .header("authorization", &authorization)
                        .header("dpop", proof)
                        .send()
                        .await;
                    match answer {
                        Ok(answer) => {
                            let ok = answer.status() == 200;
                            let _ = answer.bytes().await;
                            if !ok {
                                failures += 1;
                            }
                        }
                        Err(_) => failures += 1,
                    }
                    latencies.push(sent.elapsed());
                }
                (latencies, failures)
            })
        })
        .collect();
    let (mut latencies, mut failures) = (Vec::new(), 0);
    for task in tasks {
        let (mut some, failed) = task.await.expect("a load task");
        latencies.append(&mut some);
        failures += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a list of at most millions"
        )]
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |latency| latency.as_secs_f64() * 1000.0)
    };
    #[expect(clippy::cast_precision_loss, reason = "a request count far below 2^53")]
    let rate = latencies.len() as f64 / elapsed;
    println!(
        "{rate:.0} {:.3} {:.3} {failures} {} {}",
        percentile(0.5),
        percentile(0.99),
        proofs.len().saturating_sub(next.load(Ordering::Relaxed)),
        latencies.len()
    );
}
