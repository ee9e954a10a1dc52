// SPDX-License-Identifier: GPL-2.0
pub(crate) mod window;
use crate::pool::Pool; // ERROR: layer 0 uses layer 2
use self::window::Raw;
use super::sys::window::Raw as Again;
pub(crate) unsafe fn fine() {}
