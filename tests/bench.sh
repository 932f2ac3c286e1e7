#!/usr/bin/env bash
# The benchmark (run by hand, as root, not in CI): installs the peers
# (Linux traceroute, tcptraceroute, mtr, nmap, trippy), GNU time and
# iptables (its NFQUEUE target delays the lab's links), then
# times tracetcp against them side by side in the namespace lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends traceroute tcptraceroute mtr-tiny nmap time iptables >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
command -v trip >/dev/null || cargo install --locked trippy
cargo build --release --quiet --bin tracetcp --example bench
exec target/release/examples/bench
