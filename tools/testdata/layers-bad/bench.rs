// SPDX-License-Identifier: GPL-2.0
use crate::{
    pool::{core::Slots, Pool},
    stress, // ERROR: features may not use each other (stress.rs need not exist)
    control::Objects, // ERROR: features may not use each other
};
pub(crate) struct Bench;
fn f() -> crate::pool::Pool { crate::pool::Pool }
