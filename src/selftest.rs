// SPDX-License-Identifier: GPL-2.0

//! The `selftest` file: checks only kernel code can make. Write `run` to
//! run them; read the KTAP of the last run.
//!
//! - kmap_local mappings nest, stay correct while nested, and kmap_atomic
//!   works inside them;
//! - the pool's PTEs: set on map, kept while idle, cleared by a flush;
//! - a pool mapping shows the same data on every CPU;
//! - a flush reaches every CPU: slots whose old translations every CPU has
//!   just used are handed new pages, and every CPU must see the new data
//!   (a flush of the local CPU only would leave the old pages visible);
//! - pool mappings can be dropped in any order.

use crate::pool::{Pool, Wait, MIN_SLOTS};
use crate::sys;
use crate::sys::highmem::OwnedPage;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU32, Ordering};
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

fn ensure(cond: bool, why: &'static str) -> Check {
    if cond {
        Ok(())
    } else {
        Err(why)
    }
}

fn stamp_page(page: &mut OwnedPage, stamp: u32) {
    page.map_local_mut(|b| {
        for w in b.chunks_exact_mut(4) {
            w.copy_from_slice(&stamp.to_ne_bytes());
        }
    });
}

fn word(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn pages(n: usize) -> core::result::Result<KVec<OwnedPage>, &'static str> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "out of memory")?;
    for _ in 0..n {
        v.push(OwnedPage::alloc_high().map_err(|_| "out of memory")?, GFP_KERNEL).map_err(|_| "out of memory")?;
    }
    Ok(v)
}

fn kmap_local_nests() -> Check {
    let mut p = pages(3)?;
    for (i, page) in p.iter_mut().enumerate() {
        stamp_page(page, 0x1000 + i as u32);
    }
    let (a, rest) = p.split_at(1);
    let (b, c) = rest.split_at(1);
    let ok = a[0].map_local(|va| {
        b[0].map_local(|vb| {
            c[0].map_local(|vc| word(va, 0) == 0x1000 && word(vb, 8) == 0x1001 && word(vc, 4092) == 0x1002)
                && word(va, 100) == 0x1000
        }) && word(va, 200) == 0x1000
    });
    ensure(ok, "nested kmap_local views do not show their pages")
}

fn kmap_atomic_in_local() -> Check {
    let mut p = pages(2)?;
    stamp_page(&mut p[0], 0xa1);
    stamp_page(&mut p[1], 0xb2);
    let ok = p[0].map_local(|va| p[1].map_atomic(|vb| word(va, 64) == 0xa1 && word(vb, 64) == 0xb2));
    ensure(ok, "kmap_atomic inside kmap_local shows the wrong data")
}

fn pool_pte_states() -> Check {
    let pool = Pool::new(MIN_SLOTS).map_err(|_| "cannot make a test pool")?;
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
    let pool = Pool::new(MIN_SLOTS).map_err(|_| "cannot make a test pool")?;
    let mut p = pages(1)?;
    stamp_page(&mut p[0], 0x5eed_0001);
    let m = pool.map(&p[0], Wait::No).map_err(|_| "map failed")?;
    let (ran, good) = (AtomicU32::new(0), AtomicU32::new(0));
    sys::on_each_cpu(&|_cpu| {
        let mut w = [0u8; 4];
        ran.fetch_add(1, Ordering::Relaxed);
        if m.read(2048, &mut w).is_ok() && u32::from_ne_bytes(w) == 0x5eed_0001 {
            good.fetch_add(1, Ordering::Relaxed);
        }
    });
    ensure(ran.load(Ordering::Relaxed) == sys::num_online_cpus(), "not every CPU ran the check")?;
    ensure(good.load(Ordering::Relaxed) == ran.load(Ordering::Relaxed), "a CPU saw other data through the slot")
}

fn pool_flush_reaches_every_cpu() -> Check {
    let n = MIN_SLOTS as usize;
    let pool = Pool::new(MIN_SLOTS).map_err(|_| "cannot make a test pool")?;
    let mut old = pages(n)?;
    let mut new = pages(n)?;
    for (i, p) in old.iter_mut().enumerate() {
        stamp_page(p, 0x0100_0000 + i as u32);
    }
    for (i, p) in new.iter_mut().enumerate() {
        stamp_page(p, 0x0200_0000 + i as u32);
    }
    // Every CPU reads every slot through the old pages: their TLBs now
    // hold the old translations.
    let read_all = |maps: &KVec<crate::pool::PoolMap<'_>>, base: u32| {
        let bad = AtomicU32::new(0);
        sys::on_each_cpu(&|_cpu| {
            for (i, m) in maps.iter().enumerate() {
                let mut w = [0u8; 4];
                if m.read((i * 64) % 4096, &mut w).is_err() || u32::from_ne_bytes(w) != base + i as u32 {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        bad.load(Ordering::Relaxed)
    };
    let mut maps = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "out of memory")?;
    for p in old.iter() {
        maps.push(pool.map(p, Wait::No).map_err(|_| "map failed")?, GFP_KERNEL).map_err(|_| "out of memory")?;
    }
    ensure(read_all(&maps, 0x0100_0000) == 0, "old pages read wrong before the flush")?;
    drop(maps);
    let flushes = pool.stats_flushes();
    // All slots are idle; the first new page flushes them all at once, and
    // the new pages take the same slots.
    let mut maps = KVec::with_capacity(n, GFP_KERNEL).map_err(|_| "out of memory")?;
    for p in new.iter() {
        maps.push(pool.map(p, Wait::No).map_err(|_| "map failed")?, GFP_KERNEL).map_err(|_| "out of memory")?;
    }
    ensure(pool.stats_flushes() == flushes + 1, "reusing the slots did not take exactly one flush")?;
    ensure(read_all(&maps, 0x0200_0000) == 0, "a CPU still saw an old page after the flush")
}

fn pool_any_order() -> Check {
    let pool = Pool::new(MIN_SLOTS).map_err(|_| "cannot make a test pool")?;
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

const TESTS: [(&str, fn() -> Check); 6] = [
    ("kmap_local_nests_lifo", kmap_local_nests),
    ("kmap_atomic_inside_kmap_local", kmap_atomic_in_local),
    ("pool_pte_set_kept_idle_cleared_by_flush", pool_pte_states),
    ("pool_mapping_same_on_every_cpu", pool_every_cpu_sees_data),
    ("pool_flush_reaches_every_cpu", pool_flush_reaches_every_cpu),
    ("pool_unmap_in_any_order", pool_any_order),
];

/// Runs every check; returns the KTAP text.
fn run() -> Result<KVec<u8>> {
    let mut t = Text(KVec::new());
    let (mut pass, mut fail) = (0, 0);
    writeln!(t, "TAP version 13")?;
    writeln!(t, "1..{}", TESTS.len())?;
    for (i, (name, f)) in TESTS.iter().enumerate() {
        match f() {
            Ok(()) => {
                pass += 1;
                writeln!(t, "ok {} {}", i + 1, name)?;
            }
            Err(why) => {
                fail += 1;
                writeln!(t, "# {name}: {why}")?;
                writeln!(t, "not ok {} {}", i + 1, name)?;
            }
        }
    }
    writeln!(t, "# Totals: pass:{pass} fail:{fail} xfail:0 xpass:0 skip:0 error:0")?;
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
