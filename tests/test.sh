#!/usr/bin/env bash
# Installs what is missing and runs every check and test: formatting,
# clippy, unit, fixture, fuzz (short pass), replay and namespace-lab
# end-to-end tests. Run as root from anywhere; .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh --for-tests
export PATH="$HOME/.cargo/bin:$PATH"
# A failed check does not stop the tests: every failure is reported, and
# the closing line is always printed.
status=0
cargo fmt --all -- --check || { echo "test.sh: cargo fmt --check failed" >&2; status=1; }
cargo clippy --workspace --all-targets -- -D warnings || { echo "test.sh: clippy failed" >&2; status=1; }
# The fuzz pass's seed, printed so that a failure can be replayed.
export FUZZ_SEED="${FUZZ_SEED:-0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}"
echo "fuzz seed: $FUZZ_SEED (rerun: FUZZ_SEED=$FUZZ_SEED bash tests/test.sh)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The lab and external-tool tests are #[ignore]d for plain `cargo test`
# (they need root); this command runs them all, and fails them if they
# cannot run.
# --no-fail-fast: a failing binary does not keep the others from running.
cargo test --workspace --no-fail-fast -- --include-ignored 2>&1 | tee "$log" || status=$?
# One closing line for all test binaries, failures included (cargo's own
# last line is a doc-test run that may count 0).
awk '/^test result:/ { p += $4; f += $6; s += $8 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
