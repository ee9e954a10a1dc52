// SPDX-License-Identifier: GPL-2.0

//! The `control` file's interpreter: it carries out parsed commands
//! (`crate::logic::parse`) on objects the module owns on userspace's behalf:
//! highmem pages (which may hold kmap() references and pool mappings) and
//! vmalloc areas. Userspace names them by handle only, never by pfn or
//! address.

use crate::logic::parse::{Command, Id, MAX_ALLOC, MAX_VMALLOC_SPACE};
use crate::logic::{pattern, pkmap};
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
    // Fields drop in order: the pool mappings go back before the page is
    // freed.
    Page { pool: KVec<Option<Held>>, page: OwnedPage, kmap_addr: usize, roundtrips: u32 },
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
    /// Bytes of the live vmalloc areas.
    vmalloc_bytes: usize,
    /// Vmalloc space they take, guard pages included ([`vmalloc_charge`]).
    vmalloc_space: usize,
}

impl Objects {
    pub(crate) fn new(pool: Arc<Pool>) -> Self {
        Objects { list: KVec::new(), next_id: 1, last_flush_cycled: 0, pool, held: KVec::new(), vmalloc_bytes: 0, vmalloc_space: 0 }
    }

    /// Drops every pool mapping object `id` holds.
    fn pool_release_all(&mut self, id: Id) {
        if let Ok(Object { kind: Kind::Page { pool, .. }, .. }) = self.find(id) {
            for h in pool.iter_mut() {
                *h = None;
            }
        }
    }

