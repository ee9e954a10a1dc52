// SPDX-License-Identifier: GPL-2.0

//! Views of the kernel's memory state, and objects the module owns for tests.
//! Safe Rust on top of `crate::sys`.

pub(crate) mod layout;
pub(crate) mod objects;
