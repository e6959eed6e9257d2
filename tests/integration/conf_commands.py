#!/usr/bin/env python3
"""conf_commands.py: the commands docs/CONFIG.md documents, and whether a
man page names each of them (t-install: every command of CONFIG.md must be
reachable from vtid.conf(5)).

  conf_commands.py list CONFIG.md          one command per line
  conf_commands.py check CONFIG.md TEXT    TEXT: the page rendered as plain
                                           text; prints what it lacks, exit 1

A command is the keywords a configuration line starts with, up to its first
argument (a word with an upper-case letter, [ < or ...) or its first choice
that is not the line's first word (a|b).  They come from
  - the first column of every table whose first header is command, line or
    option (each `...` span in it);
  - headings that start with a command (## crypto ikev2 proposal NAME ...,
    ### policy-map NAME (...), class NAME (...));
  - an indented syntax block that opens a section (## Routing blocks,
    ### Standard entries ...), a leading [SEQ] aside.
A first word that is a choice (permit|deny) gives one command per choice."""
import re
import sys


def phrases(span):
    span = span.replace("\\|", "|").strip()
    span = re.sub(r"^\[SEQ\]\s*", "", span)
    words = span.split()
    out = []
    for i, w in enumerate(words):
        if re.search(r"[A-Z\[\]<>]|\.\.\.", w):
            break
        if "|" in w:
            if i == 0:
                return [a for a in w.split("|") if a]
            break
        out.append(w)
    return [" ".join(out)] if out else []


def commands(md):
    found = []
    lines = md.split("\n")
    in_code = False
    header = None
    after_heading = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = re.match(r"^#{2,4}\s+(.*)$", line)
        if m:
            text = re.sub(r"`[^`]*`", "", m.group(1))
            text = re.sub(r"\([^)]*\)", "", text).strip()
            # A heading of prose ("Lines, modes and errors") names none.
            for part in text.split(",") if re.match(r"^[a-z]", text) else []:
                part = part.strip()
                if re.match(r"^[a-z]", part):
                    found += phrases(part)
            after_heading = True
            header = None
            continue
        if after_heading and line.startswith("    ") and line.strip():
            found += phrases(line.strip())
            continue
        if line.strip() and not line.startswith("    "):
            after_heading = False
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if header is None:
                header = cells[0].lower() if cells else ""
                continue
            if re.match(r"^:?-+:?$", cells[0] if cells else ""):
                continue
            if header in ("command", "line", "option"):
                for span in re.findall(r"`([^`]+)`", cells[0]):
                    found += phrases(span)
        else:
            header = None
    seen, uniq = set(), []
    for f in found:
        if f not in seen:
            seen.add(f)
            uniq.append(f)
    return uniq


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("list", "check"):
        sys.exit(__doc__)
    cmds = commands(open(sys.argv[2], encoding="utf-8").read())
    if sys.argv[1] == "list":
        print("\n".join(cmds))
        return
    text = " ".join(open(sys.argv[3], encoding="utf-8").read().split())
    missing = [c for c in cmds
               if not re.search(r"(?<![\w-])" + re.escape(c) + r"(?![\w-])", text)]
    print("%d commands in %s, %d missing" % (len(cmds), sys.argv[2], len(missing)))
    for c in missing:
        print("missing: " + c)
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
