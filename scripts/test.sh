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

# ---- the REFI-QDA schemas for the export tests (tests/tests/it/qda.rs) ---------------------------
# Every .qdpx and .qdc the tests export is validated against the standard's two XML schemas
# (QDA-XML 1.0, March 2019, with an MIT notice). They ship in the PyPI source distribution of
# pyrefiqda 0.3.1, folder refi-qda-standard/ (Project.xsd, Codebook.xsd, beside the spec's PDF),
# fetched once with pip into target/refi-qda/ and checked against the digests below; the
# validator is xmllint from Debian's libxml2-utils (no mature XSD validator exists in Rust),
# installed as PostgreSQL is above. With both there PARLOG_TEST_XSD_REQUIRED=1 makes those tests
# fail rather than skip without a validator. When either cannot be had it says so, and those
# tests skip, each saying why. PARLOG_SKIP_REFI_QDA=1 leaves them alone.

refi_dir=target/refi-qda
refi_files="Project.xsd:77608205d5c17c6a60f75e771dd825d8e36eb7db24f8fe7cb86d47e70f83c0f5 Codebook.xsd:bc4706a6fdb736cc3248de1753366f2b1f5b13e6828d319cea2874deb7e61b52"

refi_schemas_present() {
    local f
    for f in $refi_files; do
        [ "$(sha256sum "$refi_dir/${f%%:*}" 2>/dev/null | cut -d' ' -f1)" = "${f#*:}" ] || return 1
    done
}

refi_schemas() {
    local tmp f
    if ! python3 -m pip --version >/dev/null 2>&1; then
        echo "installing Debian's python3-pip to fetch the REFI-QDA schemas"
        apt_install python3 python3-pip || return 1
    fi
    tmp="$(mktemp -d)"
    # pip only downloads (the package is not installed); the sdist holds the schemas.
    if ! python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$tmp" pyrefiqda==0.3.1 </dev/null; then
        rm -rf "$tmp"
        return 1
    fi
    tar -xzf "$tmp/pyrefiqda-0.3.1.tar.gz" -C "$tmp" pyrefiqda-0.3.1/refi-qda-standard || { rm -rf "$tmp"; return 1; }
    mkdir -p "$refi_dir"
    for f in $refi_files; do
        cp "$tmp/pyrefiqda-0.3.1/refi-qda-standard/${f%%:*}" "$refi_dir/"
    done
    rm -rf "$tmp"
    refi_schemas_present || { echo "the REFI-QDA schemas in pyrefiqda 0.3.1 are not the ones this script knows (sha256)" >&2; return 1; }
}

refi_qda_for_tests() {
    if ! refi_schemas_present; then
        echo "fetching the REFI-QDA schemas (PyPI sdist of pyrefiqda 0.3.1) into $refi_dir"
        refi_schemas || { echo "could not fetch the REFI-QDA schemas" >&2; return 1; }
    fi
    if ! command -v xmllint >/dev/null 2>&1; then
        echo "installing Debian's libxml2-utils (xmllint) for the REFI-QDA export tests"
        apt_install libxml2-utils || { echo "could not install Debian's libxml2-utils" >&2; return 1; }
    fi
    export PARLOG_REFI_XSD_DIR="$PWD/$refi_dir"
    export PARLOG_TEST_XSD_REQUIRED=1
    echo "REFI-QDA schemas in $refi_dir and xmllint at hand: every export test validates, and must"
}

if [ "${PARLOG_SKIP_REFI_QDA:-}" = 1 ]; then
    echo "REFI-QDA schemas left alone (PARLOG_SKIP_REFI_QDA=1): the export tests validate only if they find them and xmllint"
elif ! refi_qda_for_tests; then
    # The exports' validity is a promise of the suite: without the schemas it is not checked.
    echo "the REFI-QDA schemas or xmllint could not be had (see above); PARLOG_SKIP_REFI_QDA=1 runs the rest without them" >&2
    exit 1
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

# ---- the ODT retrospective against the OASIS ODF 1.3 schemas (scripts/odf-validate.sh) ---------
# The demo's report in Dutch and English and Zwolle's, validated with lxml against the RELAX NG
# schemas the PyPI package openxml-audit ships, in a virtual environment of its own.
# PARLOG_SKIP_ODF=1 skips it, on a machine without Python.

if [ "${PARLOG_SKIP_ODF:-}" = 1 ]; then
    echo "ODF validation skipped (PARLOG_SKIP_ODF=1)"
else
    if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        echo "installing Debian's python3-venv for the ODF validation"
        apt_install python3 python3-venv
    fi
    scripts/odf-validate.sh
fi

if [ "${PARLOG_SKIP_BROWSER:-}" = 1 ]; then
    echo "browser tests skipped (PARLOG_SKIP_BROWSER=1)"
else
    browser_tests
fi
