//! [`TestIssuer`]: tokens for tests, signed by a key of the process, and the `Authenticator`
//! that trusts them, built by the ordinary builder.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Map, Value};

use super::keys::{self, SigningKey};
use crate::jwt::{Authenticator, AuthenticatorBuilder, Issuer};

/// An issuer of test tokens: ES256 ([`TestIssuer::new`]) or RS256 ([`TestIssuer::rs256`]) with
/// a key generated once per process (never written anywhere), an issuer URL and an audience.
///
/// [`TestIssuer::authenticator`] is an [`AuthenticatorBuilder`] trusting it through the
/// ordinary path (a static key set: [`Issuer::jwks`]), so a test exercises the verification
/// the app runs in production, cache included. [`TestIssuer::token`] mints a valid token for
/// some scopes; [`TestIssuer::mint`] chooses every claim; the usual wrong tokens take one
/// call each ([`TestIssuer::expired_token`], [`TestIssuer::premature_token`],
/// [`TestIssuer::foreign_token`], [`TestIssuer::tampered_token`],
/// [`TestIssuer::wrong_audience_token`]). [`TestIssuer::serve`] serves discovery and the key set
/// on 127.0.0.1, for apps whose own set-up calls [`Issuer::discover`].
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use axum_scopes::testing::TestIssuer;
///
/// let issuer = TestIssuer::new();
/// let authenticator = issuer.authenticator().build().await.unwrap();
/// let token = issuer.token(["items"]);
/// let verified = authenticator.verify::<serde_json::Value>(token.as_bytes()).await.unwrap();
/// assert!(verified.scopes.contains("items"));
/// let expired = issuer.expired_token(["items"]);
/// assert!(authenticator.verify::<serde_json::Value>(expired.as_bytes()).await.is_err());
/// # })
/// ```
#[derive(Clone)]
pub struct TestIssuer {
    iss: Arc<str>,
    audience: Arc<str>,
    algorithm: Algorithm,
}

