#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60), one after another, and
# prints per target the executions, the corpus size and the result. Exits 1 if any target
# crashed (its input is in fuzz/artifacts/<target>/), 2 on a setup failure.
#
#   scripts/fuzz.sh [SECONDS]
#
# Environment:
#   FUZZ_TARGETS    the targets to run (default: all of them, as `cargo fuzz list` names them)
#   FUZZ_SANITIZER  address (default when the toolchain has its runtime) or none
#
# cargo-fuzz passes nightly-only flags to rustc (-Z sanitizer, coverage instrumentation).
# Only a stable toolchain is to be had here, so RUSTC_BOOTSTRAP=1 lets stable take them.
# Stable 1.95 ships the address sanitizer's runtime (librustc-stable_rt.asan.a), so
# `-s address` works; without that file the script falls back to `-s none`.
# The build is cargo-fuzz's default: optimised, with debug assertions and overflow checks.
#
# New inputs the fuzzer finds go to fuzz/work/<target> (not committed); the committed seeds in
# fuzz/corpus/<target> are only read. The fuzzing wrappers write scratch files under TMPDIR,
# which this script points at a folder of its own (in /dev/shm when there is one: the log
# wrapper rewrites its file on every run) and removes at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS]  (seconds per target, a positive whole number)" >&2
    exit 2
fi

# The version this was written and run with; a newer one may change its flags.
CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io" >&2
    cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" >&2
fi
export RUSTC_BOOTSTRAP=1

sanitizer=${FUZZ_SANITIZER:-}
if [ -z "$sanitizer" ]; then
    sysroot_lib="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/lib"
    if compgen -G "$sysroot_lib/librustc-*_rt.asan.a" >/dev/null; then
        sanitizer=address
    else
        echo "no address sanitizer runtime in $sysroot_lib: fuzzing without a sanitizer" >&2
        sanitizer=none
    fi
fi

scratch_root=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch_root=/dev/shm
scratch=$(mktemp -d "$scratch_root/parlog-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"
echo "building ${targets[*]} (sanitizer: $sanitizer)" >&2
if ! cargo fuzz build -s "$sanitizer" >"$scratch/build.log" 2>&1; then
    cat "$scratch/build.log" >&2
    echo "the fuzz targets did not build (sanitizer: $sanitizer); FUZZ_SANITIZER=none may help" >&2
    exit 2
fi

failed=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/work/$t" "fuzz/corpus/$t"
    log="$scratch/$t.log"
    echo "fuzzing $t for ${seconds}s" >&2
    status=0
    cargo fuzz run -s "$sanitizer" "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line (#N ... corp: UNITS/SIZE ...) names the corpus in use.
    corpus=$(grep -Eo 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -1 | cut -d' ' -f2)
    if [ "$status" = 0 ]; then
        result=ok
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to //p' "$log" | tail -1)
        cause=$(grep -m1 -E "panicked at|ERROR: (libFuzzer|AddressSanitizer)" "$log" || true)
        result="FAILED (exit $status): ${cause:-see the log below}${artifact:+; input: $artifact}"
        tail -60 "$log" >&2
    fi
    summary+=("$(printf '%-14s %6ss  runs %-10s corpus %-12s %s' "$t" "$seconds" "${runs:-?}" "${corpus:-?}" "$result")")
done

printf '%s\n' "${summary[@]}"
exit "$failed"
