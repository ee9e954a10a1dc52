// SPDX-License-Identifier: GPL-2.0
//! `hmctl pkmap`: the kernel's own pkmap area, from hmkit's `pkmap`.

use crate::debugfs::{number, table, value_number};
use serde::Serialize;

#[derive(Debug, Serialize, PartialEq)]
pub struct Slot {
    pub slot: u64,
    pub vaddr: u64,
    pub pfn: u64,
}

#[derive(Debug, Serialize)]
pub struct Pkmap {
    pub pkmap_base: u64,
    pub last_pkmap: u64,
    pub mapped: u64,
    pub slots: Vec<Slot>,
}

pub fn parse(text: &str) -> Result<Pkmap, String> {
    let slots = table(text, &["slot", "vaddr", "pfn"])?
        .into_iter()
        .map(|r| Ok(Slot { slot: number(r[0])?, vaddr: number(r[1])?, pfn: number(r[2])? }))
        .collect::<Result<Vec<_>, String>>()?;
    let p = Pkmap {
        pkmap_base: value_number(text, "pkmap_base")?,
        last_pkmap: value_number(text, "last_pkmap")?,
        mapped: value_number(text, "mapped")?,
        slots,
    };
    if p.mapped != p.slots.len() as u64 {
        return Err(format!("pkmap says {} mapped but lists {}", p.mapped, p.slots.len()));
    }
    Ok(p)
}

pub fn render(p: &Pkmap) -> String {
    let mut s = format!(
        "kernel pkmap at {:#010x}: {} of {} slots mapped (in use, or released and not yet flushed)\n",
        p.pkmap_base, p.mapped, p.last_pkmap
    );
    if !p.slots.is_empty() {
        s.push_str(&format!("{:>5}  {:<12} {:>10}  {}\n", "slot", "vaddr", "pfn", "phys"));
    }
    for sl in &p.slots {
        s.push_str(&format!("{:>5}  {:#010x}   {:>10}  {:#x}\n", sl.slot, sl.vaddr, sl.pfn, sl.pfn << 12));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_cross_checks_the_count() {
        let t = "pkmap_base: 0xff400000\nlast_pkmap: 1024\nmapped: 1\n\nslot vaddr        pfn\n   7 0xff407000       593920\n";
        let p = parse(t).unwrap();
        assert_eq!(p.slots, vec![Slot { slot: 7, vaddr: 0xff40_7000, pfn: 593920 }]);
        assert!(render(&p).contains("1 of 1024 slots"));
        assert!(parse(&t.replace("mapped: 1", "mapped: 2")).unwrap_err().contains("lists 1"));
    }
}
