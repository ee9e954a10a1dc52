// SPDX-License-Identifier: GPL-2.0

//! The `selftest` file: checks only kernel code can make. Write `run` to
//! run them; read the KTAP of the last run.
//!
//! - kmap_local mappings nest, stay correct while nested, and kmap_atomic
//!   works inside them; nesting stops with EBUSY at 8, before the kernel's
//!   BUG() at 16;
//! - the pool's PTEs: set on map, kept while idle, cleared by a flush;
//! - a pool mapping shows the same data on every CPU;
//! - a flush reaches every CPU: slots whose old translations every CPU has
//!   just used are handed new pages, and every CPU must see the new data
//!   (a flush of the local CPU only would leave the old pages visible), both
//!   for a full flush (more than 32 slots) and for a flush page by page with
//!   `invlpg` (up to 32);
//! - pool mappings can be dropped in any order;
//! - a kept mapping ([`Held`]) pins its page frame, and gives the slot and
//!   the frame back when dropped.

use crate::pool::{Held, Pool, PoolMap, Wait, MIN_SLOTS};
use crate::sys;
use crate::sys::highmem::OwnedPage;
use core::fmt::{self, Write};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// A `fmt::Write` into a `KVec<u8>`.
struct Text(KVec<u8>);

impl Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes(), GFP_KERNEL).map_err(|_| fmt::Error)
    }
}

/// One check's outcome: `Err` carries why it failed.
type Check = core::result::Result<(), &'static str>;

/// Why a check could not run: memory ran out. A run in which any check says
/// so fails as a whole with `ENOMEM` (under fault injection, say), rather
/// than reporting a failure of the property checked.
const OOM: &str = "out of memory";

fn pool_or_oom(e: Error) -> &'static str {
    if e == ENOMEM {
        OOM
    } else {
        "cannot make a test pool"
    }
}

fn ensure(cond: bool, why: &'static str) -> Check {
    if cond {
        Ok(())
    } else {
        Err(why)
    }
}

fn stamp_page(page: &mut OwnedPage, stamp: u32) -> Check {
    page.map_local_mut(|b| {
        for w in b.chunks_exact_mut(4) {
            w.copy_from_slice(&stamp.to_ne_bytes());
        }
    })
    .map_err(|_| "kmap_local refused at depth 0")
}

fn word(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn pages(n: usize) -> core::result::Result<KVec<OwnedPage>, &'static str> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| OOM)?;
    for _ in 0..n {
        v.push(OwnedPage::alloc_high().map_err(|_| OOM)?, GFP_KERNEL).map_err(|_| OOM)?;
    }
    Ok(v)
}

fn kmap_local_nests() -> Check {
    let mut p = pages(3)?;
    for (i, page) in p.iter_mut().enumerate() {
        stamp_page(page, 0x1000 + i as u32)?;
    }
    let (a, rest) = p.split_at(1);
    let (b, c) = rest.split_at(1);
    let ok = a[0].map_local(|va| {
        b[0].map_local(|vb| {
            c[0].map_local(|vc| word(va, 0) == 0x1000 && word(vb, 8) == 0x1001 && word(vc, 4092) == 0x1002)
                == Ok(true)
                && word(va, 100) == 0x1000
        }) == Ok(true)
            && word(va, 200) == 0x1000
    });
    ensure(ok == Ok(true), "nested kmap_local views do not show their pages")
}

/// Nests kmap_local mappings of `pages` (in turn) until the wrapper
/// refuses; returns how deep it got.
fn nest(pages: &[OwnedPage], depth: usize) -> usize {
    match pages[depth % pages.len()].map_local(|_| nest(pages, depth + 1)) {
        Ok(d) => d,
        Err(_) => depth,
    }
}

/// The kernel BUG()s at its 17th nested kmap_local; the wrapper refuses the
/// 9th with EBUSY, leaving half for interrupt handlers.
fn kmap_local_depth_is_bounded() -> Check {
    let p = pages(2)?;
    ensure(nest(&p, 0) == 8, "the wrapper did not stop nested kmap_local at 8")?;
    // Still usable afterwards (the refused mapping left nothing behind).
    ensure(p[0].map_local(|_| ()).is_ok(), "kmap_local refused after the nesting unwound")
}

fn kmap_atomic_in_local() -> Check {
    let mut p = pages(2)?;
    stamp_page(&mut p[0], 0xa1)?;
    stamp_page(&mut p[1], 0xb2)?;
    let ok = p[0].map_local(|va| {
        let mut vb = [0u8; 4];
        p[1].atomic_read(64, &mut vb).is_ok() && word(va, 64) == 0xa1 && word(&vb, 0) == 0xb2
    });
    ensure(ok == Ok(true), "kmap_atomic inside kmap_local shows the wrong data")
}

