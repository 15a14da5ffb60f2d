#!/usr/bin/env bash
# `make bindings`: generate the Kotlin bindings into bindings/kotlin/generated (a stable
# folder an Android module can add as a source dir), with the workspace's pinned
# uniffi-bindgen in library mode from the host build of hce-wallet-ffi.
#   --android   generate for Android (android = true: android.system cleaner)
set -euo pipefail
cd "$(dirname "$0")/.."
# Always from the debug build: the release profile strips UniFFI's metadata symbols.
profile=debug; android=false
for a in "$@"; do
  case "$a" in
    --android) android=true ;;
    --release) ;; # accepted for compatibility; the generated Kotlin is the same
    *) echo "usage: $0 [--android] [--release]" >&2; exit 2 ;;
  esac
done
out=bindings/kotlin/generated
flags=(); [ "$profile" = release ] && flags=(--release)
echo "== cargo build -p hce-wallet-ffi (${profile})"
cargo build -q -p hce-wallet-ffi --lib "${flags[@]}"
# Library mode reads bindings/uniffi.toml; --android flips `android` for this run only.
if $android; then
  cp bindings/uniffi.toml bindings/uniffi.toml.orig
  trap 'mv bindings/uniffi.toml.orig bindings/uniffi.toml' EXIT
  sed -i 's/^android = false/android = true/' bindings/uniffi.toml
fi
rm -rf "$out"
echo "== uniffi-bindgen generate --library target/$profile/libhce_wallet_ffi.so → $out"
cargo run -q -p uniffi-bindgen -- generate --library "target/$profile/libhce_wallet_ffi.so" \
  --language kotlin --no-format --out-dir "$out"
find "$out" -name '*.kt' | sort
