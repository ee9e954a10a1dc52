// SPDX-License-Identifier: GPL-2.0

//! The pool's window: a range of kernel virtual addresses whose PTEs hmkit
//! writes itself, one page per slot.
//!
//! `vmap()` reserves the range and builds its page tables once, at
//! creation; each slot's PTE pointer is looked up then, so setting and
//! clearing a slot never allocates. TLB flushes reach every CPU and return
//! when all are done. Both PTE formats (2-level and PAE) go through the
//! kernel's own `set_pte`/`pte_clear` in `shim.c`.
//!
//! The methods that change a slot or touch memory through it are `unsafe`:
//! their preconditions (`set` only on a clear, flushed slot, `clear` only on
//! a slot nobody holds, `read`/`write` only through a held slot) are the
//! pool's protocol, which `crate::pool::core` keeps and proves to them.

use super::highmem::OwnedPage;
use kernel::ffi::{c_int, c_uint, c_ulong, c_void};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

/// Mirrors `struct hmkit_window` in `shim.h`.
#[repr(C)]
struct RawWindow {
    base: *mut c_void,
    nr: c_uint,
    dummy: *mut c_void,
    ptes: *mut *mut c_void,
    pages: *mut *mut c_void,
}

extern "C" {
    fn hmkit_window_create(nr: c_uint, w: *mut RawWindow) -> c_int;
    fn hmkit_window_destroy(w: *mut RawWindow);
    fn hmkit_window_set(w: *const RawWindow, slot: c_uint, page: *mut c_void);
    fn hmkit_window_clear(w: *const RawWindow, slot: c_uint);
    fn hmkit_window_pfn(w: *const RawWindow, slot: c_uint) -> c_ulong;
    fn hmkit_window_flush(w: *const RawWindow, slots: *const c_uint, n: c_uint);
    fn hmkit_window_put(w: *const RawWindow, slot: c_uint);
}

// shim.c asserts the same; tools/check-abi.py compares the fields.
const _: () = {
    assert!(::core::mem::size_of::<RawWindow>() == 5 * 4);
    assert!(::core::mem::offset_of!(RawWindow, ptes) == 3 * 4);
    assert!(::core::mem::offset_of!(RawWindow, pages) == 4 * 4);
};

/// The window.
///
/// # Invariants
///
/// `raw` describes a live window of `raw.nr` slots made by
/// `hmkit_window_create`, destroyed only on drop.
pub(crate) struct VmWindow {
    raw: RawWindow,
}

// SAFETY: the window is kernel address space shared by all CPUs; the
// methods that change PTEs are `unsafe`, and their callers serialise them.
unsafe impl Send for VmWindow {}
// SAFETY: as above; `&VmWindow` methods only read `raw`.
unsafe impl Sync for VmWindow {}

impl VmWindow {
    /// Reserves a window of `slots` pages, all clear.
    pub(crate) fn new(slots: u32) -> Result<Self> {
        let mut raw = RawWindow {
            base: ::core::ptr::null_mut(),
            nr: 0,
            dummy: ::core::ptr::null_mut(),
            ptes: ::core::ptr::null_mut(),
            pages: ::core::ptr::null_mut(),
        };
        // SAFETY: `raw` is a valid, writable `struct hmkit_window`.
        kernel::error::to_result(unsafe { hmkit_window_create(slots, &mut raw) })?;
        // INVARIANT: created above.
        Ok(Self { raw })
    }

    /// How many slots the window has.
    pub(crate) fn slots(&self) -> u32 {
        self.raw.nr
    }

    /// The first address of the window.
    pub(crate) fn base(&self) -> usize {
        self.raw.base as usize
    }

    /// One past the last address of the window.
    pub(crate) fn end(&self) -> usize {
        self.base() + self.raw.nr as usize * PAGE_SIZE
    }

    /// The pfn `slot`'s PTE maps now, or `None` if it is clear.
    pub(crate) fn pte_pfn(&self, slot: u32) -> Option<usize> {
        if slot >= self.raw.nr {
            return None;
        }
        // SAFETY: `slot` is in range; the read is lockless and tear-free.
        let pfn = unsafe { hmkit_window_pfn(&self.raw, slot) };
        (pfn != c_ulong::MAX).then_some(pfn)
    }

    fn slot_ptr(&self, slot: u32, offset: usize, len: usize) -> Result<*mut u8> {
        if slot >= self.raw.nr || offset.checked_add(len).is_none_or(|end| end > PAGE_SIZE) {
            return Err(EINVAL);
        }
        Ok((self.base() + slot as usize * PAGE_SIZE + offset) as *mut u8)
    }

    /// Copies `data` into the page `slot` maps, at `offset` (`EINVAL` for a
    /// slot or range outside the window).
    ///
    /// # Safety
    ///
    /// The caller holds a reference on `slot` (the pool's protocol keeps its
    /// PTE pointing at the same live page meanwhile), and has the right to
    /// write that page: nobody else reads or writes it during the call.
    pub(crate) unsafe fn write(&self, slot: u32, offset: usize, data: &[u8]) -> Result {
        let p = self.slot_ptr(slot, offset, data.len())?;
        // Volatile copies: the page is also reachable by C code through
        // other mappings, which the compiler cannot see.
        for (i, &b) in data.iter().enumerate() {
            // SAFETY: the caller holds `slot`, so its PTE maps a live page for
            // the whole call, and `offset + len` is within it (checked).
            unsafe { p.add(i).write_volatile(b) };
        }
        Ok(())
    }

