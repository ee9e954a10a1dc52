// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers over the kernel's highmem mechanisms.
//!
//! Each wrapper hands out views of a page only for as long as the mapping
//! exists, and only in the way the mechanism allows:
//!
//! - [`OwnedPage::map_local`] / [`OwnedPage::map_local_mut`]:
//!   `kmap_local_page`. The view lives in a closure, so nested mappings are
//!   unmapped in reverse order (the LIFO rule), and the view cannot leave
//!   the thread that mapped it. The task may be preempted inside; the kernel
//!   saves and restores the mapping.
//! - [`OwnedPage::atomic_read`] / [`OwnedPage::atomic_write`]:
//!   `kmap_atomic`, which turns preemption and page faults off until the
//!   unmap. No caller code runs in that section (a closure could sleep): the
//!   wrappers copy in or out and unmap.
//! - [`OwnedPage::kmap`]: the kernel's persistent pkmap (`kmap`/`kunmap`).
//!   A guard that may be kept across sleeps and sent to other threads; it
//!   may sleep to map, until a pkmap slot is free.
//!
//! Every way to write a page's contents needs `&mut OwnedPage` (here, and in
//! the pool's `PoolMapMut`); shared views need `&OwnedPage`. So Rust's borrow
//! rules keep a page from being written through one mapping while a `&[u8]`
//! of it lives through another:
//!
//! `src/compile_fail.rs` holds the attempts that must not compile (a write
//! while a view lives, among others); `tools/compile-fail.sh` builds each one
//! against the real kernel crate and checks that rustc refuses it.

use super::{
    hmkit_vm_map_ram_one, hmkit_vm_unmap_ram, hmkit_vmap_one, hmkit_vunmap, hmkit_kmap, hmkit_kmap_atomic, hmkit_kmap_local, hmkit_kunmap, hmkit_kunmap_atomic, hmkit_kunmap_local,
    hmkit_get_page, hmkit_page_address, hmkit_page_is_highmem, hmkit_put_page, hmkit_page_count, hmkit_page_to_pfn, hmkit_page_zone_name, hmkit_vmalloc_page,
};
use kernel::ffi::{c_char, c_uint, c_void};
use kernel::page::{Page, PAGE_SIZE};
use kernel::prelude::*;
use kernel::str::CStr;

/// A page this module allocated and owns; freed on drop.
///
/// Besides scoped mappings, an `OwnedPage` can hold persistent `kmap()`
/// references of its own ([`OwnedPage::kmap_hold`]), for tests that keep a
/// page mapped across calls; they are dropped with the page.
///
/// # Invariants
///
/// `kmap_holds` is the number of `kmap()` calls on `page` made through
/// `kmap_hold` and not yet undone.
pub(crate) struct OwnedPage {
    page: Page,
    kmap_holds: u32,
    /// The frame number, read once: the pool looks it up on every map.
    pfn: usize,
}

impl OwnedPage {
    /// Allocates a page that may come from highmem (`GFP_KERNEL |
    /// __GFP_HIGHMEM`, as `GFP_HIGHUSER` but without the cpuset wall), zeroed.
    pub(crate) fn alloc_high() -> Result<Self> {
        Ok(Self::from_page(Page::alloc_page(GFP_KERNEL | __GFP_HIGHMEM | __GFP_ZERO | __GFP_NOWARN)?))
    }

    fn from_page(page: Page) -> Self {
        // SAFETY: `page` is a valid `struct page`, owned.
        let pfn = unsafe { hmkit_page_to_pfn(page.as_ptr().cast()) };
        // INVARIANT: no kmap held yet.
        Self { page, kmap_holds: 0, pfn }
    }

    /// Allocates a page without clearing it, from highmem if `highmem` (when
    /// there is any left) or else from lowmem (`GFP_KERNEL`, never highmem;
    /// it stays in the direct map, see [`OwnedPage::direct_map`]). Its
    /// contents are what its previous owner left; nothing in hmkit hands
    /// them to userspace. For benchmarks: clearing a highmem page maps it
    /// with kmap_local, whose `invlpg` would count among the TLB flushes
    /// the benchmark reports.
    pub(crate) fn alloc_unzeroed(highmem: bool) -> Result<Self> {
        let gfp = if highmem { GFP_KERNEL | __GFP_HIGHMEM } else { GFP_KERNEL };
        Ok(Self::from_page(Page::alloc_page(gfp | __GFP_NOWARN)?))
    }

