// SPDX-License-Identifier: GPL-2.0
//! Pure logic: see [`crate::sys`] for what it is not (a doc link is no use).
pub(crate) mod parse;
pub(crate) use self::parse::Command;
pub(crate) fn pure() -> usize {
    crate::logic::parse::max()
}
