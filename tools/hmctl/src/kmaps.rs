// SPDX-License-Identifier: GPL-2.0
//! `hmctl kmaps`: which kernel call sites map pages with kmap(),
//! kmap_atomic() and kmap_local, from hmkit's `kmaps` file (kprobes on the
//! kernel's own mapping functions), read as a to-do list for the
//! conversion to kmap_local_page().

use crate::debugfs::{table, value, value_number, Debugfs};
use crate::draw::{canvas, text};
use serde::Serialize;
use std::process::Command;
use std::time::{Duration, Instant};
use svg::node::element::Rectangle;

/// The mechanisms, in the order of the file's per-CPU columns.
pub const MECHS: [&str; 9] = [
    "kmap",
    "kunmap",
    "kmap_atomic",
    "kmap_local",
    "kmap_atomic_pfn",
    "kmap_local_pfn",
    "kunmap_atomic",
    "kunmap_local",
    "pkmap_flush",
];

/// The module's last hold-time bucket: everything from 2^31 ns up.
const LAST_HOLD_BUCKET: u32 = 31;

const SITE_COLUMNS: [&str; 12] = [
    "mechanism",
    "calls",
    "highmem",
    "waits",
    "wait_ns",
    "holds",
    "hold_ns",
    "hold_max_ns",
    "held",
    "hold_hist",
    "depth_hist",
    "site",
];

/// Whether upstream wants `mech` gone, and what replaces it.
pub fn replacement(mech: &str) -> Option<&'static str> {
    match mech {
        "kmap" => Some("kmap_local_page() (or a lowmem allocation if the mapping must outlive the task's context)"),
        "kunmap" => Some("kunmap_local(), with its kmap()"),
        "kmap_atomic" => Some("kmap_local_page(), plus preempt/pagefault_disable() only where the code needs them"),
        "kmap_atomic_pfn" => Some("kmap_local_pfn()"),
        "kunmap_atomic" => Some("kunmap_local(), with its kmap_atomic()"),
        _ => None,
    }
}

/// One call site of one mechanism.
#[derive(Debug, Serialize, Clone, PartialEq)]
pub struct Site {
    pub mechanism: String,
    /// As the kernel prints it: `function+0x1c/0x80 [module]`.
    pub site: String,
    /// The same with Rust symbols demangled (`<hmkit::control::Objects>::apply+0x79/0x160 [hmkit]`).
    pub display: String,
    /// The function, demangled.
    pub function: String,
    /// `None` for the kernel itself.
    pub module: Option<String>,
    pub calls: u64,
    pub per_second: f64,
    /// Calls whose page was highmem (for kunmap_local: whose address was a
    /// kmap_local slot).
    pub highmem: u64,
    pub waits: u64,
    pub wait_ns: u64,
    /// kmap() mappings of this site whose unmap was seen, and their times.
    pub holds: u64,
    pub hold_ns: u64,
    pub hold_max_ns: u64,
    /// Mapped and not unmapped when the file was read.
    pub held: u64,
    /// (bucket b, count): hold times in [2^b, 2^(b+1)) ns.
    pub hold_hist: Vec<(u32, u64)>,
    /// (depth, count): kmap_local mappings the task already held.
    pub depth_hist: Vec<(u32, u64)>,
    /// Deprecated upstream: what to convert it to.
    pub convert_to: Option<String>,
}

impl Site {
    pub fn highmem_share(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.highmem as f64 / self.calls as f64
        }
    }

    /// The hold time below which a share `q` of the timed holds fall: the
    /// upper end of its histogram bucket (an upper bound, within 2x), but
    /// never more than the longest hold. The last bucket has no upper end.
    pub fn hold_quantile_ns(&self, q: f64) -> Option<u64> {
        let b = quantile(&self.hold_hist, q)?;
        let upper = if b >= LAST_HOLD_BUCKET { u64::MAX } else { (1u64 << (b + 1)) - 1 };
        Some(upper.min(self.hold_max_ns))
    }

    pub fn depth_max(&self) -> Option<u32> {
        self.depth_hist.iter().map(|(d, _)| *d).max()
    }
}

