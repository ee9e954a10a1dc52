// SPDX-License-Identifier: GPL-2.0
//! `hmctl census` and `hmctl whatif`: what every page of every zone is used
//! for, from hmkit's `census` file, and what that use would need under each
//! VMSPLIT choice of the i386 kernel.

use crate::debugfs::{number, value_number};
use crate::draw::{canvas, text};
use crate::layout::Layout;
use crate::zones::Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use svg::node::element::Rectangle;

/// The classes, in the module's column order (src/logic/census.rs).
pub const CLASSES: [&str; 14] = [
    "free",
    "pcp",
    "anon",
    "file_clean",
    "file_dirty",
    "file_writeback",
    "shmem",
    "pagetable",
    "slab",
    "kstack",
    "vmalloc",
    "zsmalloc",
    "reserved",
    "other",
];

/// One zone's row (or the total row), in pages.
#[derive(Debug, Serialize, Deserialize, PartialEq, Clone, Default)]
pub struct ZoneCensus {
    pub zone: String,
    pub spanned: u64,
    /// Pages per class.
    pub classes: BTreeMap<String, u64>,
    /// Pages mapped in the kernel's pkmap (each also in a class).
    pub pkmap: u64,
}

impl ZoneCensus {
    pub fn get(&self, class: &str) -> u64 {
        self.classes.get(class).copied().unwrap_or(0)
    }

    /// Pages in use: all but free and pcp.
    pub fn used(&self) -> u64 {
        self.spanned.saturating_sub(self.get("free") + self.get("pcp"))
    }
}

/// The whole `census` file.
#[derive(Debug, Serialize, Deserialize, PartialEq, Clone)]
pub struct Census {
    pub page_size: u64,
    /// How long the module's walk took, in guest ns.
    pub walk_ns: u64,
    pub task_stack_frames: u64,
    pub vmalloc_mapped_frames: u64,
    pub zones: Vec<ZoneCensus>,
    pub total: ZoneCensus,
}

impl Census {
    pub fn parse(text: &str) -> Result<Self, String> {
        let head: String = text.lines().take_while(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n");
        let mut rows = text.lines().skip_while(|l| !l.starts_with("zone "));
        let header: Vec<&str> = rows.next().ok_or("census: no table")?.split_whitespace().collect();
        let mut want = vec!["zone", "spanned"];
        want.extend(CLASSES);
        want.push("pkmap");
        if header != want {
            return Err(format!("census: unexpected header {header:?}, want {want:?}"));
        }
        let mut zones = Vec::new();
        for line in rows.take_while(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != want.len() {
                return Err(format!("census: row {f:?} does not have {} columns", want.len()));
            }
            let n = |i: usize| number(f[i]);
            let classes = CLASSES.iter().enumerate().map(|(i, c)| Ok((c.to_string(), n(2 + i)?))).collect::<Result<_, String>>()?;
            zones.push(ZoneCensus { zone: f[0].into(), spanned: n(1)?, classes, pkmap: n(want.len() - 1)? });
        }
        let total = zones.pop().filter(|z| z.zone == "total").ok_or("census: no total row")?;
        let c = Census {
            page_size: value_number(&head, "page_size")?,
            walk_ns: value_number(&head, "walk_ns")?,
            task_stack_frames: value_number(&head, "task_stack_frames")?,
            vmalloc_mapped_frames: value_number(&head, "vmalloc_mapped_frames")?,
            zones,
            total,
        };
        for z in c.zones.iter().chain([&c.total]) {
            let sum: u64 = z.classes.values().sum();
            if sum != z.spanned {
                return Err(format!("census: zone {} classes add up to {sum}, not its {} spanned pages", z.zone, z.spanned));
            }
        }
        Ok(c)
    }

    /// Only the zones that have pages.
    pub fn populated(&self) -> impl Iterator<Item = &ZoneCensus> {
        self.zones.iter().filter(|z| z.spanned > 0)
    }

    pub fn mib(&self, pages: u64) -> f64 {
        (pages * self.page_size) as f64 / (1 << 20) as f64
    }

    /// Each class at its peak over `samples`, zone by zone: the most pages
    /// a class held in a zone at any sample (free and pcp: the fewest). A
    /// workload's classes peak at different moments (slab grows while the
    /// page cache is dropped), so the peaks of two runs of it compare class
    /// by class where their busiest samples, caught at different phases,
    /// do not. Its rows need not add up to their spanned pages, and its
    /// total row is the total's own peak, not the sum of the zones' peaks.
    /// None without samples; an error when the samples' zones differ.
    pub fn peak<'a>(samples: impl IntoIterator<Item = &'a Census>) -> Result<Option<Census>, String> {
        let mut it = samples.into_iter();
        let Some(first) = it.next() else { return Ok(None) };
        let mut p = first.clone();
        for s in it {
            let names = |c: &Census| c.zones.iter().map(|z| z.zone.clone()).collect::<Vec<_>>();
            if names(s) != names(&p) || s.page_size != p.page_size {
                return Err(format!("census peak: samples of different zones ({:?} and {:?})", names(&p), names(s)));
            }
            for (pz, sz) in p.zones.iter_mut().chain([&mut p.total]).zip(s.zones.iter().chain([&s.total])) {
                for (class, v) in &sz.classes {
                    let e = pz.classes.entry(class.clone()).or_insert(*v);
                    *e = if matches!(class.as_str(), "free" | "pcp") { (*e).min(*v) } else { (*e).max(*v) };
                }
                pz.pkmap = pz.pkmap.max(sz.pkmap);
            }
            p.walk_ns = p.walk_ns.max(s.walk_ns);
            p.task_stack_frames = p.task_stack_frames.max(s.task_stack_frames);
            p.vmalloc_mapped_frames = p.vmalloc_mapped_frames.max(s.vmalloc_mapped_frames);
        }
        Ok(Some(p))
    }