fn pool_pte_states() -> Check {
    let pool = Pool::new(MIN_SLOTS).map_err(pool_or_oom)?;
    let p = pages(1)?;
    let m = pool.map(&p[0], Wait::No).map_err(|_| "map failed")?;
    let slot = m.slot();
    ensure(pool.pte_pfn(slot) == Some(p[0].pfn()), "mapped slot's PTE does not map the page")?;
    drop(m);
    ensure(pool.pte_pfn(slot) == Some(p[0].pfn()), "unmap cleared the PTE at once (unmap must be lazy)")?;
    ensure(pool.flush() == 1, "flush did not take the idle slot")?;
    ensure(pool.pte_pfn(slot).is_none(), "PTE still set after the flush")
}

fn pool_every_cpu_sees_data() -> Check {
    let pool = Pool::new(MIN_SLOTS).map_err(pool_or_oom)?;
    let mut p = pages(1)?;
    stamp_page(&mut p[0], 0x5eed_0001)?;
    let m = pool.map(&p[0], Wait::No).map_err(|_| "map failed")?;
    let (ran, bad) = pool.check_on_each_cpu(&[(&m, 2048, 0x5eed_0001)]).map_err(|_| OOM)?;
    ensure(ran == sys::num_online_cpus(), "not every CPU ran the check")?;
    ensure(bad == 0, "a CPU saw other data through the slot")
}

/// Every CPU reads every mapping (page `i` holds `base + i` in every word):
/// how many reads were wrong, or `Err` if not every CPU ran.
fn read_everywhere(pool: &Pool, maps: &[PoolMap<'_>], base: u32) -> core::result::Result<u32, &'static str> {
    let mut items = KVec::with_capacity(maps.len(), GFP_KERNEL).map_err(|_| OOM)?;
    for (i, m) in maps.iter().enumerate() {
        items.push((m, (i * 64) % 4096, base + i as u32), GFP_KERNEL).map_err(|_| OOM)?;
    }
    let (ran, bad) = pool.check_on_each_cpu(&items).map_err(|_| OOM)?;
    ensure(ran == sys::num_online_cpus(), "not every CPU ran the check")?;
    Ok(bad)
}

fn stamped(n: usize, base: u32) -> core::result::Result<KVec<OwnedPage>, &'static str> {
    let mut v = pages(n)?;
    for (i, p) in v.iter_mut().enumerate() {
        stamp_page(p, base + i as u32)?;
    }
    Ok(v)
}

fn map_all<'a>(pool: &'a Pool, pages: &'a [OwnedPage]) -> core::result::Result<KVec<PoolMap<'a>>, &'static str> {
    let mut maps = KVec::with_capacity(pages.len(), GFP_KERNEL).map_err(|_| OOM)?;
    for p in pages {
        maps.push(pool.map(p, Wait::No).map_err(|_| "map failed")?, GFP_KERNEL).map_err(|_| OOM)?;
    }
    Ok(maps)
}

/// Fills a pool of `MIN_SLOTS` slots, lets every CPU read `k` of them, drops
/// those `k`, maps `k` new pages (which flushes exactly those `k` slots, in
/// one batch, and reuses them) and lets every CPU read the new pages. A
/// flush that missed a CPU leaves it the old pages' translations.
fn flush_reaches_every_cpu(k: usize) -> Check {
    let n = MIN_SLOTS as usize;
    let pool = Pool::new(MIN_SLOTS).map_err(pool_or_oom)?;
    let old = stamped(k, 0x0100_0000)?;
    let new = stamped(k, 0x0200_0000)?;
    let others = pages(n - k)?;
    let _kept = map_all(&pool, &others)?;
    let maps = map_all(&pool, &old)?;
    ensure(read_everywhere(&pool, &maps, 0x0100_0000)? == 0, "old pages read wrong before the flush")?;
    let old_slots: KVec<u32> = {
        let mut v = KVec::with_capacity(k, GFP_KERNEL).map_err(|_| OOM)?;
        for m in maps.iter() {
            v.push(m.slot(), GFP_KERNEL).map_err(|_| OOM)?;
        }
        v
    };
    drop(maps);
    let flushes = pool.stats_flushes();
    let maps = map_all(&pool, &new)?;
    ensure(pool.stats_flushes() == flushes + 1, "reusing the slots did not take exactly one flush")?;
    ensure(maps.iter().all(|m| old_slots.contains(&m.slot())), "the new pages did not reuse the flushed slots")?;
    ensure(read_everywhere(&pool, &maps, 0x0200_0000)? == 0, "a CPU still saw an old page after the flush")
}

fn pool_flush_reaches_every_cpu() -> Check {
    // More than 32 slots: one full TLB flush per CPU.
    flush_reaches_every_cpu(MIN_SLOTS as usize)
}

fn pool_flush_invlpg_reaches_every_cpu() -> Check {
    // Up to 32 slots: invlpg page by page on every CPU.
    flush_reaches_every_cpu(8)
}