fn quantile(hist: &[(u32, u64)], q: f64) -> Option<u32> {
    let total: u64 = hist.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    let want = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (b, n) in hist {
        seen += n;
        if seen >= want {
            return Some(*b);
        }
    }
    hist.last().map(|(b, _)| *b)
}

/// The `kmaps` file.
#[derive(Debug, Serialize, Clone)]
pub struct Kmaps {
    pub running: bool,
    pub traced_ns: u64,
    pub cpus: u64,
    /// Probe hits the kprobe core did not hand over (nested, or kmap_high
    /// instances exhausted).
    pub missed: u64,
    pub sites_full: u64,
    pub holds_full: u64,
    pub unmatched_unmaps: u64,
    /// Per CPU, calls per mechanism (in the order of [`MECHS`]).
    pub per_cpu: Vec<Vec<u64>>,
    /// Most calls first.
    pub sites: Vec<Site>,
}

fn hist(s: &str) -> Result<Vec<(u32, u64)>, String> {
    if s == "-" {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|p| {
            let (b, n) = p.split_once(':').ok_or_else(|| format!("histogram entry '{p}' is not bucket:count"))?;
            Ok((b.parse().map_err(|_| format!("bad bucket '{b}'"))?, n.parse().map_err(|_| format!("bad count '{n}'"))?))
        })
        .collect()
}

impl Kmaps {
    pub fn parse(text: &str) -> Result<Self, String> {
        let traced_ns = value_number(text, "traced_ns")?;
        let mut cpu_cols = vec!["cpu"];
        cpu_cols.extend(MECHS);
        let per_cpu = table(text, &cpu_cols)?
            .iter()
            .map(|r| r[1..].iter().map(|v| v.parse::<u64>().map_err(|_| format!("bad count '{v}'"))).collect())
            .collect::<Result<Vec<Vec<u64>>, String>>()?;
        // The site is the rest of the line: it may hold a space (` [module]`).
        let mut lines = text.lines().skip_while(|l| !l.starts_with("mechanism "));
        let header: Vec<&str> = lines.next().ok_or("no site table")?.split_whitespace().collect();
        if header != SITE_COLUMNS {
            return Err(format!("unexpected site table header {header:?}"));
        }
        let secs = traced_ns as f64 / 1e9;
        let mut sites = Vec::new();
        for l in lines.take_while(|l| !l.trim().is_empty()) {
            let w: Vec<&str> = l.splitn(SITE_COLUMNS.len(), ' ').collect();
            if w.len() != SITE_COLUMNS.len() {
                return Err(format!("site row '{l}' is short"));
            }
            let n = |i: usize| w[i].parse::<u64>().map_err(|_| format!("{}: bad number '{}'", SITE_COLUMNS[i], w[i]));
            let site = w[11].trim().to_string();
            let (function, module) = split_site(&site);
            let display = demangle_site(&site);
            let calls = n(1)?;
            sites.push(Site {
                mechanism: w[0].to_string(),
                calls,
                per_second: if secs > 0.0 { calls as f64 / secs } else { 0.0 },
                highmem: n(2)?,
                waits: n(3)?,
                wait_ns: n(4)?,
                holds: n(5)?,
                hold_ns: n(6)?,
                hold_max_ns: n(7)?,
                held: n(8)?,
                hold_hist: hist(w[9])?,
                depth_hist: hist(w[10])?,
                convert_to: replacement(w[0]).map(str::to_string),
                function,
                module,
                display,
                site,
            });
        }
        Ok(Kmaps {
            running: match value(text, "state")? {
                "running" => true,
                "stopped" => false,
                s => return Err(format!("unknown state '{s}'")),
            },
            traced_ns,
            cpus: value_number(text, "cpus")?,
            missed: value_number(text, "missed")?,
            sites_full: value_number(text, "sites_full")?,
            holds_full: value_number(text, "holds_full")?,
            unmatched_unmaps: value_number(text, "unmatched_unmaps")?,
            per_cpu,
            sites,
        })
    }

