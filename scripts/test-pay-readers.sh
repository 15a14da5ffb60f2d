#!/usr/bin/env bash
# make test-pay-readers: a payment token behind a real pcscd + vsmartcard vpcd driver, read
# by three independent EMV readers (payment-hce §15): emvtool (PyPI emv: `info`, `appdata 0`),
# cardpeek (Debian, emv.lua) and emv-test-transaction (crate emv, up to the second GENERATE
# AC). tests/pcsc/emv_readers.py runs each one, reads the exchanges off its wire log and
# checks the PAN's last four digits, the ATC and every cryptogram (pyemv, generic profile
# §9.4, against the token's LUK); one PASS/FAIL line per check.
#
# Two slots: slot 0 (emvtool, emv-test-transaction) must offer the contact PSE directory
# (§6.7) and accept `83 00` (emvtool's GPO, §6.3 lenient mode); slot 1 (cardpeek) is read
# through the PPSE, the contactless path (the card answers the PSE with 6A82), and so is
# the project's own reference terminal (tests/tests/emv_terminal_pcsc.rs over PC/SC).
#
#   scripts/test-pay-readers.sh           the card is `hcectl vpcd`:
#       PAY_VPCD_ARGS   arguments of slot 0's `hcectl vpcd` (after --port), default
#                       "--pay-pse --pay-lenient-gpo --pay-generate-ac" (emvtool needs the
#                       PSE directory and `83 00`; emv-test-transaction GENERATE AC)
#       PAY_VPCD2_ARGS  slot 1's arguments, default none (the strict contactless card)
#       PAY_LUK         the token's LUK, default 0123456789ABCDEFFEDCBA9876543210 (vector 1)
#       PAY_LAST4       the token PAN's last four digits, default 0008 (§6.4 fixture PAN)
#       PAY_AID         the AID emv-test-transaction selects, default A000000333010102
#   scripts/test-pay-readers.sh --replay  the card is tests/pcsc/emv_replay_card.py (a small
#       generic-profile token written for these drivers; slot 1 runs it --no-pse --strict),
#       plus negative checks: a wrong LUK and a wrong last4 must fail.
#
# Isolation as in scripts/test-vpcd.sh: pcscd as our child on a private socket with a
# private reader.conf on a free port pair, every step under a timeout, a trap stops what we
# started, by pid (PAY_TOOL_S: one tool run, default 60 s; PAY_STEP_S: one driver call,
# default 180 s; VPCD_WAIT_S: the wait for each card, default 30 s). The tools come from scripts/install-deps.sh (.tools/emv-venv,
# .tools/emv-rs, Debian cardpeek). KEEP_LOGS=1 keeps the logs.
set -uo pipefail
cd "$(dirname "$0")/.."

MODE=hcectl
[ "${1:-}" = "--replay" ] && MODE=replay
PY=/usr/bin/python3                      # Debian's python (pyscard for wait_card.py)
VPY=.tools/emv-venv/bin/python           # the venv: pyemv, and pyscard 2.0 for emvtool
READER0="Virtual PCD 00 00"
READER1="Virtual PCD 00 01"
WAIT_S=${VPCD_WAIT_S:-30}
STEP_S=${PAY_STEP_S:-180}               # one emv_readers.py subcommand (emvtool runs twice)
TOOL_S=${PAY_TOOL_S:-60}                # one run of one tool
LUK=${PAY_LUK:-0123456789ABCDEFFEDCBA9876543210}
LAST4=${PAY_LAST4:-0008}
AID=${PAY_AID:-A000000333010102}
PAY_VPCD_ARGS=${PAY_VPCD_ARGS:---pay-pse --pay-lenient-gpo --pay-generate-ac}
PAY_VPCD2_ARGS=${PAY_VPCD2_ARGS:-}
passed=0
failed=0

die() { echo "test-pay-readers: $*" >&2; exit 2; }

for tool in pcscd cardpeek "$PY" "$VPY" .tools/emv-venv/bin/emvtool .tools/emv-rs/bin/emv-test-transaction; do
  command -v "$tool" >/dev/null || [ -x "$tool" ] || die "$tool not found (run: make deps)"
