// SPDX-License-Identifier: GPL-2.0
//! `hmctl layout`: the kernel's virtual address space, from hmkit's `layout`.

use crate::debugfs::{number, table, value, value_number};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    pub size: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Layout {
    /// The kernel's architecture: `x86` (i386) or `arm` (ARMv7). Captures
    /// from before ARM have none: x86.
    #[serde(default = "x86")]
    pub arch: String,
    pub paging: String,
    pub page_size: u64,
    /// Where user space ends: PAGE_OFFSET on x86, 16 MiB lower on ARM.
    #[serde(default)]
    pub task_size: u64,
    /// ARM's modules area (0 on x86, which loads modules in vmalloc).
    #[serde(default)]
    pub modules_start: u64,
    #[serde(default)]
    pub modules_end: u64,
    pub page_offset: u64,
    pub high_memory: u64,
    pub lowmem_kb: u64,
    pub vmalloc_start: u64,
    pub vmalloc_end: u64,
    pub vmalloc_kb: u64,
    pub pkmap_base: u64,
    pub pkmap_end: u64,
    pub last_pkmap: u64,
    pub ldt_base: u64,
    pub ldt_end: u64,
    pub cpu_entry_area_base: u64,
    pub cpu_entry_area_end: u64,
    pub fixaddr_tot_start: u64,
    pub fixaddr_start: u64,
    pub fixaddr_top: u64,
    pub kmap_local_start: u64,
    pub kmap_local_end: u64,
    pub kmap_local_slots_per_cpu: u64,
    pub nr_cpu_ids: u64,
    /// ARM's vectors page and stubs (0 on x86).
    #[serde(default)]
    pub vectors_start: u64,
    #[serde(default)]
    pub vectors_end: u64,
    /// ARM's fixed device-tree mapping (0 on x86).
    #[serde(default)]
    pub fdt_start: u64,
    #[serde(default)]
    pub fdt_end: u64,
    /// hmkit's pool window, inside vmalloc.
    pub hmkit_pool_start: u64,
    pub hmkit_pool_end: u64,
    pub regions: Vec<Region>,
}

impl Layout {
    pub fn parse(text: &str) -> Result<Self, String> {
        let n = |k| value_number(text, k);
        let regions = table(text, &["region", "start", "end", "size_kb"])?
            .into_iter()
            .map(|r| {
                let (start, end) = (number(r[1])?, number(r[2])?);
                if end <= start || (end - start) / 1024 != number(r[3])? {
                    return Err(format!("region {r:?} is inconsistent"));
                }
                Ok(Region { name: r[0].to_string(), start, end, size: end - start })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if regions.is_empty() {
            return Err("layout has no regions".into());
        }
        Ok(Layout {
            arch: value(text, "arch")?.to_string(),
            paging: value(text, "paging")?.to_string(),
            page_size: n("page_size")?,
            task_size: n("task_size")?,
            modules_start: n("modules_start")?,
            modules_end: n("modules_end")?,
            page_offset: n("page_offset")?,
            high_memory: n("high_memory")?,
            lowmem_kb: n("lowmem_kb")?,
            vmalloc_start: n("vmalloc_start")?,
            vmalloc_end: n("vmalloc_end")?,
            vmalloc_kb: n("vmalloc_kb")?,
            pkmap_base: n("pkmap_base")?,
            pkmap_end: n("pkmap_end")?,
            last_pkmap: n("last_pkmap")?,
            ldt_base: n("ldt_base")?,
            ldt_end: n("ldt_end")?,
            cpu_entry_area_base: n("cpu_entry_area_base")?,
            cpu_entry_area_end: n("cpu_entry_area_end")?,
            fixaddr_tot_start: n("fixaddr_tot_start")?,
            fixaddr_start: n("fixaddr_start")?,
            fixaddr_top: n("fixaddr_top")?,
            kmap_local_start: n("kmap_local_start")?,
            kmap_local_end: n("kmap_local_end")?,
            kmap_local_slots_per_cpu: n("kmap_local_slots_per_cpu")?,
            nr_cpu_ids: n("nr_cpu_ids")?,
            vectors_start: n("vectors_start")?,
            vectors_end: n("vectors_end")?,
            fdt_start: n("fdt_start")?,
            fdt_end: n("fdt_end")?,
            hmkit_pool_start: n("hmkit_pool_start")?,
            hmkit_pool_end: n("hmkit_pool_end")?,
            regions,
        })
    }
}

pub fn x86() -> String {
    "x86".into()
}

impl Layout {
    pub fn is_arm(&self) -> bool {
        self.arch == "arm"
    }
}

/// A size in the largest unit that keeps it readable.
pub fn human(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let v = bytes as f64 / size as f64;
            return if bytes.is_multiple_of(size) { format!("{} {unit}", bytes / size) } else { format!("{v:.1} {unit}") };
        }
    }
    format!("{bytes} B")
}

