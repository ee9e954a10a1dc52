// SPDX-License-Identifier: GPL-2.0
//! The module's pure logic, built from the module's own source files so
//! that the host tests exercise exactly the code that runs in the kernel.

#![cfg_attr(not(test), allow(dead_code))] // the crate exists for its tests

#[path = "../../../src/debugfs/command.rs"]
pub mod command;
#[path = "../../../src/mm/layout.rs"]
pub mod layout;
#[path = "../../../src/pool/core.rs"]
pub mod pool_core;

#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod pool_tests;
