#!/usr/bin/env bash
# `make android`: the release .so for arm64-v8a, armeabi-v7a and x86_64 with cargo-ndk,
# laid out as jniLibs/<abi>/libhce_wallet_ffi.so, plus the Android Kotlin bindings.
# Needs ANDROID_NDK_HOME (NDK r27+) and `cargo install cargo-ndk`; cannot run on machines
# without an NDK (CI here runs `make check-android` instead). 16 KB page alignment comes
# from .cargo/config.toml. API level: 24 (Android 7) by default, ANDROID_API overrides.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ANDROID_NDK_HOME:-}" ]; then
  echo "android: set ANDROID_NDK_HOME to an Android NDK (r27 or newer)" >&2; exit 2
fi
command -v cargo-ndk >/dev/null || { echo "android: cargo install cargo-ndk" >&2; exit 2; }
out=${JNILIBS_DIR:-build/android/jniLibs}
api=${ANDROID_API:-24}
echo "== cargo ndk → $out (API $api)"
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -P "$api" -o "$out" \
  build --release -p hce-wallet-ffi --lib
ls -l "$out"/*/libhce_wallet_ffi.so
bash scripts/bindings.sh --android --release
