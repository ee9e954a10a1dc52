// SPDX-License-Identifier: GPL-2.0
pub(crate) mod window;
use self::window::Raw;
use crate::sys::window::Raw as Again;
pub(crate) struct Page;
extern "C" {
    fn hmkit_thing() -> u32;
}
pub(crate) fn thing() -> u32 {
    // SAFETY: no preconditions.
    unsafe { hmkit_thing() }
}