    /// A read-only view of a lowmem page through the kernel's direct map
    /// (`page_address()`): no mapping is made, nothing to undo. `None` for
    /// a highmem page, which has no permanent mapping.
    pub(crate) fn direct_map(&self) -> Option<&[u8]> {
        if self.is_highmem() {
            return None;
        }
        // SAFETY: the page is valid while `self` is borrowed.
        let addr = unsafe { hmkit_page_address(self.raw()) };
        if addr.is_null() {
            return None;
        }
        // SAFETY: a lowmem page's `page_address()` is its direct-map
        // address, mapped for `PAGE_SIZE` bytes as long as the page is
        // allocated, which `self` keeps it for the slice's lifetime; writers
        // need `&mut OwnedPage`, which the shared borrow excludes.
        Some(unsafe { core::slice::from_raw_parts(addr.cast::<u8>(), PAGE_SIZE) })
    }

    /// Takes one more persistent `kmap()` reference, kept until
    /// [`OwnedPage::kmap_release`] or drop; returns the mapping's address.
    /// May sleep until a pkmap slot is free.
    pub(crate) fn kmap_hold(&mut self) -> Result<usize> {
        let holds = self.kmap_holds.checked_add(1).ok_or(EBUSY)?;
        // SAFETY: the page is valid; the reference is recorded below and
        // undone by `kmap_release` or `drop`.
        let addr = unsafe { hmkit_kmap(self.raw()) };
        // INVARIANT: one more outstanding kmap().
        self.kmap_holds = holds;
        Ok(addr as usize)
    }

    /// Drops one reference taken by [`OwnedPage::kmap_hold`]; `EINVAL` if
    /// none is held.
    pub(crate) fn kmap_release(&mut self) -> Result {
        if self.kmap_holds == 0 {
            return Err(EINVAL);
        }
        // SAFETY: undoes one of this page's own outstanding kmap() calls.
        unsafe { hmkit_kunmap(self.raw()) };
        // INVARIANT: one fewer outstanding kmap().
        self.kmap_holds -= 1;
        Ok(())
    }

    /// How many [`OwnedPage::kmap_hold`] references are outstanding.
    pub(crate) fn kmap_holds(&self) -> u32 {
        self.kmap_holds
    }

    pub(super) fn raw(&self) -> *mut c_void {
        self.page.as_ptr().cast()
    }

    /// The page frame number.
    pub(crate) fn pfn(&self) -> usize {
        self.pfn
    }

    /// The physical address (may be above 4 GiB with PAE).
    pub(crate) fn phys(&self) -> u64 {
        (self.pfn() as u64) << 12
    }

    /// Whether the page is in a highmem zone (has no permanent mapping).
    pub(crate) fn is_highmem(&self) -> bool {
        // SAFETY: as in `pfn`.
        unsafe { hmkit_page_is_highmem(self.raw()) != 0 }
    }

