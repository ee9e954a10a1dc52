// SPDX-License-Identifier: GPL-2.0
// tools/check-abi.py must reject this (see tools/test.sh): fn pointers whose
// own parameters C and Rust pass differently on i386. Each line marked ERROR
// must be reported, and no other.
use core::ffi::{c_char, c_int, c_void};

extern "C" {
    // C would call `f` with a u64 in the regparm way; Rust reads garbage.
    fn run_on_each(f: unsafe extern "C" fn(*mut c_void, u64), arg: *mut c_void); // ERROR
    fn register(cb: Option<unsafe extern "C" fn(pos: loff_t) -> c_int>) -> c_int; // ERROR
    // A Rust-ABI fn pointer handed to C.
    fn register_rust(cb: fn(*mut c_void)); // ERROR
    // Fine: pointers and 32-bit values only, nested too.
    fn fine(cb: Option<unsafe extern "C" fn(m: *mut c_void, n: usize) -> u64>, arg: *mut c_void);
}

/// A callback table C reads (not a mirror of a shim struct).
#[repr(C)]
struct Ops {
    show: Option<unsafe extern "C" fn(entry: *const c_void, m: *mut c_void) -> c_int>,
    seek: Option<unsafe extern "C" fn(entry: *const c_void, off: u64) -> c_int>, // ERROR
    write: Option<unsafe extern "C" fn(entry: *const c_void, buf: *const c_char, len: usize) -> c_int>,
}

/// A Rust callback that receives a callback taking an i64.
unsafe extern "C" fn visit(arg: *mut c_void, each: Option<unsafe extern "C" fn(i64)>) -> c_int { // ERROR
    0
}

type Release = unsafe extern "C" fn(*mut c_void, pgoff: u64); // ERROR
