// SPDX-License-Identifier: GPL-2.0

//! The only place where hmkit touches C.
//!
//! Everything in this module is a raw declaration of a function in
//! `shim.c` or the kernel, plus a thin safe wrapper around it. Code outside
//! `sys` is safe Rust.
//!
//! # The i386 calling-convention rule
//!
//! rustc does not pass 64-bit integers or structs by value the way GCC's
//! `-mregparm=3` does. No declaration here may take a `u64`, `i64`,
//! `loff_t`, `phys_addr_t`, `pte_t` or any other struct by value: such calls
//! go through a helper in `shim.c` that takes pointers or 32-bit values.
//! (Returning a `u64` is fine.) `tools/check-abi.sh` enforces this.

use kernel::ffi::{c_char, c_int, c_uint, c_void};

pub(crate) mod debugfs;

extern "C" {
    fn hmkit_kernel_release() -> *const c_char;
    fn hmkit_config_pae() -> c_uint;
    fn hmkit_num_online_cpus() -> c_uint;

    fn hmkit_debugfs_dir(name: *const c_char, parent: *mut c_void, out: *mut *mut c_void) -> c_int;
    fn hmkit_debugfs_file(
        name: *const c_char,
        mode: c_uint,
        parent: *mut c_void,
        entry: *const c_void,
        out: *mut *mut c_void,
    ) -> c_int;
    fn hmkit_debugfs_remove(dentry: *mut c_void);
    fn hmkit_seq_write(m: *mut c_void, buf: *const c_char, len: usize);
}

/// The running kernel's release string, e.g. `6.12.117`.
pub(crate) fn kernel_release() -> &'static kernel::str::CStr {
    // SAFETY: `init_utsname()->release` is a NUL-terminated array inside the
    // initial UTS namespace, which lives as long as the kernel.
    unsafe { kernel::str::CStr::from_char_ptr(hmkit_kernel_release()) }
}

/// Whether the kernel uses PAE (three-level, 64-bit) page tables.
pub(crate) fn config_pae() -> bool {
    // SAFETY: reads a compile-time constant; no preconditions.
    unsafe { hmkit_config_pae() != 0 }
}

/// How many CPUs are online now.
pub(crate) fn num_online_cpus() -> u32 {
    // SAFETY: reads the online CPU mask's weight; no preconditions.
    unsafe { hmkit_num_online_cpus() }
}
