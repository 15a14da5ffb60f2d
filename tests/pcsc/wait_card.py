#!/usr/bin/env python3
"""Waits until the named PC/SC reader exists and holds a card (connect succeeds).

usage: wait_card.py READER TIMEOUT_SECONDS       exit 0 when ready, 1 on timeout
"""

import sys
import time

from smartcard.System import readers

name, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
last = "no attempt"
while time.monotonic() < deadline:
    try:
        for reader in readers():
            if str(reader) == name:
                connection = reader.createConnection()
                connection.connect()
                connection.disconnect()
                sys.exit(0)
        last = "reader not listed"
    except Exception as e:  # pcscd not up yet, no card yet: keep polling
        last = f"{type(e).__name__}: {e}"
    time.sleep(0.2)
print(f"wait_card: {name!r} not ready: {last}", file=sys.stderr)
sys.exit(1)