/// What a region is, for people reading the drawing.
fn describe(r: &Region, l: &Layout) -> String {
    match r.name.as_str() {
        "user" => "user space (per process)".into(),
        "lowmem" if l.is_arm() => {
            format!("direct map of the first {} of RAM (lowmem, ZONE_NORMAL)", human(r.end - r.start))
        }
        "lowmem" => format!("direct map of physical 0x0-{:#x} (lowmem, ZONE_DMA + ZONE_NORMAL)", r.end - r.start),
        "vmalloc" if l.is_arm() => format!(
            "vmalloc/vmap/ioremap (hmkit pool {:#010x}-{:#010x})",
            l.hmkit_pool_start, l.hmkit_pool_end
        ),
        "vmalloc" => format!(
            "vmalloc/vmap/ioremap and modules (hmkit pool {:#010x}-{:#010x})",
            l.hmkit_pool_start, l.hmkit_pool_end
        ),
        "modules" => "kernel modules (within branch range of the kernel's text)".into(),
        "vectors" => "exception vectors page and its stubs".into(),
        "fdt" => "the device tree, mapped at boot".into(),
        "pkmap" => format!("kmap() persistent mappings: {} slots", l.last_pkmap),
        "ldt_remap" => "LDT remap (PTI)".into(),
        "cpu_entry_area" => "per-CPU entry stacks, GDT, TSS".into(),
        "fixmap_boot" => "fixmap, boot-time slots (early ioremap)".into(),
        "fixmap" => "fixmap: compile-time fixed mappings".into(),
        "kmap_local" => format!(
            "kmap_local/kmap_atomic slots: {} per CPU x {} CPUs",
            l.kmap_local_slots_per_cpu, l.nr_cpu_ids
        ),
        "gap" if r.start == l.high_memory => "gap: VMALLOC_OFFSET, catches overruns of the direct map".into(),
        "gap" if r.end == l.pkmap_base => "gap: guard pages below the pkmap".into(),
        "gap" if r.end == 1 << 32 => "gap: top page, never mapped".into(),
        "gap" => "gap: unused".into(),
        _ => String::new(),
    }
}

