// SPDX-License-Identifier: GPL-2.0

//! The `kmaps` file: which kernel call sites map pages with kmap(),
//! kmap_atomic() and kmap_local, how often, how many of them highmem, how
//! long kmap() holds them, how deep kmap_local nests, and who waited for or
//! flushed the pkmap.
//!
//! Write `start` to put the probes in (`sys::kmaps`), `stop` to take them
//! all out again, `reset` (while stopped) to empty the tables. Unloading
//! the module stops it. The tables (one per CPU, [`SITES_PER_CPU`] sites
//! each, and [`HOLDS`] timed kmap() mappings) are allocated at the first
//! start and kept; recording fills them without allocating, and what does
//! not fit is counted.
//!
//! ```text
//! state: stopped
//! traced_ns: 2000123456
//! cpus: 2
//! missed: 0
//! sites_full: 0
//! holds_full: 0
//! unmatched_unmaps: 0
//!
//! cpu kmap kunmap kmap_atomic kmap_local ... pkmap_flush
//! 0 12 12 0 3021 ... 0
//! 1 ...
//!
//! mechanism calls highmem waits wait_ns holds hold_ns hold_max_ns held hold_hist depth_hist site
//! kmap 12 12 0 0 12 1234567 150000 0 16:3,17:9 - hmkit_kmap+0x1c/0x30 [hmkit]
//! ```
//!
//! Sites come sorted by calls, most first; `site` is the rest of the line,
//! as `%pS` prints it. The histograms are `bucket:count` pairs: hold times
//! in [2^b, 2^(b+1)) ns, nesting depth b (kmap_local mappings the task
//! already held).

use crate::logic::kmaps::{self, merge, write_hist, Command, Event, Hold, Kind, Lost, Site, Snapshot, Tables, HOLDS, MECHS, SITES_PER_CPU};
use crate::sys;
use crate::sys::debugfs::{Control, Show};
use crate::sys::kmaps::{KmapProbes, KmapSink, RawKmapEvent};
use core::fmt;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// The tables the probes record into.
pub(crate) struct Recorder {
    sites: VVec<Site>,
    holds: VVec<Hold>,
    lost: Lost,
    cpus: usize,
}

impl Recorder {
    fn new() -> Result<Self> {
        let cpus = sys::nr_cpu_ids() as usize;
        let mut sites = VVec::with_capacity(cpus * SITES_PER_CPU, GFP_KERNEL)?;
        for _ in 0..cpus * SITES_PER_CPU {
            sites.push(Site::new(), GFP_KERNEL)?;
        }
        let mut holds = VVec::with_capacity(HOLDS, GFP_KERNEL)?;
        for _ in 0..HOLDS {
            holds.push(Hold::new(), GFP_KERNEL)?;
        }
        Ok(Recorder { sites, holds, lost: Lost::default(), cpus })
    }

    fn tables(&self) -> Tables<'_> {
        Tables { sites: &self.sites, holds: &self.holds, lost: &self.lost }
    }
}

impl KmapSink for Recorder {
    fn record(&self, raw: &RawKmapEvent) {
        let Some(kind) = Kind::from_raw(raw.kind) else {
            self.lost.unknown.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            return;
        };
        self.tables().record(&Event {
            kind,
            site: raw.site,
            key: raw.key,
            now_ns: raw.now_ns,
            start_ns: raw.start_ns,
            highmem: raw.highmem != 0,
            depth: raw.depth,
            pagefault_disabled: raw.pagefault_disabled != 0,
            cpu: raw.cpu,
            waited: raw.waited != 0,
        });
    }
}

struct Inner {
    // Dropped first: no handler runs once the probes are out.
    probes: Option<KmapProbes<Recorder>>,
    recorder: Option<Arc<Recorder>>,
    /// Time traced by earlier start/stop rounds since the last reset.
    traced_ns: i64,
    /// When the running round started.
    started_ns: i64,
    /// `missed` of earlier rounds since the last reset.
    missed: usize,
}

/// The `kmaps` file.
pub(crate) struct Kmaps {
    inner: Arc<Mutex<Inner>>,
}

impl Kmaps {
    pub(crate) fn new() -> Result<Self> {
        let inner = Inner { probes: None, recorder: None, traced_ns: 0, started_ns: 0, missed: 0 };
        Ok(Kmaps { inner: Arc::pin_init(kernel::new_mutex!(inner, "hmkit_kmaps"), GFP_KERNEL)? })
    }
}

