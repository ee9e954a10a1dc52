// SPDX-License-Identifier: GPL-2.0
use super::pure;
pub(crate) enum Command { A }
pub(crate) fn max() -> usize { let s = "unsafe crate::pool"; s.len() }
#[cfg(test)]
mod tests {
    use super::*;
    use super::super::pure;
}
