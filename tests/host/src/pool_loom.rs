// SPDX-License-Identifier: GPL-2.0
//! Exhaustive model checking of the pool core's lock-free protocol with
//! `loom`: every interleaving (up to 3 preemptions) of small cases with two
//! or three threads, each one CPU of the model window. The window panics on
//! any broken rule (a slot set before its flush, cleared while held, read
//! through a clear PTE, a TLB flush with the CPU pinned, unpaired pins);
//! its PTEs are loom cells, so an access to one that the core does not
//! order after the previous one is a causality violation; and reads return
//! the frame a slot maps, so a hit that reached a recycled slot is caught
//! too. Each case ends, quiet, with `check_quiet`: every slot in use, idle
//! and listed exactly once, or clean; no page in two slots; the counters
//! consistent.
//!
//! The core wants at least 8 slots per CPU: the cases use 8 slots on one
//! CPU or 16 on two, most of them held by the setup so that the few left
//! are the ones the threads race for.
//!
//! One thing loom 0.7 cannot model: a bit lock in a word its holder also
//! stores plainly (the lookup chains' bucket words), when another thread's
//! `fetch_or` fails on it (tokio-rs/loom#254: loom does not order a plain
//! store after a concurrent RMW that read the value before it, so it may
//! lose the holder's store). So only one thread takes bucket locks in these
//! cases but (b), which runs its two CPUs without preemptions; contended
//! chains are tested on real atomics in `pool_tests`.
//!
//! Run with: `RUSTFLAGS="--cfg loom" cargo test --release pool_loom`
//! (tools/test.sh does).

use crate::model::{as_cpu, check_quiet, get, pins, pool, put, read_word, word_of, TestCore};
use crate::pool_core::{Flushed, MapError, SlotRef, SlotView};
use loom::sync::Arc;
use loom::thread;

fn model(f: impl Fn() + Sync + Send + 'static) {
    model_bound(3, f)
}

fn model_bound(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = executions.clone();
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(preemptions);
    // The setup (filling the pool) alone takes a few hundred atomic
    // operations, each a branch point.
    b.max_branches = 100_000;
    b.check(move || {
        counted.fetch_add(1, SeqCst);
        f();
        assert_eq!(pins(), 0, "the model's main thread ends with its CPU pinned");
    });
    eprintln!("{} executions, up to {preemptions} preemptions", executions.load(SeqCst));
}

/// Spawns a thread that runs `f` as CPU `cpu`.
fn spawn<R: Send + 'static>(cpu: u32, f: impl FnOnce() -> R + Send + 'static) -> thread::JoinHandle<R> {
    thread::spawn(move || as_cpu(cpu, f))
}

/// A pool of `n` slots on `cpus` CPUs whose slots are all held but
/// `free` (pages 1000, 1001, ... on CPU 0), and those references.
fn filled(n: usize, cpus: usize, free: u32) -> (Arc<TestCore>, Vec<(SlotRef, u32)>) {
    let core = pool(n, cpus);
    let held = (1000..1000 + n as u32 - free).map(|p| (get(&core, p).unwrap(), p)).collect();
    (Arc::new(core), held)
}

/// Drops the setup's references and checks the quiet pool.
fn finish(core: &TestCore, held: Vec<(SlotRef, u32)>) {
    for (r, p) in held {
        put(core, r, p);
    }
    check_quiet(core, 0, 0);
    // Whatever is idle is flushable: nothing was lost from the lists.
    let idle = core.idle() as usize;
    assert_eq!(core.flush(), Flushed::Slots(idle));
    assert_eq!((core.idle(), core.clean()), (0, core.slots()));
    check_quiet(core, 0, 0);
}

/// Maps `pfn`, checks the slot reaches it and releases it; `Full` is
/// allowed (when the flush could not take the slot in time).
fn map_use_release(core: &TestCore, pfn: u32) -> bool {
    match get(core, pfn) {
        Ok(r) => {
            put(core, r, pfn);
            true
        }
        Err(MapError::Full) => false,
        Err(e) => panic!("{e:?}"),
    }
}

