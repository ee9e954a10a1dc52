// SPDX-License-Identifier: GPL-2.0
//! The pool core against the model window (`crate::model`), which asserts
//! the rules the kernel relies on, with one thread and with many, each
//! thread being one CPU of the model.

use crate::model::{
    as_cpu, check_quiet, flush_all_quiet, get, parts, pool, put, read_word, region_of, set_cpu, word_of, zeroed, Event,
    Model, TestCore,
};
use crate::pool_core::{Core, Flushed, MapError, SlotRef, SlotView};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A small xorshift generator, one per thread.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(0x2545_f491_4f6c_dd1d ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A barrier that gives up (panics) when another thread has panicked or
/// after a minute, instead of waiting forever.
struct Rendezvous {
    n: usize,
    state: Mutex<(usize, usize)>,
    cv: Condvar,
}

impl Rendezvous {
    fn new(n: usize) -> Self {
        Rendezvous { n, state: Mutex::new((0, 0)), cv: Condvar::new() }
    }

    /// Waits for all `n`; true for one of them (the last to come).
    fn wait(&self, model: &Model) -> bool {
        let mut g = self.state.lock().unwrap();
        let gen = g.1;
        g.0 += 1;
        if g.0 == self.n {
            *g = (0, gen + 1);
            self.cv.notify_all();
            return true;
        }
        let end = Instant::now() + Duration::from_secs(60);
        while g.1 == gen {
            assert!(!model.poisoned(), "another test thread panicked");
            assert!(Instant::now() < end, "a test thread did not come in 60 s");
            g = self.cv.wait_timeout(g, Duration::from_millis(10)).unwrap().0;
        }
        false
    }
}

/// Waits (sleeping) until `cond`, at most `secs` seconds; whether it came.
fn wait_for(secs: u64, cond: impl Fn() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

// ---------------------------------------------------------------------
// One thread.

#[test]
fn same_page_same_slot_with_counts() {
    let core = pool(8, 1);
    let a = get(&core, 100).unwrap();
    let b = get(&core, 100).unwrap();
    let slot = a.slot();
    assert_eq!(slot, b.slot());
    assert_eq!(core.view(slot), SlotView::Mapped { pfn: 100, users: 2 });
    let t = core.totals();
    assert_eq!((t.hits, t.misses, t.in_use), (1, 1, 1));
    let other = get(&core, 200).unwrap();
    assert_ne!(other.slot(), slot);
    assert_eq!(core.totals().in_use, 2);
    core.window().unhold(a.slot());
    assert_eq!(core.release(a), Ok(false));
    assert!(put(&core, b, 100));
    assert_eq!(core.view(slot), SlotView::Mapped { pfn: 100, users: 0 });
    assert_eq!((core.totals().in_use, core.idle()), (1, 1));
    // An idle slot comes back without touching the PTE.
    let sets = core.window().sets.load(SeqCst);
    let again = get(&core, 100).unwrap();
    assert_eq!(again.slot(), slot);
    assert_eq!(core.window().sets.load(SeqCst), sets);
    let t = core.totals();
    assert_eq!((t.hits, t.misses, t.unmaps, t.in_use), (2, 2, 2, 2));
    assert_eq!(core.stats.high_water.load(SeqCst), 2);
    check_quiet(&core, 2, 2);
    put(&core, again, 100);
    put(&core, other, 200);
    check_quiet(&core, 0, 0);
    flush_all_quiet(&core);
}

/// `n` slots, `cpus` CPUs, all maps on CPU 0: a full pool fails at once
/// without flushing; once every slot is idle, the next miss flushes them
/// all in one round, and the misses after it need no flush until the
/// clean slots run out.
fn full_pool_flushes_all_idle_slots_in_one_batch(n: u32, cpus: usize) {
    let core = pool(n as usize, cpus);
    let w = core.window();
    let refs: Vec<SlotRef> = (0..n).map(|p| get(&core, p).unwrap()).collect();
    assert_eq!(core.clean(), 0);
    assert_eq!(core.map(&999).unwrap_err(), MapError::Full);
    assert_eq!(core.stats.flushes.get(), 0);
    assert_eq!(w.flush_calls.load(SeqCst), 0);
    for (p, r) in refs.into_iter().enumerate() {
        assert!(put(&core, r, p as u32));
    }
    assert_eq!(core.idle(), n);
    check_quiet(&core, 0, 0);
    // The next miss flushes all n idle slots at once.
    let keep = get(&core, 1000).unwrap();
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(core.stats.slots_flushed.get(), u64::from(n));
    assert_eq!(w.flush_calls.load(SeqCst), 1);
    assert_eq!(w.flushed_slots.load(SeqCst), n as usize);
    assert_eq!(core.stats.early_flushes.get(), 0);
    // The flushed slots' PTEs are clear (but the one just taken).
    let clear = (0..n).filter(|&s| w.pte_pfn(s).is_none()).count();
    assert_eq!(clear, n as usize - 1);
    // n - 1 more misses fit without another flush.
    let more: Vec<SlotRef> = (2000..2000 + n - 1).map(|p| get(&core, p).unwrap()).collect();
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(w.flush_calls.load(SeqCst), 1);
    assert_eq!(core.map(&5000).unwrap_err(), MapError::Full);
    assert_eq!(core.stats.flushes.get(), 1);
    assert!(core.stats.flush_ns.get() > 0);
    check_quiet(&core, n, n);
    put(&core, keep, 1000);
    for (p, r) in (2000..).zip(more) {
        put(&core, r, p);
    }
    check_quiet(&core, 0, 0);
    flush_all_quiet(&core);
}

#[test]
fn full_pool_flushes_all_idle_slots_in_one_batch_1_cpu() {
    full_pool_flushes_all_idle_slots_in_one_batch(16, 1);
}

#[test]
fn full_pool_flushes_all_idle_slots_in_one_batch_2_cpus() {
    full_pool_flushes_all_idle_slots_in_one_batch(16, 2);
}

#[test]
fn full_pool_flushes_all_idle_slots_in_one_batch_4_cpus() {
    full_pool_flushes_all_idle_slots_in_one_batch(32, 4);
}

#[test]
fn every_slot_held_means_full_on_every_cpu() {
    let core = pool(16, 2);
    let refs: Vec<SlotRef> = (0..16).map(|p| get(&core, p).unwrap()).collect();
    for cpu in [0, 1] {
        as_cpu(cpu, || {
            assert_eq!(core.map(&99).unwrap_err(), MapError::Full);
            // A page that is mapped is still a hit.
            let r = get(&core, 3).unwrap();
            put(&core, r, 3);
        });
    }
    assert_eq!(core.stats.flushes.get(), 0);
    assert_eq!(core.stats.steals.get(), 0);
    assert_eq!(core.window().flush_calls.load(SeqCst), 0);
    check_quiet(&core, 16, 16);
    for (p, r) in (0..).zip(refs) {
        put(&core, r, p);
    }
    flush_all_quiet(&core);
}

#[test]
fn flushed_pages_are_no_longer_hits() {
    let core = pool(8, 1);
    let a = get(&core, 7).unwrap();
    let slot = a.slot();
    put(&core, a, 7);
    assert_eq!(core.flush(), Flushed::Slots(1));
    assert_eq!(core.view(slot), SlotView::Free);
    assert_eq!(core.window().pte(slot), Default::default());
    assert!(core.try_hit(7).unwrap().is_none());
    assert_eq!(core.clean(), 8);
    check_quiet(&core, 0, 0);
}

#[test]
fn a_slot_taken_back_while_listed_is_listed_once_and_flushed_later() {
    let core = pool(8, 1);
    let dirty = || core.cpu_view(0).unwrap().dirty;
    let r = get(&core, 1).unwrap();
    let slot = r.slot();
    assert!(put(&core, r, 1));
    assert_eq!((dirty(), core.idle()), (1, 1));
    // A hit takes it back; its next last release does not list it again.
    let r = get(&core, 1).unwrap();
    assert_eq!(r.slot(), slot);
    assert_eq!(dirty(), 1);
    assert!(put(&core, r, 1));
    assert_eq!(dirty(), 1);
    check_quiet(&core, 0, 0);
    // A flush that finds it in use unlists it...
    let r = get(&core, 1).unwrap();
    assert_eq!(core.flush(), Flushed::Slots(0));
    assert_eq!(dirty(), 0);
    assert_eq!(core.view(slot), SlotView::Mapped { pfn: 1, users: 1 });
    // ...and its next last release lists it again, for the next flush.
    assert!(put(&core, r, 1));
    assert_eq!(dirty(), 1);
    assert_eq!(core.flush(), Flushed::Slots(1));
    assert_eq!((dirty(), core.idle(), core.view(slot)), (0, 0, SlotView::Free));
    check_quiet(&core, 0, 0);
}

#[test]
fn flushes_count_generations_and_events() {
    let core = pool(8, 1);
    assert_eq!((core.flush_gen(), core.events()), (0, 0));
    // A flush of nothing is no generation and no event.
    assert_eq!(core.flush(), Flushed::Slots(0));
    assert_eq!((core.flush_gen(), core.events()), (0, 0));
    let r = get(&core, 3).unwrap();
    put(&core, r, 3);
    assert_eq!(core.flush(), Flushed::Slots(1));
    assert_eq!((core.flush_gen(), core.events()), (1, 1));
    core.note_event();
    assert_eq!((core.flush_gen(), core.events()), (1, 2));
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(core.stats.flush_waits.get(), 0);
}

#[test]
fn tokens_of_another_pool_are_refused() {
    let a = pool(8, 1);
    let b = pool(8, 1);
    let ra = a.map(&5).unwrap();
    // b's slot of the same number is clean: a's token must not touch it.
    assert_eq!(b.view(ra.slot()), SlotView::Free);
    assert_eq!(read_word(&b, &ra, 5), Err(()));
    assert!(b.write(&ra, &mut 5, 0, &[1]).is_err());
    assert_eq!(b.check_on_each_cpu(&[(&ra, &5, 0, 5)]), (0, 1));
    let slot = ra.slot();
    assert_eq!(b.release(ra), Err(MapError::WrongPool));
    assert_eq!(b.totals(), Default::default());
    // The token went into b's release and was refused there: a's slot stays
    // held (leaked), which is the safe outcome.
    assert_eq!(a.view(slot), SlotView::Mapped { pfn: 5, users: 1 });
    assert_eq!(a.totals().in_use, 1);
    // b's own tokens work on b.
    let rb = b.map(&5).unwrap();
    assert_eq!(read_word(&b, &rb, 5), Ok(word_of(5)));
    assert_eq!(a.release(rb), Err(MapError::WrongPool));
}

#[test]
fn access_needs_the_page_the_slot_maps() {
    let core = pool(16, 2);
    let r = core.map(&40).unwrap();
    assert_eq!(read_word(&core, &r, 40), Ok(word_of(40)));
    // The same token with another page is refused: no access to page 41's
    // memory through page 40's slot.
    assert_eq!(read_word(&core, &r, 41), Err(()));
    assert!(core.write(&r, &mut 41, 0, &[1]).is_err());
    assert!(core.write(&r, &mut 40, 0, &[1]).is_ok());
    // Past the page.
    let mut b = [0u8; 8];
    assert!(core.read(&r, &40, 4092, &mut b).is_err());
    assert!(core.read(&r, &40, 4088, &mut b).is_ok());
    assert!(core.read(&r, &40, usize::MAX, &mut b).is_err());
    assert!(core.write(&r, &mut 40, 4095, &[1, 2]).is_err());
    assert_eq!(core.check_on_each_cpu(&[(&r, &40, 0, word_of(40))]), (2, 0));
    assert_eq!(core.check_on_each_cpu(&[(&r, &40, 0, 12345)]), (2, 2));
    assert_eq!(core.check_on_each_cpu(&[(&r, &41, 0, word_of(41))]), (0, 1));
    let r2 = core.map(&41).unwrap();
    assert_eq!(core.check_on_each_cpu(&[(&r, &40, 0, word_of(40)), (&r2, &41, 0, word_of(41))]), (2, 0));
    assert_eq!(core.check_on_each_cpu(&[(&r, &40, 0, word_of(40)), (&r2, &40, 0, word_of(40))]), (0, 2));
    core.release(r).unwrap();
    core.release(r2).unwrap();
}

#[test]
fn too_many_users_is_refused_and_takes_no_second_slot() {
    let core = pool(8, 1);
    let refs: Vec<SlotRef> = (0..0xffff).map(|_| core.map(&5).unwrap()).collect();
    let slot = refs[0].slot();
    assert!(refs.iter().all(|r| r.slot() == slot));
    assert_eq!(core.map(&5).unwrap_err(), MapError::TooManyUsers);
    assert_eq!(core.try_hit(5).unwrap_err(), MapError::TooManyUsers);
    assert_eq!(core.view(slot), SlotView::Mapped { pfn: 5, users: 0xffff });
    assert_eq!(core.totals().misses, 1);
    assert_eq!((0..8).filter(|&s| core.view(s) != SlotView::Free).count(), 1);
    // Other pages still map.
    let other = core.map(&6).unwrap();
    core.release(other).unwrap();
    let last: Vec<bool> = refs.into_iter().map(|r| core.release(r).unwrap()).collect();
    assert_eq!(last.iter().filter(|&&l| l).count(), 1);
    assert!(last[last.len() - 1]);
    check_quiet(&core, 0, 0);
}

#[test]
fn parts_must_fit_the_window() {
    let new = |n: usize, cpus: usize, p| Core::new(Model::new(n, cpus as u32), p).is_ok();
    assert!(new(16, 2, parts(16, 2)));
    type Fix = fn(&mut crate::pool_core::Parts<Vec<crate::atomic::AtomicU32>, Vec<crate::pool_core::PerCpu>>);
    let breakers: [(&str, Fix); 12] = [
        ("state", |p| p.state = zeroed(15)),
        ("pfn", |p| p.pfn = zeroed(17)),
        ("next", |p| p.next = zeroed(15)),
        ("dirty_next", |p| p.dirty_next = zeroed(15)),
        ("depot", |p| p.depot = zeroed(17)),
        ("scratch", |p| p.scratch = zeroed(15)),
        ("buckets 6", |p| p.buckets = zeroed(6)),
        ("buckets 1", |p| p.buckets = zeroed(1)),
        ("buckets 0", |p| p.buckets = zeroed(0)),
        ("depot_len short", |p| p.depot_len = zeroed(1)),
        ("depot_len long", |p| p.depot_len = zeroed(3)),
        ("one CPU part too many", |p| p.cpus.push(crate::pool_core::PerCpu::new())),
    ];
    for (what, f) in breakers {
        let mut p = parts(16, 2);
        f(&mut p);
        assert!(!new(16, 2, p), "{what}: accepted");
    }
    let mut p = parts(16, 2);
    p.buckets = zeroed(2);
    assert!(new(16, 2, p), "2 buckets");
    // CPUs: 1 to 64, at least 8 slots each.
    assert!(!new(16, 0, parts(16, 0)));
    assert!(new(8, 1, parts(8, 1)));
    assert!(!new(7, 1, parts(7, 1)));
    assert!(!new(15, 2, parts(15, 2)));
    assert!(new(24, 3, parts(24, 3)));
    assert!(!new(23, 3, parts(23, 3)));
    assert!(new(512, 64, parts(512, 64)));
    assert!(!new(520, 65, parts(520, 65)));
    // A slot's user count must be able to count every slot.
    assert!(new(0xfffe, 1, parts(0xfffe, 1)));
    assert!(!new(0xffff, 1, parts(0xffff, 1)));
}

#[test]
fn counters_carry_into_the_high_word() {
    let c = crate::pool_core::Counter::default();
    c.add(u64::from(u32::MAX));
    c.add(2);
    assert_eq!(c.get(), u64::from(u32::MAX) + 2);
    c.add(5 << 32);
    assert_eq!(c.get(), (5 << 32) + u64::from(u32::MAX) + 2);
    c.inc();
    assert_eq!(c.get(), (5 << 32) + u64::from(u32::MAX) + 3);
}

// ---------------------------------------------------------------------
// Per-CPU magazines, regions, dirty lists and counters (one thread
// playing several CPUs).

#[test]
fn regions_and_batches_follow_the_slot_and_cpu_counts() {
    for (n, cpus, region, batch) in [(8, 1, 8, 2), (16, 2, 8, 2), (64, 1, 64, 16), (100, 3, 33, 8), (8192, 8, 1024, 16)]
    {
        let core = pool(n, cpus);
        assert_eq!((core.slots(), core.cpus()), (n as u32, cpus), "{n} slots, {cpus} CPUs");
        assert_eq!((core.region(), core.batch()), (region, batch), "{n} slots, {cpus} CPUs");
        assert_eq!(core.low_watermark(), 2 * batch * (cpus as u32 - 1));
        assert_eq!((core.clean(), core.depot_clean(), core.idle()), (n as u32, n as u32, 0));
        check_quiet(&core, 0, 0);
    }
}

#[test]
fn misses_on_each_cpu_take_slots_of_its_own_region() {
    let core = pool(32, 4);
    let mut refs = Vec::new();
    for round in 0..8 {
        for cpu in 0..4u32 {
            set_cpu(cpu);
            let pfn = cpu * 100 + round;
            let r = get(&core, pfn).unwrap();
            assert_eq!(region_of(&core, r.slot()), cpu as usize, "CPU {cpu}'s miss {round} took slot {}", r.slot());
            refs.push((r, pfn));
        }
    }
    set_cpu(0);
    assert_eq!(core.stats.steals.get(), 0);
    assert_eq!(core.clean(), 0);
    for (r, pfn) in refs {
        put(&core, r, pfn);
    }
    check_quiet(&core, 0, 0);
}

/// The last region also takes the remainder.
#[test]
fn the_last_region_takes_the_remainder() {
    let core = pool(20, 2);
    assert_eq!(core.region(), 10);
    let core = pool(19, 2);
    assert_eq!(core.region(), 9);
    let mut refs = Vec::new();
    set_cpu(1);
    for pfn in 0..10 {
        let r = get(&core, pfn).unwrap();
        assert!((9..19).contains(&r.slot()), "CPU 1 took slot {}", r.slot());
        refs.push((r, pfn));
    }
    set_cpu(0);
    assert_eq!(core.stats.steals.get(), 0);
    for (r, pfn) in refs {
        put(&core, r, pfn);
    }
    check_quiet(&core, 0, 0);
}

#[test]
fn a_refill_takes_a_batch() {
    for (n, cpus) in [(16, 2), (64, 1), (256, 4)] {
        let core = pool(n, cpus);
        let b = core.batch();
        let cpu = cpus as u32 - 1;
        set_cpu(cpu);
        let mut refs = vec![(get(&core, 1).unwrap(), 1)];
        let v = core.cpu_view(cpu as usize).unwrap();
        assert_eq!((v.magazine, v.misses), (b - 1, 1), "{n} slots, {cpus} CPUs");
        assert_eq!(core.depot_clean(), n as u32 - b);
        assert_eq!(core.stats.refills.get(), 1);
        // The rest of the batch needs no refill; the miss after it does.
        for pfn in 2..=b {
            refs.push((get(&core, pfn).unwrap(), pfn));
        }
        assert_eq!((core.stats.refills.get(), core.cpu_view(cpu as usize).unwrap().magazine), (1, 0));
        refs.push((get(&core, 1000).unwrap(), 1000));
        assert_eq!(core.stats.refills.get(), 2);
        assert_eq!(core.cpu_view(cpu as usize).unwrap().magazine, b - 1);
        assert_eq!(core.depot_clean(), n as u32 - 2 * b);
        // Other CPUs' magazines stay empty.
        for k in 0..cpus - 1 {
            assert_eq!(core.cpu_view(k).unwrap().magazine, 0);
        }
        for (r, pfn) in refs {
            put(&core, r, pfn);
        }
        set_cpu(0);
        check_quiet(&core, 0, 0);
    }
}

/// A CPU's refill takes its own region's clean slots first, and its misses
/// use them first: with one clean slot left in region 0 and region 1's
/// slots all clean, CPU 0's next miss must take the region 0 slot.
#[test]
fn a_miss_takes_its_own_regions_slot_before_another_regions() {
    let core = pool(16, 2);
    assert_eq!(core.batch(), 2);
    // CPU 0 takes all of region 0.
    let mut refs: Vec<(SlotRef, u32)> = (0..8).map(|p| (get(&core, p).unwrap(), p)).collect();
    assert!(refs.iter().all(|(r, _)| region_of(&core, r.slot()) == 0));
    assert_eq!(core.cpu_view(0).unwrap().magazine, 0);
    // One of them goes back to region 0's depot stack.
    let (r, p) = refs.remove(5);
    let freed = r.slot();
    put(&core, r, p);
    assert_eq!(core.flush(), Flushed::Slots(1));
    assert_eq!(core.depot_clean(), 9);
    let r = get(&core, 100).unwrap();
    let (slot, magazine) = (r.slot(), core.cpu_view(0).unwrap().magazine);
    refs.push((r, 100));
    for (r, p) in refs {
        put(&core, r, p);
    }
    check_quiet(&core, 0, 0);
    assert_eq!(
        slot, freed,
        "CPU 0's miss took slot {slot} (region {}) while region 0's slot {freed} was clean (the refill put it in CPU 0's magazine, which now holds {magazine})",
        slot / 8
    );
}

#[test]
fn a_cpu_with_no_clean_slot_steals_one_rather_than_failing() {
    let core = pool(16, 2);
    let mut refs = Vec::new();
    // CPU 1 refills (slots 8 and 9) and uses one.
    set_cpu(1);
    refs.push((get(&core, 1000).unwrap(), 1000));
    assert_eq!(core.cpu_view(1).unwrap().magazine, 1);
    // CPU 0 takes everything else in the depot.
    set_cpu(0);
    for p in 0..14 {
        refs.push((get(&core, p).unwrap(), p));
    }
    assert_eq!((core.depot_clean(), core.cpu_view(0).unwrap().magazine), (0, 0));
    assert_eq!(core.stats.steals.get(), 0);
    // Nothing to flush: CPU 0 takes CPU 1's clean slot.
    let r = get(&core, 14).unwrap();
    assert_eq!(core.stats.steals.get(), 1);
    assert_eq!(core.cpu_view(1).unwrap().magazine, 0);
    assert_eq!(region_of(&core, r.slot()), 1);
    refs.push((r, 14));
    assert_eq!(core.map(&15).unwrap_err(), MapError::Full);
    assert_eq!((core.stats.steals.get(), core.stats.flushes.get()), (1, 0));
    assert_eq!(core.window().flush_calls.load(SeqCst), 0);
    check_quiet(&core, 16, 16);
    for (r, p) in refs {
        put(&core, r, p);
    }
    check_quiet(&core, 0, 0);
    flush_all_quiet(&core);
}

#[test]
fn a_last_release_lists_the_slot_on_its_regions_dirty_list() {
    let core = pool(32, 4);
    let mut refs = Vec::new();
    for (cpu, pfn) in [(0, 1), (1, 2), (2, 3), (3, 4), (0, 5), (2, 6)] {
        set_cpu(cpu);
        let r = get(&core, pfn).unwrap();
        assert_eq!(region_of(&core, r.slot()), cpu as usize);
        refs.push((r, pfn));
    }
    // Released each on another CPU than the one that mapped it: the slot
    // goes on the dirty list of its region's CPU, wherever it was released.
    for ((r, pfn), cpu) in refs.into_iter().zip([2, 2, 3, 0, 3, 1]) {
        set_cpu(cpu);
        assert!(put(&core, r, pfn));
    }
    set_cpu(0);
    let dirty: Vec<u32> = (0..4).map(|k| core.cpu_view(k).unwrap().dirty).collect();
    assert_eq!(dirty, [2, 1, 2, 1]);
    check_quiet(&core, 0, 0);
    set_cpu(1);
    assert_eq!(core.flush(), Flushed::Slots(6));
    set_cpu(0);
    let dirty: Vec<u32> = (0..4).map(|k| core.cpu_view(k).unwrap().dirty).collect();
    assert_eq!(dirty, [0, 0, 0, 0]);
    // The flushed slots went back to their regions' depot stacks.
    let depot: Vec<u32> = (0..4).map(|k| core.cpu_view(k).unwrap().depot).collect();
    let mags: Vec<u32> = (0..4).map(|k| core.cpu_view(k).unwrap().magazine).collect();
    assert_eq!(mags, [0, 1, 0, 1]);
    assert_eq!(depot, [8, 7, 8, 7]);
    check_quiet(&core, 0, 0);
}

#[test]
fn hits_count_in_the_slots_region_and_misses_on_the_cpu() {
    let core = pool(16, 2);
    set_cpu(0);
    let a = get(&core, 1).unwrap(); // miss on 0, a region 0 slot
    let b = get(&core, 1).unwrap(); // hit on region 0
    set_cpu(1);
    let c = get(&core, 1).unwrap(); // hit on region 0, from CPU 1
    let c2 = get(&core, 1).unwrap(); // again
    let d = get(&core, 2).unwrap(); // miss on 1, a region 1 slot
    let e = get(&core, 3).unwrap(); // miss on 1
    assert_eq!((region_of(&core, a.slot()), region_of(&core, d.slot())), (0, 1));
    put(&core, a, 1);
    put(&core, b, 1);
    set_cpu(0);
    put(&core, c, 1);
    put(&core, c2, 1);
    put(&core, d, 2);
    let f = get(&core, 2).unwrap(); // hit (idle) on region 1, from CPU 0
    let v0 = core.cpu_view(0).unwrap();
    let v1 = core.cpu_view(1).unwrap();
    assert_eq!((v0.hits, v0.misses), (3, 1));
    assert_eq!((v1.hits, v1.misses), (1, 2));
    let t = core.totals();
    assert_eq!((t.hits, t.misses, t.unmaps, t.in_use), (4, 3, 5, 2));
    check_quiet(&core, 2, 2);
    put(&core, e, 3);
    put(&core, f, 2);
    check_quiet(&core, 0, 0);
}

#[test]
fn high_water_is_seen_by_refills() {
    // "The most slots in use at once, as seen on the slow paths (refills,
    // flushes) and when read": hold a batch, then miss into a refill, and
    // read high_water before anything calls totals().
    let core = pool(16, 1);
    let b = core.batch();
    let refs: Vec<SlotRef> = (0..=b).map(|p| core.map(&p).unwrap()).collect();
    assert_eq!(core.stats.refills.get(), 2);
    let hw = core.stats.high_water.load(SeqCst);
    for r in refs {
        core.release(r).unwrap();
    }
    assert!(hw >= b, "high_water {hw} after a refill with {b} slots in use");
}

#[test]
fn high_water_after_a_flush_counts_the_slots_still_in_use() {
    // 12 slots held, 4 idle: the flush of the 4 sees 12 in use. Nothing
    // calls totals() (which would raise the mark itself) before the check.
    let core = pool(16, 1);
    let mut refs: Vec<SlotRef> = (0..16).map(|p| core.map(&p).unwrap()).collect();
    for r in refs.drain(..4) {
        core.release(r).unwrap();
    }
    assert_eq!(core.flush(), Flushed::Slots(4));
    let hw = core.stats.high_water.load(SeqCst);
    for r in refs {
        core.release(r).unwrap();
    }
    assert_eq!(hw, 12, "high_water after a flush of 4 slots with 12 in use");
}

#[test]
fn page_bytes_through_a_slot() {
    let a = pool(8, 1);
    let b = pool(8, 1);
    let r = get(&a, 5).unwrap();
    let word = |bytes: &[u8]| u32::from_le_bytes(bytes[..4].try_into().unwrap());
    assert_eq!(a.bytes(&r, &5).map(word), Ok(word_of(5)));
    assert_eq!(a.bytes(&r, &5).unwrap().len(), crate::model::PAGE_BYTES);
    // Another page, or another pool, gets nothing.
    assert!(a.bytes(&r, &6).is_err());
    assert!(a.bytes_mut(&r, &mut 6).is_err());
    assert!(b.bytes(&r, &5).is_err());
    assert!(b.bytes_mut(&r, &mut 5).is_err());
    a.bytes_mut(&r, &mut 5).unwrap()[..4].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
    assert_eq!(a.bytes(&r, &5).map(word), Ok(0xdead_beef));
    put(&a, r, 5);
    // The write is in the page: it is there through the next mapping, in
    // another slot after a flush too.
    assert_eq!(a.flush(), Flushed::Slots(1));
    let _other = a.map(&6).unwrap();
    let r = get(&a, 5).unwrap();
    assert_eq!(a.bytes(&r, &5).map(word), Ok(0xdead_beef));
    put(&a, r, 5);
}

// ---------------------------------------------------------------------
// Early flushes at the low watermark.

#[test]
fn an_early_flush_starts_at_the_low_watermark_with_enough_dirty_slots() {
    let core = pool(16, 2);
    let (b, lw) = (core.batch(), core.low_watermark());
    assert_eq!((b, lw), (2, 4));
    let mut refs: Vec<(SlotRef, u32)> = Vec::new();
    // 12 misses on CPU 0: six refills leave 4 in the depot, not below.
    for p in 0..12 {
        refs.push((get(&core, p).unwrap(), p));
    }
    assert_eq!((core.stats.refills.get(), core.depot_clean()), (6, 4));
    for _ in 0..3 {
        let (r, p) = refs.remove(0);
        put(&core, r, p);
    }
    // The 7th refill leaves 2 < 4 in the depot, but only 3 slots are dirty.
    refs.push((get(&core, 12).unwrap(), 12));
    assert_eq!((core.stats.refills.get(), core.depot_clean()), (7, 2));
    assert_eq!((core.stats.flushes.get(), core.stats.early_flushes.get()), (0, 0));
    let (r, p) = refs.remove(0);
    put(&core, r, p);
    // From the magazine: no refill, no flush.
    refs.push((get(&core, 13).unwrap(), 13));
    assert_eq!(core.stats.flushes.get(), 0);
    // The 8th refill empties the depot with 4 slots dirty: the CPU that
    // refilled flushes them, while 2 clean slots were still there.
    let clean_before = core.clean();
    assert_eq!(clean_before, 2);
    refs.push((get(&core, 14).unwrap(), 14));
    assert_eq!(core.stats.refills.get(), 8);
    assert_eq!((core.stats.flushes.get(), core.stats.early_flushes.get()), (1, 1));
    assert_eq!(core.stats.slots_flushed.get(), 4);
    assert_eq!((core.depot_clean(), core.cpu_view(0).unwrap().magazine), (4, 1));
    assert_eq!(core.idle(), 0);
    check_quiet(&core, refs.len() as u32, refs.len() as u32);
    for (r, p) in refs {
        put(&core, r, p);
    }
    check_quiet(&core, 0, 0);
}

/// Maps and releases a stream of new pages on the CPUs in turn, holding
/// `hold` at a time; returns, for each flush, how many clean slots there
/// were before the map that ran it. Fails if a map gets `Full`.
fn stream(core: &TestCore, rounds: u32, hold: usize) -> Vec<u32> {
    let mut held = std::collections::VecDeque::new();
    let mut flushed_with_clean = Vec::new();
    for p in 0..rounds {
        set_cpu(p % core.cpus() as u32);
        let (before, clean) = (core.stats.flushes.get(), core.clean());
        let idle = core.idle();
        match get(core, p) {
            Ok(r) => held.push_back((r, p)),
            Err(e) => panic!("map {p} on CPU {}: {e:?} with {idle} slots idle", p % core.cpus() as u32),
        }
        if core.stats.flushes.get() != before {
            flushed_with_clean.push(clean);
        }
        if held.len() > hold {
            let (r, p) = held.pop_front().unwrap();
            put(core, r, p);
        }
    }
    set_cpu(0);
    for (r, p) in held {
        put(core, r, p);
    }
    check_quiet(core, 0, 0);
    flushed_with_clean
}

#[test]
fn with_several_cpus_flushes_start_before_clean_slots_run_out() {
    for (n, cpus, hold) in [(16, 2, 3), (32, 4, 6), (64, 4, 10)] {
        let core = pool(n, cpus);
        let flushes = stream(&core, 1000, hold);
        let early = core.stats.early_flushes.get();
        assert!(early > 0, "{n} slots, {cpus} CPUs: no early flush");
        assert_eq!(early, flushes.len() as u64, "{n} slots, {cpus} CPUs: every flush should be early");
        assert!(flushes.iter().all(|&c| c > 0), "{n} slots, {cpus} CPUs: clean slots before each flush: {flushes:?}");
    }
}

#[test]
fn with_one_cpu_there_is_no_low_watermark_and_no_early_flush() {
    let core = pool(16, 1);
    assert_eq!(core.low_watermark(), 0);
    let flushes = stream(&core, 1000, 3);
    assert_eq!(core.stats.early_flushes.get(), 0);
    assert!(flushes.len() > 10);
    // Each flush ran when the last clean slot was gone.
    assert!(flushes.iter().all(|&c| c == 0), "clean slots before each flush: {flushes:?}");
}

// ---------------------------------------------------------------------
// Flushes run outside any lock: hooks in the model window stop a thread
// in the middle of one.

/// CPU 0 runs an early flush and is stopped in its TLB flush; meanwhile
/// CPU 1 and CPU 0 (another thread) map, hit and release without waiting
/// for it.
#[test]
fn other_maps_go_on_while_an_early_flush_runs() {
    let core = pool(16, 2);
    // As in the low-watermark test: 12 misses on CPU 0 leave 4 clean slots
    // in the depot (2 of them region 1's); then 4 slots go idle.
    let mut refs: Vec<(SlotRef, u32)> = (0..12).map(|p| (get(&core, p).unwrap(), p)).collect();
    for _ in 0..4 {
        let (r, p) = refs.remove(0);
        put(&core, r, p);
    }
    let in_flush = Arc::new(AtomicBool::new(false));
    let go = Arc::new(AtomicBool::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    {
        let (in_flush, go, timed_out) = (in_flush.clone(), go.clone(), timed_out.clone());
        core.window().set_hook(Some(Arc::new(move |e| {
            if let Event::Flush { .. } = e {
                in_flush.store(true, SeqCst);
                if !wait_for(10, || go.load(SeqCst)) {
                    timed_out.store(true, SeqCst);
                }
            }
        })));
    }
    std::thread::scope(|s| {
        let flusher = s.spawn(|| {
            as_cpu(0, || {
                // A refill leaves 2 < 4 slots in the depot: an early flush.
                let r = get(&core, 100).unwrap();
                (r, core.stats.early_flushes.get())
            })
        });
        assert!(wait_for(10, || in_flush.load(SeqCst)), "no early flush started");
        let waits = core.stats.flush_waits.get();
        let mut mine = Vec::new();
        // CPU 1: a miss (a refill from region 1), a hit, a release.
        set_cpu(1);
        mine.push((get(&core, 200).unwrap(), 200));
        mine.push((get(&core, 11).unwrap(), 11));
        let (r, p) = mine.pop().unwrap();
        put(&core, r, p);
        // CPU 0, while CPU 0's other thread flushes: its magazine's slot.
        set_cpu(0);
        mine.push((get(&core, 201).unwrap(), 201));
        assert_eq!(core.stats.flush_waits.get(), waits, "a map waited for the flush");
        assert!(!timed_out.load(SeqCst));
        go.store(true, SeqCst);
        let (r, early) = flusher.join().unwrap();
        assert_eq!(early, 1);
        refs.push((r, 100));
        refs.extend(mine);
    });
    core.window().set_hook(None);
    assert!(!timed_out.load(SeqCst), "the maps during the flush did not finish in 10 s");
    assert_eq!(core.stats.flushes.get(), 1);
    for (r, p) in refs {
        put(&core, r, p);
    }
    check_quiet(&core, 0, 0);
    flush_all_quiet(&core);
}

/// Two CPUs miss on the same page while the first holds the page's lookup
/// chain (stopped in its PTE write): the second's lock-free lookup finds
/// nothing, it takes a clean slot of its own and spins on the chain; once
/// the first is done it must find the first's slot there, take a
/// reference on it and give its own clean slot back.
#[test]
fn two_cpus_miss_on_the_same_page_while_one_holds_the_chain() {
    let core = pool(16, 2);
    let (in_set, spinning, timed_out) =
        (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    {
        let (in_set, spinning, timed_out) = (in_set.clone(), spinning.clone(), timed_out.clone());
        core.window().set_hook(Some(Arc::new(move |e| match e {
            Event::Set { cpu: 0, pfn: 5, .. } => {
                in_set.store(true, SeqCst);
                if !wait_for(10, || spinning.load(SeqCst)) {
                    timed_out.store(true, SeqCst);
                }
            }
            Event::Relax { cpu: 1 } => spinning.store(true, SeqCst),
            _ => {}
        })));
    }
    let (mine, theirs) = std::thread::scope(|s| {
        let first = s.spawn(|| as_cpu(0, || get(&core, 5).unwrap()));
        assert!(wait_for(10, || in_set.load(SeqCst)));
        let second = s.spawn(|| as_cpu(1, || get(&core, 5).unwrap()));
        (first.join().unwrap(), second.join().unwrap())
    });
    core.window().set_hook(None);
    assert!(!timed_out.load(SeqCst), "CPU 1 never spun on the chain CPU 0 held");
    assert_eq!(mine.slot(), theirs.slot(), "page 5 in two slots");
    assert_eq!(core.view(mine.slot()), SlotView::Mapped { pfn: 5, users: 2 });
    assert_eq!(core.window().sets.load(SeqCst), 1);
    let t = core.totals();
    assert_eq!((t.hits, t.misses), (1, 1));
    // CPU 1 refilled (2 slots) and gave the one it took back.
    assert_eq!((core.clean(), core.cpu_view(1).unwrap().magazine), (15, 2));
    check_quiet(&core, 2, 1);
    put(&core, mine, 5);
    put(&core, theirs, 5);
    check_quiet(&core, 0, 0);
}

/// A map that finds no clean slot while another flush runs waits for it;
/// if that flush's slots are gone when it ends, but a slot went idle
/// meanwhile, the map must flush it rather than fail: `Full` is for "no
/// slot clean, none to flush, none in another magazine".
#[test]
fn a_map_that_waited_for_a_flush_flushes_what_went_idle_meanwhile() {
    let core = pool(8, 1);
    let mut refs: Vec<(SlotRef, u32)> = (0..8).map(|p| (get(&core, p).unwrap(), p)).collect();
    let (r0, p0) = refs.remove(0);
    put(&core, r0, p0);
    let (in_flush, go_a, spinning, go_b, timed_out) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    {
        let (in_flush, go_a, spinning, go_b, timed_out) =
            (in_flush.clone(), go_a.clone(), spinning.clone(), go_b.clone(), timed_out.clone());
        core.window().set_hook(Some(Arc::new(move |e| match e {
            Event::Flush { .. } if !in_flush.swap(true, SeqCst) => {
                if !wait_for(10, || go_a.load(SeqCst)) {
                    timed_out.fetch_add(1, SeqCst);
                }
            }
            Event::Relax { cpu: 1 } if !spinning.swap(true, SeqCst) => {
                if !wait_for(10, || go_b.load(SeqCst)) {
                    timed_out.fetch_add(1, SeqCst);
                }
            }
            _ => {}
        })));
    }
    let b_result = std::thread::scope(|s| {
        // A: an explicit flush of page 0's slot, stopped in its TLB flush.
        let a = s.spawn(|| as_cpu(0, || core.flush()));
        assert!(wait_for(10, || in_flush.load(SeqCst)));
        // B: a miss with nothing clean: it waits for A's flush (spinning).
        let b = s.spawn(|| as_cpu(1, || core.map(&100)));
        assert!(wait_for(10, || spinning.load(SeqCst)), "B did not wait for A's flush");
        // Meanwhile page 1's slot goes idle...
        let (r1, p1) = refs.remove(0);
        put(&core, r1, p1);
        go_a.store(true, SeqCst);
        assert_eq!(a.join().unwrap(), Flushed::Slots(1));
        // ...and the slot A flushed is taken by another miss.
        refs.push((get(&core, 200).unwrap(), 200));
        assert_eq!(core.clean(), 0);
        assert_eq!(core.idle(), 1);
        go_b.store(true, SeqCst);
        b.join().unwrap()
    });
    core.window().set_hook(None);
    assert_eq!(timed_out.load(SeqCst), 0);
    assert_eq!(core.stats.flush_waits.get(), 1);
    let r = b_result.unwrap_or_else(|e| {
        panic!(
            "B's map: {e:?}, with {} slot idle and nothing else in its way (flushes so far: {})",
            core.idle(),
            core.stats.flushes.get()
        )
    });
    core.window().hold(r.slot());
    refs.push((r, 100));
    for (r, p) in refs {
        put(&core, r, p);
    }
    check_quiet(&core, 0, 0);
}

// ---------------------------------------------------------------------
// Many threads, each one CPU.

/// Threads as CPUs map a few pages over and over (hits, misses, explicit
/// flushes that move pages between slots): all references held at once on
/// one page are on one slot, checked as they are taken; between rounds,
/// with every thread stopped, `view()` shows each page in one slot at most.
#[test]
fn a_page_is_never_in_two_slots() {
    let cpus = 4;
    let core = pool(32, cpus);
    let pages = 5u32;
    let rounds = 40;
    let per_round = 500;
    // page -> (slot, references held on it by the threads)
    let holders: Mutex<HashMap<u32, (u32, u32)>> = Mutex::new(HashMap::new());
    let barrier = Rendezvous::new(cpus);
    std::thread::scope(|s| {
        for t in 0..cpus {
            let (core, holders, barrier) = (&core, &holders, &barrier);
            s.spawn(move || {
                as_cpu(t as u32, || {
                    let _poison = core.window().poison_on_panic();
                    let mut rng = Rng::new(t as u64);
                    for round in 0..rounds {
                        let mut held: Vec<(SlotRef, u32)> = Vec::new();
                        for _ in 0..per_round {
                            match rng.below(8) {
                                0..=3 if held.len() < 3 => {
                                    let pfn = rng.below(u64::from(pages)) as u32;
                                    let r = get(core, pfn).expect("5 pages, 32 slots");
                                    let mut h = holders.lock().unwrap();
                                    let e = h.entry(pfn).or_insert((r.slot(), 0));
                                    if e.1 > 0 {
                                        assert_eq!(
                                            e.0,
                                            r.slot(),
                                            "page {pfn} in slot {} while held in slot {}",
                                            r.slot(),
                                            e.0
                                        );
                                    }
                                    *e = (r.slot(), e.1 + 1);
                                    drop(h);
                                    held.push((r, pfn));
                                }
                                4 => {
                                    core.flush();
                                }
                                _ if !held.is_empty() => {
                                    let (r, pfn) = held.swap_remove(rng.below(held.len() as u64) as usize);
                                    holders.lock().unwrap().get_mut(&pfn).unwrap().1 -= 1;
                                    put(core, r, pfn);
                                }
                                _ => {}
                            }
                        }
                        for (r, pfn) in held {
                            holders.lock().unwrap().get_mut(&pfn).unwrap().1 -= 1;
                            put(core, r, pfn);
                        }
                        if barrier.wait(core.window()) {
                            check_quiet(core, 0, 0);
                            if round % 2 == 0 {
                                flush_all_quiet(core);
                            }
                        }
                        barrier.wait(core.window());
                    }
                })
            });
        }
    });
    let t = core.totals();
    assert!(t.hits > t.misses && core.stats.flushes.get() > 10, "{t:?}, {} flushes", core.stats.flushes.get());
    check_quiet(&core, 0, 0);
}

/// Threads as CPUs over a working set larger than the pool, each holding
/// several mappings and dropping them in random order, with explicit
/// flushes now and then: the model checks every rule all along, and the
/// counts add up at the end.
fn hammer(slots: usize, cpus: usize, threads: usize, pages: u64, hold: usize, rounds: u32) {
    let core = pool(slots, cpus);
    let maps: Vec<AtomicU32> = (0..threads).map(|_| AtomicU32::new(0)).collect();
    let fulls = AtomicU32::new(0);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (core, maps, fulls) = (&core, &maps, &fulls);
            s.spawn(move || {
                as_cpu(t as u32, || {
                    let _poison = core.window().poison_on_panic();
                    let mut rng = Rng::new(1000 + t as u64);
                    let mut held: Vec<(SlotRef, u32)> = Vec::new();
                    for i in 0..rounds {
                        if held.len() < hold && rng.below(3) != 0 {
                            // Mostly a hot subset, sometimes anywhere.
                            let pfn = if rng.below(4) == 0 { rng.below(pages) } else { rng.below(pages / 4) } as u32;
                            match get(core, pfn) {
                                Ok(r) => {
                                    maps[t].fetch_add(1, SeqCst);
                                    held.push((r, pfn));
                                }
                                Err(MapError::Full) => {
                                    fulls.fetch_add(1, SeqCst);
                                    std::thread::yield_now();
                                }
                                Err(e) => panic!("{e:?}"),
                            }
                        } else if !held.is_empty() {
                            let (r, pfn) = held.swap_remove(rng.below(held.len() as u64) as usize);
                            put(core, r, pfn);
                        }
                        if i % 997 == 0 {
                            core.flush();
                        }
                    }
                    for (r, pfn) in held {
                        put(core, r, pfn);
                    }
                })
            });
        }
    });
    let t = core.totals();
    let st = &core.stats;
    let what = format!(
        "{slots} slots, {cpus} CPUs, {threads} threads: {t:?}, flushes {} early {} steals {} waits {} refills {} high water {} fulls {}",
        st.flushes.get(),
        st.early_flushes.get(),
        st.steals.get(),
        st.flush_waits.get(),
        st.refills.get(),
        st.high_water.load(SeqCst),
        fulls.load(SeqCst)
    );
    // Every map counted once (misses per CPU against the model's PTE sets
    // are checked by check_quiet).
    let m: u64 = maps.iter().map(|m| u64::from(m.load(SeqCst))).sum();
    assert_eq!(t.hits + t.misses, m, "{what}");
    assert_eq!(t.unmaps, m, "{what}");
    assert_eq!(t.in_use, 0, "{what}");
    assert!(t.hits > 0 && t.misses > 0 && st.flushes.get() > 0, "{what}");
    let hw = st.high_water.load(SeqCst);
    assert!(hw > 1 && hw <= slots as u32, "{what}");
    check_quiet(&core, 0, 0);
    flush_all_quiet(&core);
    eprintln!("{what}");
}

#[test]
fn hammer_4_cpus_32_slots() {
    hammer(32, 4, 4, 200, 4, 100_000);
}

#[test]
fn hammer_2_cpus_16_slots_8_threads() {
    // Two threads per CPU, up to 16 references held: Full happens.
    hammer(16, 2, 8, 60, 2, 40_000);
}

#[test]
fn hammer_1_cpu_8_slots() {
    hammer(8, 1, 3, 30, 2, 50_000);
}

/// One thread hits page 7 over and over (lock-free, racing every change of
/// its slot) while another keeps recycling that slot: releases it, flushes
/// it, and fills the pool with other pages, so that page 7's old slot soon
/// maps another page. A hit must never take a reference on the slot's new
/// life (the generation check): every read through a hit reaches page 7.
#[test]
fn a_stale_hit_never_reaches_a_recycled_slot() {
    let core = pool(8, 1);
    let stop = AtomicBool::new(false);
    let hits = AtomicU32::new(0);
    std::thread::scope(|s| {
        for cpu in [1, 2] {
            let (core, stop, hits) = (&core, &stop, &hits);
            s.spawn(move || {
                as_cpu(cpu, || {
                    let _poison = core.window().poison_on_panic();
                    while !stop.load(SeqCst) {
                        if let Some(r) = core.try_hit(7).unwrap() {
                            core.window().hold(r.slot());
                            assert_eq!(
                                read_word(core, &r, 7),
                                Ok(word_of(7)),
                                "a hit on page 7 reached slot {}",
                                r.slot()
                            );
                            hits.fetch_add(1, SeqCst);
                            put(core, r, 7);
                        } else {
                            std::thread::yield_now();
                        }
                    }
                })
            });
        }
        as_cpu(0, || {
            // The hitters stop when this ends, even by a panic.
            struct Stop<'a>(&'a AtomicBool);
            impl Drop for Stop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, SeqCst);
                }
            }
            let stop = Stop(&stop);
            let mut moved = 0;
            let start = Instant::now();
            let mut rounds = 0;
            while moved < 200 && start.elapsed() < Duration::from_secs(10) {
                rounds += 1;
                let r = match get(&core, 7) {
                    Ok(r) => r,
                    Err(MapError::Full) => continue,
                    Err(e) => panic!("{e:?}"),
                };
                let slot = r.slot();
                // Give the hitters a moment to take it too.
                let h = hits.load(SeqCst);
                for _ in 0..2000 {
                    if hits.load(SeqCst) != h {
                        break;
                    }
                    std::hint::spin_loop();
                }
                put(&core, r, 7);
                core.flush();
                // Fill the pool: page 7's slot, if flushed, gets another page.
                let mut others = Vec::new();
                for p in 100..108 {
                    match get(&core, p) {
                        Ok(r) => {
                            if r.slot() == slot {
                                moved += 1;
                            }
                            others.push((r, p));
                        }
                        Err(MapError::Full) => break,
                        Err(e) => panic!("{e:?}"),
                    }
                }
                for (r, p) in others {
                    put(&core, r, p);
                }
                core.flush();
            }
            drop(stop);
            eprintln!(
                "{rounds} rounds, page 7's slot given another page {moved} times, {} hits, {:?}",
                hits.load(SeqCst),
                start.elapsed()
            );
            assert!(moved >= 50, "page 7's slot was given another page only {moved} times");
        });
    });
    assert!(hits.load(SeqCst) > 100, "only {} hits", hits.load(SeqCst));
    check_quiet(&core, 0, 0);
}
