#!/usr/bin/env python3
"""Drives vtish in a real pseudo-terminal, the way a person types at it.

    vtish_pty.py --vtish BUILD/vtish --socket SOCK --home DIR --scenario toy|vtid

Each check prints "PASS name" or "FAIL name: why"; the first failure ends the
scenario (later checks would only fail in its wake).  Exit status 0 when
everything passed.

What is typed goes through the terminal line discipline and readline exactly
as keystrokes would: TAB, '?', Ctrl-Z, Ctrl-C, Ctrl-D, up-arrow.  Screen
output is matched after dropping terminal control sequences and carriage
returns, so only text a person would read is compared.
"""
import argparse
import fcntl
import os
import pty
import re
import select
import signal
import stat
import struct
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>()][0-9A-Za-z]?|[\x00\x07\r]")
UP = "\x1b[A"


class Fail(Exception):
    pass


class Term:
    def __init__(self, argv, env):
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        # A wide screen: no line wrapping to confuse the matching.
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
        self.raw = b""
        self.mark = 0  # matching starts here (cleaned text offset)
        self.eof = False
        self.status = None

    def text(self):
        return ANSI.sub(b"", self.raw).decode("utf-8", "replace")

    def _read(self, timeout):
        if self.eof:
            return False
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.raw += data
        return True

    def expect(self, pattern, timeout=10.0, what=None):
        """Waits for regex `pattern` in the output after the mark; moves the
        mark past the match and returns the match.  A leading '^' anchors
        the pattern at the mark."""
        anchored = pattern.startswith("^")
        rx = re.compile(pattern[1:] if anchored else pattern, re.S)
        end = time.monotonic() + timeout
        while True:
            t = self.text()
            m = rx.match(t, self.mark) if anchored else rx.search(t, self.mark)
            if m:
                self.mark = m.end()
                return m
            left = end - time.monotonic()
            if left <= 0 or self.eof:
                tail = t[self.mark:][-300:]
                raise Fail("%s not seen; screen after last match: %r"
                           % (what or repr(pattern), tail))
            self._read(min(left, 0.5))

    def settle(self, quiet=0.3, timeout=5.0):
        """Reads until the output has been quiet for `quiet` seconds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self._read(quiet):
                return

    def send(self, s):
        os.write(self.fd, s.encode())

    def wait_exit(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._read(0.2)
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = st
                return os.waitstatus_to_exitcode(st)
        raise Fail("vtish did not exit; screen tail: %r" % self.text()[-300:])

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass


class Runner:
    def __init__(self, args):
        self.args = args
        self.failed = False
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": args.home,
            "TERM": "vt100",
            "INPUTRC": "/dev/null",
            "LANG": "C",
            "VTISH_PAGER": "cat -n",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]

    def start(self):
        return Term([self.args.vtish, "-s", self.args.socket], self.env)

    def check(self, name, fn):
        if self.failed:
            return
        try:
            fn()
            print("PASS %s" % name, flush=True)
        except Fail as e:
            print("FAIL %s: %s" % (name, e), flush=True)
            self.failed = True


def esc(s):
    return re.escape(s)


def scenario_toy(r):
    """Against tests/tools/ctlecho's toy grammar (prompt host 'ctl')."""
    t = r.start()
    try:
        def first_prompt():
            t.expect(r"ctl>", what="the first prompt ctl>")
        r.check("vtish-pty-prompt", first_prompt)

        def abbrev():
            t.send("en\r")
            t.expect(r"\nctl#", what="prompt ctl# after 'en' (abbreviated enable)")
        r.check("vtish-pty-abbreviation", abbrev)

        def tab():
            t.send("conf\t")
            t.expect(r"configure $", what="'conf' TAB completed to 'configure '")
            t.send("t\t")
            t.expect(r"terminal $", what="'t' TAB completed to 'terminal '")
            t.send("\r")
            t.expect(r"Enter configuration commands.*\nctl\(config\)#",
                     what="config mode prompt")
        r.check("vtish-pty-tab-completion", tab)

        def modes():
            t.send("interface Tunnel1\r")
            t.expect(esc("ctl(config-if)#"), what="prompt (config-if)#")
        r.check("vtish-pty-submode-prompt", modes)

        def help_empty():
            t.send("?")
            m = t.expect(r"\?\n(.*?)ctl\(config-if\)#$", what="help list then the prompt")
            body = m.group(1)
            for want in ("shutdown", "Shutdown the selected interface", "description",
                         "ip", "exit", "end"):
                if want not in body:
                    raise Fail("help list lacks %r: %r" % (want, body))
        r.check("vtish-pty-help-lists-commands", help_empty)

        def help_word():
            # '?' right after a word lists its completions; line kept.
            t.send("no sh?")
            m = t.expect(r"no sh\?\n(.*?)\nctl\(config-if\)#no sh$",
                         what="completions of 'sh' then the line 'no sh' redrawn")
            if m.group(1).strip() != "shutdown":
                raise Fail("completions of 'no sh' were %r" % m.group(1))
            t.send("\r")
            t.expect(r"Tunnel1: no shutdown\n", what="'no sh' ran as 'no shutdown'")
        r.check("vtish-pty-help-after-word", help_word)

        def help_mid_line():
            # '?' after a space: next tokens with help; the line goes on.
            t.send("ip ?")
            m = t.expect(r"ip \?\n(.*?)ctl\(config-if\)#ip $",
                         what="help for 'ip ' then 'ip ' redrawn")
            if not re.search(r"address\s+Set the IP address of an interface", m.group(1)):
                raise Fail("help for 'ip ' was %r" % m.group(1))
            t.send("addr ?")
            t.expect(r"WORD\s+IP address.*ctl\(config-if\)#ip addr $",
                     what="help for 'ip addr ' and the line redrawn")
            t.send("10.0.0.1 255.255.255.0\r")
            t.expect(r"Tunnel1: address 10\.0\.0\.1 mask 255\.255\.255\.0\n",
                     what="the line typed around two '?' ran whole")
        r.check("vtish-pty-help-redraws-line", help_mid_line)

        def end():
            t.send("end\r")
            t.expect(r"\nctl#$", what="'end' back to ctl#")
        r.check("vtish-pty-end", end)

        def ctrl_z():
            t.send("conf t\r")
            t.expect(esc("ctl(config)#"))
            t.send("crypto ikev2 proposal P1\r")
            t.expect(esc("ctl(config-ikev2-proposal)#"), what="prompt (config-ikev2-proposal)#")
            t.send("group 19\r")
            t.expect(r"P1: group 19\n")
            t.send("\x1a")
            t.expect(r"\nctl#$", what="Ctrl-Z back to ctl#")
        r.check("vtish-pty-ctrl-z-is-end", ctrl_z)

        def ambiguous():
            t.send("conf t\r")
            t.expect(esc("ctl(config)#"))
            t.send("crypto ikev2 p X\r")
            t.expect(r"% Ambiguous command", what="ambiguous 'p' refused")
            t.expect(esc("ctl(config)#"))
            t.send("crypto ikev2 p\t\t")
            t.expect(r"policy\s+proposal", what="double TAB lists policy and proposal")
            t.expect(esc("ctl(config)#crypto ikev2 p"), what="line redrawn after the list")
            t.send("\x03")
            t.expect(r"\^C\nctl\(config\)#$", what="Ctrl-C dropped the line")
            t.send("end\r")
            t.expect(r"\nctl#$")
        r.check("vtish-pty-ambiguous-and-ctrl-c", ambiguous)

        def errors():
            t.send("bogus\r")
            t.expect(r"% Invalid input detected at '\^' marker\.\nctl#$",
                     what="invalid input reported, prompt back")
        r.check("vtish-pty-invalid-input", errors)

        def history():
            t.send("show version\r")
            t.expect(r"ctlecho test server, version 1\.0\nctl#$")
            t.send(UP)
            t.expect(r"^show version$", what="up-arrow recalls 'show version'")
            t.send("\r")
            t.expect(r"ctlecho test server, version 1\.0\nctl#$",
                     what="recalled line ran")
        r.check("vtish-pty-history-recall", history)

        def paste():
            # A pasted block: every line runs, in order, in its mode.
            t.send("conf t\rinterface Tunnel9\rdescription pasted\rno shut\rend\recho done\r")
            t.expect(r'Tunnel9: description "pasted"\n.*Tunnel9: no shutdown\n.*\ndone\nctl#$',
                     what="the pasted lines' outputs in order")
        r.check("vtish-pty-paste-block", paste)

        def pager():
            # Output longer than the screen (40 rows) goes through the pager.
            t.send("show big 60\r")
            t.expect(r"\n\s+61\s+end of big output\nctl#$",
                     what="61 lines numbered by the pager (cat -n)")
            t.send("show big 5\r")
            t.expect(r"\nline 5 of 5: the quick brown fox jumps\nend of big output\nctl#$",
                     what="a short output printed directly")
        r.check("vtish-pty-pager", pager)

        def interrupt():
            # vtid busy for 3 s: Ctrl-C gives the prompt back at once, and
            # the late reply doesn't end up as the next command's answer.
            t.send("sleep 3000\r")
            # Ctrl-C is a signal only while vtish waits for vtid: wait until
            # the terminal says so (the master sees the slave's settings).
            end = time.monotonic() + 5
            while termios.tcgetattr(t.fd)[6][termios.VINTR] in (b"\x00", 0):
                if time.monotonic() > end:
                    raise Fail("vtish never re-enabled Ctrl-C while waiting")
                time.sleep(0.02)
            t.send("\x03")
            t.expect(r"% interrupted.*\nctl#$", timeout=5, what="Ctrl-C ended the wait")
            t.send("echo next\r")
            m = t.expect(r"echo next\n(.*?)\nctl#$", timeout=10, what="the next command's answer")
            if m.group(1) != "next":
                raise Fail("the next command got %r" % m.group(1))
        r.check("vtish-pty-ctrl-c-while-waiting", interrupt)

        def leave():
            t.send("exit\r")
            rc = t.wait_exit()
            if rc != 0:
                raise Fail("exit status %d" % rc)
        r.check("vtish-pty-exit-leaves", leave)
    finally:
        t.kill()

    def history_file():
        p = os.path.join(r.args.home, ".vtish_history")
        try:
            st = os.stat(p)
            lines = open(p).read().split("\n")
        except OSError as e:
            raise Fail("no history file: %s" % e)
        if stat.S_IMODE(st.st_mode) != 0o600:
            raise Fail("history file mode %o" % stat.S_IMODE(st.st_mode))
        if "show version" not in lines or "interface Tunnel1" not in lines:
            raise Fail("history file lacks commands: %r" % lines)
    r.check("vtish-pty-history-file", history_file)

    t = r.start()
    try:
        def history_kept():
            t.expect(r"ctl>")
            t.send(UP)
            t.expect(r"^exit$", what="last session's 'exit' recalled")
            t.send("\x15")  # Ctrl-U: drop the recalled line
            t.send("en\r")
            t.expect(r"\nctl#$")
        r.check("vtish-pty-history-across-sessions", history_kept)

        def ctrl_d():
            t.send("conf t\r")
            t.expect(esc("ctl(config)#"))
            t.send("\x04")
            t.expect(r"\nctl#$", what="Ctrl-D in config mode went back to ctl#")
            t.send("\x04")
            rc = t.wait_exit()
            if rc != 0:
                raise Fail("exit status %d" % rc)
        r.check("vtish-pty-ctrl-d", ctrl_d)
    finally:
        t.kill()


