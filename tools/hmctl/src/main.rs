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
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// One-screen state of the running kernel and hmkit (the default)
    Report {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// hmkit and kernel version, paging mode, online CPUs
    Version {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// The kernel's virtual address space, drawn top to bottom
    Layout {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Also draw it, beside physical memory and its zones, as SVG into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
    },
    /// Node 0's zones: where lowmem ends and highmem starts, sizes, free pages
    Zones {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// The kernel's own pkmap (kmap()) slots that map a page right now
    Pkmap {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// hmkit's own mapping pool: window, slot counts, mapped slots
    Pool {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Also draw the pool's and the kernel pkmap's slots as SVG into FILE
        #[arg(long, value_name = "FILE")]
        svg: Option<std::path::PathBuf>,
    },
    /// Check what five widely read (Chinese) articles on highmem claim against this kernel:
    /// each claim, its source, the live value and a verdict (holds/differs)
    Explain {
        /// Print JSON (a list of objects) instead of text
        #[arg(long)]
        json: bool,
    },
    /// Check that FILE is well-formed SVG and that its text has every EXPECT
    SvgCheck {
        file: std::path::PathBuf,
        #[arg(long)]
        expect: Vec<String>,
    },
    /// The pool's counters: maps, hits, misses, flushes, waits, ...
    Stats {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
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
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
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
    /// thread and with one thread per CPU; medians of several runs
    Bench {
        /// Runs per mechanism and thread count (the median is reported)
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// A short run with few iterations (for tests)
        #[arg(long)]
        quick: bool,
        /// Print JSON (a list of rows) instead of the table
        #[arg(long)]
        json: bool,
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
    match cli.command.unwrap_or(Command::Report { json: false }) {
        Command::Report { json } => report::report(&fs, json),
        Command::Version { json } => report::version(&fs, json),
        Command::Layout { json, svg } => {
            let l = layout::Layout::parse(&fs.read("layout")?)?;
            if let Some(path) = svg {
                let z = zones::parse(&fs.read("zones")?)?;
                let v = Version::parse(&fs.read("version")?)?;
                let title = format!("Linux {} i386 ({} paging): virtual and physical memory, live", v.kernel, l.paging);
                write_file(&path, &draw::layout_svg(&l, &z, &title))?;
            }
            output(json, &l, || layout::draw(&l))
        }
        Command::Zones { json } => {
            let z = zones::parse(&fs.read("zones")?)?;
            output(json, &z, || zones::render(&z, 4096))
        }
        Command::Pkmap { json } => {
            let p = pkmap::parse(&fs.read("pkmap")?)?;
            output(json, &p, || pkmap::render(&p))
        }
        Command::Pool { json, svg } => {
            let p = pool::parse_pool(&fs.read("pool")?)?;
            if let Some(path) = svg {
                let k = pkmap::parse(&fs.read("pkmap")?)?;
                write_file(&path, &draw::slots_svg(&p, &k, "mapping slots: hmkit pool and kernel pkmap, live"))?;
            }
            output(json, &p, || pool::render_pool(&p))
        }
        Command::Explain { json } => {
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
        Command::Stats { json } => {
            let st = pool::parse_stats(&fs.read("stats")?)?;
            output(json, &st, || pool::render_stats(&st))
        }
        Command::Stress { threads, seconds, pages, json } => {
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
        Command::Bench { runs, quick, json, json_out, svg } => {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            let threads: Vec<usize> = if cpus > 1 { vec![1, cpus] } else { vec![1] };
            let rows = bench::bench(&fs, runs.max(1), &threads, quick)?;
            let text = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
            if let Some(p) = json_out {
                std::fs::write(&p, &text).map_err(|e| format!("{}: {e}", p.display()))?;
            }
            if let Some(p) = svg {
                let v = Version::parse(&fs.read("version")?)?;
                let title = format!("hmkit bench on Linux {} ({}), QEMU TCG", v.kernel, if v.pae { "PAE" } else { "2-level" });
                std::fs::write(&p, bench::chart(&rows, &title)).map_err(|e| format!("{}: {e}", p.display()))?;
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
