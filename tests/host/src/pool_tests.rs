// SPDX-License-Identifier: GPL-2.0
//! The pool core against a model window that checks the rules the kernel
//! relies on: a slot is set only when its PTE is clear and flushed from
//! every TLB, never cleared while someone holds it, and a mapping always
//! points at the page it was asked for.

use crate::pool_core::{Core, Locked, MapError, SlotView, Window};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::Mutex;

struct Model {
    /// pfn + 1 per slot, 0 when clear.
    pte: Vec<AtomicU32>,
    /// Cleared but maybe still in some TLB.
    stale_tlb: Vec<AtomicBool>,
    /// References the test itself holds per slot.
    held: Vec<AtomicU32>,
    sets: AtomicU64,
    flush_calls: AtomicU64,
    clock: AtomicU64,
}

impl Model {
    fn new(n: usize) -> Self {
        let v = |_| AtomicU32::new(0);
        Model {
            pte: (0..n).map(v).collect(),
            stale_tlb: (0..n).map(|_| AtomicBool::new(false)).collect(),
            held: (0..n).map(v).collect(),
            sets: AtomicU64::new(0),
            flush_calls: AtomicU64::new(0),
            clock: AtomicU64::new(0),
        }
    }
}

impl Window for Model {
    type Page = u32;
    fn set(&self, slot: u32, pfn: &u32) {
        let s = slot as usize;
        assert_eq!(self.pte[s].load(SeqCst), 0, "slot {slot} set while its PTE is still set");
        assert!(!self.stale_tlb[s].load(SeqCst), "slot {slot} reused before the flush that covers it");
        self.pte[s].store(pfn + 1, SeqCst);
        self.sets.fetch_add(1, SeqCst);
    }
    fn clear(&self, slot: u32) {
        let s = slot as usize;
        assert_eq!(self.held[s].load(SeqCst), 0, "slot {slot} cleared while held");
        self.pte[s].store(0, SeqCst);
        self.stale_tlb[s].store(true, SeqCst);
    }
    fn flush(&self, slots: &[u32]) {
        for &s in slots {
            self.stale_tlb[s as usize].store(false, SeqCst);
        }
        self.flush_calls.fetch_add(1, SeqCst);
    }
    fn now_ns(&self) -> u64 {
        self.clock.fetch_add(10, SeqCst)
    }
}

type TestCore = Core<Vec<AtomicU32>>;

fn pool(n: usize) -> (TestCore, Mutex<Locked<Vec<u32>>>, Model) {
    let v = |k: usize| (0..k).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
    let core = Core::new(v(n), v(n), v(n), v((2 * n).next_power_of_two()));
    (core, Mutex::new(Locked::new(vec![0; n], vec![0; n])), Model::new(n))
}

/// The pool's map path: lock-free hit, else the locked slow path.
fn map(core: &TestCore, l: &Mutex<Locked<Vec<u32>>>, w: &Model, pfn: u32) -> Result<u32, MapError> {
    if let Some(slot) = core.try_hit(pfn)? {
        return Ok(slot);
    }
    core.map_locked(&mut l.lock().unwrap(), pfn, &pfn, w)
}

#[test]
fn same_page_same_slot_with_counts() {
    let (core, l, w) = pool(8);
    let a = map(&core, &l, &w, 100).unwrap();
    let b = map(&core, &l, &w, 100).unwrap();
    assert_eq!(a, b);
    assert_eq!(core.view(a), SlotView::Mapped { pfn: 100, users: 2 });
    assert_eq!((core.stats.hits.get(), core.stats.misses.get()), (1, 1));
    let other = map(&core, &l, &w, 200).unwrap();
    assert_ne!(other, a);
    assert!(!core.release(a));
    assert!(core.release(a));
    assert_eq!(core.view(a), SlotView::Mapped { pfn: 100, users: 0 });
    assert_eq!((core.in_use(), core.idle()), (1, 1));
    // An idle slot comes back without touching the PTE.
    let sets = w.sets.load(SeqCst);
    assert_eq!(map(&core, &l, &w, 100).unwrap(), a);
    assert_eq!(w.sets.load(SeqCst), sets);
    assert_eq!(core.stats.high_water.load(SeqCst), 2);
}

