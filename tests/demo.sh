#!/usr/bin/env bash
# Sets up a fresh Debian machine and shows a real trace: a namespace lab
# client - r1 - r2 - r3 - r4 - server where r2 is a silent router and r3
# blocks TCP port 135. Run as root from the project root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --quiet --example lab --bin tracetcp
exec target/debug/examples/lab demo