    /// Frees object `id`, or `EBUSY` while it holds kmap() or pool mappings.
    fn free(&mut self, id: Id) -> Result {
        let slot = self.list.iter_mut().find(|o| o.as_ref().is_some_and(|o| o.id == id)).ok_or(ENOENT)?;
        match slot {
            Some(Object { kind: Kind::Page { page, pool, .. }, .. }) => {
                if page.kmap_holds() > 0 || pool.iter().any(Option::is_some) {
                    return Err(EBUSY);
                }
            }
            Some(Object { kind: Kind::Vmalloc { buf }, .. }) => {
                self.vmalloc_bytes -= buf.len();
                self.vmalloc_space -= vmalloc_charge(buf.len());
            }
            None => {}
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
        // Make room first: once mapped, nothing may fail (a failure would
        // drop the mapping again, which is correct, but not "no change").
        let hole = holds.iter().position(Option::is_none);
        if hole.is_none() {
            holds.reserve(1, GFP_KERNEL)?;
        }
        let held = Some(Held::new(&pool, page, Wait::No)?);
        match hole {
            Some(i) => holds[i] = held,
            None => holds.push(held, GFP_KERNEL)?,
        }
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
                    self.push(Kind::Page { pool: KVec::new(), page, kmap_addr: 0, roundtrips: 0 })?;
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
            // One mapping each, for tracing a known caller (`kmaps`).
            Command::KmapLocal(id) => {
                let (page, _, _) = self.page(id)?;
                page.map_local(|b| core::hint::black_box(b[0]))?;
                Ok(())
            }
            Command::KmapNested(id) => {
                let (page, _, _) = self.page(id)?;
                let r = page.map_local(|a| page.map_local(|b| page.map_local(|c| a[0] ^ b[1] ^ c[2])));
                core::hint::black_box(r???);
                Ok(())
            }
            Command::KmapAtomic(id) => {
                let (page, _, _) = self.page(id)?;
                page.atomic_read(0, &mut [0u8; 1])
            }
            Command::Roundtrip(id) => {
                let (page, _, roundtrips) = self.page(id)?;
                let seed = (id as u8) ^ (*roundtrips as u8).wrapping_mul(29);
                roundtrip(page, seed, *roundtrips)?;
                *roundtrips = roundtrips.wrapping_add(1);
                Ok(())
            }
            Command::Vmalloc(bytes) => {
                let space = self.vmalloc_space + vmalloc_charge(bytes as usize);
                if space > MAX_VMALLOC_SPACE as usize {
                    return Err(ENOSPC);
                }
                self.reserve(1)?;
                let buf = VVec::from_elem(0u8, bytes as usize, GFP_KERNEL | __GFP_NOWARN)?;
                self.push(Kind::Vmalloc { buf })?;
                self.vmalloc_bytes += bytes as usize;
                self.vmalloc_space = space;
                Ok(())
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
                // The last mapping taken goes first; dropping it unmaps.
                let last = holds.iter_mut().rev().find(|h| h.is_some()).ok_or(EINVAL)?;
                *last = None;
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
                    self.push(Kind::Page { pool: KVec::new(), page, kmap_addr: 0, roundtrips: 0 })?;
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
        writeln!(out, "vmalloc_bytes: {}", self.vmalloc_bytes)?;
        writeln!(out, "vmalloc_space: {}", self.vmalloc_space)?;
        for o in self.live() {
            match &o.kind {
                Kind::Page { page, kmap_addr, roundtrips, pool } => writeln!(
                    out,
                    "page {} pfn={} phys={:#x} zone={} highmem={} kmaps={} kmap_vaddr={:#010x} roundtrips={} pool_maps={} pool_slot={} page_address={:#010x}",
                    o.id,
                    page.pfn(),
                    page.phys(),
                    page.zone_name().to_str().unwrap_or("?"),
                    page.is_highmem() as u8,
                    page.kmap_holds(),
                    kmap_addr,
                    roundtrips,
                    pool.iter().flatten().count(),
                    pool.iter().flatten().next().map_or(-1, |h| h.slot() as i64),
                    page.kernel_address()
                )?,
                Kind::Vmalloc { buf } => {
                    let pages = buf.len().div_ceil(PAGE_SIZE);
                    let start = buf.as_ptr();
                    let mut high = 0;
                    for i in 0..pages {
                        if vmalloc_page(buf, i)?.highmem {
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
                        let p = vmalloc_page(buf, i)?;
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

/// The vmalloc address space an area of `bytes` takes: its pages, and the
/// guard page vmalloc puts after each area. Charged against
/// `MAX_VMALLOC_SPACE`, so many tiny areas cannot use more space than a
/// few large ones.
fn vmalloc_charge(bytes: usize) -> usize {
    bytes.div_ceil(PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE
}

/// Writes through a pool mapping and reads back through kmap_local, then
/// the other way round through a second map of the page, which must get the
/// same slot (unless a flush took it meanwhile). `EIO` on any difference.
fn pool_check(pool: &Pool, page: &mut OwnedPage) -> Result {
    const LEN: usize = 64;
    let (mut a, mut b, mut buf) = ([0u8; LEN], [0u8; LEN], [0u8; LEN]);
    pattern::fill(&mut a, 0x5a, 128);
    pattern::fill(&mut b, 0xa5, 256);
    let mut first = pool.map_mut(page, Wait::No)?;
    let slot = first.slot();
    first.write(128, &a)?;
    let flushes = pool.stats_flushes();
    drop(first);
    let via_local = page.map_local(|v| v[128..128 + LEN] == a)?;
    page.map_local_mut(|v| v[256..256 + LEN].copy_from_slice(&b))?;
    let second = pool.map(page, Wait::No)?;
    second.read(256, &mut buf)?;
    let same_slot = second.slot() == slot || pool.stats_flushes() != flushes;
    drop(second);
    if via_local && buf == b && same_slot {
        Ok(())
    } else {
        pr_err!("pool-check on pfn {}: local {} pool {} same slot {}\n", page.pfn(), via_local, buf == b, same_slot);
        Err(EIO)
    }
}

/// Writes a pattern through `kmap_local` (even rounds) or `kmap_atomic`
/// (odd rounds), then checks it through `kmap_atomic`, `kmap()` and
/// `kmap_local`. `EIO` on a mismatch.
fn roundtrip(page: &mut OwnedPage, seed: u8, round: u32) -> Result {
    let mut buf = KVec::from_elem(0u8, PAGE_SIZE, GFP_KERNEL)?;
    if round % 2 == 0 {
        page.map_local_mut(|v| pattern::fill(v, seed, 0))?;
    } else {
        pattern::fill(&mut buf, seed, 0);
        page.atomic_write(0, &buf)?;
        buf.iter_mut().for_each(|b| *b = !*b);
    }
    page.atomic_read(0, &mut buf)?;
    let atomic_ok = pattern::matches(&buf, seed, 0);
    let kmap_ok = pattern::matches(page.kmap().bytes(), seed, 0);
    let local_ok = page.map_local(|v| pattern::matches(v, seed, 0))?;
    if atomic_ok && kmap_ok && local_ok {
        Ok(())
    } else {
        pr_err!("roundtrip mismatch on pfn {}: atomic {} kmap {} local {}\n", page.pfn(), atomic_ok, kmap_ok, local_ok);
        Err(EIO)
    }
}

/// Makes the kernel's pkmap wrap around, which flushes every slot nobody
/// holds (`flush_all_zero_pkmaps()`, private to mm/highmem.c): maps new
/// highmem pages with kmap() one at a time until the scan wraps (see
/// `logic::pkmap`). Returns how many new pages were mapped.
fn pkmap_flush() -> Result<usize> {
    let l = sys::layout();
    let g = pkmap::Geometry { base: l.pkmap_base, page_size: l.page_size, slots: l.last_pkmap };
    // Pages stay allocated until the end, so that none comes back with the
    // slot it was just given. LAST_PKMAP + 1 new mappings always wrap.
    let limit = 2 * (g.slots + 1);
    let mut pages = KVec::with_capacity(limit, GFP_KERNEL)?;
    let mut wraps = pkmap::WrapCounter::default();
    while pages.len() < limit {
        let page = OwnedPage::alloc_high()?;
        let fresh = page.is_highmem() && page.kernel_address() == 0;
        let slot = if fresh { g.slot_of(page.kmap().addr()) } else { None };
        pages.push(page, GFP_KERNEL)?;
        if let Some(slot) = slot {
            if wraps.fresh_slot(slot) {
                return Ok(wraps.fresh as usize);
            }
        }
    }
    Err(EAGAIN)
}
