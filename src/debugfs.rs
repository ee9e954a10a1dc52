// SPDX-License-Identifier: GPL-2.0

//! hmkit's debugfs files, under `/sys/kernel/debug/hmkit/`.
//!
//! The top layer: it wires each file to the feature that renders it or
//! carries out its commands (`views`, `control`, `bench`, `stress`,
//! `selftest`, the pool), and knows nothing of how `hmctl` presents them.
//! All files are root-only: several show kernel addresses.
//!
//! Lock order: a file's own lock (the control objects' mutex, the bench
//! samples' mutex, the selftest result's mutex) comes first, then the
//! pool's spinlock (see `crate::pool`). No file operation holds a lock
//! while it waits for a pool slot.

use crate::control::Objects;
use crate::logic::parse;
use crate::pool::{Deadline, Pool, Wait};
use crate::stress;
use crate::sys;
use crate::sys::debugfs::{Control, Dir, Show};
use crate::views;
use core::fmt;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// A read-only file rendered by a function of no state.
struct View(fn(&mut dyn fmt::Write) -> Result);

impl Show for View {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        (self.0)(out)
    }
}

/// `layout`: needs the pool, to show its window among the kernel's regions.
struct LayoutFile(Arc<Pool>);

impl Show for LayoutFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        views::layout(&self.0, out)
    }
}

/// `control`: write one command (see `crate::logic::parse`) to act on objects the
/// module owns; read to list them.
struct ControlFile {
    objects: Arc<Mutex<Objects>>,
    pool: Arc<Pool>,
}

impl Show for ControlFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.objects.lock().render(out)
    }
}

impl Control for ControlFile {
    fn write(&self, input: &[u8]) -> Result {
        let cmd = parse::parse(input).map_err(|_| EINVAL)?;
        let parse::Command::PoolMap(_) = cmd else {
            return self.objects.lock().apply(cmd);
        };
        // A blocking pool-map: try, and wait for a slot without holding the
        // objects' lock, so that the unmap it waits for can run.
        let deadline = Deadline::after(Wait::Ms(sys::param_wait_ms()));
        let mut waiting = None;
        loop {
            match self.objects.lock().apply(cmd) {
                Err(e) if e == EAGAIN => {}
                r => return r,
            }
            // Announce, look once more, then sleep (see `Pool::announce`).
            waiting = Some(match waiting.take() {
                None => self.pool.announce(),
                Some(w) => self.pool.sleep(w, deadline)?,
            });
        }
    }
}

/// `pool`: hmkit's pool, slot by slot.
struct PoolFile(Arc<Pool>);

impl Show for PoolFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.0.render_slots(out)
    }
}

/// `stats`: the pool's counters.
struct StatsFile(Arc<Pool>);

impl Show for StatsFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.0.render_stats(out)
    }
}

/// `stress`: write `OPS PAGES` to run a stress batch; read the totals.
struct StressFile {
    pool: Arc<Pool>,
    totals: stress::Totals,
}

impl Show for StressFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.totals.render(out)
    }
}

impl Control for StressFile {
    fn write(&self, input: &[u8]) -> Result {
        let (ops, pages) = parse::parse_stress(input).map_err(|_| EINVAL)?;
        stress::run(&self.pool, &self.totals, ops, pages, sys::param_wait_ms())
    }
}

/// The debugfs directory and what its files share.
pub(crate) struct Files {
    _dir: Dir,
}

/// Creates `hmkit/` and its files.
pub(crate) fn create(pool: Arc<Pool>) -> Result<Files> {
    let objects = Arc::pin_init(kernel::new_mutex!(Objects::new(pool.clone()), "hmkit_objects"), GFP_KERNEL)?;
    let mut dir = Dir::new(c_str!("hmkit"))?;
    dir.read_only(c_str!("version"), View(views::version))?;
    dir.read_only(c_str!("layout"), LayoutFile(pool.clone()))?;
    dir.read_only(c_str!("zones"), View(views::zones))?;
    dir.read_only(c_str!("pkmap"), View(views::pkmap))?;
    dir.read_only(c_str!("census"), View(crate::census::show))?;
    dir.read_write(c_str!("kmaps"), crate::kmaps::Kmaps::new()?)?;
    dir.read_only(c_str!("pool"), PoolFile(pool.clone()))?;
    dir.read_only(c_str!("stats"), StatsFile(pool.clone()))?;
    dir.read_write(c_str!("control"), ControlFile { objects, pool: pool.clone() })?;
    dir.read_write(c_str!("bench"), crate::bench::Bench::new(pool.clone())?)?;
    dir.read_write(c_str!("stress"), StressFile { pool, totals: stress::Totals::default() })?;
    dir.read_write(c_str!("selftest"), crate::selftest::SelfTest::new()?)?;
    Ok(Files { _dir: dir })
}