    /// Highmem zones' rows summed, and the others' (lowmem).
    pub fn low_high(&self) -> (ZoneCensus, ZoneCensus) {
        let mut low = ZoneCensus { zone: "lowmem".into(), ..Default::default() };
        let mut high = ZoneCensus { zone: "highmem".into(), ..Default::default() };
        for z in &self.zones {
            let t = if z.zone == "HighMem" { &mut high } else { &mut low };
            t.spanned += z.spanned;
            t.pkmap += z.pkmap;
            for (k, v) in &z.classes {
                *t.classes.entry(k.clone()).or_default() += v;
            }
        }
        (low, high)
    }
}

/// The census as a table in MiB: a row per class, a column per zone.
pub fn render(c: &Census) -> String {
    let zones: Vec<&ZoneCensus> = c.populated().chain([&c.total]).collect();
    let mut s = format!("{:<15}", "MiB");
    for z in &zones {
        s += &format!(" {:>10}", z.zone);
    }
    s += "\n";
    let line = |s: &mut String, name: &str, f: &dyn Fn(&ZoneCensus) -> u64| {
        *s += &format!("{name:<15}");
        for z in &zones {
            *s += &format!(" {:>10.1}", c.mib(f(z)));
        }
        *s += "\n";
    };
    for class in CLASSES {
        line(&mut s, class, &|z| z.get(class));
    }
    line(&mut s, "= spanned", &|z| z.spanned);
    line(&mut s, "(pkmap-mapped)", &|z| z.pkmap);
    s += &format!(
        "walk: {:.1} ms of guest time; {} task-stack frames, {} frames mapped in the vmalloc area\n",
        c.walk_ns as f64 / 1e6,
        c.task_stack_frames,
        c.vmalloc_mapped_frames
    );
    s
}

/// A colour per class, for charts.
pub fn colour(class: &str) -> &'static str {
    match class {
        "free" => "#eeeeee",
        "pcp" => "#cccccc",
        "anon" => "#e6550d",
        "file_clean" => "#3182bd",
        "file_dirty" => "#6baed6",
        "file_writeback" => "#9ecae1",
        "shmem" => "#31a354",
        "pagetable" => "#756bb1",
        "slab" => "#d62728",
        "kstack" => "#8c564b",
        "vmalloc" => "#bcbd22",
        "zsmalloc" => "#17becf",
        "reserved" => "#636363",
        _ => "#f7b6d2",
    }
}

