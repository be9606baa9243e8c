#!/usr/bin/env bash
# Runs schemathesis (property-based API tests generated from the OpenAPI document) against a
# parlog server on loopback with the demo log, as the demo admin.
#
#   scripts/schemathesis.sh
#
# Exits 1 if any response was a server error (5xx) or a client error (4xx) that is not
# application/problem+json (every error of the API is, ARCHITECTURE.md), or if the server
# panicked or died; 2 on a setup failure.
# schemathesis runs with --checks all; what its other checks find is printed, and fails the
# script too with SCHEMATHESIS_STRICT=1.
#
# Environment:
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 50)
#   SCHEMATHESIS_SEED          a seed, to repeat a run (default: a new one, printed)
#   SCHEMATHESIS_REPORT_DIR    where the reports go (default: a temporary folder, kept)
#   SCHEMATHESIS_VENV          the virtual environment schemathesis is installed in
#   SCHEMATHESIS_STRICT        1: fail on every failed schemathesis check
#   SCHEMATHESIS_PASS_SECONDS_MAX  how long each pass may run before it is stopped and fails
#                              (default 1200)
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned: schemathesis's checks and generators change between releases, and a run should mean
# the same thing next month. 4.32.5 is the newest 4.x as this was written.
SCHEMATHESIS_VERSION=4.32.5
venv=${SCHEMATHESIS_VENV:-$HOME/.cache/parlog/schemathesis-$SCHEMATHESIS_VERSION}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
seed=${SCHEMATHESIS_SEED:-$RANDOM$RANDOM}
# Each pass stops after this, whatever schemathesis is doing, and the run fails.
RUN_SECONDS_MAX=${SCHEMATHESIS_PASS_SECONDS_MAX:-1200}

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

cargo build -q --locked --bin parlog
parlog=target/debug/parlog

work=$(mktemp -d /tmp/parlog-schemathesis.XXXXXX)
reports=$(realpath -m "${SCHEMATHESIS_REPORT_DIR:-$work/reports}")
server=
cleanup() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    # The data folder and the master key file that parlog keeps beside it.
    rm -rf "$work/data" "$work/data.master-key"
}
trap cleanup EXIT

# Port 0: the server picks a free port and prints its address; --demo loads the demo log and
# prints a sign-in link with a new token for each demo user, the admin among them.
PARLOG_LOG=warn "$parlog" --data "$work/data" serve --demo --addr 127.0.0.1:0 >"$work/server.out" 2>"$work/server.err" &
server=$!
for _ in $(seq 1 300); do
    grep -q '#token=' "$work/server.out" 2>/dev/null && grep -q 'admin ' "$work/server.out" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.err" >&2; echo "the server did not start" >&2; exit 2; }
    sleep 0.1
done
# The first line says where it listens, in the command line's language: "parlog serves on
# http://ADDR/" ("parlog luistert op …" in Dutch).
base=$(sed -n 's|^parlog .* \(http://[^/]*\)/$|\1|p' "$work/server.out" | head -n 1)
token_of() { sed -n "s|^ *$1 *http://[^#]*#token=||p" "$work/server.out"; }
admin=$(token_of admin)
researcher=$(token_of researcher)
if [ -z "$base" ] || [ -z "$admin" ] || [ -z "$researcher" ]; then
    cat "$work/server.out" "$work/server.err" >&2
    echo "could not read the server's address or the demo tokens from its output" >&2
    exit 2
fi
echo "server at $base (data in $work/data); schemathesis seed $seed; reports in $reports" >&2

# What the server rightly answers and JSON Schema cannot say, per operation and check (each
# answer is documented for its route in the OpenAPI document):
# - views: as_of and as_of_position are each valid but exclude each other; given both, a view
#   is a 422 problem. Schema-valid requests may therefore get 422.
# - notes: from and to are each valid but a range must not end before it starts; given so, the
#   list is a 422 problem.
# - POST /api/v1/events, schema-valid: a 400 problem for the rules no schema can state: rules
#   across fields of a payload (start < end, from != to, at least one of several fields), the
#   author when it is not the token's participant, and rules against the log (a stream that a
#   kind starts must be new, a stream or event it refers to must exist and be of the right
#   category). Every 400 names the event and the field; conflicts are 409 (expected already).
# - POST /api/v1/events, schema-violating: a batch over batch_events_max is 413, like a body over
#   body_bytes_max (the document says both under 413).
cat >"$work/schemathesis.toml" <<'TOML'
[[operations]]
include-path-regex = "^/api/v1/(studies/\\{study\\}/)?(projections/\\{name\\}|charts/\\{name\\}|retrospective)$"
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 403, 404, 409, 422, 429]

