// SPDX-License-Identifier: GPL-2.0
use super::fine;
use crate::pool::core::Slots; // ERROR: layer 0 uses pool core
pub(crate) struct Raw;
