#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine; a no-op when all is present.
# Debian packages: pcscd + vsmartcard-vpcd + pcsc-tools + pyscard (virtual card tests),
# nginx-light (key-sync tests), libjna-java + junit4 (Kotlin tests).
# Rust: the three Android targets, nightly + cargo-fuzz (fuzzing).
# Kotlin compiler: npm package kotlin-compiler, unpacked under .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pcscd vsmartcard-vpcd pcsc-tools libpcsclite-dev python3-pyscard nginx-light libjna-java junit4)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

installed_targets=$(rustup target list --installed)
for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android; do
  grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz --version '^0.13'

KOTLIN_VERSION=2.4.20
if [ ! -x .tools/kotlinc/bin/kotlinc ]; then
  echo "install-deps: kotlin-compiler@$KOTLIN_VERSION from npm"
  mkdir -p .tools && tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar xzf kotlin-compiler-*.tgz)
  rm -rf .tools/kotlinc && mv "$tmp/package" .tools/kotlinc && rm -rf "$tmp"
  chmod +x .tools/kotlinc/bin/*
fi
