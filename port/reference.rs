// SPDX-License-Identifier: GPL-2.0

//! The port tests' pure logic, built into `hmkit_port.ko` and into the host
//! tests (`tests/host`), which check it against the host's own arithmetic
//! and formatting: references for 64-bit division that divide nothing, the
//! checksum `port_c.c` computes, the operands, and the expected strings.

/// Quotient and remainder of `a / b` by shift and subtract, one bit at a
/// time: no division, so no `__udivdi3` (the thing under test). `None` for
/// `b == 0`.
pub(crate) fn udivmod(a: u64, b: u64) -> Option<(u64, u64)> {
    if b == 0 {
        return None;
    }
    let (mut q, mut r) = (0u64, 0u64);
    for i in (0..64).rev() {
        // r < b, so 2r + 1 < 2^65: keep the bit shifted out.
        let carry = r >> 63;
        r = (r << 1) | ((a >> i) & 1);
        if carry == 1 || r >= b {
            r = r.wrapping_sub(b);
            q |= 1 << i;
        }
    }
    Some((q, r))
}

/// Signed quotient and remainder as Rust (and C) define them: the quotient
/// truncated toward zero, the remainder with the dividend's sign. `None`
/// for `b == 0` and for `i64::MIN / -1`, which overflows.
pub(crate) fn idivmod(a: i64, b: i64) -> Option<(i64, i64)> {
    if a == i64::MIN && b == -1 {
        return None;
    }
    let (q, r) = udivmod(a.unsigned_abs(), b.unsigned_abs())?;
    let q = if (a < 0) != (b < 0) { (q as i64).wrapping_neg() } else { q as i64 };
    let r = if a < 0 { (r as i64).wrapping_neg() } else { r as i64 };
    Some((q, r))
}

/// Unsigned operands around every boundary the 32-bit halves have.
pub(crate) const U64_EDGES: [u64; 16] = [
    0,
    1,
    2,
    3,
    10,
    0x7fff_ffff,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    0x1_ffff_ffff,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0x8000_0000_0000_0001,
    0xffff_ffff_0000_0000,
    u64::MAX - 1,
    u64::MAX,
];

/// Signed operands: the same boundaries, both signs, and the extremes.
pub(crate) const I64_EDGES: [i64; 20] = [
    0,
    1,
    -1,
    2,
    -2,
    7,
    -7,
    i32::MAX as i64,
    i32::MIN as i64,
    0xffff_ffff,
    -0xffff_ffff,
    0x1_0000_0000,
    -0x1_0000_0000,
    0x1_0000_0001,
    -0x1_0000_0001,
    i64::MAX,
    i64::MIN,
    i64::MIN + 1,
    i64::MAX - 1,
    -0x7fff_ffff_ffff_fff0,
];

/// xorshift64*: the same sequence on every run, in the kernel and on the host.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed (zero is mapped to a fixed one).
    pub(crate) fn new(seed: u64) -> Self {
        Rng(if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed })
    }

    /// The next 64 pseudo-random bits.
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value with 1 to 64 significant bits, each length equally likely:
    /// every magnitude, from single digits to above 2^63, gets its share.
    pub(crate) fn any_magnitude(&mut self) -> u64 {
        let bits = (self.next() % 64) as u32 + 1;
        let v = self.next() >> (64 - bits);
        v | (1 << (bits - 1))
    }
}

/// The checksum `port_c.c`'s `mix()` computes, step by step: sensitive to
/// the order of the arguments and to every bit of each.
pub(crate) const fn mix(h: u32, v: u32) -> u32 {
    (h ^ v).wrapping_mul(0x0100_0193).wrapping_add(h >> 15)
}

/// `mix()`'s starting value (`H0` in `port_c.c`).
pub(crate) const H0: u32 = 0x811c_9dc5;

/// `mix()` folded over `args` from `H0`.
pub(crate) fn mix_all(args: &[u32]) -> u32 {
    let mut h = H0;
    let mut i = 0;
    while i < args.len() {
        h = mix(h, args[i]);
        i += 1;
    }
    h
}

/// How a value is formatted, for [`FORMATS`].
#[derive(Clone, Copy)]
pub(crate) enum Fmt {
    /// `{}`
    Dec,
    /// `{:x}`
    Hex,
    /// `{:#018x}`
    HexPadded,
    /// `{:>24}`
    Right24,
}

