#!/usr/bin/env python3
"""The issuer NFC pass door-key flow through pcscd + vpcd, by scriptor or by pyscard.

usage: nfc_door.py --reader NAME --client scriptor|pyscard --pass FIXTURE.json

A lock's reader, written a third time (after the applet and the Rust reference reader):
its own APDUs, and its tokens from the `cryptography` package (AES-128 ECB on one block,
TripleDES CBC with a zero IV on two; ISO/IEC 9798-2 two-pass: eK(RND.ICC || "HCE-ICC" 01)
for EXTERNAL AUTHENTICATE, eK(RND.IFD || "HCE-IFD" 02) from INTERNAL AUTHENTICATE).

Checks, one 'PASS name' / 'FAIL name: why' line each; exit status 1 if any failed:
  1. a wrong key: EXTERNAL AUTHENTICATE answers 63Cx with no data; READ BINARY of the
     credential answers 6982 with no data; no answer carries a byte run of the credential;
  2. the pass's key 1: authenticates, the card proves the key back, the credential reads
     byte for byte as the fixture says (this also resets the retry counter);
  3. key 2 (two-key TDES): the legacy area reads as the fixture says.
With --client scriptor every APDU goes through one interactive `scriptor -u` process
(pcsc-tools, Perl): the challenge it prints is read back to compute the next command.
"""

import argparse
import json
import os
import re
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ID_ICC = b"HCE-ICC\x01"
ID_IFD = b"HCE-IFD\x02"
TIMEOUT_S = 20


def encipher(algorithm, key, block16):
    if algorithm == "AES-128":
        cipher = Cipher(algorithms.AES(key), modes.ECB())
    else:
        cipher = Cipher(algorithms.TripleDES(key), modes.CBC(bytes(8)))
    enc = cipher.encryptor()
    return enc.update(block16) + enc.finalize()


class PyscardClient:
    def __init__(self, reader):
        from smartcard.System import readers
        matching = [r for r in readers() if str(r) == reader]
        if not matching:
            raise RuntimeError(f"no reader {reader!r}")
        self.connection = matching[0].createConnection()
        self.connection.connect()

    def transmit(self, apdu):
        data, sw1, sw2 = self.connection.transmit(list(apdu))
        return bytes(data), (sw1 << 8) | sw2

    def close(self):
        self.connection.disconnect()


