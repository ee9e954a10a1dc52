// SPDX-License-Identifier: GPL-2.0
//! Exhaustive model checking of the pool core's lock-free protocol with
//! `loom`: every interleaving (up to the preemption bound) of a hit, a last
//! release, a flush's claim and a new map on the same slots, against the
//! model window, which panics on any broken rule (a slot set before its
//! flush, cleared while held, or read through a clear PTE) and whose reads
//! return the frame a slot maps, so a hit that reached a recycled slot is
//! caught too.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test --release pool_loom`
//! (tools/test.sh does).

use crate::model::{pool, word_of, TestCore};
use crate::pool_core::{Locked, MapError, SlotRef};
use loom::sync::{Arc, Mutex};
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(3);
    b.check(f);
}

type Shared = Arc<(TestCore, Mutex<Locked<Vec<u32>>>)>;

fn shared(n: usize) -> Shared {
    let (core, l) = pool(n);
    Arc::new((core, Mutex::new(l)))
}

fn map(p: &Shared, pfn: u32) -> Result<SlotRef, MapError> {
    if let Some(r) = p.0.try_hit(pfn)? {
        return Ok(r);
    }
    p.0.map_locked(&mut p.1.lock().unwrap(), &pfn)
}

/// Reads through `r` and checks it reached page `pfn`.
fn check(p: &Shared, r: &SlotRef, pfn: u32) {
    let mut b = [0u8; 4];
    p.0.read(r, &pfn, 0, &mut b).expect("read through a held slot");
    assert_eq!(u32::from_le_bytes(b), word_of(pfn), "slot {} does not map pfn {pfn}", r.slot());
}

/// Holds `r` (as the model window counts it), checks, releases.
fn use_and_release(p: &Shared, r: SlotRef, pfn: u32) {
    let w = p.0.window();
    w.held[r.slot() as usize].fetch_add(1, crate::atomic::Ordering::SeqCst);
    check(p, &r, pfn);
    w.held[r.slot() as usize].fetch_sub(1, crate::atomic::Ordering::SeqCst);
    p.0.release(r).unwrap();
}

/// One slot, mapped once. Concurrently: its last release, a hit on the
/// same page, and (lock held) a flush claim followed by a new map of
/// another page. Whatever the order, nobody reads a slot that was cleared
/// or handed to the other page, and the counts add up.
#[test]
fn pool_loom_hit_vs_last_release_vs_flush_and_new_map() {
    model(|| {
        let p = shared(1);
        let first = map(&p, 7).unwrap();
        let releaser = {
            let p = p.clone();
            thread::spawn(move || p.0.release(first).map(|_| ()).unwrap())
        };
        let hitter = {
            let p = p.clone();
            thread::spawn(move || {
                if let Ok(Some(r)) = p.0.try_hit(7) {
                    use_and_release(&p, r, 7);
                }
            })
        };
        // This thread: flush, then map page 9 into the (only) slot if free.
        p.0.flush_locked(&mut p.1.lock().unwrap());
        match map(&p, 9) {
            Ok(r) => use_and_release(&p, r, 9),
            Err(MapError::Full) => {}
            Err(e) => panic!("{e:?}"),
        }
        releaser.join().unwrap();
        hitter.join().unwrap();
        let st = &p.0.stats;
        assert_eq!(st.maps(), st.unmaps.get());
        assert_eq!(p.0.in_use(), 0);
        assert_eq!(p.1.lock().unwrap().free_slots() as u32 + p.0.idle(), 1);
    });
}

/// Two slots, two pages both idle. Two threads map both pages (hit or
/// miss) while a third flushes: every map reaches its own page.
#[test]
fn pool_loom_two_mappers_and_a_flush() {
    model(|| {
        let p = shared(2);
        for pfn in [1, 2] {
            let r = map(&p, pfn).unwrap();
            p.0.release(r).unwrap();
        }
        let threads: Vec<_> = [1u32, 2]
            .into_iter()
            .map(|pfn| {
                let p = p.clone();
                thread::spawn(move || match map(&p, pfn) {
                    Ok(r) => use_and_release(&p, r, pfn),
                    Err(MapError::Full) => {}
                    Err(e) => panic!("{e:?}"),
                })
            })
            .collect();
        p.0.flush_locked(&mut p.1.lock().unwrap());
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(p.0.in_use(), 0);
        assert_eq!(p.1.lock().unwrap().free_slots() as u32 + p.0.idle(), 2);
    });
}

/// Two hits on the same idle slot race its last release by a third
/// holder: the user count never loses an update.
#[test]
fn pool_loom_concurrent_hits_and_release_count_exactly() {
    model(|| {
        let p = shared(1);
        let held = map(&p, 5).unwrap();
        let hits: Vec<_> = (0..2)
            .map(|_| {
                let p = p.clone();
                thread::spawn(move || p.0.try_hit(5).unwrap().expect("page 5 is mapped or idle"))
            })
            .collect();
        p.0.release(held).unwrap();
        let refs: Vec<SlotRef> = hits.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(p.0.in_use(), 1);
        let last: Vec<bool> = refs.into_iter().map(|r| p.0.release(r).unwrap()).collect();
        assert_eq!(last, [false, true]);
        assert_eq!(p.0.idle(), 1);
    });
}