/// One bar per populated zone, as long as the zone, split by class.
pub fn svg(c: &Census, title: &str) -> String {
    let (w, left, bar_w) = (1000.0, 150.0, 820.0);
    let zones: Vec<&ZoneCensus> = c.populated().collect();
    let h = 90.0 + zones.len() as f64 * 60.0 + 40.0 + 22.0 * CLASSES.len().div_ceil(4) as f64;
    let longest = zones.iter().map(|z| z.spanned).max().unwrap_or(1).max(1) as f64;
    let mut doc = canvas(w, h, title);
    let mut y = 60.0;
    for z in &zones {
        doc = doc.add(text(format!("{} ({:.0} MiB)", z.zone, c.mib(z.spanned)), 10.0, y + 24.0));
        let mut x = left;
        for class in CLASSES {
            let width = bar_w * z.get(class) as f64 / longest;
            if width > 0.0 {
                doc = doc.add(
                    Rectangle::new()
                        .set("x", x)
                        .set("y", y + 8.0)
                        .set("width", width)
                        .set("height", 30.0)
                        .set("fill", colour(class))
                        .set("stroke", "#333")
                        .set("stroke-width", 0.3),
                );
            }
            x += width;
        }
        let used = c.mib(z.used());
        doc = doc.add(text(format!("used {used:.0} MiB"), left, y + 52.0).set("font-size", 11));
        y += 60.0;
    }
    y += 20.0;
    for (i, class) in CLASSES.iter().enumerate() {
        let (cx, cy) = (left + (i % 4) as f64 * 205.0, y + (i / 4) as f64 * 22.0);
        doc = doc
            .add(Rectangle::new().set("x", cx).set("y", cy - 11.0).set("width", 14).set("height", 14).set("fill", colour(class)).set("stroke", "#333"))
            .add(text(format!("{class} {:.1} MiB", c.mib(c.total.get(class))), cx + 20.0, cy));
    }
    doc.to_string()
}

/// The VMSPLIT choices of arch/x86/Kconfig and their PAGE_OFFSET.
pub const SPLITS: [(&str, u64); 5] = [
    ("VMSPLIT_3G", 0xC000_0000),
    ("VMSPLIT_3G_OPT", 0xB000_0000),
    ("VMSPLIT_2G", 0x8000_0000),
    ("VMSPLIT_2G_OPT", 0x7800_0000),
    ("VMSPLIT_1G", 0x4000_0000),
];

/// The VMSPLIT choices of arch/arm/Kconfig (no 2G_OPT there; 3G_OPT needs
/// !ARM_LPAE).
pub const ARM_SPLITS: [(&str, u64); 4] = [
    ("VMSPLIT_3G", 0xC000_0000),
    ("VMSPLIT_3G_OPT", 0xB000_0000),
    ("VMSPLIT_2G", 0x8000_0000),
    ("VMSPLIT_1G", 0x4000_0000),
];

/// The splits of the layout's architecture.
pub fn splits(l: &Layout) -> &'static [(&'static str, u64)] {
    if l.is_arm() {
        &ARM_SPLITS
    } else {
        &SPLITS
    }
}

/// The vmalloc reserve a kernel without highmem would keep below
/// VMALLOC_END by default: x86-32's __VMALLOC_RESERVE (128 MiB); ARM's
/// vmalloc_size (240 MiB) and VMALLOC_OFFSET (8 MiB), arch/arm/mm/mmu.c.
fn default_reserve(l: &Layout) -> u64 {
    if l.is_arm() {
        248 << 20
    } else {
        128 << 20
    }
}

/// Classes the kernel can only use from lowmem (it needs them mapped at
/// all times): slab, kernel stacks, and whatever sits in lowmem now as
/// reserved, page tables (the top levels always; the PTE pages too
/// without CONFIG_HIGHPTE) or other kernel allocations.
pub const LOWMEM_ONLY: [&str; 2] = ["slab", "kstack"];
const LOWMEM_WHERE_THEY_ARE: [&str; 3] = ["reserved", "pagetable", "other"];
/// On ARM, kernel stacks are vmalloc'ed (CONFIG_VMAP_STACK), from pages
/// that may be highmem: only the part in lowmem now needs lowmem.
const ARM_LOWMEM_ONLY: [&str; 1] = ["slab"];
const ARM_LOWMEM_WHERE_THEY_ARE: [&str; 4] = ["reserved", "pagetable", "other", "kstack"];

