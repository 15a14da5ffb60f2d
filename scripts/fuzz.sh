#!/usr/bin/env bash
# Fuzzing of the codecs and the router (fuzz/, cargo-fuzz on nightly).
#   scripts/fuzz.sh smoke   each target for FUZZ_SECONDS (default 8) — what CI runs
#   scripts/fuzz.sh long    each target for FUZZ_RUNS execs (default 10000000); targets in
#                           FUZZ_SLOW (default: smart_tap token_messages nfc_issuer store_tables,
#                           ~1-2k execs/s: real P-256 signing / ECDH, or a whole store per input)
#                           for FUZZ_SLOW_SECONDS
#                           (default 1800). Built without a sanitizer (FUZZ_SANITIZER, default
#                           none; our crates forbid unsafe code): 4-12x the executions of the
#                           AddressSanitizer build that smoke runs, into fuzz/target-nosan/.
#                           With debug assertions, so overflows and asserts still fire.
#   scripts/fuzz.sh minimize  merges each target's working corpus into the committed,
#                           minimized fuzz/corpus/<target>/ (libFuzzer -merge=1)
#   FUZZ_TARGETS="apdu ndef" limits the targets (one core, one target at a time).
# fuzz/corpus/<target>/ holds the committed, minimized corpora (read-only inputs of a run);
# what a run finds goes to the working corpus fuzz/finds/<target>/ (not committed), seeded
# from the Smart Tap vectors (fuzz/seed_corpora.py) and the fixtures. Crashes land in
# fuzz/artifacts/<target>/. Prints one line per target with execs and crashes, and exits
# non-zero if any target crashed.
set -euo pipefail

mode=${1:-smoke}
root=$(cd "$(dirname "$0")/.." && pwd)
targets=(${FUZZ_TARGETS:-apdu ber_tlv ndef router smart_tap payment nfc_pass dol token_messages pass_import pass_update nfc_import nfc_issuer save_link key_bundle store_record store_open store_tables})
slow=" ${FUZZ_SLOW:-smart_tap token_messages nfc_issuer store_tables} "
seconds=${FUZZ_SECONDS:-8}
runs=${FUZZ_RUNS:-10000000}
# Build flags shared by the build and every run (cargo fuzz rebuilds when they differ).
build=(--debug-assertions)

case "$mode" in
  smoke) limit=(-max_total_time="$seconds") ;;
  long)
    limit=(-runs="$runs")
    build+=(-s "${FUZZ_SANITIZER:-none}" --target-dir target-nosan)
    ;;
  minimize) limit=() ;;
  *) echo "usage: $0 smoke|long|minimize" >&2; exit 2 ;;
esac

if ! rustup toolchain list | grep -q '^nightly'; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cd "$root/fuzz"
python3 seed_corpora.py
echo "== building fuzz targets (nightly, release, debug assertions)"
cargo +nightly fuzz build "${build[@]}" 2>&1 | tail -n 3

if [ "$mode" = minimize ]; then
  for t in "${targets[@]}"; do
    mkdir -p "finds/$t" "corpus/$t"
    rm -rf "merged/$t" && mkdir -p "merged/$t"
    cargo +nightly fuzz run "${build[@]}" "$t" "merged/$t" "corpus/$t" "finds/$t" -- \
      -merge=1 -max_len=4096 >"merged/$t.log" 2>&1 ||
      { tail -n 20 "merged/$t.log" >&2; echo "minimize $t failed" >&2; exit 1; }
    rm -rf "corpus/$t" && mv "merged/$t" "corpus/$t"
    echo "$t: $(ls "corpus/$t" | wc -l) inputs, $(du -sk "corpus/$t" | cut -f1) KiB"
  done
  rm -rf merged
  exit 0
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
summary=()
failed=0
for t in "${targets[@]}"; do
  run_limit=("${limit[@]}")
  if [ "$mode" = long ] && [[ "$slow" == *" $t "* ]]; then
    run_limit=(-max_total_time="${FUZZ_SLOW_SECONDS:-1800}")
  fi
  echo "== fuzz $t (${run_limit[*]})"
  status=0
  touch "$logs/start-$t"
  started=$SECONDS
  mkdir -p "finds/$t" "corpus/$t"
  if [ "$t" = pass_import ]; then cp ../core/tests/fixtures/passes/good/*.json ../core/tests/fixtures/passes/display/*.json "finds/$t/"; fi
  if [ "$t" = pass_update ]; then cp ../core/tests/fixtures/passes/update-seeds/*.json "finds/$t/"; fi
  if [ "$t" = nfc_import ]; then
    cp ../core/tests/fixtures/nfc/*.json ../tests/data/nfc-door-key.json "finds/$t/"
  fi
  if [ "$t" = store_open ]; then cp ../store/tests/fixtures/*.redb "finds/$t/" 2>/dev/null || true; fi
  cargo +nightly fuzz run "${build[@]}" "$t" "finds/$t" "corpus/$t" -- \
    "${run_limit[@]}" -print_final_stats=1 -max_len=4096 >"$logs/$t" 2>&1 || status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t" | grep -o '[0-9]*$' | tail -n 1)
  # Findings of this run only (older artifacts are kept for inspection).
  crashes=$(find "artifacts/$t" -type f -newer "$logs/start-$t" 2>/dev/null | wc -l)
  if [ "$status" -ne 0 ]; then
    failed=1
    [ "$crashes" -gt 0 ] || crashes="1 (exit $status)"
    tail -n 30 "$logs/$t"
  fi
  elapsed=$((SECONDS - started))
  line=$(printf '%-8s execs %-10s crashes %-3s (%ss, %s exec/s)' "$t" "${execs:-?}" "$crashes" \
    "$elapsed" "$(( ${execs:-0} / (elapsed > 0 ? elapsed : 1) ))")
  echo "$line"
  summary+=("$line")
done

echo "== fuzz $mode summary"
printf '%s\n' "${summary[@]}"
exit "$failed"