fn pool_held_released_on_drop() -> Check {
    let pool = Pool::new(MIN_SLOTS).map_err(pool_or_oom)?;
    let p = pages(1)?;
    let count = p[0].ref_count();
    let held = Held::new(&pool, &p[0], Wait::No).map_err(|_| "map failed")?;
    let slot = held.slot();
    ensure(pool.users(slot) == 1, "a kept mapping does not hold its slot")?;
    // One reference for the `Held`, one for the slot's PTE.
    ensure(p[0].ref_count() == count + 2, "a kept mapping does not pin its page frame")?;
    drop(held);
    ensure(pool.users(slot) == 0, "dropping a kept mapping did not give its slot back")?;
    // Unmapped lazily: the PTE, and so its frame reference, stay.
    ensure(p[0].ref_count() == count + 1, "an idle slot does not keep its frame")?;
    ensure(pool.flush() == 1, "the slot of a dropped kept mapping is not idle")?;
    ensure(p[0].ref_count() == count, "the flush did not let go of the frame")
}

fn pool_any_order() -> Check {
    let pool = Pool::new(MIN_SLOTS).map_err(pool_or_oom)?;
    let p = pages(2)?;
    let a1 = pool.map(&p[0], Wait::No).map_err(|_| "map failed")?;
    let b = pool.map(&p[1], Wait::No).map_err(|_| "map failed")?;
    let a2 = pool.map(&p[0], Wait::No).map_err(|_| "map failed")?;
    ensure(a1.slot() == a2.slot() && a1.slot() != b.slot(), "slots not shared or not distinct")?;
    let slot = a1.slot();
    drop(a1);
    drop(b);
    ensure(pool.users(slot) == 1, "dropping out of order lost count")?;
    drop(a2);
    ensure(pool.users(slot) == 0, "last drop did not leave the slot idle")
}

const TESTS: [(&str, fn() -> Check); 9] = [
    ("kmap_local_nests_lifo", kmap_local_nests),
    ("kmap_local_depth_is_bounded", kmap_local_depth_is_bounded),
    ("kmap_atomic_inside_kmap_local", kmap_atomic_in_local),
    ("pool_pte_set_kept_idle_cleared_by_flush", pool_pte_states),
    ("pool_mapping_same_on_every_cpu", pool_every_cpu_sees_data),
    ("pool_flush_reaches_every_cpu", pool_flush_reaches_every_cpu),
    ("pool_flush_invlpg_reaches_every_cpu", pool_flush_invlpg_reaches_every_cpu),
    ("pool_unmap_in_any_order", pool_any_order),
    ("pool_held_released_on_drop", pool_held_released_on_drop),
];

/// Runs every check; returns the KTAP text, or `ENOMEM` if memory ran out
/// in any check (then no result is kept).
fn run() -> Result<KVec<u8>> {
    // Room for the whole report up front: writes into it cannot fail then.
    let mut t = Text(KVec::with_capacity(4096, GFP_KERNEL)?);
    let (mut pass, mut fail, mut oom) = (0, 0, false);
    let mut report = |t: &mut Text| -> core::result::Result<(), fmt::Error> {
        writeln!(t, "TAP version 13")?;
        writeln!(t, "1..{}", TESTS.len())?;
        for (i, (name, f)) in TESTS.iter().enumerate() {
            match f() {
                Ok(()) => {
                    pass += 1;
                    writeln!(t, "ok {} {}", i + 1, name)?;
                }
                Err(why) => {
                    oom |= why == OOM;
                    fail += 1;
                    writeln!(t, "# {name}: {why}")?;
                    writeln!(t, "not ok {} {}", i + 1, name)?;
                }
            }
        }
        writeln!(t, "# Totals: pass:{pass} fail:{fail} xfail:0 xpass:0 skip:0 error:0")
    };
    report(&mut t).map_err(|_| ENOMEM)?;
    if oom {
        return Err(ENOMEM);
    }
    Ok(t.0)
}

/// The file's data: the last run's KTAP.
pub(crate) struct SelfTest {
    last: Arc<Mutex<KVec<u8>>>,
}

impl SelfTest {
    pub(crate) fn new() -> Result<Self> {
        Ok(SelfTest { last: Arc::pin_init(kernel::new_mutex!(KVec::new(), "hmkit_selftest"), GFP_KERNEL)? })
    }
}

impl crate::sys::debugfs::Show for SelfTest {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        let last = self.last.lock();
        if last.is_empty() {
            writeln!(out, "# not run yet: write 'run' to this file")?;
        } else {
            out.write_str(core::str::from_utf8(&last).map_err(|_| EIO)?)?;
        }
        Ok(())
    }
}

impl crate::sys::debugfs::Control for SelfTest {
    fn write(&self, input: &[u8]) -> Result {
        if input.strip_suffix(b"\n").unwrap_or(input) != b"run" {
            return Err(EINVAL);
        }
        // One run at a time; the lock also keeps readers to whole results.
        let mut last = self.last.lock();
        *last = run()?;
        Ok(())
    }
}