done
[ -f .tools/emv-rs/config/terminal.toml ] || die "emv-rs configs missing (run: make deps)"
VPCD_DRIVER=$(dpkg -L vsmartcard-vpcd 2>/dev/null | grep -m1 '/libifdvpcd\.so$') ||
  VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
[ -f "$VPCD_DRIVER" ] || die "vpcd driver not found (run: make deps)"

if [ "$MODE" = hcectl ]; then
  echo "test-pay-readers: building hcectl"
  cargo build -q -p hce-wallet-harness --bin hcectl || die "cargo build failed"
  HCECTL="${CARGO_TARGET_DIR:-target}/debug/hcectl"
  [ -x "$HCECTL" ] || die "no $HCECTL"
fi
echo "test-pay-readers: building the reference terminal's PC/SC test"
cargo test -q --no-run -p hce-wallet-harness --test emv_terminal_pcsc 2>/dev/null || die "cargo build failed"

WORK=$(mktemp -d)
PCSCD_PID=""
CARD0_PID=""
CARD1_PID=""

stop_pid() { # pid: TERM, wait up to 5 s, then KILL
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  stop_pid "$CARD0_PID"
  stop_pid "$CARD1_PID"
  stop_pid "$PCSCD_PID"
  if ((failed)) || [ -n "${KEEP_LOGS:-}" ]; then
    echo "test-pay-readers: logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() { # name command...: runs with a timeout, counts, shows the output on failure
  local name=$1 log
  shift
  log="$WORK/check-$((passed + failed)).log"
  if timeout "$STEP_S" "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "PASS $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/    /' "$log" | tail -40
  fi
}

py_checks() { # args of emv_readers.py: one PASS/FAIL line per check it prints
  local out rc line
  out=$(timeout "$STEP_S" "$VPY" tests/pcsc/emv_readers.py "$@" --luk "$LUK" --last4 "$LAST4" \
    --timeout "$TOOL_S" --pcscd-log "$WORK/pcscd.log" --log-dir "$WORK/$1" 2>&1); rc=$?
  while IFS= read -r line; do
    case "$line" in
      PASS\ *) passed=$((passed + 1)); echo "$line" ;;
      FAIL\ *) failed=$((failed + 1)); echo "$line" ;;
    esac
  done <<<"$out"
  if ((rc != 0)) && ! grep -q '^FAIL ' <<<"$out"; then
    failed=$((failed + 1)); echo "FAIL emv_readers.py $1 (exit $rc)"; sed 's/^/    /' <<<"$out" | tail -20
  fi
}

must_fail() { # name args...: emv_readers.py must print at least one FAIL and exit non-zero
  local name=$1 out rc
  shift
  out=$(timeout "$STEP_S" "$VPY" tests/pcsc/emv_readers.py "$@" --pcscd-log "$WORK/pcscd.log" 2>&1); rc=$?
  if ((rc != 0)) && grep -q '^FAIL ' <<<"$out"; then
    passed=$((passed + 1)); echo "PASS $name ($(grep -c '^FAIL ' <<<"$out") checks failed as they should)"
  else
    failed=$((failed + 1)); echo "FAIL $name: the checks did not notice"; sed 's/^/    /' <<<"$out" | tail -20
  fi
}

PORT=$("$PY" - <<'EOF'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000, 2)
    try:
        with socket.socket() as a, socket.socket() as b:
            a.bind(("127.0.0.1", p)); b.bind(("127.0.0.1", p + 1))
        print(p); break
    except OSError:
        pass
EOF
)
[ -n "$PORT" ] || die "no free port pair"
mkdir -p "$WORK/reader.conf.d"
cat >"$WORK/reader.conf.d/vpcd" <<EOF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$PORT
LIBPATH      $VPCD_DRIVER
CHANNELID    $PORT
EOF
export PCSCLITE_CSOCK_NAME="$WORK/pcscd.comm"

# -a (--apdu) with -d: pcscd logs every APDU; emv-test-transaction's wire log comes from it.
"$PY" tests/pcsc/socket_activate.py "$PCSCLITE_CSOCK_NAME" \
  pcscd -f -a -d -c "$WORK/reader.conf.d" >>"$WORK/pcscd.log" 2>&1 &