/// The address space as a column, highest addresses on top. Every region
/// gets one row whatever its size, so the small ones stay readable.
pub fn draw(l: &Layout) -> String {
    let mut s = format!(
        "32-bit virtual address space ({} paging, PAGE_OFFSET {:#010x}, {} lowmem, {} vmalloc)\n",
        l.paging,
        l.page_offset,
        human(l.lowmem_kb * 1024),
        human(l.vmalloc_kb * 1024)
    );
    let rows: Vec<(u64, String)> = l
        .regions
        .iter()
        .rev()
        .map(|r| (r.end, format!(" {:<15}{:>10}  {}", r.name, human(r.size), describe(r, l))))
        .collect();
    let width = rows.iter().map(|(_, t)| t.chars().count() + 1).max().unwrap_or(60);
    let addr = |a: u64| if a >= 1 << 32 { "0x100000000".to_string() } else { format!("{a:#010x}") };
    let line = |s: &mut String, a: u64, edge: char| {
        s.push_str(&format!("{:>11} {edge}{}{edge}\n", addr(a), "-".repeat(width)));
    };
    let mut first = true;
    for (end, text) in &rows {
        line(&mut s, *end, if first { '+' } else { '|' });
        first = false;
        s.push_str(&format!("{:11} |{:<width$}|\n", "", text, width = width));
    }
    line(&mut s, 0, '+');
    s
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub const SAMPLE: &str = "arch: x86\npaging: 2-level\npage_size: 4096\npmd_size: 4194304\n\
task_size: 0xc0000000\nmodules_start: 0x00000000\nmodules_end: 0x00000000\n\
page_offset: 0xc0000000\nhigh_memory: 0xf73fe000\nvmalloc_start: 0xf7bfe000\nvmalloc_end: 0xff3fe000\n\
pkmap_base: 0xff400000\npkmap_end: 0xff800000\nldt_base: 0xff800000\nldt_end: 0xffc00000\n\
cpu_entry_area_base: 0xffc00000\ncpu_entry_area_end: 0xffe00000\nfixaddr_tot_start: 0xffe60000\n\
fixaddr_start: 0xfff16000\nfixaddr_top: 0xfffff000\nkmap_local_start: 0xfff5e000\nkmap_local_end: 0xfff9e000\n\
vectors_start: 0x00000000\nvectors_end: 0x00000000\nfdt_start: 0x00000000\nfdt_end: 0x00000000\nhmkit_pool_start: 0xf8000000\nhmkit_pool_end: 0xf8400000\nlowmem_kb: 905208\nvmalloc_kb: 124928\nlast_pkmap: 1024\nkmap_local_slots_per_cpu: 16\nnr_cpu_ids: 2\n\n\
region           start        end             size_kb\n\
user             0x00000000   0xc0000000      3145728\n\
lowmem           0xc0000000   0xf73fe000       905208\n\
gap              0xf73fe000   0xf7bfe000         8192\n\
vmalloc          0xf7bfe000   0xff3fe000       122880\n\
gap              0xff3fe000   0xff400000            8\n\
pkmap            0xff400000   0xff800000         4096\n\
ldt_remap        0xff800000   0xffc00000         4096\n\
cpu_entry_area   0xffc00000   0xffe00000         2048\n\
gap              0xffe00000   0xffe60000          384\n\
fixmap_boot      0xffe60000   0xfff16000          728\n\
fixmap           0xfff16000   0xfff5e000          288\n\
kmap_local       0xfff5e000   0xfff9e000          256\n\
fixmap           0xfff9e000   0xfffff000          388\n\
gap              0xfffff000   0x100000000           4\n";

    #[test]
    fn parses_and_checks_regions() {
        let l = Layout::parse(SAMPLE).unwrap();
        assert_eq!(l.page_offset, 0xc000_0000);
        assert_eq!(l.last_pkmap, 1024);
        assert_eq!(l.regions.len(), 14);
        assert_eq!(l.regions.last().unwrap().end, 1 << 32);
        let broken = SAMPLE.replace("0xff3fe000       122880", "0xff3fe000       122881");
        assert!(Layout::parse(&broken).unwrap_err().contains("inconsistent"));
        assert!(Layout::parse(&SAMPLE.replace("last_pkmap: 1024\n", "")).is_err());
    }

    #[test]
    fn json_has_the_documented_integer_fields() {
        let v = serde_json::to_value(Layout::parse(SAMPLE).unwrap()).unwrap();
        for k in ["page_offset", "high_memory", "vmalloc_start", "vmalloc_end", "pkmap_base", "last_pkmap", "fixaddr_start", "fixaddr_top"] {
            assert!(v[k].is_u64(), "{k}");
        }
    }

    #[test]
    fn svg_is_well_formed_and_names_every_region_and_zone() {
        let l = Layout::parse(SAMPLE).unwrap();
        let zones = crate::zones::parse(crate::zones::tests::SAMPLE).unwrap();
        let svg = crate::draw::layout_svg(&l, &zones, "test");
        let texts = crate::draw::check(&svg).unwrap().join("\n");
        for r in &l.regions {
            assert!(texts.contains(&r.name), "{} missing", r.name);
        }
        for z in ["ZONE_DMA", "ZONE_NORMAL", "ZONE_HIGHMEM", "direct map", "kmap()", "0xc0000000"] {
            assert!(texts.contains(z), "{z} missing");
        }
        assert!(crate::draw::check("<svg><text>a</svg>").is_err());
        assert!(crate::draw::check("<html/>").is_err());
    }

    #[test]
    fn drawing_is_top_down_and_names_every_region() {
        let l = Layout::parse(SAMPLE).unwrap();
        let d = draw(&l);
        let top = d.find("0x100000000").unwrap();
        let bottom = d.find(" 0x00000000 +").unwrap();
        assert!(top < bottom);
        for r in &l.regions {
            assert!(d.contains(&r.name));
        }
        assert!(d.contains("kmap_local/kmap_atomic slots: 16 per CPU x 2 CPUs"));
        assert_eq!(human(4096), "4 KiB");
        assert_eq!(human(3 << 30), "3 GiB");
        assert_eq!(human(905208 * 1024), "884.0 MiB");
    }
}