impl std::fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestIssuer")
            .field("iss", &self.iss)
            .field("audience", &self.audience)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Default for TestIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl TestIssuer {
    /// The issuer URL of [`TestIssuer::new`].
    pub const ISSUER: &'static str = "https://issuer.test";
    /// The audience of [`TestIssuer::new`].
    pub const AUDIENCE: &'static str = "https://api.test";
    /// The subject of the tokens of [`TestIssuer::token`] and the one-call wrong tokens.
    pub const SUBJECT: &'static str = "test-user";

    /// An ES256 issuer, [`TestIssuer::ISSUER`], for [`TestIssuer::AUDIENCE`]. The key is
    /// generated on first use in the process (a millisecond) and shared by every `TestIssuer`.
    ///
    /// # Panics
    ///
    /// If the crypto backend cannot generate a key (the operating system gives no random
    /// numbers).
    #[must_use]
    pub fn new() -> Self {
        Self::signing_with(Algorithm::ES256)
    }

    /// An RS256 issuer (a 2048-bit RSA key), otherwise as [`TestIssuer::new`]. The key is
    /// generated on first use in the process and shared by every RS256 `TestIssuer` (under a
    /// second with either crypto backend, unoptimised builds included).
    ///
    /// # Panics
    ///
    /// If the crypto backend cannot generate a key (the operating system gives no random
    /// numbers).
    #[must_use]
    pub fn rs256() -> Self {
        Self::signing_with(Algorithm::RS256)
    }

    fn signing_with(algorithm: Algorithm) -> Self {
        let _ = keys::ours(algorithm);
        Self {
            iss: Self::ISSUER.into(),
            audience: Self::AUDIENCE.into(),
            algorithm,
        }
    }

    /// The algorithm its tokens are signed with: ES256 or RS256.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// This issuer under another issuer URL (`iss`).
    #[must_use]
    pub fn with_issuer(mut self, iss: impl Into<String>) -> Self {
        self.iss = iss.into().into();
        self
    }

    /// This issuer for another audience (`aud`).
    #[must_use]
    pub fn with_audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into().into();
        self
    }

    /// The issuer URL, the `iss` of its tokens.
    #[must_use]
    pub fn iss(&self) -> &str {
        &self.iss
    }

    /// The audience, the `aud` of its tokens.
    #[must_use]
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The public key set, as JWKS text (one key of its algorithm, `use: sig`).
    #[must_use]
    pub fn jwks(&self) -> String {
        serde_json::json!({ "keys": [keys::ours(self.algorithm).jwk] }).to_string()
    }

    /// The [`Issuer`] that trusts this one: its `iss`, its audience and its key set. Add it
    /// to your own builder, or configure it further (scopes claim, leeway, ...).
    ///
    /// # Panics
    ///
    /// Never: the key set is this crate's own JWKS text.
    pub fn issuer(&self) -> Issuer {
        Issuer::new(&*self.iss)
            .jwks(&self.jwks())
            .expect("the test issuer's key set is a valid JWKS")
            .audience(&*self.audience)
    }

    /// An [`AuthenticatorBuilder`] trusting this issuer ([`TestIssuer::issuer`]): build it, or
    /// add what the app adds (revocations, DPoP, its `AuthConfig`) first.
    pub fn authenticator(&self) -> AuthenticatorBuilder {
        Authenticator::builder().issuer(self.issuer())
    }

    /// A valid token granting `scopes` (the RFC 9068 `scope` claim), for
    /// [`TestIssuer::SUBJECT`], valid for ten minutes.
    #[must_use]
    pub fn token<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, scopes: I) -> String {
        self.mint().scopes(scopes).sign()
    }

    /// A token building whatever the test needs: scopes, claims, lifetime, `typ`.
    pub fn mint(&self) -> TokenRequest {
        let mut claims = Map::new();
        claims.insert("iss".into(), Value::from(&*self.iss));
        claims.insert("aud".into(), Value::from(&*self.audience));
        claims.insert("sub".into(), Value::from(Self::SUBJECT));
        TokenRequest {
            claims,
            lifetime: Lifetime::Valid(Duration::from_secs(600)),
            typ: Some("at+jwt".into()),
            key: keys::ours(self.algorithm),
            tampered: false,
        }
    }

    /// A token granting `scopes` that expired an hour ago (beyond any leeway).
    #[must_use]
    pub fn expired_token<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, scopes: I) -> String {
        self.mint().scopes(scopes).expired().sign()
    }

    /// A token granting `scopes` that becomes valid in an hour (`nbf`).
    #[must_use]
    pub fn premature_token<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, scopes: I) -> String {
        self.mint().scopes(scopes).not_yet_valid().sign()
    }

    /// A token granting `scopes`, signed by another key under this issuer's `kid`.
    #[must_use]
    pub fn foreign_token<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, scopes: I) -> String {
        self.mint().scopes(scopes).foreign_key().sign()
    }

    /// A token granting `scopes` whose payload was changed after signing.
    #[must_use]
    pub fn tampered_token<I: IntoIterator<Item = S>, S: AsRef<str>>(&self, scopes: I) -> String {
        self.mint().scopes(scopes).tampered().sign()
    }

    /// A token granting `scopes` for another audience.
    #[must_use]
    pub fn wrong_audience_token<I: IntoIterator<Item = S>, S: AsRef<str>>(
        &self,
        scopes: I,
    ) -> String {
        self.mint()
            .scopes(scopes)
            .claim("aud", "https://another-api.test")
            .sign()
    }
}

/// When a [`TokenRequest`]'s token is valid.
#[derive(Debug, Clone, Copy)]
enum Lifetime {
    /// From now for this long.
    Valid(Duration),
    /// Ended an hour ago.
    Expired,
    /// Begins in an hour.
    NotYetValid,
}

