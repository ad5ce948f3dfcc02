//! Production verification: every algorithm and key source with real keys, the JWKS client
//! against a live provider on 127.0.0.1 (rotation, `kid` storms, outages, slow and oversized
//! answers), and the RFC 8725 attacks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum_scopes::jsonwebtoken::jwk::Jwk;
use axum_scopes::jsonwebtoken::{Algorithm, Header};
use axum_scopes::jwt::{
    AuthenticatorBuilder, BuildError, JwksError, JwksOptions, Key, ScopesClaim,
};
use axum_scopes::{Authenticator, Issuer, TokenError, dangerous};
use axum_scopes_tests::provider::{Behaviour, Provider, TestKey, fixture};
use axum_scopes_tests::token::{forge, hmac, now};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for HS512 too, and then some more";

fn claims(iss: &str) -> Value {
    json!({ "sub": "alice", "iss": iss, "scope": "items me", "exp": now() + 600 })
}

async fn verify(auth: &Authenticator, token: &str) -> Result<Vec<String>, TokenError> {
    let verified = auth.verify::<Claims>(token.as_bytes()).await?;
    assert_eq!(verified.claims.sub, "alice");
    Ok(verified.scopes.iter().map(str::to_owned).collect())
}

fn http(builder: AuthenticatorBuilder) -> AuthenticatorBuilder {
    dangerous::allow_http(builder)
}

/// A provider publishing `keys`, and an authenticator reading its JWKS URL.
async fn remote(keys: &[TestKey], options: JwksOptions) -> (Provider, Authenticator) {
    let provider = Provider::start(keys).await;
    let auth = http(Authenticator::builder())
        .issuer(Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()))
        .jwks_options(options)
        .build()
        .await
        .expect("authenticator builds");
    (provider, auth)
}

fn all_asymmetric_keys() -> Vec<TestKey> {
    let mut keys = Vec::new();
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        keys.push(TestKey::rsa(&format!("rsa-{alg:?}")).with_alg(alg));
    }
    keys.push(TestKey::from_fixture("ec-p256", "ec256", Algorithm::ES256));
    keys.push(TestKey::from_fixture("ec-p384", "ec384", Algorithm::ES384));
    keys.push(TestKey::from_fixture("ed25519", "ed", Algorithm::EdDSA));
    keys
}

