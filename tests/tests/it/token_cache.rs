//! The verified-token cache of the core (`Authenticator`): every rule of
//! runtime/src/jwt/cache.rs, through the public API, with ES256 and RS256 keys.

use std::time::Duration;

use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::{JwksOptions, Key, TokenCacheOptions};
use axum_scopes::{Authenticator, Issuer, TokenError, dangerous};
use axum_scopes_tests::provider::{Provider, TestKey, fixture};
use axum_scopes_tests::token::now;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

/// Another claims type, to show the cache serves each type from the payload.
#[derive(Debug, Deserialize)]
struct Named {
    name: String,
}

const ISS: &str = "https://issuer.test";

fn ec_key() -> TestKey {
    TestKey::from_fixture("ec-p256", "ec", Algorithm::ES256)
}

fn claims(exp: u64) -> Value {
    json!({ "sub": "alice", "name": "Alice", "iss": ISS, "scope": "items me", "exp": exp })
}

/// An authenticator trusting the ES256 fixture key for `ISS`.
async fn authenticator(leeway: Duration, cache: TokenCacheOptions) -> Authenticator {
    let key = Key::from_pem(&fixture("ec-p256.pub.pem"), &[Algorithm::ES256])
        .unwrap()
        .with_kid("ec");
    Authenticator::builder()
        .issuer(Issuer::new(ISS).key(key))
        .leeway(leeway)
        .token_cache(cache)
        .build()
        .await
        .expect("authenticator builds")
}

async fn sub(auth: &Authenticator, token: &str) -> Result<String, TokenError> {
    Ok(auth.verify::<Claims>(token.as_bytes()).await?.claims.sub)
}

#[tokio::test]
async fn an_accepted_token_is_cached_and_served_for_every_claims_type() {
    let auth = authenticator(Duration::ZERO, TokenCacheOptions::default()).await;
    let token = ec_key().sign(&claims(now() + 600));
    assert_eq!(auth.cached_tokens(), 0);
    assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    assert_eq!(auth.cached_tokens(), 1);
    // A hit: the same answer, the scopes too, and another claims type from the same entry.
    let verified = auth.verify::<Claims>(token.as_bytes()).await.unwrap();
    assert_eq!(verified.claims.sub, "alice");
    assert_eq!(verified.scopes.as_slice(), ["items", "me"]);
    let named = auth.verify::<Named>(token.as_bytes()).await.unwrap();
    assert_eq!(named.claims.name, "Alice");
    assert_eq!(auth.cached_tokens(), 1);
}

#[tokio::test]
async fn a_claims_type_the_cached_payload_does_not_fit_gets_the_uncached_error() {
    #[derive(Debug, Deserialize)]
    struct NeedsAge {
        #[allow(dead_code)]
        age: u32,
    }
    let auth = authenticator(Duration::ZERO, TokenCacheOptions::default()).await;
    let token = ec_key().sign(&claims(now() + 600));
    sub(&auth, &token).await.unwrap();
    let err = auth.verify::<NeedsAge>(token.as_bytes()).await.unwrap_err();
    assert!(matches!(err, TokenError::InvalidClaims(_)), "{err:?}");
}

#[tokio::test]
async fn rejections_are_never_cached() {
    let auth = authenticator(Duration::ZERO, TokenCacheOptions::default()).await;
    let key = ec_key();
    let expired = key.sign(&claims(now() - 10));
    let foreign =
        key.sign(&json!({ "sub": "alice", "iss": "https://other.test", "exp": now() + 600 }));
    for _ in 0..2 {
        assert!(matches!(
            sub(&auth, &expired).await,
            Err(TokenError::Expired(_))
        ));
        assert!(matches!(
            sub(&auth, &foreign).await,
            Err(TokenError::InvalidIssuer(_))
        ));
    }
    // A tampered copy of an accepted (cached) token has another digest: refused.
    let good = key.sign(&claims(now() + 600));
    sub(&auth, &good).await.unwrap();
    let mut tampered = good.clone().into_bytes();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let err = auth.verify::<Claims>(&tampered).await.unwrap_err();
    assert!(matches!(err, TokenError::InvalidSignature(_)), "{err:?}");
    assert_eq!(auth.cached_tokens(), 1);
}