class ScriptorClient:
    """One interactive scriptor: a command line in, its '< .. : status' answer out."""

    def __init__(self, reader):
        self.proc = subprocess.Popen(["scriptor", "-u", "-r", reader], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1)

    def transmit(self, apdu):
        self.proc.stdin.write(" ".join(f"{b:02X}" for b in apdu) + "\n")
        self.proc.stdin.flush()
        pending = None
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("scriptor ended before answering")
            if pending is None and line.startswith("< "):
                pending = line[2:].strip()
            elif pending is not None:
                pending += " " + line.strip()
            if pending is not None and " : " in pending:
                answer = bytes.fromhex(re.sub(r"\s+", "", pending.split(" : ", 1)[0]))
                return answer[:-2], int.from_bytes(answer[-2:], "big")

    def close(self):
        try:
            self.proc.communicate("exit\n", timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def leaks(answers, secret):
    runs = {secret[i:i + 6] for i in range(len(secret) - 5)}
    return any(a[i:i + 6] in runs for a in answers for i in range(len(a) - 5))


def flow(client, fixture):
    aid = bytes.fromhex(fixture["aid"])
    keys = {k["number"]: k for k in fixture["keys"]}
    files = {f["id"]: f for f in fixture["files"]}

    def content(fid):
        f = files[fid]
        return bytes.fromhex(f["content"]).ljust(f["size"], b"\0")

    answers = []

    def send(apdu):
        data, sw = client.transmit(apdu)
        answers.append(data + sw.to_bytes(2, "big"))
        return data, sw

    def select_aid():
        data, sw = send(b"\x00\xa4\x04\x00" + bytes([len(aid)]) + aid + b"\x00")
        if sw != 0x9000:
            raise AssertionError(f"SELECT AID answered {sw:04X}")

    def authenticate(number, algorithm, key):
        rnd, sw = send(bytes.fromhex("0084000008"))
        if sw != 0x9000 or len(rnd) != 8:
            raise AssertionError(f"GET CHALLENGE answered {sw:04X} with {len(rnd)} bytes")
        token = encipher(algorithm, key, rnd + ID_ICC)
        return send(bytes([0x00, 0x82, 0x00, number, 0x10]) + token)

    def read(fid, n):
        data, sw = send(b"\x00\xa4\x02\x0c\x02" + bytes.fromhex(fid))
        if sw != 0x9000:
            raise AssertionError(f"SELECT FILE {fid} answered {sw:04X}")
        return send(bytes([0x00, 0xB0, 0x00, 0x00, n]))

    results = []

    def check(name, fn):
        try:
            fn()
            results.append(f"PASS {name}")
        except Exception as e:  # noqa: BLE001 — every failure becomes a FAIL line
            results.append(f"FAIL {name}: {e}")

    credential = content("0101")

    def wrong_key():
        select_aid()
        data, sw = authenticate(1, "AES-128", bytes(range(16)))
        if data or (sw & 0xFFF0) != 0x63C0:
            raise AssertionError(f"wrong key: {sw:04X} with {len(data)} data bytes")
        data, sw = read("0101", len(credential))
        if data or sw != 0x6982:
            raise AssertionError(f"READ after a wrong key: {sw:04X} with {len(data)} bytes")
        if leaks(answers, credential):
            raise AssertionError("a run of the credential left the card")

    def right_key():
        k = keys[1]
        select_aid()
        data, sw = authenticate(1, k["algorithm"], bytes.fromhex(k["value"]))
        if sw != 0x9000:
            raise AssertionError(f"EXTERNAL AUTHENTICATE answered {sw:04X}")
        rnd_ifd = os.urandom(8)
        token, sw = send(b"\x00\x88\x00\x01\x08" + rnd_ifd + b"\x00")
        want = encipher(k["algorithm"], bytes.fromhex(k["value"]), rnd_ifd + ID_IFD)
        if sw != 0x9000 or token != want:
            raise AssertionError(f"INTERNAL AUTHENTICATE: {sw:04X}, token matches: {token == want}")
        data, sw = read("0101", len(credential))
        if sw != 0x9000 or data != credential:
            raise AssertionError(f"credential: {sw:04X} {data.hex()} != {credential.hex()}")

    def tdes_key():
        k = keys[2]
        data, sw = authenticate(2, k["algorithm"], bytes.fromhex(k["value"]))
        if sw != 0x9000:
            raise AssertionError(f"EXTERNAL AUTHENTICATE (TDES) answered {sw:04X}")
        data, sw = read("0104", 8)
        if sw != 0x9000 or data != content("0104"):
            raise AssertionError(f"legacy area: {sw:04X} {data.hex()}")

    check("a wrong key gets a status word and no file byte", wrong_key)
    check("key 1 (AES-128) opens the door: the credential reads as issued", right_key)
    check("key 2 (two-key TDES) reads the legacy area", tdes_key)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reader", required=True)
    parser.add_argument("--client", choices=["scriptor", "pyscard"], required=True)
    parser.add_argument("--pass", dest="fixture", required=True)
    args = parser.parse_args()
    with open(args.fixture, encoding="utf-8") as f:
        fixture = json.load(f)
    client = (ScriptorClient if args.client == "scriptor" else PyscardClient)(args.reader)
    try:
        results = flow(client, fixture)
    finally:
        client.close()
    failed = 0
    for line in results:
        line = line.replace("PASS ", f"PASS {args.client} nfc: ", 1).replace(
            "FAIL ", f"FAIL {args.client} nfc: ", 1)
        failed += line.startswith("FAIL")
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
