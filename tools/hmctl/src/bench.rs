// SPDX-License-Identifier: GPL-2.0
//! `hmctl bench`: hmkit's pool against kmap, kmap_hit, kmap_local,
//! kmap_atomic, vmap, vm_map_ram and the direct map (lowmem), measured in
//! the same run through hmkit's `bench` file, with the kernel's own counts
//! of TLB flushes and flush IPIs per operation (see `events`).
//!
//! The guest clock is either the host's (wall: ns under QEMU TCG, which
//! emulates invlpg and cross-CPU flushes at costs unlike any CPU) or
//! QEMU's instruction counter (`qemu/run.sh --icount`: 1 ns = 1
//! instruction); the report says which. `bench-report` merges one of each
//! into one table; `bench-check` compares instruction counts with a
//! baseline.

use crate::debugfs::{number, value_number, Debugfs};
use crate::events::{self, PerOp};
use crate::threads::run_pinned_probed;
use serde::{Deserialize, Serialize};

pub const MECHANISMS: [&str; 9] =
    ["lowmem", "kmap_local", "kmap_atomic", "kmap", "kmap_hit", "pool_hit", "pool_miss", "vmap", "vm_map_ram"];

/// The bench file's columns.
pub const HEADER: [&str; 20] = [
    "seq", "mechanism", "iters", "wset", "cpu", "start_ns", "end_ns", "flushes", "flush_one0", "flush_all0", "remote0",
    "remote_rcvd0", "ipi_call0", "ipi_tlb0", "flush_one", "flush_all", "remote", "remote_rcvd", "ipi_call", "ipi_tlb",
];

/// One bench sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub seq: u64,
    pub mechanism: String,
    pub iters: u64,
    pub cpu: u64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub flushes: i64,
    /// The kernel's counters (all CPUs; -1: none) at the start of the
    /// sample's loop (32-bit, wrapping) and their increase during it:
    /// flush_one, flush_all, remote, remote_rcvd, ipi_call, ipi_tlb.
    pub events0: [i64; 6],
    pub events: [i64; 6],
}

pub fn parse_samples(text: &str) -> Result<Vec<Sample>, String> {
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty bench file")?;
    if header.split_whitespace().collect::<Vec<_>>() != HEADER {
        return Err(format!("unexpected bench header '{header}' (hmctl and hmkit.ko from different versions?)"));
    }
    lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() != HEADER.len() {
                return Err(format!("bad bench line '{l}'"));
            }
            let int = |s: &str| s.parse::<i64>().map_err(|_| format!("'{s}' is not a number"));
            let mut events0 = [0; 6];
            let mut events = [0; 6];
            for (e, s) in events0.iter_mut().chain(events.iter_mut()).zip(&f[8..]) {
                *e = int(s)?;
            }
            Ok(Sample {
                seq: number(f[0])?,
                mechanism: f[1].to_string(),
                iters: number(f[2])?,
                cpu: number(f[4])?,
                start_ns: int(f[5])?,
                end_ns: int(f[6])?,
                flushes: int(f[7])?,
                events0,
                events,
            })
        })
        .collect()
}

/// One run: `threads` writers at once (thread i pinned to CPU i), each
/// running `iters` operations on its own `wset` pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    pub wall_ns: f64,
    pub ops: u64,
    /// TLB flushes hmkit saw (-1: not observable for this mechanism).
    pub flushes: i64,
    /// The kernel's events during the loops (see [`Sample::events`]).
    pub events: [i64; 6],
}

/// Combines the samples of one run: the wall time spans the first start to
/// the last end; flush counts of global events (kmap wraps, pool flushes)
/// are seen by every thread, so the largest is taken, per-operation local
/// flushes (kmap_local, kmap_atomic) add up. The kernel's events count
/// every CPU, so each is counted once over the union of the loops: loops
/// that overlap in time form one stretch, from the counters at its first
/// start to those at its last end; stretches apart add up (what happened
/// between them, another writer's page setup, is left out).
pub fn combine(mechanism: &str, samples: &[Sample]) -> Run {
    let start = samples.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let end = samples.iter().map(|s| s.end_ns).max().unwrap_or(0);
    let ops = samples.iter().map(|s| s.iters).sum();
    let flushes = if samples.iter().any(|s| s.flushes < 0) {
        -1
    } else if matches!(mechanism, "kmap_local" | "kmap_atomic") {
        samples.iter().map(|s| s.flushes).sum()
    } else {
        samples.iter().map(|s| s.flushes).max().unwrap_or(0)
    };
    Run { wall_ns: (end - start) as f64, ops, flushes, events: union_events(samples) }
}

/// The kernel's events over the union of the samples' loops (see
/// [`combine`]); -1 for a counter some sample lacks.
fn union_events(samples: &[Sample]) -> [i64; 6] {
    let mut sorted: Vec<&Sample> = samples.iter().collect();
    sorted.sort_by_key(|s| (s.start_ns, s.end_ns));
    let mut out = [0i64; 6];
    let mut i = 0;
    while i < sorted.len() {
        // One stretch: from sorted[i]'s start to the latest end among the
        // loops that start before the stretch ends.
        let first = sorted[i];
        let mut last = first;
        let mut j = i + 1;
        while j < sorted.len() && sorted[j].start_ns <= last.end_ns.max(first.end_ns) {
            if sorted[j].end_ns > last.end_ns {
                last = sorted[j];
            }
            j += 1;
        }
        for (k, o) in out.iter_mut().enumerate() {
            if *o < 0 || first.events0[k] < 0 || last.events0[k] < 0 || last.events[k] < 0 {
                *o = -1;
                continue;
            }
            // Counters are 32-bit and wrap.
            let end = (last.events0[k] + last.events[k]) as u64;
            *o += (end.wrapping_sub(first.events0[k] as u64) & 0xffff_ffff) as i64;
        }
        i = j;
    }
    out
}

