#!/usr/bin/env bash
# make test-vpcd: the core as a virtual card behind a real pcscd + vsmartcard vpcd driver,
# driven by two independent PC/SC clients, scriptor (pcsc-tools) and pyscard, and by
# hcectl's own PC/SC transport (`run --pcsc`, `tap --pcsc/--vpcd`).
# Slot 0 (`hcectl vpcd`, default card): every APDU script in tests/scripts/ through each
# client, a reset ends the field session, a pcscd restart is survived (it reconnects),
# Ctrl-C stops it cleanly. Slot 1 (`hcectl vpcd --vector-wallet`): the shared e2e Smart
# Tap vector byte for byte through each client, and the reference terminal reads pass 2018.
# Slot 0 also serves the demo issuer NFC pass (issue 15): the door-key flow by scriptor and
# pyscard (tests/pcsc/nfc_door.py, tokens from Python `cryptography`) and by the Rust
# reference reader (`hcectl nfc read --pcsc`); a wrong key gets a status word, no file byte.
#
# VPCD_SCRIPTS (space-separated paths) replaces the slot-0 scripts; VPCD_ARGS adds
# arguments to the slot-0 `hcectl vpcd`. The reset checks use the loopback test applet
# (tests/src/loopback.rs), which the default card registers.
#
# Isolation: pcscd runs as our child on a private socket (systemd-style socket activation;
# clients follow PCSCLITE_CSOCK_NAME) with a private reader.conf whose vpcd port is free,
# so a system pcscd or a parallel run is not disturbed. Every wait has a timeout; a trap
# stops what we started, by pid, on any exit.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=/usr/bin/python3                  # Debian's python: python3-pyscard lives there
READER="Virtual PCD 00 00"           # vpcd's first slot as pcsc-lite names it
WAIT_S=${VPCD_WAIT_S:-30}
STEP_S=${VPCD_STEP_S:-120}
passed=0
failed=0

die() { echo "test-vpcd: $*" >&2; exit 2; }

for tool in pcscd scriptor "$PY"; do
  command -v "$tool" >/dev/null || die "$tool not found (run: make deps)"
done
"$PY" -c 'import smartcard' 2>/dev/null || die "pyscard missing (run: make deps)"
"$PY" -c 'import cryptography' 2>/dev/null || die "python3-cryptography missing (run: make deps)"
VPCD_DRIVER=$(dpkg -L vsmartcard-vpcd 2>/dev/null | grep -m1 '/libifdvpcd\.so$') ||
  VPCD_DRIVER=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
[ -f "$VPCD_DRIVER" ] || die "vpcd driver not found (run: make deps)"

echo "test-vpcd: building hcectl"
cargo build -q -p hce-wallet-harness --bin hcectl || die "cargo build failed"
HCECTL="${CARGO_TARGET_DIR:-target}/debug/hcectl"
[ -x "$HCECTL" ] || die "no $HCECTL"

WORK=$(mktemp -d)
PCSCD_PID=""
VPCD_PID=""
VPCD2_PID=""

stop_pid() { # pid [signal]: signal it, wait up to 5 s, then KILL
  local pid=$1 sig=${2:-TERM} i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" "$pid" 2>/dev/null
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  stop_pid "$VPCD_PID"
  stop_pid "$VPCD2_PID"
  stop_pid "$PCSCD_PID"
  if ((failed)) || [ -n "${KEEP_LOGS:-}" ]; then
    echo "test-vpcd: logs kept in $WORK"
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

py_checks() { # client.py args...: one PASS/FAIL line per check the client prints
  local out rc line
  out=$(timeout "$STEP_S" "$PY" "$@" 2>&1); rc=$?
  while IFS= read -r line; do
    case "$line" in
      PASS\ *) passed=$((passed + 1)); echo "$line" ;;
      FAIL\ *) failed=$((failed + 1)); echo "$line" ;;
    esac
  done <<<"$out"
  if ((rc != 0)) && ! grep -q '^FAIL ' <<<"$out"; then
    failed=$((failed + 1)); echo "FAIL $1 (exit $rc)"; sed 's/^/    /' <<<"$out" | tail -20
  fi
}

# A free port pair (vpcd opens one port per slot: CHANNELID and CHANNELID + 1).
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

start_pcscd() {
  "$PY" tests/pcsc/socket_activate.py "$PCSCLITE_CSOCK_NAME" \
    pcscd -f -a -d -c "$WORK/reader.conf.d" >>"$WORK/pcscd.log" 2>&1 &
  PCSCD_PID=$!
  local i
  for i in $(seq 50); do
    grep -q 'Started by systemd' "$WORK/pcscd.log" && return 0
    kill -0 "$PCSCD_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -20 "$WORK/pcscd.log" >&2
  die "pcscd did not start on the private socket"
}

read -r -a SCRIPTS <<<"${VPCD_SCRIPTS:-$(echo tests/scripts/*.apdu)}"
echo "test-vpcd: pcscd with vpcd on port $PORT, scripts: ${SCRIPTS[*]}"

for s in "${SCRIPTS[@]}"; do
  check "hcectl run (in-process) $s" "$HCECTL" run "$s"
done

start_pcscd
# shellcheck disable=SC2086 # VPCD_ARGS is a word list on purpose
"$HCECTL" vpcd --port "$PORT" ${VPCD_ARGS:-} >"$WORK/hcectl-vpcd.log" 2>&1 &
VPCD_PID=$!
check "card present in '$READER'" "$PY" tests/pcsc/wait_card.py "$READER" "$WAIT_S"

