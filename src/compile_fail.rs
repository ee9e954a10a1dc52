// SPDX-License-Identifier: GPL-2.0

//! Code that must NOT compile: each case is a way safe code could break
//! the safe API's guarantees if the types allowed it. Built only by
//! `tools/compile-fail.sh`, one case at a time (`--cfg
//! hmkit_compile_fail="NAME"`), against the real kernel crate; the script
//! checks that rustc refuses each case with the error code given here.
#![allow(dead_code, unused_variables, unused_mut, unused_imports)]

use crate::pool::{Pool, Wait};
use crate::sys::highmem::OwnedPage;
use kernel::prelude::*;

/// E0500: writing a page through `kmap_atomic` while a `kmap_local` view
/// of it is alive.
#[cfg(hmkit_compile_fail = "write_while_local_view")]
fn write_while_local_view(page: &mut OwnedPage) -> Result<u8> {
    page.map_local(|view| {
        let _ = page.atomic_write(0, &[1]);
        view[0]
    })
}

/// E0502: writing a page through the pool while a `kmap()` view is alive.
#[cfg(hmkit_compile_fail = "pool_write_while_kmap_view")]
fn pool_write_while_kmap_view(pool: &Pool, page: &mut OwnedPage) -> u8 {
    let k = page.kmap();
    let view = k.bytes();
    if let Ok(mut m) = pool.map_mut(page, Wait::No) {
        let _ = m.write(0, &[1]);
    }
    view[0]
}

/// E0502: a read-only pool mapping of a page alive while a writable one
/// is made (two mappings, one of them writing).
#[cfg(hmkit_compile_fail = "shared_and_mut_pool_maps")]
fn shared_and_mut_pool_maps(pool: &Pool, page: &mut OwnedPage) {
    let r = pool.map(page, Wait::No);
    let w = pool.map_mut(page, Wait::No);
    drop(r);
}

/// E0599: the pool's read-only mapping has no `write`.
#[cfg(hmkit_compile_fail = "write_through_shared_map")]
fn write_through_shared_map(pool: &Pool, page: &OwnedPage) {
    if let Ok(m) = pool.map(page, Wait::No) {
        let _ = m.write(0, &[1]);
    }
}

/// E0133: running code on every CPU in IRQ context needs `unsafe`.
#[cfg(hmkit_compile_fail = "on_each_cpu_is_unsafe")]
fn on_each_cpu_is_unsafe() {
    crate::sys::on_each_cpu(&|_cpu| {});
}

/// E0133: touching a window slot without holding it needs `unsafe`.
#[cfg(hmkit_compile_fail = "window_read_is_unsafe")]
fn window_read_is_unsafe(w: &crate::sys::window::VmWindow) {
    let mut b = [0u8; 4];
    let _ = w.read(0, 0, &mut b);
}

/// E0308: the atomic mapping runs no caller code: it takes a buffer to
/// copy into, not a closure that could sleep with preemption off.
#[cfg(hmkit_compile_fail = "no_closure_in_atomic")]
fn no_closure_in_atomic(page: &OwnedPage) {
    let _ = page.atomic_read(0, |v: &[u8]| v[0]);
}

/// E0597: a pool mapping cannot outlive the page it maps.
#[cfg(hmkit_compile_fail = "pool_map_outlives_page")]
fn pool_map_outlives_page(pool: &Pool) -> Result {
    let m;
    {
        let page = OwnedPage::alloc_high()?;
        m = pool.map(&page, Wait::No)?;
    }
    let mut b = [0u8; 1];
    m.read(0, &mut b)
}

/// E0521: a kmap_local view cannot leave its closure (it is unmapped
/// when the closure returns).
#[cfg(hmkit_compile_fail = "local_view_escapes")]
fn local_view_escapes(page: &OwnedPage) {
    let mut keep: &[u8] = &[];
    let _ = page.map_local(|v| keep = v);
    let _ = keep;
}

/// E0133: pointing a window slot at a page needs `unsafe` (the slot must
/// be clear and flushed).
#[cfg(hmkit_compile_fail = "window_set_is_unsafe")]
fn window_set_is_unsafe(w: &crate::sys::window::VmWindow, page: &OwnedPage) {
    w.set(0, page);
}

/// E0308: the core writes only with the page borrowed mutably.
#[cfg(hmkit_compile_fail = "core_write_needs_mut_page")]
fn core_write_needs_mut_page(
    core: &crate::pool::KernelCore,
    r: &crate::pool::core::SlotRef,
    page: &OwnedPage,
) {
    let _ = core.write(r, page, 0, &[1]);
}

/// E0599: a slot token cannot be copied, so a slot cannot be released
/// twice.
#[cfg(hmkit_compile_fail = "slot_ref_not_clone")]
fn slot_ref_not_clone(r: crate::pool::core::SlotRef) -> (crate::pool::core::SlotRef, crate::pool::core::SlotRef) {
    (r.clone(), r)
}

/// E0382: a slot token is consumed by its release.
#[cfg(hmkit_compile_fail = "slot_ref_released_twice")]
fn slot_ref_released_twice(pool: &crate::pool::KernelCore, r: crate::pool::core::SlotRef) {
    let _ = pool.release(r);
    let _ = pool.release(r);
}

/// E0308: a vmalloc lookup takes the buffer it looks into, not a pointer.
#[cfg(hmkit_compile_fail = "vmalloc_page_takes_no_pointer")]
fn vmalloc_page_takes_no_pointer() {
    let p: *const u8 = core::ptr::null();
    let _ = crate::sys::highmem::vmalloc_page(p, 0);
}

/// E0597: a slice of a page through the pool outliving its mapping.
#[cfg(hmkit_compile_fail = "pool_bytes_outlive_map")]
fn pool_bytes_outlive_map(pool: &Pool, page: &OwnedPage) -> u8 {
    let view = {
        let m = pool.map(page, Wait::No).unwrap();
        m.bytes().unwrap()
    };
    view[0]
}

/// E0502: a writable slice through the pool while a read-only view of the
/// same mapping is alive.
#[cfg(hmkit_compile_fail = "pool_bytes_mut_while_bytes")]
fn pool_bytes_mut_while_bytes(pool: &Pool, page: &mut OwnedPage) -> u8 {
    let mut m = pool.map_mut(page, Wait::No).unwrap();
    let w = m.bytes_mut().unwrap();
    let r = m.read(0, &mut [0u8; 1]);
    w[0] = 1;
    0
}
