//! The browser harness: headless Chromium (Debian's `chromium` and `chromium-driver`, installed
//! by `tests/run-all.sh`) driven over `WebDriver` by fantoccini. Every wait is bounded, and
//! chromedriver and Chromium are killed at the end of a walk, also when it fails. Screenshots go
//! to `target/browser/`.

use std::future::Future;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long one element may take to appear or change, and a browser to start.
pub const WAIT: Duration = Duration::from_secs(20);

/// Walks a page with `walk` in a fresh headless Chromium, for at most `whole`.
///
/// `name` tells this walk's browser profile and failure screenshot from another's: when the walk
/// fails or runs out of time, what the page showed is saved to
/// `target/browser/<name>-failure.png`. Chromium and chromedriver are killed before this returns;
/// then the walk's panic, if any, is raised again.
///
/// # Panics
///
/// When Chromium does not start within [`WAIT`], or the walk panics or takes longer than `whole`.
pub async fn walk<W, F>(name: &str, whole: Duration, walk: W)
where
    W: FnOnce(Client) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let profile = std::env::temp_dir().join(format!(
        "axum-scopes-chromium-{name}-{}",
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
    let walked = tokio::spawn(tokio::time::timeout(whole, walk(client.clone()))).await;
    if walked.as_ref().map_or(true, Result::is_err)
        && let Ok(Ok(png)) = tokio::time::timeout(WAIT, client.screenshot()).await
    {
        let path = screenshot_path(&format!("{name}-failure.png"));
        let _ = std::fs::write(&path, png);
        eprintln!("browser: the page at the failure is in {}", path.display());
    }
    let _ = tokio::time::timeout(WAIT, client.close()).await;
    drop(driver);
    match walked {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the walk took over {whole:?}"),
        Err(failure) => std::panic::resume_unwind(failure.into_panic()),
    }
}

/// Clicks the element `css` once it is there.
///
/// # Panics
///
/// When the element does not appear within [`WAIT`] or cannot be clicked.
pub async fn click(client: &Client, css: &str) {
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

/// Types `text` into the input `css`, cleared first.
///
/// # Panics
///
/// When the input does not appear within [`WAIT`] or does not take the text.
pub async fn fill(client: &Client, css: &str, text: &str) {
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
///
/// A script may leave what it looked at in `window.__seen`: a wait that runs out shows it.
///
/// # Panics
///
/// When the script fails, or returns null for longer than [`WAIT`].
pub async fn until(client: &Client, what: &str, script: &str) -> Value {
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

/// Logs out in Swagger UI's Authorize dialog.
///
/// # Panics
///
/// When the dialog or its Logout button does not appear within [`WAIT`].
pub async fn logout(client: &Client) {
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

/// Saves what the page shows to `target/browser/<name>`, and returns the file.
///
/// # Panics
///
/// When the browser takes no screenshot or the file cannot be written.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let path = screenshot_path(name);
    std::fs::write(&path, client.screenshot().await.unwrap()).unwrap();
    path
}

/// `target/browser/<name>`, its folder created.
///
/// # Panics
///
/// When the folder cannot be created.
#[must_use]
pub fn screenshot_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

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
