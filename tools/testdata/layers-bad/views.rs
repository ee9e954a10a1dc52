// SPDX-License-Identifier: GPL-2.0
use crate::logic::parse::Command;
use crate::sys::window::Raw;
pub(crate) fn render() {}
