// SPDX-License-Identifier: GPL-2.0
//! `hmctl pool`, `hmctl stats` and `hmctl stress`: hmkit's own mapping pool.

use crate::debugfs::{key_values, number, table, value, value_number, Debugfs};
use crate::threads::run_pinned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug, Serialize, PartialEq)]
pub struct Slot {
    pub slot: u64,
    pub vaddr: u64,
    pub pfn: u64,
    /// 0: unmapped, awaiting a flush.
    pub users: u64,
}

/// One CPU's part of the pool: its magazine of clean slots, its dirty list
/// and its counters.
#[derive(Debug, Serialize, PartialEq)]
pub struct Cpu {
    pub cpu: u64,
    pub magazine: u64,
    /// Slots of its region on the dirty list, and clean in the depot.
    pub dirty: u64,
    pub depot: u64,
    /// Hits on slots of its region; misses on this CPU.
    pub hits: u64,
    pub misses: u64,
}

/// How the pool is split between CPUs and where its clean slots are.
#[derive(Debug, Serialize, PartialEq)]
pub struct PerCpu {
    pub cpus: u64,
    /// Slots per CPU region.
    pub region: u64,
    /// Clean slots one magazine refill takes.
    pub batch: u64,
    /// Below this many clean slots in the depot a refill starts a flush.
    pub low_watermark: u64,
    /// Clean slots in the depot (the rest of `free` is in magazines).
    pub depot: u64,
    /// Completed flushes.
    pub flush_gen: u64,
    pub per_cpu: Vec<Cpu>,
}

#[derive(Debug, Serialize)]
pub struct Pool {
    pub window_start: u64,
    pub window_end: u64,
    pub slots: u64,
    pub in_use: u64,
    pub needs_flush: u64,
    pub free: u64,
    pub ptes_set: u64,
    /// Absent from modules without per-CPU parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percpu: Option<PerCpu>,
    pub mapped: Vec<Slot>,
}

