#!/usr/bin/env bash
# Installs what tracetcp needs on a Debian machine, as root, and only what
# is missing (installing a package already there would upgrade unrelated
# ones). With no argument: building and the namespace lab (libpcap,
# iproute2, nftables, a C compiler, a Rust toolchain if there is none).
# With --for-tests: also what the tests use (iptables, whose NFQUEUE
# target the lab's answer rewriter and delay line use; setpriv for the
# no-privileges test; tcpdump and tshark, which must open our recordings;
# traceroute, tcptraceroute, mtr, nmap, scamper and trippy, whose
# captures are replayed by inference; dnsmasq, the DNS server the AS
# tests start in the lab; ripe.atlas.sagan and pantrace, which read
# --atlas-json; graphviz, which draws --dot).
set -euo pipefail

say() { echo "setup: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    say "run as root (apt-get and network namespaces need it)"
    exit 3
fi

packages=(libpcap-dev iproute2 nftables gcc libc6-dev ca-certificates curl)
if [ "${1:-}" = --for-tests ]; then
    packages+=(util-linux iptables tcpdump tshark libcap2-bin traceroute tcptraceroute mtr-tiny nmap scamper dnsmasq-base graphviz)
fi
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]} with apt-get (a minute or two)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "every Debian package needed is installed"
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    say "no Rust toolchain: installing one with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
fi
# trippy is not packaged in Debian: built from crates.io (a few minutes),
# the version captures/foreign was recorded with; only for the tests.
if [ "${1:-}" = --for-tests ] && ! command -v trip >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/trip" ]; then
    say "building trippy 0.13.0 from crates.io for the foreign-capture tests (a few minutes)"
    cargo install --quiet --locked --version 0.13.0 trippy
fi
# RIPE Atlas's own result parser, which reads --atlas-json in the tests.
if [ "${1:-}" = --for-tests ] && ! python3 -c 'import ripe.atlas.sagan' >/dev/null 2>&1; then
    say "installing ripe.atlas.sagan (pip) for the --atlas-json tests"
    python3 -m pip install --quiet --disable-pip-version-check ripe.atlas.sagan
fi
# pantrace, which converts --atlas-json to scamper's warts for the tests
# (scamper's sc_warts2json then reads it).
if [ "${1:-}" = --for-tests ] && ! command -v pantrace >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/pantrace" ]; then
    say "building pantrace from crates.io for the format tests (half a minute)"
    cargo install --quiet --locked pantrace
fi
