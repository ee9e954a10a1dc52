// SPDX-License-Identifier: GPL-2.0
// tools/check-abi.py must reject this (see tools/test.sh): 64-bit values
// passed by value across the Rust/C boundary. Each line marked ERROR must be
// reported, and no other.
use core::ffi::{c_int, c_void};

extern "C" {
    fn takes_u64(page: *mut c_void, offset: u64) -> c_int; // ERROR
}

unsafe extern "C" fn callback_with_loff(pos: loff_t) -> c_int { // ERROR
    0
}
