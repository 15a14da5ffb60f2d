#!/usr/bin/env python3
"""Seed corpora for the fuzz targets from the Smart Tap vectors (not committed).

Writes finds/<target>/<sha1> files: every C-APDU and R-APDU of the vector files (apdu),
every data payload and nested record payload (ndef, ber_tlv), and the e2e tap as one
framed APDU sequence plus each command alone (router, smart_tap). Vectors are found under
$HCE_SHARED_DIR or ../../shared relative to this directory.
"""
import base64
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("HCE_SHARED_DIR", os.path.join(HERE, "..", "..", "shared"))
VECTORS = os.path.join(SHARED, "vectors", "smart-tap")
FILES = ["kormax-trace.json", "e2e-loyalty-2018.json", "negative.json"]

seeds = {"apdu": set(), "ber_tlv": set(), "ndef": set(), "router": set(), "smart_tap": set(),
         "payment": set(), "dol": set(), "nfc_pass": set(), "nfc_issuer": set(), "save_link": set(), "store_tables": set()}


def frame(apdus, op=0):
    out = b""
    for a in apdus:
        out += bytes([op, min(len(a), 255)]) + a[:255]
    return out


def walk(node, commands):
    if isinstance(node, dict):
        for key, value in node.items():
            if not isinstance(value, str) or not key.endswith("_hex") or not value:
                continue
            try:
                b = bytes.fromhex(value)
            except ValueError:
                continue
            if key in ("apdu_hex", "command_hex"):
                seeds["apdu"].add(b)
                commands.append(b)
            elif key == "response_apdu_hex":
                seeds["apdu"].add(b)
            elif key in ("data_hex", "response_data_hex", "ndef_hex", "payload_hex"):
                target = "ber_tlv" if b[:1] == b"\x6f" else "ndef"
                seeds[target].add(b)
                if b[:2] == b"\x00\x00":  # Smart Tap 2 SELECT answer: NDEF after 4 bytes
                    seeds["ndef"].add(b[4:])
                if len(b) > 70:  # cpr: nested message after the 70-byte header
                    seeds["ndef"].add(b[70:])
                seeds["ndef"].add(b[1:])
                seeds["ndef"].add(b[2:])
        for value in node.values():
            walk(value, commands)
    elif isinstance(node, list):
        for value in node:
            walk(value, commands)


def payment_seeds():
    """EMV taps for `payment` (from the generic-profile vectors and the real-card traces,
    framed like the router's input) and PDOL ‖ GPO data pairs for `dol`."""
    directory = os.path.join(SHARED, "vectors", "payment")
    ppse = bytes.fromhex("00A404000E325041592E5359532E444446303100")
    select = bytes.fromhex("00A4040008A00000033301010200")
    with open(os.path.join(directory, "generic-profile.json"), encoding="utf-8") as f:
        generic = json.load(f)
    for v in generic["vectors"]:
        gpo = bytes.fromhex(v["apdu"]["gpo_command"])
        tap = [ppse, select, gpo, bytes.fromhex("00B2010C00")]
        seeds["payment"].add(frame(tap))
        pdol = b"".join(bytes.fromhex(e["tag"]) + bytes([e["length"]]) for e in v["inputs"]["pdol_9F38"])
        seeds["dol"].add(bytes([len(pdol)]) + pdol + gpo[7:-1])
    with open(os.path.join(directory, "real-card-traces.json"), encoding="utf-8") as f:
        traces = json.load(f)
    for t in traces["traces"]:
        commands = [bytes.fromhex(e["c_apdu"]) for e in t["exchanges"]]
        seeds["payment"].add(frame([ppse, select] + commands))
        seeds["payment"].add(frame(commands))


