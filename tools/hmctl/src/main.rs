// SPDX-License-Identifier: GPL-2.0
//! hmctl: the userspace side of hmkit. Reads hmkit's debugfs files and the
//! kernel's own /proc files, and presents them as text or JSON.

mod bench;
mod debugfs;
mod draw;
mod explain;
mod layout;
mod meminfo;
mod pkmap;
mod pool;
mod report;
mod threads;
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
    /// Benchmark the pool against kmap, kmap_local, kmap_atomic, vmap and
    /// vm_map_ram: map, touch one word, unmap, on highmem pages, with one
    /// thread and with one thread per CPU; medians of several runs; with
    /// --json, a list of rows instead of the table
    Bench {
        /// Runs per mechanism and thread count (the median is reported)
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// A short run with few iterations (for tests)
        #[arg(long)]
        quick: bool,
        /// Also write the rows as JSON to this file
        #[arg(long)]
        json_out: Option<std::path::PathBuf>,
        /// Also write a bar chart (SVG) to this file
        #[arg(long)]
        svg: Option<std::path::PathBuf>,
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
        Command::Bench { runs, quick, json_out, svg } => {
            let cpus = threads::cpus();
            let threads: Vec<usize> = if cpus > 1 { vec![1, cpus] } else { vec![1] };
            let rows = bench::bench(&fs, runs.max(1), &threads, quick)?;
            let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
            if let Some(p) = json_out {
                write_file(&p, &text)?;
            }
            if let Some(p) = svg {
                let v = Version::parse(&fs.read("version")?)?;
                let title = format!("hmkit bench on Linux {} ({}), QEMU TCG", v.kernel, if v.pae { "PAE" } else { "2-level" });
                write_file(&p, &bench::chart(&rows, &title))?;
            }
            output(json, &rows, || bench::table(&rows))
        }
        Command::Load { file, params } => load(&file, &params),
        Command::Write { file, split } => debugfs::write_stdin(&fs, &file, split.map(|n| n as usize)),
        Command::Cat { file } => {
            print!("{}", fs.read(&file)?);
            Ok(())
        }
    }
}

/// The subcommands whose output has no JSON form, by name.
fn without_json(command: &Command) -> Option<&'static str> {
    match command {
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
        ] {
            assert!(parse(args).json, "{args}");
        }
        let cli = parse("stress --threads 4 --seconds 4 --pages 700 --json");
        assert!(matches!(cli.command, Some(Command::Stress { threads: 4, pages: 700, .. })));
        let cli = parse("bench --quick --runs 1 --json --svg /tmp/bench.svg");
        assert!(cli.json);
        assert!(matches!(cli.command, Some(Command::Bench { runs: 1, quick: true, json_out: None, svg: Some(_) })));
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
