// SPDX-License-Identifier: GPL-2.0
use crate::{bench::Bench, logic, pool::Pool, selftest::SelfTest, sys};
pub(crate) struct Files;
fn version() -> &'static str { crate::VERSION }