def nfc_pass_seeds():
    """The door-key flow for `nfc_pass`: the fuzz harness's challenges are all zero, so the
    EXTERNAL AUTHENTICATE token below (AES-128 under the demo key 1 of
    tests/data/nfc-door-key.json over 00*8 || "HCE-ICC" 01) authenticates."""
    select = bytes.fromhex("00A4040008F0484345444F4F5200")
    challenge = bytes.fromhex("0084000008")
    external = bytes.fromhex("0082000110" "07da51b229e0d00f6445815e4a161c9a")
    files = [bytes.fromhex("00A4020C02" + fid) for fid in ("0101", "0102", "0103", "0104")]
    read = bytes.fromhex("00B0000000")
    update = bytes.fromhex("00D600000201FF")
    internal = bytes.fromhex("008800010801020304050607080000"[:-2])
    seeds["nfc_pass"].add(frame([select, challenge, external, files[0], read, files[1], update, read]))
    seeds["nfc_pass"].add(frame([select, files[2], read, files[3], read, update, internal]))
    seeds["nfc_pass"].add(frame([select, challenge, external, files[1], update], op=0) +
                          frame([select, files[1], read], op=1))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def issuer_and_link_seeds():
    """Issuer request payloads for the demo door key (the target signs them), and
    save-to-wallet JWTs around a good pass fixture (their signatures cannot verify)."""
    door = "campus-door-0001"
    for body in [
        {"passId": door, "seq": 6, "op": "read", "fileId": "0101", "offset": 0, "length": 16},
        {"passId": door, "seq": 7, "op": "write", "fileId": "0102", "offset": 2, "data": "0A0B"},
        {"passId": door, "seq": 9, "op": "read", "fileId": "0102", "offset": 30, "length": 9},
        {"passId": door, "seq": 5, "op": "write", "fileId": "0101", "offset": 0, "data": "00"},
    ]:
        seeds["nfc_issuer"].add(json.dumps(body).encode())
    root = os.path.join(HERE, "..", "core", "tests", "fixtures", "passes")
    with open(os.path.join(root, "save-link", "issuer-jwks.json"), "rb") as f:
        seeds["save_link"].add(f.read())
    with open(os.path.join(root, "good", sorted(os.listdir(os.path.join(root, "good")))[0]), "rb") as f:
        payload = json.load(f)
    for header in [{"alg": "RS256", "kid": "issuer-2027"}, {"alg": "none"}, {"alg": "RS256"}]:
        claims = {"iss": "issuer@example.com", "aud": "google", "typ": "savetowallet",
                  "iat": 1799999999, "origins": ["https://shop.example"], "payload": payload}
        token = b".".join([b64url(json.dumps(header).encode()),
                           b64url(json.dumps(claims).encode()), b64url(bytes(256))])
        seeds["save_link"].add(token)


def main():
    for name in FILES:
        path = os.path.join(VECTORS, name)
        if not os.path.exists(path):
            sys.exit(f"seed_corpora.py: {path} not found (set HCE_SHARED_DIR)")
        commands = []
        with open(path, encoding="utf-8") as f:
            walk(json.load(f), commands)
        seeds["router"].add(frame(commands))
        seeds["router"].add(frame(commands, op=1))
        for c in commands:
            seeds["router"].add(frame([c]))
    seeds["smart_tap"] = set(seeds["router"])
    payment_seeds()
    nfc_pass_seeds()
    issuer_and_link_seeds()
    # store_tables: one edit of each kind on each table (`table entry op len bytes`).
    for table in range(11):
        for op in range(4):
            seeds["store_tables"].add(bytes([table, 1, op, 2, 3, 0x40]))
        seeds["store_tables"].add(bytes([table, 0, 2, 4, 1, 2, 3, 4, table, 2, 1, 0]))
    # A few DOLs and padded TLVs for the lenient paths.
    seeds["ber_tlv"].update({bytes.fromhex("9f66049f02069f37049a035f2a02"),
                             bytes.fromhex("00500141ff870101")})
    total = 0
    for target, items in seeds.items():
        directory = os.path.join(HERE, "finds", target)
        os.makedirs(directory, exist_ok=True)
        for item in items:
            if not item:
                continue
            name = hashlib.sha1(item).hexdigest()
            with open(os.path.join(directory, name), "wb") as f:
                f.write(item)
            total += 1
    counts = ", ".join(f"{t} {len(s)}" for t, s in seeds.items())
    print(f"seed corpora: {total} files ({counts})")


if __name__ == "__main__":
    main()