    /// Calls per mechanism, all CPUs.
    pub fn totals(&self) -> Vec<(&'static str, u64)> {
        MECHS.iter().enumerate().map(|(i, m)| (*m, self.per_cpu.iter().map(|c| c.get(i).copied().unwrap_or(0)).sum())).collect()
    }

    /// The sites of `mech` whose function is `function`.
    #[cfg(test)]
    pub fn find(&self, mech: &str, function: &str) -> impl Iterator<Item = &Site> {
        let (mech, function) = (mech.to_string(), function.to_string());
        self.sites.iter().filter(move |s| s.mechanism == mech && s.function == function)
    }
}

/// `name+0x1c/0x80 [mod]` into (`name`, `Some("mod")`), the name
/// demangled if it is a Rust symbol.
fn split_site(site: &str) -> (String, Option<String>) {
    let (sym, module) = match site.split_once(' ') {
        Some((s, m)) => (s, Some(m.trim_matches(|c| c == '[' || c == ']').to_string())),
        None => (site, None),
    };
    (demangle(sym.split('+').next().unwrap_or(sym)), module)
}

/// A Rust symbol (`_R...`, `_ZN...`) as Rust writes the path, without the
/// hash; anything else as it is.
fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

/// The site with its function demangled, offset and module kept.
fn demangle_site(site: &str) -> String {
    match site.find('+') {
        Some(i) => demangle(&site[..i]) + &site[i..],
        None => site.split_once(' ').map_or_else(|| demangle(site), |(s, rest)| demangle(s) + " " + rest),
    }
}

fn write_cmd(fs: &Debugfs, cmd: &str) -> Result<(), String> {
    fs.write("kmaps", cmd.as_bytes()).map_err(|e| match e.raw_os_error() {
        Some(nix::libc::EBUSY) if cmd == "start" => {
            "kmaps: tracing is already running (`hmctl write kmaps <<<stop` ends it)".to_string()
        }
        Some(nix::libc::ENOENT) | Some(nix::libc::EOPNOTSUPP) => {
            format!("kmaps {cmd}: {e}: does this kernel have CONFIG_KPROBES and the probed functions?")
        }
        _ => format!("kmaps {cmd}: {e}"),
    })
}

/// Starts a fresh trace (reset, start).
pub fn start(fs: &Debugfs) -> Result<(), String> {
    let k = Kmaps::parse(&fs.read("kmaps")?)?;
    if k.running {
        return Err("kmaps: tracing is already running; stop it first (`echo stop > kmaps`)".into());
    }
    write_cmd(fs, "reset")?;
    write_cmd(fs, "start")
}

pub fn stop(fs: &Debugfs) -> Result<(), String> {
    write_cmd(fs, "stop")
}

/// A trace and what ran under it.
#[derive(Debug, Serialize)]
pub struct Trace {
    pub command: Vec<String>,
    /// The command's exit status (`None` when it was killed or there was none).
    pub exit_status: Option<i32>,
    pub seconds: f64,
    pub kmaps: Kmaps,
}

