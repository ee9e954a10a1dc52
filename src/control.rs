// SPDX-License-Identifier: GPL-2.0

//! Objects the module owns on behalf of the `control` file: highmem pages
//! (which may hold kmap() references) and vmalloc areas. Userspace names
//! them by handle only, never by pfn or address.

use crate::debugfs::command::{Command, Id, MAX_ALLOC};
use crate::pool::{Held, Pool, Wait};
use crate::sys;
use crate::sys::highmem::{vmalloc_page, OwnedPage};
use core::fmt;
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The most objects alive at once.
pub(crate) const MAX_OBJECTS: usize = 4096;

enum Kind {
    Page { page: OwnedPage, kmap_addr: usize, roundtrips: u32, pool: KVec<Held> },
    Vmalloc { buf: KVVecU8 },
}

/// A vmalloc'ed buffer (the kernel crate's `VVec`).
type KVVecU8 = VVec<u8>;

struct Object {
    id: Id,
    kind: Kind,
}

/// All objects, with the next handle to give out.
pub(crate) struct Objects {
    /// Freed objects leave a `None` that the next one fills.
    list: KVec<Option<Object>>,
    next_id: Id,
    /// Pages cycled by the last `pkmap-flush`.
    last_flush_cycled: usize,
    pool: Arc<Pool>,
    /// Pages `pool-hold` made.
    held: KVec<Id>,
}

impl Objects {
    pub(crate) fn new(pool: Arc<Pool>) -> Self {
        Objects { list: KVec::new(), next_id: 1, last_flush_cycled: 0, pool, held: KVec::new() }
    }

    /// Drops every pool mapping object `id` holds.
    fn pool_release_all(&mut self, id: Id) {
        if let Ok(Object { kind: Kind::Page { pool, .. }, .. }) = self.find(id) {
            let holds = ::core::mem::replace(pool, KVec::new());
            for h in holds.into_iter() {
                self.pool.release(h);
            }
        }
    }

    /// Frees object `id`, or `EBUSY` while it holds kmap() or pool mappings.
    fn free(&mut self, id: Id) -> Result {
        let slot = self.list.iter_mut().find(|o| o.as_ref().is_some_and(|o| o.id == id)).ok_or(ENOENT)?;
        if let Some(Object { kind: Kind::Page { page, pool, .. }, .. }) = slot {
            if page.kmap_holds() > 0 || !pool.is_empty() {
                return Err(EBUSY);
            }
        }
        *slot = None;
        Ok(())
    }

    /// Maps page `id` through the pool without waiting and keeps it.
    fn pool_map(&mut self, id: Id) -> Result {
        let pool = self.pool.clone();
        let Kind::Page { page, pool: holds, .. } = &mut self.find(id)?.kind else {
            return Err(EINVAL);
        };
        holds.reserve(1, GFP_KERNEL)?;
        let held = pool.map(page, Wait::No)?.hold();
        holds.push(held, GFP_KERNEL)?;
        Ok(())
    }

    fn live(&self) -> impl Iterator<Item = &Object> {
        self.list.iter().flatten()
    }

    fn find(&mut self, id: Id) -> Result<&mut Object> {
        self.list.iter_mut().flatten().find(|o| o.id == id).ok_or(ENOENT)
    }

    fn page(&mut self, id: Id) -> Result<(&mut OwnedPage, &mut usize, &mut u32)> {
        match &mut self.find(id)?.kind {
            Kind::Page { page, kmap_addr, roundtrips, .. } => Ok((page, kmap_addr, roundtrips)),
            Kind::Vmalloc { .. } => Err(EINVAL),
        }
    }

    /// Makes room for `n` more objects, or fails with nothing changed.
    fn reserve(&mut self, n: usize) -> Result {
        let live = self.live().count();
        if live + n > MAX_OBJECTS {
            return Err(ENOSPC);
        }
        if self.next_id.checked_add(n as u32).is_none() {
            return Err(ENOSPC);
        }
        let holes = self.list.len() - live;
        self.list.reserve(n.saturating_sub(holes), GFP_KERNEL)?;
        Ok(())
    }

