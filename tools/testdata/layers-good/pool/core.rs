// SPDX-License-Identifier: GPL-2.0
use super::atomic::{AtomicU32, Ordering};
use core::ops::Deref;
pub(crate) struct Slots(AtomicU32);
// SAFETY: the state word is atomic.
unsafe impl Sync for Slots {}
pub(crate) trait Window {
    fn flush(&self);
}
