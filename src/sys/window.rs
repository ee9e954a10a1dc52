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
//! The methods that change a slot follow the pool's protocol
//! (`crate::pool::core`): `set` only on a clear, flushed slot, `clear` only
//! on a slot nobody holds, `read`/`write` only through a held slot. The pool
//! is their only user.

use super::highmem::OwnedPage;
use crate::pool::core;
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
}

extern "C" {
    fn hmkit_window_create(nr: c_uint, w: *mut RawWindow) -> c_int;
    fn hmkit_window_destroy(w: *mut RawWindow);
    fn hmkit_window_set(w: *const RawWindow, slot: c_uint, page: *mut c_void);
    fn hmkit_window_clear(w: *const RawWindow, slot: c_uint);
    fn hmkit_window_pfn(w: *const RawWindow, slot: c_uint) -> c_ulong;
    fn hmkit_window_flush(w: *const RawWindow, slots: *const c_uint, n: c_uint);
}

/// The window.
///
/// # Invariants
///
/// `raw` describes a live window of `raw.nr` slots made by
/// `hmkit_window_create`, destroyed only on drop.
pub(crate) struct VmWindow {
    raw: RawWindow,
}

// SAFETY: the window is kernel address space shared by all CPUs; the C
// functions that change PTEs are serialised by the pool's lock.
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
        };
        // SAFETY: `raw` is a valid, writable `struct hmkit_window`.
        kernel::error::to_result(unsafe { hmkit_window_create(slots, &mut raw) })?;
        // INVARIANT: created above.
        Ok(Self { raw })
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

    /// Copies `data` into the page `slot` maps, at `offset`. Only for a slot
    /// the caller holds a reference on.
    pub(crate) fn write(&self, slot: u32, offset: usize, data: &[u8]) -> Result {
        let p = self.slot_ptr(slot, offset, data.len())?;
        // Other mappings of the page may access it concurrently, as C code
        // may; volatile copies keep the compiler from assuming otherwise.
        for (i, &b) in data.iter().enumerate() {
            // SAFETY: the caller holds `slot`, so its PTE maps a page for
            // the whole call, and `offset + len` is within it (checked).
            unsafe { p.add(i).write_volatile(b) };
        }
        Ok(())
    }

    /// Copies from the page `slot` maps, at `offset`, into `buf`. Only for
    /// a slot the caller holds a reference on.
    pub(crate) fn read(&self, slot: u32, offset: usize, buf: &mut [u8]) -> Result {
        let p = self.slot_ptr(slot, offset, buf.len())?;
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: as in `write`.
            *b = unsafe { p.add(i).read_volatile() };
        }
        Ok(())
    }
}

impl core::Window for VmWindow {
    type Page = OwnedPage;

    fn set(&self, slot: u32, page: &OwnedPage) {
        // SAFETY: the pool calls this with its lock held, for a slot in
        // range whose PTE is clear and flushed; `page` is a valid page.
        unsafe { hmkit_window_set(&self.raw, slot, page.raw()) };
    }

    fn clear(&self, slot: u32) {
        // SAFETY: the pool calls this with its lock held, for a slot in
        // range that nobody holds.
        unsafe { hmkit_window_clear(&self.raw, slot) };
    }

    fn flush(&self, slots: &[u32]) {
        // SAFETY: `slots` is valid for `len` entries, each in range; the
        // call returns after every CPU has flushed them.
        unsafe { hmkit_window_flush(&self.raw, slots.as_ptr(), slots.len() as c_uint) };
    }

    fn now_ns(&self) -> u64 {
        kernel::time::Ktime::ktime_get().to_ns() as u64
    }
}

impl Drop for VmWindow {
    fn drop(&mut self) {
        // SAFETY: live window (type invariant); the pool that used it is
        // gone, so no slot is held: clears every PTE, flushes, unmaps.
        unsafe { hmkit_window_destroy(&mut self.raw) };
    }
}
