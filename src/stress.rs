// SPDX-License-Identifier: GPL-2.0

//! The `stress` file: each write runs `OPS` operations on `PAGES` private
//! highmem pages in the writer's own context, so N userspace threads on N
//! CPUs stress the pool from N CPUs at once.
//!
//! One operation maps a random page of the set through the pool (waiting
//! up to `wait_ms` for a slot), checks through the mapping that the page
//! still holds the stamp the last operation on it left, writes a new stamp,
//! and unmaps; one operation in four also keeps a mapping (as [`Held`])
//! of the page in one of [`KEEP`] places chosen at random, dropping the one
//! that was there, and one in eight drops a random kept one, so up to
//! `KEEP` mappings per writer are held at once and dropped in random
//! order. With more pages than the pool has slots (as `hmctl stress` and
//! the soak ask), most maps are misses and flushes run all the time, on
//! every CPU that writes. Every fourth operation the
//! stamp is checked again through `kmap_local`, independently of the pool.
//! Reading the file gives the totals over all writes: `ops`, `mismatches`,
//! `errors`. A signal stops a write with `EINTR`, its operations counted.

use crate::pool::core::Counter;
use crate::pool::{Held, Pool, Wait};
use crate::sys;
use crate::sys::highmem::OwnedPage;
use core::fmt;
use kernel::prelude::*;
use kernel::sync::Arc;

/// Totals over every stress write since load.
#[derive(Default)]
pub(crate) struct Totals {
    pub(crate) runs: Counter,
    pub(crate) ops: Counter,
    pub(crate) mismatches: Counter,
    pub(crate) errors: Counter,
}

impl Totals {
    pub(crate) fn render(&self, out: &mut dyn fmt::Write) -> Result {
        writeln!(out, "runs: {}", self.runs.get())?;
        writeln!(out, "ops: {}", self.ops.get())?;
        writeln!(out, "mismatches: {}", self.mismatches.get())?;
        writeln!(out, "errors: {}", self.errors.get())?;
        Ok(())
    }
}

/// How many mappings one writer keeps at most.
const KEEP: usize = 16;

/// A small xorshift generator; the stress only needs variety.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}

/// Where page `i` keeps its stamp: a different word per page.
fn offset(i: usize) -> usize {
    (i * 68) % (4096 - 4)
}

/// One `stress` write.
pub(crate) fn run(pool: &Arc<Pool>, totals: &Totals, ops: u32, npages: u32, wait_ms: u32) -> Result {
    let mut pages = KVec::with_capacity(npages as usize, GFP_KERNEL)?;
    let mut stamps = KVec::from_elem(0u32, npages as usize, GFP_KERNEL)?;
    for n in 0..npages {
        if n % sys::CHECK_EVERY == sys::CHECK_EVERY - 1 {
            sys::breather()?;
        }
        pages.push(OwnedPage::alloc_high()?, GFP_KERNEL)?;
    }
    let seed = kernel::time::Ktime::ktime_get().to_ns() as u32 ^ (pages[0].pfn() as u32).rotate_left(16);
    let mut rng = Rng(seed | 1);
    let mut kept: [Option<Held>; KEEP] = core::array::from_fn(|_| None);
    let (mut done, mut mismatches, mut errors) = (0u64, 0u64, 0u64);
    let mut result = Ok(());
    totals.runs.inc();
    for op in 0..ops {
        if op % sys::CHECK_EVERY == sys::CHECK_EVERY - 1 {
            if let Err(e) = sys::breather() {
                result = Err(e);
                break;
            }
        }
        let i = rng.next() as usize % pages.len();
        let off = offset(i);
        let stamp = rng.next() | 1;
        {
            let mut map = match pool.map_mut(&mut pages[i], Wait::Ms(wait_ms)) {
                Ok(m) => m,
                Err(_) => {
                    errors += 1;
                    continue;
                }
            };
            // Odd operations go through the copying accessors, even ones
            // through the page's slice: both paths are checked.
            let mut word = [0u8; 4];
            let read = if op % 2 == 1 {
                map.read(off, &mut word)
            } else {
                map.bytes().map(|b| word.copy_from_slice(&b[off..off + 4]))
            };
            if read.is_err() || u32::from_ne_bytes(word) != stamps[i] {
                mismatches += 1;
            }
            // Count one mismatch once: the stamp moves on only when written.
            let written = if op % 2 == 1 {
                map.write(off, &stamp.to_ne_bytes())
            } else {
                map.bytes_mut().map(|b| b[off..off + 4].copy_from_slice(&stamp.to_ne_bytes()))
            };
            match written {
                Ok(()) => stamps[i] = stamp,
                Err(_) => mismatches += 1,
            }
        }
        let page = &pages[i];
        // Keep some mappings across operations; drop a random one of them.
        let r = rng.next();
        let at = (r >> 8) as usize % KEEP;
        if r % 4 == 0 {
            // Drop the one there first: it may hold the slot this needs.
            kept[at] = None;
            match Held::new(pool, page, Wait::Ms(wait_ms)) {
                Ok(h) => kept[at] = Some(h),
                Err(_) => errors += 1,
            }
        } else if r % 8 == 1 {
            kept[at] = None;
        }
        if op % 4 == 0 {
            let local = page.map_local(|v| u32::from_ne_bytes([v[off], v[off + 1], v[off + 2], v[off + 3]]));
            if local != Ok(stamps[i]) {
                mismatches += 1;
            }
        }
        done += 1;
    }
    drop(kept);
    totals.ops.add(done);
    totals.mismatches.add(mismatches);
    totals.errors.add(errors);
    if mismatches > 0 {
        pr_err!("stress: {} mismatches in {} operations\n", mismatches, done);
    }
    result
}