/// A token being minted by [`TestIssuer::mint`]: set what the test needs, then
/// [`TokenRequest::sign`]. Starts with `iss`, `aud`, `sub` ([`TestIssuer::SUBJECT`]), ten
/// minutes of validity and `typ: at+jwt`.
#[must_use = "a token request does nothing until signed"]
pub struct TokenRequest {
    claims: Map<String, Value>,
    lifetime: Lifetime,
    typ: Option<String>,
    key: &'static SigningKey,
    tampered: bool,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("claims", &self.claims)
            .field("lifetime", &self.lifetime)
            .field("typ", &self.typ)
            .field("tampered", &self.tampered)
            .finish_non_exhaustive()
    }
}

impl TokenRequest {
    /// Grants `scopes`: the RFC 9068 `scope` claim, space-separated.
    pub fn scopes<I: IntoIterator<Item = S>, S: AsRef<str>>(self, scopes: I) -> Self {
        let scope = scopes
            .into_iter()
            .map(|scope| scope.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        self.claim("scope", scope)
    }

    /// The subject, `sub`.
    pub fn subject(self, sub: impl Into<String>) -> Self {
        self.claim("sub", sub.into())
    }

    /// Sets the claim `name` to `value` (replacing `iss`, `aud`, `sub`, `scope` as well). A
    /// `Value::Null` removes it.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let (name, value) = (name.into(), value.into());
        if value.is_null() {
            self.claims.remove(&name);
        } else {
            self.claims.insert(name, value);
        }
        self
    }

    /// Valid from now for `lifetime` (`iat` now, `exp` now + `lifetime`).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = Lifetime::Valid(lifetime);
        self
    }

    /// Expired an hour ago.
    pub fn expired(mut self) -> Self {
        self.lifetime = Lifetime::Expired;
        self
    }

    /// Not valid before an hour from now (`nbf`).
    pub fn not_yet_valid(mut self) -> Self {
        self.lifetime = Lifetime::NotYetValid;
        self
    }

    /// The header's `typ` (`at+jwt` by default; `None` leaves it out).
    pub fn typ(mut self, typ: Option<&str>) -> Self {
        self.typ = typ.map(str::to_owned);
        self
    }

    /// Signed by another key under the issuer's `kid`: a signature the issuer's key refuses.
    pub fn foreign_key(mut self) -> Self {
        self.key = keys::foreign(self.key.algorithm);
        self
    }

    /// The payload changed after signing (`sub` replaced), the signature kept.
    pub fn tampered(mut self) -> Self {
        self.tampered = true;
        self
    }

    /// The token, compact JWS.
    ///
    /// # Panics
    ///
    /// Never for claims built with these methods (a JSON object always serializes and the
    /// key is this process's own).
    #[must_use]
    pub fn sign(mut self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs());
        let (iat, nbf, exp) = match self.lifetime {
            Lifetime::Valid(lifetime) => (now, None, now.saturating_add(lifetime.as_secs())),
            Lifetime::Expired => (now.saturating_sub(7200), None, now.saturating_sub(3600)),
            Lifetime::NotYetValid => (
                now,
                Some(now.saturating_add(3600)),
                now.saturating_add(7200),
            ),
        };
        self.claims.insert("iat".into(), iat.into());
        self.claims.insert("exp".into(), exp.into());
        if let Some(nbf) = nbf {
            self.claims.insert("nbf".into(), nbf.into());
        }
        let mut header = Header::new(self.key.algorithm);
        header.kid = Some(self.key.kid.to_owned());
        header.typ = self.typ;
        let token = jsonwebtoken::encode(&header, &self.claims, &self.key.encoding)
            .expect("the test key signs a JSON object");
        if !self.tampered {
            return token;
        }
        self.claims.insert("sub".into(), "someone-else".into());
        let payload = URL_SAFE_NO_PAD.encode(Value::Object(self.claims).to_string());
        let mut parts = token.split('.');
        let (head, _, signature) = (parts.next(), parts.next(), parts.next());
        format!(
            "{}.{payload}.{}",
            head.unwrap_or_default(),
            signature.unwrap_or_default()
        )
    }
}
