//! The demo's Swagger UI in a real browser (the harness of `axum_scopes_tests::browser`).
//!
//! Authorize as johndoe with `me` and `items` ticked, execute `GET /users/me/items/` and see the
//! items; log out, authorize with `me` only and see 401 `Not enough permissions`. Screenshots go
//! to `target/browser/`.

use std::time::Duration;

use axum_scopes_tests::browser::{WAIT, click, fill, logout, screenshot, until, walk};
use axum_scopes_tests::server::serve;
use axum_scopes_tests::tutorial::demo;
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// How long the whole walk through the page may take.
const WHOLE_TEST: Duration = Duration::from_secs(120);

/// The operation's block in Swagger UI: `operations-<tag>-<operationId>`.
const ITEMS_OPERATION: &str = "#operations-default-read_own_items_users_me_items__get";

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
    walk("docs", WHOLE_TEST, |client| async move {
        walk_through_docs(&client, &base).await;
    })
    .await;
}