impl Control for Kmaps {
    fn write(&self, input: &[u8]) -> Result {
        let cmd = kmaps::parse_command(input).ok_or(EINVAL)?;
        let mut g = self.inner.lock();
        match cmd {
            Command::Start => {
                if g.probes.is_some() {
                    return Err(EBUSY);
                }
                let recorder = match &g.recorder {
                    Some(r) => r.clone(),
                    None => {
                        let r = Arc::new(Recorder::new()?, GFP_KERNEL)?;
                        g.recorder = Some(r.clone());
                        r
                    }
                };
                recorder.tables().clear_holds();
                g.probes = Some(KmapProbes::register(recorder)?);
                g.started_ns = sys::now_ns();
            }
            Command::Stop => {
                let probes = g.probes.take().ok_or_else(sys::ealready)?;
                g.missed += probes.missed();
                drop(probes);
                g.traced_ns += sys::now_ns() - g.started_ns;
            }
            Command::Reset => {
                if g.probes.is_some() {
                    return Err(EBUSY);
                }
                if let Some(r) = &g.recorder {
                    r.tables().clear();
                }
                g.traced_ns = 0;
                g.missed = 0;
            }
        }
        Ok(())
    }
}

impl Show for Kmaps {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        let g = self.inner.lock();
        let running = g.probes.is_some();
        let traced = g.traced_ns + if running { sys::now_ns() - g.started_ns } else { 0 };
        let missed = g.missed + g.probes.as_ref().map_or(0, |p| p.missed());
        let r = core::sync::atomic::Ordering::Relaxed;
        let zero = Lost::default();
        let lost = g.recorder.as_ref().map_or(&zero, |r| &r.lost);
        writeln!(out, "state: {}", if running { "running" } else { "stopped" })?;
        writeln!(out, "traced_ns: {}", traced)?;
        writeln!(out, "cpus: {}", g.recorder.as_ref().map_or(sys::nr_cpu_ids() as usize, |r| r.cpus))?;
        writeln!(out, "missed: {}", missed)?;
        writeln!(out, "sites_full: {}", lost.sites_full.load(r))?;
        writeln!(out, "holds_full: {}", lost.holds_full.load(r))?;
        writeln!(out, "unmatched_unmaps: {}", lost.unmatched.load(r))?;
        writeln!(out, "unknown_events: {}", lost.unknown.load(r))?;

        let mut rows = KVec::new();
        let mut per_cpu = KVec::new();
        if let Some(rec) = &g.recorder {
            per_cpu = KVec::from_elem([0u64; MECHS.len()], rec.cpus, GFP_KERNEL)?;
            let mut err = Ok(());
            rec.tables().for_each(|cpu, s: Snapshot| {
                if let Some(c) = per_cpu.get_mut(cpu as usize) {
                    c[(s.mech as usize).min(MECHS.len() - 1)] += s.calls;
                }
                if err.is_ok() {
                    err = rows.push(s, GFP_KERNEL);
                }
            });
            err?;
        }
        drop(g);

        write!(out, "\ncpu")?;
        for m in MECHS {
            write!(out, " {}", m.name())?;
        }
        writeln!(out)?;
        for (cpu, c) in per_cpu.iter().enumerate() {
            write!(out, "{}", cpu)?;
            for n in c {
                write!(out, " {}", n)?;
            }
            writeln!(out)?;
        }

        let n = merge(&mut rows);
        let rows = &mut rows[..n];
        rows.sort_unstable_by(|a, b| b.calls.cmp(&a.calls).then(a.site.cmp(&b.site)));
        writeln!(out, "\nmechanism calls highmem waits wait_ns holds hold_ns hold_max_ns held hold_hist depth_hist site")?;
        let mut sym = sys::kmaps::symbol_buffer()?;
        for s in rows.iter() {
            let Some(m) = s.mech() else { continue };
            write!(
                out,
                "{} {} {} {} {} {} {} {} {} ",
                m.name(),
                s.calls,
                s.highmem,
                s.waits,
                s.wait_ns,
                s.holds,
                s.hold_ns,
                s.hold_max_ns,
                s.held
            )?;
            write_hist(out, &s.hold_hist)?;
            out.write_char(' ')?;
            write_hist(out, &s.depth_hist)?;
            out.write_char(' ')?;
            sys::kmaps::write_symbol(out, s.site, &mut *sym)?;
            writeln!(out)?;
        }
        Ok(())
    }
}
