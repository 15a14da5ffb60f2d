#!/usr/bin/env python3
"""Drives an independent EMV reader against a PC/SC reader and checks its wire log.

usage (with the venv's python, .tools/emv-venv/bin/python; standard library + pyemv):
  emv_readers.py emvtool  --reader NAME --luk HEX --last4 NNNN [--pcscd-log FILE] [...]
  emv_readers.py cardpeek --reader NAME --luk HEX --last4 NNNN [...]
  emv_readers.py emvrs    --reader NAME --luk HEX --last4 NNNN --aid HEX --pcscd-log FILE [...]

Each subcommand runs the real tool (under a timeout, output capped), keeps its log
(--log-dir), reads the exchanges off the wire log, and prints one `PASS <name>` or
`FAIL <name>: reason` line per check (scripts/test-pay-readers.sh counts them):

* emvtool (PyPI emv 1.0.14): `-l debug info` (read-only: PSE/PPSE, records, GET DATA; no
  GPO) and `-l debug appdata 0` (GPO `83 00` + records). Wire log: its `Tx:`/`Rx:` lines.
* cardpeek (Debian 0.8.4): emv.lua in console mode, answers fed by printf, a scratch HOME
  (first run creates ~/.cardpeek, a second run does the work). Its own log truncates APDUs
  to 16 bytes, so a one-line Lua hook around `card.send` prints every full exchange as
  `@@C`/`@@R` lines; the flow itself is emv.lua's, unchanged.
* emvrs (crate emv 0.1.1, emv-test-transaction): `--aid`, the four TOML configs, `00` on
  stdin for the online result. It prints no APDUs: the wire log is the private pcscd's
  `--apdu` debug log (--pcscd-log; the part written during the run), cross-checked with the
  AC/ATC the tool prints.

Checks on every run: the tool finished; the application was found; the PAN read from the
records ends in --last4; an ATC was seen (GPO, GENERATE AC or GET DATA 9F36; all agree);
every cryptogram (GPO format 2, each GENERATE AC) verifies with pyemv under the generic
profile (payment-hce §9.4: SK = kd.derive_common_sk(LUK, ATC‖00×6), AC = ac.generate_ac
padding EMV over 9F02‖9F03‖9F1A‖95‖5F2A‖9A‖9C‖9F37 as the reader sent them, by tag, ‖ 82 ‖
9F36 ‖ CVR = last byte of 9F10) and its CVR agrees with the CTQ (9F6C byte 2 bit 8).
The PDOL/CDOL values are split by the card's own DOLs (9F38 from the SELECT answer, 8C/8D
from the records); a `83 00` GPO against a non-empty PDOL counts as all-zero values (the
lenient card mode emvtool needs, §6.3).
"""

import argparse
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")  # cryptography's TripleDES deprecation notes via pyemv
from pyemv import ac as pyemv_ac  # noqa: E402
from pyemv import kd  # noqa: E402

MAC_TAGS = [0x9F02, 0x9F03, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C, 0x9F37]
PPSE = b"2PAY.SYS.DDF01"
PSE = b"1PAY.SYS.DDF01"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# ---------------------------------------------------------------- BER-TLV (small, strict)


def read_tag(b, i):
    start = i
    if i >= len(b):
        raise ValueError("truncated tag")
    i += 1
    if b[start] & 0x1F == 0x1F:
        while True:
            if i >= len(b):
                raise ValueError("truncated tag")
            i += 1
            if not b[i - 1] & 0x80:
                break
    return int.from_bytes(b[start:i], "big"), i


def read_len(b, i):
    if i >= len(b):
        raise ValueError("truncated length")
    first = b[i]
    if first < 0x80:
        return first, i + 1
    n = first & 0x7F
    if n not in (1, 2) or i + 1 + n > len(b):
        raise ValueError("bad length")
    return int.from_bytes(b[i + 1:i + 1 + n], "big"), i + 1 + n


