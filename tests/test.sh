#!/usr/bin/env bash
# Installs what is missing and runs every check and test: formatting,
# clippy, unit, fixture, fuzz (short pass), replay and namespace-lab
# end-to-end tests. Run as root from anywhere; .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --workspace 2>&1 | tee "$log"
# One closing line for all test binaries (cargo's own last line is a
# doc-test run that may count 0).
awk '/^test result:/ { p += $4; f += $6; s += $8 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
