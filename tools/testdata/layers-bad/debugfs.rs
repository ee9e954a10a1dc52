// SPDX-License-Identifier: GPL-2.0
use crate::{bench::Bench, control::Objects, pool::Pool, sys, views};
pub(crate) fn open() {}
