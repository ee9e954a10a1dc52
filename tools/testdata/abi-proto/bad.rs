// SPDX-License-Identifier: GPL-2.0
// tools/check-abi.py must reject this (see tools/test.sh): extern "C"
// declarations that disagree with their prototypes in shim.h. Each line
// marked ERROR must be reported, and no other.
use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

#[repr(C)]
struct RawWindow {
    base: *mut c_void,
    nr: c_uint,
}

extern "C" {
    fn hmkit_window_create(nr: c_uint) -> c_int; // ERROR: one parameter short
    fn hmkit_window_set(w: *mut RawWindow, slot: c_uint, page: *mut c_void); // ERROR: C takes const
    fn hmkit_window_pfn(w: *const RawWindow, slot: c_uint) -> c_uint; // ERROR: C returns unsigned long
    fn hmkit_on_each_cpu(f: unsafe extern "C" fn(*mut c_void, c_uint), arg: *mut c_void); // ERROR
    fn hmkit_pkmap_slot(idx: c_uint, vaddr: *mut usize, pfn: *mut c_uint) -> c_int; // ERROR
    fn hmkit_kernel_release() -> *const c_char;
    fn hmkit_seq_write(m: *mut c_void, buf: *const c_char, len: usize);
    fn hmkit_not_in_shim(x: c_uint) -> c_int; // ERROR: no prototype
    fn hmkit_private() -> c_uint; // ERROR: static in shim.c
}
