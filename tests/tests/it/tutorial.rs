//! The tutorial's behaviour: in process through the router, and end to end against the demo on
//! a real 127.0.0.1 port with a real HTTP client.

use axum_scopes_tests::server::serve;
use axum_scopes_tests::token::now;
use axum_scopes_tests::tutorial::{client, demo, login, tutorial_cases, via_http, via_router};

#[tokio::test]
async fn in_process() {
    for case in tutorial_cases() {
        case.check(&via_router(demo(), &case).await);
    }
}

#[tokio::test]
async fn over_http() {
    let base = serve(demo()).await;
    let client = client();
    for case in tutorial_cases() {
        case.check(&via_http(&client, &base, &case).await);
    }
}

/// The tutorial's own walk-through: log in, then use the token on every route.
#[tokio::test]
async fn login_then_call() {
    let base = serve(demo()).await;
    let client = client();
    let token = login(&client, &base, "me items").await;
    assert_eq!(token["token_type"], "bearer");
    let access_token = token["access_token"].as_str().unwrap();
    for (path, expected) in [
        (
            "/users/me/items/",
            serde_json::json!([{ "item_id": "Foo", "owner": "johndoe" }]),
        ),
        ("/status/", serde_json::json!({ "status": "ok" })),
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.json::<serde_json::Value>().await.unwrap(),
            expected
        );
    }
}

/// The token a client gets is the tutorial's: HS256, `sub`, `scopes` and an `exp` 30 minutes on.
#[tokio::test]
async fn issued_token_shape() {
    use axum_scopes::JwtKeys;
    let base = serve(demo()).await;
    let body: serde_json::Value = client()
        .post(format!("{base}/token"))
        .form(&[
            ("username", "johndoe"),
            ("password", "secret"),
            ("scope", "items"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap();
    let claims: serde_json::Value = JwtKeys::hs256(axum_scopes_demo::DEFAULT_SECRET_KEY.as_bytes())
        .verify(token)
        .unwrap();
    let exp = claims["exp"].as_u64().unwrap();
    let expected = now() + 30 * 60;
    assert!(
        exp.abs_diff(expected) <= 5,
        "exp {exp} should be near {expected}"
    );
    assert_eq!(claims["sub"], "johndoe");
    assert_eq!(claims["scopes"], serde_json::json!(["items"]));
    let header = token.split('.').next().unwrap();
    assert_eq!(
        header, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "PyJWT's header, byte for byte"
    );
}

/// "Security - First Steps": the token comes back as sent, Latin-1 decoded like Starlette does.
#[tokio::test]
async fn first_steps() {
    use axum::body::Body;
    use tower::ServiceExt;
    for (authorization, status, body) in [
        (
            Some(&b"Bearer abc.def"[..]),
            200,
            serde_json::json!({ "token": "abc.def" }),
        ),
        (
            Some(b"BEARER  x "),
            200,
            serde_json::json!({ "token": "x" }),
        ),
        (
            Some(b"Bearer \xe9"),
            200,
            serde_json::json!({ "token": "\u{e9}" }),
        ),
        (
            Some(b"Basic abc"),
            401,
            serde_json::json!({ "detail": "Not authenticated" }),
        ),
        (
            None,
            401,
            serde_json::json!({ "detail": "Not authenticated" }),
        ),
    ] {
        let mut request = http::Request::get("/items/");
        if let Some(value) = authorization {
            request = request.header(
                "authorization",
                http::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        let response = axum_scopes_demo::first_steps::app()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
            body
        );
    }
}
