// SPDX-License-Identifier: GPL-2.0
use crate::{logic, pool::Pool, sys};
pub(crate) struct SelfTest;
