#!/usr/bin/env bash
# The benchmark (run by hand, as root, not in CI): installs the peers
# (setup.sh --for-tests: traceroute, tcptraceroute, mtr, nmap, scamper,
# trippy), GNU time and
# iptables (its NFQUEUE target delays the lab's links), then
# times tracetcp against them side by side in the namespace lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh --for-tests
export PATH="$HOME/.cargo/bin:$PATH"
# GNU time and iptables, only if missing (setup.sh brought the peers).
if ! command -v iptables >/dev/null || [ ! -x /usr/bin/time ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends time iptables >/dev/null
fi
cargo build --release --quiet --bin tracetcp --example bench
exec target/release/examples/bench