/// One run, and the kernel's events per operation over the whole writes,
/// page setup included, from /proc/vmstat and /proc/interrupts (read once
/// the threads are waiting to start and once they have all finished).
fn run_once(fs: &Debugfs, mech: &str, iters: u64, wset: u64, threads: usize) -> Result<(Run, PerOp), String> {
    let last = parse_samples(&fs.read("bench")?)?.last().map_or(0, |s| s.seq);
    let line = format!("{mech} {iters} {wset}\n");
    let (_, before, after) = run_pinned_probed(threads, "bench", events::read, |_| {
        fs.write("bench", line.as_bytes()).map_err(|e| format!("bench {mech}: {e}"))
    })?;
    let samples: Vec<Sample> = parse_samples(&fs.read("bench")?)?.into_iter().filter(|s| s.seq > last).collect();
    if samples.len() != threads || samples.iter().any(|s| s.mechanism != mech) {
        return Err(format!("expected {threads} {mech} samples, found {}: is another bench running?", samples.len()));
    }
    let run = combine(mech, &samples);
    Ok((run, events::per_op(&before, &after, run.ops)))
}

/// What the guest's clock counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// QEMU's instruction counter: 1 ns of guest time = 1 instruction.
    Icount,
    /// The host's clock, through QEMU TCG.
    Wall,
}

impl Clock {
    /// `qemu/run.sh --icount` puts `hmkit_clock=icount` on the kernel's
    /// command line.
    pub fn from_cmdline(cmdline: &str) -> Clock {
        if cmdline.split_whitespace().any(|w| w == "hmkit_clock=icount") {
            Clock::Icount
        } else {
            Clock::Wall
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Clock::Icount => "instructions/op",
            Clock::Wall => "ns/op",
        }
    }
}

/// Iterations and working set per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Each run a fraction of a second under QEMU (`make bench`).
    Full,
    /// A few iterations, for the suite.
    Quick,
    /// The instruction-count guard of `make test`: every working set
    /// cycled at least twice, about 10^8 instructions for all mechanisms.
    Guard,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct Row {
    pub mechanism: String,
    pub threads: usize,
    /// Guest time (see the report's clock) over all operations of all
    /// threads: the median of the runs, and the fastest and slowest run.
    pub ns_per_op: f64,
    pub ns_per_op_min: f64,
    pub ns_per_op_max: f64,
    /// ns_per_op over lowmem's with the same threads (how far from doing
    /// nothing).
    pub vs_lowmem: Option<f64>,
    /// The kernel mechanism this one is compared with: kmap_hit for hits,
    /// kmap for the rest.
    pub reference: Option<String>,
    pub vs_reference: Option<f64>,
    /// The kernel's own counts per operation during the timed loops, median
    /// of the runs.
    pub events_per_op: PerOp,
    /// The same counts from /proc/vmstat and /proc/interrupts around the
    /// whole writes, page setup and teardown included (a cross-check: never
    /// below `events_per_op`).
    pub events_per_op_with_setup: PerOp,
    /// TLB flushes per operation as hmkit sees them (pool: its own flushes,
    /// which no kernel counter sees; kmap: pkmap wraps); None where hmkit
    /// cannot tell.
    pub hmkit_flushes_per_op: Option<f64>,
    pub runs: usize,
    pub iters_per_thread: u64,
    pub working_set: u64,
}

/// A whole `hmctl bench` run, as `--json` prints it.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct Report {
    pub clock: Clock,
    pub kernel: String,
    /// `x86` or `arm` (reports from before ARM have none: x86).
    #[serde(default = "crate::layout::x86")]
    pub arch: String,
    pub paging: String,
    pub cpus: usize,
    pub rows: Vec<Row>,
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Iterations per thread and working set per mechanism. pool_miss and kmap
/// cycle through twice the slots there are, so that every map needs a new
/// slot; kmap_hit's working sets, one per thread, take at most half the
/// pkmap together (the module refuses more).
pub fn plan(mech: &str, slots: u64, last_pkmap: u64, threads: usize, how: Plan) -> (u64, u64) {
    let t = threads.max(1) as u64;
    let hit_wset = |n: u64| (n / (4 * t)).clamp(1, 256);
    let (iters, wset) = match mech {
        "lowmem" | "kmap_local" | "kmap_atomic" => (200_000, 2048),
        "pool_hit" => (200_000, (slots / (2 * t)).clamp(1, 256)),
        "kmap_hit" => (200_000, hit_wset(last_pkmap)),
        "pool_miss" => (100_000, 2 * slots),
        "kmap" => (100_000, 2 * last_pkmap),
        _ => (5_000, 256),
    };
    match how {
        Plan::Full => (iters, wset),
        Plan::Quick => ((iters / 100).max(100), wset.min(2 * slots)),
        Plan::Guard => match mech {
            "pool_miss" | "kmap" => (2 * wset, wset),
            "vmap" | "vm_map_ram" => (2_000, 64),
            _ => (5_000, wset.min(256)),
        },
    }
}

/// The mechanism a row is compared with, besides lowmem.
pub fn reference(mech: &str) -> Option<&'static str> {
    match mech {
        "lowmem" => None,
        "kmap_hit" | "pool_hit" => Some("kmap_hit"),
        _ => Some("kmap"),
    }
}

/// Fills each row's ratios from the rows of the same thread count.
pub fn set_ratios(rows: &mut [Row]) {
    let base: Vec<(String, usize, f64)> = rows.iter().map(|r| (r.mechanism.clone(), r.threads, r.ns_per_op)).collect();
    let find = |m: &str, t: usize| base.iter().find(|b| b.0 == m && b.1 == t).map(|b| b.2).filter(|v| *v > 0.0);
    for r in rows.iter_mut() {
        r.vs_lowmem = find("lowmem", r.threads).map(|l| r.ns_per_op / l);
        r.reference = reference(&r.mechanism).map(str::to_string);
        r.vs_reference = r.reference.as_deref().and_then(|m| find(m, r.threads)).map(|k| r.ns_per_op / k);
    }
}

pub fn bench(fs: &Debugfs, runs: usize, threads_list: &[usize], how: Plan) -> Result<Vec<Row>, String> {
    bench_some(fs, &MECHANISMS, runs, threads_list, how)
}