#[tokio::test]
async fn every_algorithm_verifies_from_secret_pem_der_and_static_jwks() {
    let iss = "https://issuer.test";
    let keys = all_asymmetric_keys();

    // Secrets, one per HMAC algorithm, told apart by kid.
    let mut issuer = Issuer::new(iss);
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        issuer = issuer.key(
            Key::secret(SECRET, &[alg])
                .unwrap()
                .with_kid(format!("{alg:?}")),
        );
    }
    // PEM public keys.
    for key in &keys {
        let file = match key.alg {
            Algorithm::ES256 => "ec-p256",
            Algorithm::ES384 => "ec-p384",
            Algorithm::EdDSA => "ed25519",
            _ => "rsa",
        };
        let pem = fixture(&format!("{file}.pub.pem"));
        issuer = issuer.key(
            Key::from_pem(&pem, &[key.alg])
                .unwrap()
                .with_kid(key.kid.clone()),
        );
    }
    // DER public keys.
    for (file, alg) in [
        ("rsa", Algorithm::RS256),
        ("ec-p256", Algorithm::ES256),
        ("ed25519", Algorithm::EdDSA),
    ] {
        let der = fixture(&format!("{file}.pub.der"));
        issuer = issuer.key(
            Key::from_der(&der, &[alg])
                .unwrap()
                .with_kid(format!("der-{file}")),
        );
    }
    let auth = Authenticator::builder()
        .issuer(issuer)
        .build()
        .await
        .unwrap();

    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let header = format!(r#"{{"alg":"{alg:?}","kid":"{alg:?}","typ":"JWT"}}"#);
        let token = forge(&header, &claims(iss).to_string(), |m| hmac(m, SECRET, alg));
        assert_eq!(
            verify(&auth, &token).await.unwrap(),
            ["items", "me"],
            "{alg:?}"
        );
    }
    for key in &keys {
        let token = key.sign(&claims(iss));
        assert!(verify(&auth, &token).await.is_ok(), "PEM {:?}", key.alg);
    }
    for (file, alg) in [
        ("rsa", Algorithm::RS256),
        ("ec-p256", Algorithm::ES256),
        ("ed25519", Algorithm::EdDSA),
    ] {
        let key = TestKey::from_fixture(file, &format!("der-{file}"), alg);
        assert!(
            verify(&auth, &key.sign(&claims(iss))).await.is_ok(),
            "DER {alg:?}"
        );
    }

    // The same keys as static JWKS text, plus an `oct` key.
    let mut jwks: Value =
        serde_json::from_str(&axum_scopes_tests::provider::jwks_json(&keys)).unwrap();
    jwks["keys"].as_array_mut().unwrap().push(json!({
        "kty": "oct", "kid": "oct", "alg": "HS256",
        "k": base64_url(SECRET),
    }));
    let auth = Authenticator::builder()
        .issuer(Issuer::new(iss).jwks(&jwks.to_string()).unwrap())
        .build()
        .await
        .unwrap();
    for key in &keys {
        assert!(
            verify(&auth, &key.sign(&claims(iss))).await.is_ok(),
            "JWKS {:?}",
            key.alg
        );
    }
    let token = forge(
        r#"{"alg":"HS256","kid":"oct"}"#,
        &claims(iss).to_string(),
        |m| hmac(m, SECRET, Algorithm::HS256),
    );
    assert!(verify(&auth, &token).await.is_ok());
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn keys_refuse_algorithms_of_another_family() {
    let pem = fixture("rsa.pub.pem");
    assert!(Key::from_pem(&pem, &[Algorithm::HS256]).is_err());
    assert!(Key::from_pem(&pem, &[Algorithm::RS256, Algorithm::ES256]).is_err());
    assert!(Key::from_pem(&pem, &[]).is_err());
    assert!(Key::secret(SECRET, &[Algorithm::RS256]).is_err());
    // A JWK whose `alg` contradicts its key type, an encryption key, an Ed25519 key of the
    // wrong length.
    let rsa = TestKey::rsa("k").jwk();
    let mut lying: Jwk = rsa.clone();
    lying.common.key_algorithm = Some(axum_scopes::jsonwebtoken::jwk::KeyAlgorithm::HS256);
    assert!(Key::from_jwk(&lying).is_err());
    let enc: Jwk = serde_json::from_value(json!({
        "kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"
    }))
    .unwrap();
    assert!(Key::from_jwk(&enc).is_err());
    let short: Jwk =
        serde_json::from_value(json!({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"})).unwrap();
    assert!(Key::from_jwk(&short).is_err());
}

#[tokio::test]
async fn jwks_url_and_discovery_verify_every_asymmetric_algorithm() {
    let keys = all_asymmetric_keys();
    let (provider, auth) = remote(&keys, JwksOptions::default()).await;
    for key in &keys {
        assert!(
            verify(&auth, &key.sign(&claims(&provider.issuer())))
                .await
                .is_ok()
        );
    }
    assert_eq!(provider.jwks_requests(), 1);

    let discovered = http(Authenticator::builder())
        .issuer(Issuer::discover(provider.issuer()))
        .build()
        .await
        .unwrap();
    assert_eq!(provider.discovery_requests(), 1);
    for key in &keys {
        assert!(
            verify(&discovered, &key.sign(&claims(&provider.issuer())))
                .await
                .is_ok()
        );
    }
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_refused() {
    let provider = Provider::start(&[TestKey::rsa("k1")]).await;
    provider.set_discovery_issuer("https://evil.test");
    let err = http(Authenticator::builder())
        .issuer(Issuer::discover(provider.issuer()))
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BuildError::Jwks { source: JwksError::IssuerMismatch { found, .. }, .. } if found == "https://evil.test"),
        "{err:?}"
    );
    // A trailing slash is a different issuer too.
    provider.set_discovery_issuer(&format!("{}/", provider.issuer()));
    let err = http(Authenticator::builder())
        .issuer(Issuer::discover(provider.issuer()))
        .build()
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        BuildError::Jwks {
            source: JwksError::IssuerMismatch { .. },
            ..
        }
    ));
}

