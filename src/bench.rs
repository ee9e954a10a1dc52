// SPDX-License-Identifier: GPL-2.0

//! The `bench` file: map, touch one word, unmap, on highmem pages, with
//! each of the kernel's mechanisms and hmkit's pool.
//!
//! A write `MECHANISM ITERATIONS WORKING_SET` runs the loop in the writer's
//! context on WORKING_SET private highmem pages taken in turn, and records
//! one sample (a signal stops the loop with `EINTR` and records none);
//! `hmctl bench` starts one writer per CPU at once for the
//! multi-threaded figures and computes ns per operation from the samples'
//! start and end times. Reading gives the last samples:
//!
//! ```text
//! seq mechanism iters wset cpu start_ns end_ns flushes flush_one0 flush_all0 remote0 remote_rcvd0 ipi_call0 ipi_tlb0 flush_one flush_all remote remote_rcvd ipi_call ipi_tlb
//! ```
//!
//! The last twelve are the kernel's own counters (`sys::Events`: the TLB
//! flush events of /proc/vmstat and the CAL and TLB IPIs of
//! /proc/interrupts, all CPUs), read right before and right after the
//! timed loop, so the page setup before it does not count: their values at
//! the start (`…0`, 32-bit, they wrap) and the increase during the loop;
//! -1 where the kernel has no such counter. They count whatever every CPU
//! did meanwhile, so loops that run together each see the others' events
//! (the values at the start let hmctl count the union of the loops once).
//!
//! `flushes` counts the TLB flushes the mechanism made during the run, as
//! hmkit sees them: for `kmap` and `kmap_hit` the wraps of the kernel's
//! pkmap (each flushes the whole pkmap on every CPU), counted in an untimed
//! pass of the same loop, for the pool its own flushes (each on every
//! CPU), for kmap_local and kmap_atomic one local `invlpg` per unmap (on
//! ARM, a local flush at map and another at unmap) and
//! for `lowmem` none, by construction; `-1` where hmkit cannot tell (vmap
//! and vm_map_ram flush in lazy batches of their own). The kernel's own
//! counts of the same events are in /proc/vmstat and /proc/interrupts,
//! which `hmctl bench` reads around each set of samples.
//!
//! - `lowmem`: lowmem pages read through the direct map (`page_address()`),
//!   no mapping work: the floor every other mechanism is compared with;
//! - `kmap_hit`: every page of the working set is mapped with kmap() and
//!   held first, so each kmap() finds its page in the pkmap (the working
//!   sets of all runs at once must fit in half the pkmap, else `EBUSY`);
//! - `pool_hit`: every page of the working set is mapped and held first, so
//!   each map finds its page in a slot;
//! - `pool_miss`: the working set should exceed the pool (hmctl uses twice
//!   its slots), so each map needs a new slot and flushes come in batches.

use crate::logic::parse::{parse_bench, Mechanism};
use crate::logic::pkmap::{reserve_kmap_holds, Geometry, WrapCounter};
use crate::pool::{Pool, PoolMap, Wait};
use crate::sys;
use crate::sys::highmem::{Kmap, OwnedPage};
use core::fmt;
use core::hint::black_box;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::time::Ktime;

/// How many samples the file keeps.
const KEEP: usize = 256;

#[derive(Clone, Copy)]
struct Sample {
    seq: u64,
    mech: Mechanism,
    iters: u32,
    wset: u32,
    cpu: u32,
    start_ns: i64,
    end_ns: i64,
    flushes: i64,
    events0: [i64; 6],
    events: [i64; 6],
}

/// The last `KEEP` samples, a ring.
struct Samples {
    ring: KVec<Sample>,
    next_seq: u64,
}

pub(crate) struct Bench {
    pool: Arc<Pool>,
    samples: Arc<Mutex<Samples>>,
    /// pkmap slots that running `kmap_hit` loops hold, all writers together.
    kmap_held: AtomicUsize,
}

impl Bench {
    pub(crate) fn new(pool: Arc<Pool>) -> Result<Self> {
        let samples = Samples { ring: KVec::with_capacity(KEEP, GFP_KERNEL)?, next_seq: 1 };
        Ok(Bench {
            pool,
            samples: Arc::pin_init(kernel::new_mutex!(samples, "hmkit_bench"), GFP_KERNEL)?,
            kmap_held: AtomicUsize::new(0),
        })
    }
}