#[tokio::test]
async fn a_token_that_expires_while_cached_is_refused() {
    let auth = authenticator(Duration::ZERO, TokenCacheOptions::default()).await;
    let token = ec_key().sign(&claims(now() + 1));
    assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    assert_eq!(auth.cached_tokens(), 1);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let err = sub(&auth, &token).await.unwrap_err();
    assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
    assert_eq!(auth.cached_tokens(), 0, "the expired entry is gone");
}

#[tokio::test]
async fn a_cached_token_is_served_within_the_leeway_and_refused_past_it() {
    // Expired a second ago, within a 3 s leeway: accepted and cached until exp + 3 s.
    let auth = authenticator(Duration::from_secs(3), TokenCacheOptions::default()).await;
    let token = ec_key().sign(&claims(now() - 1));
    assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let err = sub(&auth, &token).await.unwrap_err();
    assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_not_yet_valid_is_not_cached_early() {
    // `nbf` 2 s ahead with a 1 s leeway: refused now, accepted once the clock gets there.
    let auth = authenticator(Duration::from_secs(1), TokenCacheOptions::default()).await;
    let mut body = claims(now() + 600);
    body["nbf"] = json!(now() + 2);
    let token = ec_key().sign(&body);
    let err = sub(&auth, &token).await.unwrap_err();
    assert!(matches!(err, TokenError::NotYetValid(_)), "{err:?}");
    assert_eq!(auth.cached_tokens(), 0);
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
}

#[tokio::test]
async fn the_cache_holds_at_most_max_entries() {
    let auth = authenticator(Duration::ZERO, TokenCacheOptions::default().max_entries(8)).await;
    let key = ec_key();
    for i in 0..64 {
        let token = key.sign(&json!({ "sub": "alice", "iss": ISS, "exp": now() + 600, "n": i }));
        assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    }
    let held = auth.cached_tokens();
    assert!((1..=8).contains(&held), "{held} entries held");
}

#[tokio::test]
async fn the_cache_holds_at_most_max_bytes() {
    // Each payload carries 2 KiB of padding, so 16 KiB holds at most 6 such entries.
    let auth = authenticator(
        Duration::ZERO,
        TokenCacheOptions::default().max_bytes(16 * 1024),
    )
    .await;
    let key = ec_key();
    let padding = "x".repeat(2048);
    for i in 0..64 {
        let token = key.sign(
            &json!({ "sub": "alice", "iss": ISS, "exp": now() + 600, "n": i, "pad": padding }),
        );
        assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    }
    let held = auth.cached_tokens();
    assert!((1..=6).contains(&held), "{held} entries held");
}

#[tokio::test]
async fn the_off_switch_caches_nothing() {
    let auth = authenticator(Duration::ZERO, TokenCacheOptions::disabled()).await;
    let token = ec_key().sign(&claims(now() + 600));
    for _ in 0..3 {
        assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
    }
    assert_eq!(auth.cached_tokens(), 0);
    assert!(!TokenCacheOptions::disabled().is_enabled());
    assert!(!TokenCacheOptions::default().max_entries(0).is_enabled());
}

/// An authenticator on `provider`'s JWKS URL, refreshing on every unknown `kid`.
async fn remote(provider: &Provider) -> Authenticator {
    dangerous::allow_http(Authenticator::builder())
        .issuer(Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()))
        .jwks_options(JwksOptions::default().min_refresh_interval(Duration::ZERO))
        .build()
        .await
        .expect("authenticator builds")
}

