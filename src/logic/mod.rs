// SPDX-License-Identifier: GPL-2.0

//! hmkit's pure logic: no kernel types, no `unsafe`, compiled into the
//! module and into the host test crate (`tests/host`) alike.
//!
//! - [`parse`]: the grammars of the `control`, `bench` and `stress` files;
//! - [`census`]: classifying page frames by use, from their struct page;
//! - [`kmaps`]: counting the kernel's kmap calls by call site;
//! - [`layout`]: the 32-bit virtual address space as a list of regions;
//! - [`pattern`]: the byte patterns tests write and check;
//! - [`pkmap`]: telling from kmap() addresses when the kernel's pkmap scan
//!   wrapped (and so flushed).

pub(crate) mod census;
pub(crate) mod kmaps;
pub(crate) mod layout;
pub(crate) mod parse;
pub(crate) mod pattern;
pub(crate) mod pkmap;

/// hmkit's version, shown in `version`.
pub(crate) const VERSION: &str = "0.1.0";