/// A share of the pkmap's slots that one `kmap_hit` loop may hold, given
/// back on drop.
struct KmapHolds<'a> {
    held: &'a AtomicUsize,
    n: usize,
}

impl<'a> KmapHolds<'a> {
    /// Reserves `n` slots, or `EBUSY` when the runs at once would hold more
    /// than half the pkmap (see `logic::pkmap::kmap_hold_budget`).
    fn reserve(held: &'a AtomicUsize, n: usize) -> Result<Self> {
        let slots = sys::layout().last_pkmap;
        held.fetch_update(Ordering::AcqRel, Ordering::Acquire, |h| reserve_kmap_holds(h, n, slots))
            .map_err(|_| EBUSY)?;
        Ok(KmapHolds { held, n })
    }
}

impl Drop for KmapHolds<'_> {
    fn drop(&mut self) {
        self.held.fetch_sub(self.n, Ordering::AcqRel);
    }
}

/// One timed loop: its start and end times, and the kernel's events in
/// between.
struct Timed {
    start_ns: i64,
    end_ns: i64,
    events0: [i64; 6],
    events: [i64; 6],
}

/// Runs `op` on each page in turn, `iters` times in all. Stops with
/// `EINTR` on a signal.
fn timed(pages: &[OwnedPage], iters: u32, mut op: impl FnMut(&OwnedPage) -> Result) -> Result<Timed> {
    let before = sys::Events::read();
    let start = Ktime::ktime_get().to_ns();
    let mut i = 0;
    for n in 0..iters {
        if n % sys::CHECK_EVERY == sys::CHECK_EVERY - 1 {
            sys::breather()?;
        }
        op(&pages[i])?;
        i += 1;
        if i == pages.len() {
            i = 0;
        }
    }
    let end_ns = Ktime::ktime_get().to_ns();
    Ok(Timed { start_ns: start, end_ns, events0: before.counts(), events: sys::Events::read().since(&before) })
}

fn run(pool: &Pool, kmap_held: &AtomicUsize, mech: Mechanism, iters: u32, wset: u32) -> Result<Sample> {
    // Before any page is taken: a refusal costs nothing.
    let holds = match mech {
        Mechanism::KmapHit => Some(KmapHolds::reserve(kmap_held, wset as usize)?),
        _ => None,
    };
    let mut pages = KVec::with_capacity(wset as usize, GFP_KERNEL)?;
    for n in 0..wset {
        if n % sys::CHECK_EVERY == sys::CHECK_EVERY - 1 {
            sys::breather()?;
        }
        // Not cleared: clearing maps highmem pages with kmap_local, whose
        // flushes would land in the kernel's counts of other writers' loops.
        let page = OwnedPage::alloc_unzeroed(mech != Mechanism::Lowmem)?;
        pages.push(page, GFP_KERNEL)?;
    }
    let pages = &pages[..];
    let cpu = sys::current_cpu();
    let off = 64;
    let mut flushes: i64 = -1;
    let t = match mech {
        Mechanism::Lowmem => {
            flushes = 0;
            timed(pages, iters, |p| {
                black_box(p.direct_map().ok_or(EINVAL)?[off]);
                Ok(())
            })?
        }
        Mechanism::KmapLocal => {
            flushes = i64::from(iters) * sys::KMAP_LOCAL_FLUSHES_PER_OP;
            timed(pages, iters, |p| {
                black_box(p.map_local(|b| b[off])?);
                Ok(())
            })?
        }
        Mechanism::KmapAtomic => {
            flushes = i64::from(iters) * sys::KMAP_LOCAL_FLUSHES_PER_OP;
            timed(pages, iters, |p| {
                let mut b = [0u8; 1];
                p.atomic_read(off, &mut b)?;
                black_box(b);
                Ok(())
            })?
        }
        Mechanism::Kmap => {
            let t = timed(pages, iters, |p| {
                black_box(p.kmap().bytes()[off]);
                Ok(())
            })?;
            flushes = kmap_wraps(pages, iters)?;
            t
        }
        Mechanism::KmapHit => {
            let mut held: KVec<Kmap<'_>> = KVec::with_capacity(pages.len(), GFP_KERNEL)?;
            for (n, p) in pages.iter().enumerate() {
                if n as u32 % sys::CHECK_EVERY == sys::CHECK_EVERY - 1 {
                    sys::breather()?;
                }
                held.push(p.kmap(), GFP_KERNEL)?;
            }
            let t = timed(pages, iters, |p| {
                black_box(p.kmap().bytes()[off]);
                Ok(())
            })?;
            // Still held: the pass finds every page in its slot.
            flushes = kmap_wraps(pages, iters)?;
            drop(held);
            t
        }
        Mechanism::PoolHit => {
            let mut held: KVec<PoolMap<'_>> = KVec::with_capacity(pages.len(), GFP_KERNEL)?;
            for p in pages {
                held.push(pool.map(p, Wait::No)?, GFP_KERNEL)?;
            }
            let before = pool.stats_flushes();
            let t = timed(pages, iters, |p| {
                let m = pool.map(p, Wait::No)?;
                black_box(m.bytes()?[off]);
                Ok(())
            })?;
            flushes = (pool.stats_flushes() - before) as i64;
            drop(held);
            t
        }
        Mechanism::PoolMiss => {
            let wait = Wait::Ms(sys::param_wait_ms());
            let before = pool.stats_flushes();
            let t = timed(pages, iters, |p| {
                let m = pool.map(p, wait)?;
                black_box(m.bytes()?[off]);
                Ok(())
            })?;
            flushes = (pool.stats_flushes() - before) as i64;
            t
        }
        Mechanism::Vmap => timed(pages, iters, |p| {
            black_box(p.vmap()?.read_byte(off));
            Ok(())
        })?,
        Mechanism::VmMapRam => timed(pages, iters, |p| {
            black_box(p.vm_map_ram()?.read_byte(off));
            Ok(())
        })?,
    };
    drop(holds);
    Ok(Sample { seq: 0, mech, iters, wset, cpu, start_ns: t.start_ns, end_ns: t.end_ns, flushes, events0: t.events0, events: t.events })
}

