// SPDX-License-Identifier: GPL-2.0
//! The pool core against the model window (`crate::model`), which asserts
//! the rules the kernel relies on, with one thread and with many.

use crate::model::{pool, word_of, TestCore};
use crate::pool_core::{Locked, MapError, SlotRef, SlotView};
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Mutex;

/// The pool's map path: lock-free hit, else the locked slow path.
fn map(core: &TestCore, l: &Mutex<Locked<Vec<u32>>>, pfn: u32) -> Result<SlotRef, MapError> {
    if let Some(r) = core.try_hit(pfn)? {
        return Ok(r);
    }
    core.map_locked(&mut l.lock().unwrap(), &pfn)
}

fn setup(n: usize) -> (TestCore, Mutex<Locked<Vec<u32>>>) {
    let (core, l) = pool(n);
    (core, Mutex::new(l))
}

/// Reads the first word of the page through `r`, as the page `pfn`.
fn read_word(core: &TestCore, r: &SlotRef, pfn: u32) -> Result<u32, ()> {
    let mut b = [0u8; 4];
    core.read(r, &pfn, 0, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

#[test]
fn same_page_same_slot_with_counts() {
    let (core, l) = setup(8);
    let a = map(&core, &l, 100).unwrap();
    let b = map(&core, &l, 100).unwrap();
    let slot = a.slot();
    assert_eq!(slot, b.slot());
    assert_eq!(core.view(slot), SlotView::Mapped { pfn: 100, users: 2 });
    assert_eq!((core.stats.hits.get(), core.stats.misses.get()), (1, 1));
    let other = map(&core, &l, 200).unwrap();
    assert_ne!(other.slot(), slot);
    assert_eq!(core.release(a), Ok(false));
    assert_eq!(core.release(b), Ok(true));
    assert_eq!(core.view(slot), SlotView::Mapped { pfn: 100, users: 0 });
    assert_eq!((core.in_use(), core.idle()), (1, 1));
    // An idle slot comes back without touching the PTE.
    let sets = core.window().sets.load(SeqCst);
    let again = map(&core, &l, 100).unwrap();
    assert_eq!(again.slot(), slot);
    assert_eq!(core.window().sets.load(SeqCst), sets);
    assert_eq!(core.stats.high_water.load(SeqCst), 2);
    assert_eq!(read_word(&core, &again, 100), Ok(word_of(100)));
}

#[test]
fn full_pool_flushes_all_idle_slots_in_one_batch() {
    let n = 16;
    let (core, l) = setup(n);
    let refs: Vec<SlotRef> = (0..n as u32).map(|p| map(&core, &l, p).unwrap()).collect();
    assert_eq!(map(&core, &l, 999).unwrap_err(), MapError::Full);
    assert_eq!(core.stats.flushes.get(), 0);
    for r in refs {
        core.release(r).unwrap();
    }
    assert_eq!(core.idle(), n as u32);
    // The next miss flushes all 16 idle slots at once.
    let _keep = map(&core, &l, 1000).unwrap();
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(core.stats.slots_flushed.get(), n as u64);
    assert_eq!(core.window().flush_calls.load(SeqCst), 1);
    // The flushed slots' PTEs are clear (but the one just taken).
    let clear = (0..n).filter(|&s| core.window().pte[s].load(SeqCst) == 0).count();
    assert_eq!(clear, n - 1);
    // 15 more misses fit without another flush.
    let more: Vec<SlotRef> = (2000..2000 + n as u32 - 1).map(|p| map(&core, &l, p).unwrap()).collect();
    assert_eq!(core.stats.flushes.get(), 1);
    assert_eq!(map(&core, &l, 5000).unwrap_err(), MapError::Full);
    assert!(core.stats.flush_ns.get() > 0);
    drop(more);
}

#[test]
fn flushed_pages_are_no_longer_hits() {
    let (core, l) = setup(2);
    let a = map(&core, &l, 7).unwrap();
    let slot = a.slot();
    core.release(a).unwrap();
    core.flush_locked(&mut l.lock().unwrap());
    assert_eq!(core.view(slot), SlotView::Free);
    assert!(core.try_hit(7).unwrap().is_none());
    assert_eq!(l.lock().unwrap().free_slots(), 2);
}

#[test]
fn tokens_and_locked_halves_of_another_pool_are_refused() {
    let (a, la) = setup(4);
    let (b, lb) = setup(4);
    let ra = map(&a, &la, 5).unwrap();
    // b's slot 0 is free: a's token for slot 0 must not touch it.
    assert_eq!(ra.slot(), 0);
    assert_eq!(read_word(&b, &ra, 5), Err(()));
    assert!(b.write(&ra, &mut 5, 0, &[1]).is_err());
    assert_eq!(b.check_on_each_cpu(&[(&ra, &5, 0, 5)]), (0, 1));
    assert_eq!(b.release(ra), Err(MapError::WrongPool));
    // The token went into b's release and was refused there: a's slot stays
    // held (leaked), which is the safe outcome.
    assert_eq!(a.view(0), SlotView::Mapped { pfn: 5, users: 1 });
    assert_eq!(a.map_locked(&mut lb.lock().unwrap(), &9).unwrap_err(), MapError::WrongPool);
    assert_eq!(b.flush_locked(&mut la.lock().unwrap()), 0);
}

#[test]
fn access_needs_the_page_the_slot_maps() {
    let (core, l) = setup(4);
    let r = map(&core, &l, 40).unwrap();
    assert_eq!(read_word(&core, &r, 40), Ok(word_of(40)));
    // The same token with another page is refused: no access to page 41's
    // memory through page 40's slot.
    assert_eq!(read_word(&core, &r, 41), Err(()));
    assert!(core.write(&r, &mut 41, 0, &[1]).is_err());
    assert!(core.write(&r, &mut 40, 0, &[1]).is_ok());
    // Past the page.
    let mut b = [0u8; 8];
    assert!(core.read(&r, &40, 4092, &mut b).is_err());
    assert_eq!(core.check_on_each_cpu(&[(&r, &40, 0, word_of(40))]), (2, 0));
    assert_eq!(core.check_on_each_cpu(&[(&r, &40, 0, 12345)]), (2, 2));
    assert_eq!(core.check_on_each_cpu(&[(&r, &41, 0, word_of(41))]), (0, 1));
    core.release(r).unwrap();
}

#[test]
fn parts_must_fit_the_window() {
    use crate::atomic::AtomicU32;
    use crate::model::Model;
    use crate::pool_core::{Core, Parts};
    let v = |k: usize| (0..k).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
    let parts = |n: usize, buckets: usize| Parts { state: v(n), pfn: v(n), next: v(n), buckets: v(buckets), free: vec![0; n], scratch: vec![0; n] };
    assert!(Core::new(Model::new(4), parts(3, 8)).is_err());
    assert!(Core::new(Model::new(4), parts(4, 6)).is_err());
    assert!(Core::new(Model::new(4), parts(4, 1)).is_err());
    assert!(Core::new(Model::new(4), parts(4, 8)).is_ok());
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
    let (core, l) = setup(n);
    let threads = 8;
    let rounds = 20_000;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (core, l) = (&core, &l);
            s.spawn(move || {
                let w = core.window();
                let mut x: u64 = 0x2545_f491_4f6c_dd1d ^ (t as u64 + 1);
                let mut rnd = move || {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x
                };
                let mut held: Vec<(SlotRef, u32)> = Vec::new();
                for _ in 0..rounds {
                    if held.len() < 3 && rnd() % 3 != 0 {
                        // 40 pages over 16 slots: hits, misses and flushes.
                        let pfn = (rnd() % 40) as u32;
                        match map(core, l, pfn) {
                            Ok(r) => {
                                w.held[r.slot() as usize].fetch_add(1, SeqCst);
                                assert_eq!(read_word(core, &r, pfn), Ok(word_of(pfn)), "slot {} does not map pfn {pfn}", r.slot());
                                held.push((r, pfn));
                            }
                            Err(MapError::Full) => std::thread::yield_now(),
                            Err(e) => panic!("{e:?}"),
                        }
                    } else if !held.is_empty() {
                        let (r, pfn) = held.swap_remove((rnd() as usize) % held.len());
                        assert_eq!(read_word(core, &r, pfn), Ok(word_of(pfn)));
                        w.held[r.slot() as usize].fetch_sub(1, SeqCst);
                        core.release(r).unwrap();
                    }
                }
                for (r, _) in held {
                    w.held[r.slot() as usize].fetch_sub(1, SeqCst);
                    core.release(r).unwrap();
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
