// SPDX-License-Identifier: GPL-2.0

//! The byte patterns hmkit's checks write into pages and read back: byte
//! `i` depends on the seed and on `i` (its low and high bits), so a page
//! shifted, truncated or mixed with another seed's page does not match.

/// Byte `i` of the pattern for `seed`.
pub(crate) fn byte(seed: u8, i: usize) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8)
}

/// Fills `buf` with the pattern for `seed`, as if it started at byte
/// `start` of the page.
pub(crate) fn fill(buf: &mut [u8], seed: u8, start: usize) {
    for (i, x) in buf.iter_mut().enumerate() {
        *x = byte(seed, start + i);
    }
}

/// Whether `buf` holds the pattern for `seed` from byte `start` on.
pub(crate) fn matches(buf: &[u8], seed: u8, start: usize) -> bool {
    buf.iter().enumerate().all(|(i, &x)| x == byte(seed, start + i))
}
