#!/usr/bin/env bash
# Runs parlog's whole test suite on a fresh machine, installing what it needs first.
# CI runs this same script (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
    exit 2
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

# ---- browser tests of the web interface (tests/browser) -----------------------------------------
# Headless Chromium from Debian's `chromium` package, driven by playwright-core from the npm
# registry (no browser download). Installs what is missing and does nothing when it is there.
# PARLOG_SKIP_BROWSER=1 skips them, on a machine without Debian's packages.

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        echo "need root to run: $*" >&2
        return 1
    fi
}

apt_updated=
apt_install() {
    if [ -z "$apt_updated" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null
}

browser_tests() {
    if [ ! -x /usr/bin/chromium ]; then
        echo "installing Debian's chromium for the browser tests"
        apt_install chromium
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "installing Node.js and npm for the browser tests"
        apt_install nodejs npm
    fi
    # npm ci only when the lock file changed since the last install: it empties node_modules.
    local lock_sum stamp
    lock_sum="$(sha256sum tests/browser/package-lock.json | cut -d' ' -f1)"
    stamp=tests/browser/node_modules/.parlog-lock-sha256
    if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
        (cd tests/browser && npm ci --no-audit --no-fund </dev/null)
        echo "$lock_sum" >"$stamp"
    fi
    cargo build --locked --bin parlog
    PARLOG_BIN=target/debug/parlog node tests/browser/run.mjs
}

# ---- the API against its OpenAPI document (scripts/schemathesis.sh) ---------------------------
# Strict: every schemathesis check must pass. 20 examples per operation and phase keep it to
# about four minutes; a pass that takes over 600 s (a hang, not a slow machine) fails. It installs schemathesis from
# PyPI into a virtual environment; python3's venv module comes from Debian's python3-venv.
# PARLOG_SKIP_SCHEMATHESIS=1 skips it, on a machine without Python.

schemathesis_tests() {
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        echo "installing Debian's python3-venv for schemathesis"
        apt_install python3 python3-venv
    fi
    SCHEMATHESIS_STRICT=1 SCHEMATHESIS_MAX_EXAMPLES=20 SCHEMATHESIS_PASS_SECONDS_MAX=600 scripts/schemathesis.sh
}

if [ "${PARLOG_SKIP_SCHEMATHESIS:-}" = 1 ]; then
    echo "schemathesis skipped (PARLOG_SKIP_SCHEMATHESIS=1)"
else
    schemathesis_tests
fi

if [ "${PARLOG_SKIP_BROWSER:-}" = 1 ]; then
    echo "browser tests skipped (PARLOG_SKIP_BROWSER=1)"
else
    browser_tests
fi
