//! The demo's Swagger UI in a real browser: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by `tests/run-all.sh`) driven over `WebDriver` by fantoccini.
//!
//! Authorize as johndoe with `me` and `items` ticked, execute `GET /users/me/items/` and see the
//! items; log out, authorize with `me` only and see 401 `Not enough permissions`. Screenshots go
//! to `target/browser/`. Every wait is bounded, and chromedriver and Chromium are killed at the
//! end, also when the test fails.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum_scopes_tests::server::serve;
use axum_scopes_tests::tutorial::demo;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long one element may take to appear or change.
const WAIT: Duration = Duration::from_secs(20);
/// How long the whole walk through the page may take.
const WHOLE_TEST: Duration = Duration::from_secs(120);

/// The operation's block in Swagger UI: `operations-<tag>-<operationId>`.
const ITEMS_OPERATION: &str = "#operations-default-read_own_items_users_me_items__get";

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

/// Types `text` into the (cleared) input `css`.
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
        if started.elapsed() > WAIT {
            let seen = client
                .execute("return window.__seen || null;", Vec::new())
                .await
                .unwrap_or_default();
            panic!("{what}: not within {WAIT:?}; last seen: {seen}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Opens the Authorize dialog, logs in as johndoe with exactly `scopes` ticked, and closes it.
async fn authorize(client: &Client, scopes: &[&str]) {
    click(client, ".auth-wrapper button.authorize").await;
    // The dialog lists the catalogue's scopes as checkboxes.
    let offered = until(
        client,
        "the scope checkboxes",
        "(() => { const boxes = [...document.querySelectorAll('.modal-ux .scopes input[type=checkbox]')]; \
         return boxes.length ? boxes.map(box => box.dataset.value) : null; })()",
    )
    .await;
    // utoipa keeps the catalogue in a sorted map, so the dialog lists it alphabetically.
    assert_eq!(offered, json!(["items", "me"]), "the dialog's scopes");
    fill(client, "#oauth_username", "johndoe").await;
    fill(client, "#oauth_password", "secret").await;
    for scope in scopes {
        // The checkbox is styled through its label; clicking the label ticks it, as a person does.
        click(
            client,
            &format!("label[for='{scope}-password-checkbox-OAuth2PasswordBearer']"),
        )
        .await;
    }
    let ticked = client
        .execute(
            "return [...document.querySelectorAll('.modal-ux .scopes input[type=checkbox]')]\
             .filter(box => box.checked).map(box => box.dataset.value);",
            Vec::new(),
        )
        .await
        .unwrap();
    let mut expected: Vec<&str> = vec!["items", "me"];
    expected.retain(|scope| scopes.contains(scope));
    assert_eq!(ticked, json!(expected), "ticked scopes");
    screenshot(client, &format!("authorize-{}.png", scopes.join("-"))).await;
    click(client, ".modal-ux button.modal-btn.authorize").await;
    // Once the token is in, the dialog offers Logout instead of Authorize.
    until(
        client,
        "the login to succeed",
        "[...document.querySelectorAll('.modal-ux button.modal-btn')]\
         .find(button => button.textContent.trim() === 'Logout') || null",
    )
    .await;
    click(client, ".modal-ux button.btn-done").await;
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

/// Clicks Execute and returns the live response's status and body once it shows `status`.
async fn execute(client: &Client, status: &str) -> (String, Value) {
    // Clear the previous answer (as a person would) so that the wait sees the new one.
    if client
        .find(Locator::Css(&format!("{ITEMS_OPERATION} button.btn-clear")))
        .await
        .is_ok()
    {
        click(client, &format!("{ITEMS_OPERATION} button.btn-clear")).await;
    }
    click(client, &format!("{ITEMS_OPERATION} button.execute")).await;
    let seen = until(
        client,
        &format!("a {status} response"),
        &format!(
            "(() => {{ const cell = document.querySelector('{ITEMS_OPERATION} .live-responses-table tr.response .response-col_status'); \
             const body = document.querySelector('{ITEMS_OPERATION} .live-responses-table tr.response .response-col_description .highlight-code pre'); \
             window.__seen = [cell && cell.outerHTML, body && body.outerHTML]; \
             return cell && body && cell.textContent.trim() === '{status}' \
             ? [cell.textContent.trim(), body.textContent] : null; }})()"
        ),
    )
    .await;
    let body = seen[1].as_str().unwrap();
    (
        seen[0].as_str().unwrap().to_owned(),
        serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned())),
    )
}

/// Saves what the page shows to `target/browser/<name>`.
async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, client.screenshot().await.unwrap()).unwrap();
    path
}

async fn walk_through_docs(client: &Client, base: &str) {
    client.goto(&format!("{base}/docs")).await.unwrap();
    assert_eq!(client.current_url().await.unwrap().path(), "/docs");
    click(
        client,
        &format!("{ITEMS_OPERATION} .opblock-summary-control"),
    )
    .await;
    // The operation shows its requirement: the lock icon of a secured operation.
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!(
            "{ITEMS_OPERATION} .authorization__btn"
        )))
        .await
        .unwrap();
    click(client, &format!("{ITEMS_OPERATION} button.try-out__btn")).await;

    authorize(client, &["me", "items"]).await;
    let (status, body) = execute(client, "200").await;
    assert_eq!(status, "200");
    assert_eq!(body, json!([{ "item_id": "Foo", "owner": "johndoe" }]));
    screenshot(client, "docs-200.png").await;

    logout(client).await;
    authorize(client, &["me"]).await;
    let (status, body) = execute(client, "401").await;
    assert_eq!(status, "401");
    assert_eq!(body, json!({ "detail": "Not enough permissions" }));
    let path = screenshot(client, "docs.png").await;
    eprintln!("browser: screenshot in {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_authorizes_with_the_catalogues_scopes() {
    let base = serve(demo()).await;
    let profile = std::env::temp_dir().join(format!("axum-scopes-chromium-{}", std::process::id()));
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
    let walk = tokio::spawn({
        let client = client.clone();
        async move { tokio::time::timeout(WHOLE_TEST, walk_through_docs(&client, &base)).await }
    });
    let walked = walk.await;
    if walked.as_ref().map_or(true, Result::is_err) {
        // What the page showed when the walk failed or ran out of time, to look at.
        if let Ok(Ok(png)) = tokio::time::timeout(WAIT, client.screenshot()).await {
            let path =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser/failure.png");
            let _ = std::fs::create_dir_all(path.parent().unwrap());
            let _ = std::fs::write(&path, png);
            eprintln!("browser: the page at the failure is in {}", path.display());
        }
    }
    let _ = tokio::time::timeout(WAIT, client.close()).await;
    drop(driver);
    match walked {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the walk through /docs took over {WHOLE_TEST:?}"),
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}
