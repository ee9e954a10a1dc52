# SPDX-License-Identifier: GPL-2.0
"""Rust source lexing shared by hmkit's lints (check-abi.py,
check-layers.py): comments and the insides of string and char literals
become spaces, so that what is left can be searched with regexes without
matching inside comments or strings. Line structure is kept, so offsets
and line numbers stay valid."""
import bisect
import re


def _blank(out: list, a: int, b: int):
    for k in range(a, b):
        if out[k] != "\n":
            out[k] = " "


_RUST_SPECIAL = re.compile(r"//|/\*|(?<![\w])[bc]?r#*\"|\"|'")
_CHAR_LIT = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'\n])'")


def blank_rust(text: str, keep_extern_abi: bool = False) -> str:
    """Comments and the insides of string and char literals become spaces;
    with `keep_extern_abi`, not the ABI string right after `extern`."""
    out = list(text)
    i, n = 0, len(text)
    while True:
        m = _RUST_SPECIAL.search(text, i)
        if not m:
            break
        s, tok = m.start(), m.group()
        if tok == "//":
            e = text.find("\n", s)
            e = n if e < 0 else e
            _blank(out, s, e)
            i = e
        elif tok == "/*":
            depth, j = 1, s + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            _blank(out, s, j)
            i = j
        elif tok.endswith('"') and "r" in tok:
            hashes = tok[tok.index("r") + 1:-1]
            e = text.find('"' + hashes, m.end())
            e = n if e < 0 else e
            _blank(out, m.end(), e)
            i = e + 1 + len(hashes)
        elif tok == '"':
            j = s + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if not (keep_extern_abi and re.search(r"\bextern\s*$", text[max(0, s - 40):s])):
                _blank(out, s + 1, min(j, n))
            i = j + 1
        else:  # ' : a char literal, or a lifetime
            c = _CHAR_LIT.match(text, s)
            if c:
                _blank(out, s + 1, c.end() - 1)
                i = c.end()
            else:
                i = s + 1
    return "".join(out)


def newlines(text: str) -> list:
    """The offsets of every newline in `text`, for `line_of`."""
    return [m.start() for m in re.finditer("\n", text)]


def line_of(nl: list, pos: int) -> int:
    """The 1-based line of offset `pos`, given `newlines(text)`."""
    return bisect.bisect_left(nl, pos) + 1