#[tokio::test]
async fn http_urls_need_the_dangerous_opt_in() {
    let provider = Provider::start(&[TestKey::rsa("k1")]).await;
    for issuer in [
        Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()),
        Issuer::discover(provider.issuer()),
    ] {
        let err = Authenticator::builder()
            .issuer(issuer)
            .build()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                BuildError::Jwks {
                    source: JwksError::InsecureUrl,
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(provider.jwks_requests() + provider.discovery_requests(), 0);
}

#[tokio::test]
async fn rotation_new_kid_is_fetched_once_then_accepted() {
    let old = TestKey::rsa("old");
    let new = TestKey::from_fixture("rsa-rotated", "new", Algorithm::RS256);
    let (provider, auth) = remote(std::slice::from_ref(&old), JwksOptions::default()).await;
    let iss = provider.issuer();
    assert!(verify(&auth, &old.sign(&claims(&iss))).await.is_ok());

    provider.set_keys(&[old.clone(), new.clone()]);
    assert!(verify(&auth, &new.sign(&claims(&iss))).await.is_ok());
    assert_eq!(provider.jwks_requests(), 2, "one refresh for the new kid");
    assert!(verify(&auth, &new.sign(&claims(&iss))).await.is_ok());
    assert!(verify(&auth, &old.sign(&claims(&iss))).await.is_ok());
    assert_eq!(provider.jwks_requests(), 2, "known kids never fetch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_kid_storm_causes_a_single_refresh() {
    let key = TestKey::rsa("known");
    let (provider, auth) = remote(std::slice::from_ref(&key), JwksOptions::default()).await;
    // The provider answers slowly, so every request arrives while the refresh is in flight.
    provider.set_behaviour(Behaviour::Sleep(Duration::from_millis(200)));
    let unknown = TestKey::rsa("never-published").sign(&claims(&provider.issuer()));
    let unknown = Arc::new(unknown);
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let auth = auth.clone();
        let token = Arc::clone(&unknown);
        tasks.push(tokio::spawn(async move {
            auth.verify::<Claims>(token.as_bytes()).await.map(|_| ())
        }));
    }
    for task in tasks {
        let result = task.await.unwrap();
        assert!(matches!(result, Err(TokenError::UnknownKey)), "{result:?}");
    }
    assert_eq!(
        provider.jwks_requests(),
        2,
        "initial fetch + exactly one refresh"
    );
    // Within the rate limit, more unknown kids cost the provider nothing.
    assert!(matches!(
        verify(&auth, &unknown).await,
        Err(TokenError::UnknownKey)
    ));
    assert_eq!(provider.jwks_requests(), 2);
}

#[tokio::test]
async fn outage_keeps_serving_the_keys_already_fetched() {
    let key = TestKey::rsa("k1");
    let options = JwksOptions::default().min_refresh_interval(Duration::ZERO);
    let (provider, auth) = remote(std::slice::from_ref(&key), options).await;
    provider.set_behaviour(Behaviour::Fail);
    let iss = provider.issuer();

    let unknown = TestKey::rsa("k2").sign(&claims(&iss));
    assert!(matches!(
        verify(&auth, &unknown).await,
        Err(TokenError::KeysUnavailable)
    ));
    assert_eq!(
        provider.jwks_requests(),
        2,
        "the refresh was tried and failed"
    );
    assert!(
        verify(&auth, &key.sign(&claims(&iss))).await.is_ok(),
        "stale key still verifies"
    );

    provider.set_behaviour(Behaviour::Serve);
    assert!(matches!(
        verify(&auth, &unknown).await,
        Err(TokenError::UnknownKey)
    ));
}

#[tokio::test]
async fn slow_provider_times_out_within_the_bound() {
    let key = TestKey::rsa("k1");
    let provider = Provider::start(std::slice::from_ref(&key)).await;
    provider.set_behaviour(Behaviour::Sleep(Duration::from_secs(5)));
    let options = JwksOptions::default().timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = http(Authenticator::builder())
        .issuer(Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()))
        .jwks_options(options.clone())
        .build()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            BuildError::Jwks {
                source: JwksError::Timeout(_),
                ..
            }
        ),
        "{err:?}"
    );

    // Once running, a slow refresh times out too and the old keys stay.
    provider.set_behaviour(Behaviour::Serve);
    let (provider, auth) = remote(
        std::slice::from_ref(&key),
        options.min_refresh_interval(Duration::ZERO),
    )
    .await;
    provider.set_behaviour(Behaviour::Sleep(Duration::from_secs(5)));
    let started = Instant::now();
    let unknown = TestKey::rsa("k2").sign(&claims(&provider.issuer()));
    assert!(matches!(
        verify(&auth, &unknown).await,
        Err(TokenError::KeysUnavailable)
    ));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        verify(&auth, &key.sign(&claims(&provider.issuer())))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn oversized_jwks_is_rejected_and_old_keys_kept() {
    let key = TestKey::rsa("k1");
    let provider = Provider::start(std::slice::from_ref(&key)).await;
    provider.set_behaviour(Behaviour::Oversized);
    let err = http(Authenticator::builder())
        .issuer(Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()))
        .build()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::Jwks {
                source: JwksError::TooLarge { limit: 262_144 },
                ..
            }
        ),
        "{err:?}"
    );

    let options = JwksOptions::default().min_refresh_interval(Duration::ZERO);
    let (provider, auth) = remote(std::slice::from_ref(&key), options).await;
    provider.set_behaviour(Behaviour::Oversized);
    let unknown = TestKey::rsa("k2").sign(&claims(&provider.issuer()));
    assert!(matches!(
        verify(&auth, &unknown).await,
        Err(TokenError::KeysUnavailable)
    ));
    assert!(
        verify(&auth, &key.sign(&claims(&provider.issuer())))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn background_refresh_follows_cache_control() {
    let key = TestKey::rsa("k1");
    let provider = Provider::start(std::slice::from_ref(&key)).await;
    provider.set_cache_control(Some("public, max-age=1"));
    let options =
        JwksOptions::default().max_age_bounds(Duration::from_secs(1), Duration::from_secs(60));
    let auth = http(Authenticator::builder())
        .issuer(Issuer::new(provider.issuer()).jwks_url(provider.jwks_url()))
        .jwks_options(options)
        .build()
        .await
        .unwrap();
    // A rotated key is published; the background task picks it up without any token asking.
    let new = TestKey::from_fixture("rsa-rotated", "k2", Algorithm::RS256);
    provider.set_keys(&[key, new.clone()]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let background = provider.jwks_requests();
    assert!(
        background >= 3,
        "{background} fetches in 2.5 s with max-age=1"
    );
    assert!(
        verify(&auth, &new.sign(&claims(&provider.issuer())))
            .await
            .is_ok()
    );

    // Dropping the authenticator ends the task.
    drop(auth);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let after_drop = provider.jwks_requests();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(provider.jwks_requests(), after_drop);
}

#[tokio::test]
async fn several_issuers_bind_their_keys_to_their_iss() {
    let a = TestKey::rsa("a");
    let b = TestKey::from_fixture("ec-p256", "b", Algorithm::ES256);
    let a_pem = fixture("rsa.pub.pem");
    let b_pem = fixture("ec-p256.pub.pem");
    let auth = Authenticator::builder()
        .issuer(
            Issuer::new("https://a.test").key(
                Key::from_pem(&a_pem, &[Algorithm::RS256])
                    .unwrap()
                    .with_kid("a"),
            ),
        )
        .issuer(
            Issuer::new("https://b.test").key(
                Key::from_pem(&b_pem, &[Algorithm::ES256])
                    .unwrap()
                    .with_kid("b"),
            ),
        )
        .build()
        .await
        .unwrap();
    assert!(
        verify(&auth, &a.sign(&claims("https://a.test")))
            .await
            .is_ok()
    );
    assert!(
        verify(&auth, &b.sign(&claims("https://b.test")))
            .await
            .is_ok()
    );
    // A's key vouching for B's issuer (or no issuer) is not enough.
    assert!(matches!(
        verify(&auth, &a.sign(&claims("https://b.test"))).await,
        Err(TokenError::InvalidIssuer(_))
    ));
    let mut no_iss = claims("");
    no_iss.as_object_mut().unwrap().remove("iss");
    assert!(matches!(
        verify(&auth, &a.sign(&no_iss)).await,
        Err(TokenError::MissingClaim { claim: "iss", .. })
    ));
}

#[tokio::test]
async fn key_without_kid_only_when_exactly_one_fits() {
    let rsa = TestKey::rsa("ignored");
    let pem = fixture("rsa.pub.pem");
    let one = Authenticator::builder()
        .issuer(
            Issuer::new("https://a.test").key(Key::from_pem(&pem, &[Algorithm::RS256]).unwrap()),
        )
        .build()
        .await
        .unwrap();
    let no_kid = rsa.sign_with_header(&Header::new(Algorithm::RS256), &claims("https://a.test"));
    assert!(verify(&one, &no_kid).await.is_ok());
    // A kid is compared exactly: it does not match a key configured without one.
    assert!(matches!(
        verify(&one, &rsa.sign(&claims("https://a.test"))).await,
        Err(TokenError::UnknownKey)
    ));

    let two = Authenticator::builder()
        .issuer(
            Issuer::new("https://a.test")
                .key(Key::from_pem(&pem, &[Algorithm::RS256]).unwrap())
                .key(Key::from_pem(&fixture("rsa-rotated.pub.pem"), &[Algorithm::RS256]).unwrap()),
        )
        .build()
        .await
        .unwrap();
    assert!(matches!(
        verify(&two, &no_kid).await,
        Err(TokenError::AmbiguousKey)
    ));
}

/// Keycloak's realm roles as scopes.
fn realm_roles(claims: &Value) -> Vec<String> {
    claims["realm_access"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|role| role.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn scopes_claim_is_configurable() {
    let iss = "https://a.test";
    let key = TestKey::rsa("k");
    let pem = fixture("rsa.pub.pem");
    let build = |claim: ScopesClaim| {
        Authenticator::builder()
            .issuer(
                Issuer::new(iss).key(
                    Key::from_pem(&pem, &[Algorithm::RS256])
                        .unwrap()
                        .with_kid("k"),
                ),
            )
            .scopes_claim(claim)
            .build()
    };
    let token = |extra: Value| {
        let mut claims = claims(iss);
        let object = claims.as_object_mut().unwrap();
        object.remove("scope");
        object.extend(extra.as_object().unwrap().clone());
        key.sign(&claims)
    };
    let default = build(ScopesClaim::default()).await.unwrap();
    let both = token(json!({"scopes": ["a", "b"], "scope": "b  c"}));
    assert_eq!(verify(&default, &both).await.unwrap(), ["a", "b", "c"]);

    let scope = build(ScopesClaim::Scope).await.unwrap();
    assert_eq!(verify(&scope, &both).await.unwrap(), ["b", "c"]);
    assert!(matches!(
        verify(&scope, &token(json!({"scope": ["a"]}))).await,
        Err(TokenError::InvalidClaims(_))
    ));

    let scp = build(ScopesClaim::Scp).await.unwrap();
    assert_eq!(
        verify(&scp, &token(json!({"scp": "x y"}))).await.unwrap(),
        ["x", "y"]
    );
    assert_eq!(
        verify(&scp, &token(json!({"scp": ["x", "y"]})))
            .await
            .unwrap(),
        ["x", "y"]
    );
    assert!(verify(&scp, &both).await.unwrap().is_empty());

    let scopes = build(ScopesClaim::Scopes).await.unwrap();
    assert_eq!(verify(&scopes, &both).await.unwrap(), ["a", "b"]);
    assert!(matches!(
        verify(&scopes, &token(json!({"scopes": "a b"}))).await,
        Err(TokenError::InvalidClaims(_))
    ));

    let keycloak = build(ScopesClaim::Custom(realm_roles)).await.unwrap();
    let roles = token(json!({"realm_access": {"roles": ["admin", "user"]}}));
    assert_eq!(verify(&keycloak, &roles).await.unwrap(), ["admin", "user"]);
}

/// The authenticator the attack tests aim at: the provider's RSA key `k1` (RS256), issuer and
/// audience checked, `typ: at+jwt` required.
async fn target() -> (Provider, Authenticator, TestKey) {
    let key = TestKey::rsa("k1");
    let provider = Provider::start(std::slice::from_ref(&key)).await;
    let auth = http(Authenticator::builder())
        .issuer(
            Issuer::new(provider.issuer())
                .jwks_url(provider.jwks_url())
                .audience("api"),
        )
        .require_access_token_type()
        .build()
        .await
        .unwrap();
    (provider, auth, key)
}

fn at_jwt(key: &TestKey) -> Header {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    header.typ = Some("at+jwt".to_owned());
    header
}

fn good_claims(provider: &Provider) -> Value {
    let mut claims = claims(&provider.issuer());
    claims["aud"] = json!("api");
    claims
}

#[tokio::test]
#[allow(
    clippy::too_many_lines,
    reason = "one attack per paragraph, read top to bottom"
)]
async fn rfc_8725_attacks_are_rejected() {
    let (provider, auth, key) = target().await;
    let good = good_claims(&provider);
    let signed = |header: &Header, claims: &Value| key.sign_with_header(header, claims);
    assert!(verify(&auth, &signed(&at_jwt(&key), &good)).await.is_ok());
    // `application/at+jwt`, any case, is the same type.
    let mut header = at_jwt(&key);
    header.typ = Some("Application/AT+JWT".to_owned());
    assert!(verify(&auth, &signed(&header, &good)).await.is_ok());
    let payload = good.to_string();

    // alg: none, with and without a signature.
    for token in [
        forge(
            r#"{"alg":"none","kid":"k1","typ":"at+jwt"}"#,
            &payload,
            |_| String::new(),
        ),
        forge(
            r#"{"alg":"none","kid":"k1","typ":"at+jwt"}"#,
            &payload,
            |_| "c2ln".into(),
        ),
        forge(r#"{"alg":"None","typ":"at+jwt"}"#, &payload, |_| {
            String::new()
        }),
    ] {
        let err = verify(&auth, &token).await.unwrap_err();
        assert!(matches!(err, TokenError::Malformed(_)), "{err:?}");
    }

    // Algorithm confusion: HS256 keyed with the RSA public key's PEM (and DER) bytes.
    for public in [fixture("rsa.pub.pem"), fixture("rsa.pub.der")] {
        for header in [
            r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#,
            r#"{"alg":"HS256","typ":"at+jwt"}"#,
        ] {
            let token = forge(header, &payload, |m| hmac(m, &public, Algorithm::HS256));
            let err = verify(&auth, &token).await.unwrap_err();
            assert!(matches!(err, TokenError::DisallowedAlgorithm(_)), "{err:?}");
        }
    }

    // kid with path or SQL text: just unknown keys (one rate-limited refresh at most).
    for kid in ["../../etc/passwd", "' OR 1=1 --", "/dev/null", "k1\u{0}"] {
        let mut header = at_jwt(&key);
        header.kid = Some(kid.to_owned());
        let err = verify(&auth, &signed(&header, &good)).await.unwrap_err();
        assert!(matches!(err, TokenError::UnknownKey), "{kid}: {err:?}");
    }
    assert!(provider.jwks_requests() <= 2);

    // jku / x5u / embedded jwk pointing at attacker keys: never fetched, never used.
    let attacker = Provider::attacker_key();
    for kid in ["attacker", "k1"] {
        let mut header = at_jwt(&attacker);
        header.kid = Some(kid.to_owned());
        header.jku = Some(provider.url("/attacker/jwks"));
        header.x5u = Some(provider.url("/attacker/cert"));
        header.jwk = Some(attacker.jwk());
        let err = verify(&auth, &attacker.sign_with_header(&header, &good))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                TokenError::UnknownKey | TokenError::InvalidSignature(_)
            ),
            "{kid}: {err:?}"
        );
    }
    assert_eq!(
        provider.attacker_requests(),
        0,
        "jku/x5u were never fetched"
    );

    // crit, even naming a header that is present.
    let mut header = at_jwt(&key);
    header.crit = Some(vec!["exp".to_owned()]);
    header.extras.insert("exp", 1);
    let err = verify(&auth, &signed(&header, &good)).await.unwrap_err();
    assert!(matches!(err, TokenError::CriticalHeader), "{err:?}");

    // Time claims, zero leeway.
    let with = |name: &str, value: Value| {
        let mut claims = good.clone();
        claims[name] = value;
        signed(&at_jwt(&key), &claims)
    };
    let err = verify(&auth, &with("exp", json!(now() - 1)))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::Expired(_)), "{err:?}");
    let err = verify(&auth, &with("nbf", json!(now() + 60)))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NotYetValid(_)), "{err:?}");
    let err = verify(&auth, &with("iat", json!(now() + 60)))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NotYetValid(_)), "{err:?}");
    assert!(verify(&auth, &with("iat", json!(now() - 60))).await.is_ok());

    // Issuer and audience.
    let err = verify(&auth, &with("iss", json!("https://evil.test")))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::InvalidIssuer(_)), "{err:?}");
    let err = verify(&auth, &with("aud", json!("other-api")))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::InvalidAudience(_)), "{err:?}");
    let err = verify(&auth, &with("aud", json!(["other", "more"])))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::InvalidAudience(_)), "{err:?}");

    // typ other than at+jwt.
    for typ in [Some("JWT"), None, Some("at+jwt2")] {
        let mut header = at_jwt(&key);
        header.typ = typ.map(str::to_owned);
        let err = verify(&auth, &signed(&header, &good)).await.unwrap_err();
        assert!(matches!(err, TokenError::WrongType), "{typ:?}: {err:?}");
    }

    // Oversized.
    let mut big = good.clone();
    big["pad"] = json!("x".repeat(8 * 1024));
    let err = verify(&auth, &signed(&at_jwt(&key), &big))
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::TooLarge), "{err:?}");

    // Tampered signature and payload.
    let token = signed(&at_jwt(&key), &good);
    let (message, _) = token.rsplit_once('.').unwrap();
    let other = signed(&at_jwt(&key), &with_sub(&good, "mallory"));
    let forged = format!(
        "{}.{}",
        other.rsplit_once('.').unwrap().0,
        token.rsplit_once('.').unwrap().1
    );
    let err = verify(&auth, &forged).await.unwrap_err();
    assert!(matches!(err, TokenError::InvalidSignature(_)), "{err:?}");
    assert!(verify(&auth, &format!("{message}.")).await.is_err());
}

