#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that the module's Rust sources keep their one-way layering, and
that `unsafe` stays where it is allowed.

The layers (a module may use its own layer's files only as said, and lower
layers; never a higher one):

  0  sys        src/sys/**: the FFI. Uses nothing else of the crate.
  1  logic      src/logic/**: pure logic. Uses only layer 1 (crate::logic,
                crate::pool::core).
     pool core  src/pool/core.rs: pure logic, also built into the host tests.
                Uses only core/alloc, and from its parent module only the
                items in PARENT_ITEMS (e.g. `super::atomic`).
  2  pool       src/pool/mod.rs and the rest of src/pool/. Uses sys, logic,
                pool core.
  3  features   src/control.rs, bench.rs, stress.rs, selftest.rs, views.rs,
                census.rs, kmaps.rs.
                Use sys, logic, pool; not each other.
  4  debugfs    src/debugfs.rs, and the crate root src/hmkit.rs: anything;
                also src/compile_fail.rs (cases that must not compile).

`unsafe` (blocks, fns, impls, extern blocks) may appear only in src/sys/**,
src/pool/core.rs and src/pool/window.rs.

References are found as `crate::...` paths, `super::`/`self::` paths
(resolved against the file's module and any inline `mod x { }`), and `use`
trees (`use crate::{a, b::c}`), outside comments and strings. A bare path
that starts with a child module's name is not followed (a child is never in
a higher layer here).

Usage: check-layers.py SRC_DIR
Prints `file:line: layer X may not use Y` for each violation; exits 1 if any.
"""
import pathlib
import re

import rustsrc
import sys

# (module path prefix, layer, name): the longest matching prefix wins.
COMPONENTS = [
    (("sys",), 0, "sys"),
    (("logic",), 1, "logic"),
    (("pool", "core"), 1, "pool core"),
    (("pool",), 2, "pool"),
    (("control",), 3, "control"),
    (("bench",), 3, "bench"),
    (("stress",), 3, "stress"),
    (("selftest",), 3, "selftest"),
    (("views",), 3, "views"),
    (("census",), 3, "census"),
    (("kmaps",), 3, "kmaps"),
    (("debugfs",), 4, "debugfs"),
    # Compile-fail cases (tools/compile-fail.sh): code that must not build,
    # written as a safe user of every layer would.
    (("compile_fail",), 4, "compile-fail cases"),
]
ROOT = ((), 4, "crate root")  # src/hmkit.rs, and items defined there
CRATE_ROOT_FILE = "hmkit.rs"

# Items pool/core.rs may take from the module that includes it (the pool in
# the kernel, the test harness on the host) as `super::NAME`.
PARENT_ITEMS = {"pool core": {"atomic"}}

# Files (relative to SRC_DIR) where `unsafe` may appear.
UNSAFE_OK = [re.compile(r"sys/.*"), re.compile(r"pool/core\.rs"), re.compile(r"pool/window\.rs")]


def component(modpath):
    best = None
    for prefix, layer, name in COMPONENTS:
        if tuple(modpath[:len(prefix)]) == prefix and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer, name)
    return best


def may_use(src, dst) -> bool:
    """Whether component src may refer to component dst."""
    _, sl, sn = src
    _, dl, dn = dst
    if sn == dn or sl == 4:
        return True
    if sn == "pool core":
        return False
    if sl == 1:
        return dl == 1
    if sl >= 2:
        return dl < sl
    return False


# ---------------------------------------------------------------------------
# Lexing: comments and the insides of literals become spaces.

_TOKEN = re.compile(r"'[A-Za-z_]\w*(?!')|(?P<ident>r#[A-Za-z_]\w*|[A-Za-z_]\w*)|::|\$|[^\s\w]|\d\w*")


def blank(text: str) -> str:
    return rustsrc.blank_rust(text)


class File:
    def __init__(self, root: pathlib.Path, path: pathlib.Path):
        self.path = path
        self.rel = path.relative_to(root).as_posix()
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "mod":
            parts.pop()
        if parts == [CRATE_ROOT_FILE[:-3]]:
            parts = []
        self.modpath = tuple(parts)
        self.text = path.read_text()
        code = blank(self.text)
        self.toks = [(m.group(), m.start(), m.lastgroup == "ident") for m in _TOKEN.finditer(code)]
        self.nl = rustsrc.newlines(self.text)

    def line(self, pos: int) -> int:
        return rustsrc.line_of(self.nl, pos)


def references(f: File):
    """Yield (segments as written, module path they are relative to, pos)."""
    t = f.toks
    s = lambda i: t[i][0] if 0 <= i < len(t) else ""  # noqa: E731
    mods = []  # inline modules: (brace depth inside, name)
    depth = 0
    consumed = set()

    def here():
        return f.modpath + tuple(n for _, n in mods)

    def use_tree(i, prefix, out):
        segs = list(prefix)
        while True:
            tok = s(i)
            if tok == "::":
                if not segs:
                    segs.append("::")  # an external crate
                i += 1
                continue
            if tok == "{":
                i += 1
                while s(i) not in ("}", ""):
                    i = use_tree(i, segs, out)
                    if s(i) == ",":
                        i += 1
                return i + 1
            if tok == "*":
                out.append((segs, t[i][1]))
                return i + 1
            if i < len(t) and t[i][2]:
                segs.append(tok)
                pos = t[i][1]
                i += 1
                if s(i) == "::":
                    i += 1
                    continue
                if s(i) == "as":
                    i += 2
                if segs[-1] == "self" and len(segs) > 1:
                    segs.pop()
                out.append((segs, pos))
                return i
            return i + 1  # something unexpected: skip it

    i = 0
    while i < len(t):
        tok = s(i)
        if tok == "{":
            depth += 1
        elif tok == "}":
            if mods and mods[-1][0] == depth:
                mods.pop()
            depth -= 1
        elif tok == "mod" and t[i + 1][2] and s(i + 2) == "{":
            mods.append((depth + 1, s(i + 1)))
        elif tok == "use" and t[i][2] and s(i - 1) not in ("::",):
            out = []
            j = use_tree(i + 1, [], out)
            for segs, pos in out:
                yield segs, here(), pos
            for k in range(i, j):
                consumed.add(k)
            i = j
            continue
        elif tok in ("crate", "super", "self") and i not in consumed and s(i + 1) == "::" \
                and s(i - 1) not in ("::", "$", "in"):
            segs, j = [tok], i + 2
            while j < len(t) and t[j][2]:
                segs.append(s(j))
                if s(j + 1) != "::" or not (j + 2 < len(t) and t[j + 2][2]):
                    break
                j += 2
            yield segs, here(), t[i][1]
            i = j + 1
            continue
        i += 1


def resolve(segs, base):
    """The crate-relative module path of a reference, or None (external)."""
    if not segs or segs[0] not in ("crate", "super", "self"):
        return None
    if segs[0] == "crate":
        return tuple(segs[1:])
    path, k = list(base), 0
    if segs[0] == "self":
        k = 1
    while k < len(segs) and segs[k] == "super":
        if not path:
            return ("<above the crate root>",)
        path.pop()
        k += 1
    return tuple(path) + tuple(segs[k:])


def describe(c) -> str:
    return f"layer {c[1]} ({c[2]})"


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: check-layers.py SRC_DIR", file=sys.stderr)
        return 2
    root = pathlib.Path(sys.argv[1])
    rs = sorted(root.rglob("*.rs")) if root.is_dir() else []
    if not rs:
        print(f"check-layers: no Rust files under {root}", file=sys.stderr)
        return 2
    files = [File(root, p) for p in rs]
    top = {f.modpath[0] for f in files if f.modpath}
    errors = []
    for f in files:
        where = f"{root.as_posix().rstrip('/')}/{f.rel}"
        src = component(f.modpath) if f.modpath else ROOT
        if src is None:
            errors.append(f"{where}:1: {f.rel} is in no layer: place it in one (COMPONENTS in "
                          f"tools/check-layers.py), or move it into a layer's directory")
            continue
        for segs, base, pos in references(f):
            target = resolve(segs, base)
            if target is None:
                continue
            shown = "crate::" + "::".join(target) if target else "crate"
            if src[2] in PARENT_ITEMS and segs[0] == "super" and len(segs) > 1 and \
                    segs[1] in PARENT_ITEMS[src[2]] and base == f.modpath:
                continue
            dst = component(target)
            if dst is None:
                if target and target[0] in top:
                    errors.append(f"{where}:{f.line(pos)}: {describe(src)} may not use {shown} "
                                  f"(a module in no layer)")
                    continue
                dst = ROOT  # an item of the crate root
            if not may_use(src, dst):
                errors.append(f"{where}:{f.line(pos)}: {describe(src)} may not use {shown} "
                              f"({dst[2]}, layer {dst[1]})")
        if not any(rx.fullmatch(f.rel) for rx in UNSAFE_OK):
            for tok, pos, ident in f.toks:
                if ident and tok == "unsafe":
                    errors.append(f"{where}:{f.line(pos)}: {describe(src)} may not use unsafe "
                                  "(only src/sys/, src/pool/core.rs and src/pool/window.rs may)")
    for e in errors:
        print(e)
    if errors:
        print(f"check-layers: {len(errors)} violation{'s' if len(errors) != 1 else ''}. Layers: "
              "0 sys; 1 logic, pool/core.rs; 2 pool; 3 control, bench, stress, selftest, views "
              "(not each other); 4 debugfs.rs, hmkit.rs. A layer uses only lower ones "
              "(see tools/check-layers.py).", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
