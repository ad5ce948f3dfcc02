//! RFC 7662 token introspection, for identity providers that issue opaque access tokens
//! ([`Introspection`], set on one [`Issuer`](super::issuer::Issuer) with
//! [`Issuer::introspection`](super::issuer::Issuer::introspection)).
//!
//! Network work, so it sits in the `Authenticator` beside the JWKS
//! refresh, not in the verifier: a token that is not JWT-shaped (not three dot-separated
//! parts) is looked up in the one token cache, through the verifier's one admission like any
//! other; on a miss it is sent to the endpoint, and an active answer becomes an entry of that
//! cache, admitted by the same function (so revocation runs on it too). The answer's `active`,
//! `exp`, `nbf`, `iat`, `iss`, `aud` and `token_type` are checked as a JWT's claims are, and its
//! `scope` is what it grants; the claims types of the guards deserialize from the answer.
//!
//! An entry lives until the answer's `exp`, and at most [`Introspection::max_cache`] (60 s by
//! default): a token revoked at the provider (RFC 7009) is refused within that time. An
//! inactive answer is never cached. Concurrent requests with the same token share one call.
//! The call is bounded in time and size by the [`JwksOptions`](super::jwks::JwksOptions); an endpoint
//! that is down, slow, refuses our client or answers something else means 503, never
//! acceptance.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::http::{HeaderValue, StatusCode};
use base64::Engine as _;
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::accepted::{Accepted, Fresh};
use super::claims::GrantedScopes;
use super::clock;
use super::error::TokenError;
use super::jwks::JwksOptions;
use super::jwks::http::{self, FormClient};
use super::key::INTROSPECTED;
use super::policy::Rules;
use super::verifier::Verifier;
use super::verify::Refused;

/// How an [`Issuer`](super::issuer::Issuer)'s opaque access tokens are introspected (RFC 7662).
#[derive(Clone)]
pub struct Introspection {
    pub(crate) endpoint: Option<String>,
    client_id: String,
    client_secret: String,
    auth: ClientAuth,
    max_cache: Duration,
}

/// How the resource server authenticates to the introspection endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic with the form-encoded id and secret (`client_secret_basic`), the default.
    #[default]
    Basic,
    /// The id and secret in the form (`client_secret_post`).
    Post,
}

impl fmt::Debug for Introspection {
    /// Never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .field("max_cache", &self.max_cache)
            .finish_non_exhaustive()
    }
}

impl Introspection {
    /// Introspection as client `client_id` with `client_secret`, at the issuer's discovery
    /// document's `introspection_endpoint` unless [`Introspection::endpoint`] names one;
    /// `client_secret_basic`, answers cached at most 60 s.
    #[must_use]
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            endpoint: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            auth: ClientAuth::Basic,
            max_cache: Duration::from_secs(60),
        }
    }

    /// The endpoint's URL (`https`, unless `dangerous::allow_http`).
    #[must_use]
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// How the client authenticates. Default [`ClientAuth::Basic`].
    #[must_use]
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The longest an active answer is served from the cache (also bounded by its `exp`):
    /// how long a token revoked at the provider may still be accepted. Default 60 s.
    #[must_use]
    pub fn max_cache(mut self, max: Duration) -> Self {
        self.max_cache = max;
        self
    }
}

/// Whether `token` looks like a JWS compact serialization (three dot-separated parts): those
/// are verified locally, anything else is introspected.
pub(crate) fn is_jwt_shaped(token: &[u8]) -> bool {
    token.split(|&byte| byte == b'.').count() == 3
}

/// What one introspection call found, shared by the requests that waited for it.
#[derive(Clone)]
enum Outcome {
    Active(Arc<Accepted>),
    Refused(Refusal),
}

/// Why an introspected token is refused (a `TokenError` is not `Clone`).
#[derive(Clone, Copy)]
enum Refusal {
    Inactive,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
    WrongType,
    Unavailable,
}

