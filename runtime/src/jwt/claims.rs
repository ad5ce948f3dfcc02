//! The granted scopes of a token: where they are ([`ScopesClaim`]), what was granted
//! ([`GrantedScopes`]), and the one reader of them.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

#[cfg(doc)]
use super::{Authenticator, JwtKeys, TokenError};

/// Where a token carries its scopes.
///
/// A claim that is absent (or `null`) grants no scope; a claim of the wrong
/// JSON type makes [`Authenticator::verify`] fail with
/// [`TokenError::InvalidClaims`]. Duplicates are dropped, first occurrence
/// kept.
#[derive(Clone, Copy, Default)]
#[non_exhaustive]
pub enum ScopesClaim {
    /// Both the RFC 9068 `scope` string and `FastAPI`'s tutorial `scopes`
    /// array, united (`scopes` first), as [`GrantedScopes`] reads them.
    /// The default.
    #[default]
    ScopeOrScopes,
    /// `scope`: one space-delimited string (RFC 9068 §2.2.3, RFC 8693 §4.2;
    /// Keycloak, Auth0, Okta).
    Scope,
    /// `scp`: a space-delimited string or an array of strings (Microsoft
    /// Entra ID, Okta).
    Scp,
    /// `scopes`: an array of strings (`FastAPI`'s tutorial).
    Scopes,
    /// A function of the whole payload, for scopes kept elsewhere, such as
    /// Keycloak's `realm_access.roles`. The payload is parsed into a
    /// `serde_json::Value` for it, which allocates.
    Custom(fn(&serde_json::Value) -> Vec<String>),
}

impl fmt::Debug for ScopesClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ScopeOrScopes => "ScopeOrScopes",
            Self::Scope => "Scope",
            Self::Scp => "Scp",
            Self::Scopes => "Scopes",
            Self::Custom(_) => "Custom(..)",
        })
    }
}

/// The scopes a token grants.
///
/// Reads both the tutorial's `scopes` claim (a JSON array of strings) and the
/// RFC 9068 / RFC 8693 `scope` claim (one space-delimited string), and holds
/// their union: `scopes` entries first, then `scope` entries, duplicates
/// dropped. Flatten it into your claims type:
///
/// ```ignore
/// #[derive(Deserialize)]
/// struct Claims {
///     sub: Option<String>,
///     #[serde(flatten)]
///     scopes: GrantedScopes,
/// }
/// ```
///
/// Either claim may be absent (no scopes). A `scopes` that is not an array
/// of strings, or a `scope` that is not a string, fails deserialization, so
/// [`JwtKeys::verify`] returns [`TokenError::InvalidClaims`], matching the
/// tutorial where pydantic rejects such a token. A `scope` of `null` counts
/// as absent.
///
/// It serializes as a `scopes` array, so claims built with it issue
/// tutorial-shaped tokens.
///
/// Cloning it is cheap (an `Arc`): the verified-token cache hands every hit a clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantedScopes {
    scopes: Arc<[String]>,
}

impl GrantedScopes {
    /// Whether `scope` was granted (exact, case-sensitive match, as in
    /// `FastAPI`'s `if scope not in token_data.scopes`).
    #[must_use]
    pub fn contains(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }

    /// The granted scopes in claim order (`scopes` first, then `scope`).
    #[must_use]
    pub fn iter(&self) -> GrantedScopesIter<'_> {
        GrantedScopesIter {
            inner: self.scopes.iter(),
        }
    }

    /// The granted scopes as a slice, in the same order as
    /// [`GrantedScopes::iter`].
    #[must_use]
    pub fn as_slice(&self) -> &[String] {
        &self.scopes
    }

    /// Number of distinct granted scopes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    /// Whether no scope was granted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// Takes `scopes` as they came, dropping duplicates (first occurrence
    /// kept) in place, then moves the strings into the shared list.
    pub(crate) fn from_vec(mut scopes: Vec<String>) -> Self {
        let mut kept = 0;
        for i in 0..scopes.len() {
            if !scopes[..kept].contains(&scopes[i]) {
                scopes.swap(kept, i);
                kept += 1;
            }
        }
        scopes.truncate(kept);
        Self {
            scopes: scopes.into(),
        }
    }
}

impl<S: Into<String>> FromIterator<S> for GrantedScopes {
    /// Collects scopes, dropping duplicates and keeping first occurrences.
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self::from_vec(iter.into_iter().map(Into::into).collect())
    }
}

impl<'a> IntoIterator for &'a GrantedScopes {
    type Item = &'a str;
    type IntoIter = GrantedScopesIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over [`GrantedScopes`], from [`GrantedScopes::iter`].
#[derive(Debug, Clone)]
pub struct GrantedScopesIter<'a> {
    inner: std::slice::Iter<'a, String>,
}