/// [`bench`] for some of the mechanisms only.
pub fn bench_some(fs: &Debugfs, mechanisms: &[&str], runs: usize, threads_list: &[usize], how: Plan) -> Result<Vec<Row>, String> {
    let slots = value_number(&fs.read("pool")?, "slots")?;
    let last_pkmap = value_number(&fs.read("layout")?, "last_pkmap")?;
    let mut rows = Vec::new();
    for &threads in threads_list {
        for &mech in mechanisms {
            let (iters, wset) = plan(mech, slots, last_pkmap, threads, how);
            let mut ns = Vec::new();
            let mut fl = Vec::new();
            let mut ev = Vec::new();
            let mut ev_setup = Vec::new();
            for _ in 0..runs {
                let (r, e) = run_once(fs, mech, iters, wset, threads)?;
                ev_setup.push(e);
                ns.push(r.wall_ns / r.ops as f64);
                if r.flushes >= 0 {
                    fl.push(r.flushes as f64 / r.ops as f64);
                }
                ev.push(events::from_counts(&r.events, r.ops));
            }
            rows.push(Row {
                mechanism: mech.to_string(),
                threads,
                ns_per_op: median(ns.clone()),
                ns_per_op_min: ns.iter().copied().fold(f64::INFINITY, f64::min),
                ns_per_op_max: ns.iter().copied().fold(0.0, f64::max),
                vs_lowmem: None,
                reference: None,
                vs_reference: None,
                events_per_op: PerOp::median(&ev),
                events_per_op_with_setup: PerOp::median(&ev_setup),
                hmkit_flushes_per_op: (fl.len() == runs).then(|| median(fl)),
                runs,
                iters_per_thread: iters,
                working_set: wset,
            });
        }
    }
    set_ratios(&mut rows);
    Ok(rows)
}

pub fn find<'a>(rows: &'a [Row], mech: &str, threads: usize) -> Option<&'a Row> {
    rows.iter().find(|r| r.mechanism == mech && r.threads == threads)
}

/// An event rate per operation: `-` where unknown, 0 as `0`, else three
/// significant digits.
pub fn fmt_rate(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(x) if x == 0.0 => "0".into(),
        Some(x) => {
            let digits = (2 - x.abs().log10().floor() as i32).clamp(0, 9) as usize;
            format!("{x:.digits$}")
        }
    }
}

pub fn fmt_ratio(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.2}"))
}

/// What the event columns mean on `arch`, printed under every table.
pub fn notes(arch: &str) -> &'static str {
    if arch == "arm" {
        ARM_NOTES
    } else {
        NOTES
    }
}

/// On ARMv7 none of these events is counted where hmkit can read it.
pub const ARM_NOTES: &str = "\
events per op: none on ARMv7. The TLB counters of /proc/vmstat come with CONFIG_DEBUG_TLBFLUSH, which is x86's; the
kernel's own range flushes (flush_tlb_kernel_range) are broadcast by the CPU (TLBIMVAIS, ARMv7's multiprocessing
extensions) without IPIs; ARM counts the IPIs it does send (function calls: on_each_cpu, hmkit's pool flush among
them) in its own descriptors, which /proc/interrupts shows as IPI rows but hmkit cannot read from a module. So the
kernel's columns are empty. hmkit's pool flushes with on_each_cpu + local_flush_tlb_kernel_page/local_flush_tlb_all
(flush_tlb_kernel_range is not exported to modules); the `hmkit` column is the pool's own count (for kmap and
kmap_hit: pkmap wraps hmkit saw).
";

/// What the columns mean on x86, printed under every table.
pub const NOTES: &str = "\
events per op, counted by the kernel during the timed loops (its /proc/vmstat counters with CONFIG_DEBUG_TLBFLUSH
and /proc/interrupts counts, all CPUs, read by hmkit right around each loop):
  flush_one    nr_tlb_local_flush_one: single-page invlpg (kmap_local unmap; small kernel range flushes, per page and CPU)
  flush_all    nr_tlb_local_flush_all: full local flushes of user address spaces
  remote       nr_tlb_remote_flush: flush_tlb_all() and user-space shootdowns sent
  remote_rcvd  nr_tlb_remote_flush_received: full flushes run per CPU (kmap's pkmap wrap, vunmap's lazy purge)
  CAL, TLB     function-call and TLB-shootdown IPIs received
hmkit's pool flushes with on_each_cpu + invlpg/__flush_tlb_all (flush_tlb_kernel_range is not exported to modules):
no vmstat counter sees it, only its IPIs (CAL, with more than one CPU); the `hmkit` column is the pool's own count
(for kmap and kmap_hit: pkmap wraps hmkit saw). Counts include whatever else the kernel did meanwhile.
";

/// The table of one report.
pub fn table(rep: &Report) -> String {
    let mut s = format!(
        "Linux {} ({} paging), {} CPU{}, clock: {} ({})\n",
        rep.kernel,
        rep.paging,
        rep.cpus,
        if rep.cpus == 1 { "" } else { "s" },
        match rep.clock {
            Clock::Icount => "icount",
            Clock::Wall => "wall",
        },
        match rep.clock {
            Clock::Icount => "figures are guest instructions per op",
            Clock::Wall => "figures are ns per op under QEMU TCG, not a CPU's",
        }
    );
    s += &format!(
        "{:<12} {:>3} {:>10} {:>10} {:>10} {:>6} {:>6} {:<8} | {:>9} {:>9} {:>7} {:>11} {:>8} {:>8} | {:>8}\n",
        "mechanism", "thr", "median", "min", "max", "/lowm", "/ref", "ref", "flush_one", "flush_all", "remote", "remote_rcvd", "CAL", "TLB", "hmkit"
    );
    for r in &rep.rows {
        let e: Vec<String> = r.events_per_op.fields().iter().map(|(_, v)| fmt_rate(*v)).collect();
        s += &format!(
            "{:<12} {:>3} {:>10.1} {:>10.1} {:>10.1} {:>6} {:>6} {:<8} | {:>9} {:>9} {:>7} {:>11} {:>8} {:>8} | {:>8}\n",
            r.mechanism,
            r.threads,
            r.ns_per_op,
            r.ns_per_op_min,
            r.ns_per_op_max,
            fmt_ratio(r.vs_lowmem),
            fmt_ratio(r.vs_reference),
            r.reference.as_deref().unwrap_or("-"),
            e[0],
            e[1],
            e[2],
            e[3],
            e[4],
            e[5],
            fmt_rate(r.hmkit_flushes_per_op)
        );
    }
    s += &format!("\nmedian/min/max: {} over {} run(s); /lowm, /ref: median over lowmem's and over ref's.\n", rep.clock.unit(), rep.rows.first().map_or(0, |r| r.runs));
    s += notes(&rep.arch);
    s
}

