// SPDX-License-Identifier: GPL-2.0
pub(crate) mod parse;
use crate::logic::parse::Command;
pub(crate) fn pure() -> usize {
    crate::sys::fine as usize // ERROR: layer 1 uses sys
}