/// A value to format, unsigned or signed.
#[derive(Clone, Copy)]
pub(crate) enum Value {
    /// A `u64`.
    U(u64),
    /// An `i64`.
    I(i64),
}

/// Values at the extremes, how to format them and what must come out.
pub(crate) const FORMATS: [(Value, Fmt, &str); 16] = [
    (Value::U(0), Fmt::Dec, "0"),
    (Value::U(u64::MAX), Fmt::Dec, "18446744073709551615"),
    (Value::U(0xffff_ffff), Fmt::Dec, "4294967295"),
    (Value::U(0x1_0000_0000), Fmt::Dec, "4294967296"),
    (Value::U(10_000_000_000_000_000_000), Fmt::Dec, "10000000000000000000"),
    (Value::U(9_999_999_999_999_999_999), Fmt::Dec, "9999999999999999999"),
    (Value::U(u64::MAX), Fmt::Hex, "ffffffffffffffff"),
    (Value::U(0x1_0000_0000), Fmt::HexPadded, "0x0000000100000000"),
    (Value::U(u64::MAX), Fmt::Right24, "    18446744073709551615"),
    (Value::I(i64::MIN), Fmt::Dec, "-9223372036854775808"),
    (Value::I(i64::MAX), Fmt::Dec, "9223372036854775807"),
    (Value::I(-1), Fmt::Dec, "-1"),
    (Value::I(-0x1_0000_0000), Fmt::Dec, "-4294967296"),
    (Value::I(i64::MIN), Fmt::Hex, "8000000000000000"),
    (Value::I(-1), Fmt::Hex, "ffffffffffffffff"),
    (Value::I(i64::MIN), Fmt::Right24, "    -9223372036854775808"),
];

/// Formats `v` as `f` says into `w`.
pub(crate) fn format(w: &mut dyn core::fmt::Write, v: Value, f: Fmt) -> core::fmt::Result {
    match (v, f) {
        (Value::U(x), Fmt::Dec) => write!(w, "{}", x),
        (Value::U(x), Fmt::Hex) => write!(w, "{:x}", x),
        (Value::U(x), Fmt::HexPadded) => write!(w, "{:#018x}", x),
        (Value::U(x), Fmt::Right24) => write!(w, "{:>24}", x),
        (Value::I(x), Fmt::Dec) => write!(w, "{}", x),
        (Value::I(x), Fmt::Hex) => write!(w, "{:x}", x),
        (Value::I(x), Fmt::HexPadded) => write!(w, "{:#018x}", x),
        (Value::I(x), Fmt::Right24) => write!(w, "{:>24}", x),
    }
}

/// A fixed buffer that `core::fmt` can write into (no allocation); what
/// does not fit is cut off, and `overflowed` says so.
pub(crate) struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    /// Whether a write was cut off.
    pub(crate) overflowed: bool,
}

impl<const N: usize> Buf<N> {
    /// An empty buffer.
    pub(crate) const fn new() -> Self {
        Buf { bytes: [0; N], len: 0, overflowed: false }
    }

    /// What was written (cut at a character boundary).
    pub(crate) fn as_str(&self) -> &str {
        match core::str::from_utf8(&self.bytes[..self.len]) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&self.bytes[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl<const N: usize> Default for Buf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = N - self.len;
        let n = s.len().min(room);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        if n < s.len() {
            self.overflowed = true;
        }
        Ok(())
    }
}

impl<const N: usize> core::fmt::Display for Buf<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value every CPU's `fetch_add` starts from: just below 2^64, with a
/// low half just below 2^32, so that the sum carries from the low half into
/// the high one and then wraps around.
pub(crate) const ADD_START: u64 = 0xffff_fff0_ffff_f000;
/// What each `fetch_add` adds: one to each half.
pub(crate) const ADD_STEP: u64 = 0x1_0000_0001;
/// Where the compare-and-swap counter starts: `n` below 2^32, so it carries.
pub(crate) const fn cas_start(n: u32) -> u64 {
    0x1_0000_0000 - n as u64
}

/// The signed values CPU `ticket` feeds `fetch_max`/`fetch_min` at step `i`:
/// both signs, both halves changing.
pub(crate) const fn minmax_value(ticket: u32, i: u32) -> i64 {
    let x = (ticket as i64) * 1_000_003 + i as i64;
    (x - 1_000_000).wrapping_mul(0x1_0000_0003)
}