#[tokio::test]
async fn a_token_of_a_key_withdrawn_by_a_refresh_is_not_served_from_the_cache() {
    let old = TestKey::rsa("old");
    let new = TestKey::from_fixture("rsa-rotated", "new", Algorithm::RS256);
    let provider = Provider::start(std::slice::from_ref(&old)).await;
    let auth = remote(&provider).await;
    let body = json!({ "sub": "alice", "iss": provider.issuer(), "exp": now() + 600 });
    let old_token = old.sign(&body);
    assert_eq!(sub(&auth, &old_token).await.unwrap(), "alice");
    assert_eq!(sub(&auth, &old_token).await.unwrap(), "alice");
    assert_eq!(auth.cached_tokens(), 1);
    let fetches = provider.jwks_requests();

    // The provider withdraws `old`; a token of `new` (unknown kid) triggers the refresh.
    provider.set_keys(std::slice::from_ref(&new));
    let new_token = new.sign(&body);
    assert_eq!(sub(&auth, &new_token).await.unwrap(), "alice");
    assert_eq!(provider.jwks_requests(), fetches + 1);

    let err = sub(&auth, &old_token).await.unwrap_err();
    assert!(matches!(err, TokenError::UnknownKey), "{err:?}");
    assert_eq!(auth.cached_tokens(), 1, "only the new key's token is left");
}

#[tokio::test]
async fn a_refresh_that_keeps_the_key_keeps_its_cached_tokens() {
    let key = TestKey::rsa("k1");
    let other = TestKey::from_fixture("rsa-rotated", "k2", Algorithm::RS256);
    let provider = Provider::start(std::slice::from_ref(&key)).await;
    let auth = remote(&provider).await;
    let body = json!({ "sub": "alice", "iss": provider.issuer(), "exp": now() + 600 });
    let token = key.sign(&body);
    sub(&auth, &token).await.unwrap();
    // A second key is added: the refresh keeps `k1`, and its entry with it.
    provider.set_keys(&[key.clone(), other.clone()]);
    sub(&auth, &other.sign(&body)).await.unwrap();
    assert_eq!(auth.cached_tokens(), 2);
    assert_eq!(sub(&auth, &token).await.unwrap(), "alice");
}

// The same rules for the tutorial's `JwtKeys::verify_scoped` (HS256), whose cache they share.

mod jwt_keys {
    use std::time::Duration;

    use axum_scopes::jwt::{Subject, TokenCacheOptions};
    use axum_scopes::{JwtKeys, TokenError};
    use axum_scopes_tests::token::now;
    use serde::Deserialize;
    use serde_json::{Value, json};

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for the tests";

    fn keys() -> JwtKeys {
        JwtKeys::hs256(SECRET)
    }

    fn claims(exp: u64) -> Value {
        json!({ "sub": "johndoe", "scopes": ["me", "items"], "exp": exp })
    }

    fn sub(keys: &JwtKeys, token: &str) -> Result<String, TokenError> {
        let verified = keys.verify_scoped::<Subject>(token)?;
        Ok(verified.claims.sub.unwrap_or_default())
    }

    #[test]
    fn an_accepted_token_is_cached_and_served_with_its_scopes() {
        #[derive(Debug, Deserialize)]
        struct Exp {
            exp: u64,
        }
        let keys = keys();
        let token = keys.issue(&claims(now() + 600)).unwrap();
        assert_eq!(keys.cached_tokens(), 0);
        assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
        assert_eq!(keys.cached_tokens(), 1);
        let hit = keys.verify_scoped::<Subject>(&token).unwrap();
        assert_eq!(hit.scopes.as_slice(), ["me", "items"]);
        let other = keys.verify_scoped::<Exp>(&token).unwrap();
        assert!(other.claims.exp > now());
        // A clone shares the cache.
        assert_eq!(keys.clone().cached_tokens(), 1);
    }

