// SPDX-License-Identifier: GPL-2.0
//! check-abi fixture: Rust calls to asmlinkage functions (regparm(0) on
//! i386) are rejected when they take parameters; the others are fine.

fn calls() {
    // SAFETY: fixture, never built.
    unsafe {
        bindings::fixture_on_stack(1, 2); // ERROR
        bindings::fixture_visible(c"x".as_ptr()); // ERROR
        bindings::fixture_vprintf(c"x".as_ptr(), core::ptr::null_mut()); // ERROR
        bindings::fixture_csum(core::ptr::null(), 0, 0); // ERROR
        bindings::fixture_printf(c"%d".as_ptr(), 1);
        bindings::fixture_no_params();
        bindings::fixture_plain(1);
    }
}
