#!/usr/bin/env python3
"""notify_listen.py SOCKET LOG: a stand-in for systemd's notification
socket.  Binds an AF_UNIX datagram socket at SOCKET and appends each
sd_notify(3) message to LOG, its assignments one per line, then "--"."""
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o600)
while True:
    msg = s.recv(4096).decode("utf-8", "replace")
    with open(log, "a", encoding="utf-8") as f:
        f.write(msg.rstrip("\n") + "\n--\n")