/// One row of the merged `make bench` table.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct Merged {
    pub mechanism: String,
    pub threads: usize,
    pub reference: Option<String>,
    /// From the icount run (median of its runs).
    pub instructions_per_op: Option<f64>,
    pub instructions_vs_lowmem: Option<f64>,
    pub instructions_vs_reference: Option<f64>,
    /// From the wall-clock run.
    pub wall_ns_per_op_min: Option<f64>,
    pub wall_ns_per_op_median: Option<f64>,
    pub wall_ns_per_op_max: Option<f64>,
    pub wall_vs_lowmem: Option<f64>,
    pub wall_vs_reference: Option<f64>,
    /// The kernel's events per op, from the wall run if there is one (it has
    /// every CPU, so the IPIs between them show).
    pub events_per_op: PerOp,
    pub events_from: Clock,
    pub hmkit_flushes_per_op: Option<f64>,
}

/// Everything `bench-report` writes as JSON.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct MergedReport {
    pub kernel: String,
    #[serde(default = "crate::layout::x86")]
    pub arch: String,
    pub paging: String,
    pub cpus: usize,
    /// The CPUs of the icount run (make bench: 1).
    pub icount_cpus: Option<usize>,
    pub icount_runs: Option<usize>,
    pub wall_runs: Option<usize>,
    pub rows: Vec<Merged>,
}

/// Merges an icount report and a wall report (either may be missing, not
/// both) of the same kernel into one row per mechanism and thread count.
pub fn merge(icount: Option<&Report>, wall: Option<&Report>) -> Result<MergedReport, String> {
    if let Some(r) = icount.filter(|r| r.clock != Clock::Icount) {
        return Err(format!("the icount report was measured with the {:?} clock: run it under qemu/run.sh --icount", r.clock));
    }
    if let Some(r) = wall.filter(|r| r.clock != Clock::Wall) {
        return Err(format!("the wall report was measured with the {:?} clock: run it without --icount", r.clock));
    }
    let first = icount.or(wall).ok_or("bench-report needs at least one report")?;
    // The icount run may have fewer CPUs (make bench counts on one: with
    // several, a CPU waiting for another counts its spin until the other's
    // turn); the kernel must be the same.
    if let (Some(i), Some(w)) = (icount, wall) {
        if (i.kernel.as_str(), i.paging.as_str()) != (w.kernel.as_str(), w.paging.as_str()) {
            return Err(format!(
                "the reports are of different kernels: icount {} {}, wall {} {}",
                i.kernel, i.paging, w.kernel, w.paging
            ));
        }
    }
    let mut rows = Vec::new();
    // Thread count, then the mechanisms in their usual order.
    let names: Vec<(usize, String)> = {
        let mut v: Vec<(usize, usize, String)> = Vec::new();
        for r in icount.iter().chain(wall.iter()).flat_map(|r| r.rows.iter()) {
            let pos = MECHANISMS.iter().position(|m| *m == r.mechanism).unwrap_or(MECHANISMS.len());
            if !v.iter().any(|x| x.0 == r.threads && x.2 == r.mechanism) {
                v.push((r.threads, pos, r.mechanism.clone()));
            }
        }
        v.sort();
        v.into_iter().map(|(t, _, m)| (t, m)).collect()
    };
    for (threads, mech) in names {
        let i = icount.and_then(|r| find(&r.rows, &mech, threads));
        let w = wall.and_then(|r| find(&r.rows, &mech, threads));
        // Events from the wall run when there is one: it has every CPU, so
        // the IPIs between them show.
        let ev = w.or(i).expect("the row came from one of the reports");
        rows.push(Merged {
            mechanism: mech.clone(),
            threads,
            reference: reference(&mech).map(str::to_string),
            instructions_per_op: i.map(|r| r.ns_per_op),
            instructions_vs_lowmem: i.and_then(|r| r.vs_lowmem),
            instructions_vs_reference: i.and_then(|r| r.vs_reference),
            wall_ns_per_op_min: w.map(|r| r.ns_per_op_min),
            wall_ns_per_op_median: w.map(|r| r.ns_per_op),
            wall_ns_per_op_max: w.map(|r| r.ns_per_op_max),
            wall_vs_lowmem: w.and_then(|r| r.vs_lowmem),
            wall_vs_reference: w.and_then(|r| r.vs_reference),
            events_per_op: ev.events_per_op,
            events_from: if w.is_some() { Clock::Wall } else { Clock::Icount },
            hmkit_flushes_per_op: ev.hmkit_flushes_per_op,
        });
    }
    Ok(MergedReport {
        kernel: first.kernel.clone(),
        arch: first.arch.clone(),
        paging: first.paging.clone(),
        cpus: wall.unwrap_or(first).cpus,
        icount_cpus: icount.map(|r| r.cpus),
        icount_runs: icount.and_then(|r| r.rows.first()).map(|r| r.runs),
        wall_runs: wall.and_then(|r| r.rows.first()).map(|r| r.runs),
        rows,
    })
}