/// (a) One free slot, mapping page 7 once. Concurrently: its last release,
/// a hit on page 7, and a flush followed by a new map of page 9, which can
/// only get that same slot once it is flushed. Whatever the order, nobody
/// reads a slot that was cleared or handed to the other page.
#[test]
fn pool_loom_hit_vs_last_release_vs_flush_and_new_map() {
    model(|| {
        let (core, held) = filled(8, 1, 1);
        let first = get(&core, 7).unwrap();
        let releaser = {
            let core = core.clone();
            spawn(0, move || {
                put(&core, first, 7);
            })
        };
        let hitter = {
            let core = core.clone();
            spawn(0, move || {
                if let Some(r) = core.try_hit(7).unwrap() {
                    core.window().hold(r.slot());
                    put(&core, r, 7);
                }
            })
        };
        core.flush();
        map_use_release(&core, 9);
        releaser.join().unwrap();
        hitter.join().unwrap();
        finish(&core, held);
    });
}

/// (b) Two CPUs miss on the same page at once, each with a clean slot in
/// its magazine: exactly one slot ends up mapping the page, both get a
/// reference to it, one PTE is set, and the other CPU's clean slot goes
/// back to its magazine (nothing leaks).
///
/// Run without preemptions: the threads switch only where the model
/// window yields, just before each pin and after each unpin, so one CPU
/// misses (its lock-free lookup finds nothing), stops before taking its
/// clean slot, the other maps the page, and the first's install must then
/// find that slot under the chain's lock; loom checks every value each
/// load may return meanwhile. Why not every interleaving: loom 0.7 does
/// not apply RMW atomicity to a plain store of another thread
/// (tokio-rs/loom#254, fix unreleased), and a bucket word is both a bit
/// lock (`fetch_or`) and a chain head its holder stores plainly, so when
/// one CPU's `fetch_or` fails on the bucket the other holds, loom may lose
/// the holder's store of the new head (or let the waiter spin forever),
/// which no real CPU (nor the C11 model) allows. The contended case is
/// covered on real atomics by
/// `pool_tests::two_cpus_miss_on_the_same_page_while_one_holds_the_chain`.
#[test]
fn pool_loom_two_cpus_miss_on_the_same_page() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    static BOTH_MISSED: AtomicUsize = AtomicUsize::new(0);
    // Either CPU first: with `first_yield`, the main thread (CPU 0) lets
    // the other run first.
    for first_yield in [false, true] {
        model_bound(0, move || {
            RUNS.fetch_add(1, SeqCst);
            let core = Arc::new(pool(16, 2));
            // Each CPU's magazine gets its batch (2) and keeps one clean slot.
            for (cpu, p) in [(0, 100), (1, 101)] {
                as_cpu(cpu, || {
                    let r = get(&core, p).unwrap();
                    put(&core, r, p);
                });
            }
            let w = core.window();
            w.yield_at_pins.store(true, SeqCst);
            let other = {
                let core = core.clone();
                spawn(1, move || get(&core, 5).unwrap())
            };
            if first_yield {
                thread::yield_now();
            }
            let mine = get(&core, 5).unwrap();
            let theirs = other.join().unwrap();
            w.yield_at_pins.store(false, SeqCst);
            // Both took the miss path: both pinned to take a clean slot.
            if w.pins_on(0) > 1 && w.pins_on(1) > 1 {
                BOTH_MISSED.fetch_add(1, SeqCst);
            }
            assert_eq!(mine.slot(), theirs.slot(), "page 5 in two slots");
            let slot = mine.slot();
            assert_eq!(core.view(slot), SlotView::Mapped { pfn: 5, users: 2 });
            assert_eq!(w.sets.load(SeqCst), 3, "one PTE set for page 5");
            let t = core.totals();
            assert_eq!((t.hits, t.misses, t.in_use), (1, 3, 1));
            // The loser's slot went back to its magazine.
            assert_eq!(core.clean(), 13);
            let mags = [core.cpu_view(0).unwrap().magazine, core.cpu_view(1).unwrap().magazine];
            assert_eq!(mags[0] + mags[1], 1, "magazines {mags:?}");
            check_quiet(&core, 2, 1);
            assert!(!put(&core, mine, 5));
            assert!(put(&core, theirs, 5));
            check_quiet(&core, 0, 0);
        });
    }
    let (runs, both) = (RUNS.load(SeqCst), BOTH_MISSED.load(SeqCst));
    eprintln!("two CPUs miss: {runs} executions, {both} with both CPUs on the miss path");
    assert!(both >= 2, "{both} executions had both CPUs miss");
}

