#!/usr/bin/env bash
# Sets up a fresh Debian machine and shows a real trace: a namespace lab
# client - r1 - r2 - r3 - r4 - server where r2 is a silent router and r3
# blocks TCP port 135. Run as root from the project root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
echo "demo: building tracetcp and the lab helper (a minute or two the first time)" >&2
cargo build --quiet --example lab --bin tracetcp
echo "demo: starting the namespace lab and tracing through it" >&2
exec target/debug/examples/lab demo
