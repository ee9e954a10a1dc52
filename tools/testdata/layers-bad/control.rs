// SPDX-License-Identifier: GPL-2.0
pub(crate) struct Objects;
fn f() {
    let _ = super::debugfs::open(); // ERROR: layer 3 uses layer 4
    let _ = crate::VERSION; // ERROR: layer 3 uses the crate root
}
#[cfg(test)]
mod tests {
    use super::Objects;
    use super::super::logic::pure;
}
