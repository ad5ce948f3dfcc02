//! The authorization-code flow with PKCE in a real browser, against a real `OpenID` provider:
//! the `auth_code_docs` example (its app is the `examples::auth_code_docs` module) serves Swagger
//! UI with `docs_router_with`'s `initOAuth` options; oidc-provider (from npm, on 127.0.0.1) has
//! the public client `docs` with this app's `/docs/oauth2-redirect`. Headless Chromium (Debian's,
//! driven over `WebDriver` by fantoccini) clicks Authorize, signs in on the provider's login page,
//! confirms its consent page, and calls `GET /items`: 200 with `items` granted, then, authorized
//! again with `me` only, 403 `insufficient_scope`.
//!
//! Why the flow's URLs are rewritten: `security_scheme!` takes literals (a scheme is a
//! compile-time declaration the scope checks read), and this provider's port is chosen at run
//! time, so the example's `router` points the document's authorization-code flow at the running
//! issuer. Screenshots go to `target/browser/auth-code-*.png`. The harness
//! (`axum_scopes_tests::browser`) bounds every wait and kills chromedriver and Chromium at the end;
//! node is killed with the provider; both also when the test fails.

use std::time::{Duration, Instant};

use axum_scopes_tests::browser::{
    WAIT, click, fill, logout, screenshot, screenshot_path, until, walk,
};
use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::examples::auth_code_docs;

/// How long the whole walk may take.
const WHOLE_TEST: Duration = Duration::from_secs(150);

/// The scheme's name in the document, which Swagger UI's element ids carry.
const SCHEME: &str = "OAuth2AuthorizationCodeBearer";

/// A screenshot of the provider's window, which may close under it (then there is none).
async fn screenshot_popup(client: &Client, name: &str) {
    if let Ok(png) = client.screenshot().await {
        std::fs::write(screenshot_path(name), png).unwrap();
    }
}

