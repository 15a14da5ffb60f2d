#!/usr/bin/env bash
# `make size`: size of the release hce-wallet-ffi .so for x86_64 Linux (stripped, fat LTO,
# one codegen unit: the workspace release profile) — the proxy for the Android library.
# Goal: < 1.5 MB. Prints the size and exits non-zero above the goal.
set -euo pipefail
cd "$(dirname "$0")/.."
goal=$((1536 * 1024))
cargo build -q --release -p hce-wallet-ffi --lib
so=target/release/libhce_wallet_ffi.so
bytes=$(stat -c %s "$so")
printf 'libhce_wallet_ffi.so (x86_64, release, LTO, stripped): %d bytes = %.2f MB (goal < 1.50 MB)\n' \
  "$bytes" "$(echo "$bytes / 1048576" | bc -l)"
gz=$(gzip -9 -c "$so" | wc -c)
printf '  compressed (gzip -9, roughly what an APK download adds): %d bytes = %.2f MB\n' \
  "$gz" "$(echo "$gz / 1048576" | bc -l)"
if [ "$bytes" -ge "$goal" ]; then echo "size: above goal" >&2; exit 1; fi