#[test]
fn full_pool_flushes_all_idle_slots_in_one_batch() {
    let n = 16;
    let (core, l, w) = pool(n);
    let slots: Vec<u32> = (0..n as u32).map(|p| map(&core, &l, &w, p).unwrap()).collect();
    assert_eq!(map(&core, &l, &w, 999), Err(MapError::Full));
    assert_eq!(core.stats.flushes.get(), 0);
    for s in &slots {
        core.release(*s);
    }
    assert_eq!(core.idle(), n as u32);
    // The next miss flushes all 16 idle slots at once.
    map(&core, &l, &w, 1000).unwrap();
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(core.stats.slots_flushed.get(), n as u64);
    assert_eq!(w.flush_calls.load(SeqCst), 1);
    // The flushed slots' PTEs are clear (but the one just taken).
    let clear = (0..n).filter(|&s| w.pte[s].load(SeqCst) == 0).count();
    assert_eq!(clear, n - 1);
    // 15 more misses fit without another flush.
    for p in 2000..2000 + n as u32 - 1 {
        map(&core, &l, &w, p).unwrap();
    }
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(map(&core, &l, &w, 5000), Err(MapError::Full));
    assert!(core.stats.flush_ns.get() > 0);
}

#[test]
fn flushed_pages_are_no_longer_hits() {
    let (core, l, w) = pool(2);
    let a = map(&core, &l, &w, 7).unwrap();
    core.release(a);
    core.flush_locked(&mut l.lock().unwrap(), &w);
    assert_eq!(core.view(a), SlotView::Free);
    assert_eq!(core.try_hit(7), Ok(None));
    assert_eq!(l.lock().unwrap().free_slots(), 2);
}

#[test]
fn counters_carry_into_the_high_word() {
    let c = crate::pool_core::Counter::default();
    c.add(u64::from(u32::MAX));
    c.add(2);
    assert_eq!(c.get(), u64::from(u32::MAX) + 2);
    c.add(5 << 32);
    assert_eq!(c.get(), (5 << 32) + u64::from(u32::MAX) + 2);
}

#[test]
fn many_threads_random_maps_keep_every_rule() {
    let n = 16;
    let (core, l, w) = pool(n);
    let threads = 8;
    let rounds = 20_000;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (core, l, w) = (&core, &l, &w);
            s.spawn(move || {
                let mut x: u64 = 0x2545_f491_4f6c_dd1d ^ (t as u64 + 1);
                let mut rnd = move || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                };
                let mut held: Vec<(u32, u32)> = Vec::new();
                for _ in 0..rounds {
                    if held.len() < 3 && rnd() % 3 != 0 {
                        // 40 pages over 16 slots: hits, misses and flushes.
                        let pfn = (rnd() % 40) as u32;
                        match map(core, l, w, pfn) {
                            Ok(slot) => {
                                w.held[slot as usize].fetch_add(1, SeqCst);
                                assert_eq!(w.pte[slot as usize].load(SeqCst), pfn + 1, "slot {slot} does not map pfn {pfn}");
                                held.push((slot, pfn));
                            }
                            Err(MapError::Full) => std::thread::yield_now(),
                            Err(e) => panic!("{e:?}"),
                        }
                    } else if !held.is_empty() {
                        let (slot, pfn) = held.swap_remove((rnd() as usize) % held.len());
                        assert_eq!(w.pte[slot as usize].load(SeqCst), pfn + 1);
                        w.held[slot as usize].fetch_sub(1, SeqCst);
                        core.release(slot);
                    }
                }
                for (slot, _) in held {
                    w.held[slot as usize].fetch_sub(1, SeqCst);
                    core.release(slot);
                }
            });
        }
    });
    let st = &core.stats;
    assert_eq!(st.maps(), st.unmaps.get());
    assert!(st.hits.get() > 0 && st.misses.get() > 0 && st.flushes.get() > 0, "hits {} misses {} flushes {}", st.hits.get(), st.misses.get(), st.flushes.get());
    assert_eq!(core.in_use(), 0);
    let free = l.lock().unwrap().free_slots() as u32;
    assert_eq!(free + core.idle(), n as u32);
    let hw = core.stats.high_water.load(SeqCst);
    assert!(hw > 1 && hw <= n as u32, "high water {hw}");
}