/// Traces for `seconds`, or while `command` runs (then `seconds` is not
/// used). The probes come out again whatever happens to the command, and
/// on a Ctrl-C, which ends the trace early (and, from a terminal, the
/// command with it).
pub fn trace(fs: &Debugfs, seconds: f64, command: &[String]) -> Result<Trace, String> {
    crate::interrupt::catch()?;
    start(fs)?;
    let t0 = Instant::now();
    let ran = if command.is_empty() {
        crate::interrupt::sleep(Duration::from_secs_f64(seconds));
        Ok(None)
    } else {
        Command::new(&command[0])
            .args(&command[1..])
            .status()
            .map(|s| s.code())
            .map_err(|e| format!("{}: {e}", command[0]))
    };
    let stopped = stop(fs);
    let exit_status = ran?;
    stopped?;
    Ok(Trace {
        command: command.to_vec(),
        exit_status,
        seconds: t0.elapsed().as_secs_f64(),
        kmaps: Kmaps::parse(&fs.read("kmaps")?)?,
    })
}

fn fmt_ns(ns: Option<u64>) -> String {
    match ns {
        None => "-".into(),
        Some(n) if n >= 1_000_000_000 => format!("{:.1}s", n as f64 / 1e9),
        Some(n) if n >= 1_000_000 => format!("{:.1}ms", n as f64 / 1e6),
        Some(n) if n >= 1_000 => format!("{:.1}us", n as f64 / 1e3),
        Some(n) => format!("{n}ns"),
    }
}

/// The report: totals, the top sites by rate, then the deprecated ones as
/// a to-do list.
pub fn render(k: &Kmaps, top: usize) -> String {
    let secs = k.traced_ns as f64 / 1e9;
    let mut out = format!(
        "kmap calls by call site, traced {:.2} s on {} CPUs ({}){}\n",
        secs,
        k.cpus,
        if k.running { "still running" } else { "stopped" },
        if k.missed + k.sites_full + k.holds_full > 0 {
            format!(
                "; not counted: {} missed by kprobes, {} past the site tables, {} holds untimed",
                k.missed, k.sites_full, k.holds_full
            )
        } else {
            String::new()
        }
    );
    out += "totals:";
    for (m, n) in k.totals() {
        if n > 0 {
            out += &format!(" {m}={n}");
        }
    }
    out += "\nper CPU (maps and unmaps):";
    for (cpu, c) in k.per_cpu.iter().enumerate() {
        out += &format!(" cpu{cpu}={}", c.iter().sum::<u64>());
    }
    out += "\n\n";
    out += &format!(
        "{:>10} {:>9} {:<15} {:>5} {:>8} {:>8} {:>8} {:>5} {:>5}  {}\n",
        "per_sec", "calls", "mechanism", "high%", "hold_p50", "hold_p99", "hold_max", "waits", "depth", "site"
    );
    for s in k.sites.iter().take(top) {
        out += &format!(
            "{:>10.1} {:>9} {:<15} {:>5.0} {:>8} {:>8} {:>8} {:>5} {:>5}  {}{}\n",
            s.per_second,
            s.calls,
            s.mechanism,
            100.0 * s.highmem_share(),
            fmt_ns(s.hold_quantile_ns(0.5)),
            fmt_ns(s.hold_quantile_ns(0.99)),
            fmt_ns((s.holds > 0).then_some(s.hold_max_ns)),
            s.waits,
            s.depth_max().map_or("-".into(), |d| d.to_string()),
            s.display,
            if s.convert_to.is_some() { "  [deprecated]" } else { "" }
        );
    }
    if k.sites.len() > top {
        out += &format!("... and {} more sites\n", k.sites.len() - top);
    }
    let todo: Vec<&Site> = k.sites.iter().filter(|s| s.convert_to.is_some() && !s.mechanism.starts_with("kunmap")).collect();
    out += "\nTo convert (deprecated mechanisms, by calls; highmem share is what the conversion must keep working):\n";
    if todo.is_empty() {
        out += "  none: no kmap(), kmap_atomic() or kmap_atomic_pfn() call was seen\n";
    }
    for s in todo {
        out += &format!(
            "  {:<48} {:<12} {:>9} calls, {:>3.0}% highmem -> {}\n",
            s.display,
            s.mechanism,
            s.calls,
            100.0 * s.highmem_share(),
            s.convert_to.as_deref().unwrap_or("")
        );
    }
    out
}

