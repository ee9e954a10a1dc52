// SPDX-License-Identifier: GPL-2.0
// tools/check-abi.py must accept all of this (see tools/test.sh).
// extern "C" fn in_a_comment(x: u64) is not code.
use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

/// Mirrors `struct hmkit_thing` in `shim.h`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Thing {
    pub(crate) a: usize,
    b: c_ulong,
    c: u32,
    name: *const c_char,
    ptes: *mut *mut c_void,
    cb: Option<unsafe extern "C" fn(arg: *mut c_void, n: usize) -> c_int>,
    tag: [c_char; 8],
}

#[repr(C)]
struct RawPair {
    x: usize,
    y: usize,
}

/// What a file can do. Mirrors `struct hmkit_file_ops` in `shim.c`.
#[repr(C)]
struct FileOps {
    show: Option<unsafe extern "C" fn(entry: *const c_void, m: *mut c_void) -> c_int>,
    write: Option<unsafe extern "C" fn(*const c_void, *const c_char, usize) -> c_int>,
}

/// Not a mirror: a Rust-only struct may hold anything.
#[repr(C)]
struct Entry<T> {
    ops: FileOps,
    data: T,
    when: u64,
}

type Each = unsafe extern "C" fn(*mut c_void, c_uint);
type Count = usize;

unsafe extern "C" {
    fn hmkit_one(a: c_uint, t: *mut Thing) -> c_int;
    fn hmkit_two(p: *const c_void);
    fn hmkit_three() -> Count;
    fn hmkit_four(f: Each, arg: *mut c_void);
    fn hmkit_five(p: &mut RawPair, name: *mut *const c_char, len: usize) -> i32;
    fn hmkit_defined_here(a: c_int, s: *const c_char) -> c_int;
    fn _printk(fmt: *const c_char, ...) -> c_int;
    fn ktime_get() -> u64;
}

mod inner {
    extern "C" {
        pub(super) fn hmkit_two(p: *const core::ffi::c_void);
    }
}

fn generic<F: Fn(u32) -> u32>(f: F) -> u32 {
    let s = "extern \"C\" fn x(a: u64) // not code";
    let c = '"';
    let d = '\'';
    f(s.len() as u32 + c as u32 + d as u32)
}

unsafe extern "C" fn show_cb<'a, T: Sized + 'a>(entry: *const c_void, m: *mut c_void) -> c_int {
    0
}
