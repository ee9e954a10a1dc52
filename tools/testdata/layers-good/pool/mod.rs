// SPDX-License-Identifier: GPL-2.0
pub(crate) mod core;
mod window;
pub(crate) mod atomic {
    pub(crate) use ::core::sync::atomic::{AtomicU32, Ordering};
}
use self::core::Slots;
use self::window::VmWindow;
use crate::{logic::{parse::Command, pure}, sys::{self, Page}};
pub(crate) struct Pool(Slots);