/// In the provider's window (Swagger UI opens the authorization request in a new one): signs
/// in on the login page and confirms the consent page, whichever of them the provider shows,
/// until the window closes (`oauth2-redirect` hands the code back and closes it).
///
/// Each page is acted on once: [`submit`] returns only when the page it submitted is gone, so
/// the next look at the window never reads the page just left (a second click on Continue,
/// landing while `oauth2-redirect` closes the window, failed the test).
async fn sign_in_at_the_provider(client: &Client, main: &WindowHandle, round: &str) {
    let started = Instant::now();
    let popup = loop {
        // Swagger UI opens the window from the click on Authorize: wait for it to exist, so that
        // "no other window" below means the flow closed it.
        let windows = client.windows().await.unwrap();
        if let Some(popup) = windows.into_iter().find(|window| window != main) {
            break popup;
        }
        assert!(
            started.elapsed() < WAIT,
            "the provider's window did not open within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut pages = Vec::new();
    loop {
        assert!(
            started.elapsed() < WAIT,
            "the provider's window did not close within {WAIT:?}; pages seen: {pages:?}"
        );
        if !client.windows().await.unwrap().contains(&popup) {
            break;
        }
        if client.switch_to_window(popup.clone()).await.is_err() {
            continue; // it closed in between
        }
        let page = client
            .execute(
                "return document.querySelector('input[name=login]') ? 'login' \
                 : document.querySelector('input[name=prompt][value=consent]') ? 'consent' : null;",
                Vec::new(),
            )
            .await
            .unwrap_or(Value::Null);
        match page.as_str() {
            Some("login") => {
                fill(client, "input[name=login]", "ann").await;
                fill(client, "input[name=password]", "any password").await;
                screenshot_popup(client, &format!("auth-code-{round}-login.png")).await;
                submit(client, "button.login-submit").await;
                pages.push("login");
            }
            Some("consent") => {
                screenshot_popup(client, &format!("auth-code-{round}-consent.png")).await;
                submit(client, "button.login-submit").await;
                pages.push("consent");
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    client.switch_to_window(main.clone()).await.unwrap();
    eprintln!("browser: {round}: the provider showed {pages:?}");
}

/// Clicks the submit button `css` and waits until its page is gone: another document in the
/// window, or the window closed.
///
/// The click returns once it is dispatched; the form's navigation starts after it, and until the
/// next document arrives (later on a busy machine) the page just submitted can still be read. So
/// the page is marked before the click, and the wait ends when the window no longer shows a
/// marked document.
async fn submit(client: &Client, css: &str) {
    client
        .execute("window.__axumScopesSubmitted = true;", Vec::new())
        .await
        .unwrap_or_else(|error| panic!("marking the page of `{css}`: {error}"));
    let button = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("`{css}` did not appear: {error}"));
    match button.click().await {
        Ok(()) => {}
        // The submission closed the window before the click was answered.
        Err(error) if error.is_no_such_window() => return,
        Err(error) => panic!("`{css}` cannot be clicked: {error}"),
    }
    let started = Instant::now();
    while still_there(client).await {
        assert!(
            started.elapsed() < WAIT,
            "the page of `{css}` was still there {WAIT:?} after the click"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the window still shows the document [`submit`] marked. A closing window answers
/// scripts with null, a closed one with "no such window": the marked page is gone either way.
async fn still_there(client: &Client) -> bool {
    match client
        .execute("return window.__axumScopesSubmitted === true;", Vec::new())
        .await
    {
        Ok(marked) => marked == Value::Bool(true),
        Err(error) if error.is_no_such_window() => false,
        Err(error) => panic!("looking for the submitted page: {error}"),
    }
}

/// Opens the Authorize dialog, ticks exactly `scopes`, completes the flow at the provider, and
/// closes the dialog; returns the access token Swagger UI now holds.
async fn authorize(client: &Client, scopes: &[&str], round: &str) -> String {
    let main = client.window().await.unwrap();
    click(client, ".auth-wrapper button.authorize").await;
    let offered = until(
        client,
        "the scope checkboxes",
        "(() => { const boxes = [...document.querySelectorAll('.modal-ux .scopes input[type=checkbox]')]; \
         return boxes.length ? boxes.map(box => box.dataset.value) : null; })()",
    )
    .await;
    assert_eq!(offered, json!(["items", "me"]), "the dialog's scopes");
    // initOAuth's clientId fills the dialog.
    let client_id = until(
        client,
        "the client id",
        "(document.querySelector('.modal-ux input#client_id_authorizationCode') || {}).value || null",
    )
    .await;
    assert_eq!(client_id, "docs");
    for scope in scopes {
        click(
            client,
            &format!("label[for='{scope}-authorizationCode-checkbox-{SCHEME}']"),
        )
        .await;
    }
    screenshot(client, &format!("auth-code-{round}-dialog.png")).await;
    click(client, ".modal-ux button.modal-btn.authorize").await;
    sign_in_at_the_provider(client, &main, round).await;
    until(
        client,
        "the flow to complete",
        "[...document.querySelectorAll('.modal-ux button.modal-btn')]\
         .find(button => button.textContent.trim() === 'Logout') || null",
    )
    .await;
    let token = until(
        client,
        "the access token",
        &format!(
            "(() => {{ const auth = ui.authSelectors.authorized().toJS()['{SCHEME}']; \
             return auth && auth.token && auth.token.access_token || null; }})()"
        ),
    )
    .await;
    click(client, ".modal-ux button.btn-done").await;
    token.as_str().unwrap().to_owned()
}

/// Clicks Execute on `operation` and returns the live response's body once it shows `status`.
async fn execute(client: &Client, operation: &str, status: &str) -> String {
    if client
        .find(Locator::Css(&format!("{operation} button.btn-clear")))
        .await
        .is_ok()
    {
        click(client, &format!("{operation} button.btn-clear")).await;
    }
    click(client, &format!("{operation} button.execute")).await;
    let seen = until(
        client,
        &format!("a {status} response"),
        &format!(
            "(() => {{ const cell = document.querySelector('{operation} .live-responses-table tr.response .response-col_status'); \
             const body = document.querySelector('{operation} .live-responses-table tr.response .response-col_description'); \
             return cell && body && cell.textContent.trim().startsWith('{status}') ? body.textContent : null; }})()"
        ),
    )
    .await;
    seen.as_str().unwrap().to_owned()
}

async fn walk_provider_flow(client: &Client, base: &str) {
    let http = reqwest::Client::new();
    client.goto(&format!("{base}/docs")).await.unwrap();
    let id = until(
        client,
        "the /items operation",
        "(() => { const path = document.querySelector(\".opblock-summary-path[data-path='/items']\"); \
         return path ? path.closest('.opblock').id : null; })()",
    )
    .await;
    let operation = format!("#{}", id.as_str().unwrap());
    click(client, &format!("{operation} .opblock-summary-control")).await;
    click(client, &format!("{operation} button.try-out__btn")).await;

    let token = authorize(client, &["items"], "items").await;
    let body = execute(client, &operation, "200").await;
    assert!(body.contains("an item of ann"), "{body}");
    screenshot(client, "auth-code-200.png").await;
    // The same token, outside the browser: an RFC 9068 JWT for this API.
    let answer = http
        .get(format!("{base}/items"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    logout(client).await;
    let token = authorize(client, &["me"], "me").await;
    execute(client, &operation, "403").await;
    let path = screenshot(client, "auth-code-403.png").await;
    let answer = http
        .get(format!("{base}/items"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    let challenge = answer.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
    assert!(challenge.contains(r#"scope="items""#), "{challenge}");
    let me = http
        .get(format!("{base}/users/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.text().await.unwrap(), r#""ann""#);
    eprintln!(
        "browser: screenshots in {}",
        path.parent().unwrap().display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_signs_in_at_the_provider_with_pkce() {
    // The app's port first: the provider registers its redirect URI.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = ProviderConfig::new();
    config.docs_redirect_uris = Some(format!("{base}/docs/oauth2-redirect"));
    let provider = RealProvider::start(&config).await;
    let app = auth_code_docs::app(&provider.issuer, &base)
        .await
        .expect("the provider's keys load through discovery");
    tokio::spawn(async move { axum::serve(listener, app).await });

    walk("auth-code", WHOLE_TEST, |client| async move {
        walk_provider_flow(&client, &base).await;
    })
    .await;
    drop(provider);
}
