#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reject Rust code that would cross the i386 regparm ABI hazard, and Rust
declarations of the C shim that disagree with the C side.

rustc (up to at least 1.96) does not pass 64-bit integers or structs by
value the way GCC's -mregparm=3 does, so on i386 a Rust call to a C function
taking a u64/loff_t/pte_t/... by value, or a C call into a Rust callback
receiving one, silently gets garbage. And bindgen does not run for the
module, so every declaration of the shim is written twice, once in C and
once in Rust. This lint fails when:

  * an `extern "C"` declaration or definition in the module's Rust sources
    has a parameter that is not a pointer or an integer of at most 32 bits,
    or takes a fn pointer that is not `extern "C"`;
  * an `extern "C"` fn pointer type anywhere (a parameter, `Option<...>`,
    a struct field, a type alias, ...) has such a parameter itself;
  * the Rust sources call `bindings::NAME` where NAME (per the kernel's
    generated bindings) takes such a parameter;
  * a `#[repr(C)]` struct named `Raw*` or documented as "Mirrors `struct
    hmkit_xxx`" does not have the fields of that C struct (from the .h/.c
    files under SRC_DIR), in the same order, with the same names and
    corresponding types (unsigned long = usize/c_ulong, unsigned int =
    c_uint/u32, int = c_int/i32, const T * = *const T, T * = *mut T,
    function pointer = extern "C" fn with the same parameters);
  * a function named `hmkit_*` declared in an `extern "C"` block has no
    prototype in the .h/.c files, or one with other parameters or return
    type.

One exception, by name only: `--xfail NAME` lets the extern declaration
of the C function NAME take something by value. It is for the port tests'
expected failures (port/port.rs), which call such functions on
purpose to show the hazard; each allowance is printed, and one that matches
no declaration is an error.

With `--kernel-src DIR`, also reject Rust calls to `bindings::NAME` where
the kernel's headers (DIR/include, DIR/arch/x86/include) declare NAME
`asmlinkage` with parameters: on i386 that means regparm(0), all arguments
on the stack, but bindgen drops the attribute, so Rust would pass the first
three in registers.

Usage: check-abi.py [--bindings bindings_generated.rs] [--kernel-src DIR]
                    [--xfail NAME]... SRC_DIR...
"""
import argparse
import dataclasses
import pathlib
import re

import rustsrc
import sys
from typing import List, Optional, Tuple

# Rust scalars that i386 rustc passes like GCC does (at most 32 bits).
SAFE = {
    "c_char", "c_schar", "c_uchar", "c_short", "c_ushort", "c_int", "c_uint",
    "c_long", "c_ulong", "u8", "u16", "u32", "i8", "i16", "i32", "usize",
    "isize", "bool",
}
RUST_SCALARS = SAFE | {
    "u64", "i64", "u128", "i128", "c_longlong", "c_ulonglong", "f32", "f64",
    "c_size_t", "c_ssize_t",
}
C_ABIS = {"C", "C-unwind"}

# C type (canonical spelling) -> the Rust types that correspond to it.
C2RUST = {
    "unsigned long": {"usize", "c_ulong"},
    "long": {"isize", "c_long"},
    "unsigned int": {"c_uint", "u32"},
    "int": {"c_int", "i32"},
    "unsigned short": {"c_ushort", "u16"},
    "short": {"c_short", "i16"},
    "unsigned char": {"c_uchar", "u8"},
    "signed char": {"c_schar", "i8"},
    "char": {"c_char"},
    "unsigned long long": {"c_ulonglong", "u64"},
    "long long": {"c_longlong", "i64"},
    "bool": {"bool"},
    "size_t": {"usize", "c_size_t"},
    "ssize_t": {"isize", "c_ssize_t"},
    "u8": {"u8"}, "u16": {"u16"}, "u32": {"u32", "c_uint"}, "u64": {"u64"},
    "s8": {"i8"}, "s16": {"i16"}, "s32": {"i32", "c_int"}, "s64": {"i64"},
    "__u8": {"u8"}, "__u16": {"u16"}, "__u32": {"u32", "c_uint"}, "__u64": {"u64"},
    "uintptr_t": {"usize"},
    "loff_t": {"i64", "loff_t"},
    "pgoff_t": {"usize", "c_ulong", "pgoff_t"},
    "gfp_t": {"c_uint", "u32", "gfp_t"},
}


# --------------------------------------------------------------------------
# Lexing: blank comments and literals, keeping every offset (and so every
# line number) where it was.

def _blank(out: list, a: int, b: int):
    for k in range(a, b):
        if out[k] != "\n":
            out[k] = " "


def blank_rust(text: str) -> str:
    """Comments and the insides of string and char literals become spaces,
    except the ABI string right after `extern`."""
    return rustsrc.blank_rust(text, keep_extern_abi=True)


_C_SPECIAL = re.compile(r"//|/\*|\"|'|^[ \t]*#", re.M)


def blank_c(text: str) -> str:
    """Comments, literals and preprocessor lines become spaces."""
    out = list(text)
    i, n = 0, len(text)
    while True:
        m = _C_SPECIAL.search(text, i)
        if not m:
            break
        s, tok = m.start(), m.group()
        if tok == "//":
            e = text.find("\n", s)
            e = n if e < 0 else e
        elif tok == "/*":
            e = text.find("*/", s + 2)
            e = n if e < 0 else e + 2
        elif tok in ('"', "'"):
            j = s + 1
            while j < n and text[j] != tok and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            _blank(out, s + 1, min(j, n))
            i = j + 1
            continue
        else:  # a preprocessor line, with its continuations
            e = s
            while True:
                nl = text.find("\n", e)
                if nl < 0:
                    e = n
                    break
                if text[nl - 1] == "\\":
                    e = nl + 1
                    continue
                e = nl
                break
        _blank(out, s, e)
        i = max(e, s + 1)
    return "".join(out)


@dataclasses.dataclass(slots=True)
class Tok:
    kind: str  # ident, num, str, life, punct
    s: str
    pos: int


_RUST_TOK = re.compile(r"""
 (?P<life>'[A-Za-z_]\w*(?!'))
|(?P<ident>r\#[A-Za-z_]\w*|[A-Za-z_]\w*)
|(?P<num>\d[\w.]*)
|(?P<str>"[^"]*")
|(?P<punct>->|=>|::|\.\.\.|\.\.=|\.\.|[^\s\w])
""", re.X)

_C_TOK = re.compile(r"""
 (?P<ident>[A-Za-z_]\w*)
|(?P<num>\d[\w.]*)
|(?P<str>"[^"\n]*"|'[^'\n]*')
|(?P<punct>->|\.\.\.|[^\s\w])
""", re.X)


def tokenize(text: str, rx) -> List[Tok]:
    return [Tok(m.lastgroup, m.group(), m.start()) for m in rx.finditer(text)]


class Src:
    """One source file: its text, blanked text and tokens."""

    def __init__(self, path: pathlib.Path, text: str, rust: bool):
        self.path = path
        self.text = text
        self.code = blank_rust(text) if rust else blank_c(text)
        self.toks = tokenize(self.code, _RUST_TOK if rust else _C_TOK)
        self._nl = rustsrc.newlines(text)
        self._lines = None

    @property
    def lines(self) -> List[str]:
        if self._lines is None:
            self._lines = self.text.splitlines()
        return self._lines

    def line(self, pos: int) -> int:
        return rustsrc.line_of(self._nl, pos)

    def where(self, pos: int) -> str:
        return f"{self.path}:{self.line(pos)}"

    def span(self, a: int, b: int) -> str:
        return " ".join(self.code[a:b].split())


class ParseError(Exception):
    def __init__(self, pos: int, what: str):
        super().__init__(what)
        self.pos = pos


# --------------------------------------------------------------------------
# Rust types.

@dataclasses.dataclass
class RPtr:
    mut: bool
    pointee: object
    ref: bool = False


@dataclasses.dataclass
class RFn:
    abi: str  # "Rust" for a plain `fn`
    params: list  # of RParam
    ret: object  # None for no `->`
    pos: int
    variadic: bool = False


@dataclasses.dataclass
class RPath:
    name: str
    full: str
    args: list


@dataclasses.dataclass
class RArray:
    elem: object
    n: str


@dataclasses.dataclass
class RSlice:
    elem: object


@dataclasses.dataclass
class RTuple:
    elems: list


@dataclasses.dataclass
class ROther:
    text: str


@dataclasses.dataclass
class RParam:
    name: Optional[str]
    ty: object
    text: str
    pos: int


class RustParser:
    def __init__(self, src: Src):
        self.src = src
        self.t = src.toks
        self.ss = [t.s for t in src.toks]

    def s(self, i: int) -> str:
        try:
            return self.ss[i]
        except IndexError:
            return ""

    def pos(self, i: int) -> int:
        return self.t[i].pos if i < len(self.t) else len(self.src.code)

    def expect(self, i: int, s: str) -> int:
        if self.s(i) != s:
            raise ParseError(self.pos(i), f"expected `{s}`, found `{self.s(i)}`")
        return i + 1

    def skip_balanced(self, i: int) -> int:
        """From an opening (, [, { or <, to just past its partner."""
        pairs = {"(": ")", "[": "]", "{": "}", "<": ">"}
        stack = []
        while i < len(self.t):
            s = self.s(i)
            if s in pairs:
                stack.append(pairs[s])
            elif s in (")", "]", "}", ">"):
                if s != ">":
                    # a `<` that was a comparison never gets its `>`
                    while stack and stack[-1] == ">":
                        stack.pop()
                if stack and s == stack[-1]:
                    stack.pop()
                    if not stack:
                        return i + 1
            i += 1
        raise ParseError(self.pos(i), "unbalanced brackets")

    def parse_type(self, i: int) -> Tuple[object, int]:
        s = self.s(i)
        if s == "*":
            q = self.s(i + 1)
            if q not in ("const", "mut"):
                raise ParseError(self.pos(i), "`*` without const/mut")
            p, j = self.parse_type(i + 2)
            return RPtr(q == "mut", p), j
        if s == "&":
            j = i + 1
            if self.t[j].kind == "life":
                j += 1
            mut = self.s(j) == "mut"
            if mut:
                j += 1
            p, j = self.parse_type(j)
            return RPtr(mut, p, ref=True), j
        if s == "(":
            elems, j = [], i + 1
            while self.s(j) != ")":
                e, j = self.parse_type(j)
                elems.append(e)
                if self.s(j) == ",":
                    j += 1
                elif self.s(j) != ")":
                    raise ParseError(self.pos(j), "bad tuple type")
            return RTuple(elems), j + 1
        if s == "[":
            e, j = self.parse_type(i + 1)
            if self.s(j) == "]":
                return RSlice(e), j + 1
            j = self.expect(j, ";")
            k = j
            depth = 0
            while not (depth == 0 and self.s(k) == "]"):
                if self.s(k) in "([{":
                    depth += 1
                elif self.s(k) in ")}":
                    depth -= 1
                k += 1
                if k >= len(self.t):
                    raise ParseError(self.pos(j), "unterminated array type")
            return RArray(e, self.src.span(self.pos(j), self.pos(k))), k + 1
        if s == "!":
            return ROther("!"), i + 1
        if s == "for" and self.s(i + 1) == "<":
            return self.parse_type(self.skip_balanced(i + 1))
        if s in ("unsafe", "extern", "fn"):
            return self.parse_fn_type(i)
        if s in ("dyn", "impl"):
            j = i + 1
            while True:
                if self.t[j].kind == "life":
                    j += 1
                else:
                    _, j = self.parse_type(j)
                if self.s(j) != "+":
                    break
                j += 1
            return ROther(self.src.span(self.pos(i), self.pos(j))), j
        if s == "_":
            return ROther("_"), i + 1
        return self.parse_path(i)

    def parse_path(self, i: int) -> Tuple[object, int]:
        j = i
        if self.s(j) == "::":
            j += 1
        segs, args = [], []
        while True:
            if j >= len(self.t) or self.t[j].kind != "ident":
                raise ParseError(self.pos(j), f"expected a type, found `{self.s(j)}`")
            name = self.s(j)
            segs.append(name)
            j += 1
            if name in ("Fn", "FnMut", "FnOnce") and self.s(j) == "(":
                j = self.skip_balanced(j)
                if self.s(j) == "->":
                    _, j = self.parse_type(j + 1)
                return ROther(self.src.span(self.pos(i), self.pos(j))), j
            if self.s(j) == "::" and self.s(j + 1) == "<":
                j += 1
            if self.s(j) == "<":
                args, j = self.parse_generic_args(j)
            if self.s(j) == "::" and j + 1 < len(self.t) and self.t[j + 1].kind == "ident":
                j += 1
                args = []
                continue
            break
        name = segs[-1]
        if name == "Option" and len(args) == 1 and isinstance(args[0], (RFn, RPtr)):
            return args[0], j
        if name == "NonNull" and len(args) == 1:
            return RPtr(True, args[0]), j
        return RPath(name, "::".join(segs), args), j

    def parse_generic_args(self, i: int) -> Tuple[list, int]:
        j, args = i + 1, []
        while self.s(j) != ">":
            if j >= len(self.t):
                raise ParseError(self.pos(i), "unterminated generics")
            if self.t[j].kind in ("life", "num"):
                j += 1
            elif self.s(j) == "{":
                j = self.skip_balanced(j)
            elif self.t[j].kind == "ident" and self.s(j + 1) in ("=", ":") and self.s(j + 1) != "::":
                j += 2  # an associated type binding or bound: parse what follows as a type
                _, j = self.parse_type(j)
            else:
                a, j = self.parse_type(j)
                args.append(a)
            if self.s(j) == ",":
                j += 1
            elif self.s(j) != ">":
                raise ParseError(self.pos(j), f"unexpected `{self.s(j)}` in generics")
        return args, j + 1

    def parse_abi(self, i: int) -> Tuple[str, int]:
        """At an optional `unsafe`/`extern "X"` before `fn`: the ABI and the index of `fn`."""
        j, abi = i, "Rust"
        if self.s(j) == "unsafe":
            j += 1
        if self.s(j) == "extern":
            j += 1
            abi = "C"
            if j < len(self.t) and self.t[j].kind == "str":
                abi = self.s(j).strip('"')
                j += 1
        return abi, j

    def parse_fn_type(self, i: int) -> Tuple[RFn, int]:
        abi, j = self.parse_abi(i)
        fn_pos = self.pos(j)
        j = self.expect(j, "fn")
        params, variadic, j = self.parse_params(j)
        ret = None
        if self.s(j) == "->":
            ret, j = self.parse_type(j + 1)
        return RFn(abi, params, ret, fn_pos, variadic), j

    def parse_params(self, i: int) -> Tuple[list, bool, int]:
        """At `(`: the parameters, whether variadic, and the index past `)`."""
        j = self.expect(i, "(")
        params, variadic = [], False
        while self.s(j) != ")":
            if j >= len(self.t):
                raise ParseError(self.pos(i), "unterminated parameter list")
            while self.s(j) == "#":  # attributes on parameters
                j = self.skip_balanced(j + 1)
            start = j
            name = None
            if self.s(j) == "...":
                variadic = True
                j += 1
            else:
                k = j + 1 if self.s(j) == "mut" else j
                if self.t[k].kind == "ident" and self.s(k + 1) == ":":
                    name = self.s(k)
                    j = k + 2
                ty, j = self.parse_type(j)
                text = self.src.span(self.pos(start), self.pos(j))
                params.append(RParam(name, ty, text, self.pos(start)))
            if self.s(j) == ",":
                j += 1
            elif self.s(j) != ")":
                raise ParseError(self.pos(j), f"unexpected `{self.s(j)}` in parameters")
        return params, variadic, j + 1


def type_text(src: Src, t) -> str:
    if isinstance(t, RPtr):
        if t.ref:
            return ("&mut " if t.mut else "&") + type_text(src, t.pointee)
        return ("*mut " if t.mut else "*const ") + type_text(src, t.pointee)
    if isinstance(t, RPath):
        if t.args:
            return f"{t.full}<{', '.join(type_text(src, a) for a in t.args)}>"
        return t.full
    if isinstance(t, RFn):
        ps = ", ".join(type_text(src, p.ty) for p in t.params)
        abi = "" if t.abi == "Rust" else f'extern "{t.abi}" '
        ret = f" -> {type_text(src, t.ret)}" if t.ret is not None else ""
        return f"{abi}fn({ps}){ret}"
    if isinstance(t, RArray):
        return f"[{type_text(src, t.elem)}; {t.n}]"
    if isinstance(t, RSlice):
        return f"[{type_text(src, t.elem)}]"
    if isinstance(t, RTuple):
        return "(" + ", ".join(type_text(src, e) for e in t.elems) + ")"
    if t is None:
        return "()"
    return t.text


@dataclasses.dataclass
class RDecl:
    """A named fn: declared in an extern block, or an extern fn definition."""
    src: Src
    name: str
    fn: RFn
    in_block: bool


@dataclasses.dataclass
class RField:
    name: str
    ty: object
    text: str
    pos: int


@dataclasses.dataclass
class RStruct:
    src: Src
    name: str
    pos: int
    repr_c: bool
    fields: Optional[list]  # None: a tuple or unit struct
    mirrors: Optional[str]  # the C struct named in "Mirrors `struct X`"


_MIRRORS = re.compile(r"Mirrors\s+`(?:struct\s+)?(hmkit_\w+)`")


class RustFile:
    """What check-abi needs from one Rust file."""

    def __init__(self, src: Src):
        self.src = src
        self.p = RustParser(src)
        self.decls: List[RDecl] = []
        self.structs: List[RStruct] = []
        self.aliases = {}  # name -> (Src, tokens start index)
        self.errors: List[str] = []
        self._scan()

    def _err(self, pos: int, msg: str):
        self.errors.append(f"{self.src.where(pos)}: {msg}")

    def _named_fn(self, j: int, in_block: bool, abi: str):
        """At `fn NAME`: parse and record the declaration."""
        p = self.p
        name = p.s(j + 1)
        fn_pos = p.pos(j)
        k = j + 2
        if p.s(k) == "<":
            k = p.skip_balanced(k)
        try:
            params, variadic, k = p.parse_params(k)
            ret = None
            if p.s(k) == "->":
                ret, k = p.parse_type(k + 1)
        except ParseError as e:
            self._err(e.pos, f"check-abi cannot parse the declaration of extern fn {name} ({e}): "
                             "simplify it or teach tools/check-abi.py")
            return
        self.decls.append(RDecl(self.src, name, RFn(abi, params, ret, fn_pos, variadic), in_block))

    def _scan(self):
        p, t = self.p, self.src.toks
        n = len(t)
        i = 0
        depth, impl_pending, impl_depths = 0, False, set()
        while i < n:
            s = t[i].s
            if s in ("impl", "trait") and t[i].kind == "ident":
                impl_pending = True  # its body's `type X = Y;` are associated types
            elif s == ";":
                impl_pending = False
            elif s == "{":
                depth += 1
                if impl_pending:
                    impl_depths.add(depth)
                    impl_pending = False
            elif s == "}":
                impl_depths.discard(depth)
                depth -= 1
            if s == "extern" and t[i].kind == "ident":
                abi, j = p.parse_abi(i)
                if p.s(j) == "{":
                    end = p.skip_balanced(j)
                    k = j + 1
                    while k < end - 1:
                        if p.s(k) == "fn" and k + 1 < n and t[k + 1].kind == "ident":
                            self._named_fn(k, True, abi)
                        k += 1
                    i = end
                    continue
                if p.s(j) == "fn" and j + 1 < n and t[j + 1].kind == "ident":
                    self._named_fn(j, False, abi)
                    i = j + 2
                    continue
            elif s == "type" and i + 1 < n and t[i + 1].kind == "ident" and depth not in impl_depths:
                k = i + 2
                if p.s(k) == "<":
                    try:
                        k = p.skip_balanced(k)
                    except ParseError:
                        pass
                if p.s(k) == "=":
                    self.aliases[t[i + 1].s] = (self, k + 1)
            elif s == "struct" and i + 1 < n and t[i + 1].kind == "ident":
                self._struct(i)
            i += 1

    def _attrs_before(self, i: int) -> Tuple[bool, Optional[str]]:
        """Whether the item whose first token after attributes and visibility
        is at i has #[repr(C...)], and the C struct its doc says it mirrors."""
        p = self.p
        j = i - 1
        # visibility: pub, pub(crate), pub(in path)
        if p.s(j) == ")":
            k = j
            while k > 0 and p.s(k) != "(":
                k -= 1
            if p.s(k - 1) == "pub":
                j = k - 2
        elif p.s(j) == "pub":
            j -= 1
        repr_c = False
        while j >= 1 and p.s(j) == "]":
            k, depth = j, 0
            while k >= 0:
                if p.s(k) == "]":
                    depth += 1
                elif p.s(k) == "[":
                    depth -= 1
                    if depth == 0:
                        break
                k -= 1
            if p.s(k - 1) != "#":
                break
            inner = [x.s for x in self.src.toks[k + 1:j]]
            if inner[:2] == ["repr", "("] and "C" in inner:
                repr_c = True
            j = k - 2
        # doc comments: the lines above the item back to the previous code
        line = self.src.line(self.src.toks[i].pos)
        lines = self.src.lines
        doc = []
        k = line - 2
        while k >= 0:
            ln = lines[k].strip()
            if not (ln.startswith("//") or ln.startswith("#[")):
                break
            doc.append(ln)
            k -= 1
        m = _MIRRORS.search(" ".join(reversed(doc)))
        return repr_c, (m.group(1) if m else None)

    def _struct(self, i: int):
        p = self.p
        name = p.s(i + 1)
        repr_c, mirrors = self._attrs_before(i)
        k = i + 2
        try:
            if p.s(k) == "<":
                k = p.skip_balanced(k)
            while p.s(k) not in ("{", "(", ";", ""):
                k += 1  # where clauses
            if p.s(k) != "{":
                self.structs.append(RStruct(self.src, name, p.pos(i), repr_c, None, mirrors))
                return
            end = p.skip_balanced(k) - 1
            fields, j = [], k + 1
            while j < end:
                while p.s(j) == "#":
                    j = p.skip_balanced(j + 1)
                if p.s(j) == "pub":
                    j += 1
                    if p.s(j) == "(":
                        j = p.skip_balanced(j)
                fname, fpos = p.s(j), p.pos(j)
                j = p.expect(j + 1, ":")
                start = j
                ty, j = p.parse_type(j)
                fields.append(RField(fname, ty, self.src.span(p.pos(start), p.pos(j)), fpos))
                if p.s(j) == ",":
                    j += 1
                elif j != end:
                    raise ParseError(p.pos(j), f"unexpected `{p.s(j)}` in struct fields")
        except ParseError as e:
            if repr_c:
                self._err(e.pos, f"check-abi cannot parse #[repr(C)] struct {name} ({e}): "
                                 "simplify it or teach tools/check-abi.py")
            return
        self.structs.append(RStruct(self.src, name, p.pos(i), repr_c, fields, mirrors))


# --------------------------------------------------------------------------
# C declarations.

@dataclasses.dataclass
class CBase:
    name: str  # canonical: "unsigned long", "struct page", "pte_t", "void"
    const: bool = False


@dataclasses.dataclass
class CPtr:
    pointee: object
    const: bool = False  # the pointer itself is const


@dataclasses.dataclass
class CFunc:
    params: list  # of (name, type)
    ret: object
    variadic: bool = False


@dataclasses.dataclass
class CArray:
    elem: object
    n: str


C_QUALS = {
    "const", "volatile", "restrict", "__restrict", "static", "extern", "inline",
    "__inline", "__inline__", "__always_inline", "noinline", "__user", "__iomem",
    "__rcu", "__percpu", "__must_check", "notrace", "__init", "__exit", "__cold",
    "asmlinkage", "__visible", "register", "auto", "typedef", "__maybe_unused",
    "__attribute_const__", "__force", "__kernel", "__nocast", "__always_unused",
}
C_TYPE_KW = {"void", "char", "short", "int", "long", "signed", "unsigned", "_Bool", "bool",
             "float", "double"}


def c_text(t, name: str = "") -> str:
    """C spelling of a type, e.g. `const char **` or `int (*)(void *)`."""
    if isinstance(t, CBase):
        return ("const " if t.const else "") + t.name + (f" {name}" if name else "")
    if isinstance(t, CPtr):
        inner = "*" + (" const " if t.const else "") + name
        if isinstance(t.pointee, CFunc):
            f = t.pointee
            ps = ", ".join(c_text(p) for _, p in f.params) or "void"
            return f"{c_text(f.ret)} ({inner})({ps})"
        if isinstance(t.pointee, CArray):
            return c_text(t.pointee, f"({inner})")
        base = c_text(t.pointee)
        return base + (" " if not base.endswith("*") else "") + inner
    if isinstance(t, CArray):
        return c_text(t.elem, f"{name}[{t.n}]")
    if isinstance(t, CFunc):
        ps = ", ".join(c_text(p) for _, p in t.params) or "void"
        return f"{c_text(t.ret)} {name}({ps})"
    return "?"


class CParser:
    def __init__(self, src: Src, toks: List[Tok]):
        self.src = src
        self.t = toks

    def s(self, i: int) -> str:
        return self.t[i].s if i < len(self.t) else ""

    def pos(self, i: int) -> int:
        return self.t[i].pos if i < len(self.t) else (self.t[-1].pos if self.t else 0)

    def skip_paren(self, i: int) -> int:
        depth = 0
        while i < len(self.t):
            if self.s(i) in "([{":
                depth += 1
            elif self.s(i) in ")]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ParseError(self.pos(i), "unbalanced brackets")

    def base(self, i: int) -> Tuple[CBase, set, int]:
        """Declaration specifiers: the base type, the storage words, the next index."""
        words, kw, named, const = set(), [], None, False
        while i < len(self.t):
            s = self.s(i)
            if s in C_QUALS:
                const |= s == "const"
                words.add(s)
                i += 1
            elif s in ("__attribute__", "__aligned", "__packed", "__printf"):
                i += 1
                if self.s(i) == "(":
                    i = self.skip_paren(i)
            elif s in C_TYPE_KW and named is None:
                kw.append(s)
                i += 1
            elif s in ("struct", "union", "enum") and named is None and not kw:
                if self.s(i + 1) == "{":
                    raise ParseError(self.pos(i), f"anonymous {s}")
                named = f"{s} {self.s(i + 1)}"
                i += 2
                if self.s(i) == "{":
                    raise ParseError(self.pos(i), f"nested {s} definition")
            elif self.t[i].kind == "ident" and named is None and not kw:
                named = s
                i += 1
            else:
                break
        if named is None:
            if not kw:
                raise ParseError(self.pos(i), f"expected a type, found `{self.s(i)}`")
            named = self.canonical(kw)
        return CBase(named, const), words, i

    @staticmethod
    def canonical(kw: list) -> str:
        unsigned = "unsigned" in kw
        signed = "signed" in kw
        longs = kw.count("long")
        rest = [k for k in kw if k not in ("unsigned", "signed", "long", "int")]
        if rest == ["char"]:
            return "unsigned char" if unsigned else "signed char" if signed else "char"
        if rest == ["short"]:
            return "unsigned short" if unsigned else "short"
        if rest in (["_Bool"], ["bool"]):
            return "bool"
        if rest:
            return " ".join(kw)
        size = {0: "int", 1: "long", 2: "long long"}.get(longs, " ".join(kw))
        return ("unsigned " if unsigned else "") + size

    def declarator(self, i: int, base):
        """One (possibly abstract) declarator: (name, type, next index)."""
        ptrs = []
        while self.s(i) == "*":
            i += 1
            cq = False
            while self.s(i) in C_QUALS:
                cq |= self.s(i) == "const"
                i += 1
            ptrs.append(cq)
        name, inner, inner_start = None, None, None
        if self.s(i) == "(" and self.s(i + 1) in ("*", "("):
            inner_start = i + 1
            i = self.skip_paren(i)
        elif i < len(self.t) and self.t[i].kind == "ident":
            name = self.s(i)
            i += 1
        suffixes = []
        while self.s(i) in ("(", "["):
            if self.s(i) == "(":
                params, variadic, i = self.params(i)
                suffixes.append(("fn", params, variadic))
            else:
                e = self.skip_paren(i)
                suffixes.append(("arr", self.src.span(self.pos(i + 1), self.pos(e - 1)), None))
                i = e
        t = base
        for cq in ptrs:
            t = CPtr(t, cq)
        for kind, a, b in reversed(suffixes):
            t = CFunc(a, t, b) if kind == "fn" else CArray(t, a)
        if inner_start is not None:
            name, t, _ = self.declarator(inner_start, t)
        return name, t, i

    def params(self, i: int) -> Tuple[list, bool, int]:
        end = self.skip_paren(i) - 1
        j, params, variadic = i + 1, [], False
        if self.s(j) == "void" and j + 1 == end:
            return [], False, end + 1
        while j < end:
            if self.s(j) == "...":
                variadic = True
                j += 1
            else:
                b, _, j = self.base(j)
                name, t, j = self.declarator(j, b)
                if isinstance(t, CArray):  # decays
                    t = CPtr(t.elem)
                params.append((name, t))
            if self.s(j) == ",":
                j += 1
            elif j != end:
                raise ParseError(self.pos(j), f"unexpected `{self.s(j)}` in parameters")
        return params, variadic, end + 1

    def declaration(self, i: int, end: int):
        """Specifiers then comma-separated declarators up to `end`."""
        b, words, j = self.base(i)
        out = []
        while j < end:
            name, t, j = self.declarator(j, b)
            if self.s(j) == ":":
                raise ParseError(self.pos(j), "bit-field")
            if self.s(j) == "=":
                break
            out.append((name, t, self.pos(i)))
            if self.s(j) == ",":
                j += 1
            elif j < end:
                raise ParseError(self.pos(j), f"unexpected `{self.s(j)}`")
        return words, out


@dataclasses.dataclass
class CProto:
    src: Src
    pos: int
    fn: CFunc
    static: bool
    header: bool


@dataclasses.dataclass
class CStruct:
    src: Src
    pos: int
    fields: Optional[list]  # (name, type, pos); None if not understood
    why: str = ""


def scan_c(src: Src, protos: dict, structs: dict):
    """Record the hmkit_* prototypes and the struct definitions of one C file."""
    t = src.toks
    p = CParser(src, t)
    header = src.path.suffix == ".h"
    i, start = 0, 0
    while i < len(t):
        s = t[i].s
        if s == "{":
            end = p.skip_paren(i)
            if i > 0 and t[i - 1].s == "=":  # an initializer
                i = end
                continue
            if i >= 2 and t[i - 2].s in ("struct", "union") and t[i - 1].kind == "ident":
                name = t[i - 1].s
                body = CParser(src, t[i + 1:end - 1])
                fields, why = [], ""
                j = 0
                try:
                    while j < len(body.t):
                        k = j
                        while k < len(body.t) and body.s(k) != ";":
                            if body.s(k) in "({[":
                                k = body.skip_paren(k)
                            else:
                                k += 1
                        _, decls = body.declaration(j, k)
                        fields += decls
                        j = k + 1
                except ParseError as e:
                    fields, why = None, str(e)
                key = name if t[i - 2].s == "struct" else f"union {name}"
                if key not in structs or (header and not structs[key].src.path.suffix == ".h"):
                    structs[key] = CStruct(src, t[i - 1].pos, fields, why)
                i = end
                continue
            # a function definition (or something we do not need)
            try:
                words, decls = p.declaration(start, i)
                for name, ty, pos in decls:
                    if name and isinstance(ty, CFunc):
                        protos.setdefault(name, []).append(CProto(src, pos, ty, "static" in words, header))
            except ParseError:
                pass
            i = end
            start = i
            continue
        if s == ";":
            if start < i:
                try:
                    words, decls = p.declaration(start, i)
                    for name, ty, pos in decls:
                        if name and isinstance(ty, CFunc) and "typedef" not in words:
                            protos.setdefault(name, []).append(CProto(src, pos, ty, "static" in words, header))
                except ParseError:
                    pass
            i += 1
            start = i
            continue
        i += 1


# --------------------------------------------------------------------------
# The checks.

class Checker:
    def __init__(self, aliases_text: dict, bad_bindings: dict, xfail=()):
        self.errors: List[str] = []
        self.xfail = set(xfail)  # declarations allowed to take by value
        self.allowed: List[str] = []  # what the allowances let through
        self.declared: list = []  # every extern-block declaration seen
        self.kinds = set()  # which hints to print
        self.bindings_aliases = aliases_text  # name -> type text
        self.bad_bindings = bad_bindings

    def err(self, kind: str, msg: str):
        self.kinds.add(kind)
        self.errors.append(msg)

    # --- aliases -----------------------------------------------------------
    def resolve(self, t, files: List[RustFile], depth: int = 0):
        """Follow `type X = Y;` aliases (the crate's, then the bindings')."""
        while isinstance(t, RPath) and not t.args and depth < 16:
            depth += 1
            hit = None
            for f in files:
                if t.name in f.aliases:
                    hit = f.aliases[t.name]
                    break
            if hit:
                rf, k = hit
                try:
                    t, _ = rf.p.parse_type(k)
                except ParseError:
                    return t
                continue
            if t.name in self.bindings_aliases:
                t = parse_type_text(self.bindings_aliases[t.name])
                continue
            break
        return t

    # --- by-value parameters ----------------------------------------------
    def by_value(self, t, files) -> Optional[str]:
        """Why Rust may not pass a parameter of type t to or from C, or None."""
        t = self.resolve(t, files)
        if isinstance(t, RPtr):
            p = t.pointee
            if isinstance(p, RSlice) or (isinstance(p, RPath) and p.name == "str") or \
                    (isinstance(p, ROther) and p.text.startswith("dyn")):
                return "a fat pointer: two words"
            return None
        if isinstance(t, RFn):
            if t.abi not in C_ABIS:
                return f"a fn pointer with the {t.abi} ABI, not extern \"C\""
            return None
        if isinstance(t, RPath) and t.name in SAFE and not t.args:
            return None
        return "by value"

    def fn_pointers(self, t):
        """The extern fn pointer types inside type t (t itself included)."""
        if isinstance(t, RFn):
            yield t
            for p in t.params:
                yield from self.fn_pointers(p.ty)
            if t.ret is not None:
                yield from self.fn_pointers(t.ret)
        elif isinstance(t, RPtr):
            yield from self.fn_pointers(t.pointee)
        elif isinstance(t, RPath):
            for a in t.args:
                yield from self.fn_pointers(a)
        elif isinstance(t, (RArray, RSlice)):
            yield from self.fn_pointers(t.elem)
        elif isinstance(t, RTuple):
            for e in t.elems:
                yield from self.fn_pointers(e)

    def check_fnptrs(self, src: Src, t, where: str, what: str, files, covered: set):
        for fp in self.fn_pointers(t):
            covered.add((src.path, fp.pos))
            if fp.abi not in C_ABIS:
                continue
            for p in fp.params:
                why = self.by_value(p.ty, files)
                if why:
                    self.err("value", f"{where}: {what}extern \"C\" fn pointer takes "
                                      f"`{p.text}` {why_text(why)}")

    def check_by_value(self, files: List[RustFile]):
        covered = set()
        for f in files:
            for d in f.decls:
                if d.fn.abi not in C_ABIS:
                    continue
                covered.add((f.src.path, d.fn.pos))
                for p in d.fn.params:
                    where = f.src.where(p.pos)
                    why = self.by_value(p.ty, files)
                    if why and d.in_block and d.name in self.xfail:
                        self.allowed.append(f"{where}: extern \"C\" fn {d.name} takes `{p.text}` "
                                            f"{why_text(why)} (--xfail)")
                    elif why:
                        self.err("value", f"{where}: extern \"C\" fn {d.name} takes `{p.text}` "
                                          f"{why_text(why)}")
                    self.check_fnptrs(f.src, p.ty, where, f"fn {d.name} parameter `{p.name or p.text}`: ",
                                      files, covered)
                if d.fn.ret is not None:
                    self.check_fnptrs(f.src, d.fn.ret, f.src.where(d.fn.pos),
                                      f"fn {d.name} return type: ", files, covered)
            for s in f.structs:
                for fld in s.fields or []:
                    self.check_fnptrs(f.src, fld.ty, f.src.where(fld.pos),
                                      f"struct {s.name} field `{fld.name}`: ", files, covered)
        # Every other extern fn pointer type: aliases, statics, casts, generics...
        for f in files:
            p, t = f.p, f.src.toks
            for k in range(len(t) - 1):
                if t[k].s != "fn" or t[k + 1].s != "(" or (f.src.path, t[k].pos) in covered:
                    continue
                i = k
                if i >= 1 and t[i - 1].kind == "str":
                    i -= 1
                if i >= 1 and t[i - 1].s == "extern":
                    i -= 1
                else:
                    continue  # a Rust-ABI fn pointer
                if i >= 1 and t[i - 1].s == "unsafe":
                    i -= 1
                try:
                    fp, _ = p.parse_fn_type(i)
                except ParseError:
                    continue
                self.check_fnptrs(f.src, fp, f.src.where(t[k].pos), "", files, covered)

    # --- bindings:: calls --------------------------------------------------
    def check_bindings_calls(self, files: List[RustFile]):
        for f in files:
            t = f.src.toks
            for k in range(len(t) - 3):
                if t[k].s == "bindings" and t[k + 1].s == "::" and t[k + 3].s == "(" \
                        and t[k + 2].s in self.bad_bindings:
                    self.err("value", f"{f.src.where(t[k].pos)}: bindings::{t[k + 2].s} takes "
                                      f"{', '.join(self.bad_bindings[t[k + 2].s])}")

    # --- Rust <-> C correspondence ----------------------------------------
    def mismatch(self, c, r, files, mirrors, pointee=False) -> Optional[str]:
        """Why Rust type r does not correspond to C type c, or None."""
        rsrc = files[0].src if files else None
        rt = lambda x: type_text(rsrc, x)  # noqa: E731
        if isinstance(c, CPtr) and isinstance(c.pointee, CFunc):
            r2 = self.resolve(r, files)
            if not isinstance(r2, RFn):
                return f"C has a function pointer `{c_text(c)}`, Rust `{rt(r)}`"
            if r2.abi not in C_ABIS:
                return f"C has a function pointer, Rust a fn pointer with the {r2.abi} ABI (need extern \"C\")"
            cf = c.pointee
            if len(cf.params) != len(r2.params) or cf.variadic != r2.variadic:
                return (f"the function pointer takes {plural(len(cf.params), 'parameter')} in C "
                        f"(`{c_text(c)}`) but {len(r2.params)} in Rust (`{rt(r2)}`)")
            for n, ((_, cp), rp) in enumerate(zip(cf.params, r2.params), 1):
                why = self.mismatch(cp, rp.ty, files, mirrors)
                if why:
                    return f"function pointer parameter {n}: {why}"
            why = self.ret_mismatch(cf.ret, r2.ret, files, mirrors)
            return f"function pointer return: {why}" if why else None
        if isinstance(c, CPtr):
            r2 = self.resolve(r, files)
            if not isinstance(r2, RPtr):
                return f"C has a pointer `{c_text(c)}`, Rust `{rt(r)}`"
            c_const = c.pointee.const if isinstance(c.pointee, (CBase, CPtr)) else False
            if c_const == r2.mut:
                want = "*const" if c_const else "*mut"
                return f"C `{c_text(c)}` needs `{want} ...` in Rust, not `{rt(r2)}`"
            why = self.mismatch(c.pointee, r2.pointee, files, mirrors, pointee=True)
            return f"`{c_text(c)}` vs `{rt(r2)}`: {why}" if why else None
        if isinstance(c, CArray):
            r2 = self.resolve(r, files)
            if not isinstance(r2, RArray):
                return f"C has an array `{c_text(c)}`, Rust `{rt(r)}`"
            if c.n.isdigit() and r2.n.isdigit() and c.n != r2.n:
                return f"C array has {c.n} elements, Rust {r2.n}"
            return self.mismatch(c.elem, r2.elem, files, mirrors)
        if isinstance(c, CBase):
            rname = None
            if isinstance(r, RPath):
                rname = r.name
            r2 = self.resolve(r, files)
            names = {rname, r2.name if isinstance(r2, RPath) else None} - {None}
            if c.name == "void":
                if pointee:
                    return None
                return f"C has `void`, Rust `{rt(r)}`"
            if c.name in C2RUST:
                if names & (C2RUST[c.name] | {c.name}):
                    return None
                return f"C `{c.name}` needs {one_of(C2RUST[c.name])}, not `{rt(r)}`"
            # a struct, union, enum or other typedef
            if names & {c.name, c.name.split()[-1]}:
                return None
            if c.name.startswith("enum "):
                ok = {"c_int", "c_uint", "i32", "u32"}
                return None if names & ok else f"C `{c.name}` needs {one_of(ok)}, not `{rt(r)}`"
            cname = c.name.split()[-1] if c.name.startswith("struct ") else None
            rmirror = None
            for n in names:
                if n in mirrors["rust"]:
                    rmirror = mirrors["rust"][n]
            if cname and cname in mirrors["c"]:
                if names & mirrors["c"][cname]:
                    return None
                if pointee and "c_void" in names:
                    return None
                return f"C `{c.name}` is mirrored by {', '.join(sorted(mirrors['c'][cname]))}, not `{rt(r)}`"
            if rmirror:
                return f"Rust `{rt(r)}` mirrors `struct {rmirror}`, C has `{c.name}`"
            if pointee and not (names & RUST_SCALARS):
                return None  # an opaque type behind a pointer: c_void or a Rust stand-in
            if not pointee:
                return f"C passes `{c.name}` by value; Rust has `{rt(r)}`"
            return f"C `{c.name}` vs Rust `{rt(r)}`"
        return f"check-abi does not understand C type `{c_text(c)}`"

    def ret_mismatch(self, c, r, files, mirrors) -> Optional[str]:
        void = isinstance(c, CBase) and c.name == "void"
        r_unit = r is None or (isinstance(r, RTuple) and not r.elems)
        if void or r_unit:
            if void and r_unit:
                return None
            return f"C returns `{c_text(c)}`, Rust `{type_text(None, r) if r is not None else '()'}`"
        return self.mismatch(c, r, files, mirrors)

    def check_mirrors(self, files: List[RustFile], cstructs: dict, mirrors: dict):
        for f in files:
            for s in f.structs:
                if s.mirrors and not s.repr_c:
                    self.err("shim", f"{f.src.where(s.pos)}: struct {s.name} mirrors `struct {s.mirrors}` "
                                     "but is not #[repr(C)]")
                    continue
                if not s.repr_c or not (s.mirrors or s.name.startswith("Raw")):
                    continue
                cname = s.mirrors or "hmkit_" + snake(s.name[3:])
                if s.fields is None:
                    self.err("shim", f"{f.src.where(s.pos)}: struct {s.name} should mirror `struct {cname}` "
                                     "but has no named fields")
                    continue
                cs = cstructs.get(cname)
                if cs is None:
                    how = "" if s.mirrors else (" (name the C struct in its doc comment: "
                                                "\"Mirrors `struct hmkit_...`\")")
                    self.err("shim", f"{f.src.where(s.pos)}: struct {s.name}: no `struct {cname}` "
                                     f"in the .h/.c files{how}")
                    continue
                if cs.fields is None:
                    self.err("shim", f"{f.src.where(s.pos)}: struct {s.name}: check-abi cannot read "
                                     f"`struct {cname}` at {cs.src.where(cs.pos)} ({cs.why})")
                    continue
                where_c = cs.src.where(cs.pos)
                cf, rf = cs.fields, s.fields
                for n, (c, r) in enumerate(zip(cf, rf), 1):
                    cn, ct, cpos = c
                    rn = r.name[2:] if r.name.startswith("r#") else r.name
                    if cn != rn and cn != rn.rstrip("_"):
                        # Out of step from here on: comparing more would only add noise.
                        self.err("shim", f"{f.src.where(r.pos)}: struct {s.name} field {n} is `{rn}`, "
                                         f"but field {n} of `struct {cname}` ({cs.src.where(cpos)}) is `{cn}`")
                        break
                    why = self.mismatch(ct, r.ty, files, mirrors)
                    if why:
                        self.err("shim", f"{f.src.where(r.pos)}: struct {s.name} field `{rn}` does not match "
                                         f"`{c_text(ct, cn)}` in `struct {cname}` ({cs.src.where(cpos)}): {why}")
                if len(cf) != len(rf):
                    self.err("shim", f"{f.src.where(s.pos)}: struct {s.name} has {plural(len(rf), 'field')}, "
                                     f"`struct {cname}` ({where_c}) has {len(cf)}")

    def check_prototypes(self, files: List[RustFile], protos: dict, mirrors: dict):
        for f in files:
            for d in f.decls:
                if not d.name.startswith("hmkit_"):
                    continue
                cands = protos.get(d.name, [])
                if not d.in_block:
                    # A Rust function C calls: check it only if C declares it.
                    cands = [c for c in cands if not c.static]
                    if not cands:
                        continue
                where = f.src.where(d.fn.pos)
                if not cands:
                    self.err("shim", f"{where}: extern fn {d.name} has no prototype in the .h/.c files: "
                                     "declare it in shim.h")
                    continue
                live = [c for c in cands if not c.static]
                if not live:
                    self.err("shim", f"{where}: {d.name} is static in {cands[0].src.where(cands[0].pos)}: "
                                     "Rust cannot link to it")
                    continue
                proto = sorted(live, key=lambda c: not c.header)[0]
                cw = proto.src.where(proto.pos)
                cf = proto.fn
                if len(cf.params) != len(d.fn.params) or cf.variadic != d.fn.variadic:
                    self.err("shim", f"{where}: extern fn {d.name} takes {plural(len(d.fn.params), 'parameter')}, "
                                     f"its prototype ({cw}) {len(cf.params)}")
                    continue
                for n, ((cn, ct), rp) in enumerate(zip(cf.params, d.fn.params), 1):
                    why = self.mismatch(ct, rp.ty, files, mirrors)
                    if why:
                        self.err("shim", f"{f.src.where(rp.pos)}: extern fn {d.name} parameter {n} "
                                         f"`{rp.text}` does not match `{c_text(ct, cn or '')}` ({cw}): {why}")
                why = self.ret_mismatch(cf.ret, d.fn.ret, files, mirrors)
                if why:
                    self.err("shim", f"{where}: extern fn {d.name} return type does not match ({cw}): {why}")


def why_text(why: str) -> str:
    return "by value" if why == "by value" else f"({why})"


def plural(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def one_of(names) -> str:
    names = sorted(names)
    return f"`{names[0]}`" if len(names) == 1 else "one of " + ", ".join(f"`{n}`" for n in names)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_TYPE_CACHE = {}


def parse_type_text(text: str):
    if text not in _TYPE_CACHE:
        src = Src(pathlib.Path("<alias>"), text, rust=True)
        try:
            _TYPE_CACHE[text], _ = RustParser(src).parse_type(0)
        except (ParseError, IndexError):
            _TYPE_CACHE[text] = ROther(text)
    return _TYPE_CACHE[text]


def load_bindings(path: pathlib.Path):
    """The bindings' aliases, and their functions that Rust may not call:
    those taking something by value, or a callback that receives something
    by value."""
    text = path.read_text()
    aliases = dict(re.findall(r"pub type (\w+)\s*=\s*([^;]+);", text))
    # Only the extern blocks (bindgen puts each at column 0): parsing the
    # whole 2 MB file would take seconds.
    blocks = "\n".join(m.group() for m in re.finditer(r'extern\s+"C"\s*\{.*?\n\}', text, re.S))
    rf = RustFile(Src(path, blocks, rust=True))
    ck = Checker(aliases, {})
    bad = {}
    for d in rf.decls:
        if not d.in_block:
            continue
        wrong = []
        for p in d.fn.params:
            if ck.by_value(p.ty, []) is not None:
                wrong.append(f"`{p.text}` by value")
                continue
            for fp in ck.fn_pointers(ck.resolve(p.ty, [])):
                if fp.abi in C_ABIS and any(ck.by_value(q.ty, []) for q in fp.params):
                    wrong.append(f"a callback `{p.name or p.text}` that receives a u64 or struct by value")
                    break
        if wrong:
            bad[d.name] = wrong
    return aliases, bad


_CALLISH = re.compile(r"\b(\w+)\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_ATTR_MACRO = re.compile(r"^(__attribute__|__printf|__scanf|__aligned|__section|__alias|__diag\w*|__must_check\w*)$")


def asmlinkage_functions(ksrc: pathlib.Path) -> set:
    """Functions the kernel's headers declare asmlinkage with parameters
    (variadic ones pass everything on the stack anyway, as rustc does)."""
    names = set()
    for d in (ksrc / "include", ksrc / "arch" / "x86" / "include"):
        for h in d.rglob("*.h"):
            text = h.read_text(errors="replace")
            if "asmlinkage" not in text:
                continue
            text = blank_c(text)
            for m in re.finditer(r"\basmlinkage\b", text):
                end = len(text)
                for stop in (";", "{", "#"):
                    k = text.find(stop, m.end())
                    if k != -1:
                        end = min(end, k)
                decl = [c for c in _CALLISH.finditer(text, m.end(), end)
                        if not _ATTR_MACRO.match(c.group(1))]
                if not decl:
                    continue
                name, params = decl[0].group(1), decl[0].group(2).strip()
                if params and params != "void" and "..." not in params:
                    names.add(name)
    return names


def check_root(root: pathlib.Path, ck: Checker):
    rs = sorted(root.rglob("*.rs")) if root.is_dir() else [root]
    cs = sorted(p for p in root.rglob("*") if p.suffix in (".h", ".c")) if root.is_dir() else []
    files = []
    for p in rs:
        rf = RustFile(Src(p, p.read_text(), rust=True))
        for e in rf.errors:
            ck.err("parse", e)
        files.append(rf)
    protos, cstructs = {}, {}
    for p in sorted(cs, key=lambda p: p.suffix != ".h"):
        scan_c(Src(p, p.read_text(), rust=False), protos, cstructs)
    mirrors = {"c": {}, "rust": {}}
    for f in files:
        for s in f.structs:
            if s.repr_c and (s.mirrors or s.name.startswith("Raw")):
                cname = s.mirrors or "hmkit_" + snake(s.name[3:])
                mirrors["c"].setdefault(cname, set()).add(s.name)
                mirrors["rust"][s.name] = cname
    ck.declared.extend(d for f in files for d in f.decls if d.in_block)
    ck.check_by_value(files)
    ck.check_bindings_calls(files)
    ck.check_mirrors(files, cstructs, mirrors)
    ck.check_prototypes(files, protos, mirrors)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bindings", type=pathlib.Path)
    ap.add_argument("--kernel-src", type=pathlib.Path,
                    help="kernel source tree whose asmlinkage declarations Rust may not call")
    ap.add_argument("--xfail", action="append", default=[], metavar="NAME",
                    help="allow the extern declaration of C function NAME to take a u64 or struct by value")
    ap.add_argument("src", nargs="+", type=pathlib.Path)
    args = ap.parse_args()

    aliases, bad_bindings = {}, {}
    if args.bindings:
        if not args.bindings.exists():
            print(f"check-abi: {args.bindings} not found: build the kernel first", file=sys.stderr)
            return 2
        aliases, bad_bindings = load_bindings(args.bindings)

    if args.kernel_src:
        for d in (args.kernel_src / "include", args.kernel_src / "arch" / "x86" / "include"):
            if not d.is_dir():
                print(f"check-abi: --kernel-src {args.kernel_src}: no {d}: not a kernel source tree", file=sys.stderr)
                return 2
        for name in asmlinkage_functions(args.kernel_src):
            bad_bindings.setdefault(name, []).append(
                "its arguments on the stack (asmlinkage: regparm(0) on i386; bindgen drops it)")
    ck = Checker(aliases, bad_bindings, args.xfail)
    for root in args.src:
        if not root.exists():
            print(f"check-abi: {root} not found", file=sys.stderr)
            return 2
        check_root(root, ck)
    def where(e: str):
        m = re.match(r"(.*?):(\d+): ", e)
        return (m.group(1), int(m.group(2))) if m else (e, 0)

    declared = {d.name for d in ck.declared}
    for name in sorted(set(args.xfail) - declared):
        ck.err("xfail", f"--xfail {name}: no extern declaration of {name} in {' '.join(map(str, args.src))}")
    for a in sorted(ck.allowed, key=where):
        print(f"check-abi: allowed: {a}")
    for e in sorted(ck.errors, key=where):
        print(f"check-abi: {e}", file=sys.stderr)
    if "value" in ck.kinds:
        print("check-abi: on i386 rustc passes these differently from C (-mregparm=3): "
              "add a helper to src/sys/shim.c that takes pointers or 32-bit values", file=sys.stderr)
    if "shim" in ck.kinds:
        print("check-abi: keep the Rust declarations in step with the C shim: same fields in the same "
              "order, same parameters, and corresponding types (unsigned long = usize/c_ulong, "
              "unsigned int = c_uint/u32, int = c_int, const T * = *const T, T * = *mut T, "
              "function pointer = extern \"C\" fn)", file=sys.stderr)
    return 1 if ck.errors else 0


if __name__ == "__main__":
    sys.exit(main())
