// SPDX-License-Identifier: GPL-2.0
use super::{thing, Page};
pub(crate) struct Raw;
unsafe impl Send for Raw {}
