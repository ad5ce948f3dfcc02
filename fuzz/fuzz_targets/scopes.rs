//! Scope strings and the scopes claims.
//!
//! Every input runs three ways:
//! - as a scope string: each space-separated word through `scope::is_valid` and `Scope::parse`
//!   (words of at most 32 bytes are interned, leaked once each, for the `&'static str` it takes),
//!   then `SecurityScopes` and the challenges built from it;
//! - as a JSON payload through `GrantedScopes`'s `Deserialize` (the crate's one-pass reader);
//! - as a payload signed with HS256 under the fixed header, verified by `JwtKeys` and an
//!   `Authenticator` configured with the `ScopesClaim` the first byte picks (`% 5`), the
//!   granted scopes compared with the documented reading of the claim.

#![no_main]

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex, PoisonError};

use axum::response::IntoResponse;
use axum_scopes::jsonwebtoken::Algorithm;
use axum_scopes::jwt::{GrantedScopes, Key, TokenCacheOptions};
use axum_scopes::rejection::{AuthError, Realm, challenge};
use axum_scopes::scope::is_valid;
use axum_scopes::{Authenticator, Issuer, JwtKeys, Scope, SecurityScopes};
use axum_scopes_fuzz::{
    Claim, HS256_HEADER, HS256_SECRET, assert_scopes_match, block_on, forge, has_duplicate_members,
    reference_scopes, sign_hs256,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// One verifier pair per `ScopesClaim`, in `Claim::ALL` order.
static VERIFIERS: LazyLock<Vec<(Claim, JwtKeys, Authenticator)>> = LazyLock::new(|| {
    Claim::ALL
        .iter()
        .map(|&claim| {
            let keys = JwtKeys::hs256(HS256_SECRET).scopes_claim(claim.scopes_claim());
            let key = Key::secret(HS256_SECRET, &[Algorithm::HS256]).expect("an HMAC key");
            let authenticator = block_on(
                Authenticator::builder()
                    .issuer(Issuer::any().key(key))
                    .scopes_claim(claim.scopes_claim())
                    .token_cache(TokenCacheOptions::disabled())
                    .build(),
            )
            .expect("the authenticator builds");
            (claim, keys, authenticator)
        })
        .collect()
});

/// Words of at most 32 bytes, leaked once each: at most `MAX_INTERNED` of them.
static INTERNED: LazyLock<Mutex<HashSet<&'static str>>> = LazyLock::new(Mutex::default);
const MAX_INTERNED: usize = 20_000;

fn intern(word: &str) -> Option<&'static str> {
    let mut set = INTERNED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(&known) = set.get(word) {
        return Some(known);
    }
    if word.len() > 32 || set.len() >= MAX_INTERNED {
        return None;
    }
    let leaked: &'static str = Box::leak(word.to_owned().into_boxed_str());
    set.insert(leaked);
    Some(leaked)
}

/// RFC 6749 §3.3 `scope-token`, written independently of the crate.
fn rfc_6749(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b))
}

fn scope_string(text: &str) {
    let mut scopes = Vec::new();
    for word in text.split(' ') {
        let valid = is_valid(word);
        assert_eq!(valid, rfc_6749(word), "is_valid({word:?})");
        if let Some(interned) = intern(word) {
            match Scope::parse(interned) {
                Ok(scope) => {
                    assert!(valid, "Scope::parse accepts {word:?}");
                    assert_eq!(scope.as_str(), word);
                    scopes.push(scope);
                }
                Err(_) => assert!(!valid, "Scope::parse rejects {word:?}"),
            }
        }
    }
    let required = SecurityScopes::new(scopes.iter().copied());
    let mut unique: Vec<Scope> = Vec::new();
    for scope in &scopes {
        if !unique.contains(scope) {
            unique.push(*scope);
        }
    }
    assert_eq!(required.scopes(), unique.as_slice());
    let joined = required.scope_str();
    assert_eq!(
        joined,
        unique
            .iter()
            .map(|scope| scope.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let granted: Vec<&str> = unique.iter().map(|scope| scope.as_str()).collect();
    assert!(required.is_satisfied_by(granted.iter().copied()));
    assert_eq!(required.first_missing(granted.iter().copied()), None);
    assert_eq!(
        required.first_missing(std::iter::empty()),
        unique.first().copied()
    );
    assert_eq!(
        required.is_satisfied_by(std::iter::empty()),
        unique.is_empty()
    );
    if let Some((_, fewer)) = granted.split_last() {
        assert!(!required.is_satisfied_by(fewer.iter().copied()));
    }
    let bearer = required.bearer_challenge();
    if unique.is_empty() {
        assert_eq!(bearer, "Bearer");
    } else {
        assert_eq!(bearer, format!("Bearer scope=\"{joined}\"").as_str());
    }
    let insufficient = AuthError::insufficient_scope(&required);
    let with_scope = insufficient
        .challenge()
        .expect("an insufficient_scope challenge");
    if !unique.is_empty() {
        let text = with_scope.to_str().expect("an ASCII challenge");
        assert!(text.contains(&format!("scope=\"{joined}\"")), "{text}");
    }
    let _ = insufficient.into_response();

    // The same text as a realm and as a challenge parameter.
    let realm = Realm::new(text);
    let written = challenge("Bearer", &[("realm", text)]);
    assert_eq!(
        realm.is_ok(),
        written.is_some(),
        "Realm::new and challenge disagree on {text:?}"
    );
    if let Ok(realm) = realm {
        let error = AuthError::insufficient_scope(&required).with_realm(Some(realm));
        assert!(
            error.challenge().is_some(),
            "a valid realm loses the challenge"
        );
    }
}

fn granted_scopes(json: &[u8]) {
    let read = serde_json::from_slice::<GrantedScopes>(json);
    if has_duplicate_members(json) {
        return;
    }
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    if !value.is_object() {
        assert!(read.is_err(), "GrantedScopes read a non-object: {value}");
        return;
    }
    let expected = reference_scopes(&value, Claim::ScopeOrScopes);
    match (&read, &expected) {
        (Ok(read), Ok(expected)) => assert_eq!(read.as_slice(), expected.as_slice()),
        (Err(err), Ok(expected)) => {
            // The reader also parses `iat`, `exp`, `nbf` as numbers when present.
            assert!(
                !axum_scopes_fuzz::registered_claims_are_numbers(&value),
                "GrantedScopes rejects {value} (expected {expected:?}): {err}"
            );
        }
        (Ok(read), Err(shape)) => panic!("GrantedScopes accepts a wrong `{}`: {read:?}", shape.0),
        (Err(_), Err(_)) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    scope_string(&String::from_utf8_lossy(rest));
    granted_scopes(rest);

    let (claim, keys, authenticator) = &VERIFIERS[usize::from(first) % VERIFIERS.len()];
    let token = forge(HS256_HEADER.as_bytes(), rest, sign_hs256);
    if let Ok(verified) = keys.verify_scoped::<Value>(&token) {
        assert_scopes_match(token.as_bytes(), *claim, &verified.scopes, "JwtKeys");
    }
    if let Ok(verified) = block_on(authenticator.verify::<Value>(token.as_bytes())) {
        assert_scopes_match(token.as_bytes(), *claim, &verified.scopes, "Authenticator");
    }
});
