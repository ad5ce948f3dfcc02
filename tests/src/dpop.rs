//! DPoP proofs (RFC 9449) for the tests: valid ones from a real client library (panva's `dpop`
//! from npm, driven as a co-process: `tests/oidc/dpop-client.mjs`), which also obtains the
//! DPoP-bound token from the real provider; and the malformed ones no client library makes,
//! signed here with the same key ([`forge_proof`]).

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

use crate::oidc::provider_script;

/// The client: its key, its DPoP-bound token, and the co-process that signs its proofs.
pub struct DpopClient {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The DPoP-bound access token the provider issued.
    pub access_token: String,
    /// The RFC 7638 thumbprint of the client's public key (the token's `cnf.jkt`).
    pub jkt: String,
    /// The public key, as proofs carry it.
    pub public_jwk: Value,
    /// The private key, PKCS#8 PEM, for [`forge_proof`].
    pub private_key_pem: String,
}

impl DpopClient {
    /// Starts the client: a new ES256 key and a DPoP-bound token of client `bench` from
    /// `issuer` for `resource` and `scope`.
    ///
    /// # Panics
    ///
    /// When node cannot start or no token comes.
    #[must_use]
    pub fn start(issuer: &str, resource: &str, scope: &str) -> Self {
        let script = provider_script().with_file_name("dpop-client.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args([issuer, resource, scope])
            .current_dir(script.parent().expect("the script has a folder"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node starts the DPoP client");
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let first = read_line(&mut stdout);
        let text = |name: &str| {
            first[name]
                .as_str()
                .unwrap_or_else(|| panic!("the DPoP client said {first}"))
                .to_owned()
        };
        assert_eq!(text("token_type"), "DPoP", "{first}");
        Self {
            access_token: text("access_token"),
            jkt: text("jkt"),
            private_key_pem: text("private_key_pem"),
            public_jwk: first["public_jwk"].clone(),
            child,
            stdin,
            stdout,
        }
    }

    /// A fresh proof for `htm` and `htu` bound to the access token (`ath`), with `nonce`.
    #[must_use]
    pub fn proof(&mut self, htm: &str, htu: &str, nonce: Option<&str>) -> String {
        self.ask(&json!({ "htm": htm, "htu": htu, "nonce": nonce }))
    }

    /// A fresh proof for `htm` and `htu` without `ath`.
    #[must_use]
    pub fn proof_without_ath(&mut self, htm: &str, htu: &str) -> String {
        self.ask(&json!({ "htm": htm, "htu": htu, "ath": false }))
    }

    /// A fresh proof for `htm` and `htu` whose `ath` is the hash of `token`.
    #[must_use]
    pub fn proof_for_token(&mut self, htm: &str, htu: &str, token: &str) -> String {
        self.ask(&json!({ "htm": htm, "htu": htu, "token": token }))
    }

    fn ask(&mut self, request: &Value) -> String {
        let mut line = request.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .expect("the DPoP client reads");
        let answer = read_line(&mut self.stdout);
        answer["proof"]
            .as_str()
            .unwrap_or_else(|| panic!("the DPoP client said {answer}"))
            .to_owned()
    }

    /// Its key, to sign forged proofs with.
    ///
    /// # Panics
    ///
    /// When the PEM is not an EC key.
    #[must_use]
    pub fn signing_key(&self) -> EncodingKey {
        EncodingKey::from_ec_pem(self.private_key_pem.as_bytes()).expect("a P-256 PKCS#8 key")
    }
}

impl Drop for DpopClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_line(stdout: &mut BufReader<ChildStdout>) -> Value {
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the DPoP client writes");
    serde_json::from_str(&line).unwrap_or_else(|_| panic!("the DPoP client said {line:?}"))
}

/// A proof whose header and claims are the given JSON, signed with `key` under `alg` (the
/// header's `alg` is what the JSON says: a test may lie in it).
#[must_use]
pub fn forge_proof(header: &Value, claims: &Value, key: &EncodingKey, alg: Algorithm) -> String {
    crate::token::forge(&header.to_string(), &claims.to_string(), |message| {
        axum_scopes::jwt::install_crypto_provider();
        axum_scopes::jsonwebtoken::crypto::sign(message, key, alg).expect("signing succeeds")
    })
}

/// The `ath` of `token`: base64url SHA-256.
#[must_use]
pub fn ath(token: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token))
}
