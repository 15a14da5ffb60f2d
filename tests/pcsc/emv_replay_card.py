#!/usr/bin/env python3
"""A small generic-profile payment token as a vpcd card (payment-hce §15.0), for proving the
reader drivers of emv_readers.py before (and apart from) the core's own applet.

usage: emv_replay_card.py --port P [--luk HEX] [--atc N] [--no-cdcvm] [--no-cdol]
                          [--no-pse] [--strict] [--log FILE]

It connects to vpcd on 127.0.0.1:P and answers with real generic-profile values (§9.4; the
cryptogram from pyemv for the given LUK):

* SELECT 2PAY.SYS.DDF01: PPSE FCI with one entry 61{4F, 50, 87} (§6.1).
* SELECT 1PAY.SYS.DDF01: the optional contact PSE directory of §6.7 (FCI with 88 = SFI 1,
  record 1 = 70{61{4F, 50, 87}}) so emvtool finds the application; --no-pse: 6A82.
* SELECT A000000333010102: FCI with the nine-object PDOL of §6.2.
* GPO: format 2 in the §6.3 layout 77{82, 94, 57, 5F34, 9F10, 9F26, 9F27, 9F36, 9F6C}; the
  ATC moves first. `83 00` against the PDOL is accepted as all-zero values (emvtool) unless
  --strict (then 6700).
* READ RECORD SFI 1 record 1: 70{5A, 5F24, 5F28, 5F34} (§6.4) plus 8C CDOL1 and 8D CDOL2
  (both the generic profile's eight MAC objects; CDOL2 starts with 8A) unless --no-cdol.
* GENERATE AC: format 2 77{9F27, 9F36, 9F26, 9F10} (§6.5) over the CDOL data by tag; the
  first answers ARQC (or AAC if AAC was asked), a second one (CDOL2 data) TC if asked, with
  the same ATC.
* GET DATA 9F36: the ATC; other GET DATA: 6A88; unknown INS: 6D00; unknown CLA: 6E00.

Power off / reset end the tap (selection and GPO state forgotten; the ATC persists).
Each exchange is logged to --log (or stderr) as `C: hex` / `R: hex`.
"""

import argparse
import socket
import struct
import sys
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's TripleDES deprecation notes via pyemv
from pyemv import ac as pyemv_ac  # noqa: E402
from pyemv import kd  # noqa: E402

ATR = bytes.fromhex("3B00")
AID = bytes.fromhex("A000000333010102")
PPSE = b"2PAY.SYS.DDF01"
PSE = b"1PAY.SYS.DDF01"
LABEL = b"UP CREDIT"
PAN = "6231000000000008"
PDOL = [(0x9F66, 4), (0x9F02, 6), (0x9F03, 6), (0x9F1A, 2), (0x95, 5), (0x5F2A, 2),
        (0x9A, 3), (0x9C, 1), (0x9F37, 4)]
MAC_TAGS = [0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37]
CDOL1 = [(t, n) for t, n in PDOL if t in MAC_TAGS]
CDOL2 = [(0x8A, 2)] + CDOL1
AIP = bytes.fromhex("0000")
AFL = bytes.fromhex("08010100")
TRACK2 = bytes.fromhex(PAN + "D30122010000000000")
KEY_INDEX = bytes.fromhex("00010000")


def tag_bytes(tag):
    return tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")


def tlv(tag, value):
    n = len(value)
    length = bytes([n]) if n < 0x80 else (bytes([0x81, n]) if n < 0x100 else bytes([0x82]) + n.to_bytes(2, "big"))
    return tag_bytes(tag) + length + value


def dol_bytes(dol):
    return b"".join(tag_bytes(t) + bytes([n]) for t, n in dol)


def split_dol(dol, data):
    out, pos = {}, 0
    for t, n in dol:
        out[t] = data[pos:pos + n]
        pos += n
    return out


