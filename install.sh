#!/usr/bin/env bash
# Installs tracetcp: the release binary in PREFIX/bin, its man page and
# its bash, zsh and fish completions (generated from the one flag
# definition by `tracetcp --generate`), then grants the binary
# cap_net_raw so that it runs without root.
#
#     bash install.sh [PREFIX]     # as root; PREFIX: /usr/local by default
#
# TRACETCP_BIN=path installs that binary instead of building one;
# DESTDIR=dir stages everything under dir (packaging), without setcap.
set -euo pipefail
cd "$(dirname "$0")"
prefix="${1:-/usr/local}"
root="${DESTDIR:-}"
bin="${TRACETCP_BIN:-}"
if [ -z "$bin" ]; then
    if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
    cargo build --release --locked --bin tracetcp
    bin=target/release/tracetcp
fi
# Stripped: the release profile keeps line tables for profiling (tens
# of MB) that an installed binary does not need.
strip=()
command -v strip >/dev/null 2>&1 && strip=(-s)
install -D -m 0755 "${strip[@]}" "$bin" "$root$prefix/bin/tracetcp"
installed="$root$prefix/bin/tracetcp"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for what in man bash zsh fish; do
    "$installed" --generate "$what" > "$tmp/$what"
done
install -D -m 0644 "$tmp/man" "$root$prefix/share/man/man1/tracetcp.1"
install -D -m 0644 "$tmp/bash" "$root$prefix/share/bash-completion/completions/tracetcp"
install -D -m 0644 "$tmp/zsh" "$root$prefix/share/zsh/site-functions/_tracetcp"
install -D -m 0644 "$tmp/fish" "$root$prefix/share/fish/vendor_completions.d/tracetcp.fish"
echo "installed $installed, its man page and bash, zsh and fish completions"
if [ -n "$root" ]; then
    echo "staged under $root: grant the capability on the target (setcap cap_net_raw+ep $prefix/bin/tracetcp)"
elif [ "$(id -u)" = 0 ] && command -v setcap >/dev/null 2>&1; then
    setcap cap_net_raw+ep "$installed"
    echo "granted cap_net_raw to $installed: it runs without root"
else
    echo "to run it without root: sudo setcap cap_net_raw+ep $installed"
fi