/// How many times the kernel's pkmap wraps (each wrap flushes the whole
/// pkmap on every CPU) in `iters` kmap()s of this loop, counted in an
/// untimed pass (see `logic::pkmap`) and scaled to `iters`.
fn kmap_wraps(pages: &[OwnedPage], iters: u32) -> Result<i64> {
    let l = sys::layout();
    let g = Geometry { base: l.pkmap_base, page_size: l.page_size, slots: l.last_pkmap };
    let pass = iters.min(8 * g.slots as u32).max(1);
    let mut wraps = WrapCounter::default();
    let mut i = 0;
    for n in 0..pass {
        if n % sys::CHECK_EVERY == sys::CHECK_EVERY - 1 {
            sys::breather()?;
        }
        let p = &pages[i];
        i = (i + 1) % pages.len();
        let new = p.is_highmem() && p.kernel_address() == 0;
        let m = p.kmap();
        if let Some(slot) = g.slot_of(m.addr()).filter(|_| new) {
            wraps.fresh_slot(slot);
        }
    }
    Ok(if wraps.fresh == 0 { 0 } else { wraps.wraps as i64 * i64::from(iters) / i64::from(pass) })
}

impl crate::sys::debugfs::Control for Bench {
    fn write(&self, input: &[u8]) -> Result {
        let (mech, iters, wset) = parse_bench(input).map_err(|_| EINVAL)?;
        let mut s = run(&self.pool, &self.kmap_held, mech, iters, wset)?;
        let mut samples = self.samples.lock();
        s.seq = samples.next_seq;
        samples.next_seq += 1;
        let i = ((s.seq - 1) % KEEP as u64) as usize;
        if i < samples.ring.len() {
            samples.ring[i] = s;
        } else {
            samples.ring.push(s, GFP_KERNEL)?;
        }
        Ok(())
    }
}

impl crate::sys::debugfs::Show for Bench {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        let samples = self.samples.lock();
        writeln!(out, "seq mechanism iters wset cpu start_ns end_ns flushes flush_one0 flush_all0 remote0 remote_rcvd0 ipi_call0 ipi_tlb0 flush_one flush_all remote remote_rcvd ipi_call ipi_tlb")?;
        let n = samples.ring.len() as u64;
        let first = samples.next_seq.saturating_sub(n);
        for seq in first..samples.next_seq {
            let s = &samples.ring[((seq - 1) % KEEP as u64) as usize];
            write!(
                out,
                "{} {} {} {} {} {} {} {}",
                s.seq,
                s.mech.name(),
                s.iters,
                s.wset,
                s.cpu,
                s.start_ns,
                s.end_ns,
                s.flushes
            )?;
            for e in Iterator::chain(s.events0.iter(), s.events.iter()) {
                write!(out, " {e}")?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}
