// SPDX-License-Identifier: GPL-2.0
//! The port tests' references (port/reference.rs) against the host's own
//! 64-bit division and formatting: what hmkit_port.ko compares the i386
//! libcalls with must itself be right.

use crate::port_reference::*;
use std::fmt::Write;

#[test]
fn udivmod_matches_native_division_on_edges() {
    for &a in &U64_EDGES {
        for &b in &U64_EDGES {
            let want = a.checked_div(b).map(|q| (q, a % b));
            assert_eq!(udivmod(a, b), want, "{a:#x} / {b:#x}");
        }
    }
}

#[test]
fn idivmod_matches_native_division_on_edges() {
    for &a in &I64_EDGES {
        for &b in &I64_EDGES {
            let want = a.checked_div(b).map(|q| (q, a.checked_rem(b).unwrap()));
            assert_eq!(idivmod(a, b), want, "{a} / {b}");
        }
    }
}

#[test]
fn references_match_native_division_on_random_operands() {
    let mut rng = Rng::new(0x1234_5678);
    for _ in 0..200_000 {
        let (a, b) = (rng.any_magnitude(), rng.any_magnitude());
        assert_eq!(udivmod(a, b), Some((a / b, a % b)), "{a:#x} / {b:#x}");
        let (x, y) = (a as i64, (b as i64).wrapping_neg());
        assert_eq!(idivmod(x, y), x.checked_div(y).map(|q| (q, x % y)), "{x} / {y}");
    }
}

#[test]
fn any_magnitude_draws_every_bit_length() {
    let mut rng = Rng::new(7);
    let mut seen = [0u32; 65];
    for _ in 0..20_000 {
        seen[64 - rng.any_magnitude().leading_zeros() as usize] += 1;
    }
    assert_eq!(seen[0], 0, "zero is never drawn (it is a divisor)");
    for (bits, n) in seen.iter().enumerate().skip(1) {
        assert!(*n > 150, "{bits}-bit values drawn {n} times in 20000");
    }
}

#[test]
fn expected_strings_are_what_std_formats() {
    for &(v, f, want) in &FORMATS {
        let mut s = String::new();
        format(&mut s, v, f).unwrap();
        assert_eq!(s, want);
        let mut b = Buf::<32>::new();
        format(&mut b, v, f).unwrap();
        assert_eq!(b.as_str(), want);
        assert!(!b.overflowed);
    }
}

#[test]
fn buf_cuts_what_does_not_fit_and_says_so() {
    let mut b = Buf::<4>::new();
    write!(b, "{}", 123_456u32).unwrap();
    assert_eq!(b.as_str(), "1234");
    assert!(b.overflowed);
}

#[test]
fn mix_depends_on_order_and_every_argument() {
    let base = mix_all(&[0xa5, 0xbeef, 0xdead_beef]);
    assert_ne!(base, mix_all(&[0xbeef, 0xa5, 0xdead_beef]));
    assert_ne!(base, mix_all(&[0xa5, 0xbeef, 0xdead_beee]));
    assert_ne!(base, mix_all(&[0xa5, 0xbeef]));
    // Each argument's high byte matters (a u8 sign- or zero-extended wrong shows).
    assert_ne!(mix_all(&[0xa5]), mix_all(&[0xffff_ffa5]));
}

#[test]
fn the_atomic_counters_cross_the_32_bit_boundary() {
    // ADD_START's low half wraps within one CPU's 20000 steps and the whole
    // value past 2^64 too, so a carry lost between the halves shows.
    assert!((ADD_START as u32 as u64) + 20_000 > u32::MAX as u64);
    assert!(ADD_START.checked_add(20_000 * ADD_STEP).is_none());
    assert!(cas_start(20_000) < 1 << 32 && cas_start(20_000) + 20_000 == 1 << 32);
}