/// One class in the what-if: where it is now, and whether it needs lowmem.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct WhatIfClass {
    pub class: String,
    pub lowmem_bytes: u64,
    pub highmem_bytes: u64,
    /// "lowmem" (must be mapped: needs lowmem wherever it goes), "highmem-capable"
    /// (can live in highmem), or "as now" (the part in lowmem needs lowmem,
    /// the part in highmem does not).
    pub needs: String,
}

/// The verdict for one VMSPLIT choice.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct WhatIfSplit {
    pub split: String,
    pub page_offset: u64,
    /// Whether this kernel's paging mode allows the split (the _OPT ones need 2-level paging).
    pub available: bool,
    /// Lowmem this split gives on this machine, with CONFIG_HIGHMEM.
    pub lowmem_bytes: u64,
    pub highmem_bytes: u64,
    /// With CONFIG_HIGHMEM: lowmem left after what must be in lowmem (negative: short by that much).
    pub with_highmem_margin_bytes: i64,
    /// Without CONFIG_HIGHMEM: the memory the kernel could use at all (no pkmap area; less holes).
    pub without_highmem_usable_bytes: u64,
    /// Without CONFIG_HIGHMEM: usable memory left after everything in use now but clean page cache.
    pub without_highmem_margin_bytes: i64,
    /// Whether this is the running kernel's split.
    pub running: bool,
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct WhatIf {
    /// An ARM kernel's what-if (ARM's splits and arithmetic).
    #[serde(default)]
    pub arm: bool,
    /// The running kernel has no highmem (all RAM is lowmem already).
    pub no_highmem: bool,
    /// The span of physical memory (to the last frame), holes included.
    pub ram_bytes: u64,
    /// Frames in that span that are no memory (zone spanned - present).
    pub holes_bytes: u64,
    /// Memory in use (all but free, per-CPU free and holes).
    pub used_bytes: u64,
    /// Clean page cache: in use, but it would shrink in a smaller memory.
    pub reclaimable_bytes: u64,
    pub lowmem_needed_bytes: u64,
    /// __VMALLOC_RESERVE as this kernel has it: vmalloc_end - high_memory.
    pub vmalloc_reserve_bytes: u64,
    pub classes: Vec<WhatIfClass>,
    pub splits: Vec<WhatIfSplit>,
}