def parse_tlv(b):
    """List of (tag, value, children); children None for primitives."""
    out, i = [], 0
    while i < len(b):
        if b[i] in (0x00, 0xFF):
            i += 1
            continue
        tag, i = read_tag(b, i)
        n, i = read_len(b, i)
        if i + n > len(b):
            raise ValueError(f"tag {tag:X} overruns")
        v = b[i:i + n]
        first = tag.to_bytes((tag.bit_length() + 7) // 8 or 1, "big")[0]
        out.append((tag, v, parse_tlv(v) if first & 0x20 else None))
        i += n
    return out


def find(tree, tag):
    for t, v, kids in tree:
        if t == tag:
            return v
        if kids:
            r = find(kids, tag)
            if r is not None:
                return r
    return None


def find_all(tree, tag):
    out = []
    for t, v, kids in tree:
        if t == tag:
            out.append(v)
        if kids:
            out.extend(find_all(kids, tag))
    return out


def try_tlv(b):
    try:
        return parse_tlv(b)
    except ValueError:
        return []


def parse_dol(b):
    out, i = [], 0
    while i < len(b):
        tag, i = read_tag(b, i)
        n, i = read_len(b, i)
        out.append((tag, n))
    return out


def split_dol(dol, data):
    vals, pos = {}, 0
    for tag, n in dol:
        vals[tag] = data[pos:pos + n]
        pos += n
    return vals


# ---------------------------------------------------------------- wire logs → exchanges


def hexbytes(s):
    return bytes.fromhex(re.sub(r"[^0-9A-Fa-f]", "", s))


def exchanges_emvtool(text):
    """`Tx: [..]` then `Rx: [..], SW1: 90, SW2: 00` (emv.transmission debug log)."""
    out, cmd = [], None
    for line in text.splitlines():
        m = re.search(r"Tx: \[([0-9A-Fa-f ]*)\]", line)
        if m:
            cmd = hexbytes(m.group(1))
            continue
        m = re.search(r"Rx: \[([0-9A-Fa-f ]*)\], SW1: ([0-9A-Fa-f]{2}), SW2: ([0-9A-Fa-f]{2})", line)
        if m and cmd is not None:
            out.append((cmd, hexbytes(m.group(1)), int(m.group(2) + m.group(3), 16)))
            cmd = None
    return out


def exchanges_cardpeek(text):
    """`@@C hex` then `@@R hex SW` (the card.send hook)."""
    out, cmd = [], None
    for line in text.splitlines():
        m = re.search(r"@@C ([0-9A-Fa-f]*)", line)
        if m:
            cmd = hexbytes(m.group(1))
            continue
        m = re.search(r"@@R ([0-9A-Fa-f]*) ([0-9A-Fa-f]{4})", line)
        if m and cmd is not None:
            out.append((cmd, hexbytes(m.group(1)), int(m.group(2), 16)))
            cmd = None
    return out


def exchanges_pcscd(text):
    """pcscd -d --apdu: `APDU: hex` then `SW: data SW1 SW2`."""
    out, cmd = [], None
    for line in text.splitlines():
        m = re.search(r" APDU: ([0-9A-Fa-f ]+)$", line.rstrip() + "")
        if m:
            cmd = hexbytes(m.group(1))
            continue
        m = re.search(r" SW: ([0-9A-Fa-f ]+)$", line.rstrip())
        if m and cmd is not None:
            r = hexbytes(m.group(1))
            if len(r) >= 2:
                out.append((cmd, r[:-2], int.from_bytes(r[-2:], "big")))
            cmd = None
    return out


# ---------------------------------------------------------------- checks


class Report:
    def __init__(self, name):
        self.name = name
        self.failed = 0

    def ok(self, what):
        print(f"PASS {self.name}: {what}", flush=True)

    def fail(self, what, why):
        self.failed += 1
        print(f"FAIL {self.name}: {what}: {why}", flush=True)

    def check(self, cond, what, why):
        (self.ok if cond else lambda w: self.fail(w, why))(what)
        return cond


def generic_ac(luk, values, aip, atc, cvr):
    data = b"".join(values[t] for t in MAC_TAGS) + aip + atc + bytes([cvr])
    sk = kd.derive_common_sk(luk, atc + bytes(6))
    return pyemv_ac.generate_ac(sk, data, pyemv_ac.PaddingType.EMV)


def cryptogram_objects(resp):
    """(ATC, AC, CID, IAD, CTQ) of a GPO format 2 / GENERATE AC format 1 or 2 answer."""
    tree = try_tlv(resp)
    if tree and tree[0][0] == 0x80:  # GENERATE AC format 1: CID ATC AC [IAD]
        v = tree[0][1]
        if len(v) < 11:
            return None
        return v[1:3], v[3:11], v[0:1], v[11:] or None, None
    ac = find(tree, 0x9F26)
    if ac is None:
        return None
    return find(tree, 0x9F36), ac, find(tree, 0x9F27), find(tree, 0x9F10), find(tree, 0x9F6C)


def analyse(rep, ex, luk, last4, expect_gpo=True, expect_genac=False, printed=None):
    """The checks common to every reader; `printed` = (ATC hex, AC hex) pairs the tool
    printed itself, compared with the wire."""
    if not rep.check(bool(ex), "wire log has exchanges", "no APDU found in the log"):
        return
    selects = [(c[5:5 + c[4]], r, sw) for c, r, sw in ex if c[:4] == bytes.fromhex("00A40400") and len(c) > 5]
    dirs = []
    for name, r, sw in selects:
        if name in (PPSE, PSE) and sw == 0x9000:
            dirs.append(name.decode())
    recs = [try_tlv(r) for c, r, sw in ex if c[:2] == b"\x00\xB2" and sw == 0x9000]
    dir_aids = [a for tree in recs for a in find_all(tree, 0x4F)]
    dir_aids += [a for name, r, sw in selects if name == PPSE and sw == 0x9000 for a in find_all(try_tlv(r), 0x4F)]
    apps = [(name, r) for name, r, sw in selects
            if name not in (PPSE, PSE) and sw == 0x9000 and find(try_tlv(r), 0x84) == name]
    if dir_aids:
        listed = {a.hex().upper() for a in dir_aids}
        rep.check(bool(apps) and apps[0][0] in dir_aids, f"directory lists {', '.join(sorted(listed))}",
                  "the AID selected is not in the directory")
    rep.check(bool(apps), f"application selected ({', '.join(dirs) or 'no directory'} → "
              f"{apps[0][0].hex().upper() if apps else '-'})", "no SELECT of an AID answered 9000 with its FCI")
    pans = [p for tree in recs for p in find_all(tree, 0x5A)]
    pan = pans[0].hex().upper().rstrip("F") if pans else ""
    rep.check(pan.endswith(last4) and len(pan) >= 12, f"PAN ends in {last4}",
              f"records give PAN ...{pan[-4:]}" if pan else "no 5A in any record")
    pdol = parse_dol(find(try_tlv(apps[-1][1]), 0x9F38) or b"") if apps else []
    cdols = [parse_dol(v) for tree in recs for v in find_all(tree, 0x8C)[:1]]
    cdols += [parse_dol(v) for tree in recs for v in find_all(tree, 0x8D)[:1]]
    atcs, aip, ctq, crypts = [], None, None, []
    values = {}
    gen_n = 0
    for c, r, sw in ex:
        if c[:2] == b"\x80\xA8":
            if sw != 0x9000:
                rep.fail("GPO", f"SW {sw:04X}")
                continue
            body = c[5:5 + c[4]]
            data = body[2:] if body[:1] == b"\x83" else b""
            total = sum(n for _, n in pdol)
            if not data and total:
                data = bytes(total)  # `83 00` against a PDOL: the lenient card reads zeros
            values = split_dol(pdol, data)
            tree = try_tlv(r)
            if tree and tree[0][0] == 0x80:
                aip = tree[0][1][:2]
            else:
                aip = find(tree, 0x82)
            obj = cryptogram_objects(r)
            if obj:
                ctq = obj[4] or ctq
                crypts.append(("GPO", dict(values), obj))
        elif c[:2] == b"\x80\xAE" and sw == 0x9000:
            dol = cdols[min(gen_n, len(cdols) - 1)] if cdols else []
            gen_n += 1
            v = dict(values)
            v.update(split_dol(dol, c[5:5 + c[4]]))
            obj = cryptogram_objects(r)
            if obj:
                ctq = obj[4] or ctq
                crypts.append((f"GENERATE AC #{gen_n} (P1 {c[2]:02X})", v, obj))
        elif c[:4] == bytes.fromhex("80CA9F36") and sw == 0x9000:
            a = find(try_tlv(r), 0x9F36)
            if a:
                atcs.append(a)
    atcs += [o[0] for _, _, o in crypts if o[0]]
    gpo_seen = any(c[:2] == b"\x80\xA8" for c, _, _ in ex)
    if expect_gpo:
        rep.check(gpo_seen and aip is not None, "GPO answered (AIP, AFL)", "no successful GPO on the wire")
    if expect_genac:
        rep.check(gen_n > 0, f"GENERATE AC sent ({gen_n})", "no GENERATE AC on the wire")
    if rep.check(bool(atcs), f"ATC seen ({', '.join(sorted({a.hex().upper() for a in atcs}))})", "no ATC anywhere"):
        # GET DATA 9F36 before the GPO may give the previous value; after it, the same.
        rep.check(len({o[0] for _, _, o in crypts}) <= 1, "cryptograms of one tap share one ATC",
                  "different ATCs within the tap")
    if expect_gpo and not crypts:
        rep.fail("cryptogram", "no 9F26 in any answer")
    for label, v, (atc, ac, cid, iad, _) in crypts:
        what = f"{label} cryptogram {ac.hex().upper()} (ATC {atc.hex().upper() if atc else '-'}) verifies with pyemv"
        missing = [f"{t:X}" for t in MAC_TAGS if t not in v]
        if missing or not iad or not atc or aip is None:
            rep.fail(what, f"cannot rebuild the MAC input (missing {missing or 'IAD/ATC/AIP'})")
            continue
        cvr = iad[-1]
        want = generic_ac(luk, v, aip, atc, cvr)
        rep.check(want == ac, what, f"pyemv computes {want.hex().upper()}")
        if ctq is None:
            rep.fail(f"{label} CDCVM", "no CTQ (9F6C) to compare with the CVR")
        else:
            rep.check((ctq[1] & 0x80 != 0) == (cvr == 0x80), f"{label} CTQ {ctq.hex().upper()} and CVR {cvr:02X} agree",
                      "CDCVM claimed by one and not the other")
    for atc_hex, ac_hex in printed or []:
        wire = [(o[0].hex().upper(), o[1].hex().upper()) for _, _, o in crypts if o[0]]
        rep.check((atc_hex, ac_hex) in wire, f"printed ATC {atc_hex} / AC {ac_hex} match the wire",
                  f"wire has {wire}")


# ---------------------------------------------------------------- running the tools


def run_capped(argv, stdin_bytes, timeout, cap, env=None, stop=None):
    """Runs argv in its own process group; returns (rc or None on timeout/stop, output)."""
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    try:
        p.stdin.write(stdin_bytes)
        p.stdin.close()
    except BrokenPipeError:
        pass
    out = bytearray()
    deadline = time.monotonic() + timeout
    rc = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([p.stdout], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                rc = p.wait()
                break
            out += chunk
            if len(out) >= cap or (stop and stop(out)):
                break
        elif p.poll() is not None:
            rc = p.wait()
            out += p.stdout.read()
            break
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(5)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
    p.stdout.close()
    return rc, bytes(out[:cap]).decode("utf-8", "replace")


def keep(args, name, text):
    if args.log_dir:
        os.makedirs(args.log_dir, exist_ok=True)
        with open(os.path.join(args.log_dir, name), "w") as f:
            f.write(text)


def reader_index(name):
    from smartcard.System import readers

    names = [str(r) for r in readers()]
    if name not in names:
        raise SystemExit(f"FAIL reader: {name!r} not among {names}")
    return names.index(name)


class PcscdLog:
    """The part of the pcscd --apdu log written between start() and text()."""

    def __init__(self, path):
        self.path = path
        self.offset = 0

    def start(self):
        self.offset = os.path.getsize(self.path) if self.path and os.path.exists(self.path) else 0

    def text(self):
        if not self.path or not os.path.exists(self.path):
            return ""
        time.sleep(0.3)  # pcscd writes its log lines after the answer
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            return f.read().decode("utf-8", "replace")


def cmd_emvtool(args, luk):
    tool = args.tool or os.path.join(ROOT, ".tools/emv-venv/bin/emvtool")
    idx = str(reader_index(args.reader))
    # info: read-only, no GPO.
    rep = Report("emvtool info")
    rc, out = run_capped([tool, "-r", idx, "-l", "debug", "info"], b"", args.timeout, args.max_bytes)
    keep(args, "emvtool-info.log", out)
    rep.check(rc == 0, "exits 0", f"exit {rc}; tail: {out[-300:]!r}")
    ex = exchanges_emvtool(out)
    analyse(rep, ex, luk, args.last4, expect_gpo=False)
    if ex:
        rep.check(not any(c[:2] == b"\x80\xA8" for c, _, _ in ex), "info sends no GPO", "info started a transaction")
    # appdata 0: SELECT + GPO `83 00` + records.
    rep2 = Report("emvtool appdata")
    rc, out = run_capped([tool, "-r", idx, "-l", "debug", "appdata", "0"], b"", args.timeout, args.max_bytes)
    keep(args, "emvtool-appdata.log", out)
    rep2.check(rc == 0 and "Traceback" not in out, "exits 0", f"exit {rc}; tail: {out[-300:]!r}")
    analyse(rep2, exchanges_emvtool(out), luk, args.last4, expect_gpo=True)
    return rep.failed + rep2.failed


CARDPEEK_HOOK = (
    'local s=card.send; card.send=function(apdu, ...) local sw,r=s(apdu, ...); '
    'print("@@C "..apdu:format("%D")); '
    'print(string.format("@@R %s %04X", r and r:format("%D") or "", sw)); return sw,r end; '
    'dofile("emv.lua")'
)


def cmd_cardpeek(args, luk):
    rep = Report("cardpeek")
    tool = args.tool or shutil.which("cardpeek") or "cardpeek"
    home = tempfile.mkdtemp(prefix="cardpeek-home-")
    env = dict(os.environ, HOME=home)
    # On end of input cardpeek repeats its prompt forever: stop after a run of prompts.
    prompts = lambda out: out.count(b"cardpeek> ") > 20  # noqa: E731
    argv = [tool, "-c", "-r", f"pcsc://{args.reader}"]
    try:
        # First run: creates ~/.cardpeek (answers "create? 1", "ok 1"); emv.lua does not
        # load on that run.
        run_capped(argv + ["-e", 'print("setup")'], b"1\n1\n", 30, 1 << 20, env, prompts)
        ok = os.path.exists(os.path.join(home, ".cardpeek", "scripts", "emv.lua"))
        rep.check(ok, "scratch ~/.cardpeek created", "first run did not unpack its scripts")
        rc, out = run_capped(argv + ["-e", CARDPEEK_HOOK], b"1\n" * 8, args.timeout, args.max_bytes, env, prompts)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    keep(args, "cardpeek.log", out)
    ex = exchanges_cardpeek(out)
    done = any(c[:4] == bytes.fromhex("80CA9F7F") for c, _, _ in ex)
    rep.check(done and "ERROR   emv.lua" not in out, "emv.lua ran to its end (GET DATA 9F7F)",
              "script stopped early" + (f": {m.group(0)}" if (m := re.search(r"ERROR .*", out)) else ""))
    analyse(rep, ex, luk, args.last4, expect_gpo=True)
    gpo = [c for c, _, _ in ex if c[:2] == b"\x80\xA8"]
    rep.check(bool(gpo) and gpo[0][5:6] == b"\x83" and gpo[0][6] > 0, "GPO carries the PDOL filled",
              f"GPO {gpo[0].hex().upper() if gpo else 'absent'}")
    return rep.failed


def cmd_emvrs(args, luk):
    rep = Report("emv-test-transaction")
    tool = args.tool or os.path.join(ROOT, ".tools/emv-rs/bin/emv-test-transaction")
    conf = args.config or os.path.join(ROOT, ".tools/emv-rs/config")
    argv = [tool, "--aid", args.aid] + [x for k in ("terminal", "aids", "capk", "crl")
                                        for x in (f"--{k}", os.path.join(conf, f"{k}.toml"))]
    env = dict(os.environ)
    # It opens the first reader holding a card; keep it on ours by naming no other.
    log = PcscdLog(args.pcscd_log)
    log.start()
    rc, out = run_capped(argv, b"00\n", args.timeout, args.max_bytes, env)
    wire = log.text()
    keep(args, "emv-test-transaction.log", out)
    keep(args, "emv-test-transaction.wire.log", wire)
    rep.check(rc == 0, "exits 0", f"exit {rc}; tail: {out[-300:]!r}")
    rep.check(f"Reader: {args.reader}" in out, f"used reader {args.reader!r}", "another reader")
    m = re.search(r"Final outcome: (.*)", out)
    rep.check(bool(m), f"transaction finished ({m.group(1) if m else '-'})", "no final outcome printed")
    printed = re.findall(r"ATC:\s+([0-9A-F]{4})\s*\n\s*AC:\s+([0-9A-F]{16})", out)
    if not args.pcscd_log:
        rep.fail("wire log", "--pcscd-log is required: the tool prints no APDUs")
        return rep.failed
    analyse(rep, exchanges_pcscd(wire), luk, args.last4, expect_gpo=True, expect_genac=True, printed=printed)
    return rep.failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tool_name", choices=["emvtool", "cardpeek", "emvrs"])
    ap.add_argument("--reader", required=True, help='PC/SC reader name, e.g. "Virtual PCD 00 00"')
    ap.add_argument("--luk", required=True, help="the token's 16-byte LUK (hex)")
    ap.add_argument("--last4", required=True, help="expected last four PAN digits")
    ap.add_argument("--aid", default="A000000333010102", help="AID for emv-test-transaction --aid")
    ap.add_argument("--pcscd-log", help="pcscd -d --apdu log file (wire log for emvrs)")
    ap.add_argument("--log-dir", help="keep each tool's log here")
    ap.add_argument("--tool", help="path of the tool (default: under .tools/ or on PATH)")
    ap.add_argument("--config", help="emv-test-transaction config dir (default .tools/emv-rs/config)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--max-bytes", type=int, default=2_000_000)
    args = ap.parse_args()
    luk = bytes.fromhex(args.luk)
    if len(luk) != 16:
        raise SystemExit("FAIL args: --luk must be 16 bytes")
    failed = {"emvtool": cmd_emvtool, "cardpeek": cmd_cardpeek, "emvrs": cmd_emvrs}[args.tool_name](args, luk)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
