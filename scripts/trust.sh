#!/usr/bin/env bash
# The larger crash-and-tamper run of issue 10 (the test command runs a smaller one):
#   scripts/trust.sh [CRASH_ROUNDS] [TAMPER_TRIALS]
# 1. the crash test with CRASH_ROUNDS rounds of kill -9 during appends (100 by default);
# 2. TAMPER_TRIALS random damages to one file of a data folder (1000 by default): tried / held /
#    refused with a message / found and named / silent loss (must be 0) / a check that changed a
#    byte (must be 0).
# Release builds; exits non-zero if anything acknowledged was lost or damage went unnoticed.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-100}"
trials="${2:-1000}"
echo "== crash test: $rounds rounds of kill -9 during appends"
PARLOG_CRASH_ROUNDS="$rounds" cargo test --release --locked -p parlog-tests --test it crash::acknowledged_appends_survive_sigkill -- --nocapture 2>&1 \
    | grep -E "^crash test|test result|panicked|FAILED" 
echo "== tamper trials: $trials"
cargo build --release --locked -p parlog-tests --bin trust_trials
./target/release/trust_trials "$trials"