/// Several kernels' merged reports side by side (one thread): per
/// mechanism and kernel, the instructions per op with their ratio to the
/// kernel's own mechanism of that kernel (`ref`), then the same ratio of
/// the wall times. Each kernel is named by its label (make bench-compare:
/// the flavour).
pub fn compare_markdown(reps: &[(String, MergedReport)]) -> Result<String, String> {
    if reps.is_empty() {
        return Err("bench-compare needs at least one `hmctl bench-report --json-out` report".into());
    }
    let one = |m: &MergedReport, mech: &str| m.rows.iter().find(|r| r.threads == 1 && r.mechanism == mech).cloned();
    let mut mechs: Vec<&str> = MECHANISMS.iter().copied().filter(|m| reps.iter().any(|(_, r)| one(r, m).is_some())).collect();
    mechs.extend(
        reps.iter()
            .flat_map(|(_, r)| r.rows.iter())
            .filter(|r| r.threads == 1 && !MECHANISMS.contains(&r.mechanism.as_str()))
            .map(|r| r.mechanism.as_str()),
    );
    let mut seen = std::collections::HashSet::new();
    mechs.retain(|m| seen.insert(*m));
    let mut s = String::from("One thread; instructions per op from the icount runs (ratio to `ref`, the kernel's own mechanism of the same kernel), then the wall-time ratio under QEMU TCG.\n\n");
    for (label, r) in reps {
        s += &format!("- `{label}`: Linux {} ({} paging), icount runs: {}, wall runs: {}\n", r.kernel, r.paging,
            r.icount_runs.map_or("none".into(), |n| n.to_string()), r.wall_runs.map_or("none".into(), |n| n.to_string()));
    }
    let head = |what: &str| {
        let mut h = format!("\n| {what} | ref |");
        for (label, _) in reps {
            h += &format!(" {label} |");
        }
        h += "\n|---|---|";
        h += &"--:|".repeat(reps.len());
        h + "\n"
    };
    s += &head("instructions/op (vs ref)");
    for m in &mechs {
        s += &format!("| {m} | {} |", reference(m).unwrap_or("-"));
        for (_, r) in reps {
            s += &match one(r, m) {
                Some(x) => match (x.instructions_per_op, x.instructions_vs_reference) {
                    (Some(i), Some(v)) => format!(" {i:.0} ({v:.2}) |"),
                    (Some(i), None) => format!(" {i:.0} |"),
                    _ => " - |".into(),
                },
                None => " - |".into(),
            };
        }
        s += "\n";
    }
    if reps.iter().all(|(_, r)| r.wall_runs.is_none()) {
        return Ok(s);
    }
    s += &head("wall vs ref (median)");
    for m in mechs.iter().filter(|m| reference(m).is_some()) {
        s += &format!("| {m} | {} |", reference(m).unwrap_or("-"));
        for (_, r) in reps {
            s += &format!(" {} |", fmt_ratio(one(r, m).and_then(|x| x.wall_vs_reference)));
        }
        s += "\n";
    }
    Ok(s)
}

/// The merged table as Markdown (also fine on a console).
pub fn merged_markdown(m: &MergedReport) -> String {
    let f1 = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.0}"));
    let mut s = format!(
        "Linux {} ({} paging), {} CPU{}; instructions: median of {} icount run(s){}; wall and events: {} run(s) under QEMU TCG.\n\n",
        m.kernel,
        m.paging,
        m.cpus,
        if m.cpus == 1 { "" } else { "s" },
        m.icount_runs.map_or("no".into(), |n| n.to_string()),
        m.icount_cpus.map_or(String::new(), |n| format!(" on {n} CPU{}", if n == 1 { "" } else { "s" })),
        m.wall_runs.map_or("no".into(), |n| n.to_string()),
    );
    s += "| mechanism | threads | instructions/op | vs lowmem | vs ref | ref | wall ns/op min / median / max | wall vs lowmem | wall vs ref | flush_one | flush_all | remote | remote_rcvd | CAL | TLB | hmkit flushes |\n";
    s += "|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for r in &m.rows {
        let e: Vec<String> = r.events_per_op.fields().iter().map(|(_, v)| fmt_rate(*v)).collect();
        s += &format!(
            "| {} | {} | {} | {} | {} | {} | {} / {} / {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.mechanism,
            r.threads,
            f1(r.instructions_per_op),
            fmt_ratio(r.instructions_vs_lowmem),
            fmt_ratio(r.instructions_vs_reference),
            r.reference.as_deref().unwrap_or("-"),
            f1(r.wall_ns_per_op_min),
            f1(r.wall_ns_per_op_median),
            f1(r.wall_ns_per_op_max),
            fmt_ratio(r.wall_vs_lowmem),
            fmt_ratio(r.wall_vs_reference),
            e[0],
            e[1],
            e[2],
            e[3],
            e[4],
            e[5],
            fmt_rate(r.hmkit_flushes_per_op)
        );
    }
    s += "\nEvents per op come from the wall run where there is one: it has every CPU, so the IPIs between them show.\n\n```\n";
    s += notes(&m.arch);
    s += "```\n";
    s
}

/// One line of the guard's comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub mechanism: String,
    pub threads: usize,
    pub baseline: Option<f64>,
    pub now: f64,
    /// now / baseline - 1.
    pub change: Option<f64>,
    pub regressed: bool,
}

/// Compares the instructions per op of `now` with `baseline`, row by row,
/// taking each row's fewest (its best run: the runs of one boot differ by
/// whether a pkmap wrap or a lazy purge falls in them, and the fewest
/// repeats from boot to boot to within about 0.5%, the median to 4%); a
/// row regresses when it takes more than `margin` (0.10: 10%) more. Only
/// the rows in [`GUARDED`] can fail; the others are listed with their
/// change. Rows the baseline does not have are listed, not failed.
pub fn check(baseline: &Report, now: &Report, margin: f64) -> Result<Vec<Check>, String> {
    for (what, r) in [("baseline", baseline), ("this run", now)] {
        if r.clock != Clock::Icount {
            return Err(format!("the {what} was not measured under qemu/run.sh --icount: the guard compares instruction counts"));
        }
    }
    if baseline.paging != now.paging || baseline.cpus != now.cpus {
        return Err(format!(
            "the baseline is of {} paging with {} CPUs, this run {} paging with {} CPUs: compare like with like (make bench-baseline)",
            baseline.paging, baseline.cpus, now.paging, now.cpus
        ));
    }
    let mut checks: Vec<Check> = now
        .rows
        .iter()
        .map(|r| {
            let base = find(&baseline.rows, &r.mechanism, r.threads).map(|b| b.ns_per_op_min).filter(|b| *b > 0.0);
            let change = base.map(|b| r.ns_per_op_min / b - 1.0);
            Check {
                mechanism: r.mechanism.clone(),
                threads: r.threads,
                baseline: base,
                now: r.ns_per_op_min,
                change,
                regressed: GUARDED.contains(&r.mechanism.as_str()) && change.is_some_and(|c| c > margin),
            }
        })
        .collect();
    // A guarded row of the baseline that this run lacks fails too: a guard
    // that loses a row must not pass for it.
    for b in baseline.rows.iter().filter(|b| GUARDED.contains(&b.mechanism.as_str())) {
        if find(&now.rows, &b.mechanism, b.threads).is_none() {
            checks.push(Check {
                mechanism: b.mechanism.clone(),
                threads: b.threads,
                baseline: Some(b.ns_per_op_min),
                now: f64::NAN,
                change: None,
                regressed: true,
            });
        }
    }
    Ok(checks)
}

