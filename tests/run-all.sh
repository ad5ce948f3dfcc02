#!/usr/bin/env bash
# Every test of the workspace, with what the tests need installed first on a fresh machine.
# The behaviour tests are the modules of one binary, tests/tests/it/ (tests/src holds their
# helpers, the browser harness among them); they need Debian's chromium and chromium-driver for
# it/browser.rs and it/oidc_browser.rs (installed as root, only when /usr/bin/chromium is
# absent), openapi-spec-validator from PyPI in target/venv for it/openapi_demo.rs,
# examples_openapi.rs, router_security.rs and schemes.rs, and oidc-provider from npm in
# target/oidc-provider for it/mcp.rs, oidc_client_credentials.rs, oidc_rotation.rs, dpop.rs and
# oidc_browser.rs (with panva's dpop for dpop.rs; node and npm are on the machine), and Debian's
# redis-server for it/revocation.rs and dpop.rs
# (installed as root when missing; the tests start and stop their own servers, so the package's
# service is kept from starting). Idempotent: when everything is there it only runs cargo.
#
#   bash tests/run-all.sh [extra `cargo test` arguments]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "run-all: Chromium is missing; install it as root: apt-get install -y chromium chromium-driver" >&2
        exit 1
    fi
    echo "run-all: installing chromium and chromium-driver" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if ! command -v redis-server >/dev/null; then
    if [[ "$(id -u)" -ne 0 ]]; then
        echo "run-all: redis-server is missing; install it as root: apt-get install -y redis-server" >&2
        exit 1
    fi
    echo "run-all: installing redis-server" >&2
    # The tests start their own servers: keep the package's service from starting.
    policy=/usr/sbin/policy-rc.d
    made_policy=""
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    if [[ -n "$made_policy" ]]; then
        rm -f "$policy"
    fi
fi

venv="$root/target/venv"
validator="$venv/bin/openapi-spec-validator"
if [[ ! -x "$validator" ]]; then
    echo "run-all: installing openapi-spec-validator into $venv" >&2
    mkdir -p "$root/target"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check openapi-spec-validator
fi

# A real OpenID provider for the it/ modules mcp, oidc_client_credentials, oidc_rotation, dpop and
# oidc_browser: oidc-provider from npm, beside its script, with dpop-client.mjs (a DPoP client
# on the dpop package from npm).
oidc="$root/target/oidc-provider"
mkdir -p "$oidc"
cp "$root/tests/oidc/provider.mjs" "$root/tests/oidc/dpop-client.mjs" "$root/tests/oidc/package.json" "$oidc/"
if [[ ! -d "$oidc/node_modules/oidc-provider" || ! -d "$oidc/node_modules/dpop" ]]; then
    echo "run-all: installing oidc-provider and dpop from npm into $oidc" >&2
    (cd "$oidc" && npm install --silent --no-audit --no-fund)
fi

export OPENAPI_SPEC_VALIDATOR="$validator"
export OIDC_PROVIDER_SCRIPT="$oidc/provider.mjs"
export CHROMIUM=/usr/bin/chromium
export CHROMEDRIVER=/usr/bin/chromedriver
export REDIS_SERVER="$(command -v redis-server)"

exec cargo test --workspace --locked "$@"
