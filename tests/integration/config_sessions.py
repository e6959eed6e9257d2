#!/usr/bin/env python3
"""Two operators configuring one vtid at once (vtid/cmd.c, conf/compose.c).

    config_sessions.py SOCKET CONF_FILE VTID_PID

Two control connections (the protocol of docs/CONTROL.md) in configuration
mode at once:
  - 20 edits each, interleaved, to different objects (A: keyrings, B:
    standard access lists, B's entry typed after A's next change, in the
    list's own mode): the running configuration holds all 40;
  - `show configuration sessions json` lists both (uid, pid, since, mode);
  - B in an access list that A then deletes: B's next line there is refused,
    naming A's session, and the list stays deleted;
  - a SIGHUP reload while B is configuring: B's next line lands on the
    reloaded configuration and brings back nothing the reload removed.
Prints one "PASS name" / "FAIL name: why" line per check; exit 1 if any
failed.
"""
import json
import os
import signal
import socket
import sys
import time

SOCK, CONF, VTID_PID = sys.argv[1], sys.argv[2], int(sys.argv[3])
failed = False


def check(name, ok, why=""):
    global failed
    if ok:
        print("PASS " + name)
    else:
        failed = True
        print("FAIL %s: %s" % (name, why))


class Client:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(SOCK)
        self.s.settimeout(10)
        self.buf = b""
        self.n = 0

    def run(self, line):
        """Returns (ok, text, prompt)."""
        self.n += 1
        self.s.sendall(json.dumps({"id": self.n, "op": "exec", "line": line}).encode() + b"\n")
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise RuntimeError("connection closed")
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        r = json.loads(ln)
        return r.get("ok"), r.get("output", r.get("error", "")), r.get("prompt", "")


def running(c):
    ok, out, _ = c.run("do show running-config")
    return out


a, b = Client(), Client()
a.run("configure terminal")
b.run("configure terminal")

# ---- interleaved edits to different objects ----
errors = []
for i in range(1, 21):
    ok, out, _ = a.run("crypto ikev2 keyring KA%d" % i)
    if not ok or out.startswith("%"):
        errors.append("A %d: %s" % (i, out))
    ok, out, _ = b.run("ip access-list standard SB%d" % i)
    if not ok or out.startswith("%"):
        errors.append("B %d: %s" % (i, out))
    # A changes the running configuration again; B's next line is in the
    # list's mode, made from a copy older than A's change
    ok, out, _ = a.run("crypto ikev2 keyring KA%d" % i)
    ok, out, prompt = b.run("permit host 10.9.0.%d" % i)
    if not ok or out.startswith("%") or "std-nacl" not in prompt:
        errors.append("B permit %d: %s (%s)" % (i, out, prompt))
run = running(a)
missing = [k for k in ["crypto ikev2 keyring KA%d" % i for i in range(1, 21)] +
           ["ip access-list standard SB%d" % i for i in range(1, 21)] if k not in run.splitlines()]
entries = sum(1 for i in range(1, 21) if " 10 permit 10.9.0.%d\n" % i in run)
check("sessions-interleaved-40",
      not errors and not missing and entries == 20,
      "errors %s, missing %s, %d of 20 entries; running:\n%s" % (errors[:3], missing[:5], entries,
                                                                  run[:600]))

# ---- who is configuring ----
ok, out, _ = a.run("do show configuration sessions json")
try:
    ss = json.loads(out)["sessions"]
except (ValueError, KeyError):
    ss = []
me = os.getpid()
check("show-configuration-sessions",
      len(ss) == 2 and all(s.get("uid") == os.getuid() and s.get("pid") == me and
                           s.get("since", "").endswith("Z") for s in ss) and
      sum(1 for s in ss if s.get("self")) == 1 and
      {s.get("mode") for s in ss} == {"config-ikev2-keyring", "config-std-nacl"},
      out[:400])
ok, out, _ = a.run("do show configuration sessions")
check("show-configuration-sessions-text",
      "Configuration sessions: 2" in out and "(this session)" in out and str(me) in out, out[:400])

# ---- an edit to an object the other session deleted ----
b.run("ip access-list extended DOOMED")
ok, out, _ = b.run("permit udp any any eq 53")
ok, out, _ = a.run("no ip access-list extended DOOMED")
ok2, out2, prompt2 = b.run("permit tcp any any eq 22")
run = running(a)
check("edit-of-deleted-object-refused",
      ok2 is False and "ip access-list extended DOOMED was removed by the session of uid %d pid %d"
      % (os.getuid(), me) in out2 and "DOOMED" not in run and prompt2.endswith("(config)#"),
      "ok %r prompt %r: %s" % (ok2, prompt2, out2))
# the session goes on from global configuration mode
ok, out, _ = b.run("ip access-list standard SB_AFTER")
check("session-goes-on-after-conflict",
      ok and "ip access-list standard SB_AFTER" in running(a).splitlines(), out)

# ---- a reload during an open session is not undone ----
b.run("exit")  # global configuration: nothing of B's is removed under it
with open(CONF, "w") as f:
    f.write("hostname RELOADED\n!\nip access-list standard KEPT\n permit any\n!\nend\n")
os.kill(VTID_PID, signal.SIGHUP)
deadline = time.time() + 5
while time.time() < deadline and "hostname RELOADED" not in running(a):
    time.sleep(0.1)
ok, out, _ = b.run("ip access-list standard AFTER_HUP")
run = running(a)
check("reload-not-undone",
      ok and "hostname RELOADED" in run and "KEPT" in run and "AFTER_HUP" in run and
      "KA1\n" not in run and "SB1\n" not in run,
      "ok %r %s; running:\n%s" % (ok, out, run[:600]))
# and the other session, silent since the reload, too
ok, out, _ = a.run("crypto ikev2 keyring KA_AFTER")
run = running(a)
check("reload-not-undone-other-session",
      ok and "hostname RELOADED" in run and "KA_AFTER" in run and "AFTER_HUP" in run and
      "SB2\n" not in run, "ok %r %s; running:\n%s" % (ok, out, run[:600]))
# ---- an object removed by a reload, while a session is in it ----
b.run("ip access-list standard GONE")
deadline = time.time() + 5
with open(CONF, "w") as f:
    f.write("hostname RELOADED2\n!\nend\n")
os.kill(VTID_PID, signal.SIGHUP)
while time.time() < deadline and "hostname RELOADED2" not in running(a):
    time.sleep(0.1)
ok, out, prompt = b.run("permit any")
check("reload-removed-object-refused",
      ok is False and "ip access-list standard GONE was removed by a reload of %s" % CONF in out
      and "GONE" not in running(a) and prompt.endswith("(config)#"),
      "ok %r prompt %r: %s" % (ok, prompt, out))
# A, still in keyring KA_AFTER which that reload removed: told, and `end`
# still ends the session
ok, out, prompt = a.run("end")
check("end-after-conflict",
      "crypto ikev2 keyring KA_AFTER was removed by a reload of" in out and prompt.endswith("#")
      and "(config" not in prompt, "ok %r prompt %r: %s" % (ok, prompt, out))
b.run("end")
ok, out, _ = a.run("show configuration sessions json")
check("sessions-listed-only-while-configuring", json.loads(out).get("sessions") == [], out)
sys.exit(1 if failed else 0)
