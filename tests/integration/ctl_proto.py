#!/usr/bin/env python3
"""Hostile and concurrent clients for vtid's control socket (docs/CONTROL.md).

    ctl_proto.py SOCKET

Runs against tests/tools/ctlecho started with
    --max-clients 60 --stall-ms 500 --high-mark 65536 --max-queue 1048576
and checks, through the server's own counters (`show ctl`), that each bad
thing was answered, counted, and left the server serving.  Prints one
"PASS name" / "FAIL name: why" line per check; exit 1 if any failed.
"""
import json
import socket
import sys
import time

PATH = sys.argv[1]
failed = False


class Fail(Exception):
    pass


class Client:
    def __init__(self, timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(PATH)  # blocking: waits if the backlog is full
        self.s.settimeout(timeout)
        self.buf = b""
        self.next_id = 1

    def send_raw(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise Fail("connection closed by the server; partial %r" % self.buf[:200])
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(ln)
        except ValueError:
            raise Fail("reply is not JSON: %r" % ln[:200])

    def call(self, op, line=None):
        req = {"id": self.next_id, "op": op}
        self.next_id += 1
        if line is not None:
            req["line"] = line
        self.send_raw(json.dumps(req).encode() + b"\n")
        r = self.line()
        if r.get("id") != req["id"]:
            raise Fail("reply id %r for request %r" % (r.get("id"), req["id"]))
        return r

    def drain_to_eof(self, timeout=5.0):
        """Reads until EOF (or reset); returns bytes read.  Fails on timeout."""
        self.s.settimeout(timeout)
        n = len(self.buf)
        try:
            while True:
                d = self.s.recv(1 << 20)
                if not d:
                    return n
                n += len(d)
        except ConnectionResetError:
            return n
        except socket.timeout:
            raise Fail("server did not close the connection within %.1fs" % timeout)

    def close(self):
        self.s.close()


def stats():
    c = Client()
    r = c.call("exec", "show ctl")
    c.close()
    if not r.get("ok"):
        raise Fail("show ctl failed: %r" % r)
    return json.loads(r["output"])


def check(name, fn):
    global failed
    try:
        fn()
        print("PASS %s" % name, flush=True)
    except (Fail, OSError, ValueError, KeyError) as e:
        print("FAIL %s: %s" % (name, e), flush=True)
        failed = True


def expect_error(c, data, want):
    c.send_raw(data)
    r = c.line()
    if r.get("ok") is not False or want not in r.get("error", ""):
        raise Fail("for %r expected an error with %r, got %r" % (data[:60], want, r))


def still_usable(c):
    r = c.call("prompt")
    if r.get("ok") is not True or r.get("prompt") != "ctl>":
        raise Fail("connection not usable after the error: %r" % r)


def t_basic():
    c = Client()
    r = c.call("prompt")
    if r != {"id": 1, "ok": True, "prompt": "ctl>"}:
        raise Fail("prompt reply %r" % r)
    r = c.call("exec", "en")
    if r.get("ok") is not True or r.get("prompt") != "ctl#" or r.get("output") != "":
        raise Fail("exec en reply %r" % r)
    r = c.call("complete", "sh v")
    if r.get("candidates") != ["version"]:
        raise Fail("complete reply %r" % r)
    r = c.call("help", "show ")
    names = [p[0] for p in r.get("help", [])]
    if names != ["version", "ctl", "big"] or not all(len(p) == 2 for p in r["help"]):
        raise Fail("help reply %r" % r)
    r = c.call("exec", "fail")
    if r.get("ok") is not False or "failed on purpose" not in r.get("error", "") \
            or r.get("prompt") != "ctl#":
        raise Fail("failing exec reply %r" % r)
    r = c.call("help", "nonsense ")
    if r.get("ok") is not False or not r.get("error"):
        raise Fail("help on a bad line %r" % r)
    c.close()


def t_malformed():
    before = stats()
    c = Client()
    expect_error(c, b"this is not json\n", "malformed JSON")
    still_usable(c)
    expect_error(c, b'{"op":"prompt"\n', "malformed JSON")
    expect_error(c, b'{"op":"prompt"} {"op":"prompt"}\n', "malformed JSON")
    expect_error(c, b'[1,2]\n', "must be a JSON object")
    expect_error(c, b'{"id":1,"op":"reboot"}\n', 'unknown "op"')
    expect_error(c, b'{"id":2,"op":"exec"}\n', "missing \"line\"")
    expect_error(c, b'{"id":3,"op":"exec","line":5}\n', "must be a string")
    expect_error(c, b'{"id":4,"op":"exec","line":"en\\nconf t"}\n', "one line")
    expect_error(c, b'{"id":5,"op":"exec","line":"a\\u0000b"}\n', "one line")
    expect_error(c, b'{"id":{"x":1},"op":"prompt"}\n', "\"id\"")
    expect_error(c, b'{"op":"prompt","x":"\xff\xfe"}\n', "malformed JSON")
    expect_error(c, b'{"op":"prompt","x":\x00}\n', "NUL")
    expect_error(c, b'[' * 100 + b']' * 100 + b"\n", "malformed JSON")
    # the id is echoed on errors about other fields
    c.send_raw(b'{"id":"abc","op":"nope"}\n')
    r = c.line()
    if r.get("id") != "abc" or r.get("ok") is not False:
        raise Fail("error reply without the request's id: %r" % r)
    still_usable(c)
    c.close()
    after = stats()
    if after["bad_requests"] - before["bad_requests"] != 14:
        raise Fail("bad_requests counted %d, expected 14"
                   % (after["bad_requests"] - before["bad_requests"]))


def t_oversize():
    before = stats()
    c = Client()
    big = b'{"op":"exec","line":"echo ' + b"x" * 70000 + b'"}\n'
    expect_error(c, big, "too long")
    still_usable(c)
    # sent in small pieces: the cap holds across reads
    c.send_raw(b'{"op":"exec","line":"echo ')
    for _ in range(20):
        c.send_raw(b"y" * 5000)
    c.send_raw(b'"}\n')
    r = c.line()
    if "too long" not in r.get("error", ""):
        raise Fail("piecewise oversize line: %r" % r)
    still_usable(c)
    # just under the cap is served
    line = "echo " + "z" * 60000
    r = c.call("exec", line)
    if r.get("output") != "z" * 60000 + "\n":
        raise Fail("a 60 kB line was not served whole")
    c.close()
    after = stats()
    if after["oversize"] - before["oversize"] != 2:
        raise Fail("oversize counted %d, expected 2" % (after["oversize"] - before["oversize"]))


def t_pipelined():
    c = Client()
    reqs = b"".join(json.dumps({"id": i, "op": "exec", "line": "echo %d" % i}).encode() + b"\n"
                    for i in range(1, 201))
    c.send_raw(reqs)
    for i in range(1, 201):
        r = c.line()
        if r.get("id") != i or r.get("output") != "%d\n" % i:
            raise Fail("reply %d out of order or wrong: %r" % (i, r))
    # one request split across many writes
    for ch in b'{"id":7,"op":"exec","line":"echo split"}\n':
        c.send_raw(bytes([ch]))
    r = c.line()
    if r.get("id") != 7 or r.get("output") != "split\n":
        raise Fail("split request: %r" % r)
    c.close()


def t_eof():
    c = Client()
    c.send_raw(b'{"id":1,"op":"exec","line":"echo last"}')  # no newline
    c.s.shutdown(socket.SHUT_WR)
    r = c.line()
    if r.get("output") != "last\n":
        raise Fail("request at EOF without newline: %r" % r)
    c.drain_to_eof()
    c.close()


def t_close():
    c = Client()
    r = c.call("exec", "exit")
    if r.get("ok") is not True or r.get("close") is not True:
        raise Fail("exit at EXEC: %r" % r)
    c.drain_to_eof()
    c.close()


def t_long_output():
    c = Client(timeout=30)
    r = c.call("exec", "show big 200000")
    out = r.get("output", "")
    lines = out.split("\n")
    if len(lines) != 200002 or lines[-2] != "end of big output" \
            or lines[199999] != "line 200000 of 200000: the quick brown fox jumps":
        raise Fail("long output not whole: %d lines" % len(lines))
    c.close()


def t_slow_reader():
    before = stats()
    # A: one huge reply, never read -> dropped by the stall timer.
    a = Client()
    a.send_raw(json.dumps({"id": 1, "op": "exec", "line": "show big 100000"}).encode() + b"\n")
    # B: keeps asking, never reads -> its queue passes max_queue, or stalls.
    b = Client()
    b.send_raw(b"".join(json.dumps({"id": i, "op": "exec", "line": "show big 20000"}).encode()
                        + b"\n" for i in range(60)))
    # Meanwhile everyone else is served at once.
    t0 = time.monotonic()
    c = Client(timeout=3)
    for _ in range(20):
        if c.call("exec", "echo alive").get("output") != "alive\n":
            raise Fail("server not serving others while a client does not read")
    c.close()
    if time.monotonic() - t0 > 3:
        raise Fail("others were delayed")
    time.sleep(1.5)
    na = a.drain_to_eof()
    nb = b.drain_to_eof()
    if na >= 4000000 or nb >= 60 * 800000:
        raise Fail("slow readers got everything (%d, %d bytes): not dropped" % (na, nb))
    a.close()
    b.close()
    after = stats()
    if after["dropped_slow"] - before["dropped_slow"] != 2:
        raise Fail("dropped_slow counted %d, expected 2"
                   % (after["dropped_slow"] - before["dropped_slow"]))


def t_gone_mid_reply():
    before = stats()
    for _ in range(5):
        c = Client()
        c.send_raw(json.dumps({"id": 1, "op": "exec", "line": "show big 50000"}).encode() + b"\n")
        c.s.recv(100)  # the reply has started
        c.close()      # and the client is gone with most of it queued
    time.sleep(0.2)
    after = stats()
    if after["current"] != 1 or after["requests"] - before["requests"] != 6:
        raise Fail("after clients vanished mid-reply: %r" % after)


def t_many_clients():
    clients = [Client() for _ in range(50)]
    # everyone sends before anyone reads
    for i, c in enumerate(clients):
        lines = [{"id": 1, "op": "exec", "line": "enable"}] if i % 2 == 0 else []
        lines.append({"id": 2, "op": "exec", "line": "echo client %d" % i})
        lines.append({"id": 3, "op": "prompt"})
        c.send_raw(b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    st = stats()
    if st["current"] < 51 or st["sessions"] < 51:
        raise Fail("50 clients not all connected at once: %r" % st)
    for i, c in enumerate(clients):
        if i % 2 == 0:
            c.line()
        r2, r3 = c.line(), c.line()
        want = "ctl#" if i % 2 == 0 else "ctl>"
        if r2.get("output") != "client %d\n" % i or r3.get("prompt") != want:
            raise Fail("client %d got %r %r: sessions mixed up" % (i, r2, r3))
    for c in clients:
        c.close()


def t_too_many():
    import select
    before = stats()
    held = [Client() for _ in range(70)]
    # Refused clients get one error line and EOF at once; accepted ones get
    # nothing until they ask.  Collect for a second.
    refused = 0
    pending = {c.s.fileno(): c for c in held}
    end = time.monotonic() + 1.0
    while pending and time.monotonic() < end:
        r, _, _ = select.select(list(pending), [], [], max(0, end - time.monotonic()))
        for fd in r:
            c = pending.pop(fd)
            rep = c.line()
            if rep.get("ok") is False and "too many" in rep.get("error", ""):
                refused += 1
    for c in held:
        c.close()
    time.sleep(0.3)
    after = stats()
    got = after["refused"] - before["refused"]
    if refused != 10 or got != 10:
        raise Fail("refused %d clients (counted %d), expected 10" % (refused, got))
    if after["current"] != 1:
        raise Fail("connections left open after the clients closed: %r" % after)


check("ctl-basic-ops", t_basic)
check("ctl-malformed-answered-and-counted", t_malformed)
check("ctl-oversize-line", t_oversize)
check("ctl-pipelined-in-order", t_pipelined)
check("ctl-request-at-eof", t_eof)
check("ctl-exit-closes", t_close)
check("ctl-long-output-whole", t_long_output)
check("ctl-slow-reader-dropped", t_slow_reader)
check("ctl-client-gone-mid-reply", t_gone_mid_reply)
check("ctl-50-clients-at-once", t_many_clients)
check("ctl-too-many-clients-refused", t_too_many)
sys.exit(1 if failed else 0)