    /// The name of the page's zone, e.g. `HighMem`.
    pub(crate) fn zone_name(&self) -> &'static CStr {
        // SAFETY: as in `pfn`; zone names are static strings.
        unsafe { CStr::from_char_ptr(hmkit_page_zone_name(self.raw())) }
    }

    /// The kernel's own address for the page now (`page_address()`): its
    /// direct-map address for lowmem; for highmem its pkmap slot while one
    /// maps it (held, or released and not yet flushed), else 0. A page just
    /// allocated can still have the slot its previous owner left behind.
    pub(crate) fn kernel_address(&self) -> usize {
        // SAFETY: as in `pfn`.
        unsafe { hmkit_page_address(self.raw()) as usize }
    }

    /// Runs `f` with a read-only `kmap_local_page` view of the page.
    /// `EBUSY` instead when the task already nests 8 such mappings: the
    /// kernel allows 16 (and BUG()s past them), and interrupt handlers
    /// need room on top.
    pub(crate) fn map_local<R>(&self, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        if !super::kmap_local_room() {
            return Err(EBUSY);
        }
        // SAFETY: the page is valid while `self` is borrowed. The mapping is
        // undone below, after `f`, before any mapping made before this one
        // (closures nest), which is the LIFO order kmap_local requires; the
        // slice cannot outlive `f`.
        unsafe {
            let addr = hmkit_kmap_local(self.raw());
            let r = f(core::slice::from_raw_parts(addr.cast::<u8>(), PAGE_SIZE));
            hmkit_kunmap_local(addr);
            Ok(r)
        }
    }

    /// Runs `f` with a writable `kmap_local_page` view of the page
    /// (`EBUSY` as for [`Self::map_local`]).
    pub(crate) fn map_local_mut<R>(&mut self, f: impl FnOnce(&mut [u8]) -> R) -> Result<R> {
        if !super::kmap_local_room() {
            return Err(EBUSY);
        }
        // SAFETY: as in `map_local`; `&mut self` makes the view exclusive.
        unsafe {
            let addr = hmkit_kmap_local(self.raw());
            let r = f(core::slice::from_raw_parts_mut(addr.cast::<u8>(), PAGE_SIZE));
            hmkit_kunmap_local(addr);
            Ok(r)
        }
    }

    /// Copies `buf.len()` bytes at `offset` out of the page through a
    /// `kmap_atomic` mapping (`EINVAL` past the end of the page).
    ///
    /// `kmap_atomic` turns preemption and page faults off until the unmap,
    /// so no caller code runs inside the mapping: the copy is all it does,
    /// and nothing in it can sleep.
    pub(crate) fn atomic_read(&self, offset: usize, buf: &mut [u8]) -> Result {
        check_range(offset, buf.len())?;
        if !super::kmap_local_room() {
            return Err(EBUSY);
        }
        // SAFETY: the page is valid while `self` is borrowed; `offset + len`
        // is within the page (checked); the mapping is undone right after
        // the copy, which neither sleeps nor maps anything else. Writers
        // need `&mut OwnedPage`, which the shared borrow excludes.
        unsafe {
            let addr = hmkit_kmap_atomic(self.raw());
            core::ptr::copy_nonoverlapping(addr.cast::<u8>().add(offset), buf.as_mut_ptr(), buf.len());
            hmkit_kunmap_atomic(addr);
        }
        Ok(())
    }

    /// Copies `data` into the page at `offset` through a `kmap_atomic`
    /// mapping (`EINVAL` past the end of the page). As [`Self::atomic_read`],
    /// only the copy runs inside the atomic section.
    pub(crate) fn atomic_write(&mut self, offset: usize, data: &[u8]) -> Result {
        check_range(offset, data.len())?;
        if !super::kmap_local_room() {
            return Err(EBUSY);
        }
        // SAFETY: as in `atomic_read`; `&mut self` makes the access exclusive.
        unsafe {
            let addr = hmkit_kmap_atomic(self.raw());
            core::ptr::copy_nonoverlapping(data.as_ptr(), addr.cast::<u8>().add(offset), data.len());
            hmkit_kunmap_atomic(addr);
        }
        Ok(())
    }

    /// How many references the page frame has (`page_count()`): 1 for the
    /// owner, plus one per [`PagePin`].
    pub(crate) fn ref_count(&self) -> u32 {
        // SAFETY: the page is valid (owned by `self`).
        unsafe { hmkit_page_count(self.raw()) }
    }

    /// A reference on the page frame itself (`get_page()`): the frame stays
    /// allocated until the pin drops, even if this `OwnedPage` is freed
    /// first. For whatever keeps a mapping of the page without borrowing
    /// it (a kept pool mapping), so that no mapping ever outlives its frame.
    pub(crate) fn pin(&self) -> PagePin {
        // SAFETY: the page is valid (owned by `self`); the reference taken
        // here is dropped by the pin's `Drop`.
        unsafe { hmkit_get_page(self.raw()) };
        // INVARIANT: one reference taken above.
        PagePin { page: self.raw() }
    }

    /// Maps the page with the kernel's persistent `kmap()`. May sleep until a
    /// pkmap slot is free.
    pub(crate) fn kmap(&self) -> Kmap<'_> {
        // SAFETY: the page is valid while borrowed by the guard; `kmap` of
        // a valid page always returns its mapping.
        let addr = unsafe { hmkit_kmap(self.raw()) };
        // INVARIANT: `addr` maps `page` until the guard's drop.
        Kmap { page: self, addr: addr.cast() }
    }
}

impl Drop for OwnedPage {
    fn drop(&mut self) {
        while self.kmap_release().is_ok() {}
    }
}

impl OwnedPage {
    /// Maps the page alone with `vmap()`, as drivers do for one page.
    pub(crate) fn vmap(&self) -> Result<Mapped<'_>> {
        // SAFETY: the page is valid while borrowed by the guard.
        let addr = unsafe { hmkit_vmap_one(self.raw()) };
        if addr.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: `addr` maps the page until `drop` undoes it with vunmap.
        Ok(Mapped { addr: addr.cast(), how: How::Vmap, _page: core::marker::PhantomData })
    }

    /// Maps the page with `vm_map_ram()`, the per-CPU-block vmap.
    pub(crate) fn vm_map_ram(&self) -> Result<Mapped<'_>> {
        // SAFETY: as in `vmap`.
        let addr = unsafe { hmkit_vm_map_ram_one(self.raw()) };
        if addr.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: as in `vmap`, undone with vm_unmap_ram.
        Ok(Mapped { addr: addr.cast(), how: How::VmMapRam, _page: core::marker::PhantomData })
    }
}

enum How {
    Vmap,
    VmMapRam,
}

/// A reference on a page frame, taken by [`OwnedPage::pin`].
///
/// # Invariants
///
/// `page` is a `struct page` on which this pin holds one reference
/// (`get_page()`), dropped with `put_page()` on drop.
pub(crate) struct PagePin {
    page: *mut c_void,
}

