// SPDX-License-Identifier: GPL-2.0
// tools/check-abi.py must reject this (see tools/test.sh): #[repr(C)]
// structs that do not match the C structs they mirror. Each line with an
// "ERROR" comment must be reported, and no other.
use core::ffi::{c_char, c_int, c_uint, c_void};

/// Mirrors `struct hmkit_layout` in `shim.h`.
#[repr(C)]
struct RawLayout {
    page_size: usize,
    pmd_size: usize,
    page_offset: usize,
    high_memory: usize,
    pae: usize, // ERROR: unsigned int in C
}

/// Mirrors `struct hmkit_zone` in `shim.h`.
#[repr(C)]
struct RawZone {
    name: *const c_char,
    spanned: usize, // ERROR: C has start_pfn here
    start_pfn: usize,
    highmem: c_uint,
}

/// Mirrors `struct hmkit_window` in `shim.h`.
#[repr(C)]
struct RawWindow { // ERROR: one field short
    base: *mut c_void,
    nr: c_uint,
}

/// What a file can do. Mirrors `struct hmkit_file_ops` in `shim.c`.
#[repr(C)]
struct FileOps {
    show: Option<unsafe extern "C" fn(entry: *const c_void, m: *mut c_void) -> c_int>,
    write: Option<unsafe extern "C" fn(entry: *const c_void, buf: *const c_char) -> c_int>, // ERROR
}

/// Named Raw*, so it must mirror `struct hmkit_ranges`, but it is not #[repr(C)]:
/// only repr(C) structs are compared. This one is fine.
struct RawRanges {
    start: u64,
}

/// Mirrors `struct hmkit_ranges`.
struct Ranges { // ERROR: a mirror must be #[repr(C)]
    start: usize,
    end: usize,
}

extern "C" {
    fn hmkit_layout(l: *mut RawLayout);
}
