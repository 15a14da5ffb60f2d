#!/usr/bin/env bash
# Line and region coverage of each fuzz target's own module, over its committed corpus
# (fuzz/corpus/<target>): `cargo fuzz coverage` builds an instrumented target and runs the
# corpus; llvm-profdata / llvm-cov (LLVM >= 19 reads the profiles of today's nightly; the
# rustup component llvm-tools is not reachable here, Debian's llvm-19 is) merge and report.
#   scripts/fuzz-coverage.sh          every target;  FUZZ_TARGETS="apdu dol" some of them
#   LLVM_BIN=/path/to/llvm/bin        LLVM tools to use (default: newest llvm-N found)
# Prints one line per target: the module, lines covered / lines, regions covered / regions.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
targets=(${FUZZ_TARGETS:-apdu ber_tlv ndef router smart_tap payment nfc_pass dol token_messages pass_import pass_update nfc_import nfc_issuer save_link key_bundle store_record store_open store_tables})

# Each target's own module: the code it exists to exercise (paths under the project).
declare -A module=(
  [apdu]="core/src/apdu.rs"
  [ber_tlv]="core/src/ber_tlv.rs"
  [ndef]="core/src/ndef.rs"
  [router]="core/src/router.rs"
  [smart_tap]="core/src/smart_tap"
  [payment]="core/src/payment/applet.rs core/src/payment/cryptogram.rs core/src/payment/profile.rs"
  [nfc_pass]="core/src/nfc_pass/applet.rs core/src/nfc_pass/auth.rs core/src/nfc_pass/files.rs core/src/nfc_pass/security.rs"
  [dol]="core/src/payment/dol.rs"
  [token_messages]="core/src/payment/provisioning.rs core/src/payment/status.rs"
  [pass_import]="core/src/pass/google_wallet.rs core/src/pass/json_reader.rs core/src/pass/model.rs"
  [pass_update]="core/src/pass/update"
  [nfc_import]="core/src/nfc_pass/huawei.rs core/src/nfc_pass/google.rs core/src/nfc_pass/model.rs"
  [nfc_issuer]="core/src/nfc_pass/issuer.rs"
  [save_link]="core/src/pass/save_link.rs core/src/pass/jwt.rs"
  [key_bundle]="core/src/key_bundle"
  [store_record]="store/src/envelope.rs store/src/records.rs store/src/codec.rs"
  [store_open]="store/src"
  [store_tables]="store/src"
)

llvm_bin=${LLVM_BIN:-}
if [ -z "$llvm_bin" ]; then
  for v in 22 21 20 19; do
    if [ -x "/usr/lib/llvm-$v/bin/llvm-cov" ]; then llvm_bin=/usr/lib/llvm-$v/bin; break; fi
  done
fi
if [ -z "$llvm_bin" ]; then
  echo "== installing llvm-19 (llvm-cov, llvm-profdata)"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get install -y -q llvm-19 >/dev/null
  llvm_bin=/usr/lib/llvm-19/bin
fi

cd "$root/fuzz"
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
printf '%-15s %-16s %-18s %s\n' target lines regions module
for t in "${targets[@]}"; do
  rm -rf "coverage/$t"
  # cargo fuzz runs the corpus, then fails to find LLVM tools of its own: merge ourselves.
  cargo +nightly fuzz coverage "$t" "corpus/$t" >"coverage/$t.log" 2>&1 || true
  raw=(coverage/"$t"/raw/*.profraw)
  [ -e "${raw[0]}" ] || { tail -n 20 "coverage/$t.log" >&2; echo "no profile for $t" >&2; exit 1; }
  "$llvm_bin/llvm-profdata" merge -sparse "${raw[@]}" -o "coverage/$t/coverage.profdata"
  bin="target/$triple/coverage/$triple/release/$t"
  srcs=()
  for m in ${module[$t]}; do srcs+=("$root/$m"); done
  "$llvm_bin/llvm-cov" export -summary-only "$bin" -instr-profile="coverage/$t/coverage.profdata" \
    "${srcs[@]}" | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"][0]["totals"]
l, r = t["lines"], t["regions"]
print("%-15s %-16s %-18s %s" % (sys.argv[1],
      "%d/%d %.1f%%" % (l["covered"], l["count"], l["percent"]),
      "%d/%d %.1f%%" % (r["covered"], r["count"], r["percent"]), sys.argv[2]))' "$t" "${module[$t]}"
done
