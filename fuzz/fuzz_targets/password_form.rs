//! `OAuth2PasswordRequestForm` and `OAuth2PasswordRequestFormStrict` from an arbitrary body,
//! through their `FromRequest` impls, and the 422 answers they reject with.
//!
//! The first byte chooses the `Content-Type`: `% 4` picks one of three urlencoded spellings,
//! or (3) takes the bytes up to the first `\n` as the header value and the rest as the body.

#![no_main]

use axum::body::Body;
use axum::extract::FromRequest;
use axum::response::IntoResponse;
use axum_scopes::OAuth2PasswordRequestForm;
use axum_scopes::password::{OAuth2FormRejection, OAuth2PasswordRequestFormStrict};
use axum_scopes_fuzz::block_on;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt as _;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn request(content_type: &HeaderValue, body: &[u8]) -> Request<Body> {
    Request::post("/token")
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(body.to_vec()))
        .expect("a valid request")
}

/// The last value of `name`, `None` when absent or empty: what the documentation promises.
fn last(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .filter(|value| !value.is_empty())
}

fn check_rejection(rejection: OAuth2FormRejection) {
    let issues = match &rejection {
        OAuth2FormRejection::Invalid(error) => {
            assert!(
                !error.errors().is_empty(),
                "a validation error without issues"
            );
            let _ = error.to_string();
            Some(error.errors().len())
        }
        _ => None,
    };
    let response = rejection.into_response();
    let status = response.status();
    let body = block_on(response.into_body().collect())
        .expect("an in-memory body")
        .to_bytes();
    if let Some(issues) = issues {
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let json: Value = serde_json::from_slice(&body).expect("the 422 body is JSON");
        let detail = json["detail"].as_array().expect("`detail` is a list");
        assert_eq!(detail.len(), issues, "every issue is in the body");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (content_type, body) = match first % 4 {
        0 => (
            HeaderValue::from_static("application/x-www-form-urlencoded"),
            rest,
        ),
        1 => (
            HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"),
            rest,
        ),
        2 => (
            HeaderValue::from_static(" Application/X-WWW-Form-URLEncoded ;"),
            rest,
        ),
        _ => {
            let newline = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let Ok(value) = HeaderValue::from_bytes(&rest[..newline]) else {
                return;
            };
            (value, rest.get(newline + 1..).unwrap_or_default())
        }
    };
    let is_form = content_type.to_str().ok().is_some_and(|value| {
        value.split(';').next().is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    let pairs: Vec<(String, String)> = if is_form {
        form_urlencoded::parse(body).into_owned().collect()
    } else {
        Vec::new()
    };

    match block_on(OAuth2PasswordRequestForm::from_request(
        request(&content_type, body),
        &(),
    )) {
        Ok(form) => {
            assert_eq!(Some(&form.username), last(&pairs, "username").as_ref());
            assert_eq!(Some(&form.password), last(&pairs, "password").as_ref());
            assert_eq!(form.client_id, last(&pairs, "client_id"));
            assert_eq!(form.client_secret, last(&pairs, "client_secret"));
            assert_eq!(form.grant_type, last(&pairs, "grant_type"));
            if let Some(grant_type) = &form.grant_type {
                assert_eq!(grant_type, "password");
            }
            for scope in &form.scopes {
                assert!(
                    !scope.is_empty() && !scope.contains(char::is_whitespace),
                    "{scope:?}"
                );
            }
            let scope = last(&pairs, "scope");
            let expected: Vec<&str> = scope
                .as_deref()
                .map(|scope| {
                    scope
                        .split(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
                        .filter(|piece| !piece.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(form.scopes, expected);
            let debug = format!("{form:?}");
            assert!(debug.contains("[redacted]"));
        }
        Err(rejection) => {
            let complete = last(&pairs, "username").is_some()
                && last(&pairs, "password").is_some()
                && last(&pairs, "grant_type").is_none_or(|grant| grant == "password");
            assert!(!complete, "a complete form is rejected: {rejection:?}");
            check_rejection(rejection);
        }
    }
    match block_on(OAuth2PasswordRequestFormStrict::from_request(
        request(&content_type, body),
        &(),
    )) {
        Ok(form) => {
            assert_eq!(form.grant_type, "password");
            assert_eq!(Some(&form.username), last(&pairs, "username").as_ref());
        }
        Err(rejection) => check_rejection(rejection),
    }
});
