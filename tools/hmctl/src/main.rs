// SPDX-License-Identifier: GPL-2.0
//! hmctl: the userspace side of hmkit. Reads hmkit's debugfs files and the
//! kernel's own /proc files, and presents them as text or JSON.

mod bench;
mod census;
mod debugfs;
mod draw;
mod events;
mod explain;
mod interrupt;
mod kmaps;
mod layout;
mod matrix;
mod meminfo;
mod pkmap;
mod pool;
mod report;
mod threads;
mod workload;
mod zones;

use clap::{Parser, Subcommand};
use debugfs::Version;
use std::process::ExitCode;

#[derive(Parser)]
#[command(version, about = "Inspect and test high memory through the hmkit kernel module")]
struct Cli {
    /// hmkit's debugfs directory
    #[arg(long, global = true, env = "HMKIT_DEBUGFS", default_value = debugfs::DEFAULT_DIR)]
    debugfs: std::path::PathBuf,
    /// Print JSON instead of text (explain: a list of objects, one per
    /// claim; bench: a list of rows); before or after the subcommand, not
    /// for svg-check, load, write and cat
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// One-screen state of the running kernel and hmkit (the default)
    Report,
    /// hmkit and kernel version, paging mode, online CPUs
    Version,
    /// The kernel's virtual address space, drawn top to bottom
    Layout {
        /// Also draw it, beside physical memory and its zones, as SVG into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
    },
    /// Node 0's zones: where lowmem ends and highmem starts, sizes, free pages
    Zones,
    /// The kernel's own pkmap (kmap()) slots that map a page right now
    Pkmap,
    /// Every page of every zone by what uses it (free, anon, page cache,
    /// shmem, page tables, slab, kernel stacks, vmalloc, zsmalloc, reserved,
    /// ...), walked by the module now; in MiB per zone
    Census {
        /// Also draw it as SVG into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
    },
    /// From the census now: how much of what is in use must be in lowmem,
    /// and whether it fits under each VMSPLIT choice, with and without
    /// CONFIG_HIGHMEM
    Whatif,
    /// A live view like top: zones by census class, kernel pkmap and pool
    /// use, refreshed every interval; plain text (works on a serial
    /// console), or JSON lines with --json
    Watch {
        /// Seconds between samples
        #[arg(long, default_value_t = 1.0, value_parser = positive)]
        interval: f64,
        /// Stop after this many samples (0: run until interrupted)
        #[arg(long, default_value_t = 0)]
        count: u64,
        /// Redraw in place, like top (ANSI; only on a terminal)
        #[arg(long)]
        clear: bool,
        /// Also trace the kernel's kmap calls while watching, and show their
        /// rates (the probes come out when the watch ends, Ctrl-C included)
        #[arg(long)]
        kmaps: bool,
    },
    /// Trace the kernel's own kmap(), kmap_atomic() and kmap_local calls
    /// (kprobes) for --seconds, or while COMMAND runs, and list the call
    /// sites by rate: mechanism, highmem share, kmap() hold times, waits for
    /// the pkmap, kmap_local nesting; then the deprecated ones to convert
    Kmaps {
        /// How long to trace when no COMMAND is given
        #[arg(long, default_value_t = 5.0, value_parser = positive)]
        seconds: f64,
        /// How many sites to list
        #[arg(long, default_value_t = 25)]
        top: usize,
        /// Also draw the top sites as SVG into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
        /// Show what the tables hold now (the last trace, or the running
        /// one) instead of tracing
        #[arg(long, conflicts_with_all = ["overhead", "command"])]
        show: bool,
        /// Measure what tracing adds to each map+unmap: hmkit's benchmark
        /// loops without and with the probes (instructions under
        /// qemu/run.sh --icount)
        #[arg(long, conflicts_with = "command")]
        overhead: bool,
        /// With --overhead: a short run (for tests)
        #[arg(long, requires = "overhead")]
        quick: bool,
        /// The command to trace, after `--`
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Run a named workload on Debian's fio and stress-ng (pagecache, anon,
    /// tmpfs, metadata, swap, mix), with a census before, every interval
    /// during, and after; report what it put in lowmem and highmem
    Workload {
        /// pagecache, anon, tmpfs, metadata, swap (to zram) or mix
        name: String,
        /// Size of the workload's data, in MiB
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
        mib: u64,
        /// How long its tools run (they are stopped if they overrun by half as much again, plus 10 s)
        #[arg(long, default_value_t = 10.0, value_parser = positive)]
        seconds: f64,
        /// Seconds between census samples while it runs
        #[arg(long, default_value_t = 1.0, value_parser = positive)]
        interval: f64,
        /// Directory on a disk filesystem for its files (pagecache, metadata)
        #[arg(long, default_value = "/data")]
        dir: std::path::PathBuf,
        /// Write workload-NAME.txt, .json and .svg into this directory
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// hmkit's own mapping pool: window, slot counts, mapped slots
    Pool {
        /// Also draw the pool's and the kernel pkmap's slots as SVG into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
    },
    /// Check what five widely read (Chinese) articles on highmem claim against this kernel:
    /// each claim, its source, the live value and a verdict (holds/differs);
    /// with --json, a list of objects, one per claim
    Explain,
    /// Check that FILE is well-formed SVG and that its text has every EXPECT
    SvgCheck {
        file: std::path::PathBuf,
        #[arg(long)]
        expect: Vec<String>,
    },
    /// The pool's counters: maps, hits, misses, flushes, waits, ...
    Stats,
    /// Map, write, verify and unmap highmem pages through the pool from
    /// several threads (pinned to CPUs in turn), cross-checked with kmap_local
    Stress {
        #[arg(long, default_value_t = 2)]
        threads: usize,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Private pages per batch (more than the pool's slots forces flushes)
        #[arg(long, default_value_t = 256)]
        pages: u32,
    },
    /// Load a kernel module with one finit_module() call (no fallback
    /// retry, unlike busybox insmod) and print `ok` or the errno's name
    Load {
        /// The module file, e.g. /lib/modules/hmkit.ko
        file: std::path::PathBuf,
        /// Module parameters, e.g. slots=64
        params: Vec<String>,
    },
    /// Benchmark the pool against kmap, kmap_hit, kmap_local, kmap_atomic,
    /// vmap, vm_map_ram and lowmem: map, touch one word, unmap, with one
    /// thread and with one thread per CPU; median, min and max of several
    /// runs, and the kernel's TLB flush and IPI counts per op; in guest ns,
    /// which are instructions under qemu/run.sh --icount; with --json, the
    /// report as an object instead of the table
    Bench {
        /// Runs per mechanism and thread count (the median is reported)
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// A short run with few iterations (for tests)
        #[arg(long, conflicts_with = "guard")]
        quick: bool,
        /// The plan of the instruction-count guard (make test): every
        /// working set cycled twice, about 10^8 instructions in all
        #[arg(long)]
        guard: bool,
        /// Also write the rows as JSON to this file
        #[arg(long)]
        json_out: Option<std::path::PathBuf>,
        /// Also write a bar chart (SVG) to this file
        #[arg(long)]
        svg: Option<std::path::PathBuf>,
    },
    /// Merge `hmctl bench --json-out` reports of one kernel, one measured
    /// under qemu/run.sh --icount and one without, into one table
    /// (instructions, wall time, events per op); runs on the host too;
    /// --svg draws the wall-clock report's ns/op (else the instructions)
    BenchReport {
        /// The reports (JSON); each says which clock it was measured with
        #[arg(required = true, num_args = 1..=2)]
        reports: Vec<std::path::PathBuf>,
        #[command(flatten)]
        files: ReportFiles,
    },
    /// Several kernels' `bench-report --json-out` reports side by side
    /// (runs on the host): one thread, instructions per op and the ratios
    /// to the kernel's own mechanisms, one column per kernel
    BenchCompare {
        /// LABEL=FILE (or FILE: labelled by its name without .json), in
        /// column order
        #[arg(required = true)]
        reports: Vec<String>,
        /// Also write the table to this file (Markdown)
        #[arg(long)]
        markdown: Option<std::path::PathBuf>,
    },
    /// Kernels of several VMSPLIT choices side by side (runs on the host):
    /// each one's layout and zones, and whether the what-if made on the
    /// 3G/1G kernel of the same paging predicted its lowmem and highmem,
    /// and a workload's lowmem use per class; --svg draws every kernel's
    /// address space and memory
    Matrix {
        /// One directory per kernel flavour, named after it, holding what
        /// `make matrix` saves from the guest (layout.json, zones.json,
        /// whatif.json; census, explain, workload and suite results where made)
        #[arg(required = true)]
        dirs: Vec<std::path::PathBuf>,
        #[command(flatten)]
        files: ReportFiles,
        /// Print one "ok - " or "not ok - " line per prediction, and fail
        /// if one is wrong
        #[arg(long)]
        check: bool,
    },
    /// Compare the instructions per op of an icount report with a baseline
    /// report; fails on any row more than --margin percent above it
    BenchCheck {
        baseline: std::path::PathBuf,
        report: std::path::PathBuf,
        /// Allowed increase, in percent
        #[arg(long, default_value_t = 10.0)]
        margin: f64,
    },
    /// Send standard input to one of hmkit's files in a single write() and
    /// print the kernel's answer: `ok`, or the errno's name (e.g. `EINVAL`)
    Write {
        /// File name under the debugfs directory, e.g. `control`
        file: String,
        /// Send the input in pieces of this many bytes, one write() each,
        /// printing one answer per piece
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        split: Option<u32>,
    },
    /// Print one of hmkit's debugfs files as the module renders it
    Cat {
        /// File name under the debugfs directory, e.g. `version`
        file: String,
    },
}

/// The files a report of several runs or kernels can be written to.
#[derive(clap::Args)]
struct ReportFiles {
    /// Write the report as Markdown to this file
    #[arg(long)]
    markdown: Option<std::path::PathBuf>,
    /// Write its rows as JSON to this file
    #[arg(long)]
    json_out: Option<std::path::PathBuf>,
    /// Draw it as SVG to this file
    #[arg(long)]
    svg: Option<std::path::PathBuf>,
}

impl ReportFiles {
    /// Writes the files asked for: `md`, `value` as JSON, and the drawing.
    fn write<T: serde::Serialize>(&self, md: &str, value: &T, drawing: impl FnOnce() -> String) -> Result<(), String> {
        if let Some(p) = &self.markdown {
            write_file(p, md)?;
        }
        if let Some(p) = &self.json_out {
            write_file(p, &serde_json::to_string_pretty(value).map_err(|e| e.to_string())?)?;
        }
        if let Some(p) = &self.svg {
            write_file(p, &drawing())?;
        }
        Ok(())
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let fs = debugfs::Debugfs::new(cli.debugfs);
    let json = cli.json;
    let command = cli.command.unwrap_or(Command::Report);
    if json {
        if let Some(name) = without_json(&command) {
            return Err(format!("--json does not apply to `hmctl {name}`"));
        }
    }
    match command {
        Command::Report => report::report(&fs, json),
        Command::Version => report::version(&fs, json),
        Command::Layout { svg } => {
            let l = layout::Layout::parse(&fs.read("layout")?)?;
            if let Some(path) = svg {
                let z = zones::parse(&fs.read("zones")?)?;
                let v = Version::parse(&fs.read("version")?)?;
                let title = format!("Linux {} i386 ({} paging): virtual and physical memory, live", v.kernel, l.paging);
                write_file(&path, &draw::layout_svg(&l, &z, &title))?;
            }
            output(json, &l, || layout::draw(&l))
        }
        Command::Zones => {
            let z = zones::parse(&fs.read("zones")?)?;
            output(json, &z, || zones::render(&z, 4096))
        }
        Command::Pkmap => {
            let p = pkmap::parse(&fs.read("pkmap")?)?;
            output(json, &p, || pkmap::render(&p))
        }
        Command::Census { svg } => {
            let c = census::Census::parse(&fs.read("census")?)?;
            if let Some(path) = svg {
                let v = Version::parse(&fs.read("version")?)?;
                let title = format!("Linux {} i386: every page by use, per zone (hmkit census)", v.kernel);
                write_file(&path, &census::svg(&c, &title))?;
            }
            output(json, &c, || census::render(&c))
        }
        Command::Whatif => {
            let c = census::Census::parse(&fs.read("census")?)?;
            let l = layout::Layout::parse(&fs.read("layout")?)?;
            let z = zones::parse(&fs.read("zones")?)?;
            let w = census::what_if(&c, &l, &z)?;
            output(json, &w, || census::render_what_if(&w))
        }
        Command::Watch { interval, count, clear, kmaps } => workload::watch(&fs, interval, count, json, clear, kmaps),
        Command::Kmaps { seconds, top, svg, show, overhead, quick, command } => {
            if overhead {
                let how = if quick { bench::Plan::Quick } else { bench::Plan::Full };
                let o = kmaps::overhead(&fs, &["kmap_local", "kmap_atomic", "kmap_hit", "kmap"], 3, how)?;
                return output(json, &o, || kmaps::render_overhead(&o));
            }
            let t = if show {
                kmaps::Trace { command: Vec::new(), exit_status: None, seconds: 0.0, kmaps: kmaps::Kmaps::parse(&fs.read("kmaps")?)? }
            } else {
                kmaps::trace(&fs, seconds, &command)?
            };
            if let Some(path) = svg {
                let v = Version::parse(&fs.read("version")?)?;
                let mut cmd = t.command.join(" ");
                if cmd.chars().count() > 40 {
                    cmd = cmd.chars().take(37).collect::<String>() + "...";
                }
                let what = if cmd.is_empty() { String::new() } else { format!(" under `{cmd}`") };
                let title = format!("kmap calls by call site{what}, Linux {} i386", v.kernel);
                write_file(&path, &kmaps::svg(&t.kmaps, top.min(40), &title))?;
            }
            output(json, &t, || kmaps::render(&t.kmaps, top))?;
            match t.exit_status {
                Some(c) if c != 0 => Err(format!("`{}` exited with status {c}", t.command.join(" "))),
                None if !t.command.is_empty() => Err(format!("`{}` was killed by a signal", t.command.join(" "))),
                _ => Ok(()),
            }
        }
        Command::Workload { name, mib, seconds, interval, dir, out } => {
            let r = workload::run(&fs, &name, mib, seconds, interval, &dir)?;
            if let Some(out) = out {
                let v = Version::parse(&fs.read("version")?)?;
                let title = format!("workload {name} ({mib} MiB) on Linux {} i386: census over time", v.kernel);
                for p in workload::write_reports(&r, &out, &title)? {
                    eprintln!("hmctl: wrote {}", p.display());
                }
            }
            output(json, &r, || workload::render_run(&r))
        }
        Command::Pool { svg } => {
            let p = pool::parse_pool(&fs.read("pool")?)?;
            if let Some(path) = svg {
                let k = pkmap::parse(&fs.read("pkmap")?)?;
                write_file(&path, &draw::slots_svg(&p, &k, "mapping slots: hmkit pool and kernel pkmap, live"))?;
            }
            output(json, &p, || pool::render_pool(&p))
        }
        Command::Explain => {
            let v = explain::explain(&fs)?;
            output(json, &v, || explain::render(&v))
        }
        Command::SvgCheck { file, expect } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let texts = draw::check(&text).map_err(|e| format!("{}: {e}", file.display()))?.join("\n");
            let missing: Vec<&String> = expect.iter().filter(|e| !texts.contains(e.as_str())).collect();
            if !missing.is_empty() {
                return Err(format!("{}: no text {missing:?}", file.display()));
            }
            println!("ok: well-formed SVG, {} text nodes", texts.lines().count());
            Ok(())
        }
        Command::Stats => {
            let st = pool::parse_stats(&fs.read("stats")?)?;
            output(json, &st, || pool::render_stats(&st))
        }
        Command::Stress { threads, seconds, pages } => {
            let r = pool::stress(&fs, threads, seconds, pages)?;
            output(json, &r, || {
                format!(
                    "{} threads, {:.1} s: {} ops ({:.0}/s), {} mismatches, {} errors\n",
                    r.threads, r.seconds, r.ops, r.ops_per_sec, r.mismatches, r.errors
                )
            })?;
            if r.mismatches > 0 || r.errors > 0 {
                return Err(format!("stress found {} mismatches and {} errors", r.mismatches, r.errors));
            }
            Ok(())
        }
        Command::Bench { runs, quick, guard, json_out, svg } => {
            let cpus = threads::cpus();
            let threads: Vec<usize> = if cpus > 1 { vec![1, cpus] } else { vec![1] };
            let how = if quick {
                bench::Plan::Quick
            } else if guard {
                bench::Plan::Guard
            } else {
                bench::Plan::Full
            };
            let v = Version::parse(&fs.read("version")?)?;
            let cmdline = std::fs::read_to_string("/proc/cmdline").map_err(|e| format!("/proc/cmdline: {e}"))?;
            let rows = bench::bench(&fs, runs.max(1), &threads, how)?;
            let arch = crate::layout::Layout::parse(&fs.read("layout")?)?.arch;
            let rep = bench::Report {
                clock: bench::Clock::from_cmdline(&cmdline),
                kernel: v.kernel,
                paging: match (v.pae, arch.as_str()) {
                    (false, _) => "2-level",
                    (true, "arm") => "LPAE",
                    (true, _) => "PAE",
                }
                .into(),
                arch,
                cpus,
                rows,
            };
            if let Some(p) = json_out {
                write_file(&p, &serde_json::to_string_pretty(&rep).map_err(|e| e.to_string())?)?;
            }
            if let Some(p) = svg {
                write_file(&p, &bench::chart(&rep.rows, &chart_title(&rep)))?;
            }
            output(json, &rep, || bench::table(&rep))
        }
        Command::BenchReport { reports, files } => {
            let (mut icount, mut wall) = (None, None);
            for p in &reports {
                let rep = read_report(p)?;
                let slot = match rep.clock {
                    bench::Clock::Icount => &mut icount,
                    bench::Clock::Wall => &mut wall,
                };
                if slot.is_some() {
                    return Err(format!("two {:?} reports: give one measured with --icount and one without", rep.clock));
                }
                *slot = Some(rep);
            }
            let m = bench::merge(icount.as_ref(), wall.as_ref())?;
            let md = bench::merged_markdown(&m);
            files.write(&md, &m, || {
                let rep = wall.as_ref().or(icount.as_ref()).expect("merge needs one");
                bench::chart(&rep.rows, &chart_title(rep))
            })?;
            output(json, &m, || md)
        }
        Command::BenchCompare { reports, markdown } => {
            let mut reps = Vec::new();
            for a in &reports {
                let (label, path) = match a.split_once('=') {
                    Some((l, p)) => (l.to_string(), std::path::PathBuf::from(p)),
                    None => {
                        let p = std::path::PathBuf::from(a);
                        (p.file_stem().map_or(a.clone(), |s| s.to_string_lossy().into_owned()), p)
                    }
                };
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let m: bench::MergedReport = serde_json::from_str(&text)
                    .map_err(|e| format!("{}: not a `hmctl bench-report --json-out` report: {e}", path.display()))?;
                if reps.iter().any(|(l, _)| *l == label) {
                    return Err(format!("two reports labelled '{label}': label them (LABEL=FILE)"));
                }
                reps.push((label, m));
            }
            let md = bench::compare_markdown(&reps)?;
            if let Some(p) = &markdown {
                write_file(p, &md)?;
            }
            let v: Vec<serde_json::Value> = reps.iter().map(|(l, m)| serde_json::json!({ "label": l, "report": m })).collect();
            output(json, &v, || md)
        }
        Command::Matrix { dirs, files, check } => {
            let loaded = dirs.iter().map(|d| matrix::load(d)).collect::<Result<Vec<_>, _>>()?;
            let m = matrix::build(&loaded, matrix::Tolerance::default());
            let md = matrix::markdown(&m);
            files.write(&md, &m, || matrix::svg(&m, "hmkit: address space and memory under each VMSPLIT"))?;
            if check {
                let (lines, all) = matrix::check_lines(&m);
                println!("{}", lines.join("\n"));
                return if all { Ok(()) } else { Err("a what-if prediction was wrong (see the lines above)".into()) };
            }
            output(json, &m, || md)
        }
        Command::BenchCheck { baseline, report, margin } => {
            let (base, now) = (read_report(&baseline)?, read_report(&report)?);
            let checks = bench::check(&base, &now, margin / 100.0)?;
            let bad = checks.iter().filter(|c| c.regressed).count();
            print!("{}", bench::check_table(&checks, margin / 100.0));
            println!("baseline: {}", baseline.display());
            if bad > 0 {
                return Err(format!(
                    "{bad} row(s) take more than {margin}% more instructions per op than the baseline; if that is intended, record a new one with `make bench-baseline` and commit it"
                ));
            }
            println!("ok: no row more than {margin}% above the baseline (`make bench-baseline` records a new one)");
            Ok(())
        }
        Command::Load { file, params } => load(&file, &params),
        Command::Write { file, split } => debugfs::write_stdin(&fs, &file, split.map(|n| n as usize)),
        Command::Cat { file } => {
            print!("{}", fs.read(&file)?);
            Ok(())
        }
    }
}

fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86400.0 => Ok(v),
        _ => Err(format!("'{s}' is not a number of seconds in (0, 86400]")),
    }
}

fn read_report(path: &std::path::Path) -> Result<bench::Report, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not a `hmctl bench --json-out` report: {e}", path.display()))
}

