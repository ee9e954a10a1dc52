// SPDX-License-Identifier: GPL-2.0
pub(crate) mod core;
pub(crate) mod atomic {
    pub(crate) use ::core::sync::atomic::AtomicU32;
}
use self::core::Slots;
use crate::{logic::parse::Command, sys};
use crate::bench::Bench; // ERROR: layer 2 uses layer 3
pub(crate) struct Pool;
unsafe impl Send for Pool {} // ERROR: unsafe in pool/mod.rs
