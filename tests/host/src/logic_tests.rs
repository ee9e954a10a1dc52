// SPDX-License-Identifier: GPL-2.0
//! The small pure helpers: test patterns and pkmap wrap detection.

use crate::pattern;
use crate::pkmap::{kmap_hold_budget, reserve_kmap_holds, Geometry, WrapCounter};

#[test]
fn pattern_depends_on_seed_position_and_start() {
    let mut a = vec![0u8; 4096];
    pattern::fill(&mut a, 0x5a, 0);
    assert!(pattern::matches(&a, 0x5a, 0));
    assert!(!pattern::matches(&a, 0x5b, 0));
    // A page shifted by one byte, or read from another start, differs.
    assert!(!pattern::matches(&a[1..], 0x5a, 0));
    assert!(pattern::matches(&a[128..192], 0x5a, 128));
    assert!(!pattern::matches(&a[128..192], 0x5a, 0));
    // The high bits of the position count: bytes 256 apart differ.
    assert_ne!(pattern::byte(1, 3), pattern::byte(1, 3 + 256));
    let mut b = a.clone();
    b[4095] ^= 1;
    assert!(!pattern::matches(&b, 0x5a, 0));
}

#[test]
fn pkmap_slot_of_is_bounded_to_the_pkmap() {
    let g = Geometry { base: 0xff80_0000, page_size: 4096, slots: 1024 };
    assert_eq!(g.slot_of(0xff80_0000), Some(0));
    assert_eq!(g.slot_of(0xff80_1fff), Some(1));
    assert_eq!(g.slot_of(0xffbf_f000), Some(1023));
    assert_eq!(g.slot_of(0xffc0_0000), None);
    assert_eq!(g.slot_of(0xff7f_f000), None);
    assert_eq!(g.slot_of(0xc000_0000), None);
}

#[test]
fn wraps_are_counted_when_new_slots_go_down() {
    let mut w = WrapCounter::default();
    assert!(!w.fresh_slot(5));
    assert!(!w.fresh_slot(6));
    assert!(!w.fresh_slot(1023));
    assert!(w.fresh_slot(0), "the scan passed the end");
    assert!(!w.fresh_slot(1));
    assert!(w.fresh_slot(1), "same slot again means a full wrap");
    assert_eq!((w.fresh, w.wraps), (6, 2));
}

#[test]
fn kmap_holds_stay_within_half_the_pkmap() {
    assert_eq!(kmap_hold_budget(1024), 512);
    assert_eq!(kmap_hold_budget(512), 256);
    assert_eq!(reserve_kmap_holds(0, 256, 1024), Some(256));
    assert_eq!(reserve_kmap_holds(256, 256, 1024), Some(512), "exactly the budget fits");
    assert_eq!(reserve_kmap_holds(256, 257, 1024), None);
    assert_eq!(reserve_kmap_holds(0, 257, 512), None, "PAE: 512 slots");
    assert_eq!(reserve_kmap_holds(usize::MAX, 1, 1024), None, "no overflow");
    // Two runs of a quarter of the pkmap each, as hmctl plans for 2 CPUs.
    let q = 1024 / 4;
    assert_eq!(reserve_kmap_holds(reserve_kmap_holds(0, q, 1024).unwrap(), q, 1024), Some(512));
}