class Token:
    def __init__(self, args):
        self.luk = bytes.fromhex(args.luk)
        self.atc = args.atc
        self.cdcvm = not args.no_cdcvm
        self.cdol = not args.no_cdol
        self.pse = not args.no_pse
        self.strict = args.strict
        self.reset()

    def reset(self):
        self.selected = None  # "pse", "ppse", "app"
        self.gpo_done = False
        self.genac_count = 0

    def cvr(self):
        return 0x80 if self.cdcvm else 0x00

    def ac(self, values, atc):
        data = b"".join(values.get(t, b"\0" * n) for t, n in PDOL if t in MAC_TAGS)
        data += AIP + atc.to_bytes(2, "big") + bytes([self.cvr()])
        sk = kd.derive_common_sk(self.luk, atc.to_bytes(2, "big") + bytes(6))
        return pyemv_ac.generate_ac(sk, data, pyemv_ac.PaddingType.EMV)

    def iad(self):
        return bytes([0x01]) + KEY_INDEX + bytes([self.cvr()])

    def process(self, c):
        if len(c) < 4:
            return b"\x67\x00"
        cla, ins, p1, p2 = c[0], c[1], c[2], c[3]
        lc = c[4] if len(c) > 5 else 0
        data = c[5:5 + lc] if len(c) > 5 else b""
        if (cla, ins) == (0x00, 0xA4):
            return self.select(p1, data)
        if (cla, ins) == (0x00, 0xB2):
            return self.read_record(p1, p2)
        if (cla, ins) == (0x80, 0xA8):
            return self.gpo(data)
        if (cla, ins) == (0x80, 0xAE):
            return self.generate_ac(p1, data)
        if (cla, ins) == (0x80, 0xCA):
            if (p1, p2) == (0x9F, 0x36) and self.selected == "app":
                return tlv(0x9F36, self.atc.to_bytes(2, "big")) + b"\x90\x00"
            return b"\x6A\x88"
        if cla not in (0x00, 0x80):
            return b"\x6E\x00"
        return b"\x6D\x00"

    def select(self, p1, name):
        if p1 != 0x04:
            return b"\x6A\x86"
        self.reset()
        if name == PPSE:
            self.selected = "ppse"
            entry = tlv(0x61, tlv(0x4F, AID) + tlv(0x50, LABEL) + tlv(0x87, b"\x01"))
            return tlv(0x6F, tlv(0x84, PPSE) + tlv(0xA5, tlv(0xBF0C, entry))) + b"\x90\x00"
        if name == PSE and self.pse:
            self.selected = "pse"
            return tlv(0x6F, tlv(0x84, PSE) + tlv(0xA5, tlv(0x88, b"\x01"))) + b"\x90\x00"
        if name == AID:
            self.selected = "app"
            a5 = tlv(0x50, LABEL) + tlv(0x87, b"\x01") + tlv(0x9F38, dol_bytes(PDOL)) + tlv(0x5F2D, b"zhen")
            return tlv(0x6F, tlv(0x84, AID) + tlv(0xA5, a5)) + b"\x90\x00"
        return b"\x6A\x82"

    def read_record(self, rec, p2):
        if p2 & 0x07 != 0x04:
            return b"\x6A\x86"
        sfi = p2 >> 3
        if self.selected == "pse" and (sfi, rec) == (1, 1):
            entry = tlv(0x61, tlv(0x4F, AID) + tlv(0x50, LABEL) + tlv(0x87, b"\x01"))
            return tlv(0x70, entry) + b"\x90\x00"
        if self.selected == "app" and (sfi, rec) == (1, 1):
            body = (tlv(0x5A, bytes.fromhex(PAN)) + tlv(0x5F24, bytes.fromhex("301231"))
                    + tlv(0x5F28, bytes.fromhex("0156")) + tlv(0x5F34, b"\x00"))
            if self.cdol:
                body += tlv(0x8C, dol_bytes(CDOL1)) + tlv(0x8D, dol_bytes(CDOL2))
            return tlv(0x70, body) + b"\x90\x00"
        return b"\x6A\x83"

    def gpo(self, data):
        if self.selected != "app":
            return b"\x69\x85"
        if self.gpo_done:
            return b"\x69\x85"
        if not data or data[0] != 0x83 or len(data) < 2 or data[1] != len(data) - 2:
            return b"\x6A\x80"
        values = data[2:]
        total = sum(n for _, n in PDOL)
        if len(values) != total:
            if values or self.strict:
                return b"\x67\x00"
            values = bytes(total)  # lenient: `83 00` = all values zero
        self.atc = (self.atc + 1) & 0xFFFF  # the ATC moves before anything else (§6.3)
        self.gpo_done = True
        v = split_dol(PDOL, values)
        body = (tlv(0x82, AIP) + tlv(0x94, AFL) + tlv(0x57, TRACK2) + tlv(0x5F34, b"\x00")
                + tlv(0x9F10, self.iad()) + tlv(0x9F26, self.ac(v, self.atc)) + tlv(0x9F27, b"\x80")
                + tlv(0x9F36, self.atc.to_bytes(2, "big"))
                + tlv(0x9F6C, bytes([0x00, 0x80 if self.cdcvm else 0x00])))
        return tlv(0x77, body) + b"\x90\x00"

    def generate_ac(self, p1, data):
        if not self.gpo_done or self.genac_count >= 2:
            return b"\x69\x85"
        dol = CDOL1 if self.genac_count == 0 else CDOL2
        if len(data) != sum(n for _, n in dol):
            return b"\x67\x00"
        asked = p1 & 0xC0
        if self.genac_count == 0:
            cid = 0x00 if asked == 0x00 else 0x80  # online-only: TC or ARQC asked → ARQC
        else:
            cid = 0x40 if asked == 0x40 else 0x00  # after the online step: TC or AAC
        self.genac_count += 1
        v = split_dol(dol, data)
        body = (tlv(0x9F27, bytes([cid])) + tlv(0x9F36, self.atc.to_bytes(2, "big"))
                + tlv(0x9F26, self.ac(v, self.atc)) + tlv(0x9F10, self.iad()))
        return tlv(0x77, body) + b"\x90\x00"


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("vpcd closed the connection")
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--luk", default="0123456789ABCDEFFEDCBA9876543210")
    ap.add_argument("--atc", type=lambda s: int(s, 0), default=0, help="ATC before the first GPO")
    ap.add_argument("--no-cdcvm", action="store_true")
    ap.add_argument("--no-cdol", action="store_true")
    ap.add_argument("--no-pse", action="store_true")
    ap.add_argument("--strict", action="store_true", help="refuse `83 00` against the PDOL")
    ap.add_argument("--log")
    ap.add_argument("--connect-timeout", type=float, default=30)
    args = ap.parse_args()
    token = Token(args)
    log = open(args.log, "a", buffering=1) if args.log else sys.stderr
    deadline = time.monotonic() + args.connect_timeout
    while True:  # vpcd comes up with pcscd; reconnect if it goes away (pcscd restart)
        try:
            sock = socket.create_connection((args.host, args.port))
        except OSError:
            if time.monotonic() > deadline:
                print("emv_replay_card: vpcd not reachable", file=sys.stderr)
                return 1
            time.sleep(0.2)
            continue
        print(f"emv_replay_card: connected to vpcd on port {args.port}", file=log)
        try:
            while True:
                (n,) = struct.unpack(">H", recv_exact(sock, 2))
                msg = recv_exact(sock, n)
                if n == 1:
                    if msg[0] == 0x04:
                        sock.sendall(struct.pack(">H", len(ATR)) + ATR)
                    elif msg[0] in (0x00, 0x02):
                        token.reset()
                        print(f"-- {'power off' if msg[0] == 0 else 'reset'}", file=log)
                    continue
                r = token.process(msg)
                print(f"C: {msg.hex().upper()}\nR: {r.hex().upper()}", file=log)
                sock.sendall(struct.pack(">H", len(r)) + r)
        except (ConnectionError, OSError) as e:
            print(f"emv_replay_card: {e}; reconnecting", file=log)
            sock.close()
            deadline = time.monotonic() + args.connect_timeout
            time.sleep(0.2)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(0)
