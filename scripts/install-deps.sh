#!/usr/bin/env bash
# Installs what `make test` needs on a fresh Debian machine; a no-op when all is present.
# Debian packages: pcscd + vsmartcard-vpcd + pcsc-tools + pyscard (virtual card tests),
# nginx-light (key-sync tests), libjna-java + junit4 (Kotlin tests), zbar-tools (the payment
# QR read back by a real scanner, tests/tests/pay_qr.rs).
# Rust: the three Android targets, nightly + cargo-fuzz (fuzzing).
# Kotlin compiler: npm package kotlin-compiler, unpacked under .tools/.
# EMV readers (make test-pay-readers, spec payment-hce §15): Debian cardpeek; a venv
# .tools/emv-venv with PyPI emv (emvtool; builds pyscard 2.0.0 from source with swig and
# libpcsclite-dev) and pyemv; the Rust crate emv's emv-test-transaction under .tools/emv-rs
# with the crate's four TOML configs copied to .tools/emv-rs/config/.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pcscd vsmartcard-vpcd pcsc-tools libpcsclite-dev python3-pyscard python3-cryptography nginx-light libjna-java junit4
  cardpeek swig python3-venv zbar-tools)
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

EMV_PY_VERSION=1.0.14
PYEMV_VERSION=1.5.0
if ! .tools/emv-venv/bin/python - "$EMV_PY_VERSION" "$PYEMV_VERSION" >/dev/null 2>&1 <<'EOF'; then
import sys
from importlib.metadata import version
import emv, pyemv  # noqa: F401  (emv imports pyscard: it was built)
sys.exit(0 if (version("emv"), version("pyemv")) == tuple(sys.argv[1:3]) else 1)
EOF
  echo "install-deps: venv .tools/emv-venv with emv==$EMV_PY_VERSION pyemv==$PYEMV_VERSION"
  mkdir -p .tools
  rm -rf .tools/emv-venv
  /usr/bin/python3 -m venv .tools/emv-venv
  .tools/emv-venv/bin/pip install -q --disable-pip-version-check \
    "emv==$EMV_PY_VERSION" "pyemv==$PYEMV_VERSION"
fi

EMV_RS_VERSION=0.1.1
if [ ! -x .tools/emv-rs/bin/emv-test-transaction ] ||
  ! ls .tools/emv-rs/config/terminal.toml >/dev/null 2>&1; then
  if [ ! -x .tools/emv-rs/bin/emv-test-transaction ]; then
    echo "install-deps: cargo install emv $EMV_RS_VERSION (emv-test-transaction)"
    cargo install -q --locked emv --version "$EMV_RS_VERSION" --root .tools/emv-rs ||
      cargo install -q emv --version "$EMV_RS_VERSION" --root .tools/emv-rs
  fi
  # The four TOML configs ship in the crate's source root, not in the binary.
  src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"emv-$EMV_RS_VERSION" 2>/dev/null | head -1)
  [ -n "$src" ] || { echo "install-deps: emv-$EMV_RS_VERSION source not found" >&2; exit 1; }
  mkdir -p .tools/emv-rs/config
  cp "$src"/terminal.toml "$src"/aids.toml "$src"/capk.toml "$src"/crl.toml .tools/emv-rs/config/
fi
