// SPDX-License-Identifier: GPL-2.0

//! hmkit: see, measure and test high memory on 32-bit x86 Linux.
//!
//! The crate root only wires things together: `sys` is the one layer that
//! talks to C, `mm` builds views of kernel state and owns test objects on
//! top of it, and `debugfs` renders them for userspace.

use kernel::prelude::*;

mod debugfs;
mod mm;
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

struct HmKit {
    _debugfs: debugfs::Files,
}

impl kernel::Module for HmKit {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let debugfs = debugfs::create()?;
        pr_info!("hmkit {} loaded\n", VERSION);
        Ok(HmKit { _debugfs: debugfs })
    }
}

impl Drop for HmKit {
    fn drop(&mut self) {
        pr_info!("hmkit unloaded\n");
    }
}