impl<'a> Iterator for GrantedScopesIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(String::as_str)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for GrantedScopesIter<'_> {}

/// The claims of a token whose only use is its subject: `sub`, when it is a string.
///
/// For a dependency that looks the user up by `sub` and reads the scopes from
/// [`Verified::scopes`](super::Verified::scopes): nothing else of the payload is kept, so
/// verification allocates one string for it.
///
/// ```
/// use axum_scopes::JwtKeys;
/// use axum_scopes::jwt::Subject;
///
/// let keys = JwtKeys::hs256(b"a secret of at least thirty-two bytes!!");
/// let token = keys
///     .issue_with_expiry(&serde_json::json!({ "sub": "ann", "scope": "items" }), std::time::Duration::from_secs(60))
///     .unwrap();
/// let verified = keys.verify_scoped::<Subject>(&token).unwrap();
/// assert_eq!(verified.claims.sub.as_deref(), Some("ann"));
/// assert!(verified.scopes.contains("items"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Subject {
    /// `sub`; absent or `null` reads as `None`, another JSON type rejects the token
    /// ([`TokenError::InvalidClaims`]).
    #[serde(default)]
    pub sub: Option<String>,
}

impl<'de> Deserialize<'de> for GrantedScopes {
    /// The same reader the verification core uses (`scopes` then `scope`),
    /// so a claims type that flattens `GrantedScopes` reads what
    /// [`Verified::scopes`](super::Verified::scopes) holds.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seed = PayloadSeed {
            claim: Some(ScopesClaim::ScopeOrScopes),
            registered: false,
        };
        let payload = deserializer.deserialize_map(seed)?;
        Ok(Self::from_vec(payload.scopes))
    }
}

impl Serialize for GrantedScopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Wire<'a> {
            scopes: &'a [String],
        }
        Wire {
            scopes: &self.scopes,
        }
        .serialize(serializer)
    }
}

/// What the core reads from a verified payload in its one pass.
pub(crate) struct Payload {
    pub(crate) iat: Option<f64>,
    /// `exp` and `nbf`, which `jsonwebtoken` has already checked: kept for the cache.
    pub(crate) exp: Option<f64>,
    pub(crate) nbf: Option<f64>,
    /// Whether `iss` is absent or one string (not a list, not a number).
    pub(crate) iss_is_string: bool,
    pub(crate) scopes: Vec<String>,
    /// The DPoP binding (RFC 9449 §6.1): `cnf.jkt`; `Some("")` for a `cnf` without `jkt` (a
    /// confirmation method this crate cannot check, so no proof ever matches it).
    pub(crate) jkt: Option<Box<str>>,
}

/// A token's confirmation claim (RFC 7800): only the DPoP thumbprint is read.
#[derive(serde::Deserialize)]
pub(crate) struct Confirmation {
    #[serde(default)]
    jkt: Option<String>,
}

impl Confirmation {
    /// The thumbprint the token is bound to, `""` when it is bound by another method.
    pub(crate) fn into_jkt(self) -> Box<str> {
        self.jkt.unwrap_or_default().into()
    }
}

/// The members [`PayloadSeed`] reads, each allowed once.
#[derive(Default)]
struct Seen(u8);

impl Seen {
    /// Whether this is the first `name`. Only the members read are tracked: the registered
    /// ones when `registered`, the scopes claims when `scopes` (the claims type sees the rest).
    fn first(&mut self, name: &str, registered: bool, scopes: bool) -> bool {
        let bit = match name {
            "iat" if registered => 1,
            "exp" if registered => 2,
            "nbf" if registered => 4,
            "iss" if registered => 8,
            "scope" if scopes => 16,
            "scopes" if scopes => 32,
            "scp" if scopes => 64,
            "cnf" if registered => 128,
            _ => return true,
        };
        let first = self.0 & bit == 0;
        self.0 |= bit;
        first
    }
}

/// Deserializes `{ iat, iss, <scopes claim(s)> }` straight into a
/// [`Payload`], skipping every other member without allocating: the one
/// reader of granted scopes.
pub(crate) struct PayloadSeed {
    /// Where the scopes are; `None` reads none.
    claim: Option<ScopesClaim>,
    /// Whether `iat` and `iss` are read too.
    registered: bool,
}