/// The rows the guard fails on: hmkit's own paths (the pool; the loop
/// around every mechanism, which `lowmem` is) and the kernel's that repeat
/// to the instruction (kmap_local, kmap_atomic). kmap, kmap_hit, vmap and
/// vm_map_ram move by a few percent from boot to boot with where the
/// pkmap wraps and the lazy vmap purges fall (kmap's fewest by 4.5% between
/// two boots of the same kernel and module): they are reported.
pub const GUARDED: [&str; 5] = ["lowmem", "kmap_local", "kmap_atomic", "pool_hit", "pool_miss"];

pub fn check_table(checks: &[Check], margin: f64) -> String {
    let mut s = String::from("instructions per op, the fewest of each row's runs:\n");
    s += &format!("{:<12} {:>7} {:>14} {:>14} {:>8}  verdict\n", "mechanism", "threads", "baseline", "now", "change");
    for c in checks {
        let verdict = match c.change {
            None if c.regressed => "MISSING from this run".to_string(),
            None => "no baseline".to_string(),
            Some(_) if c.regressed => format!("REGRESSED (more than +{:.0}%)", margin * 100.0),
            Some(_) if !GUARDED.contains(&c.mechanism.as_str()) => "reported (not guarded)".to_string(),
            Some(x) if x < -margin => "faster (update the baseline)".to_string(),
            Some(_) => "ok".to_string(),
        };
        s += &format!(
            "{:<12} {:>7} {:>14} {:>14.1} {:>8}  {}\n",
            c.mechanism,
            c.threads,
            c.baseline.map_or("-".into(), |b| format!("{b:.1}")),
            c.now,
            c.change.map_or("-".into(), |x| format!("{:+.1}%", x * 100.0)),
            verdict
        );
    }
    s
}