def scenario_vtid(r):
    """Against the real vtid command layer (hostname from the configuration)."""
    host = r.args.hostname
    h = esc(host)
    t = r.start()
    try:
        def first_prompt():
            t.expect(h + r"#", what="the first prompt %s#" % host)
        r.check("vtish-pty-vtid-prompt", first_prompt)

        def tab():
            t.send("conf\t")
            t.expect(r"configure $", what="'conf' TAB completed to 'configure '")
            t.send("t\t")
            t.expect(r"terminal $", what="'t' TAB completed to 'terminal '")
            t.send("\r")
            t.expect(h + esc("(config)#"), what="config mode prompt")
        r.check("vtish-pty-vtid-tab-completion", tab)

        def submodes():
            t.send("interface Tunnel1\r")
            t.expect(h + esc("(config-if)#"), what="prompt (config-if)#")
            t.send("?")
            m = t.expect(r"\?\n(.*?)" + h + esc("(config-if)#") + "$",
                         what="help list then the prompt")
            for want in ("tunnel", "ip", "shutdown"):
                if want not in m.group(1):
                    raise Fail("help in (config-if) lacks %r: %r" % (want, m.group(1)))
            t.send("tun ?")
            m = t.expect(r"tun \?\n(.*?)" + h + esc("(config-if)#tun ") + "$",
                         what="help for 'tun ' and the line redrawn")
            for want in ("source", "destination"):
                if want not in m.group(1):
                    raise Fail("help for 'tun ' lacks %r: %r" % (want, m.group(1)))
            t.send("\x15exit\r")
            t.expect(h + esc("(config)#") + "$", what="exit back to (config)#")
            t.send("crypto ikev2 proposal PTY\r")
            t.expect(h + esc("(config-ikev2-proposal)#"), what="prompt (config-ikev2-proposal)#")
            t.send("end\r")
            t.expect(h + r"#$", what="end back to #")
        r.check("vtish-pty-vtid-modes-and-help", submodes)

        def help_word_and_errors():
            t.send("sh?")
            m = t.expect(r"sh\?\n(.*?)\n" + h + r"#sh$",
                         what="completions of 'sh' then 'sh' redrawn")
            if "show" not in m.group(1).split():
                raise Fail("completions of 'sh': %r" % m.group(1))
            t.send(" cry ikev2 ?")
            m = t.expect(r"ikev2 \?\n(.*?)" + h + r"#sh cry ikev2 $",
                         what="help for 'sh cry ikev2 ' and the line redrawn")
            if "sa" not in m.group(1):
                raise Fail("help for 'sh cry ikev2 ' lacks 'sa': %r" % m.group(1))
            t.send("\x15bogus\r")
            t.expect(r"% .*\n" + h + r"#$", what="an error for 'bogus', prompt back")
        r.check("vtish-pty-vtid-help-after-word-and-errors", help_word_and_errors)

        def abbrev():
            t.send("sh run\r")
            t.expect(r"interface Tunnel1", what="'sh run' (abbreviated) printed the configuration")
            t.expect(h + r"#$")
        r.check("vtish-pty-vtid-abbreviation", abbrev)

        def ctrl_z():
            t.send("conf t\r")
            t.expect(h + esc("(config)#"))
            t.send("\x1a")
            t.expect(h + r"#$", what="Ctrl-Z back to #")
        r.check("vtish-pty-vtid-ctrl-z", ctrl_z)

        def leave():
            t.send("exit\r")
            rc = t.wait_exit()
            if rc != 0:
                raise Fail("exit status %d" % rc)
        r.check("vtish-pty-vtid-exit", leave)
    finally:
        t.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vtish", required=True)
    ap.add_argument("--socket", required=True)
    ap.add_argument("--home", required=True)
    ap.add_argument("--scenario", choices=["toy", "vtid"], default="toy")
    ap.add_argument("--hostname", default="vtid")
    args = ap.parse_args()
    r = Runner(args)
    {"toy": scenario_toy, "vtid": scenario_vtid}[args.scenario](r)
    sys.exit(1 if r.failed else 0)


if __name__ == "__main__":
    main()