    #[test]
    fn rejections_are_never_cached() {
        let keys = keys();
        let expired = keys.issue(&claims(now() - 10)).unwrap();
        let foreign = JwtKeys::hs256(b"another secret of at least thirty-two bytes")
            .issue(&claims(now() + 600))
            .unwrap();
        let bad_scopes = keys
            .issue(&json!({ "sub": "johndoe", "scopes": "me", "exp": now() + 600 }))
            .unwrap();
        for _ in 0..2 {
            assert!(matches!(sub(&keys, &expired), Err(TokenError::Expired(_))));
            assert!(matches!(
                sub(&keys, &foreign),
                Err(TokenError::InvalidSignature(_))
            ));
            assert!(matches!(
                sub(&keys, &bad_scopes),
                Err(TokenError::InvalidClaims(_))
            ));
        }
        assert_eq!(keys.cached_tokens(), 0);
        let good = keys.issue(&claims(now() + 600)).unwrap();
        sub(&keys, &good).unwrap();
        let mut tampered = good.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let err = keys.verify_scoped::<Subject>(&tampered).unwrap_err();
        assert!(matches!(err, TokenError::InvalidSignature(_)), "{err:?}");
        assert_eq!(keys.cached_tokens(), 1);
    }

    #[test]
    fn a_token_that_expires_while_cached_is_refused() {
        let keys = keys();
        let token = keys.issue(&claims(now() + 1)).unwrap();
        assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
        assert_eq!(keys.cached_tokens(), 1);
        std::thread::sleep(Duration::from_millis(2_100));
        let err = sub(&keys, &token).unwrap_err();
        assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
        assert_eq!(keys.cached_tokens(), 0, "the expired entry is gone");
    }

    #[test]
    fn a_cached_token_is_served_within_the_leeway_and_refused_past_it() {
        let keys = keys().leeway(Duration::from_secs(3));
        let token = keys.issue(&claims(now() - 1)).unwrap();
        assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
        assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
        std::thread::sleep(Duration::from_millis(3_100));
        let err = sub(&keys, &token).unwrap_err();
        assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
    }

    #[test]
    fn a_changed_setting_starts_an_empty_cache() {
        // Accepted and cached within a 3 s leeway; keys without the leeway refuse it.
        let lenient = keys().leeway(Duration::from_secs(3));
        let token = lenient.issue(&claims(now() - 1)).unwrap();
        sub(&lenient, &token).unwrap();
        let strict = lenient.clone().leeway(Duration::ZERO);
        assert_eq!(strict.cached_tokens(), 0);
        let err = sub(&strict, &token).unwrap_err();
        assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
        assert_eq!(lenient.cached_tokens(), 1, "the original keeps its cache");
    }

    #[test]
    fn a_token_not_yet_valid_is_not_cached_early() {
        let keys = keys().leeway(Duration::from_secs(1));
        let mut body = claims(now() + 600);
        body["nbf"] = json!(now() + 2);
        let token = keys.issue(&body).unwrap();
        let err = sub(&keys, &token).unwrap_err();
        assert!(matches!(err, TokenError::NotYetValid(_)), "{err:?}");
        assert_eq!(keys.cached_tokens(), 0);
        std::thread::sleep(Duration::from_millis(2_100));
        assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
    }

    #[test]
    fn the_cache_holds_at_most_max_entries() {
        let keys = keys().token_cache(TokenCacheOptions::default().max_entries(8));
        for i in 0..64 {
            let token = keys
                .issue(&json!({ "sub": "johndoe", "exp": now() + 600, "n": i }))
                .unwrap();
            assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
        }
        let held = keys.cached_tokens();
        assert!((1..=8).contains(&held), "{held} entries held");
    }

    #[test]
    fn the_off_switch_caches_nothing() {
        let keys = keys().token_cache(TokenCacheOptions::disabled());
        let token = keys.issue(&claims(now() + 600)).unwrap();
        for _ in 0..3 {
            assert_eq!(sub(&keys, &token).unwrap(), "johndoe");
        }
        assert_eq!(keys.cached_tokens(), 0);
    }
}