[[operations]]
include-name = "GET /api/v1/studies/{study}/notes"
checks.positive_data_acceptance.expected-statuses = ["2XX", 401, 403, 404, 422, 429]
# In the demo's study, so that the search and its filters are reached (any other slug is a 404).
parameters = { "path.study" = "gouda" }

[[operations]]
include-name = "POST /api/v1/events"
checks.positive_data_acceptance.expected-statuses = ["2XX", 400, 401, 403, 404, 409, 429]
checks.negative_data_rejection.expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]

[[operations]]
include-name = "POST /api/v1/studies/{study}/events"
checks.positive_data_acceptance.expected-statuses = ["2XX", 400, 401, 403, 404, 409, 429]
checks.negative_data_rejection.expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
TOML

# --continue-on-failure: schemathesis otherwise stops testing an operation at its first
# failure, and would not look further for server errors.
# One worker: with two, hypothesis (under Python 3.11) failed now and then with "AST
# constructor recursion depth mismatch" while building strategies, an error of the tool.
# One pass per role: the admin may call every operation but appending events, which is for
# makelaars and researchers (a researcher may append every kind but SubjectForgotten).
status=0
pass() {
    local name=$1 token=$2
    shift 2
    echo "== schemathesis as $name" >&2
    # In the scratch folder: schemathesis keeps a cache of failures (.schemathesis/) where it runs.
    (cd "$work" && timeout "$RUN_SECONDS_MAX" "$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" \
        run "$base/api/v1/openapi.json" \
        --checks all --continue-on-failure \
        -H "Authorization: Bearer $token" \
        --max-examples "$max_examples" \
        --seed "$seed" \
        --workers 1 \
        --request-timeout 30 \
        --report har,junit --report-dir "$reports" \
        --report-har-path "$reports/$name.har" --report-junit-path "$reports/$name.junit.xml" \
        --output-truncate false "$@") || status=$((status == 0 ? $? : status))
}
# GET /api/v1/feed is left out: it is a Server-Sent Events stream that stays open, and
# schemathesis waits for a whole body, so every case would end in the request timeout.
pass admin "$admin" --exclude-name "POST /api/v1/events" --exclude-name "GET /api/v1/feed" \
    --exclude-name "POST /api/v1/studies/{study}/events" --exclude-name "GET /api/v1/studies/{study}/feed"
# The notes are for makelaars and researchers (an admin is refused with 403): read them as one too.
pass researcher "$researcher" --include-name "POST /api/v1/events" --include-name "POST /api/v1/studies/{study}/events" \
    --include-name "GET /api/v1/studies/{study}/notes" --include-name "GET /api/v1/studies/{study}/notes/{id}"

if ! kill -0 "$server" 2>/dev/null; then
    echo "the server died during the run:" >&2
    tail -40 "$work/server.err" >&2
    status_api=1
fi
if grep -q "panicked at" "$work/server.err"; then
    echo "the server panicked while answering (the request's connection dropped):" >&2
    grep -A2 "panicked at" "$work/server.err" >&2
    status_api=1
fi

# Every response recorded in the HAR: server errors, and client errors that are not problems.
"$venv/bin/python" - "$reports" <<'EOF' || status_api=1
import json, pathlib, sys
bad, total = [], 0
for har in pathlib.Path(sys.argv[1]).glob("*.har"):
    for e in json.loads(har.read_text())["log"]["entries"]:
        req, res = e["request"], e["response"]
        total += 1
        ctype = next((h["value"] for h in res["headers"] if h["name"].lower() == "content-type"), "")
        # Status 0: no answer (the connection dropped, as when a handler panics).
        if res["status"] < 100 or res["status"] >= 500 or (400 <= res["status"] < 500 and not ctype.startswith("application/problem+json")):
            body = (res.get("content", {}).get("text") or "")[:300]
            bad.append(f'{res["status"]} {ctype or "(no content type)"}  {req["method"]} {req["url"]}\n    {body!r}')
for line in sorted(set(bad)):
    print(line)
print(f"{len(bad)} of {total} responses were server errors or client errors without application/problem+json")
sys.exit(1 if bad else 0)
EOF

echo "schemathesis exit status: $status (reports in $reports)" >&2
if [ "${status_api:-0}" != 0 ]; then
    exit 1
fi
if [ "$status" = 124 ]; then
    echo "a schemathesis pass did not finish within ${RUN_SECONDS_MAX}s (SCHEMATHESIS_PASS_SECONDS_MAX)" >&2
    exit 1
fi
if [ "${SCHEMATHESIS_STRICT:-0}" = 1 ] && [ "$status" != 0 ]; then
    exit 1
fi
exit 0
