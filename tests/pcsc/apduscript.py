"""APDU script format (see tests/src/script.rs), implemented again, independently, for the
PC/SC clients of scripts/test-vpcd.sh: '#' comments, '> C-APDU hex', '< expected R-APDU'
with 'XX'/'??' for any byte and one '*' for any number of bytes."""

import re


class ScriptError(Exception):
    pass


def _pattern(text, lineno, wildcards):
    head, tail = [], None
    for token in re.findall(r"\*|[^\s*]+", text):
        if token == "*":
            if not wildcards or tail is not None:
                raise ScriptError(f"line {lineno}: misplaced '*'")
            tail = []
            continue
        if len(token) % 2:
            raise ScriptError(f"line {lineno}: odd number of hex digits in {token!r}")
        for i in range(0, len(token), 2):
            pair = token[i:i + 2]
            if wildcards and pair.upper() in ("XX", "??"):
                item = None
            else:
                try:
                    item = int(pair, 16)
                except ValueError:
                    raise ScriptError(f"line {lineno}: bad hex {pair!r}") from None
            (head if tail is None else tail).append(item)
    return head, tail


def parse(text):
    """Returns [(lineno, command bytes, expectation or None)]."""
    steps = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, body = line[0], line[1:]
        if kind == ">":
            head, _ = _pattern(body, lineno, False)
            if not head:
                raise ScriptError(f"line {lineno}: empty command")
            steps.append([lineno, bytes(head), None])
        elif kind == "<":
            if not steps or steps[-1][2] is not None:
                raise ScriptError(f"line {lineno}: expected response without a command")
            steps[-1][2] = _pattern(body, lineno, True)
        else:
            raise ScriptError(f"line {lineno}: unknown line {line!r}")
    return [tuple(s) for s in steps]


def matches(expectation, actual):
    head, tail = expectation
    same = lambda pats, data: all(p is None or p == b for p, b in zip(pats, data))
    if tail is None:
        return len(actual) == len(head) and same(head, actual)
    if len(actual) < len(head) + len(tail):
        return False
    return same(head, actual[:len(head)]) and same(tail, actual[len(actual) - len(tail):])


def show(expectation):
    head, tail = expectation
    tok = lambda p: "XX" if p is None else f"{p:02X}"
    parts = [tok(p) for p in head]
    if tail is not None:
        parts += ["*"] + [tok(p) for p in tail]
    return " ".join(parts)


def show_bytes(data, limit=40):
    """Hex for messages, cut after `limit` bytes."""
    text = data[:limit].hex(" ").upper()
    return text if len(data) <= limit else f"{text} ... ({len(data)} bytes)"
