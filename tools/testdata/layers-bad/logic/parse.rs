// SPDX-License-Identifier: GPL-2.0
// Mentions of crate::pool::Pool or unsafe in comments and "crate::sys" in
// strings are not references.
pub(crate) enum Command { A }
const S: &str = "unsafe crate::pool::Pool";
use super::pure;
// SAFETY: sound, but unsafe is not allowed in this layer.
fn g() -> usize { let x = unsafe { 1 }; x } // ERROR: unsafe in logic