PCSCD_PID=$!
for _ in $(seq 50); do
  grep -q 'Started by systemd' "$WORK/pcscd.log" && break
  kill -0 "$PCSCD_PID" 2>/dev/null || break
  sleep 0.1
done
grep -q 'Started by systemd' "$WORK/pcscd.log" || { tail -20 "$WORK/pcscd.log" >&2; die "pcscd did not start"; }

echo "test-pay-readers: $MODE card, pcscd with vpcd on ports $PORT/$((PORT + 1)), LUK ${LUK:0:4}…, last4 $LAST4"
if [ "$MODE" = replay ]; then
  "$VPY" tests/pcsc/emv_replay_card.py --port "$PORT" --luk "$LUK" --log "$WORK/card0.log" &
  CARD0_PID=$!
  "$VPY" tests/pcsc/emv_replay_card.py --port "$((PORT + 1))" --luk "$LUK" --no-pse --strict \
    --log "$WORK/card1.log" &
  CARD1_PID=$!
else
  # shellcheck disable=SC2086 # the args are word lists on purpose
  "$HCECTL" vpcd --port "$PORT" $PAY_VPCD_ARGS >"$WORK/card0.log" 2>&1 &
  CARD0_PID=$!
  # shellcheck disable=SC2086
  "$HCECTL" vpcd --port "$((PORT + 1))" $PAY_VPCD2_ARGS >"$WORK/card1.log" 2>&1 &
  CARD1_PID=$!
fi
have0=$failed
check "card present in '$READER0'" "$PY" tests/pcsc/wait_card.py "$READER0" "$WAIT_S"
((have0 == failed)) && have0=1 || have0=0
have1=$failed
check "card present in '$READER1'" "$PY" tests/pcsc/wait_card.py "$READER1" "$WAIT_S"
((have1 == failed)) && have1=1 || have1=0
if ((!have0 || !have1)); then
  for f in "$WORK"/card0.log "$WORK"/card1.log; do echo "    $f:"; tail -n 5 "$f" | sed 's/^/      /'; done
fi

if ((have0)); then
  py_checks emvtool --reader "$READER0"
  py_checks emvrs --reader "$READER0" --aid "$AID"
else
  failed=$((failed + 2)); echo "FAIL emvtool, emv-test-transaction: skipped, no card in '$READER0'"
fi
if ((!have1)); then
  failed=$((failed + 2)); echo "FAIL cardpeek, reference terminal: skipped, no card in '$READER1'"
  echo "test-pay-readers: $passed passed, $failed failed"
  exit 1
fi
py_checks cardpeek --reader "$READER1"
# The project's own reference terminal (tests/src/emv_terminal, strict, PPSE path) on slot 1.
check "reference terminal taps '$READER1' and verifies its cryptograms" bash -c \
  'EMV_TERMINAL_READER="$1" EMV_TERMINAL_LUK="$2" EMV_TERMINAL_LAST4="$3" cargo test -q \
     -p hce-wallet-harness --test emv_terminal_pcsc -- --nocapture >"$4" 2>&1; rc=$?; cat "$4"
   [ $rc -eq 0 ] && grep -q "^verified" "$4"' _ "$READER1" "$LUK" "$LAST4" "$WORK/terminal.out"

if [ "$MODE" = replay ]; then
  # The drivers must be able to fail: a wrong key (bit 2 of the last byte: bit 1 is DES
  # parity and changes nothing) and a wrong PAN suffix.
  bad_luk="${LUK:0:30}$(printf '%02X' $((0x${LUK:30:2} ^ 2)))"
  must_fail "wrong LUK is caught (emv-test-transaction)" emvrs --reader "$READER0" --aid "$AID" \
    --luk "$bad_luk" --last4 "$LAST4"
  must_fail "wrong last4 is caught (cardpeek)" cardpeek --reader "$READER1" --luk "$LUK" --last4 9999
  check "emvtool finds no application without the PSE directory (slot 1)" bash -c \
    '"$1" tests/pcsc/emv_readers.py emvtool --reader "$2" --luk "$3" --last4 "$4" | grep -q "^FAIL emvtool appdata"' \
    _ "$VPY" "$READER1" "$LUK" "$LAST4"
fi

echo "test-pay-readers: $passed passed, $failed failed"
((failed == 0))
