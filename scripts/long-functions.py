#!/usr/bin/env python3
"""List the Swift functions in Sources/ longer than a limit; exit 1 when one is over it and not allowed.

Counts functions, initializers, subscripts, computed properties and closures assigned to properties,
from the line of their keyword to the line of their closing brace (nested functions count in their
parent too). Braces inside strings (plain, multi-line, raw, interpolated) and comments are not counted.
Sources/*/Generated/ is skipped: generated tables are data.

    python3 scripts/long-functions.py            # the rule: nothing over 80 lines unless allowed below
    python3 scripts/long-functions.py --limit 40 # list what is over 40, longest first
"""

import argparse
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LIMIT = 80

# "path:name" -> why it may be longer (a measured hot loop says what was measured). Keep this short.
ALLOWED = {
    "Sources/MailLog/LineReader.swift:forEachCandidateLine":
        "the log reader's measured hot loop (scripts/bench-logs.sh, docs/BENCHMARKS.md): its inlined helpers share the chunk's pointers and counters",
}


def skeleton(text):
    """The text with string contents and comments blanked to spaces, newlines kept, so braces and
    line numbers can be read from it."""
    out = []
    i, n = 0, len(text)
    # Each entry: ('code', brace_depth) for an interpolation, or ('string', hashes, multiline).
    stack = []

    def blank(s):
        return "".join("\n" if c == "\n" else " " for c in s)

    def in_string():
        return stack and stack[-1][0] == "string"

    while i < n:
        if in_string():
            _, hashes, multiline = stack[-1]
            close = ('"""' if multiline else '"') + "#" * hashes
            if text.startswith(close, i):
                out.append(" " * len(close))
                i += len(close)
                stack.pop()
                continue
            escape = "\\" + "#" * hashes
            if text.startswith(escape, i):
                j = i + len(escape)
                if j < n and text[j] == "(":
                    out.append(" " * (j - i) + "(")
                    i = j + 1
                    stack.append(["code", 0])
                    continue
                out.append(blank(text[i:j + 1]))
                i = j + 1
                continue
            out.append("\n" if text[i] == "\n" else " ")
            i += 1
            continue
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
            continue
        m = re.compile(r'(#*)("""|")').match(text, i)
        if m and (m.group(1) == "" or c == "#"):
            hashes = len(m.group(1))
            out.append(" " * (m.end() - i))
            stack.append(["string", hashes, m.group(2) == '"""'])
            i = m.end()
            continue
        if stack and stack[-1][0] == "code":
            if c == "(":
                stack[-1][1] += 1
            elif c == ")":
                if stack[-1][1] == 0:
                    stack.pop()
                    out.append(")")
                    i += 1
                    continue
                stack[-1][1] -= 1
        out.append(c)
        i += 1
    return "".join(out)


DECLARATION = re.compile(
    r"""
    (?<![.\w])(?:
        func\s+(?P<func>[^\s(<]+)
      | (?P<init>init)[?!]?\s*[(<]
      | (?P<deinit>deinit)\s*\{
      | (?P<subscript>subscript)\s*[(<]
      | (?:var|let)\s+(?P<property>[A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n{]+)?(?P<closure>=\s*)?\{
    )
    """,
    re.VERBOSE,
)


def body_start(code, start):
    """Index of the `{` that opens the body of the declaration at `start`, or None for a declaration
    without one (a protocol requirement). Parentheses, brackets and angle brackets of the signature are
    skipped, so a default argument's closure is not taken for the body."""
    depth = 0
    i = start
    while i < len(code):
        c = code[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "{" and depth == 0:
            return i
        elif depth == 0 and c == "\n":
            # A declaration whose next line starts another declaration has no body.
            rest = code[i + 1:i + 200].lstrip()
            if re.match(r"(func|var|let|init|case|static|public|private|internal|fileprivate|mutating|@|\})\b", rest):
                return None
        i += 1
    return None


def matching_brace(code, open_index):
    depth = 0
    for i in range(open_index, len(code)):
        if code[i] == "{":
            depth += 1
        elif code[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return None


def functions(path):
    text = open(path, encoding="utf-8").read()
    code = skeleton(text)
    for m in DECLARATION.finditer(code):
        name = m.group("func") or m.group("init") or m.group("deinit") or m.group("subscript") or m.group("property")
        if m.group("property") is not None:
            open_index = m.end() - 1
        else:
            open_index = body_start(code, m.end() - 1 if (m.group("deinit") or m.group("init") or m.group("subscript")) else m.end())
        if open_index is None:
            continue
        close = matching_brace(code, open_index)
        if close is None:
            continue
        first = code.count("\n", 0, m.start()) + 1
        last = code.count("\n", 0, close) + 1
        yield name, first, last - first + 1


def swift_files(sources):
    for directory, subdirectories, files in os.walk(sources):
        subdirectories[:] = sorted(d for d in subdirectories if d != "Generated")
        for name in sorted(files):
            if name.endswith(".swift"):
                yield os.path.join(directory, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="longest allowed, in lines (default %(default)s)")
    parser.add_argument("--root", default=ROOT, help="the package root (default: this script's)")
    args = parser.parse_args()

    sources = os.path.join(args.root, "Sources")
    found = []
    for path in swift_files(sources):
        relative = os.path.relpath(path, args.root)
        for name, line, length in functions(path):
            if length > args.limit:
                found.append((length, relative, line, name))
    found.sort(key=lambda f: (-f[0], f[1], f[2]))

    over = 0
    for length, relative, line, name in found:
        reason = ALLOWED.get(f"{relative}:{name}")
        if reason is None:
            over += 1
            print(f"{relative}:{line}: {name} is {length} lines (limit {args.limit})")
        else:
            print(f"{relative}:{line}: {name} is {length} lines, allowed: {reason}")
    unused = set(ALLOWED) - {f"{r}:{n}" for _, r, _, n in found}
    for key in sorted(unused):
        print(f"allow-list entry {key} is no longer over the limit: remove it", file=sys.stderr)
    if over or unused:
        print(f"{over} function(s) over {args.limit} lines: split them into named steps", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
