//! A test identity provider: an `OpenID` Connect discovery document and a JWKS served over real
//! HTTP on 127.0.0.1, with request counters and switchable misbehaviour, plus the fixture keys
//! that sign its tokens.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_scopes::jsonwebtoken::jwk::{Jwk, JwkSet};
use axum_scopes::jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// The bytes of `tests/fixtures/keys/<name>`.
#[must_use]
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/keys/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("reading {path}: {err}"))
}

/// A private key from the fixtures, with the `kid` and algorithm it signs with.
#[derive(Clone)]
pub struct TestKey {
    /// The key id written in tokens and in the JWKS.
    pub kid: String,
    /// The algorithm tokens are signed with.
    pub alg: Algorithm,
    encoding: EncodingKey,
}

impl TestKey {
    /// The fixture `<file>.key.pem` as a key of `alg`'s family.
    #[must_use]
    pub fn from_fixture(file: &str, kid: &str, alg: Algorithm) -> Self {
        install_crypto_provider();
        let pem = fixture(&format!("{file}.key.pem"));
        let encoding = match file {
            f if f.starts_with("rsa") => EncodingKey::from_rsa_pem(&pem),
            f if f.starts_with("ec") => EncodingKey::from_ec_pem(&pem),
            _ => EncodingKey::from_ed_pem(&pem),
        }
        .expect("fixture keys are valid");
        Self {
            kid: kid.to_owned(),
            alg,
            encoding,
        }
    }

    /// The main RSA key (`rsa`), signing RS256.
    #[must_use]
    pub fn rsa(kid: &str) -> Self {
        Self::from_fixture("rsa", kid, Algorithm::RS256)
    }

    /// The same key with another algorithm.
    #[must_use]
    pub fn with_alg(mut self, alg: Algorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The public half as a JWK carrying `kid` and `alg`.
    #[must_use]
    pub fn jwk(&self) -> Jwk {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).expect("public JWK");
        jwk.common.key_id = Some(self.kid.clone());
        jwk
    }

    /// A token over `claims` with a header of `alg` and `kid`.
    #[must_use]
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        self.sign_with_header(&header, claims)
    }

    /// A token over `claims` with `header` as given.
    #[must_use]
    pub fn sign_with_header(&self, header: &Header, claims: &Value) -> String {
        axum_scopes::jsonwebtoken::encode(header, claims, &self.encoding).expect("signing")
    }
}

/// jsonwebtoken needs a process-wide crypto provider before the first signature.
pub fn install_crypto_provider() {
    axum_scopes::jwt::install_crypto_provider();
}

/// A JWKS document of `keys`.
#[must_use]
pub fn jwks_json(keys: &[TestKey]) -> String {
    let set = JwkSet {
        keys: keys.iter().map(TestKey::jwk).collect(),
    };
    serde_json::to_string(&set).expect("JWKS serializes")
}

/// How the provider answers `/jwks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// The current key set.
    Serve,
    /// `500 Internal Server Error`.
    Fail,
    /// The key set after sleeping this long.
    Sleep(Duration),
    /// A 512 KiB body (above the client's default 256 KiB bound).
    Oversized,
}

struct ProviderState {
    base: String,
    keys: Mutex<String>,
    attacker_keys: String,
    behaviour: Mutex<Behaviour>,
    cache_control: Mutex<Option<&'static str>>,
    discovery_issuer: Mutex<Option<String>>,
    jwks_requests: AtomicUsize,
    discovery_requests: AtomicUsize,
    attacker_requests: AtomicUsize,
}

/// A running provider; it stops with the test's runtime.
#[derive(Clone)]
pub struct Provider {
    addr: SocketAddr,
    state: Arc<ProviderState>,
}

impl Provider {
    /// Serves `keys` on a fresh port. `/attacker/...` serves a key set of the `rsa-attacker`
    /// fixture (kid `attacker`) and counts its requests.
    pub async fn start(keys: &[TestKey]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(ProviderState {
            base: format!("http://{addr}"),
            keys: Mutex::new(jwks_json(keys)),
            attacker_keys: jwks_json(&[Self::attacker_key()]),
            behaviour: Mutex::new(Behaviour::Serve),
            cache_control: Mutex::new(None),
            discovery_issuer: Mutex::new(None),
            jwks_requests: AtomicUsize::new(0),
            discovery_requests: AtomicUsize::new(0),
            attacker_requests: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/attacker/{*rest}", get(attacker))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("provider serves");
        });
        Self { addr, state }
    }

    /// The key an attacker signs with, published only under `/attacker/`.
    #[must_use]
    pub fn attacker_key() -> TestKey {
        TestKey::from_fixture("rsa-attacker", "attacker", Algorithm::RS256)
    }

    /// The issuer: `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn issuer(&self) -> String {
        self.state.base.clone()
    }

    /// The JWKS URL.
    #[must_use]
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.state.base)
    }

    /// A URL on the provider.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.state.base)
    }

    /// The provider's address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Publishes `keys` instead of the current set.
    pub fn set_keys(&self, keys: &[TestKey]) {
        *lock(&self.state.keys) = jwks_json(keys);
    }

    /// Changes how `/jwks` answers.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *lock(&self.state.behaviour) = behaviour;
    }

    /// Sets (or removes) the `Cache-Control` header of `/jwks`.
    pub fn set_cache_control(&self, value: Option<&'static str>) {
        *lock(&self.state.cache_control) = value;
    }

    /// Makes the discovery document name `issuer` instead of the provider's own URL.
    pub fn set_discovery_issuer(&self, issuer: &str) {
        *lock(&self.state.discovery_issuer) = Some(issuer.to_owned());
    }

    /// Requests `/jwks` has received.
    #[must_use]
    pub fn jwks_requests(&self) -> usize {
        self.state.jwks_requests.load(Ordering::SeqCst)
    }

    /// Requests the discovery document has received.
    #[must_use]
    pub fn discovery_requests(&self) -> usize {
        self.state.discovery_requests.load(Ordering::SeqCst)
    }

    /// Requests under `/attacker/` (where `jku`/`x5u` headers of attack tokens point).
    #[must_use]
    pub fn attacker_requests(&self) -> usize {
        self.state.attacker_requests.load(Ordering::SeqCst)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn discovery(State(state): State<Arc<ProviderState>>) -> Response {
    state.discovery_requests.fetch_add(1, Ordering::SeqCst);
    let issuer = lock(&state.discovery_issuer)
        .clone()
        .unwrap_or_else(|| state.base.clone());
    axum::Json(json!({
        "issuer": issuer,
        "jwks_uri": format!("{}/jwks", state.base),
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
    .into_response()
}

async fn jwks(State(state): State<Arc<ProviderState>>) -> Response {
    state.jwks_requests.fetch_add(1, Ordering::SeqCst);
    let behaviour = *lock(&state.behaviour);
    let body = match behaviour {
        Behaviour::Fail => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Behaviour::Oversized => format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(512 * 1024)),
        Behaviour::Sleep(duration) => {
            tokio::time::sleep(duration).await;
            lock(&state.keys).clone()
        }
        Behaviour::Serve => lock(&state.keys).clone(),
    };
    let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(value) = *lock(&state.cache_control) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

async fn attacker(State(state): State<Arc<ProviderState>>) -> Response {
    state.attacker_requests.fetch_add(1, Ordering::SeqCst);
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.attacker_keys.clone(),
    )
        .into_response()
}
