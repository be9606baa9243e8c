#!/usr/bin/env bash
# The HTTP load benchmark (issue 4; docs/benchmarks-http.md): starts a release server on a free
# loopback port with a fresh data folder under target/, loads the demo, creates a makelaar token,
# runs the load generator (tests/src/bin/loadgen.rs) against it, stops the server with SIGTERM
# and prints the figures. It is a benchmark, not a test: a target missed is reported, not failed.
#
# Usage: scripts/loadbench.sh [LOADGEN OPTIONS]   e.g. --seconds 3 --runs 1 for a quick look;
#        `target/release/loadgen --help` lists them.
# PARLOG_LOADBENCH_KEEP=1 keeps the data folder afterwards (it is removed otherwise: a run
# writes some hundreds of megabytes).
#
# Exit codes: those of the load generator (0 all checks held, 1 a check failed, 2 bad usage or
# no server), or 1 if the server did not start or did not stop cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo is missing: install Rust (https://rustup.rs) and run this again" >&2
    exit 2
fi

# Two builds rather than one, so that the server is the very binary `cargo build --release
# --bin parlog` makes (one build would unify the features of both packages' dependencies).
cargo build --release --locked --bin parlog
cargo build --release --locked -p parlog-tests --bin loadgen
parlog=target/release/parlog
loadgen=target/release/loadgen

mkdir -p target/loadbench
work="$(mktemp -d target/loadbench/run.XXXXXX)"
data="$work/data"
server_pid=

finish() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${PARLOG_LOADBENCH_KEEP:-}" = 1 ]; then
        echo "kept: $work (server log: $work/server.err)"
    else
        rm -rf "$work"
    fi
}
trap finish EXIT

"$parlog" --data "$data" demo >/dev/null
participant=makelaar-noord-a # a makelaar of the demo: may append observations and read the feed
token="$("$parlog" --data "$data" token create --participant "$participant" --role makelaar 2>/dev/null)"

# Port 0: the system picks a free port and the server prints the address it got.
"$parlog" --data "$data" serve --addr 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
addr=
for _ in $(seq 1 100); do
    # "parlog serves on http://ADDR/", in the command line's language ("parlog luistert op …").
    addr="$(sed -n 's|^parlog .* http://\(127\.0\.0\.1:[0-9]*\)/$|\1|p' "$work/server.out" | head -n 1)"
    [ -n "$addr" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server did not start; its log:" >&2
        cat "$work/server.err" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$addr" ]; then
    echo "the server printed no address within 10 s; its log is in $work/server.err" >&2
    PARLOG_LOADBENCH_KEEP=1
    exit 1
fi

echo "server: $parlog serve --addr $addr (pid $server_pid, data $data)"
status=0
"$loadgen" --addr "$addr" --token "$token" --participant "$participant" --server-pid "$server_pid" \
    --scratch "$work" "$@" || status=$?

# SIGTERM: the graceful shutdown the server promises (no acknowledged append lost).
kill -TERM "$server_pid"
if ! wait "$server_pid"; then
    echo "the server did not stop cleanly after SIGTERM; its log is in $work/server.err" >&2
    PARLOG_LOADBENCH_KEEP=1
    status=1
fi
server_pid=
echo "server stopped (SIGTERM); log size $(du -sh "$data" | cut -f1)"
exit "$status"