fn with_sub(claims: &Value, sub: &str) -> Value {
    let mut claims = claims.clone();
    claims["sub"] = json!(sub);
    claims
}

#[tokio::test]
async fn garbage_never_panics() {
    let (provider, auth, key) = target().await;
    let good = key.sign_with_header(&at_jwt(&key), &good_claims(&provider));
    let (header, rest) = good.split_once('.').unwrap();
    let mut inputs: Vec<Vec<u8>> = vec![
        Vec::new(),
        b".".to_vec(),
        b"..".to_vec(),
        b"...".to_vec(),
        b"a.b.c.d".to_vec(),
        vec![0xff, 0xfe, b'.', 0x80, b'.', 0xc3],
        format!("{header}\u{e9}.{rest}").into_bytes(),
        [header.as_bytes(), b".\xff\xff.", rest.as_bytes()].concat(),
        "é.é.é".as_bytes().to_vec(),
        vec![b'.'; 10_000],
        vec![0; 100],
    ];
    // Headers that are not JSON objects, with non-UTF-8 and non-ASCII values, or huge.
    for raw_header in [
        b"[]".to_vec(),
        b"null".to_vec(),
        b"{\"alg\":\"RS256\",\"kid\":\"\xff\xfe\"}".to_vec(),
        "{\"alg\":\"RS256\",\"kid\":\"k\u{e9}y\u{1f511}\"}"
            .as_bytes()
            .to_vec(),
        b"{\"alg\":\"RS256\",\"kid\":\"k1\",\"kid\":\"k1\"}".to_vec(),
        b"{\"alg\":\"RS256\",\"kid\":\"\\u006b1\",\"typ\":\"at+jwt\"}".to_vec(),
        format!("{{\"alg\":\"RS256\",\"x\":\"{}\"}}", "y".repeat(3000)).into_bytes(),
        b"{\"alg\":17}".to_vec(),
    ] {
        use base64::Engine as _;
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw_header);
        inputs.push(format!("{encoded}.{rest}").into_bytes());
    }
    // Every prefix and single-byte corruption of a valid token.
    for end in 0..good.len() {
        inputs.push(good.as_bytes()[..end].to_vec());
    }
    for index in (0..good.len()).step_by(7) {
        let mut bytes = good.as_bytes().to_vec();
        bytes[index] ^= 0x55;
        inputs.push(bytes);
    }
    for input in inputs {
        let result = auth.verify::<Value>(&input).await;
        assert!(result.is_err(), "{:?}", String::from_utf8_lossy(&input));
    }
}

