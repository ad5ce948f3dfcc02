//! Server nonces (RFC 9449 §8), stateless so that every replica accepts a nonce another one
//! issued: a nonce is `<window>.<HMAC-SHA256(secret, window)>`, where `window` counts the
//! nonce lifetimes since 1970. A nonce of the current or the previous window is accepted, so a
//! nonce lives between one and two windows and rotates by itself; replicas share the secret.
//!
//! The HMAC is `jsonwebtoken`'s (HS256 over the window's digits), whose verification compares
//! in constant time.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

/// The secret and window of the nonces.
#[derive(Clone)]
pub(crate) struct Nonces {
    signing: EncodingKey,
    checking: DecodingKey,
    window: u64,
}

impl std::fmt::Debug for Nonces {
    /// Never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces")
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The shortest secret accepted: the output size of SHA-256 (RFC 7518 §3.2).
pub(crate) const MIN_SECRET_LEN: usize = 32;

impl Nonces {
    /// Nonces keyed with `secret` (at least [`MIN_SECRET_LEN`] bytes), each window `window`
    /// long (at least one second).
    pub(crate) fn new(secret: &[u8], window: Duration) -> Option<Self> {
        if secret.len() < MIN_SECRET_LEN {
            return None;
        }
        crate::crypto::install_crypto_provider();
        Some(Self {
            signing: EncodingKey::from_secret(secret).ok()?,
            checking: DecodingKey::from_secret(secret).ok()?,
            window: window.as_secs().max(1),
        })
    }

    /// A nonce of the window holding `now` (seconds since 1970).
    pub(crate) fn issue(&self, now: u64) -> Option<String> {
        let window = (now / self.window).to_string();
        let mac =
            jsonwebtoken::crypto::sign(window.as_bytes(), &self.signing, Algorithm::HS256).ok()?;
        Some(format!("{window}.{mac}"))
    }

    /// Whether `nonce` was issued with this secret in the window holding `now` or the one
    /// before.
    pub(crate) fn accepts(&self, nonce: &str, now: u64) -> bool {
        let Some((window, mac)) = nonce.split_once('.') else {
            return false;
        };
        let Ok(issued) = window.parse::<u64>() else {
            return false;
        };
        let current = now / self.window;
        if issued != current && issued.checked_add(1) != Some(current) {
            return false;
        }
        jsonwebtoken::crypto::verify(mac, window.as_bytes(), &self.checking, Algorithm::HS256)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_hold_for_two_windows_and_only_with_the_secret() {
        let secret = [7u8; 32];
        let nonces = Nonces::new(&secret, Duration::from_secs(60)).unwrap();
        let other = Nonces::new(&[8u8; 32], Duration::from_secs(60)).unwrap();
        let nonce = nonces.issue(6_000).unwrap();
        assert!(nonces.accepts(&nonce, 6_000));
        assert!(nonces.accepts(&nonce, 6_119));
        assert!(!nonces.accepts(&nonce, 6_120));
        assert!(!nonces.accepts(&nonce, 5_999));
        // Another replica with the same secret accepts it; another secret does not.
        let replica = Nonces::new(&secret, Duration::from_secs(60)).unwrap();
        assert!(replica.accepts(&nonce, 6_001));
        assert!(!other.accepts(&nonce, 6_000));
        for forged in [
            "",
            "100",
            "100.",
            "x.y",
            "18446744073709551615.abc",
            &nonce[1..],
        ] {
            assert!(!nonces.accepts(forged, 6_000), "{forged}");
        }
        assert!(Nonces::new(&[0; 31], Duration::from_secs(60)).is_none());
    }
}
