#!/usr/bin/env bash
# Runs parlog's whole test suite on a fresh machine, installing what it needs first.
# CI runs this same script (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
    exit 2
fi

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
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null || return 1
        apt_updated=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null
}

# ---- PostgreSQL for the tests of the second store (tests/src/pg.rs) -----------------------------
# The PostgreSQL tests make a database each on the server at 127.0.0.1:5432 (or PARLOG_TEST_PG,
# an address that may carry a password). When none answers, this installs Debian's `postgresql`
# (as it installs Chromium below) and starts it; a fresh Debian trusts local socket logins only,
# not TCP, so the `postgres` role it just installed gets a random password, handed to the tests
# in PARLOG_TEST_PG. With a server there, PARLOG_TEST_PG_REQUIRED=1 makes the PostgreSQL tests
# fail rather than skip: a suite that silently skipped the second store would prove nothing.
# When it cannot install or start one it says so, and those tests skip, each saying why.
# PARLOG_SKIP_POSTGRES=1 leaves PostgreSQL alone (the tests then use a server if one answers).

pg_host=127.0.0.1
pg_port=5432

pg_ready() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$pg_host" -p "$pg_port"
    else
        # Without the client tools: is anything listening there?
        (: <"/dev/tcp/$pg_host/$pg_port") 2>/dev/null
    fi
}

pg_wait_ready() {
    local i
    for i in $(seq 1 30); do
        pg_ready && return 0
        sleep 1
    done
    return 1
}

pg_start() {
    local cluster
    # The cluster the package made, such as "15 main".
    cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR == 1 {print $1, $2}')"
    if [ -n "$cluster" ]; then
        # shellcheck disable=SC2086 # version and name, two words
        as_root pg_ctlcluster $cluster start && return 0
    fi
    as_root service postgresql start
}

postgres_for_tests() {
    local installed= password
    if ! pg_ready; then
        if ! command -v pg_ctlcluster >/dev/null 2>&1; then
            echo "installing Debian's postgresql for the PostgreSQL tests"
            apt_install postgresql || { echo "could not install Debian's postgresql" >&2; return 1; }
            installed=1
        fi
        echo "starting PostgreSQL for the PostgreSQL tests"
        pg_start || { echo "could not start PostgreSQL" >&2; return 1; }
        pg_wait_ready || { echo "PostgreSQL did not answer on $pg_host:$pg_port within 30 s" >&2; return 1; }
        if [ -n "$installed" ] && [ -z "${PARLOG_TEST_PG:-}" ]; then
            password="parlog-test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
            as_root runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD '$password'" </dev/null \
                || { echo "could not set a password for the postgres role" >&2; return 1; }
            export PARLOG_TEST_PG="postgres://postgres:$password@$pg_host:$pg_port/postgres"
        fi
    fi
    export PARLOG_TEST_PG_REQUIRED=1
    echo "PostgreSQL answers on $pg_host:$pg_port: the PostgreSQL tests run and must pass"
}

if [ "${PARLOG_SKIP_POSTGRES:-}" = 1 ]; then
    echo "PostgreSQL left alone (PARLOG_SKIP_POSTGRES=1): its tests run only if a server answers"
elif ! postgres_for_tests; then
    echo "PostgreSQL tests skipped: no server answers on $pg_host:$pg_port and none could be installed and started (see above); each of those tests says so" >&2
fi

cargo fmt --all -- --check
# clippy holds our code to the workspace's rust-version (its incompatible_msrv lint names any std
# item stabilised later), and the test msrv.rs holds that rust-version to the highest one a locked
# dependency declares: with one toolchain at hand, the declared versions are the honest check.
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test -p parlog-tests --test it --locked msrv::
cargo test --workspace --locked

# ---- browser tests of the web interface (tests/browser) -----------------------------------------
# Headless Chromium from Debian's `chromium` package, driven by playwright-core from the npm
# registry (no browser download). Installs what is missing and does nothing when it is there.
# Debian 12's `nodejs` is Node 18: playwright-core is pinned to the last release that runs on it
# (1.61.1: its `engines` says node >=18; from 1.62 on it says >=20), so no Node from elsewhere is needed.
# PARLOG_SKIP_BROWSER=1 skips them, on a machine without Debian's packages.

browser_tests() {
    if [ ! -x /usr/bin/chromium ]; then
        echo "installing Debian's chromium for the browser tests"
        apt_install chromium
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "installing Node.js and npm for the browser tests"
        apt_install nodejs npm
    fi
    if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
        echo "the browser tests need Node.js 18 or newer (Debian 12's nodejs is 18); this one is $(node --version)" >&2
        return 1
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
