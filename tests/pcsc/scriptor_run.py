#!/usr/bin/env python3
"""Runs APDU scripts through `scriptor` (pcsc-tools) and checks its printed answers.

usage: scriptor_run.py --reader NAME SCRIPT...      each script in one scriptor run
       scriptor_run.py --reader NAME --reset-check  loopback applet: 'reset' ends the session
scriptor is a separate PC/SC client (Perl, Chipcard::PCSC); this wrapper only writes its
input (one command per line, bytes separated by spaces) and reads the '< .. : status'
lines it prints. Prints 'PASS name' / 'FAIL name: why'; exit status 1 if any failed.
"""

import argparse
import re
import subprocess
import sys

import apduscript

TIMEOUT_S = 30


def scriptor(reader, lines):
    """Feeds `lines` to scriptor; returns the answers it printed, as bytes or 'RESET'."""
    proc = subprocess.run(["scriptor", "-r", reader], input="\n".join(lines + ["exit"]) + "\n",
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"scriptor exited {proc.returncode}: {proc.stderr.strip()}")
    answers, pending = [], None
    for line in proc.stdout.splitlines():
        if pending is None and line.startswith("< OK:"):
            answers.append("RESET")
        elif pending is None and line.startswith("< "):
            pending = line[2:]
        elif pending is not None:
            pending += " " + line
        if pending is not None and " : " in pending:
            hexpart = pending.split(" : ", 1)[0]
            answers.append(bytes.fromhex(re.sub(r"\s+", "", hexpart)))
            pending = None
    return answers


def spaced(command):
    return " ".join(f"{b:02X}" for b in command)


def run_script(reader, path):
    with open(path, encoding="utf-8") as f:
        steps = apduscript.parse(f.read())
    answers = scriptor(reader, [spaced(command) for _, command, _ in steps])
    if len(answers) != len(steps):
        return f"scriptor printed {len(answers)} answers for {len(steps)} commands"
    for (lineno, _, expectation), answer in zip(steps, answers):
        if expectation is not None and not apduscript.matches(expectation, answer):
            return (f"line {lineno}: expected {apduscript.show(expectation)}, "
                    f"got {apduscript.show_bytes(answer)}")
    return None


def reset_check(reader):
    select = b"\x00\xa4\x04\x00\x09\xf0hce-loop\x00"
    count = bytes.fromhex("8004000000")
    answers = scriptor(reader, [spaced(select), spaced(count), "reset", spaced(count)])
    want = [bytes.fromhex("9000"), bytes.fromhex("000000019000"), "RESET",
            bytes.fromhex("6985")]
    return None if answers == want else f"expected {want}, got {answers}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reader", required=True)
    parser.add_argument("--reset-check", action="store_true")
    parser.add_argument("scripts", nargs="*")
    args = parser.parse_args()
    checks = [(f"scriptor {p}", lambda p=p: run_script(args.reader, p)) for p in args.scripts]
    if args.reset_check:
        checks.append(("scriptor reset ends the session", lambda: reset_check(args.reader)))
    failed = 0
    for name, check in checks:
        try:
            why = check()
        except Exception as e:  # scriptor dying or timing out is a failed check
            why = f"{type(e).__name__}: {e}"
        print(f"PASS {name}" if why is None else f"FAIL {name}: {why}", flush=True)
        failed += why is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