    /// Adds an object; the caller has reserved room, so this cannot fail.
    fn push(&mut self, kind: Kind) -> Result {
        // Handles are never reused while the module is loaded (`reserve`
        // refuses once they would run out).
        let object = Some(Object { id: self.next_id, kind });
        self.next_id += 1;
        match self.list.iter_mut().find(|o| o.is_none()) {
            Some(hole) => *hole = object,
            None => self.list.push(object, GFP_KERNEL)?,
        }
        Ok(())
    }

    /// Carries out one command. On error nothing has changed.
    pub(crate) fn apply(&mut self, cmd: Command) -> Result {
        match cmd {
            Command::Alloc(n) => {
                let n = n.min(MAX_ALLOC) as usize;
                self.reserve(n)?;
                let mut pages = KVec::with_capacity(n, GFP_KERNEL)?;
                for _ in 0..n {
                    pages.push(OwnedPage::alloc_high()?, GFP_KERNEL)?;
                }
                for page in pages.into_iter() {
                    self.push(Kind::Page { page, kmap_addr: 0, roundtrips: 0, pool: KVec::new() })?;
                }
                Ok(())
            }
            Command::Free(id) => self.free(id),
            Command::Kmap(id) => {
                // kmap() sleeps, uninterruptibly and with our lock held, once
                // the kernel's pkmap is full: never take more than half of it.
                let l = sys::layout();
                let held: u32 = self
                    .live()
                    .map(|o| if let Kind::Page { page, .. } = &o.kind { page.kmap_holds() } else { 0 })
                    .sum();
                if held as usize >= l.last_pkmap / 2 {
                    return Err(EBUSY);
                }
                let (page, kmap_addr, _) = self.page(id)?;
                *kmap_addr = page.kmap_hold()?;
                Ok(())
            }
            Command::Kunmap(id) => {
                let (page, kmap_addr, _) = self.page(id)?;
                page.kmap_release()?;
                if page.kmap_holds() == 0 {
                    *kmap_addr = 0;
                }
                Ok(())
            }
            Command::Roundtrip(id) => {
                let (page, _, roundtrips) = self.page(id)?;
                let seed = (id as u8) ^ (*roundtrips as u8).wrapping_mul(29);
                roundtrip(page, seed, *roundtrips)?;
                *roundtrips = roundtrips.wrapping_add(1);
                Ok(())
            }
            Command::Vmalloc(bytes) => {
                self.reserve(1)?;
                let buf = VVec::from_elem(0u8, bytes as usize, GFP_KERNEL | __GFP_NOWARN)?;
                self.push(Kind::Vmalloc { buf })
            }
            Command::PkmapFlush => {
                self.last_flush_cycled = pkmap_flush()?;
                Ok(())
            }
            // Waiting is the caller's (`ControlFile`), without our lock.
            Command::PoolMap(id) | Command::PoolTryMap(id) => self.pool_map(id),
            Command::PoolUnmap(id) => {
                let Kind::Page { pool: holds, .. } = &mut self.find(id)?.kind else {
                    return Err(EINVAL);
                };
                let last = holds.len().checked_sub(1).ok_or(EINVAL)?;
                // Take the last hold out by rebuilding the list (KVec has no pop).
                let mut rest = KVec::with_capacity(last, GFP_KERNEL)?;
                let mut out = None;
                for (i, h) in ::core::mem::replace(holds, KVec::new()).into_iter().enumerate() {
                    if i == last {
                        out = Some(h);
                    } else {
                        rest.push(h, GFP_KERNEL)?;
                    }
                }
                *holds = rest;
                if let Some(h) = out {
                    self.pool.release(h);
                }
                Ok(())
            }
            Command::PoolCheck(id) => {
                let pool = self.pool.clone();
                let (page, _, _) = self.page(id)?;
                pool_check(&pool, page)
            }
            Command::PoolHold(n) => {
                if !self.held.is_empty() {
                    return Err(EBUSY);
                }
                let n = n as usize;
                self.reserve(n)?;
                let mut ids = KVec::with_capacity(n, GFP_KERNEL)?;
                let mut result = Ok(());
                for _ in 0..n {
                    let page = match OwnedPage::alloc_high() {
                        Ok(p) => p,
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    };
                    let id = self.next_id;
                    self.push(Kind::Page { page, kmap_addr: 0, roundtrips: 0, pool: KVec::new() })?;
                    ids.push(id, GFP_KERNEL)?;
                    if let Err(e) = self.pool_map(id) {
                        result = Err(e);
                        break;
                    }
                }
                self.held = ids;
                if result.is_err() {
                    // All or nothing.
                    self.apply(Command::PoolRelease)?;
                }
                result
            }
            Command::PoolRelease => {
                let ids = ::core::mem::replace(&mut self.held, KVec::new());
                for id in ids.iter().copied() {
                    self.pool_release_all(id);
                    // Best effort: one may be gone (freed after its own
                    // pool-unmap) or busy (kmapped); the rest still go.
                    let _ = self.free(id);
                }
                Ok(())
            }
            Command::PoolFlush => {
                self.pool.flush();
                Ok(())
            }
        }
    }

