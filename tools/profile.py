#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instructions per operation, function by function, from a QEMU code log.

    tools/profile.py LOG SYMBOLS BASE OPS [--top N]

LOG is what qemu/run.sh --trace-code writes (QEMU's `-d in_asm,exec,nochain`
limited to one module's code): each translated block once ("IN:" and its
instructions) and a "Trace" line for every block run. SYMBOLS is `nm -S
--defined-only` of the module, BASE the address its .text was loaded at,
OPS the operations the traced run made. Each run of a block counts its
instructions (its translation's lines) to the function that holds the
block's first address; the table gives each function's instructions per
operation, most first, and the total. Code outside every function counts
as "?"; runs of a block whose translation is not in the log cannot be
counted, and their number is reported.
"""
import argparse
import bisect
import collections
import re
import subprocess
import sys

IN_LINE = re.compile(r"^0x([0-9a-f]+):\s")
TRACE = re.compile(r"^Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")


def parse_log(lines):
    """(instructions per block start, runs per block start)."""
    size = {}
    runs = collections.Counter()
    block = None
    for line in lines:
        if line.startswith("IN:"):
            block = "new"
            continue
        m = IN_LINE.match(line)
        if m and block is not None:
            addr = int(m.group(1), 16)
            if block == "new":
                block = addr
                size[block] = 0
            size[block] += 1
            continue
        block = None
        m = TRACE.match(line)
        if m:
            runs[int(m.group(1), 16)] += 1
    return size, runs


def parse_symbols(lines, base):
    """Sorted (start, end, name) of the text symbols in `nm -S` output."""
    syms = []
    for line in lines:
        f = line.split(None, 3)
        if len(f) == 4 and f[2] in "tT":
            start = int(f[0], 16) + base
            syms.append((start, start + int(f[1], 16), f[3].strip()))
    return sorted(syms)


def attribute(size, runs, syms):
    """Instructions run per function name ("?": outside every function),
    and the runs of blocks with no translation in the log."""
    starts = [s[0] for s in syms]
    per = collections.Counter()
    unknown = 0
    for pc, n in runs.items():
        if pc not in size:
            unknown += n
            continue
        i = bisect.bisect_right(starts, pc) - 1
        name = syms[i][2] if i >= 0 and pc < syms[i][1] else "?"
        per[name] += n * size[pc]
    return per, unknown


def shorten(name):
    """A demangled Rust name without crate hashes and type arguments:
    `<a::Core<T, U>>::f` becomes `<a::Core<..>>::f`."""
    name = re.sub(r"\[[0-9a-f]{16}\]", "", name)
    out = []
    i = 0
    while i < len(name):
        ch = name[i]
        if ch == "<" and out and (out[-1].isalnum() or out[-1] == "_"):
            # Type arguments: skip to the matching '>'.
            depth = 0
            while i < len(name):
                depth += {"<": 1, ">": -1}.get(name[i], 0)
                i += 1
                if depth == 0:
                    break
            out.append("<..>")
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def demangle(names):
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True).stdout
        return [shorten(n) for n in out.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return list(names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("symbols", help="`nm -S --defined-only` output of the module")
    ap.add_argument("base", help="the module's .text address, hex")
    ap.add_argument("ops", type=int)
    ap.add_argument("--top", type=int, default=20)
    a = ap.parse_args()
    if a.ops <= 0:
        sys.exit("profile.py: OPS must be positive")
    with open(a.log, errors="replace") as f:
        size, runs = parse_log(f)
    if not runs:
        sys.exit(f"profile.py: no block runs in {a.log}: was the range right, and did the command run hmkit code?")
    with open(a.symbols) as f:
        syms = parse_symbols(f, int(a.base, 16))
    per, unknown = attribute(size, runs, syms)
    total = sum(per.values())
    top = per.most_common(a.top)
    names = demangle([n for n, _ in top])
    print(f"{'instr/op':>10}  function")
    for (_, n), name in zip(top, names):
        print(f"{n / a.ops:10.1f}  {name}")
    print(f"{total / a.ops:10.1f}  total in the module ({len(per)} functions)")
    if unknown:
        print(f"({unknown} block runs not counted: their translation is not in the log)")


if __name__ == "__main__":
    main()
