//! Payloads the signature covers but RFC 7519 says are not claims sets: a member named twice
//! (§4: reject or keep the last; the claims type keeps the last, so the scopes must not unite
//! the copies) and an `iat` that is not a `NumericDate` (§4.1.6). Found by the fuzz oracles
//! (fuzz/README.md); every verification path must refuse both alike.

use axum::http::StatusCode;
use axum_scopes::jwt::{GrantedScopes, Key};
use axum_scopes::{Authenticator, Issuer, JwtKeys, TokenError};
use axum_scopes_demo::DEFAULT_SECRET_KEY;
use axum_scopes_tests::request::{answer, get};
use axum_scopes_tests::token::{mint_raw, now};
use axum_scopes_tests::tutorial::demo;
use serde_json::Value;

const ISS: &str = "https://issuer.test";

fn keys() -> JwtKeys {
    JwtKeys::hs256(DEFAULT_SECRET_KEY.as_bytes())
}

async fn authenticator() -> Authenticator {
    let key = Key::secret(
        DEFAULT_SECRET_KEY.as_bytes(),
        &[axum_scopes::jsonwebtoken::Algorithm::HS256],
    )
    .unwrap();
    Authenticator::builder()
        .issuer(Issuer::new(ISS).key(key))
        .build()
        .await
        .unwrap()
}

/// Payloads naming a scopes member twice, one granting `admin`.
fn duplicated_scopes() -> Vec<String> {
    let exp = now() + 600;
    vec![
        format!(r#"{{"sub":"johndoe","iss":"{ISS}","exp":{exp},"scopes":["admin"],"scopes":[]}}"#),
        format!(r#"{{"sub":"johndoe","iss":"{ISS}","exp":{exp},"scopes":[],"scopes":["admin"]}}"#),
        format!(r#"{{"sub":"johndoe","iss":"{ISS}","exp":{exp},"scope":"admin","scope":"me"}}"#),
    ]
}

fn assert_invalid_claims<T: std::fmt::Debug>(result: Result<T, TokenError>, payload: &str) {
    match result {
        Err(TokenError::InvalidClaims(_)) => {}
        other => panic!("{payload}: expected InvalidClaims, got {other:?}"),
    }
}

#[test]
fn jwt_keys_refuse_a_scopes_member_named_twice() {
    for payload in duplicated_scopes() {
        let token = mint_raw(&payload);
        assert_invalid_claims(keys().verify_scoped::<Value>(&token), &payload);
    }
}

#[test]
fn granted_scopes_refuse_a_member_named_twice() {
    for payload in duplicated_scopes() {
        let read = serde_json::from_str::<GrantedScopes>(&payload);
        assert!(
            read.as_ref()
                .is_err_and(|error| error.to_string().contains("duplicate")),
            "{payload}: {read:?}"
        );
    }
}

#[tokio::test]
async fn the_authenticator_refuses_a_scopes_member_named_twice() {
    let authenticator = authenticator().await;
    for payload in duplicated_scopes() {
        let token = mint_raw(&payload);
        assert_invalid_claims(
            authenticator.verify::<Value>(token.as_bytes()).await,
            &payload,
        );
    }
}

#[tokio::test]
async fn the_demo_answers_a_scopes_member_named_twice_with_401() {
    let exp = now() + 600;
    let payload = format!(r#"{{"sub":"johndoe","exp":{exp},"scopes":["me","items"],"scopes":[]}}"#);
    let token = mint_raw(&payload);
    let answer = answer(
        demo(),
        get("/users/me/items/", Some(&format!("Bearer {token}"))),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text());
    assert_eq!(answer.json()["detail"], "Could not validate credentials");
}

#[tokio::test]
async fn every_path_refuses_an_iat_that_is_not_a_number() {
    let exp = now() + 600;
    let payload = format!(r#"{{"sub":"johndoe","iss":"{ISS}","exp":{exp},"iat":"x"}}"#);
    let token = mint_raw(&payload);
    assert_invalid_claims(keys().verify::<Value>(&token), &payload);
    assert_invalid_claims(keys().verify_scoped::<Value>(&token), &payload);
    assert_invalid_claims(
        authenticator()
            .await
            .verify::<Value>(token.as_bytes())
            .await,
        &payload,
    );
}

#[test]
fn a_numeric_or_null_iat_and_distinct_members_still_verify() {
    let exp = now() + 600;
    for payload in [
        format!(
            r#"{{"sub":"johndoe","exp":{exp},"iat":{},"scopes":["me"],"scope":"items"}}"#,
            now()
        ),
        format!(r#"{{"sub":"johndoe","exp":{exp},"iat":null}}"#),
    ] {
        let token = mint_raw(&payload);
        keys().verify::<Value>(&token).unwrap();
        let verified = keys().verify_scoped::<Value>(&token).unwrap();
        assert_eq!(verified.claims["sub"], "johndoe");
    }
}
