// SPDX-License-Identifier: GPL-2.0
//! `hmctl report` and `hmctl version`.

use crate::debugfs::{Debugfs, Version};
use crate::meminfo::MemInfo;
use serde::Serialize;

#[derive(Serialize)]
struct Report {
    version: Version,
    cpus_online: String,
    meminfo: MemInfo,
}

fn mib(kb: u64) -> String {
    format!("{:.1} MiB", kb as f64 / 1024.0)
}

pub fn version(fs: &Debugfs, json: bool) -> Result<(), String> {
    let v = Version::parse(&fs.read("version")?)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
    } else {
        println!(
            "hmkit {} on Linux {} ({} paging), {} CPUs online",
            v.hmkit,
            v.kernel,
            if v.pae { "PAE 3-level" } else { "2-level" },
            v.cpus_online
        );
    }
    Ok(())
}

pub fn report(fs: &Debugfs, json: bool) -> Result<(), String> {
    let r = Report {
        version: Version::parse(&fs.read("version")?)?,
        cpus_online: std::fs::read_to_string("/sys/devices/system/cpu/online")
            .map_err(|e| format!("/sys/devices/system/cpu/online: {e}"))?
            .trim()
            .to_string(),
        meminfo: MemInfo::read()?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?);
        return Ok(());
    }
    let m = &r.meminfo;
    println!("hmkit {} on Linux {}", r.version.hmkit, r.version.kernel);
    println!("  paging      {}", if r.version.pae { "PAE (3-level, 64-bit PTEs)" } else { "2-level (32-bit PTEs)" });
    println!("  cpus online {}", r.cpus_online);
    println!("  memory      {} total = {} low (direct-mapped) + {} high", mib(m.mem_total_kb), mib(m.low_total_kb), mib(m.high_total_kb));
    println!("  free        {} low, {} high", mib(m.low_free_kb), mib(m.high_free_kb));
    println!("  vmalloc     {} of kernel virtual space", mib(m.vmalloc_total_kb));
    println!("  debugfs     {}", fs.dir().display());
    Ok(())
}
