// SPDX-License-Identifier: GPL-2.0

//! hmkit's debugfs files, under `/sys/kernel/debug/hmkit/`.
//!
//! Each file renders a snapshot taken when it is read; nothing here knows
//! how `hmctl` presents it. All files are root-only.

use crate::sys::debugfs::{Dir, Show};
use crate::sys;
use core::fmt;
use kernel::c_str;
use kernel::prelude::*;

/// `version`: what is running, and a check of 64-bit arithmetic in Rust
/// (on i386 it goes through the kernel patch's `__udivdi3` and friends).
///
/// ```text
/// hmkit: 0.1.0
/// kernel: 6.12.117
/// paging: 2-level
/// cpus_online: 2
/// u64_divide: 18446744073709551615 / 7 = 2635249153387078802 rem 1
/// i64_divide: -9223372036854775807 / 10 = -922337203685477580 rem -7
/// ```
struct Version;

impl Show for Version {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        // Kept opaque so that the divisions happen at run time.
        let (a, b) = (core::hint::black_box(u64::MAX), core::hint::black_box(7u64));
        let (c, d) = (core::hint::black_box(-i64::MAX), core::hint::black_box(10i64));
        writeln!(out, "hmkit: {}", crate::VERSION)?;
        writeln!(out, "kernel: {}", sys::kernel_release().to_str().unwrap_or("?"))?;
        writeln!(out, "paging: {}", if sys::config_pae() { "3-level PAE" } else { "2-level" })?;
        writeln!(out, "cpus_online: {}", sys::num_online_cpus())?;
        writeln!(out, "u64_divide: {a} / {b} = {} rem {}", a / b, a % b)?;
        writeln!(out, "i64_divide: {c} / {d} = {} rem {}", c / d, c % d)?;
        Ok(())
    }
}

/// Creates `hmkit/` and its files.
pub(crate) fn create() -> Result<Dir> {
    let mut dir = Dir::new(c_str!("hmkit"))?;
    dir.read_only(c_str!("version"), Version)?;
    Ok(dir)
}