impl Refusal {
    fn error(self) -> TokenError {
        use jsonwebtoken::errors::ErrorKind;
        match self {
            Self::Inactive => TokenError::Inactive,
            Self::Expired => TokenError::Expired(ErrorKind::ExpiredSignature.into()),
            Self::NotYetValid => TokenError::NotYetValid(ErrorKind::ImmatureSignature.into()),
            Self::Issuer => TokenError::InvalidIssuer(ErrorKind::InvalidIssuer.into()),
            Self::Audience => TokenError::InvalidAudience(ErrorKind::InvalidAudience.into()),
            Self::WrongType => TokenError::WrongType,
            Self::Unavailable => TokenError::IntrospectionUnavailable,
        }
    }
}

/// The calls in flight, by token: each a cell its waiters share.
type InFlight = Mutex<HashMap<Box<[u8]>, Arc<OnceCell<Outcome>>>>;

/// The introspection client of one issuer.
pub(crate) struct Introspector {
    client: FormClient,
    options: JwksOptions,
    endpoint: String,
    /// `Basic ...` for `client_secret_basic`.
    authorization: Option<HeaderValue>,
    /// `&client_id=..&client_secret=..` for `client_secret_post`.
    form_credentials: String,
    max_cache: u64,
    source: usize,
    rules: Arc<Rules>,
    /// One call per token: the requests that came while it runs wait for its outcome.
    in_flight: InFlight,
}

