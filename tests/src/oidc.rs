//! The real `OpenID` provider of the tests: oidc-provider from npm (`tests/oidc/provider.mjs`,
//! installed into `target/oidc-provider` by `tests/run-all.sh`), run by node on 127.0.0.1.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the provider may take to answer its discovery document after a start.
const START: Duration = Duration::from_secs(15);

/// The provider's script: `OIDC_PROVIDER_SCRIPT`, else where `tests/run-all.sh` puts it.
///
/// # Panics
///
/// When oidc-provider is not installed beside it, saying how to install it.
#[must_use]
pub fn provider_script() -> PathBuf {
    let script = std::env::var_os("OIDC_PROVIDER_SCRIPT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/oidc-provider/provider.mjs"),
        PathBuf::from,
    );
    let modules = script.with_file_name("node_modules").join("oidc-provider");
    assert!(
        modules.exists(),
        "{} is missing: run `bash tests/run-all.sh`, which installs oidc-provider from npm (or set \
         OIDC_PROVIDER_SCRIPT to a provider.mjs beside its node_modules)",
        modules.display()
    );
    script
}

/// A free port on 127.0.0.1 (bound, then released for a server to take).
///
/// # Panics
///
/// When no port can be bound.
#[must_use]
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a loopback port is free")
        .port()
}

/// How to start the provider: its port, key set and the `docs` client's redirect URIs.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The port it listens on; 0 (the default) lets the provider bind a free one, which
    /// [`RealProvider::port`] then names. A port found free beforehand can be taken before node
    /// binds it (an outgoing connection's ephemeral port comes from the same range), so only a
    /// restart on a known port names one.
    pub port: u16,
    /// `OIDC_PROVIDER_KEYS`: `ALG:kid` entries; `None` for the script's default set.
    pub keys: Option<String>,
    /// `OIDC_DOCS_REDIRECT_URIS`; `None` for the script's default.
    pub docs_redirect_uris: Option<String>,
}

impl ProviderConfig {
    /// The script's defaults on a port the provider chooses.
    #[must_use]
    pub fn new() -> Self {
        Self {
            port: 0,
            keys: None,
            docs_redirect_uris: None,
        }
    }
}

impl Default for ProviderConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// oidc-provider running on 127.0.0.1, killed when dropped (also when a test panics).
pub struct RealProvider {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub issuer: String,
    /// The port it listens on.
    pub port: u16,
}

impl RealProvider {
    /// Starts the provider and waits (at most 15 s) until its discovery document answers.
    ///
    /// # Panics
    ///
    /// When node cannot start or the provider does not answer in time.
    pub async fn start(config: &ProviderConfig) -> Self {
        let mut command = Command::new("node");
        command
            .arg(provider_script())
            .arg(config.port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(keys) = &config.keys {
            command.env("OIDC_PROVIDER_KEYS", keys);
        }
        if let Some(uris) = &config.docs_redirect_uris {
            command.env("OIDC_DOCS_REDIRECT_URIS", uris);
        }
        let mut child = command.spawn().expect("node starts");
        let port = announced_port(&mut child);
        let provider = Self {
            child: Some(child),
            issuer: format!("http://127.0.0.1:{port}"),
            port,
        };
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer);
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < START {
            if let Ok(answer) = client.get(&discovery).send().await
                && answer.status().is_success()
            {
                return provider;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("oidc-provider did not answer at {discovery} within {START:?}");
    }

    /// Kills the provider and waits for it to exit: its port refuses connections after.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The token endpoint (oidc-provider's `/token`).
    #[must_use]
    pub fn token_endpoint(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// An access token of the client-credentials client `bench` for `resource` with `scope`.
    ///
    /// # Panics
    ///
    /// When the provider answers without an access token.
    pub async fn client_credentials(&self, scope: &str, resource: &str) -> String {
        let answer: Value = reqwest::Client::new()
            .post(self.token_endpoint())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "bench"),
                ("client_secret", "bench-secret"),
                ("scope", scope),
                ("resource", resource),
            ])
            .send()
            .await
            .expect("the token endpoint answers")
            .json()
            .await
            .expect("the token endpoint answers JSON");
        answer["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {answer}"))
            .to_owned()
    }
}

/// The port named by the provider's first line, `oidc-provider on http://127.0.0.1:<port>`,
/// waited for at most [`START`]; the rest of its output is drained by a thread.
fn announced_port(child: &mut Child) -> u16 {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = sender.send(lines.next());
        // Keep reading, so that the provider never blocks on a full pipe.
        for _ in lines {}
    });
    let line = match receiver.recv_timeout(START) {
        Ok(Some(Ok(line))) => line,
        other => panic!("oidc-provider did not start within {START:?}: {other:?}"),
    };
    line.rsplit(':')
        .next()
        .and_then(|port| port.trim().parse().ok())
        .unwrap_or_else(|| panic!("oidc-provider said `{line}`, not its address"))
}

impl Drop for RealProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