/// (c) A last release pushing its slot onto the dirty list races a flush
/// taking that list (which already holds another idle slot): no slot is
/// lost or listed twice, and whatever the flush did not take is taken by
/// the next one.
#[test]
fn pool_loom_last_release_vs_flush_taking_the_dirty_list() {
    model(|| {
        let (core, held) = filled(8, 1, 2);
        let a = get(&core, 1).unwrap();
        let b = get(&core, 2).unwrap();
        put(&core, a, 1);
        let releaser = {
            let core = core.clone();
            spawn(0, move || put(&core, b, 2))
        };
        let first = core.flush();
        assert!(releaser.join().unwrap());
        let Flushed::Slots(n) = first else { panic!("{first:?}: no other flush runs") };
        assert!(n == 1 || n == 2, "the first flush took {n} slots");
        // The pool is quiet: the slot the flush did not take is idle and on
        // the list once.
        check_quiet(&core, held.len() as u32, held.len() as u32);
        assert_eq!(core.idle(), 2 - n as u32);
        assert_eq!(core.cpu_view(0).unwrap().dirty, 2 - n as u32);
        finish(&core, held);
        // Pages 1 and 2 and the 6 others, each flushed once.
        assert_eq!(core.stats.slots_flushed.get(), 8);
    });
}

/// (c') The LISTED protocol with a hit: an idle, listed slot is taken back
/// by a hit and released again while a flush takes the list and claims or
/// unlists it. Its last release must list it again exactly when the flush
/// unlisted it, so that it stays flushable and is never listed twice.
#[test]
fn pool_loom_hit_and_release_vs_flush_unlisting() {
    model(|| {
        let (core, held) = filled(8, 1, 1);
        let a = get(&core, 1).unwrap();
        put(&core, a, 1);
        let user = {
            let core = core.clone();
            spawn(0, move || {
                if let Some(r) = core.try_hit(1).unwrap() {
                    core.window().hold(r.slot());
                    assert!(put(&core, r, 1));
                }
            })
        };
        let first = core.flush();
        user.join().unwrap();
        let Flushed::Slots(n) = first else { panic!("{first:?}: no other flush runs") };
        assert!(n <= 1);
        check_quiet(&core, held.len() as u32, held.len() as u32);
        assert_eq!(core.idle(), 1 - n as u32);
        // The fillers were never released: only page 1's slot may be listed,
        // and only while idle.
        assert_eq!(core.cpu_view(0).unwrap().dirty, 1 - n as u32, "dirty count after a flush of {n}");
        finish(&core, held);
        // Page 1 and the 7 others, each flushed once.
        assert_eq!(core.stats.slots_flushed.get(), 8);
    });
}

/// (d) The generation check: page 7's slot is idle and the only one not
/// held. One thread hits page 7 (lock-free, from a state it may have read
/// in the slot's previous life) while the other flushes the slot, maps
/// page 9 into it and releases it, which leaves the state word as it was
/// but for the generation. The hit must never reach page 9.
#[test]
fn pool_loom_stale_hit_vs_slot_recycled_for_another_page() {
    model(|| {
        let (core, held) = filled(8, 1, 1);
        let a = get(&core, 7).unwrap();
        put(&core, a, 7);
        let hitter = {
            let core = core.clone();
            spawn(0, move || {
                if let Some(r) = core.try_hit(7).unwrap() {
                    core.window().hold(r.slot());
                    assert_eq!(read_word(&core, &r, 7), Ok(word_of(7)));
                    put(&core, r, 7);
                }
            })
        };
        if core.flush() == Flushed::Slots(1) {
            // The only clean slot is page 7's old one.
            assert!(map_use_release(&core, 9));
        }
        hitter.join().unwrap();
        finish(&core, held);
    });
}

/// Two hits on the same slot race its last release by a third holder: the
/// user count never loses an update.
#[test]
fn pool_loom_concurrent_hits_and_release_count_exactly() {
    model(|| {
        let core = Arc::new(pool(8, 1));
        let first = get(&core, 5).unwrap();
        let hitter = {
            let core = core.clone();
            spawn(0, move || {
                let r = core.try_hit(5).unwrap().expect("page 5 is mapped or idle");
                core.window().hold(r.slot());
                r
            })
        };
        let mine = core.try_hit(5).unwrap().expect("page 5 is mapped");
        core.window().hold(mine.slot());
        put(&core, first, 5);
        let theirs = hitter.join().unwrap();
        assert_eq!(core.totals().in_use, 1);
        check_quiet(&core, 2, 1);
        let last = [put(&core, mine, 5), put(&core, theirs, 5)];
        assert_eq!(last, [false, true]);
        assert_eq!(core.idle(), 1);
        check_quiet(&core, 0, 0);
    });
}