/// The what-if from a census and the live layout. The top of the address
/// space (fixmap, pkmap, LDT remap) does not depend on the split, so the
/// end of the vmalloc area does not either; lowmem is what lies between
/// PAGE_OFFSET and that end, less the vmalloc reserve, capped by RAM.
/// Without CONFIG_HIGHMEM there is no pkmap, and the vmalloc area ends
/// 2 pages below the LDT remap instead (pgtable_32_areas.h).
pub fn what_if(c: &Census, l: &Layout, zones: &[Zone]) -> Result<WhatIf, String> {
    let ps = c.page_size;
    let (low, high) = c.low_high();
    // The span of physical memory, holes included: what the kernel caps
    // lowmem against (max_pfn: up to the end of the last zone, which is
    // more than the zones span when the first frame is in none). The
    // holes themselves are not memory in use.
    let ram = zones.iter().map(|z| z.start_pfn + z.spanned).max().unwrap_or(0).max(c.total.spanned) * ps;
    // ARM's RAM starts at PHYS_OFFSET (1 GiB on QEMU's virt): the span
    // starts at the first zone's first frame.
    let ram = if l.is_arm() {
        ram - zones.iter().filter(|z| z.spanned > 0).map(|z| z.start_pfn).min().unwrap_or(0) * ps
    } else {
        ram
    };
    let holes = |hm: bool| zones.iter().filter(|z| z.highmem == hm).map(|z| z.spanned.saturating_sub(z.present)).sum::<u64>() * ps;
    let (holes_low, holes_high) = (holes(false), holes(true));
    // The vmalloc reserve (__VMALLOC_RESERVE): what lowmem leaves below
    // VMALLOC_END when RAM exceeds it, so VMALLOC_END - high_memory on a
    // machine with highmem. Without highmem, high_memory is just the end
    // of RAM: then it is the kernel's default, 128 MiB (a vmalloc= boot
    // option is not seen).
    let reserve = if high.spanned == 0 {
        default_reserve(l)
    } else {
        l.vmalloc_end.checked_sub(l.high_memory).ok_or("layout: vmalloc_end below high_memory")?
    };
    let mut classes = Vec::new();
    let mut needed = 0;
    let (only, where_they_are): (&[&str], &[&str]) =
        if l.is_arm() { (&ARM_LOWMEM_ONLY, &ARM_LOWMEM_WHERE_THEY_ARE) } else { (&LOWMEM_ONLY, &LOWMEM_WHERE_THEY_ARE) };
    for class in CLASSES.iter().filter(|c| !matches!(**c, "free" | "pcp")) {
        let (lo, hi) = (low.get(class) * ps, high.get(class) * ps);
        let needs = if only.contains(class) {
            needed += lo + hi;
            "lowmem"
        } else if where_they_are.contains(class) {
            needed += lo;
            "as now"
        } else {
            "highmem-capable"
        };
        classes.push(WhatIfClass { class: class.to_string(), lowmem_bytes: lo, highmem_bytes: hi, needs: needs.into() });
    }
    // Holes are counted as reserved frames; they are not in use.
    let used = ((low.used() + high.used()) * ps).saturating_sub(holes_low + holes_high);
    let needed = needed.saturating_sub(holes_low);
    // Clean page cache would shrink to fit: what a smaller memory must hold is the rest.
    let reclaimable = c.total.get("file_clean") * ps;
    let pae = l.paging.contains("PAE");
    // Without highmem, x86-32's vmalloc area ends 2 pages below the LDT
    // remap instead of below the pkmap; ARM's pkmap is below PAGE_OFFSET,
    // and its VMALLOC_END stays.
    let end_nohigh = if l.is_arm() { l.vmalloc_end } else { l.ldt_base - 2 * l.page_size };
    let arm = l.is_arm();
    let splits = splits(l)
        .iter()
        .map(|&(name, po)| {
            let lowmem = (l.vmalloc_end - po).saturating_sub(reserve).min(ram);
            let usable = (end_nohigh - po).saturating_sub(reserve).min(ram);
            WhatIfSplit {
                split: name.into(),
                page_offset: po,
                // VMSPLIT_3G_OPT and VMSPLIT_2G_OPT depend on !X86_PAE
                // (ARM's 3G_OPT on !ARM_LPAE).
                available: !(pae && name.ends_with("_OPT")),
                lowmem_bytes: lowmem,
                highmem_bytes: ram - lowmem,
                with_highmem_margin_bytes: lowmem as i64 - needed as i64,
                without_highmem_usable_bytes: usable.saturating_sub(holes_low),
                without_highmem_margin_bytes: usable.saturating_sub(holes_low) as i64 - (used - reclaimable.min(used)) as i64,
                running: po == l.page_offset,
            }
        })
        .collect();
    Ok(WhatIf {
        arm,
        no_highmem: high.spanned == 0,
        ram_bytes: ram,
        holes_bytes: holes_low + holes_high,
        used_bytes: used,
        reclaimable_bytes: reclaimable,
        lowmem_needed_bytes: needed,
        vmalloc_reserve_bytes: reserve,
        classes,
        splits,
    })
}

fn mib(b: u64) -> f64 {
    b as f64 / (1 << 20) as f64
}

fn verdict(margin: i64) -> String {
    if margin >= 0 {
        format!("fits, {:.0} MiB to spare", mib(margin as u64))
    } else {
        format!("does NOT fit, short by {:.0} MiB", mib(margin.unsigned_abs()))
    }
}

