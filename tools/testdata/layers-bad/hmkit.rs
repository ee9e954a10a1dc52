// SPDX-License-Identifier: GPL-2.0
// A fake module tree that tools/check-layers.py must reject (see
// tools/test.sh): each line with an "ERROR" comment must be reported, and
// no other. The crate root may use any module, but not `unsafe`.
mod bench;
mod control;
mod debugfs;
mod extra;
mod logic;
mod pool;
mod sys;
mod views;
pub(crate) const VERSION: &str = "0.0.0";
use crate::views::render;
// SAFETY: sound, but unsafe is not allowed in this layer.
fn f() { let _ = unsafe { core::mem::zeroed::<u32>() }; } // ERROR: unsafe outside sys/pool core/window
