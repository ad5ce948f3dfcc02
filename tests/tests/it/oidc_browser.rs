//! The authorization-code flow with PKCE in a real browser, against a real `OpenID` provider:
//! the `auth_code_docs` example (its app is this file's `auth_code_docs` module) serves Swagger
//! UI with `docs_router_with`'s `initOAuth` options; oidc-provider (from npm, on 127.0.0.1) has
//! the public client `docs` with this app's `/docs/oauth2-redirect`. Headless Chromium (Debian's,
//! driven over `WebDriver` by fantoccini) clicks Authorize, signs in on the provider's login page,
//! confirms its consent page, and calls `GET /items`: 200 with `items` granted, then, authorized
//! again with `me` only, 403 `insufficient_scope`.
//!
//! Why the flow's URLs are rewritten: `security_scheme!` takes literals (a scheme is a
//! compile-time declaration the scope checks read), and this provider's port is chosen at run
//! time, so the example's `router` points the document's authorization-code flow at the running
//! issuer. Screenshots go to `target/browser/auth-code-*.png`. Every wait is bounded; chromedriver,
//! Chromium and node are killed at the end, also when the test fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum_scopes_tests::oidc::{ProviderConfig, RealProvider};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use crate::examples::auth_code_docs;

/// How long one element may take to appear or change.
const WAIT: Duration = Duration::from_secs(20);
/// How long the whole walk may take.
const WHOLE_TEST: Duration = Duration::from_secs(150);

/// The scheme's name in the document, which Swagger UI's element ids carry.
const SCHEME: &str = "OAuth2AuthorizationCodeBearer";

/// `path` from the environment variable `var`, else `default`; the test fails, saying how to
/// install it, when the file is missing.
fn executable(var: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.exists(),
        "{} is missing: run `bash tests/run-all.sh`, which installs Debian's chromium and \
         chromium-driver (or set {var})",
        path.display()
    );
    path
}

/// chromedriver in its own process group, killed with every process of that group (Chromium
/// included) when dropped.
struct Chromedriver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Chromedriver {
    fn start(profile: PathBuf) -> Self {
        let binary = executable("CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a loopback port is free")
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < WAIT,
                "chromedriver did not listen on {addr} within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The negative pid names the process group: chromedriver and the browsers it started.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The capabilities of a headless Chromium that never reaches for the network.
fn capabilities(profile: &Path) -> serde_json::Map<String, Value> {
    let chromium = executable("CHROMIUM", "/usr/bin/chromium");
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
        "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 10_000 },
    });
    match capabilities {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// Clicks the element `css` once it is there.
async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("`{css}` did not appear: {error}"))
        .click()
        .await
        .unwrap_or_else(|error| panic!("`{css}` cannot be clicked: {error}"));
}

/// Types `text` into the input `css`.
async fn fill(client: &Client, css: &str, text: &str) {
    let input = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("`{css}` did not appear: {error}"));
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Waits until the JavaScript expression `script` returns a non-null value, and returns it.
async fn until(client: &Client, what: &str, script: &str) -> Value {
    let started = Instant::now();
    loop {
        let value = client
            .execute(&format!("return {script};"), Vec::new())
            .await
            .unwrap_or_else(|error| panic!("{what}: {error}"));
        if !value.is_null() {
            return value;
        }
        assert!(started.elapsed() < WAIT, "{what}: not within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves what the page shows to `target/browser/<name>`.
async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, client.screenshot().await.unwrap()).unwrap();
    path
}

/// A screenshot of the provider's window, which may close under it (then there is none).
async fn screenshot_popup(client: &Client, name: &str) {
    if let Ok(png) = client.screenshot().await {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), png).unwrap();
    }
}

/// In the provider's window (Swagger UI opens the authorization request in a new one): signs
/// in on the login page and confirms the consent page, whichever of them the provider shows,
/// until the window closes (`oauth2-redirect` hands the code back and closes it).
async fn sign_in_at_the_provider(
    client: &Client,
    main: &fantoccini::wd::WindowHandle,
    round: &str,
) {
    let started = Instant::now();
    let mut pages = Vec::new();
    loop {
        assert!(
            started.elapsed() < WAIT,
            "the provider's window did not close within {WAIT:?}; pages seen: {pages:?}"
        );
        let windows = client.windows().await.unwrap();
        let Some(popup) = windows.iter().find(|window| *window != main) else {
            break;
        };
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
                click(client, "button.login-submit").await;
                pages.push("login");
            }
            Some("consent") => {
                screenshot_popup(client, &format!("auth-code-{round}-consent.png")).await;
                click(client, "button.login-submit").await;
                pages.push("consent");
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    client.switch_to_window(main.clone()).await.unwrap();
    eprintln!("browser: {round}: the provider showed {pages:?}");
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

/// Logs out in the Authorize dialog.
async fn logout(client: &Client) {
    click(client, ".auth-wrapper button.authorize").await;
    until(
        client,
        "the Logout button",
        "(() => { const button = [...document.querySelectorAll('.modal-ux button.modal-btn')]\
         .find(button => button.textContent.trim() === 'Logout'); \
         if (button) { button.click(); return true; } return null; })()",
    )
    .await;
    click(client, ".modal-ux button.btn-done").await;
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

async fn walk(client: &Client, base: &str) {
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

    let profile = std::env::temp_dir().join(format!(
        "axum-scopes-chromium-auth-code-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&profile);
    let driver = Chromedriver::start(profile.clone());
    let client = tokio::time::timeout(
        WAIT,
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(&profile))
            .connect(&driver.url),
    )
    .await
    .expect("Chromium starts within the wait")
    .expect("chromedriver opens a session");
    let walked = tokio::spawn({
        let client = client.clone();
        async move { tokio::time::timeout(WHOLE_TEST, walk(&client, &base)).await }
    })
    .await;
    if walked.as_ref().map_or(true, Result::is_err)
        && let Ok(Ok(png)) = tokio::time::timeout(WAIT, client.screenshot()).await
    {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/browser/auth-code-failure.png");
        let _ = std::fs::create_dir_all(path.parent().unwrap());
        let _ = std::fs::write(&path, png);
        eprintln!("browser: the page at the failure is in {}", path.display());
    }
    let _ = tokio::time::timeout(WAIT, client.close()).await;
    drop(driver);
    drop(provider);
    match walked {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the walk took over {WHOLE_TEST:?}"),
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}
