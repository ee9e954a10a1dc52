// SPDX-License-Identifier: GPL-2.0
// A sample that tools/check-abi.py must reject (see tools/test.sh).
use core::ffi::{c_int, c_void};

extern "C" {
    fn takes_u64(page: *mut c_void, offset: u64) -> c_int;
}

unsafe extern "C" fn callback_with_loff(pos: loff_t) -> c_int {
    0
}
