// SPDX-License-Identifier: GPL-2.0
use super::core::Window;
use crate::sys::window::Raw;
pub(crate) struct VmWindow(Raw);
impl Window for VmWindow {
    fn flush(&self) {
        // SAFETY: allowed here.
        let _ = unsafe { core::mem::zeroed::<u32>() };
    }
}
