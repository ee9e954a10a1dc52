// SPDX-License-Identifier: GPL-2.0
//! The kernel's /proc/meminfo, in the fields hmkit cares about.

use crate::debugfs::key_values;
use serde::Serialize;
use std::collections::HashMap;

/// Memory totals in kB, as /proc/meminfo prints them.
#[derive(Debug, Serialize, PartialEq, Clone)]
pub struct MemInfo {
    pub mem_total_kb: u64,
    pub mem_free_kb: u64,
    pub high_total_kb: u64,
    pub high_free_kb: u64,
    pub low_total_kb: u64,
    pub low_free_kb: u64,
    pub vmalloc_total_kb: u64,
}

impl MemInfo {
    pub fn read() -> Result<Self, String> {
        let text = std::fs::read_to_string("/proc/meminfo").map_err(|e| format!("/proc/meminfo: {e}"))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let fields: HashMap<&str, u64> =
            key_values(text).filter_map(|(k, v)| Some((k, v.trim_end_matches("kB").trim().parse().ok()?))).collect();
        let get = |k: &str| {
            fields.get(k).copied().ok_or_else(|| {
                format!("/proc/meminfo has no {k}: is this a 32-bit kernel with CONFIG_HIGHMEM?")
            })
        };
        Ok(MemInfo {
            mem_total_kb: get("MemTotal")?,
            mem_free_kb: get("MemFree")?,
            high_total_kb: get("HighTotal")?,
            high_free_kb: get("HighFree")?,
            low_total_kb: get("LowTotal")?,
            low_free_kb: get("LowFree")?,
            vmalloc_total_kb: get("VmallocTotal")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "MemTotal:        3106388 kB\nMemFree:         3050000 kB\n\
        HighTotal:       2240392 kB\nHighFree:        2230000 kB\nLowTotal:         865996 kB\n\
        LowFree:          820000 kB\nVmallocTotal:     122880 kB\nHugePages_Total:       0\n";

    #[test]
    fn parses_highmem_fields() {
        let m = MemInfo::parse(SAMPLE).unwrap();
        assert_eq!(m.high_total_kb, 2240392);
        assert_eq!(m.low_total_kb, 865996);
        assert_eq!(m.vmalloc_total_kb, 122880);
        assert_eq!(m.mem_total_kb, m.high_total_kb + m.low_total_kb);
    }

    #[test]
    fn missing_highmem_is_explained() {
        let err = MemInfo::parse("MemTotal: 1 kB\nMemFree: 1 kB\n").unwrap_err();
        assert!(err.contains("CONFIG_HIGHMEM"), "{err}");
    }
}