py_checks tests/pcsc/scriptor_run.py --reader "$READER" --reset-check "${SCRIPTS[@]}"
py_checks tests/pcsc/pyscard_run.py --reader "$READER" --reset-check "${SCRIPTS[@]}"
for s in "${SCRIPTS[@]}"; do
  check "hcectl run --pcsc $s" "$HCECTL" run --pcsc "$READER" "$s"
done
printf '> 00a4040009f06863652d6c6f6f7000\n< 6a82\n' >"$WORK/wrong.apdu"
check "hcectl run --pcsc: wrong expectation exits 1 with a diff" bash -c \
  '"$1" run --pcsc "$2" "$3" >"$4" 2>&1; [ $? -eq 1 ] && grep -q "^!! MISMATCH" "$4"' \
  _ "$HCECTL" "$READER" "$WORK/wrong.apdu" "$WORK/wrong.out"

# The issuer NFC pass door key (the default card's demo pass). The wrong-key run spends one
# try of key 1; the right-key run after it resets the counter.
NFC_PASS=tests/data/nfc-door-key.json
py_checks tests/pcsc/nfc_door.py --reader "$READER" --client scriptor --pass "$NFC_PASS"
py_checks tests/pcsc/nfc_door.py --reader "$READER" --client pyscard --pass "$NFC_PASS"
NFC_KEY1=$("$PY" -c 'import json, sys
print(next(k["value"] for k in json.load(open(sys.argv[1]))["keys"] if k["number"] == 1))' "$NFC_PASS")
check "hcectl nfc read --pcsc: the reference reader reads the door credential" bash -c \
  '"$1" nfc read --pcsc "$2" --key "$3" >"$4" 2>&1 && grep -q "^file 0101: 444F4F522D4B4559" "$4"' \
  _ "$HCECTL" "$READER" "$NFC_KEY1" "$WORK/nfc-read.out"
check "hcectl nfc read --pcsc: a wrong key exits 1 with 63Cx and no file byte" bash -c \
  '"$1" nfc read --pcsc "$2" --key 000102030405060708090A0B0C0D0E0F >"$3" 2>&1; [ $? -eq 1 ] &&
   grep -q "SW 63C" "$3" && ! grep -q "^file " "$3"' _ "$HCECTL" "$READER" "$WORK/nfc-wrong.out"

# The shared e2e Smart Tap vector, byte for byte, on the second slot: `hcectl vpcd` serving
# the vector wallet (the Smart Tap applet with the vector's handset randomness).
E2E="${HCE_SHARED_DIR:-../shared}/vectors/smart-tap/e2e-loyalty-2018.apdu"
READER2="Virtual PCD 00 01"
"$HCECTL" vpcd --port "$((PORT + 1))" --vector-wallet -q >"$WORK/hcectl-vpcd2.log" 2>&1 &
VPCD2_PID=$!
check "vector wallet present in '$READER2'" "$PY" tests/pcsc/wait_card.py "$READER2" "$WAIT_S"
py_checks tests/pcsc/scriptor_run.py --reader "$READER2" "$E2E"
py_checks tests/pcsc/pyscard_run.py --reader "$READER2" "$E2E" "$E2E"
check "hcectl run --pcsc $E2E" "$HCECTL" run --pcsc "$READER2" "$E2E"
check "hcectl tap --pcsc: the reference terminal reads pass 2018" bash -c \
  '"$1" tap --pcsc "$2" >"$3" 2>&1 && grep -q "smartTapRedemptionValue = 2018" "$3"' _ "$HCECTL" "$READER2" "$WORK/tap.out"

# pcscd restarts: hcectl vpcd must reconnect by itself.
stop_pid "$PCSCD_PID"
PCSCD_PID=""
sleep 0.5
start_pcscd
check "card back after a pcscd restart" "$PY" tests/pcsc/wait_card.py "$READER" "$WAIT_S"
py_checks tests/pcsc/pyscard_run.py --reader "$READER" "${SCRIPTS[0]}"
check "hcectl vpcd reconnected (same process)" bash -c \
  'kill -0 "$1" && [ "$(grep -c "connected to vpcd" "$2")" -ge 2 ]' _ "$VPCD_PID" "$WORK/hcectl-vpcd.log"

# Ctrl-C: hcectl vpcd exits 0, promptly, saying so.
kill -INT "$VPCD_PID"
rc=124
for _ in $(seq 50); do
  if ! kill -0 "$VPCD_PID" 2>/dev/null; then wait "$VPCD_PID"; rc=$?; break; fi
  sleep 0.1
done
((rc == 124)) || VPCD_PID=""
check "hcectl vpcd exits 0 on Ctrl-C (exit $rc)" bash -c \
  '[ "$1" -eq 0 ] && grep -q "stopped after" "$2"' _ "$rc" "$WORK/hcectl-vpcd.log"

# With the first card gone, `hcectl tap --vpcd` finds the vector wallet by itself.
check "hcectl tap --vpcd reads pass 2018" bash -c \
  '"$1" tap --vpcd >"$2" 2>&1 && grep -q "smartTapRedemptionValue = 2018" "$2"' _ "$HCECTL" "$WORK/tap-vpcd.out"

echo "test-vpcd: $passed passed, $failed failed"
((failed == 0))