fn colour(mech: &str) -> &'static str {
    match mech {
        "kmap" | "kunmap" => "#d62728",
        "kmap_atomic" | "kunmap_atomic" | "kmap_atomic_pfn" => "#ff7f0e",
        "kmap_local" | "kunmap_local" | "kmap_local_pfn" => "#2ca02c",
        _ => "#7f7f7f",
    }
}

/// A bar per site (the top `top` maps, most calls first): its calls, the
/// highmem part darker, coloured by mechanism (red kmap, orange
/// kmap_atomic, green kmap_local).
pub fn svg(k: &Kmaps, top: usize, title: &str) -> String {
    let sites: Vec<&Site> = k.sites.iter().filter(|s| !s.mechanism.starts_with("kunmap")).take(top).collect();
    let (left, bar_w, row) = (360.0, 420.0, 22.0);
    let h = 70.0 + row * sites.len().max(1) as f64 + 40.0;
    let mut doc = canvas(left + bar_w + 260.0, h, title);
    let max = sites.iter().map(|s| s.calls).max().unwrap_or(1).max(1) as f64;
    if sites.is_empty() {
        doc = doc.add(text("no kmap calls were traced", 20.0, 70.0));
    }
    for (i, s) in sites.iter().enumerate() {
        let y = 50.0 + row * i as f64;
        let w = bar_w * s.calls as f64 / max;
        let hw = w * s.highmem_share();
        let name = if s.display.chars().count() > 52 {
            s.display.chars().take(49).collect::<String>() + "..."
        } else {
            s.display.clone()
        };
        doc = doc
            .add(text(name, left - 8.0, y + 14.0).set("text-anchor", "end").set("font-family", "monospace").set("font-size", 11))
            .add(Rectangle::new().set("x", left).set("y", y + 3.0).set("width", w.max(1.0)).set("height", row - 6.0).set("fill", colour(&s.mechanism)).set("fill-opacity", 0.45))
            .add(Rectangle::new().set("x", left).set("y", y + 3.0).set("width", hw).set("height", row - 6.0).set("fill", colour(&s.mechanism)))
            .add(text(format!("{} {} ({:.0}% high)", s.calls, s.mechanism, 100.0 * s.highmem_share()), left + w + 6.0, y + 14.0).set("font-size", 11));
    }
    let y = h - 20.0;
    doc = doc.add(text(
        format!(
            "{:.1} s traced. Red: kmap(), orange: kmap_atomic(), green: kmap_local; the solid part is highmem pages.",
            k.traced_ns as f64 / 1e9
        ),
        20.0,
        y,
    ));
    doc.to_string()
}

/// What tracing costs each probed call: the module's benchmark loops run
/// without and with the probes, same plan, same run.
#[derive(Debug, Serialize)]
pub struct Overhead {
    /// `ns` of guest time, or `instructions` under `qemu/run.sh --icount`.
    pub unit: String,
    pub rows: Vec<OverheadRow>,
}

#[derive(Debug, Serialize)]
pub struct OverheadRow {
    pub mechanism: String,
    pub untraced_per_op: f64,
    pub traced_per_op: f64,
    /// traced - untraced: the cost of the probes on one map and its unmap.
    pub added_per_op: f64,
    pub ratio: f64,
    /// Probe hits counted at the benchmark's own call sites while traced
    /// (map and unmap).
    pub traced_calls: u64,
}

