// SPDX-License-Identifier: GPL-2.0
//! hmctl: the userspace side of hmkit. Reads hmkit's debugfs files and the
//! kernel's own /proc files, and presents them as text or JSON.

mod debugfs;
mod meminfo;
mod report;

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
        Command::Cat { file } => {
            print!("{}", fs.read(&file)?);
            Ok(())
        }
    }
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
