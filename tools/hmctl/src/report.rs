// SPDX-License-Identifier: GPL-2.0
//! `hmctl report` and `hmctl version`.

use crate::debugfs::{Debugfs, Version};
use crate::layout::{self, human, Layout};
use crate::meminfo::MemInfo;
use crate::{pkmap, zones};
use serde::Serialize;

#[derive(Serialize)]
struct Report {
    version: Version,
    cpus_online: String,
    meminfo: MemInfo,
    zones: Vec<zones::Zone>,
    layout: Layout,
    pkmap: pkmap::Pkmap,
}

pub fn version(fs: &Debugfs, json: bool) -> Result<(), String> {
    let v = Version::parse(&fs.read("version")?)?;
    crate::output(json, &v, || {
        format!(
            "hmkit {} on Linux {} ({} paging), {} CPUs online\n",
            v.hmkit,
            v.kernel,
            if v.pae { "PAE 3-level" } else { "2-level" },
            v.cpus_online
        )
    })
}

/// The state of the running kernel on one screen: versions, memory, zones,
/// the kernel's pkmap use and the address-space drawing.
pub fn report(fs: &Debugfs, json: bool) -> Result<(), String> {
    let r = Report {
        version: Version::parse(&fs.read("version")?)?,
        cpus_online: std::fs::read_to_string("/sys/devices/system/cpu/online")
            .map_err(|e| format!("/sys/devices/system/cpu/online: {e}"))?
            .trim()
            .to_string(),
        meminfo: MemInfo::read()?,
        zones: zones::parse(&fs.read("zones")?)?,
        layout: Layout::parse(&fs.read("layout")?)?,
        pkmap: pkmap::parse(&fs.read("pkmap")?)?,
    };
    crate::output(json, &r, || {
        let m = &r.meminfo;
        let kb = |k: u64| human(k * 1024);
        let mut s = format!("hmkit {} on Linux {}\n", r.version.hmkit, r.version.kernel);
        s += &format!(
            "  paging      {}\n",
            if r.version.pae { "PAE (3-level, 64-bit PTEs)" } else { "2-level (32-bit PTEs)" }
        );
        s += &format!("  cpus online {}\n", r.cpus_online);
        s += &format!(
            "  memory      {} total = {} low (direct-mapped) + {} high\n",
            kb(m.mem_total_kb),
            kb(m.low_total_kb),
            kb(m.high_total_kb)
        );
        s += &format!("  free        {} low, {} high\n", kb(m.low_free_kb), kb(m.high_free_kb));
        s += &format!(
            "  pkmap       {} of {} kmap() slots mapped\n",
            r.pkmap.mapped, r.pkmap.last_pkmap
        );
        s += &format!("  debugfs     {}\n\n", fs.dir().display());
        s += &zones::render(&r.zones, r.layout.page_size);
        s += "\n";
        s += &layout::draw(&r.layout);
        s
    })
}
