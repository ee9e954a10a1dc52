#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reject Rust code that would cross the i386 regparm ABI hazard.

rustc (up to at least 1.96) does not pass 64-bit integers or structs by
value the way GCC's -mregparm=3 does, so on i386 a Rust call to a C function
taking a u64/loff_t/pte_t/... by value, or a C call into a Rust callback
receiving one, silently gets garbage. This lint fails when:

  * an `extern "C"` declaration or definition in the module's Rust sources
    has a parameter that is not a pointer or an integer of at most 32 bits;
  * the Rust sources call `bindings::NAME` where NAME (per the kernel's
    generated bindings) takes such a parameter.

Usage: check-abi.py [--bindings bindings_generated.rs] SRC_DIR...
"""
import argparse
import pathlib
import re
import sys

SAFE = {
    "c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint",
    "c_long", "c_ulong", "u8", "u16", "u32", "i8", "i16", "i32", "usize",
    "isize", "bool",
}
UNSAFE = {"u64", "i64", "u128", "i128", "c_longlong", "c_ulonglong", "f32", "f64"}


def strip_path(t: str) -> str:
    return re.sub(r"(::)?(core::ffi|ffi|kernel::ffi|crate::ffi)::", "", t.strip())


def split_params(params: str):
    depth, cur, out = 0, "", []
    for ch in params:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur)
    return [p.split(":", 1)[1].strip() for p in out if ":" in p]


def param_ok(t: str, aliases) -> bool:
    t = strip_path(t)
    if t.startswith("*") or t.startswith("&"):
        return True
    if re.match(r"^(Option<)?\s*(unsafe\s+)?extern\s+\"C\"\s+fn", t):
        return True
    seen = set()
    while t in aliases and t not in seen:
        seen.add(t)
        t = strip_path(aliases[t])
        if t.startswith("*"):
            return True
    if t in SAFE:
        return True
    return False  # u64 and friends, or a struct/union passed by value


FN_RE = re.compile(r"\bfn\s+(\w+)\s*(?:<[^>]*>)?\s*\(([^)]*(?:\([^)]*\)[^)]*)*)\)", re.S)


def extern_fns(text: str):
    """Yield (name, params) of fns in extern "C" blocks and extern "C" fn definitions."""
    for block in re.finditer(r'extern\s+"C"\s*\{(.*?)\n\}', text, re.S):
        for m in FN_RE.finditer(block.group(1)):
            yield m.group(1), m.group(2), block.start(1) + m.start()
    for m in re.finditer(r'extern\s+"C"\s+fn\s+(\w+)\s*(?:<[^>]*>)?\s*\(([^)]*)\)', text, re.S):
        yield m.group(1), m.group(2), m.start()


def load_bindings(path: pathlib.Path):
    text = path.read_text()
    aliases = dict(re.findall(r"pub type (\w+) = ([^;]+);", text))
    bad = {}
    for block in re.finditer(r'extern\s+"C"\s*\{(.*?)\n\}', text, re.S):
        for m in FN_RE.finditer(block.group(1)):
            params = split_params(m.group(2))
            wrong = [p for p in params if not param_ok(p, aliases)]
            if wrong:
                bad[m.group(1)] = wrong
    return aliases, bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bindings", type=pathlib.Path)
    ap.add_argument("src", nargs="+", type=pathlib.Path)
    args = ap.parse_args()

    aliases, bad_bindings = {}, {}
    if args.bindings:
        if not args.bindings.exists():
            print(f"check-abi: {args.bindings} not found: build the kernel first", file=sys.stderr)
            return 2
        aliases, bad_bindings = load_bindings(args.bindings)

    errors = []
    for root in args.src:
        for f in sorted(root.rglob("*.rs")):
            text = f.read_text()
            for name, params, pos in extern_fns(text):
                line = text.count("\n", 0, pos) + 1
                for p in split_params(params):
                    if not param_ok(p, aliases):
                        errors.append(f"{f}:{line}: extern \"C\" fn {name} takes `{p.strip()}` by value")
            for m in re.finditer(r"\bbindings::(\w+)\s*\(", text):
                if m.group(1) in bad_bindings:
                    line = text.count("\n", 0, m.start()) + 1
                    errors.append(
                        f"{f}:{line}: bindings::{m.group(1)} takes {', '.join(bad_bindings[m.group(1)])} by value"
                    )
    for e in errors:
        print(f"check-abi: {e}", file=sys.stderr)
    if errors:
        print("check-abi: on i386 rustc passes these differently from C (-mregparm=3): "
              "add a helper to src/sys/shim.c that takes pointers or 32-bit values", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
