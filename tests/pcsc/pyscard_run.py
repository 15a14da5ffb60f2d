#!/usr/bin/env python3
"""Runs APDU scripts against a PC/SC card with pyscard and checks every expectation.

usage: pyscard_run.py --reader NAME SCRIPT...      run each script on a fresh connection
       pyscard_run.py --reader NAME --reset-check  loopback applet: a reset ends the session
Prints one 'PASS name' / 'FAIL name: why' line per check; exit status 1 if any failed.
"""

import argparse
import sys

from smartcard.System import readers
from smartcard.scard import SCARD_RESET_CARD

import apduscript

LOOPBACK_SELECT = bytes.fromhex("00a4040009f0") + b"hce-loop" + b"\x00"
COUNT = bytes.fromhex("8004000000")


def connect(name):
    matching = [r for r in readers() if str(r) == name]
    if not matching:
        raise RuntimeError(f"no reader {name!r} in {[str(r) for r in readers()]}")
    connection = matching[0].createConnection()
    connection.connect()
    return connection


def transmit(connection, apdu):
    data, sw1, sw2 = connection.transmit(list(apdu))
    return bytes(data) + bytes([sw1, sw2])


def run_script(reader, path):
    with open(path, encoding="utf-8") as f:
        steps = apduscript.parse(f.read())
    connection = connect(reader)
    try:
        for lineno, command, expectation in steps:
            answer = transmit(connection, command)
            if expectation is not None and not apduscript.matches(expectation, answer):
                return (f"line {lineno}: expected {apduscript.show(expectation)}, "
                        f"got {apduscript.show_bytes(answer)}")
        return None
    finally:
        connection.disconnect()


def reset_check(reader):
    connection = connect(reader)
    checks = [(LOOPBACK_SELECT, "9000"), (COUNT, "000000019000")]
    for command, want in checks:
        got = transmit(connection, command).hex()
        if got != want:
            return f"{command.hex()}: expected {want}, got {got}"
    # A warm reset: the driver sends vpcd's reset, the router must deactivate.
    connection.reconnect(disposition=SCARD_RESET_CARD)
    try:
        got = transmit(connection, COUNT).hex()
        return None if got == "6985" else f"after reset: expected 6985, got {got}"
    finally:
        connection.disconnect()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reader", required=True)
    parser.add_argument("--reset-check", action="store_true")
    parser.add_argument("scripts", nargs="*")
    args = parser.parse_args()
    checks = [(f"pyscard {p}", lambda p=p: run_script(args.reader, p)) for p in args.scripts]
    if args.reset_check:
        checks.append(("pyscard reset ends the session", lambda: reset_check(args.reader)))
    failed = 0
    for name, check in checks:
        try:
            why = check()
        except Exception as e:  # a transport failure is a failed check, not a crash
            why = f"{type(e).__name__}: {e}"
        print(f"PASS {name}" if why is None else f"FAIL {name}: {why}", flush=True)
        failed += why is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
