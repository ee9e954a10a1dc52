// SPDX-License-Identifier: GPL-2.0
use super::atomic::AtomicU32;
use super::Pool; // ERROR: pool core may take only `atomic` from its parent
use crate::logic::pure; // ERROR: pool core uses no crate:: path
pub(crate) struct Slots(AtomicU32);
unsafe impl Sync for Slots {}
