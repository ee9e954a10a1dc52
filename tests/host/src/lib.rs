// SPDX-License-Identifier: GPL-2.0
//! The module's pure logic, built from the module's own source files so
//! that the host tests exercise exactly the code that runs in the kernel.

// Items only the module's kernel side uses (statistics it renders, its
// limits) are dead here, and the loom build uses only part of the core.
#![allow(dead_code)]

#[path = "../../../src/logic/census.rs"]
pub mod census;
#[path = "../../../src/logic/kmaps.rs"]
pub mod kmaps;
#[path = "../../../src/logic/parse.rs"]
pub mod command;
#[path = "../../../src/logic/layout.rs"]
pub mod layout;
#[path = "../../../src/logic/pattern.rs"]
pub mod pattern;
#[path = "../../../src/logic/pkmap.rs"]
pub mod pkmap;
#[path = "../../../src/pool/core.rs"]
pub mod pool_core;
#[path = "../../../port/reference.rs"]
pub mod port_reference;

/// The atomics the pool core uses (`super::atomic` from its point of view):
/// std's normally, loom's under `--cfg loom`, as the module uses core's.
#[cfg(not(loom))]
pub mod atomic {
    pub use std::sync::atomic::{AtomicU32, Ordering};
}
#[cfg(loom)]
pub mod atomic {
    pub use loom::sync::atomic::{AtomicU32, Ordering};
}

pub(crate) mod model;

#[cfg(test)]
mod census_tests;
#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod kmaps_tests;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod parse_props;
#[cfg(all(test, not(loom)))]
mod pool_tests;
#[cfg(all(test, loom))]
mod pool_loom;
#[cfg(test)]
mod logic_tests;
#[cfg(all(test, not(loom)))]
mod port_tests;