axum_scopes::oauth2_password_bearer! {
    /// The provider's scopes.
    pub(crate) Provided { token_url: "token", scopes: { "items" => "Read items.", "me" => "Me." } }
}

#[derive(Clone)]
struct GuardState {
    auth: Authenticator,
}

impl axum::extract::FromRef<GuardState> for Authenticator {
    fn from_ref(state: &GuardState) -> Self {
        state.auth.clone()
    }
}

impl axum::extract::FromRef<GuardState> for axum_scopes::AuthConfig {
    fn from_ref(_: &GuardState) -> Self {
        axum_scopes::AuthConfig::default()
    }
}

#[derive(Clone, Deserialize)]
struct GuardClaims {
    sub: String,
}

#[axum_scopes::requires_scopes("items")]
async fn guarded(claims: axum_scopes::Authenticated<GuardClaims, Provided>) -> String {
    claims.into_inner().sub
}

/// Through the guard: a rotated key during an outage is 503 with `Retry-After` (the token may be
/// valid), a known key keeps working, and once the provider is back the unknown key is 401.
#[tokio::test]
async fn guard_answers_503_while_keys_are_unavailable() {
    use tower::ServiceExt;
    let key = TestKey::rsa("k1");
    let options = JwksOptions::default().min_refresh_interval(Duration::ZERO);
    let (provider, auth) = remote(std::slice::from_ref(&key), options).await;
    let app = axum::Router::new()
        .route("/items", axum::routing::get(guarded))
        .with_state(GuardState { auth });
    let call = |token: String| {
        let app = app.clone();
        async move {
            let request = http::Request::get("/items")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            (
                response.status(),
                response
                    .headers()
                    .get("retry-after")
                    .map(|value| value.to_str().unwrap().to_owned()),
            )
        }
    };
    let iss = provider.issuer();
    provider.set_behaviour(Behaviour::Fail);
    let rotated = TestKey::rsa("k2").sign(&claims(&iss));
    assert_eq!(
        call(rotated.clone()).await,
        (http::StatusCode::SERVICE_UNAVAILABLE, Some("10".to_owned()))
    );
    assert_eq!(call(key.sign(&claims(&iss))).await.0, http::StatusCode::OK);
    provider.set_behaviour(Behaviour::Serve);
    assert_eq!(call(rotated).await.0, http::StatusCode::UNAUTHORIZED);
}
