// SPDX-License-Identifier: GPL-2.0
//! `hmctl bench`: hmkit's pool against kmap, kmap_local, kmap_atomic, vmap
//! and vm_map_ram, measured in the same run through hmkit's `bench` file.

use crate::debugfs::{number, value_number, Debugfs};
use crate::threads::run_pinned;
use serde::Serialize;

pub const MECHANISMS: [&str; 7] = ["kmap_local", "kmap_atomic", "kmap", "pool_hit", "pool_miss", "vmap", "vm_map_ram"];

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
}

pub fn parse_samples(text: &str) -> Result<Vec<Sample>, String> {
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty bench file")?;
    if header.split_whitespace().collect::<Vec<_>>() != ["seq", "mechanism", "iters", "wset", "cpu", "start_ns", "end_ns", "flushes"] {
        return Err(format!("unexpected bench header '{header}'"));
    }
    lines
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() != 8 {
                return Err(format!("bad bench line '{l}'"));
            }
            let int = |s: &str| s.parse::<i64>().map_err(|_| format!("'{s}' is not a number"));
            Ok(Sample {
                seq: number(f[0])?,
                mechanism: f[1].to_string(),
                iters: number(f[2])?,
                cpu: number(f[4])?,
                start_ns: int(f[5])?,
                end_ns: int(f[6])?,
                flushes: int(f[7])?,
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
    /// TLB flushes seen (-1: not observable for this mechanism).
    pub flushes: i64,
}

/// Combines the samples of one run: the wall time spans the first start to
/// the last end; flush counts of global events (kmap wraps, pool flushes)
/// are seen by every thread, so the largest is taken, per-operation local
/// flushes (kmap_local, kmap_atomic) add up.
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
    Run { wall_ns: (end - start) as f64, ops, flushes }
}

fn run_once(fs: &Debugfs, mech: &str, iters: u64, wset: u64, threads: usize) -> Result<Run, String> {
    let last = parse_samples(&fs.read("bench")?)?.last().map_or(0, |s| s.seq);
    let line = format!("{mech} {iters} {wset}\n");
    run_pinned(threads, true, "bench", |_| fs.write("bench", line.as_bytes()).map_err(|e| format!("bench {mech}: {e}")))?;
    let samples: Vec<Sample> = parse_samples(&fs.read("bench")?)?.into_iter().filter(|s| s.seq > last).collect();
    if samples.len() != threads || samples.iter().any(|s| s.mechanism != mech) {
        return Err(format!("expected {threads} {mech} samples, found {}: is another bench running?", samples.len()));
    }
    Ok(combine(mech, &samples))
}

#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Row {
    pub mechanism: String,
    pub threads: usize,
    /// Wall time over all operations of all threads, median of the runs.
    pub ns_per_op: f64,
    /// ns_per_op of kmap with the same threads over this one (<1: faster than kmap).
    pub ratio_to_kmap: Option<f64>,
    /// TLB flush events per million operations (None: not observable).
    pub flushes_per_million: Option<f64>,
    pub runs: usize,
    pub iters_per_thread: u64,
    pub working_set: u64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Iterations and working set per mechanism: each run takes a fraction of a
/// second under QEMU; pool_miss and kmap cycle through twice the slots
/// there are, so that every map needs a new slot.
pub fn plan(mech: &str, slots: u64, last_pkmap: u64, threads: usize, quick: bool) -> (u64, u64) {
    let (iters, wset) = match mech {
        "kmap_local" | "kmap_atomic" => (200_000, 2048),
        "pool_hit" => (200_000, (slots / (2 * threads as u64)).clamp(1, 256)),
        "pool_miss" => (100_000, 2 * slots),
        "kmap" => (100_000, 2 * last_pkmap),
        _ => (5_000, 256),
    };
    if quick {
        ((iters / 100).max(100), wset.min(2 * slots))
    } else {
        (iters, wset)
    }
}

pub fn bench(fs: &Debugfs, runs: usize, threads_list: &[usize], quick: bool) -> Result<Vec<Row>, String> {
    let slots = value_number(&fs.read("pool")?, "slots")?;
    let last_pkmap = value_number(&fs.read("layout")?, "last_pkmap")?;
    let mut rows = Vec::new();
    for &threads in threads_list {
        let mut kmap_ns = None;
        for mech in MECHANISMS {
            let (iters, wset) = plan(mech, slots, last_pkmap, threads, quick);
            let mut ns = Vec::new();
            let mut fl = Vec::new();
            for _ in 0..runs {
                let r = run_once(fs, mech, iters, wset, threads)?;
                ns.push(r.wall_ns / r.ops as f64);
                if r.flushes >= 0 {
                    fl.push(r.flushes as f64 * 1e6 / r.ops as f64);
                }
            }
            let ns_per_op = median(ns);
            if mech == "kmap" {
                kmap_ns = Some(ns_per_op);
            }
            rows.push(Row {
                mechanism: mech.to_string(),
                threads,
                ns_per_op,
                ratio_to_kmap: None,
                flushes_per_million: (fl.len() == runs).then(|| median(fl)),
                runs,
                iters_per_thread: iters,
                working_set: wset,
            });
        }
        for r in rows.iter_mut().filter(|r| r.threads == threads) {
            r.ratio_to_kmap = kmap_ns.map(|k| r.ns_per_op / k);
        }
    }
    Ok(rows)
}

fn find<'a>(rows: &'a [Row], mech: &str, threads: usize) -> Option<&'a Row> {
    rows.iter().find(|r| r.mechanism == mech && r.threads == threads)
}

