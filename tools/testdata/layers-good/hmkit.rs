// SPDX-License-Identifier: GPL-2.0
// A fake module tree that tools/check-layers.py must accept (see
// tools/test.sh): every reference here is allowed.
mod bench;
mod debugfs;
mod logic;
mod pool;
mod selftest;
mod sys;
pub(crate) const VERSION: &str = "0.0.0";
use crate::{bench::Bench, debugfs::Files, pool::Pool, sys::Page};