    /// Lists the objects, one line each, `kind id key=value...`; a vmalloc
    /// area is followed by one `vpage` line per page behind it.
    pub(crate) fn render(&self, out: &mut dyn fmt::Write) -> Result {
        writeln!(out, "objects: {}", self.live().count())?;
        writeln!(out, "pkmap_flush_cycled: {}", self.last_flush_cycled)?;
        writeln!(out, "pool_held: {}", self.held.len())?;
        for o in self.live() {
            match &o.kind {
                Kind::Page { page, kmap_addr, roundtrips, pool } => writeln!(
                    out,
                    "page {} pfn={} phys={:#x} zone={} highmem={} kmaps={} kmap_vaddr={:#010x} roundtrips={} pool_maps={} pool_slot={}",
                    o.id,
                    page.pfn(),
                    page.phys(),
                    page.zone_name().to_str().unwrap_or("?"),
                    page.is_highmem() as u8,
                    page.kmap_holds(),
                    kmap_addr,
                    roundtrips,
                    pool.len(),
                    pool.iter().next().map_or(-1, |h| h.slot() as i64)
                )?,
                Kind::Vmalloc { buf } => {
                    let pages = buf.len().div_ceil(PAGE_SIZE);
                    let start = buf.as_ptr();
                    let mut high = 0;
                    for i in 0..pages {
                        if vmalloc_page(start.wrapping_add(i * PAGE_SIZE))?.highmem {
                            high += 1;
                        }
                    }
                    writeln!(
                        out,
                        "vmalloc {} size={} start={:#010x} pages={} highmem_pages={}",
                        o.id,
                        buf.len(),
                        start as usize,
                        pages,
                        high
                    )?;
                    for i in 0..pages {
                        let addr = start.wrapping_add(i * PAGE_SIZE);
                        let p = vmalloc_page(addr)?;
                        writeln!(
                            out,
                            "vpage {} index={} vaddr={:#010x} pfn={} zone={} highmem={}",
                            o.id,
                            i,
                            addr as usize,
                            p.pfn,
                            p.zone.to_str().unwrap_or("?"),
                            p.highmem as u8
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for Objects {
    fn drop(&mut self) {
        // Pool mappings go back to the pool before their pages are freed.
        // No allocation here: this must work when memory is short.
        let pool = &self.pool;
        for o in self.list.iter_mut().flatten() {
            if let Kind::Page { pool: holds, .. } = &mut o.kind {
                for h in ::core::mem::replace(holds, KVec::new()).into_iter() {
                    pool.release(h);
                }
            }
        }
    }
}

/// Writes through a pool mapping and reads back through kmap_local, then
/// the other way round through a second map of the page, which must get the
/// same slot. `EIO` on any difference.
fn pool_check(pool: &Pool, page: &mut OwnedPage) -> Result {
    let mut buf = [0u8; 64];
    let stamp = |seed: u8| {
        let mut b = [0u8; 64];
        for (i, x) in b.iter_mut().enumerate() {
            *x = pattern(seed, i);
        }
        b
    };
    let a = stamp(0x5a);
    let first = pool.map(page, Wait::No)?;
    let slot = first.slot();
    first.write(128, &a)?;
    let via_local = page.map_local(|v| v[128..192] == a);
    let flushes = pool.stats_flushes();
    drop(first);
    let b = stamp(0xa5);
    page.map_local_mut(|v| v[256..320].copy_from_slice(&b));
    let second = pool.map(page, Wait::No)?;
    second.read(256, &mut buf)?;
    // Unless a flush took the idle slot meanwhile, the page is still there.
    let same_slot = second.slot() == slot || pool.stats_flushes() != flushes;
    drop(second);
    if via_local && buf == b && same_slot {
        Ok(())
    } else {
        pr_err!("pool-check on pfn {}: local {} pool {} same slot {}\n", page.pfn(), via_local, buf == b, same_slot);
        Err(EIO)
    }
}

/// Byte `i` of the round-trip pattern for `seed`.
fn pattern(seed: u8, i: usize) -> u8 {
    (i as u8).wrapping_mul(31).wrapping_add(seed) ^ ((i >> 8) as u8)
}

/// Writes a pattern through `kmap_local` (even rounds) or `kmap_atomic`
/// (odd rounds), then checks it through `kmap_atomic`, `kmap()` and
/// `kmap_local`. `EIO` on a mismatch.
fn roundtrip(page: &mut OwnedPage, seed: u8, round: u32) -> Result {
    let fill = |b: &mut [u8]| {
        for (i, x) in b.iter_mut().enumerate() {
            *x = pattern(seed, i);
        }
    };
    if round % 2 == 0 {
        page.map_local_mut(fill);
    } else {
        page.map_atomic_mut(fill);
    }
    let check = |b: &[u8]| b.iter().enumerate().all(|(i, &x)| x == pattern(seed, i));
    let atomic_ok = page.map_atomic(check);
    let kmap_ok = check(page.kmap().bytes());
    let local_ok = page.map_local(check);
    if atomic_ok && kmap_ok && local_ok {
        Ok(())
    } else {
        pr_err!("roundtrip mismatch on pfn {}: atomic {} kmap {} local {}\n", page.pfn(), atomic_ok, kmap_ok, local_ok);
        Err(EIO)
    }
}

/// Makes the kernel's pkmap wrap around, which flushes every slot nobody
/// holds (`flush_all_zero_pkmaps()`, private to mm/highmem.c): maps new
/// highmem pages with kmap() one at a time until the slot handed out is
/// lower than the one before. Returns how many pages were mapped.
///
/// Only pages with no pkmap slot yet count: a page that still has the slot
/// a previous owner left behind gets that slot back without moving the
/// kernel's scan on.
fn pkmap_flush() -> Result<usize> {
    let l = sys::layout();
    let slot_of = |addr: usize| addr.checked_sub(l.pkmap_base).map(|o| o / l.page_size).filter(|&s| s < l.last_pkmap);
    // Pages stay allocated until the end, so that none comes back with the
    // slot it was just given. LAST_PKMAP + 1 new mappings always wrap.
    let limit = 2 * (l.last_pkmap + 1);
    let mut pages = KVec::with_capacity(limit, GFP_KERNEL)?;
    let (mut prev, mut mapped) = (None, 0);
    while pages.len() < limit {
        let page = OwnedPage::alloc_high()?;
        let fresh = page.is_highmem() && page.kernel_address() == 0;
        let slot = if fresh { slot_of(page.kmap().addr()) } else { None };
        pages.push(page, GFP_KERNEL)?;
        let Some(slot) = slot else { continue };
        mapped += 1;
        if prev.is_some_and(|p| slot <= p) {
            return Ok(mapped);
        }
        prev = Some(slot);
    }
    Err(EAGAIN)
}