/// The goals, as ratios from this run's rows.
pub fn goals(rows: &[Row]) -> Vec<(String, f64, String, bool)> {
    let mut g = Vec::new();
    let max_threads = rows.iter().map(|r| r.threads).max().unwrap_or(1);
    let ns = |m, t| find(rows, m, t).map(|r| r.ns_per_op);
    if let (Some(miss), Some(kmap)) = (ns("pool_miss", 1), ns("kmap", 1)) {
        g.push(("pool_miss / kmap (1 thread)".into(), miss / kmap, "<= 0.5".into(), miss / kmap <= 0.5));
    }
    if let (Some(hit), Some(local)) = (ns("pool_hit", 1), ns("kmap_local", 1)) {
        g.push(("pool_hit / kmap_local (1 thread)".into(), hit / local, "<= 1.0".into(), hit / local <= 1.0));
    }
    if max_threads > 1 {
        if let (Some(one), Some(many)) = (ns("pool_miss", 1), ns("pool_miss", max_threads)) {
            let speedup = one / many;
            g.push((format!("pool_miss throughput, {max_threads} threads / 1"), speedup, ">= 1.8".into(), speedup >= 1.8));
        }
    }
    if let (Some(vmap), Some(miss)) = (ns("vmap", 1), ns("pool_miss", 1)) {
        g.push(("vmap / pool_miss (1 thread)".into(), vmap / miss, ">= 10".into(), vmap / miss >= 10.0));
    }
    let fl = |m| find(rows, m, 1).and_then(|r| r.flushes_per_million);
    if let (Some(pool), Some(kmap)) = (fl("pool_miss"), fl("kmap")) {
        g.push((format!("TLB flushes per 10^6 maps, pool_miss (kmap: {kmap:.0})"), pool, format!("<= {kmap:.0}"), pool <= kmap));
    }
    g
}

pub fn table(rows: &[Row]) -> String {
    let mut s = format!("{:<12} {:>7} {:>12} {:>9} {:>16}\n", "mechanism", "threads", "ns/op", "vs kmap", "flushes/1M ops");
    for r in rows {
        s += &format!(
            "{:<12} {:>7} {:>12.1} {:>9} {:>16}\n",
            r.mechanism,
            r.threads,
            r.ns_per_op,
            r.ratio_to_kmap.map_or("-".into(), |x| format!("{x:.2}")),
            r.flushes_per_million.map_or("-".into(), |x| format!("{x:.0}"))
        );
    }
    s += "\ngoals (ratios from this run):\n";
    for (name, value, want, ok) in goals(rows) {
        s += &format!("  {name:<44} {value:>8.2}  want {want:<7} {}\n", if ok { "met" } else { "not met" });
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

    fn row(m: &str, t: usize, ns: f64, fl: Option<f64>) -> Row {
        Row { mechanism: m.into(), threads: t, ns_per_op: ns, ratio_to_kmap: None, flushes_per_million: fl, runs: 3, iters_per_thread: 1, working_set: 1 }
    }

    #[test]
    fn samples_combine_into_wall_time_and_flushes() {
        let t = "seq mechanism iters wset cpu start_ns end_ns flushes\n7 pool_miss 1000 2048 0 100 1100 3\n8 pool_miss 1000 2048 1 150 1300 4\n";
        let s = parse_samples(t).unwrap();
        let r = combine("pool_miss", &s);
        assert_eq!(r, Run { wall_ns: 1200.0, ops: 2000, flushes: 4 });
        assert_eq!(combine("kmap_local", &s).flushes, 7);
        let v: Vec<Sample> = s.into_iter().map(|mut x| { x.flushes = -1; x }).collect();
        assert_eq!(combine("vmap", &v).flushes, -1);
        assert!(parse_samples("seq x\n").is_err());
    }

    #[test]
    fn goals_and_chart() {
        let rows = vec![
            row("kmap_local", 1, 100.0, None),
            row("kmap", 1, 1000.0, Some(1000.0)),
            row("pool_hit", 1, 90.0, Some(0.0)),
            row("pool_miss", 1, 400.0, Some(900.0)),
            row("vmap", 1, 5000.0, None),
            row("pool_miss", 2, 210.0, Some(900.0)),
        ];
        let g = goals(&rows);
        assert_eq!(g.len(), 5);
        assert!(g.iter().all(|x| x.3), "{g:?}");
        assert!((g[2].1 - 400.0 / 210.0).abs() < 1e-9);
        assert_eq!(g[4].1, 900.0);
        let svg = chart(&rows, "test");
        assert!(svg.starts_with("<svg") && svg.contains("pool_miss") && svg.contains("2 threads"));
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(plan("pool_miss", 1024, 1024, 1, false), (100_000, 2048));
    }
}