impl Introspector {
    /// The client of `introspection` at `endpoint`, for the verifier's source `source`.
    pub(crate) fn new(
        introspection: &Introspection,
        endpoint: String,
        options: &JwksOptions,
        source: usize,
        rules: Arc<Rules>,
    ) -> Result<Self, super::jwks::JwksError> {
        http::check_scheme(&endpoint, options)?;
        let encode =
            |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
        let (authorization, form_credentials) = match introspection.auth {
            ClientAuth::Basic => {
                let pair = format!(
                    "{}:{}",
                    encode(&introspection.client_id),
                    encode(&introspection.client_secret)
                );
                let value = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                );
                let mut value = HeaderValue::try_from(value)
                    .map_err(|err| super::jwks::JwksError::Client(err.into()))?;
                value.set_sensitive(true);
                (Some(value), String::new())
            }
            ClientAuth::Post => (
                None,
                format!(
                    "&client_id={}&client_secret={}",
                    encode(&introspection.client_id),
                    encode(&introspection.client_secret)
                ),
            ),
        };
        Ok(Self {
            client: http::client(options)?,
            options: options.clone(),
            endpoint,
            authorization,
            form_credentials,
            max_cache: introspection.max_cache.as_secs(),
            source,
            rules,
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    /// The opaque `token`'s accepted record: from the cache, or introspected (one call per
    /// token at a time) and kept.
    pub(crate) async fn accept(
        &self,
        verifier: &Verifier,
        token: &[u8],
        binding: Option<&str>,
    ) -> Result<Arc<Accepted>, Refused> {
        if let Some(hit) = verifier.lookup(token, binding)? {
            return Ok(hit);
        }
        let cell = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(in_flight.entry(token.into()).or_default())
        };
        let outcome = cell
            .get_or_init(|| async {
                let outcome = self.introspect(token).await;
                self.in_flight
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(token);
                outcome
            })
            .await
            .clone();
        match outcome {
            Outcome::Active(accepted) => verifier.keep(token, accepted, binding),
            Outcome::Refused(refusal) => {
                let mut refused = Refused::new(refusal.error());
                refused.source = Some(self.source);
                Err(refused)
            }
        }
    }

    /// One call to the endpoint, and the checks of its answer.
    async fn introspect(&self, token: &[u8]) -> Outcome {
        let mut form = String::with_capacity(token.len() + 64);
        form.push_str("token=");
        form.extend(form_urlencoded::byte_serialize(token));
        form.push_str("&token_type_hint=access_token");
        form.push_str(&self.form_credentials);
        let answer = http::post_form(
            &self.client,
            &self.options,
            &self.endpoint,
            form,
            self.authorization.as_ref(),
        )
        .await;
        let body = match answer {
            Ok((StatusCode::OK, body)) => body,
            Ok((status, _)) => {
                unavailable(&format!("the endpoint answered {status}"));
                return Outcome::Refused(Refusal::Unavailable);
            }
            Err(error) => {
                unavailable(&error.to_string());
                return Outcome::Refused(Refusal::Unavailable);
            }
        };
        match self.admit_answer(token, &body, clock::now()) {
            Ok(accepted) => Outcome::Active(accepted),
            Err(refusal) => Outcome::Refused(refusal),
        }
    }

    /// The checks of RFC 7662 §2.2's answer, as a JWT's claims get them.
    fn admit_answer(&self, token: &[u8], body: &[u8], now: u64) -> Result<Arc<Accepted>, Refusal> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Audience {
            One(String),
            Many(Vec<String>),
        }
        #[derive(Deserialize)]
        struct Answer {
            active: bool,
            #[serde(default)]
            scope: Option<String>,
            #[serde(default)]
            exp: Option<f64>,
            #[serde(default)]
            nbf: Option<f64>,
            #[serde(default)]
            iat: Option<f64>,
            #[serde(default)]
            iss: Option<String>,
            #[serde(default)]
            aud: Option<Audience>,
            #[serde(default)]
            token_type: Option<String>,
            #[serde(default)]
            cnf: Option<super::claims::Confirmation>,
        }
        let Ok(answer) = serde_json::from_slice::<Answer>(body) else {
            unavailable("the answer is not an RFC 7662 answer");
            return Err(Refusal::Unavailable);
        };
        if !answer.active {
            return Err(Refusal::Inactive);
        }
        if let Some(kind) = &answer.token_type
            && !kind.eq_ignore_ascii_case("bearer")
            && !kind.eq_ignore_ascii_case("access_token")
            && !kind.eq_ignore_ascii_case("dpop")
        {
            return Err(Refusal::WrongType);
        }
        if !self.rules.accepts_issuer(answer.iss.as_deref()) {
            return Err(Refusal::Issuer);
        }
        let audiences: Vec<&str> = match &answer.aud {
            None => Vec::new(),
            Some(Audience::One(one)) => vec![one.as_str()],
            Some(Audience::Many(many)) => many.iter().map(String::as_str).collect(),
        };
        if !self.rules.accepts_audiences(&audiences) {
            return Err(Refusal::Audience);
        }
        let leeway = self.rules.leeway;
        let second = |time: f64| {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "seconds since 1970, clamped at zero"
            )]
            let second = time.max(0.0) as u64;
            second
        };
        // The clock counts whole seconds and an entry is served through its deadline's
        // second: one second less keeps the whole life within the maximum.
        let latest = now.saturating_add(self.max_cache.saturating_sub(1));
        let deadline = match answer.exp.map(second) {
            Some(exp) if exp.saturating_add(leeway) < now => return Err(Refusal::Expired),
            Some(exp) => exp.saturating_add(leeway).min(latest),
            None => latest,
        };
        let earliest = [answer.nbf, answer.iat]
            .into_iter()
            .flatten()
            .map(second)
            .max()
            .unwrap_or(0)
            .saturating_sub(leeway);
        if earliest > now {
            return Err(Refusal::NotYetValid);
        }
        let scopes = answer
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_ascii_whitespace()
            .map(str::to_owned)
            .collect();
        Ok(Accepted::new(Fresh {
            token,
            payload: body,
            scopes: GrantedScopes::from_vec(scopes),
            deadline,
            earliest,
            key: INTROSPECTED,
            source: self.source,
            kid: None,
            jkt: answer.cnf.map(super::claims::Confirmation::into_jkt),
        }))
    }
}

/// The endpoint could not vouch for a token: logged at warn (without the token), answered 503.
#[cold]
fn unavailable(why: &str) {
    tracing::warn!(target: "axum_scopes", why, "token introspection failed");
}

impl fmt::Debug for Introspector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspector")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}