impl Drop for PagePin {
    fn drop(&mut self) {
        // SAFETY: drops the reference this pin holds (type invariant); if it
        // was the last one, the frame goes back to the allocator.
        unsafe { hmkit_put_page(self.page) };
    }
}

// SAFETY: a page reference may be dropped from any thread (the count is
// atomic), and the pin gives no access to the page's contents.
unsafe impl Send for PagePin {}
// SAFETY: `&PagePin` has no methods.
unsafe impl Sync for PagePin {}

/// A page mapped by [`OwnedPage::vmap`] or [`OwnedPage::vm_map_ram`].
///
/// # Invariants
///
/// `addr` maps the borrowed page, by the means `how` says, until drop.
pub(crate) struct Mapped<'a> {
    addr: *const u8,
    how: How,
    _page: core::marker::PhantomData<&'a OwnedPage>,
}

impl Mapped<'_> {
    /// Reads byte `offset` of the page (`offset` is taken modulo the page).
    pub(crate) fn read_byte(&self, offset: usize) -> u8 {
        // SAFETY: the mapping covers the whole page (type invariant).
        unsafe { self.addr.add(offset % PAGE_SIZE).read_volatile() }
    }
}

impl Drop for Mapped<'_> {
    fn drop(&mut self) {
        // SAFETY: undoes this guard's own mapping, the way it was made.
        unsafe {
            match self.how {
                How::Vmap => hmkit_vunmap(self.addr.cast()),
                How::VmMapRam => hmkit_vm_unmap_ram(self.addr.cast()),
            }
        }
    }
}

/// A persistent `kmap()` mapping of a page, undone on drop.
///
/// # Invariants
///
/// `addr` is the kernel virtual address at which `kmap()` mapped `page`, and
/// the mapping holds one pkmap reference until this guard drops.
pub(crate) struct Kmap<'a> {
    page: &'a OwnedPage,
    addr: *const u8,
}

impl Kmap<'_> {
    /// The virtual address of the mapping (a pkmap slot for a highmem page,
    /// the direct map for a lowmem page).
    pub(crate) fn addr(&self) -> usize {
        self.addr as usize
    }

    /// A read-only view of the page.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is valid for `PAGE_SIZE` bytes while the guard
        // lives (type invariant); writers need `&mut OwnedPage`, which the
        // guard's shared borrow excludes.
        unsafe { core::slice::from_raw_parts(self.addr, PAGE_SIZE) }
    }
}

impl Drop for Kmap<'_> {
    fn drop(&mut self) {
        // SAFETY: undoes this guard's own `kmap()` (type invariant).
        unsafe { hmkit_kunmap(self.page.raw()) };
    }
}

// SAFETY: a pkmap mapping is global (not per CPU or per task, unlike
// kmap_local): any thread may read through it or undo it with kunmap().
unsafe impl Send for Kmap<'_> {}
// SAFETY: `&Kmap` only hands out `&[u8]` of a page that is shared-borrowed
// for the guard's life, so nobody can write it meanwhile (writes need
// `&mut OwnedPage`).
unsafe impl Sync for Kmap<'_> {}

/// `EINVAL` unless `offset..offset + len` lies within one page.
fn check_range(offset: usize, len: usize) -> Result {
    match offset.checked_add(len) {
        Some(end) if end <= PAGE_SIZE => Ok(()),
        _ => Err(EINVAL),
    }
}

/// The page behind one page of a vmalloc area.
pub(crate) struct VmallocPage {
    pub(crate) pfn: usize,
    pub(crate) highmem: bool,
    pub(crate) zone: &'static CStr,
}

/// The page behind page `index` of `buf`, a vmalloc'ed buffer the caller
/// borrows (so it stays mapped during the lookup). `EINVAL` past its end,
/// `EFAULT` if that part is not vmalloc'ed (a zero-sized buffer).
pub(crate) fn vmalloc_page(buf: &VVec<u8>, index: usize) -> Result<VmallocPage> {
    if index >= buf.len().div_ceil(PAGE_SIZE) {
        return Err(EINVAL);
    }
    let addr = buf.as_ptr().wrapping_add(index * PAGE_SIZE);
    let (mut pfn, mut highmem, mut zone): (usize, c_uint, *const c_char) = (0, 0, core::ptr::null());
    // SAFETY: `addr` lies inside `buf`, which the borrow keeps allocated and
    // mapped; the shim checks it is a vmalloc address before walking the
    // page tables; the out pointers are valid locals.
    kernel::error::to_result(unsafe { hmkit_vmalloc_page(addr.cast(), &mut pfn, &mut highmem, &mut zone) })?;
    // SAFETY: on success `zone` is a zone's static name.
    let zone = unsafe { CStr::from_char_ptr(zone) };
    Ok(VmallocPage { pfn, highmem: highmem != 0, zone })
}