pub fn render_what_if(w: &WhatIf) -> String {
    let mut s = String::new();
    if w.no_highmem {
        s += "This machine has no highmem: all its RAM is lowmem under the running split already.\n";
    }
    s += &format!(
        "RAM {:.0} MiB (span, {:.1} MiB of it holes), in use {:.0} MiB ({:.0} MiB of it clean page cache); {:.0} MiB must be in lowmem\n\n",
        mib(w.ram_bytes),
        mib(w.holes_bytes),
        mib(w.used_bytes),
        mib(w.reclaimable_bytes),
        mib(w.lowmem_needed_bytes)
    );
    s += &format!("{:<15} {:>10} {:>10}  {}\n", "class (MiB)", "lowmem", "highmem", "needs");
    for c in &w.classes {
        s += &format!("{:<15} {:>10.1} {:>10.1}  {}\n", c.class, mib(c.lowmem_bytes), mib(c.highmem_bytes), c.needs);
    }
    s += &format!(
        "\n{:<16} {:>11} {:>8} {:>8}  {:<36} {}\n",
        "split", "PAGE_OFFSET", "lowmem", "highmem", "with CONFIG_HIGHMEM", "without CONFIG_HIGHMEM (usable MiB)"
    );
    for p in w.splits.iter().filter(|p| !p.available) {
        let dep = if w.arm { "!ARM_LPAE" } else { "!X86_PAE" };
        s += &format!("{:<16} {:>#11x}  n/a: needs 2-level paging (depends on {dep})\n", p.split, p.page_offset);
    }
    for p in w.splits.iter().filter(|p| p.available) {
        s += &format!(
            "{:<16} {:>#11x} {:>8.0} {:>8.0}  {:<36} {:.0}: {}\n",
            format!("{}{}", p.split, if p.running { "*" } else { "" }),
            p.page_offset,
            mib(p.lowmem_bytes),
            mib(p.highmem_bytes),
            verdict(p.with_highmem_margin_bytes),
            mib(p.without_highmem_usable_bytes),
            verdict(p.without_highmem_margin_bytes)
        );
    }
    s += if w.arm {
        "* the running kernel's split. \"must be in lowmem\": slab wherever it is, and the reserved, \
page-table, other and kernel-stack pages that are in lowmem now (ARM vmallocs its kernel stacks). Without \
CONFIG_HIGHMEM, clean page cache is left out of what must fit.\n"
    } else {
        "* the running kernel's split. \"must be in lowmem\": slab and kernel stacks wherever they are, \
and the reserved, page-table and other pages that are in lowmem now. Without CONFIG_HIGHMEM, \
clean page cache is left out of what must fit.\n"
    };
    s
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub const SAMPLE: &str = "page_size: 4096\nwalk_ns: 41234567\ntask_stack_frames: 212\nvmalloc_mapped_frames: 1650\n\n\
zone        spanned       free        pcp       anon file_clean file_dirty file_writeback      shmem  pagetable       slab     kstack    vmalloc   zsmalloc   reserved      other      pkmap\n\
DMA            4095       3000          0          0          0          0              0          0          0          5          0          0          0        990        100          0\n\
Normal       221182     180000        100       1000      10000        100              0        500        200      12000        212        600          0      15000       1470          0\n\
HighMem      561154     499900         50      40000      20000          0              0       1000        100          0          0        100          4          0          0          3\n\
Movable           0          0          0          0          0          0              0          0          0          0          0          0          0          0          0          0\n\
total        786431     682900        150      41000      30000        100              0       1500        300      12005        212        700          4      15990       1570          3\n";

    #[test]
    fn parses_and_checks_the_sums() {
        let c = Census::parse(SAMPLE).unwrap();
        assert_eq!(c.zones.len(), 4);
        assert_eq!(c.populated().count(), 3);
        assert_eq!(c.total.get("anon"), 41000);
        assert_eq!(c.zones[2].pkmap, 3);
        let text = render(&c);
        assert!(text.contains("anon"), "{text}");
        // A row that does not add up is refused.
        let bad = SAMPLE.replace("40000      20000", "40001      20000");
        assert!(Census::parse(&bad).unwrap_err().contains("add up"));
        assert!(Census::parse(&SAMPLE.replace(" pkmap\n", "\n")).is_err());
    }

    #[test]
    fn peaks_each_class_on_its_own() {
        let a = Census::parse(SAMPLE).unwrap();
        // A later sample: the page cache dropped, slab grown, less free.
        let b = Census::parse(
            &SAMPLE
                .replace("180000        100       1000      10000", "170000        100       1000       9000")
                .replace("12000        212", "23000        212")
                .replace("682900        150      41000      30000", "672900        150      41000      29000")
                .replace("12005        212", "23005        212"),
        )
        .unwrap();
        let p = Census::peak([&a, &b]).unwrap().unwrap();
        let normal = &p.zones[1];
        assert_eq!((normal.get("file_clean"), normal.get("slab"), normal.get("free")), (10000, 23000, 170000));
        assert_eq!((p.total.get("file_clean"), p.total.get("slab")), (30000, 23005));
        // Neither sample alone has both peaks.
        assert!(a.zones[1].get("slab") < 23000 && b.zones[1].get("file_clean") < 10000);
        assert_eq!(Census::peak(std::iter::empty()).unwrap(), None);
        let mut other = a.clone();
        other.zones.pop();
        assert!(Census::peak([&a, &other]).unwrap_err().contains("different zones"));
    }

    #[test]
    fn svg_is_well_formed() {
        let c = Census::parse(SAMPLE).unwrap();
        let s = svg(&c, "census");
        let texts = crate::draw::check(&s).unwrap().join("\n");
        assert!(texts.contains("HighMem") && texts.contains("anon"), "{texts}");
    }

    fn layout() -> Layout {
        Layout::parse(crate::layout::tests::SAMPLE).unwrap()
    }

    fn zones() -> Vec<Zone> {
        crate::zones::parse(crate::zones::tests::SAMPLE).unwrap()
    }

    #[test]
    fn what_if_without_highmem_keeps_it_all_in_lowmem() {
        let high = SAMPLE.lines().find(|l| l.starts_with("HighMem")).unwrap();
        let total = SAMPLE.lines().find(|l| l.starts_with("total")).unwrap();
        let text = SAMPLE
            .replace(high, &format!("HighMem{}", " 0".repeat(16)))
            .replace(total, "total 225277 183000 100 1000 10000 100 0 500 200 12005 212 600 0 15990 1570 0");
        let c = Census::parse(&text).unwrap();
        let mut z = zones();
        for zone in z.iter_mut().filter(|z| z.highmem) {
            (zone.start_pfn, zone.spanned, zone.present, zone.managed, zone.free) = (0, 0, 0, 0, 0);
        }
        let mut l = layout();
        // high_memory is the end of RAM, far below MAXMEM.
        l.high_memory = l.page_offset + 225_281 * 4096;
        let w = what_if(&c, &l, &z).unwrap();
        assert!(w.no_highmem);
        assert_eq!(w.vmalloc_reserve_bytes, 128 << 20, "the kernel's default, not VMALLOC_END - high_memory");
        let g3 = &w.splits[0];
        assert_eq!((g3.lowmem_bytes, g3.highmem_bytes), (w.ram_bytes, 0));
        assert!(render_what_if(&w).starts_with("This machine has no highmem"));
    }

    /// The ARM (2-level, VMSPLIT_3G) test kernel's layout and zones on the
    /// virt board with 3 GiB of RAM, from its own files (RAM from 1 GiB).
    fn arm() -> (Layout, Vec<Zone>) {
        let mut l = layout();
        l.arch = "arm".into();
        (l.task_size, l.page_offset, l.high_memory) = (0xbf00_0000, 0xc000_0000, 0xf000_0000);
        (l.vmalloc_start, l.vmalloc_end) = (0xf080_0000, 0xff80_0000);
        (l.pkmap_base, l.pkmap_end, l.last_pkmap) = (0xbfe0_0000, 0xc000_0000, 512);
        (l.ldt_base, l.ldt_end) = (0, 0);
        let z = crate::zones::parse(
            "node zone      start_pfn    spanned    present    managed       free highmem\n\
0    Normal       262144     196608     196608     184867     181923       0\n\
0    HighMem      458752     589823     589823     589823     587362       1\n\
0    Movable           0          0          0          0          0       1\n",
        )
        .unwrap();
        (l, z)
    }

    #[test]
    fn what_if_on_arm_follows_arms_arithmetic() {
        // ARM keeps 248 MiB (240 MiB of vmalloc and the 8 MiB offset) below
        // its fixed VMALLOC_END 0xff800000, has four splits and no
        // 2G_OPT, and its RAM starts at PHYS_OFFSET: 786431 pages, not
        // the 1048575 the last frame number says.
        let (l, z) = arm();
        let w = what_if(&Census::parse(SAMPLE).unwrap(), &l, &z).unwrap();
        assert!(w.arm);
        assert_eq!(w.ram_bytes, 786_431 * 4096);
        assert_eq!(w.vmalloc_reserve_bytes, 248 << 20);
        let got: Vec<(&str, u64)> = w.splits.iter().map(|p| (p.split.as_str(), p.lowmem_bytes >> 20)).collect();
        assert_eq!(got, [("VMSPLIT_3G", 768), ("VMSPLIT_3G_OPT", 1024), ("VMSPLIT_2G", 1792), ("VMSPLIT_1G", 2816)]);
        assert!(w.splits[0].running && w.splits.iter().all(|p| p.available));
        // Kernel stacks are vmalloc'ed on ARM: only the part in lowmem needs it.
        assert_eq!(w.classes.iter().find(|c| c.class == "kstack").unwrap().needs, "as now");
        assert!(render_what_if(&w).contains("VMSPLIT_1G"));
    }

    #[test]
    fn what_if_on_arm_lpae_has_no_3g_opt() {
        let (mut l, z) = arm();
        l.paging = "3-level LPAE".into();
        let w = what_if(&Census::parse(SAMPLE).unwrap(), &l, &z).unwrap();
        let opt = w.splits.iter().find(|p| p.split == "VMSPLIT_3G_OPT").unwrap();
        assert!(!opt.available);
        assert!(render_what_if(&w).contains("depends on !ARM_LPAE"));
    }

    #[test]
    fn what_if_pins_the_kernels_arithmetic() {
        // pgtable_32_areas.h and init_32.c on the sample layout (2-level,
        // VMALLOC_END 0xff3fe000, LDT at 0xff800000, 128 MiB reserve):
        // MAXMEM = VMALLOC_END - PAGE_OFFSET - __VMALLOC_RESERVE.
        let c = Census::parse(SAMPLE).unwrap();
        let w = what_if(&c, &layout(), &zones()).unwrap();
        assert_eq!(w.vmalloc_reserve_bytes, 128 << 20);
        let g3 = &w.splits[0];
        assert_eq!((g3.split.as_str(), g3.lowmem_bytes), ("VMSPLIT_3G", 0x373f_e000));
        // Without HIGHMEM, VMALLOC_END = LDT_BASE - 2 pages = 0xff7fe000, less the
        // DMA zone's 97-page hole.
        assert_eq!(g3.without_highmem_usable_bytes, 0x377f_e000 - 97 * 4096);
        assert_eq!(w.splits[4].lowmem_bytes, 0xb73f_e000);
        assert_eq!(w.holes_bytes, 97 * 4096);
        assert!(w.splits.iter().all(|s| s.available), "2-level paging allows every split");
        let mut pae = layout();
        pae.paging = "3-level PAE".into();
        let w = what_if(&c, &pae, &zones()).unwrap();
        let na: Vec<&str> = w.splits.iter().filter(|s| !s.available).map(|s| s.split.as_str()).collect();
        assert_eq!(na, ["VMSPLIT_3G_OPT", "VMSPLIT_2G_OPT"]);
        assert!(render_what_if(&w).contains("n/a"));
    }

    #[test]
    fn what_if_follows_from_the_layout() {
        let c = Census::parse(SAMPLE).unwrap();
        let l = layout();
        let w = what_if(&c, &l, &zones()).unwrap();
        let run = w.splits.iter().find(|s| s.running).expect("the running split is listed");
        // Under the running split, lowmem is exactly the live lowmem.
        assert_eq!(run.lowmem_bytes, l.high_memory - l.page_offset);
        // Each step down of PAGE_OFFSET gives that much more lowmem, up to RAM.
        let three = &w.splits[0];
        let two = &w.splits[2];
        assert_eq!(two.lowmem_bytes - three.lowmem_bytes, 0x4000_0000);
        assert!(w.splits.iter().all(|s| s.lowmem_bytes + s.highmem_bytes == w.ram_bytes));
        assert!(w.splits.iter().all(|s| s.lowmem_bytes <= w.ram_bytes));
        // slab and kstack wherever they are, the rest of the lowmem-only classes where they are now.
        let ps = 4096;
        // (less the lowmem holes, which are counted as reserved frames)
        assert_eq!(w.lowmem_needed_bytes, (12005 + 212 + 15990 + 200 + 1570 - 97) * ps);
        let text = render_what_if(&w);
        assert!(text.contains("VMSPLIT_1G"), "{text}");
    }
}
