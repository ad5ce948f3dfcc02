#!/usr/bin/env python3
"""Compile time of an app of N handlers, each `#[requires_scopes]` over a two-level dependency
chain (the tutorial's `get_current_user` -> `get_current_active_user`), all in one file, against
its twin in plain axum: the same handlers taking a hand-written extractor that does the same
checks (the bearer header, the token verified with the same `JwtKeys`, the scopes `items me`
compared), no macro of ours.

    python3 benchmarks/compile_time.py 200 400 800      # medians of 3, `cargo check` and build
    python3 benchmarks/compile_time.py --optimized-macros 800   # macros built with opt-level 3

`--optimized-macros` adds to both apps what the README suggests for large apps: the procedural
macros and their parser (syn, quote, proc-macro2) built optimised in the dev profile, as sqlx
recommends for its macros.

Both apps are generated in target/compile-time/ (their own workspaces, this workspace's
Cargo.lock, one shared target directory so dependencies are built once, offline); each
measurement touches src/main.rs and times `cargo check`, then a debug `cargo build`, three
times each, the two apps interleaved; the medians are printed as a Markdown table.
"""
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent

CARGO_TOML = """[package]
name = "compile-time-{kind}"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
axum = {{ version = "0.8", default-features = false, features = ["http1", "tokio", "json"] }}
axum-scopes = {{ path = "{root}/runtime", default-features = false, features = ["aws-lc-rs"] }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread", "net"] }}
"""

OPTIMIZED_MACROS = """
[profile.dev.package.axum-scopes-macros]
opt-level = 3
[profile.dev.package.syn]
opt-level = 3
[profile.dev.package.quote]
opt-level = 3
[profile.dev.package.proc-macro2]
opt-level = 3
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


PLAIN_HEAD = """use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::{Router, routing::get};
use axum_scopes::{HttpError, JwtKeys, Scope, SecurityScopes};

/// The active user, verified and holding `items` and `me`: what every handler takes.
pub struct CurrentActiveUser(pub String);

impl<S> FromRequestParts<S> for CurrentActiveUser
where
    S: Send + Sync,
    JwtKeys: FromRef<S>,
{
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, HttpError> {
        let scopes = SecurityScopes::new([Scope::new("items"), Scope::new("me")]);
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| HttpError::unauthorized("Not authenticated", &scopes))?;
        let token = JwtKeys::from_ref(state)
            .verify_scoped::<axum_scopes::jwt::Subject>(token.as_bytes())
            .map_err(|_| HttpError::unauthorized("Could not validate credentials", &scopes))?;
        if !scopes.is_satisfied_by(token.scopes.iter()) {
            return Err(HttpError::unauthorized("Not enough permissions", &scopes));
        }
        Ok(Self(token.claims.sub.unwrap_or_default()))
    }
}
"""

PLAIN_HANDLER = """
/// Handler {i}.
pub async fn handler_{i}(user: CurrentActiveUser) -> String {{
    format!("{i} for {{}}", user.0)
}}
"""

TARGET = ROOT / "target" / "compile-time" / "target"


def generate(n: int, kind: str = "ours", optimized_macros: bool = False) -> pathlib.Path:
    suffix = "-opt" if optimized_macros else ""
    app = ROOT / "target" / "compile-time" / f"{kind}-{n}{suffix}"
    (app / "src").mkdir(parents=True, exist_ok=True)
    manifest = CARGO_TOML.format(root=ROOT, kind=kind + suffix)
    (app / "Cargo.toml").write_text(manifest + (OPTIMIZED_MACROS if optimized_macros else ""))
    shutil.copy(ROOT / "Cargo.lock", app / "Cargo.lock")
    routes = "".join(f'        .route("/h{i}", get(handler_{i}))\n' for i in range(n))
    head, handler = (HEAD, HANDLER) if kind == "ours" else (PLAIN_HEAD, PLAIN_HANDLER)
    main = head + "".join(handler.format(i=i) for i in range(n))
    main += (
        "\n#[tokio::main]\nasync fn main() {\n"
        '    let keys = JwtKeys::hs256(b"a secret of at least thirty-two bytes!!");\n'
        "    let app: Router = Router::new()\n" + routes + "        .with_state(keys);\n"
        '    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();\n'
        "    axum::serve(listener, app).await.unwrap();\n}\n"
    )
    (app / "src" / "main.rs").write_text(main)
    return app


ENV = {**os.environ, "CARGO_TARGET_DIR": str(TARGET)}


def cargo(app: pathlib.Path, command: str) -> None:
    subprocess.run(
        ["cargo", command, "--offline", "-q"], cwd=app, check=True, env=ENV,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def timed(app: pathlib.Path, command: str) -> float:
    (app / "src" / "main.rs").touch()
    started = time.monotonic()
    cargo(app, command)
    return time.monotonic() - started


def main() -> None:
    optimized = "--optimized-macros" in sys.argv[1:]
    sizes = [int(arg) for arg in sys.argv[1:] if arg.isdigit()] or [200, 400, 800]
    print("| N | `cargo check` ours / plain | ratio | debug `cargo build` ours / plain | ratio |")
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        apps = {kind: generate(n, kind, optimized) for kind in ("ours", "plain")}
        for app in apps.values():
            cargo(app, "check")
            cargo(app, "build")
        times = {(kind, command): [] for kind in apps for command in ("check", "build")}
        for command in ("check", "build"):
            for _ in range(3):
                for kind, app in apps.items():
                    times[kind, command].append(timed(app, command))
        m = {key: statistics.median(values) for key, values in times.items()}
        print(
            f"| {n} | {m['ours', 'check']:.2f} s / {m['plain', 'check']:.2f} s"
            f" | {m['ours', 'check'] / m['plain', 'check']:.2f}x"
            f" | {m['ours', 'build']:.2f} s / {m['plain', 'build']:.2f} s"
            f" | {m['ours', 'build'] / m['plain', 'build']:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