fn chart_title(rep: &bench::Report) -> String {
    format!(
        "hmkit bench on Linux {} ({}), QEMU {}",
        rep.kernel,
        rep.paging,
        match rep.clock {
            bench::Clock::Icount => "icount: instructions per op",
            bench::Clock::Wall => "TCG: wall ns per op",
        }
    )
}

/// The subcommands whose output has no JSON form, by name.
fn without_json(command: &Command) -> Option<&'static str> {
    match command {
        Command::BenchCheck { .. } => Some("bench-check"),
        Command::SvgCheck { .. } => Some("svg-check"),
        Command::Load { .. } => Some("load"),
        Command::Write { .. } => Some("write"),
        Command::Cat { .. } => Some("cat"),
        _ => None,
    }
}

/// `hmctl load`: one finit_module() call.
fn load(file: &std::path::Path, params: &[String]) -> Result<(), String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let params = std::ffi::CString::new(params.join(" ")).map_err(|_| "a parameter contains a NUL byte".to_string())?;
    match nix::kmod::finit_module(&f, &params, nix::kmod::ModuleInitFlags::empty()) {
        Ok(()) => {
            println!("ok");
            Ok(())
        }
        Err(e) => {
            println!("{e:?}");
            Err(format!("loading {}: {}", file.display(), e.desc()))
        }
    }
}