/// A bar chart of ns/op per mechanism and thread count, log scale.
pub fn chart(rows: &[Row], title: &str) -> String {
    use crate::draw::{canvas, text};
    use svg::node::element::{Line, Rectangle};
    let threads: Vec<usize> = {
        let mut t: Vec<usize> = rows.iter().map(|r| r.threads).collect();
        t.sort();
        t.dedup();
        t
    };
    let (w, h, left, top, bottom) = (900.0, 420.0, 70.0, 40.0, 360.0);
    let max = rows.iter().map(|r| r.ns_per_op).fold(1.0_f64, f64::max);
    let min = rows.iter().map(|r| r.ns_per_op).fold(f64::MAX, f64::min).max(1.0);
    let (lo, hi) = (min.log10().floor(), max.log10().ceil().max(min.log10().floor() + 1.0));
    let y = |v: f64| bottom - (v.max(1.0).log10() - lo) / (hi - lo) * (bottom - top);
    let colours = ["#4a78b8", "#e08a2c", "#58a55c", "#b04a6f"];
    let mut doc = canvas(w, h, title);
    let mut e = lo;
    while e <= hi {
        let v = 10f64.powf(e);
        doc = doc
            .add(Line::new().set("x1", left).set("x2", w - 20.0).set("y1", y(v)).set("y2", y(v)).set("stroke", "#ddd"))
            .add(text(format!("{v} ns"), left - 6.0, y(v) + 4.0).set("text-anchor", "end"));
        e += 1.0;
    }
    let group = (w - left - 20.0) / MECHANISMS.len() as f64;
    let bar = group * 0.8 / threads.len().max(1) as f64;
    for (i, mech) in MECHANISMS.iter().enumerate() {
        let gx = left + i as f64 * group + group * 0.1;
        for (j, t) in threads.iter().enumerate() {
            if let Some(r) = find(rows, mech, *t) {
                let x = gx + j as f64 * bar;
                doc = doc
                    .add(
                        Rectangle::new()
                            .set("x", x)
                            .set("y", y(r.ns_per_op))
                            .set("width", bar - 2.0)
                            .set("height", bottom - y(r.ns_per_op))
                            .set("fill", colours[j % colours.len()]),
                    )
                    .add(text(format!("{:.0}", r.ns_per_op), x + bar / 2.0, y(r.ns_per_op) - 4.0).set("text-anchor", "middle").set("font-size", 10));
            }
        }
        doc = doc.add(text(*mech, gx + group * 0.4, bottom + 18.0).set("text-anchor", "middle"));
    }
    let mut x = left;
    for (j, t) in threads.iter().enumerate() {
        let label = format!("{t} thread{}", if *t == 1 { "" } else { "s" });
        doc = doc
            .add(Rectangle::new().set("x", x).set("y", h - 28.0).set("width", 14).set("height", 14).set("fill", colours[j % colours.len()]))
            .add(text(label.clone(), x + 20.0, h - 17.0));
        x += 20.0 + 7.5 * label.len() as f64 + 24.0;
    }
    doc = doc.add(text("ns per map + touch one word + unmap, log scale", x + 20.0, h - 17.0).set("fill", "#555"));
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(m: &str, t: usize, ns: f64) -> Row {
        Row {
            mechanism: m.into(),
            threads: t,
            ns_per_op: ns,
            ns_per_op_min: ns * 0.9,
            ns_per_op_max: ns * 1.1,
            vs_lowmem: None,
            reference: None,
            vs_reference: None,
            events_per_op: PerOp::default(),
            events_per_op_with_setup: PerOp::default(),
            hmkit_flushes_per_op: None,
            runs: 3,
            iters_per_thread: 1,
            working_set: 1,
        }
    }

    fn report(clock: Clock, rows: Vec<Row>) -> Report {
        Report { clock, kernel: "6.12.118".into(), arch: "x86".into(), paging: "2-level".into(), cpus: 2, rows }
    }

    #[test]
    fn samples_combine_into_wall_time_and_flushes() {
        // Two loops that overlap: 100..1100 and 150..1300; the counters at
        // the first start and at the last end give the union.
        let t = format!(
            "{}\n7 pool_miss 1000 2048 0 100 1100 3 50 0 0 7 4294967290 0 5 0 0 1 9 0\n8 pool_miss 1000 2048 1 150 1300 4 51 0 0 7 4294967292 -1 6 0 0 1 8 -1\n",
            HEADER.join(" ")
        );
        let s = parse_samples(&t).unwrap();
        let r = combine("pool_miss", &s);
        // flush_one 50 -> 51 + 6 = 57; ipi_call 4294967290 -> 4294967292 + 8, past 2^32.
        assert_eq!(r, Run { wall_ns: 1200.0, ops: 2000, flushes: 4, events: [7, 0, 0, 1, 10, -1] });
        let p = events::from_counts(&r.events, r.ops);
        assert_eq!((p.tlb_local_flush_one, p.ipi_call, p.ipi_tlb), (Some(0.0035), Some(0.005), None));
        // Two loops one after the other: the time between them is left out.
        let mut apart = s.clone();
        apart[1].start_ns = 2000;
        apart[1].end_ns = 3000;
        apart[1].events0 = [500, 0, 0, 9, 100, 0];
        apart[1].events = [6, 0, 0, 1, 8, 0];
        apart[0].events0[5] = 0;
        assert_eq!(combine("pool_miss", &apart).events, [11, 0, 0, 2, 17, 0]);
        assert_eq!(combine("kmap_local", &s).flushes, 7);
        let v: Vec<Sample> = s.into_iter().map(|mut x| { x.flushes = -1; x }).collect();
        assert_eq!(combine("vmap", &v).flushes, -1);
        assert!(parse_samples("seq x\n").is_err());
        assert!(parse_samples("seq mechanism iters wset cpu start_ns end_ns flushes\n").is_err(), "an older module");
        assert!(parse_samples(&format!("{}\n1 kmap 1 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", HEADER.join(" "))).is_err(), "a short line");
    }

    #[test]
    fn ratios_are_to_lowmem_and_to_kmap_or_kmap_hit_of_the_same_threads() {
        let mut rows = vec![
            row("lowmem", 1, 100.0),
            row("kmap", 1, 1000.0),
            row("kmap_hit", 1, 400.0),
            row("pool_hit", 1, 200.0),
            row("pool_miss", 1, 500.0),
            row("lowmem", 2, 50.0),
            row("pool_miss", 2, 400.0),
        ];
        set_ratios(&mut rows);
        let r = |m, t| find(&rows, m, t).unwrap().clone();
        assert_eq!(r("pool_hit", 1).vs_lowmem, Some(2.0));
        assert_eq!(r("pool_hit", 1).reference.as_deref(), Some("kmap_hit"));
        assert_eq!(r("pool_hit", 1).vs_reference, Some(0.5));
        assert_eq!(r("pool_miss", 1).reference.as_deref(), Some("kmap"));
        assert_eq!(r("pool_miss", 1).vs_reference, Some(0.5));
        assert_eq!(r("lowmem", 1).reference, None);
        assert_eq!(r("lowmem", 1).vs_lowmem, Some(1.0));
        // 2 threads: lowmem is there, kmap is not.
        assert_eq!(r("pool_miss", 2).vs_lowmem, Some(8.0));
        assert_eq!(r("pool_miss", 2).vs_reference, None);
    }

    #[test]
    fn plans_keep_kmap_hit_within_half_the_pkmap_and_misses_past_the_slots() {
        for (slots, last_pkmap) in [(1024, 1024), (1024, 512), (64, 512)] {
            for threads in [1, 2, 4, 8] {
                for how in [Plan::Full, Plan::Quick, Plan::Guard] {
                    let (iters, wset) = plan("kmap_hit", slots, last_pkmap, threads, how);
                    assert!(wset * threads as u64 <= last_pkmap / 2, "{how:?} {threads} threads: {wset} pages each");
                    assert!(iters >= 2 * wset, "{how:?}: every page mapped at least twice");
                }
                for how in [Plan::Full, Plan::Guard] {
                    let (iters, wset) = plan("pool_miss", slots, last_pkmap, threads, how);
                    assert!(wset > slots && iters >= 2 * wset, "{how:?}: pool_miss past the slots");
                    let (iters, wset) = plan("kmap", slots, last_pkmap, threads, how);
                    assert!(wset > last_pkmap && iters >= 2 * wset, "{how:?}: kmap past the pkmap");
                }
            }
        }
        assert_eq!(plan("pool_miss", 1024, 1024, 1, Plan::Full), (100_000, 2048));
        assert_eq!(plan("lowmem", 1024, 1024, 1, Plan::Full), (200_000, 2048));
    }

    #[test]
    fn clock_comes_from_the_command_line() {
        assert_eq!(Clock::from_cmdline("console=ttyS0 hmkit_clock=icount rdinit=/init\n"), Clock::Icount);
        assert_eq!(Clock::from_cmdline("console=ttyS0 xhmkit_clock=icount"), Clock::Wall);
        assert_eq!(Clock::from_cmdline(""), Clock::Wall);
    }

    #[test]
    fn rates_print_three_significant_digits() {
        assert_eq!(fmt_rate(None), "-");
        assert_eq!(fmt_rate(Some(0.0)), "0");
        assert_eq!(fmt_rate(Some(1.0)), "1.00");
        assert_eq!(fmt_rate(Some(0.000977)), "0.000977");
        assert_eq!(fmt_rate(Some(1234.5)), "1234");
    }

    #[test]
    fn compare_puts_kernels_side_by_side() {
        let mut i = vec![row("lowmem", 1, 100.0), row("kmap", 1, 2000.0), row("pool_miss", 1, 2400.0)];
        set_ratios(&mut i);
        let mut w = vec![row("lowmem", 1, 30.0), row("kmap", 1, 900.0), row("pool_miss", 1, 450.0), row("kmap", 2, 1200.0)];
        set_ratios(&mut w);
        let x86 = merge(Some(&report(Clock::Icount, i.clone())), Some(&report(Clock::Wall, w))).unwrap();
        // The second kernel has no wall run and no pool_miss row.
        let arm = merge(Some(&report(Clock::Icount, i[..2].to_vec())), None).unwrap();
        let md = compare_markdown(&[("bench".into(), x86), ("arm-bench".into(), arm)]).unwrap();
        assert!(md.contains("| instructions/op (vs ref) | ref | bench | arm-bench |\n|---|---|--:|--:|\n"), "{md}");
        assert!(md.contains("| kmap | kmap | 2000 (1.00) | 2000 (1.00) |"), "{md}");
        assert!(md.contains("| pool_miss | kmap | 2400 (1.20) | - |"), "{md}");
        assert!(md.contains("| lowmem | - | 100 | 100 |"), "{md}");
        assert!(md.contains("| pool_miss | kmap | 0.50 | - |"), "wall ratio: {md}");
        assert!(!md.contains("| lowmem | - | - |"), "no wall ratio row without a ref: {md}");
        assert!(md.contains("- `arm-bench`: Linux 6.12.118 (2-level paging), icount runs: 3, wall runs: none"), "{md}");
        assert!(compare_markdown(&[]).is_err());
        // An ARM kernel's tables say why its event columns are empty.
        let mut a = report(Clock::Icount, i);
        a.arch = "arm".into();
        assert!(table(&a).contains("events per op: none on ARMv7") && !table(&a).contains("invlpg"));
        assert!(merged_markdown(&merge(Some(&a), None).unwrap()).contains("none on ARMv7"));
        assert!(table(&report(Clock::Icount, vec![])).contains("single-page invlpg"));
    }

    #[test]
    fn merge_takes_instructions_from_icount_and_times_and_events_from_wall() {
        let mut i = vec![row("lowmem", 1, 100.0), row("kmap", 1, 2000.0)];
        i[1].events_per_op.tlb_remote_flush_received = Some(0.001);
        set_ratios(&mut i);
        let mut w = vec![row("lowmem", 1, 30.0), row("kmap", 1, 900.0), row("kmap", 2, 1200.0)];
        w[1].events_per_op.tlb_remote_flush_received = Some(5.0);
        set_ratios(&mut w);
        let m = merge(Some(&report(Clock::Icount, i.clone())), Some(&report(Clock::Wall, w.clone()))).unwrap();
        assert_eq!(m.rows.len(), 3);
        let k = &m.rows[1];
        assert_eq!((k.mechanism.as_str(), k.threads), ("kmap", 1));
        assert_eq!(k.instructions_per_op, Some(2000.0));
        assert_eq!(k.instructions_vs_lowmem, Some(20.0));
        assert_eq!(k.wall_ns_per_op_median, Some(900.0));
        assert_eq!(k.wall_vs_lowmem, Some(30.0));
        assert_eq!(k.events_per_op.tlb_remote_flush_received, Some(5.0), "events from the run with every CPU");
        assert_eq!(k.events_from, Clock::Wall);
        assert_eq!(m.rows[2].instructions_per_op, None, "2 threads only in the wall run");
        assert_eq!(m.rows[2].events_from, Clock::Wall);
        let md = merged_markdown(&m);
        assert!(md.contains("| kmap | 1 | 2000 | 20.00 | 1.00 | kmap | 810 / 900 / 990 |"), "{md}");
        assert!(merge(Some(&report(Clock::Icount, i.clone())), None).unwrap().rows[1].events_from == Clock::Icount);
        // An icount run on fewer CPUs merges; swapped inputs are refused, as
        // are reports of different kernels.
        let mut one_cpu = report(Clock::Icount, i.clone());
        one_cpu.cpus = 1;
        let m1 = merge(Some(&one_cpu), Some(&report(Clock::Wall, w.clone()))).unwrap();
        assert_eq!((m1.cpus, m1.icount_cpus), (2, Some(1)));
        assert!(merged_markdown(&m1).contains("2 CPUs; instructions: median of 3 icount run(s) on 1 CPU;"), "{}", merged_markdown(&m1));
        assert!(merge(Some(&report(Clock::Wall, w.clone())), None).is_err());
        let mut other = report(Clock::Wall, w);
        other.paging = "PAE".into();
        assert!(merge(Some(&report(Clock::Icount, i)), Some(&other)).is_err());
        assert!(merge(None, None).is_err());
    }

    #[test]
    fn the_guard_fails_only_past_the_margin() {
        let base = report(
            Clock::Icount,
            vec![row("lowmem", 1, 100.0), row("pool_miss", 1, 1000.0), row("pool_hit", 1, 5000.0), row("kmap", 1, 500.0)],
        );
        let now = report(
            Clock::Icount,
            vec![
                row("lowmem", 1, 109.0),
                row("pool_miss", 1, 1101.0),
                row("pool_hit", 1, 3000.0),
                row("kmap_hit", 1, 10.0),
                row("kmap", 1, 900.0),
            ],
        );
        let c = check(&base, &now, 0.10).unwrap();
        let regressed: Vec<&str> = c.iter().filter(|c| c.regressed).map(|c| c.mechanism.as_str()).collect();
        assert_eq!(regressed, ["pool_miss"], "only a guarded row past the margin fails");
        assert_eq!(c[3].baseline, None, "a new row is listed, not failed");
        let t = check_table(&c, 0.10);
        assert!(t.contains("REGRESSED") && t.contains("+10.1%") && t.contains("faster") && t.contains("no baseline"), "{t}");
        assert!(t.contains("+80.0%  reported (not guarded)"), "{t}");
        // A guarded row the run lost fails; an unguarded one does not.
        let lost = report(Clock::Icount, vec![row("lowmem", 1, 100.0), row("pool_hit", 1, 5000.0)]);
        let c = check(&base, &lost, 0.10).unwrap();
        let failed: Vec<&str> = c.iter().filter(|c| c.regressed).map(|c| c.mechanism.as_str()).collect();
        assert_eq!(failed, ["pool_miss"], "pool_miss is guarded and missing; kmap is missing but not guarded");
        assert!(check_table(&c, 0.10).contains("MISSING from this run"));
        assert!(check(&base, &report(Clock::Wall, vec![]), 0.1).is_err(), "a wall-clock run is no instruction count");
        let mut pae = now.clone();
        pae.paging = "PAE".into();
        assert!(check(&base, &pae, 0.1).is_err());
    }

    #[test]
    fn chart_and_table_name_every_row() {
        let mut rows: Vec<Row> = MECHANISMS.iter().map(|m| row(m, 1, 100.0)).chain([row("pool_miss", 2, 210.0)]).collect();
        set_ratios(&mut rows);
        let svg = chart(&rows, "test");
        assert!(svg.starts_with("<svg") && svg.contains("kmap_hit") && svg.contains("2 threads"));
        let t = table(&report(Clock::Icount, rows));
        assert!(t.contains("instructions per op") && t.contains("kmap_hit") && t.contains("remote_rcvd"), "{t}");
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
    }
}
