// SPDX-License-Identifier: GPL-2.0
use crate::logic::parse::Command;
use crate::pool::{core::Slots, Pool};
pub(crate) struct Bench(crate::pool::Pool);
impl Bench {
    fn page() -> crate::sys::Page { crate::sys::Page }
}