fn write_file(path: &std::path::Path, content: &str) -> Result<(), String> {
    std::fs::write(path, content).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints `value` as JSON, or the text `render` makes.
fn output<T: serde::Serialize>(json: bool, value: &T, render: impl FnOnce() -> String) -> Result<(), String> {
    if json {
        println!("{}", serde_json::to_string_pretty(value).map_err(|e| e.to_string())?);
    } else {
        print!("{}", render());
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hmctl: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &str) -> Cli {
        Cli::try_parse_from(std::iter::once("hmctl").chain(args.split_whitespace())).unwrap_or_else(|e| panic!("{args}: {e}"))
    }

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn json_goes_before_or_after_the_subcommand() {
        for args in ["--json layout", "layout --json", "layout --svg /tmp/l.svg --json", "--json layout --svg /tmp/l.svg"] {
            let cli = parse(args);
            assert!(cli.json, "{args}");
            assert!(matches!(cli.command, Some(Command::Layout { .. })), "{args}");
        }
        let cli = parse("layout");
        assert!(!cli.json);
        let cli = parse("--json");
        assert!(cli.json && cli.command.is_none(), "the default report, as JSON");
        assert!(Cli::try_parse_from(["hmctl", "layout", "--json", "--json"]).is_err());
    }

    #[test]
    fn every_json_use_in_scripts_still_parses() {
        // selftests/hmkit/*.sh and the Makefile's bench target.
        for args in [
            "stress --threads 4 --seconds 4 --pages 700 --json",
            "zones --json",
            "layout --json",
            "explain --json",
            "pool --json",
            "stats --json",
            "version --json",
            "report --json",
            "pkmap --json",
            "census --json",
            "whatif --json",
            "watch --count 2 --json",
            "workload anon --mib 32 --seconds 5 --json",
        ] {
            assert!(parse(args).json, "{args}");
        }
        let cli = parse("stress --threads 4 --seconds 4 --pages 700 --json");
        assert!(matches!(cli.command, Some(Command::Stress { threads: 4, pages: 700, .. })));
        let cli = parse("bench --quick --runs 1 --json --svg /tmp/bench.svg");
        assert!(cli.json);
        assert!(matches!(cli.command, Some(Command::Bench { runs: 1, quick: true, guard: false, json_out: None, svg: Some(_) })));
        assert!(matches!(parse("bench --guard --runs 3").command, Some(Command::Bench { guard: true, quick: false, .. })));
        assert!(Cli::try_parse_from(["hmctl", "bench", "--guard", "--quick"]).is_err());
        let cli = parse("bench-report /out/a.json /out/b.json --markdown r.md --json-out r.json --svg r.svg");
        assert!(matches!(cli.command, Some(Command::BenchReport { ref reports, .. }) if reports.len() == 2));
        assert!(Cli::try_parse_from(["hmctl", "bench-report"]).is_err());
        let cli = parse("bench-compare bench=r/bench.json r/arm-bench.json --markdown c.md");
        assert!(matches!(cli.command, Some(Command::BenchCompare { ref reports, .. }) if reports.len() == 2));
        assert!(Cli::try_parse_from(["hmctl", "bench-compare"]).is_err());
        assert!(matches!(parse("bench-check b.json n.json --margin 5").command, Some(Command::BenchCheck { margin, .. }) if margin == 5.0));
        let cli = parse("bench --runs 5 --json-out /out/x.json --svg /out/x.svg");
        assert!(!cli.json, "--json-out is its own option");
        match cli.command {
            Some(Command::Bench { json_out: Some(p), .. }) => assert_eq!(p, std::path::PathBuf::from("/out/x.json")),
            _ => panic!("bench --json-out"),
        }
    }

    #[test]
    fn json_is_refused_where_there_is_none() {
        for args in ["cat version --json", "--json write control", "svg-check /tmp/x.svg --json", "load /x.ko --json"] {
            let err = run(parse(args)).unwrap_err();
            assert!(err.starts_with("--json does not apply"), "{args}: {err}");
        }
    }
}