/// Runs the benchmark of `mechanisms` on one thread, untraced then traced.
pub fn overhead(fs: &Debugfs, mechanisms: &[&str], runs: usize, how: crate::bench::Plan) -> Result<Overhead, String> {
    let cmdline = std::fs::read_to_string("/proc/cmdline").map_err(|e| format!("/proc/cmdline: {e}"))?;
    let clock = crate::bench::Clock::from_cmdline(&cmdline);
    let plain = crate::bench::bench_some(fs, mechanisms, runs, &[1], how)?;
    // A Ctrl-C ends the traced half early (the bench writes stop with
    // EINTR), and the probes still come out.
    crate::interrupt::catch()?;
    start(fs)?;
    let traced = crate::bench::bench_some(fs, mechanisms, runs, &[1], how);
    let stopped = stop(fs);
    let traced = traced?;
    stopped?;
    let k = Kmaps::parse(&fs.read("kmaps")?)?;
    let in_hmkit: u64 = k.sites.iter().filter(|s| s.module.as_deref() == Some("hmkit")).map(|s| s.calls).sum();
    let rows = plain
        .iter()
        .zip(traced.iter())
        .map(|(p, t)| OverheadRow {
            mechanism: p.mechanism.clone(),
            untraced_per_op: p.ns_per_op,
            traced_per_op: t.ns_per_op,
            added_per_op: t.ns_per_op - p.ns_per_op,
            ratio: if p.ns_per_op > 0.0 { t.ns_per_op / p.ns_per_op } else { f64::NAN },
            traced_calls: in_hmkit,
        })
        .collect();
    Ok(Overhead { unit: clock.unit().replace("/op", ""), rows })
}

