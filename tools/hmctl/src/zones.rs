// SPDX-License-Identifier: GPL-2.0
//! `hmctl zones`: node 0's zones, from hmkit's `zones`.

use crate::debugfs::{number, table};
use crate::layout::human;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Zone {
    pub node: u32,
    pub name: String,
    pub start_pfn: u64,
    pub spanned: u64,
    pub present: u64,
    pub managed: u64,
    pub free: u64,
    pub highmem: bool,
}

const COLUMNS: [&str; 8] = ["node", "zone", "start_pfn", "spanned", "present", "managed", "free", "highmem"];

pub fn parse(text: &str) -> Result<Vec<Zone>, String> {
    table(text, &COLUMNS)?
        .into_iter()
        .filter(|r| r[0] != "total")
        .map(|r| {
            Ok(Zone {
                node: number(r[0])? as u32,
                name: r[1].to_string(),
                start_pfn: number(r[2])?,
                spanned: number(r[3])?,
                present: number(r[4])?,
                managed: number(r[5])?,
                free: number(r[6])?,
                highmem: number(r[7])? != 0,
            })
        })
        .collect()
}

pub fn render(zones: &[Zone], page_size: u64) -> String {
    let mut s = format!(
        "{:<9} {:>10} {:>10} {:>12} {:>12} {:>12}  {}\n",
        "zone", "start_pfn", "end_pfn", "present", "managed", "free", "kind"
    );
    for z in zones {
        s.push_str(&format!(
            "{:<9} {:>10} {:>10} {:>12} {:>12} {:>12}  {}\n",
            z.name,
            z.start_pfn,
            z.start_pfn + z.spanned,
            human(z.present * page_size),
            human(z.managed * page_size),
            human(z.free * page_size),
            if z.spanned == 0 {
                "empty"
            } else if z.highmem {
                "highmem: no permanent kernel mapping"
            } else {
                "lowmem: direct-mapped"
            }
        ));
    }
    let (low, high): (Vec<&Zone>, Vec<&Zone>) = zones.iter().partition(|z| !z.highmem);
    let sum = |v: &[&Zone]| v.iter().map(|z| z.managed).sum::<u64>() * page_size;
    s.push_str(&format!("lowmem managed {}, highmem managed {}\n", human(sum(&low)), human(sum(&high))));
    s
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub const SAMPLE: &str = "node zone      start_pfn    spanned    present    managed       free highmem\n\
0    DMA              1       4095       3998       3840       3500       0\n\
0    Normal        4096     221182     221182     215000     200000       0\n\
0    HighMem     225278     561154     561154     561154     559000       1\n\
0    Movable          0          0          0          0          0       0\n\
total -          -          786431     786334     779994     762500       -\n";

    #[test]
    fn parses_zones_without_the_total_row() {
        let z = parse(SAMPLE).unwrap();
        assert_eq!(z.len(), 4);
        assert_eq!(z[2], Zone { node: 0, name: "HighMem".into(), start_pfn: 225278, spanned: 561154, present: 561154, managed: 561154, free: 559000, highmem: true });
        let text = render(&z, 4096);
        assert!(text.contains("highmem managed 2.1 GiB"), "{text}");
    }

    #[test]
    fn refuses_a_changed_format() {
        assert!(parse(&SAMPLE.replace("highmem\n", "\n")).is_err());
        assert!(parse(&SAMPLE.replace("3998", "lots")).is_err());
    }
}
