// SPDX-License-Identifier: GPL-2.0

//! The pool core's [`Window`] for the kernel: [`VmWindow`] for PTEs, memory
//! and flushes, `sys::on_each_cpu` for cross-CPU checks, `get_cpu()` and
//! friends for CPU numbers, ktime for the clock. Each method passes its
//! contract on unchanged.

use super::atomic::{AtomicU32, Ordering};
use super::core::Window;
use crate::sys;
use crate::sys::highmem::OwnedPage;
use crate::sys::window::VmWindow;

impl Window for VmWindow {
    type Page = OwnedPage;

    fn slots(&self) -> u32 {
        VmWindow::slots(self)
    }

    fn pfn(page: &OwnedPage) -> u32 {
        // Frame numbers fit 32 bits on i386, PAE included (36-bit physical).
        page.pfn() as u32
    }

    unsafe fn set(&self, slot: u32, page: &OwnedPage) {
        // SAFETY: the same contract as `Window::set`.
        unsafe { VmWindow::set(self, slot, page) }
    }

    unsafe fn clear(&self, slot: u32) {
        // SAFETY: the same contract as `Window::clear`.
        unsafe { VmWindow::clear(self, slot) }
    }

    unsafe fn flush(&self, slots: &[AtomicU32]) {
        // Up to a page-by-page flush's worth goes by list; more is one full
        // flush per CPU either way.
        let mut list = [0u32; sys::window::FLUSH_ONE_BY_ONE];
        if slots.len() > list.len() {
            VmWindow::flush_all(self);
        } else {
            for (l, s) in list.iter_mut().zip(slots) {
                *l = s.load(Ordering::Relaxed);
            }
            VmWindow::flush(self, &list[..slots.len()]);
        }
        for s in slots {
            // SAFETY: each listed slot was cleared before this flush, which
            // has now removed it from every TLB (the contract of
            // `Window::flush`), and nobody holds it to set it again.
            unsafe { VmWindow::put(self, s.load(Ordering::Relaxed)) };
        }
    }

    unsafe fn read(&self, slot: u32, offset: usize, buf: &mut [u8]) -> Result<(), ()> {
        // SAFETY: the same contract as `Window::read`.
        unsafe { VmWindow::read(self, slot, offset, buf) }.map_err(|_| ())
    }

    unsafe fn write(&self, slot: u32, offset: usize, data: &[u8]) -> Result<(), ()> {
        // SAFETY: the same contract as `Window::write`.
        unsafe { VmWindow::write(self, slot, offset, data) }.map_err(|_| ())
    }

    unsafe fn bytes<'a>(&self, slot: u32) -> Result<&'a [u8], ()> {
        // SAFETY: the same contract as `Window::bytes`.
        unsafe { VmWindow::bytes(self, slot) }.map_err(|_| ())
    }

    unsafe fn bytes_mut<'a>(&self, slot: u32) -> Result<&'a mut [u8], ()> {
        // SAFETY: the same contract as `Window::bytes_mut`.
        unsafe { VmWindow::bytes_mut(self, slot) }.map_err(|_| ())
    }

    unsafe fn on_each_cpu(&self, f: &(dyn Fn(u32) + Sync)) {
        // SAFETY: the same contract as `Window::on_each_cpu`.
        unsafe { sys::on_each_cpu(f) }
    }

    fn pin_cpu(&self) -> u32 {
        sys::pin_cpu()
    }

    unsafe fn unpin_cpu(&self) {
        // SAFETY: the same contract as `Window::unpin_cpu`.
        unsafe { sys::unpin_cpu() }
    }

    fn relax(&self) {
        sys::cpu_relax()
    }

    fn now_ns(&self) -> u64 {
        kernel::time::Ktime::ktime_get().to_ns() as u64
    }
}
