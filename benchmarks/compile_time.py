#!/usr/bin/env python3
"""Compile time of an app of N handlers, each `#[requires_scopes]` over a two-level dependency
chain (the tutorial's `get_current_user` -> `get_current_active_user`), all in one file.

    python3 benchmarks/compile_time.py 200 400 800      # medians of 3, `cargo check` and build

The app is generated in target/compile-time/app-N (its own workspace, this workspace's
Cargo.lock, dependencies built once, offline); each measurement touches src/main.rs and
times `cargo check`, then a debug `cargo build`, three times each; the medians are printed as a
Markdown table.
"""
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

CARGO_TOML = """[package]
name = "compile-time-app"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
axum = {{ version = "0.8", default-features = false, features = ["http1", "tokio", "json"] }}
axum-scopes = {{ path = "{root}/runtime", default-features = false, features = ["aws-lc-rs"] }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread", "net"] }}
"""

HEAD = """use axum::{Router, routing::get};
use axum_scopes::{BearerToken, HttpError, JwtKeys, Security, SecurityScopes, dependency, requires_scopes};

axum_scopes::oauth2_password_bearer! {
    /// The app's scheme.
    pub Oauth2 { token_url: "token", scopes: { "me" => "Read yourself.", "items" => "Read items." } }
}

#[dependency]
pub async fn get_current_user(
    security_scopes: SecurityScopes,
    token: BearerToken<Oauth2>,
    axum::extract::State(keys): axum::extract::State<JwtKeys>,
) -> Result<String, HttpError> {
    let token = keys
        .verify_scoped::<axum_scopes::jwt::Subject>(token.as_bytes())
        .map_err(|_| HttpError::unauthorized("Could not validate credentials", &security_scopes))?;
    if !security_scopes.is_satisfied_by(token.scopes.iter()) {
        return Err(HttpError::unauthorized("Not enough permissions", &security_scopes));
    }
    Ok(token.claims.sub.unwrap_or_default())
}

#[dependency]
#[requires_scopes("me")]
pub async fn get_current_active_user(user: Security<get_current_user>) -> Result<String, HttpError> {
    Ok(user.into_inner())
}
"""

HANDLER = """
/// Handler {i}.
#[requires_scopes("items")]
pub async fn handler_{i}(user: Security<get_current_active_user>) -> String {{
    format!("{i} for {{}}", user.into_inner())
}}
"""


def generate(n: int) -> pathlib.Path:
    app = ROOT / "target" / "compile-time" / f"app-{n}"
    (app / "src").mkdir(parents=True, exist_ok=True)
    (app / "Cargo.toml").write_text(CARGO_TOML.format(root=ROOT))
    shutil.copy(ROOT / "Cargo.lock", app / "Cargo.lock")
    routes = "".join(f'        .route("/h{i}", get(handler_{i}))\n' for i in range(n))
    main = HEAD + "".join(HANDLER.format(i=i) for i in range(n))
    main += (
        "\n#[tokio::main]\nasync fn main() {\n"
        '    let keys = JwtKeys::hs256(b"a secret of at least thirty-two bytes!!");\n'
        "    let app: Router = Router::new()\n" + routes + "        .with_state(keys);\n"
        '    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();\n'
        "    axum::serve(listener, app).await.unwrap();\n}\n"
    )
    (app / "src" / "main.rs").write_text(main)
    return app


def timed(app: pathlib.Path, command: str) -> float:
    (app / "src" / "main.rs").touch()
    started = time.monotonic()
    subprocess.run(
        ["cargo", command, "--offline", "-q"], cwd=app, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [200, 400, 800]
    print("| N | `cargo check` | debug `cargo build` |")
    print("|---:|---:|---:|")
    for n in sizes:
        app = generate(n)
        subprocess.run(["cargo", "build", "--offline", "-q"], cwd=app, check=True)
        check = statistics.median(timed(app, "check") for _ in range(3))
        build = statistics.median(timed(app, "build") for _ in range(3))
        print(f"| {n} | {check:.2f} s | {build:.2f} s |", flush=True)


if __name__ == "__main__":
    main()