    /// Copies from the page `slot` maps, at `offset`, into `buf` (`EINVAL`
    /// for a slot or range outside the window).
    ///
    /// # Safety
    ///
    /// The caller holds a reference on `slot`, and nobody writes the page
    /// during the call.
    pub(crate) unsafe fn read(&self, slot: u32, offset: usize, buf: &mut [u8]) -> Result {
        let p = self.slot_ptr(slot, offset, buf.len())?;
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: as in `write`.
            *b = unsafe { p.add(i).read_volatile() };
        }
        Ok(())
    }

    /// The page `slot` maps, as a slice for as long as `'a` (`EINVAL` for a
    /// slot outside the window).
    ///
    /// # Safety
    ///
    /// The window outlives `'a`; the caller holds a reference on `slot` for
    /// all of `'a` (so its PTE maps the same live page meanwhile), and
    /// nobody writes the page during `'a`.
    pub(crate) unsafe fn bytes<'a>(&self, slot: u32) -> Result<&'a [u8]> {
        let p = self.slot_ptr(slot, 0, PAGE_SIZE)?;
        // SAFETY: `PAGE_SIZE` bytes mapped at `p` for `'a`, which nobody
        // writes meanwhile (the caller's guarantee).
        Ok(unsafe { core::slice::from_raw_parts(p, PAGE_SIZE) })
    }

    /// As [`VmWindow::bytes`], writable.
    ///
    /// # Safety
    ///
    /// The window outlives `'a`; the caller holds a reference on `slot` for
    /// all of `'a`, and nobody else reads or writes the page during `'a`.
    pub(crate) unsafe fn bytes_mut<'a>(&self, slot: u32) -> Result<&'a mut [u8]> {
        let p = self.slot_ptr(slot, 0, PAGE_SIZE)?;
        // SAFETY: `PAGE_SIZE` bytes mapped at `p` for `'a`, and the caller
        // has them to itself meanwhile.
        Ok(unsafe { core::slice::from_raw_parts_mut(p, PAGE_SIZE) })
    }

    /// Points `slot`'s PTE at `page`.
    ///
    /// # Safety
    ///
    /// `slot < slots`; its PTE is clear and no CPU's TLB still holds a
    /// translation for it (flushed since it was cleared); nobody reads or
    /// writes through it until this returns.
    pub(crate) unsafe fn set(&self, slot: u32, page: &OwnedPage) {
        // SAFETY: `slot` is in range and unused (guaranteed by the caller);
        // `page` is a valid page.
        unsafe { hmkit_window_set(&self.raw, slot, page.raw()) };
    }

    /// Clears `slot`'s PTE. TLBs may keep it until [`VmWindow::flush`].
    ///
    /// # Safety
    ///
    /// `slot < slots`, and nobody holds it (so nobody reads through it).
    pub(crate) unsafe fn clear(&self, slot: u32) {
        // SAFETY: guaranteed by the caller.
        unsafe { hmkit_window_clear(&self.raw, slot) };
    }

    /// Removes `slots` from every CPU's TLB; returns when all are done.
    /// Slots outside the window are left out.
    pub(crate) fn flush(&self, slots: &[u32]) {
        if slots.iter().any(|&s| s >= self.raw.nr) {
            // Never reached from the pool; flush everything rather than
            // hand the C side an index outside the window.
            // SAFETY: `HMKIT_FLUSH_ALL` needs no list.
            unsafe { hmkit_window_flush(&self.raw, ::core::ptr::null(), FLUSH_ALL) };
            return;
        }
        // SAFETY: `slots` is valid for `len` entries, each in range; the
        // call returns after every CPU has flushed them.
        unsafe { hmkit_window_flush(&self.raw, slots.as_ptr(), slots.len() as c_uint) };
    }

    /// Drops the reference `slot` took on its page when it was set (none
    /// if it has none), which may free the frame.
    ///
    /// # Safety
    ///
    /// `slot`'s PTE was cleared and then flushed from every CPU's TLB, and
    /// has not been set since.
    pub(crate) unsafe fn put(&self, slot: u32) {
        if slot < self.raw.nr {
            // SAFETY: live window (type invariant); the slot maps nothing
            // any more, anywhere (the caller's guarantee).
            unsafe { hmkit_window_put(&self.raw, slot) };
        }
    }

    /// Removes every slot from every CPU's TLB; returns when all are done.
    pub(crate) fn flush_all(&self) {
        // SAFETY: `HMKIT_FLUSH_ALL` needs no list.
        unsafe { hmkit_window_flush(&self.raw, ::core::ptr::null(), FLUSH_ALL) };
    }
}

/// `HMKIT_FLUSH_ALL` in `shim.h`.
const FLUSH_ALL: c_uint = 0xffff_ffff;

/// `HMKIT_FLUSH_ONE_BY_ONE` in `shim.h`: up to this many slots are flushed
/// page by page, more with one full flush per CPU.
pub(crate) const FLUSH_ONE_BY_ONE: usize = 32;

impl Drop for VmWindow {
    fn drop(&mut self) {
        // SAFETY: live window (type invariant); its owner (the pool) is
        // gone, so no slot is held: clears every PTE, flushes, unmaps.
        unsafe { hmkit_window_destroy(&mut self.raw) };
    }
}