pub fn render_overhead(o: &Overhead) -> String {
    let mut out = format!(
        "cost of tracing (hmctl kmaps), per map+unmap, one thread, in {}:\n{:<12} {:>12} {:>12} {:>12} {:>7}\n",
        o.unit, "mechanism", "untraced", "traced", "added", "ratio"
    );
    for r in &o.rows {
        out += &format!(
            "{:<12} {:>12.0} {:>12.0} {:>12.0} {:>6.1}x\n",
            r.mechanism, r.untraced_per_op, r.traced_per_op, r.added_per_op, r.ratio
        );
    }
    if let Some(r) = o.rows.first() {
        out += &format!("probe hits counted at hmkit's own call sites while traced: {}\n", r.traced_calls);
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn kmaps() -> Kmaps {
        Kmaps::parse(FILE).unwrap()
    }

    const FILE: &str = "state: stopped\ntraced_ns: 2000000000\ncpus: 2\nmissed: 0\nsites_full: 0\nholds_full: 0\nunmatched_unmaps: 1\nunknown_events: 0\n\n\
cpu kmap kunmap kmap_atomic kmap_local kmap_atomic_pfn kmap_local_pfn kunmap_atomic kunmap_local pkmap_flush\n\
0 3 3 0 10 0 0 0 10 0\n1 1 1 4 0 0 0 4 0 1\n\n\
mechanism calls highmem waits wait_ns holds hold_ns hold_max_ns held hold_hist depth_hist site\n\
kmap_local 10 6 0 0 0 0 0 0 - 0:8,1:2 copy_page_to_iter+0x5c/0x1a0\n\
kmap 4 4 1 5000 3 300000000 120000000 1 26:2,20:1 - hmkit_kmap+0x9/0x10 [hmkit]\n\
kmap_atomic 4 0 0 0 0 0 0 0 - 0:4 ext4_foo+0x10/0x20 [ext4]\n\
kmap_local 2 2 0 0 0 0 0 0 - 0:2 _RNvMNtCsbowb3IVs40B_5hmkit7controlNtB2_7Objects5apply+0x792/0x1670 [hmkit]\n\
pkmap_flush 1 1 0 0 0 0 0 0 - - kmap_high+0x1a0/0x260\n";

    #[test]
    fn parses_the_file() {
        let k = Kmaps::parse(FILE).unwrap();
        assert!(!k.running);
        assert_eq!((k.cpus, k.unmatched_unmaps), (2, 1));
        assert_eq!(k.per_cpu, vec![vec![3, 3, 0, 10, 0, 0, 0, 10, 0], vec![1, 1, 4, 0, 0, 0, 4, 0, 1]]);
        assert_eq!(k.totals()[0], ("kmap", 4));
        assert_eq!(k.sites.len(), 5);
        let rust = &k.sites[3];
        assert_eq!(rust.function, "<hmkit::control::Objects>::apply");
        assert_eq!(rust.display, "<hmkit::control::Objects>::apply+0x792/0x1670 [hmkit]");
        assert_eq!(rust.module.as_deref(), Some("hmkit"));
        assert_eq!(demangle_site("copy_page_to_iter+0x5c/0x1a0"), "copy_page_to_iter+0x5c/0x1a0");
        let km = k.find("kmap", "hmkit_kmap").next().unwrap();
        assert_eq!(km.module.as_deref(), Some("hmkit"));
        assert_eq!(km.site, "hmkit_kmap+0x9/0x10 [hmkit]");
        assert_eq!(km.hold_hist, vec![(26, 2), (20, 1)]);
        assert_eq!(km.per_second, 2.0);
        assert!(km.convert_to.is_some());
        let l = &k.sites[0];
        assert_eq!((l.function.as_str(), l.module.as_deref(), l.depth_max()), ("copy_page_to_iter", None, Some(1)));
        assert!(l.convert_to.is_none());
        assert!((l.highmem_share() - 0.6).abs() < 1e-9);
    }

    #[test]
    fn quantiles_come_from_the_buckets() {
        let k = Kmaps::parse(FILE).unwrap();
        let km = k.find("kmap", "hmkit_kmap").next().unwrap();
        // Histogram as the file gives it (bucket order need not be sorted
        // by the parser; the module writes buckets in increasing order).
        let mut s = km.clone();
        s.hold_hist.sort();
        assert_eq!(s.hold_quantile_ns(0.3), Some((1 << 21) - 1));
        // Capped at the longest hold (120 ms), below the bucket's end.
        assert_eq!(s.hold_quantile_ns(0.5), Some(120_000_000));
        assert_eq!(s.hold_quantile_ns(1.0), Some(120_000_000));
        // The last bucket is open: only the longest hold bounds it.
        s.hold_hist = vec![(31, 1)];
        s.hold_max_ns = 10_000_000_000;
        assert_eq!(s.hold_quantile_ns(0.99), Some(10_000_000_000));
        assert_eq!(fmt_ns(s.hold_quantile_ns(0.99)), "10.0s");
        s.hold_hist.clear();
        assert_eq!(s.hold_quantile_ns(0.5), None);
    }

    #[test]
    fn report_lists_deprecated_sites_to_convert() {
        let k = Kmaps::parse(FILE).unwrap();
        let r = render(&k, 10);
        assert!(r.contains("totals: kmap=4 kunmap=4 kmap_atomic=4 kmap_local=10"), "{r}");
        assert!(r.contains("per CPU (maps and unmaps): cpu0=26 cpu1=11"), "{r}");
        let todo = r.split("To convert").nth(1).unwrap();
        assert!(todo.contains("hmkit_kmap+0x9/0x10 [hmkit]") && todo.contains("ext4_foo"), "{todo}");
        assert!(!todo.contains("copy_page_to_iter"), "{todo}");
        let svg = svg(&k, 10, "t");
        let texts = crate::draw::check(&svg).unwrap().join("\n");
        assert!(texts.contains("copy_page_to_iter+0x5c/0x1a0") && !texts.contains("no kmap calls"), "{texts}");
    }

    #[test]
    fn bad_files_are_errors() {
        assert!(Kmaps::parse("state: running\n").is_err());
        assert!(Kmaps::parse(&FILE.replace("state: stopped", "state: dozing")).is_err());
        assert!(Kmaps::parse(&FILE.replace(" 26:2,20:1", " 26-2")).is_err());
        assert!(Kmaps::parse(&FILE.replace("kmap_local 10 6", "kmap_local ten 6")).is_err());
    }
}
