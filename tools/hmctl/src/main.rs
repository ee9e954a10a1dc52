// SPDX-License-Identifier: GPL-2.0
//! hmctl: the userspace side of hmkit. Reads hmkit's debugfs files and the
//! kernel's own /proc files, and presents them as text or JSON.

mod debugfs;
mod layout;
mod meminfo;
mod pkmap;
mod pool;
mod report;
mod zones;

use clap::{Parser, Subcommand};
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
        Command::Layout { json } => {
            let l = layout::Layout::parse(&fs.read("layout")?)?;
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
        Command::Pool { json } => {
            let p = pool::parse_pool(&fs.read("pool")?)?;
            output(json, &p, || pool::render_pool(&p))
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