fn parse_percpu(text: &str) -> Result<Option<PerCpu>, String> {
    if value(text, "cpus").is_err() {
        return Ok(None);
    }
    let per_cpu = table(text, &["cpu", "magazine", "dirty", "depot", "hits", "misses"])?
        .into_iter()
        .map(|r| {
            Ok(Cpu {
                cpu: number(r[0])?,
                magazine: number(r[1])?,
                dirty: number(r[2])?,
                depot: number(r[3])?,
                hits: number(r[4])?,
                misses: number(r[5])?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Some(PerCpu {
        cpus: value_number(text, "cpus")?,
        region: value_number(text, "region")?,
        batch: value_number(text, "batch")?,
        low_watermark: value_number(text, "low_watermark")?,
        depot: value_number(text, "depot")?,
        flush_gen: value_number(text, "flush_gen")?,
        per_cpu,
    }))
}

pub fn parse_pool(text: &str) -> Result<Pool, String> {
    let (start, end) = value(text, "window")?.split_once('-').ok_or("window is not START-END")?;
    let mapped = table(text, &["slot", "vaddr", "pfn", "users"])?
        .into_iter()
        .map(|r| Ok(Slot { slot: number(r[0])?, vaddr: number(r[1])?, pfn: number(r[2])?, users: number(r[3])? }))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Pool {
        window_start: number(start)?,
        window_end: number(end)?,
        slots: value_number(text, "slots")?,
        in_use: value_number(text, "in_use")?,
        needs_flush: value_number(text, "needs_flush")?,
        free: value_number(text, "free")?,
        ptes_set: value_number(text, "ptes_set")?,
        percpu: parse_percpu(text)?,
        mapped,
    })
}

pub fn render_pool(p: &Pool) -> String {
    let mut s = format!(
        "hmkit pool at {:#010x}-{:#010x}: {} slots, {} in use, {} awaiting flush, {} free ({} PTEs set)\n",
        p.window_start, p.window_end, p.slots, p.in_use, p.needs_flush, p.free, p.ptes_set
    );
    if let Some(c) = &p.percpu {
        s += &format!(
            "{} CPU regions of {} slots; refills of {}; early flush below {} clean in the depot ({} there); {} flushes\n",
            c.cpus, c.region, c.batch, c.low_watermark, c.depot, c.flush_gen
        );
        s += &format!("{:>5} {:>8} {:>6} {:>6} {:>12} {:>12}\n", "cpu", "magazine", "dirty", "depot", "hits", "misses");
        for r in &c.per_cpu {
            s += &format!("{:>5} {:>8} {:>6} {:>6} {:>12} {:>12}\n", r.cpu, r.magazine, r.dirty, r.depot, r.hits, r.misses);
        }
    }
    if !p.mapped.is_empty() {
        s += &format!("{:>5}  {:<12} {:>10} {:>6}\n", "slot", "vaddr", "pfn", "users");
    }
    for sl in &p.mapped {
        let note = if sl.users == 0 { "  (unmapped, awaiting flush)" } else { "" };
        s += &format!("{:>5}  {:#010x}   {:>10} {:>6}{note}\n", sl.slot, sl.vaddr, sl.pfn, sl.users);
    }
    s
}

/// The `stats` file: every `key: number` line. The counters hmctl needs
/// must be there and be numbers; another line whose value is not a number
/// is passed over.
pub fn parse_stats(text: &str) -> Result<BTreeMap<String, u64>, String> {
    const NEEDED: [&str; 6] = ["maps", "hits", "misses", "unmaps", "flushes", "slots_flushed"];
    let mut m = BTreeMap::new();
    for (k, v) in key_values(text) {
        match number(v) {
            Ok(n) => {
                m.insert(k.to_string(), n);
            }
            Err(e) if NEEDED.contains(&k) => return Err(format!("{k}: {e}")),
            Err(_) => {}
        }
    }
    if let Some(k) = NEEDED.iter().find(|k| !m.contains_key(**k)) {
        return Err(format!("stats has no '{k}'"));
    }
    Ok(m)
}

pub fn render_stats(m: &BTreeMap<String, u64>) -> String {
    let mut s: String = m.iter().map(|(k, v)| format!("{k:<14} {v}\n")).collect();
    let get = |k: &str| m.get(k).copied().unwrap_or(0);
    if get("maps") > 0 {
        s += &format!("hit rate       {:.1}%\n", 100.0 * get("hits") as f64 / get("maps") as f64);
    }
    if get("flushes") > 0 {
        s += &format!(
            "per flush      {:.1} slots, {:.1} us\n",
            get("slots_flushed") as f64 / get("flushes") as f64,
            get("flush_ns") as f64 / get("flushes") as f64 / 1000.0
        );
    }
    s
}

#[derive(Debug, Serialize, Default, PartialEq)]
pub struct StressResult {
    pub threads: usize,
    pub seconds: f64,
    pub ops: u64,
    pub mismatches: u64,
    pub errors: u64,
    pub ops_per_sec: f64,
}

fn totals(fs: &Debugfs) -> Result<(u64, u64, u64), String> {
    let t = fs.read("stress")?;
    Ok((value_number(&t, "ops")?, value_number(&t, "mismatches")?, value_number(&t, "errors")?))
}

/// Runs `threads` threads, thread i pinned to CPU i modulo the CPUs there
/// are, each writing `OPS PAGES` batches to `stress` until `seconds` pass.
pub fn stress(fs: &Debugfs, threads: usize, seconds: f64, pages: u32) -> Result<StressResult, String> {
    if threads == 0 || !seconds.is_finite() || seconds <= 0.0 {
        return Err("--threads and --seconds must be positive".into());
    }
    let before = totals(fs)?;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let batch = format!("2000 {pages}\n");
    let ran = run_pinned(threads, false, "stress", |_| {
        while Instant::now() < deadline {
            fs.write("stress", batch.as_bytes()).map_err(|e| format!("stress write: {e}"))?;
        }
        Ok(())
    });
    let elapsed = start.elapsed().as_secs_f64();
    ran?;
    let after = totals(fs)?;
    let ops = after.0 - before.0;
    Ok(StressResult {
        threads,
        seconds: elapsed,
        ops,
        mismatches: after.1 - before.1,
        errors: after.2 - before.2,
        ops_per_sec: ops as f64 / elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pool_and_stats() {
        let t = "window: 0xf7849000-0xf7c49000\nslots: 1024\nin_use: 1\nneeds_flush: 1\nfree: 1022\nptes_set: 2\n\n\
                  slot vaddr               pfn  users\n    0 0xf7849000       784445      2\n    1 0xf784a000       784446      0\n";
        let p = parse_pool(t).unwrap();
        assert_eq!(p.window_end - p.window_start, 1024 * 4096);
        assert_eq!(p.mapped[1], Slot { slot: 1, vaddr: 0xf784_a000, pfn: 784446, users: 0 });
        assert!(render_pool(&p).contains("awaiting flush"));
        let st = parse_stats("maps: 4\nhits: 2\nmisses: 2\nunmaps: 2\nflushes: 1\nslots_flushed: 101\nflush_ns: 5000\n").unwrap();
        let text = render_stats(&st);
        assert!(text.contains("hit rate       50.0%") && text.contains("101.0 slots"), "{text}");
        assert!(parse_stats("maps: 4\n").unwrap_err().contains("hits"));
        let more = parse_stats("maps: 4\nhits: 2\nmisses: 2\nunmaps: 2\nflushes: 1\nslots_flushed: 1\nnew_counter: 9\nmode: lazy\n").unwrap();
        assert_eq!((more["new_counter"], more.contains_key("mode")), (9, false));
        assert!(parse_stats("maps: 4\nhits: many\nmisses: 2\nunmaps: 2\nflushes: 1\nslots_flushed: 1\n").unwrap_err().contains("hits"));
        let p2 = parse_pool(&t.replace("ptes_set: 2\n", "ptes_set: 2\nvmalloc_bytes: 65536\nfuture: x y\n")).unwrap();
        assert_eq!((p2.slots, p2.ptes_set, p2.mapped.len(), p2.percpu.is_none()), (1024, 2, 2, true));
        let v2 = t.replace(
            "ptes_set: 2\n",
            "ptes_set: 2\ncpus: 2\nregion: 512\nbatch: 16\nlow_watermark: 32\ndepot: 990\nflush_gen: 3\n\n\
             cpu magazine  dirty depot hits misses\n    0 15 1 16 7 9\n    1 0 0 0 0 0\n",
        );
        let p3 = parse_pool(&v2).unwrap();
        let c = p3.percpu.as_ref().unwrap();
        assert_eq!((c.cpus, c.low_watermark, c.flush_gen, c.per_cpu.len()), (2, 32, 3, 2));
        assert_eq!(c.per_cpu[0], Cpu { cpu: 0, magazine: 15, dirty: 1, depot: 16, hits: 7, misses: 9 });
        assert_eq!(p3.mapped.len(), 2);
        assert!(render_pool(&p3).contains("2 CPU regions of 512 slots"));
        assert!(parse_pool(&v2.replace("    1 0 0 0 0 0\n", "    1 0 0\n")).is_err(), "a short CPU row is an error");
        let k = crate::pkmap::parse("pkmap_base: 0xff400000\nlast_pkmap: 1024\nmapped: 1\n\nslot vaddr pfn\n7 0xff407000 593920\n").unwrap();
        let svg = crate::draw::slots_svg(&p, &k, "slots");
        let texts = crate::draw::check(&svg).unwrap().join(" ");
        assert!(texts.contains("1024 slots") && texts.contains("awaiting flush") && texts.contains("1 mapped"));
        assert_eq!(svg.matches("#e0702c").count(), 2, "one slot in use, and its legend");
    }
}