impl PayloadSeed {
    /// Reads `iat`, `iss` and the scopes of `claim`.
    pub(crate) fn new(claim: Option<ScopesClaim>) -> Self {
        Self {
            claim,
            registered: true,
        }
    }
}

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = Payload;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed {
    type Value = Payload;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object of claims")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut iat, mut exp, mut nbf) = (None, None, None);
        let mut iss_is_string = true;
        let mut jkt = None;
        let mut scopes = Vec::new();
        let mut scope_string = Vec::new();
        // RFC 7519 §4: a member named twice is refused rather than read twice (the claims
        // type keeps the last copy, so uniting the copies here would grant what it does not
        // show).
        let mut seen = Seen::default();
        while let Some(Text(name)) = map.next_key::<Text<'de>>()? {
            if !seen.first(&name, self.registered, self.claim.is_some()) {
                return Err(de::Error::custom(format_args!("duplicate member `{name}`")));
            }
            let shape = match (self.claim, &*name) {
                (_, "iat") if self.registered => {
                    // RFC 7519 §4.1.6: a NumericDate, so anything else is
                    // invalid claims.
                    iat = map.next_value::<Option<f64>>()?;
                    continue;
                }
                // Both already checked as numbers by `jsonwebtoken`.
                (_, "exp") if self.registered => {
                    exp = map.next_value::<Option<f64>>()?;
                    continue;
                }
                (_, "nbf") if self.registered => {
                    nbf = map.next_value::<Option<f64>>()?;
                    continue;
                }
                (_, "iss") if self.registered => {
                    iss_is_string = map.next_value::<IsString>()?.0;
                    continue;
                }
                (_, "cnf") if self.registered => {
                    jkt = map
                        .next_value::<Option<Confirmation>>()?
                        .map(Confirmation::into_jkt);
                    continue;
                }
                (Some(ScopesClaim::Scope | ScopesClaim::ScopeOrScopes), "scope") => Shape::String,
                (Some(ScopesClaim::Scopes | ScopesClaim::ScopeOrScopes), "scopes") => Shape::Array,
                (Some(ScopesClaim::Scp), "scp") => Shape::Either,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // The tutorial's `scopes` come before `scope` whatever the order
            // in the payload.
            let out = if name == "scope" {
                &mut scope_string
            } else {
                &mut scopes
            };
            map.next_value_seed(ScopeList { shape, out })?;
        }
        if scopes.is_empty() {
            // Reuse the buffer rather than copy into a fresh one.
            scopes = scope_string;
        } else {
            scopes.append(&mut scope_string);
        }
        Ok(Payload {
            iat,
            exp,
            nbf,
            iss_is_string,
            scopes,
            jkt,
        })
    }
}

/// Whether a JSON value is a string, read without keeping it.
struct IsString(bool);

impl<'de> Deserialize<'de> for IsString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KindVisitor;

        impl<'de> Visitor<'de> for KindVisitor {
            type Value = IsString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_str<E: de::Error>(self, _: &str) -> Result<IsString, E> {
                Ok(IsString(true))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<IsString, E> {
                Ok(IsString(false))
            }

            fn visit_i64<E: de::Error>(self, _: i64) -> Result<IsString, E> {
                Ok(IsString(false))
            }

            fn visit_u64<E: de::Error>(self, _: u64) -> Result<IsString, E> {
                Ok(IsString(false))
            }

            fn visit_f64<E: de::Error>(self, _: f64) -> Result<IsString, E> {
                Ok(IsString(false))
            }

            fn visit_unit<E: de::Error>(self) -> Result<IsString, E> {
                Ok(IsString(false))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<IsString, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(IsString(false))
            }

            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<IsString, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(IsString(false))
            }
        }

        deserializer.deserialize_any(KindVisitor)
    }
}

#[derive(Clone, Copy)]
enum Shape {
    String,
    Array,
    Either,
}

/// One scopes claim, appended to `out`.
struct ScopeList<'o> {
    shape: Shape,
    out: &'o mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for ScopeList<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScopeList<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.shape {
            Shape::String => "a space-delimited string of scopes",
            Shape::Array => "an array of scope strings",
            Shape::Either => "a space-delimited string or an array of scopes",
        })
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        // `null` counts as absent for a string claim; the tutorial's `scopes`
        // list must be a list (pydantic rejects `null` there too).
        if matches!(self.shape, Shape::Array) {
            return Err(E::invalid_type(de::Unexpected::Unit, &self));
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        if matches!(self.shape, Shape::Array) {
            return Err(E::invalid_type(de::Unexpected::Str(value), &self));
        }
        // RFC 6749 §3.3: single spaces; runs of spaces yield no empty scope.
        let words = value.split(' ').filter(|word| !word.is_empty());
        self.out.reserve_exact(words.clone().count());
        self.out.extend(words.map(str::to_owned));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if matches!(self.shape, Shape::String) {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        while let Some(Text(scope)) = seq.next_element::<Text<'de>>()? {
            self.out.push(scope.into_owned());
        }
        Ok(())
    }
}

/// A JSON string borrowed from the input unless it holds escapes. serde's
/// own `Cow<str>` always copies once nested (in an `Option`, a map key, a
/// sequence element), which would cost an allocation per claim name (the
/// target "ES256 cache off" of benchmarks/README.md).
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(PhantomData<Text<'a>>);

        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, value: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(value)))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(value.to_owned())))
            }
        }

        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}
