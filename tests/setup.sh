#!/usr/bin/env bash
# Installs what tracetcp needs on a Debian machine (run as root): libpcap
# for building, iproute2 and nftables for the namespace lab, util-linux
# (setpriv) for the no-privileges test, tcpdump and tshark (recordings must
# open in them), traceroute, tcptraceroute, mtr, nmap, scamper and trippy
# (their captures are replayed by inference), and a Rust toolchain if
# missing.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
    echo "setup: run as root (apt-get and network namespaces need it)" >&2
    exit 3
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    libpcap-dev iproute2 nftables util-linux bash ca-certificates curl gcc libc6-dev \
    tcpdump tshark libcap2-bin traceroute tcptraceroute mtr-tiny nmap scamper >/dev/null

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: no Rust toolchain: installing one with rustup" >&2
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
fi
# trippy is not packaged in Debian: built from crates.io (a few minutes),
# the version captures/foreign was recorded with; only for the tests
# (`setup.sh --with-trippy`), not the demo.
if [ "${1:-}" = --with-trippy ] && ! command -v trip >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/trip" ]; then
    cargo install --locked --version 0.13.0 trippy
fi
