// SPDX-License-Identifier: GPL-2.0

//! hmkit: see, measure and test high memory on 32-bit x86 Linux.
//!
//! The crate root only wires things together: `sys` is the one layer that
//! talks to C, `mm` builds views of kernel state and owns test objects on
//! top of it, `pool` is hmkit's own mapping pool, and `debugfs` renders
//! them for userspace.

use kernel::prelude::*;

mod bench;
mod debugfs;
mod mm;
mod pool;
mod selftest;
mod sys;

/// hmkit's version, shown in `version`.
pub(crate) const VERSION: &str = "0.1.0";

module! {
    type: HmKit,
    name: "hmkit",
    author: "hmkit developers",
    description: "High-memory introspection, mapping pool and tests for i386",
    license: "GPL",
}

/// Owns everything. The debugfs files go first on unload (no command can
/// run after that), then the objects they own (their pool mappings back to
/// the pool), then the pool, whose window is unmapped last.
struct HmKit {
    _debugfs: debugfs::Files,
}

impl kernel::Module for HmKit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let slots = sys::param_slots();
        let pool = pool::Pool::new(slots).inspect_err(|e| {
            if *e == EINVAL {
                pr_err!("slots={} is out of range {}..={}\n", slots, pool::MIN_SLOTS, pool::MAX_SLOTS);
            }
        })?;
        let debugfs = debugfs::create(pool)?;
        pr_info!("hmkit {} loaded, pool of {} slots\n", VERSION, slots);
        Ok(HmKit { _debugfs: debugfs })
    }
}

impl Drop for HmKit {
    fn drop(&mut self) {
        pr_info!("hmkit unloaded\n");
    }
}
