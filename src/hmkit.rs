// SPDX-License-Identifier: GPL-2.0

//! hmkit: see, measure and test high memory on 32-bit x86 Linux.
//!
//! The crate root only wires things together. The layers, each using only
//! those below it (`tools/check-layers.py` enforces this):
//!
//! 1. `sys`: the only code that talks to C: raw declarations and sound,
//!    safe wrappers over them (pages and their mappings, the pool's window,
//!    debugfs files, layout and zone facts).
//! 2. pure logic, compiled into the host tests too: `logic` (the command
//!    grammars, the address-space layout, test patterns, pkmap wraps) and
//!    `pool::core` (the pool's lock-free slot protocol).
//! 3. `pool`: hmkit's own mapping pool: the core over the window, with its
//!    lock, waiting and guards.
//! 4. features: `views` (layout, zones, pkmap, version), `census`, `kmaps`
//!    (the kernel's kmap calls by call site), `control` (the
//!    control file's interpreter and the objects it owns), `bench`,
//!    `stress`, `selftest`.
//! 5. `debugfs`: the files, wired to the features.
//!
//! `unsafe` appears only in `sys` and in the pool core (`pool::core` and
//! its window adapter), each use with its `// SAFETY:` reasoning.

use kernel::prelude::*;

mod bench;
mod census;
#[cfg(hmkit_compile_fail)]
mod compile_fail;
mod control;
mod debugfs;
mod kmaps;
mod logic;
mod pool;
mod selftest;
mod stress;
mod sys;
mod views;

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
        pr_info!("hmkit {} loaded, pool of {} slots\n", logic::VERSION, slots);
        Ok(HmKit { _debugfs: debugfs })
    }
}

impl Drop for HmKit {
    fn drop(&mut self) {
        // A backstop: the kmaps file takes its probes out when it goes
        // (with the fields, after this); had a registration been leaked,
        // this takes it out before the module's text goes.
        sys::kmaps::unregister_all();
        pr_info!("hmkit unloaded\n");
    }
}
