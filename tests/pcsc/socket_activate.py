#!/usr/bin/env python3
"""Starts a daemon the way systemd socket activation does, on a private UNIX socket.

usage: socket_activate.py SOCKET_PATH PROGRAM [ARGS...]
Binds SOCKET_PATH, passes it as fd 3 with LISTEN_FDS=1 and LISTEN_PID, then execs PROGRAM
in this same process, so the caller's $! is the daemon's pid. pcscd accepts such a socket
instead of creating /run/pcscd/pcscd.comm; its clients find it through
PCSCLITE_CSOCK_NAME. This keeps the test's pcscd apart from any system one.
"""

import os
import socket
import sys

path, program = sys.argv[1], sys.argv[2:]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(path)
os.chmod(path, 0o666)
sock.listen(64)
fd = sock.fileno()
if fd != 3:
    os.dup2(fd, 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ.pop("LISTEN_FDNAMES", None)
os.execvp(program[0], program)
