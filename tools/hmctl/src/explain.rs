// SPDX-License-Identifier: GPL-2.0
//! `hmctl explain`: what five widely read Chinese articles on highmem claim (they describe
//! 2.6-era kernels), checked one by one against the running kernel.

use crate::debugfs::Debugfs;
use crate::layout::{human, Layout};
use crate::meminfo::MemInfo;
use crate::zones::Zone;
use serde::{Deserialize, Serialize};

const MIB: u64 = 1 << 20;

/// What a check reads.
pub struct Live {
    pub l: Layout,
    pub z: Vec<Zone>,
    pub m: MemInfo,
    pub kernel: String,
    /// Pages and highmem pages of a vmalloc area made through hmkit.
    pub vmalloc_pages: Option<(u64, u64)>,
    /// HighFree and LowFree drops (kB) while hmctl touched `user_kb`.
    pub user_alloc: Option<(u64, u64, u64)>,
    /// What the census saw hmctl's own workload add, by kind.
    pub census: Option<CensusExperiment>,
    /// A highmem page's kernel address before, while and after kmap().
    pub address: Option<AddressExperiment>,
    /// kmap() and kmap_local on one CPU and on all.
    pub scaling: Option<Scaling>,
}

/// Pages a kind of memory grew by, and how many of them are in highmem.
#[derive(Debug, Clone, Copy, Default)]
pub struct Grew {
    pub pages: i64,
    pub highmem: i64,
}

impl Grew {
    fn share(&self) -> f64 {
        if self.pages <= 0 {
            0.0
        } else {
            100.0 * self.highmem as f64 / self.pages as f64
        }
    }
    fn show(&self, what: &str) -> String {
        format!("{what} +{}, {:.0}% of it in HighMem", human(self.pages.max(0) as u64 * 4096), self.share())
    }
}

/// The census before and after hmctl itself touched 64 MiB of anonymous
/// memory, one page in each 4 MiB of a 512 MiB mapping (a page table per
/// touch), and wrote a 32 MiB file (each less where highmem has less
/// than four times that free: see `sized`).
#[derive(Debug, Clone, Default)]
pub struct CensusExperiment {
    pub anon: Grew,
    pub pagetable: Grew,
    pub file: Grew,
    /// Where the file went, e.g. `/data (ext4)`.
    pub file_where: String,
    pub anon_bytes: usize,
    pub file_bytes: usize,
}

#[derive(Debug, Clone, Default)]
pub struct AddressExperiment {
    pub pfn: u64,
    pub before: u64,
    pub kmap_vaddr: u64,
    pub during: u64,
    pub after: u64,
}

#[derive(Debug, Clone, Default)]
pub struct Scaling {
    pub cpus: usize,
    /// ns per op with all CPUs over ns per op with one (each over all threads' ops).
    pub kmap: f64,
    pub kmap_local: f64,
}

impl Live {
    fn zone(&self, name: &str) -> Option<&Zone> {
        self.z.iter().find(|z| z.name == name && z.spanned > 0)
    }
    fn mib_of_pfn(&self, pfn: u64) -> String {
        human(pfn * self.l.page_size)
    }
    fn version(&self) -> (u32, u32) {
        let mut it = self.kernel.split(|c: char| !c.is_ascii_digit()).filter_map(|s| s.parse().ok());
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }
    /// The VMSPLIT option that gives this kernel's PAGE_OFFSET.
    fn split(&self) -> String {
        crate::census::splits(&self.l)
            .iter()
            .find(|(_, po)| *po == self.l.page_offset)
            .map_or_else(|| format!("a PAGE_OFFSET of {:#010x}, which no VMSPLIT option gives", self.l.page_offset), |(name, _)| name.to_string())
    }

    /// "VMSPLIT_2G_OPT (PAGE_OFFSET 0x78000000)": for the reasons of claims
    /// that hold only on the 3G/1G split.
    fn split_reason(&self) -> String {
        format!("this kernel is built with {} (PAGE_OFFSET {:#010x})", self.split(), self.l.page_offset)
    }

    /// MAXMEM, the most lowmem this kernel can have: high_memory -
    /// PAGE_OFFSET when there is highmem; without highmem high_memory is
    /// the end of RAM, so VMALLOC_END - PAGE_OFFSET - the 128 MiB reserve.
    fn maxmem(&self) -> u64 {
        if self.m.high_total_kb > 0 {
            self.l.high_memory - self.l.page_offset
        } else {
            (self.l.vmalloc_end - self.l.page_offset).saturating_sub(self.reserve())
        }
    }

    /// An ARM kernel: the seeds describe x86-32, and ARM lays its 32-bit
    /// address space out differently (arch/arm/include/asm/memory.h,
    /// arch/arm/mm/mmu.c).
    fn arm(&self) -> bool {
        self.l.is_arm()
    }

    /// What lowmem leaves below VMALLOC_END: x86-32's 128 MiB
    /// __VMALLOC_RESERVE; ARM's 240 MiB vmalloc_size and 8 MiB
    /// VMALLOC_OFFSET.
    fn reserve(&self) -> u64 {
        if self.arm() {
            248 * MIB
        } else {
            128 * MIB
        }
    }

    fn pkmap_size(&self) -> u64 {
        self.l.pkmap_end - self.l.pkmap_base
    }
}

/// A check's answer: live value, whether the claim holds, why.
type Answer = (String, bool, String);

/// A claim that some kind of memory lands in highmem: what `pick` chooses
/// from the census experiment grew, and the claim holds when at least
/// three quarters of it are in HighMem.
fn in_highmem(v: &Live, pick: fn(&CensusExperiment) -> (Grew, String), why: &str) -> Answer {
    match &v.census {
        Some(c) => {
            let (g, what) = pick(c);
            (g.show(&what), g.pages > 0 && g.share() >= 75.0, why.into())
        }
        None => ("not measured (no census file)".into(), false, "hmkit's census could not be read".into()),
    }
}

struct Claim {
    id: &'static str,
    claim: &'static str,
    source: &'static str,
    check: fn(&Live) -> Answer,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Verdict {
    pub id: String,
    pub claim: String,
    pub source: String,
    pub live: String,
    pub verdict: String,
    pub reason: String,
}

const S000: &str = "000_71817dd6d310303d.txt";

fn claims() -> Vec<Claim> {
    vec![
        Claim {
            id: "user_kernel_split_3g_1g",
            claim: "0-3 GiB of the virtual address space is user space, 3-4 GiB is the kernel's.",
            source: "000_71817dd6d310303d.txt, 001_fb0f640406bd34ca.txt, 003_85f0d9cfd07c25ec.txt, 004_fc350d1e0ed26d80.txt",
            check: |v| {
                if v.arm() {
                    return (
                        format!("user 0x00000000-{:#010x} ({}), modules and pkmap, kernel from {:#010x}", v.l.task_size, human(v.l.task_size), v.l.page_offset),
                        false,
                        format!(
                            "ARM: user space ends at TASK_SIZE = PAGE_OFFSET - 16 MiB ({:#010x}); the modules and the pkmap take the 16 MiB below PAGE_OFFSET ({})",
                            v.l.task_size,
                            v.split_reason()
                        ),
                    );
                }
                let holds = v.l.page_offset == 0xc000_0000;
                (
                    format!("user 0x00000000-{:#010x} ({}), kernel above", v.l.page_offset, human(v.l.page_offset)),
                    holds,
                    if holds {
                        "VMSPLIT_3G: TASK_SIZE = PAGE_OFFSET = 0xC0000000".into()
                    } else {
                        format!(
                            "{}: user space is {}, the kernel's {}; TASK_SIZE = PAGE_OFFSET",
                            v.split_reason(),
                            human(v.l.page_offset),
                            human((1 << 32) - v.l.page_offset)
                        )
                    },
                )
            },
        },
        Claim {
            id: "page_offset_c0000000",
            claim: "PAGE_OFFSET, where kernel space starts, is 0xC0000000 on x86.",
            source: "001_fb0f640406bd34ca.txt",
            check: |v| {
                let holds = v.l.page_offset == 0xc000_0000;
                (
                    format!("{:#010x}", v.l.page_offset),
                    holds,
                    if holds { "CONFIG_PAGE_OFFSET of VMSPLIT_3G, the default".into() } else { format!("CONFIG_PAGE_OFFSET follows the split: {}", v.split_reason()) },
                )
            },
        },
        Claim {
            id: "direct_map_linear",
            claim: "Lowmem is mapped linearly: virtual address = physical address + 0xC0000000.",
            source: "000_71817dd6d310303d.txt, 002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| {
                if v.arm() {
                    // ARM's direct map starts at PHYS_OFFSET, where RAM
                    // (and its first zone, Normal) starts.
                    let (start, pages) = v.zone("Normal").map_or((0, 0), |z| (z.start_pfn, z.spanned));
                    let phys = start * v.l.page_size;
                    let linear = v.l.page_offset + pages * v.l.page_size == v.l.high_memory;
                    return (
                        format!("high_memory {:#010x} = {:#x} + {} pages of lowmem from physical {:#x}", v.l.high_memory, v.l.page_offset, pages, phys),
                        false,
                        if linear {
                            format!(
                                "ARM: virtual = physical - PHYS_OFFSET + PAGE_OFFSET, and RAM starts at PHYS_OFFSET {phys:#x} here: linear, with an offset of {:#x}",
                                v.l.page_offset.wrapping_sub(phys) & 0xffff_ffff
                            )
                        } else {
                            "high_memory is not PAGE_OFFSET + the size of ZONE_NORMAL".into()
                        },
                    );
                }
                let end = v.zone("Normal").map_or(0, |z| z.start_pfn + z.spanned);
                let linear = v.l.page_offset + end * v.l.page_size == v.l.high_memory;
                (
                    format!("high_memory {:#010x} = {:#x} + {} pages of lowmem", v.l.high_memory, v.l.page_offset, end),
                    linear && v.l.page_offset == 0xc000_0000,
                    if !linear {
                        "high_memory is not PAGE_OFFSET + the end of ZONE_NORMAL".into()
                    } else if v.l.page_offset == 0xc000_0000 {
                        "__va(x) = x + PAGE_OFFSET for every lowmem page".into()
                    } else {
                        format!("linear, but the offset is PAGE_OFFSET: {}", v.split_reason())
                    },
                )
            },
        },
        Claim {
            id: "direct_map_896mb",
            claim: "The direct map covers at most 896 MiB of physical memory (high_memory = 0xF8000000).",
            source: "001_fb0f640406bd34ca.txt, 002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt, 004_fc350d1e0ed26d80.txt",
            check: |v| {
                let lowmem = v.l.high_memory - v.l.page_offset;
                let holds = lowmem == 896 * MIB;
                (
                    format!("{} (high_memory {:#010x})", human(lowmem), v.l.high_memory),
                    holds,
                    if holds {
                        "MAXMEM is 896 MiB here".into()
                    } else if v.arm() && v.m.high_total_kb > 0 {
                        format!(
                            "ARM: lowmem ends 248 MiB (240 MiB of vmalloc and the 8 MiB VMALLOC_OFFSET) below its fixed VMALLOC_END {:#010x} (arch/arm/mm/mmu.c, adjust_lowmem_bounds): {} from PAGE_OFFSET {:#010x}",
                            v.l.vmalloc_end,
                            human(v.l.high_memory - v.l.page_offset),
                            v.l.page_offset
                        )
                    } else if v.m.high_total_kb == 0 {
                        format!("all RAM fits in the direct map: there is no highmem, and high_memory is the end of RAM ({})", v.split_reason())
                    } else if v.l.page_offset != 0xc000_0000 {
                        format!(
                            "MAXMEM = VMALLOC_END - PAGE_OFFSET - 128 MiB, and {}: the direct map grows by {} over the 3G/1G split's",
                            v.split_reason(),
                            human(0xc000_0000 - v.l.page_offset.min(0xc000_0000))
                        )
                    } else {
                        format!(
                            "MAXMEM = VMALLOC_END - PAGE_OFFSET - 128 MiB; since 4.15/4.19 the cpu_entry_area and LDT remap sit under the fixmap and push PKMAP_BASE and VMALLOC_END ({:#010x}) down",
                            v.l.vmalloc_end
                        )
                    },
                )
            },
        },
        Claim {
            id: "maxmem_definition",
            claim: "MAXMEM, the most physical memory the kernel maps directly, is what is left below the 128 MiB vmalloc reserve.",
            source: "002_1d4eb5f88a73f4a1.txt",
            check: |v| {
                if v.arm() {
                    let low = v.l.vmalloc_end - v.l.page_offset - v.reserve();
                    return (
                        format!("VMALLOC_END - PAGE_OFFSET - 248 MiB = {}", human(low)),
                        false,
                        "ARM has no MAXMEM: adjust_lowmem_bounds() keeps 240 MiB of vmalloc and the 8 MiB VMALLOC_OFFSET below VMALLOC_END (vmalloc= changes it)".into(),
                    );
                }
                let maxmem = v.l.vmalloc_end - v.l.page_offset - 128 * MIB;
                let holds = maxmem == v.l.high_memory - v.l.page_offset || v.m.mem_total_kb * 1024 < maxmem;
                (format!("VMALLOC_END - PAGE_OFFSET - 128 MiB = {}", human(maxmem)), holds, "highmem_pfn_init() caps max_low_pfn at MAXMEM_PFN".into())
            },
        },
        Claim {
            id: "zone_dma_first_16mb",
            claim: "ZONE_DMA is the first 16 MiB of physical memory.",
            source: "000_71817dd6d310303d.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| match v.zone("DMA") {
                Some(z) => {
                    let end = z.start_pfn + z.spanned;
                    (format!("pfn {}-{} ({})", z.start_pfn, end, v.mib_of_pfn(end)), end * v.l.page_size == 16 * MIB, "MAX_DMA_PFN = 16 MiB".into())
                }
                None if v.arm() => ("no ZONE_DMA".into(), false, "ARM has ZONE_DMA only where a platform selects it (not QEMU's virt board); its RAM starts at PHYS_OFFSET, not at 0".into()),
                None => ("no ZONE_DMA".into(), false, "this kernel is built without CONFIG_ZONE_DMA".into()),
            },
        },
        Claim {
            id: "zone_normal_16_896mb",
            claim: "ZONE_NORMAL spans physical 16 MiB to 896 MiB.",
            source: "000_71817dd6d310303d.txt, 003_85f0d9cfd07c25ec.txt, 004_fc350d1e0ed26d80.txt",
            check: |v| match v.zone("Normal") {
                Some(z) => {
                    let end = z.start_pfn + z.spanned;
                    let holds = z.start_pfn * v.l.page_size == 16 * MIB && end * v.l.page_size == 896 * MIB;
                    (
                        format!("{}-{} (pfn {}-{})", v.mib_of_pfn(z.start_pfn), v.mib_of_pfn(end), z.start_pfn, end),
                        holds,
                        "Normal ends at max_low_pfn = MAXMEM, not at 896 MiB (see direct_map_896mb)".into(),
                    )
                }
                None => ("no ZONE_NORMAL".into(), false, "no Normal zone".into()),
            },
        },
        Claim {
            id: "zone_highmem_896_to_end",
            claim: "ZONE_HIGHMEM runs from 896 MiB to the end of physical memory (003: to 1 GiB).",
            source: "000_71817dd6d310303d.txt, 002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt, 004_fc350d1e0ed26d80.txt",
            check: |v| match v.zone("HighMem") {
                Some(z) => {
                    let start = z.start_pfn * v.l.page_size;
                    (
                        format!("{}-{}, HighTotal {}", human(start), v.mib_of_pfn(z.start_pfn + z.spanned), human(v.m.high_total_kb * 1024)),
                        start == 896 * MIB,
                        "highmem starts where lowmem ends (MAXMEM) and runs to the end of RAM, not to 1 GiB".into(),
                    )
                }
                None => ("no highmem (RAM fits in lowmem)".into(), false, "with less RAM than MAXMEM there is no ZONE_HIGHMEM".into()),
            },
        },
        Claim {
            id: "no_highmem_below_896mb",
            claim: "With less than 896 MiB of RAM there is no ZONE_HIGHMEM.",
            source: "004_fc350d1e0ed26d80.txt",
            check: |v| {
                let maxmem = v.maxmem();
                (
                    format!("lowmem can hold {} here", human(maxmem)),
                    maxmem == 896 * MIB,
                    format!("the threshold is MAXMEM ({}), not 896 MiB", human(maxmem)),
                )
            },
        },
        Claim {
            id: "kernel_window_top_128mb",
            claim: "The top 128 MiB of kernel space, 0xF8000000-0xFFFFFFFF, is not direct-mapped: vmalloc, pkmap and fixmap live there.",
            source: "000_71817dd6d310303d.txt, 002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let size = (1u64 << 32) - v.l.high_memory;
                (
                    format!("{} from {:#010x}", human(size), v.l.high_memory),
                    v.l.high_memory == 0xf800_0000,
                    if v.m.high_total_kb == 0 {
                        format!("no highmem: the direct map ends with RAM, and everything above high_memory is left to vmalloc ({})", v.split_reason())
                    } else if v.arm() {
                        "ARM: the top 256 MiB above lowmem hold the VMALLOC_OFFSET gap, 240 MiB of vmalloc, the device tree, fixmap and vectors; its pkmap and modules sit below PAGE_OFFSET".into()
                    } else {
                        "the 128 MiB vmalloc reserve is counted down from VMALLOC_END, which now sits under pkmap, LDT remap and cpu_entry_area".into()
                    },
                )
            },
        },
        Claim {
            id: "vmalloc_reserve_is_vmalloc_size",
            claim: "The vmalloc area is 128 MiB (__VMALLOC_RESERVE).",
            source: "002_1d4eb5f88a73f4a1.txt",
            check: |v| {
                let gap = v.l.vmalloc_start - v.l.high_memory;
                (
                    format!("{} (VmallocTotal {} kB)", human(v.l.vmalloc_kb * 1024), v.m.vmalloc_total_kb),
                    v.l.vmalloc_kb * 1024 == 128 * MIB,
                    if v.arm() {
                        format!("ARM's default vmalloc area is 240 MiB (vmalloc_size), above the {} VMALLOC_OFFSET gap", human(gap))
                    } else {
                        format!("the 128 MiB reserve includes the {} VMALLOC_OFFSET gap", human(gap))
                    },
                )
            },
        },
        Claim {
            id: "vmalloc_offset_8mb_gap",
            claim: "An 8 MiB gap (VMALLOC_OFFSET) separates the direct map from VMALLOC_START.",
            source: "001_fb0f640406bd34ca.txt",
            check: |v| {
                let gap = v.l.vmalloc_start - v.l.high_memory;
                (human(gap), gap == 8 * MIB, "VMALLOC_START = high_memory + VMALLOC_OFFSET".into())
            },
        },
        Claim {
            id: "vmalloc_end_2_pages_below_pkmap",
            claim: "VMALLOC_END is 2 pages (8 KiB) below PKMAP_BASE.",
            source: "001_fb0f640406bd34ca.txt",
            check: |v| {
                if v.l.pkmap_base < v.l.vmalloc_end {
                    return (
                        format!("pkmap {:#010x}, VMALLOC_END {:#010x}", v.l.pkmap_base, v.l.vmalloc_end),
                        false,
                        "ARM: the pkmap is the 2 MiB below PAGE_OFFSET (PKMAP_BASE = PAGE_OFFSET - PMD_SIZE), far below the vmalloc area; VMALLOC_END is fixed at 0xff800000".into(),
                    );
                }
                let gap = v.l.pkmap_base - v.l.vmalloc_end;
                (human(gap), gap == 2 * v.l.page_size, "VMALLOC_END = PKMAP_BASE - 2 * PAGE_SIZE".into())
            },
        },
        Claim {
            id: "pkmap_just_below_fixmap",
            claim: "The persistent kmap area lies just below the fixmap.",
            source: "001_fb0f640406bd34ca.txt, 000_71817dd6d310303d.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let between: Vec<String> = v
                    .l
                    .regions
                    .iter()
                    .filter(|r| r.start >= v.l.pkmap_end && r.end <= v.l.fixaddr_tot_start && r.name != "gap")
                    .map(|r| format!("{} {}", r.name, human(r.size)))
                    .collect();
                (
                    format!("pkmap ends {:#010x}, fixmap starts {:#010x}; between: {}", v.l.pkmap_end, v.l.fixaddr_tot_start, if between.is_empty() { "nothing".into() } else { between.join(", ") }),
                    between.is_empty() && !v.arm(),
                    if v.arm() {
                        "ARM puts the pkmap below PAGE_OFFSET, above the modules area, not near the fixmap".into()
                    } else {
                        "PKMAP_BASE is now placed below the LDT remap (x86-32 PTI, 4.19) and cpu_entry_area (4.15)".into()
                    },
                )
            },
        },
        Claim {
            id: "pkmap_range_4g_minus_8m",
            claim: "The permanent kmap area spans 4G-8M to 4G-4M (on 2.6).",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                (
                    format!("{:#010x}-{:#010x} (4G-{} to 4G-{})", v.l.pkmap_base, v.l.pkmap_end, human((1 << 32) - v.l.pkmap_base), human((1 << 32) - v.l.pkmap_end)),
                    v.l.pkmap_base == 0xff80_0000 && v.l.pkmap_end == 0xffc0_0000,
                    if v.arm() { "x86 of 2.6 only; ARM's is PAGE_OFFSET - 2 MiB to PAGE_OFFSET".into() } else { "true of 2.6; the areas added above it since moved it down".into() },
                )
            },
        },
        Claim {
            id: "pkmap_4mb_1024_pages",
            claim: "The persistent kmap area is 4 MiB and maps at most 1024 pages at once.",
            source: "002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let holds = v.l.last_pkmap == 1024 && v.pkmap_size() == 4 * MIB;
                (
                    format!("LAST_PKMAP {} ({})", v.l.last_pkmap, human(v.pkmap_size())),
                    holds,
                    if holds {
                        "2-level paging: one page table of 1024 PTEs".into()
                    } else if v.arm() {
                        "ARM: LAST_PKMAP = PTRS_PER_PTE, 512 in both formats (2-level ARM keeps Linux and hardware PTEs in one page)".into()
                    } else {
                        "PAE: 64-bit PTEs, so one page table holds 512".into()
                    },
                )
            },
        },
        Claim {
            id: "pkmap_single_page_table",
            claim: "The pkmap area needs just one page table.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let pmd = v.l.regions.iter().find(|r| r.name == "pkmap").map_or(0, |r| r.size);
                let pmd_size = if v.l.paging.contains("PAE") || v.arm() { 2 * MIB } else { 4 * MIB };
                (
                    format!("{} at {:#010x}, a page table covers {}", human(pmd), v.l.pkmap_base, human(pmd_size)),
                    pmd == pmd_size && v.l.pkmap_base % pmd_size == 0,
                    "pkmap_page_table in mm/highmem.c".into(),
                )
            },
        },
        Claim {
            id: "kmap_unreleased_exhausts_pkmap",
            claim: "If kmap() mappings are never released, the pkmap fills up and no new mapping can be made.",
            source: "000_71817dd6d310303d.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| {
                (
                    format!("{} pkmap slots in all", v.l.last_pkmap),
                    v.l.last_pkmap > 0,
                    "worse: kmap() then sleeps uninterruptibly, with no timeout, until someone kunmaps; hmkit's pool waits wait_ms, then fails with ETIMEDOUT".into(),
                )
            },
        },
        Claim {
            id: "kmap_atomic_per_cpu_fixed",
            claim: "kmap_atomic() maps into fixed addresses reserved for the current CPU, so it needs no lock and must not sleep.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let size = v.l.kmap_local_end - v.l.kmap_local_start;
                let inside = v.l.kmap_local_start >= v.l.fixaddr_start && v.l.kmap_local_end <= v.l.fixaddr_top;
                (
                    format!("{} of fixmap slots at {:#010x}, {} per CPU", human(size), v.l.kmap_local_start, v.l.kmap_local_slots_per_cpu),
                    inside && size > 0,
                    "kmap_atomic = kmap_local_page with preemption and page faults off".into(),
                )
            },
        },
        Claim {
            id: "kmap_atomic_km_type_slots",
            claim: "Each CPU has one kmap_atomic slot per purpose (km_type, KM_TYPE_NR); a new mapping of a type overwrites the last.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let (maj, min) = v.version();
                let modern = (maj, min) >= (5, 11);
                (
                    format!("Linux {}: {} slots per CPU (KM_MAX_IDX)", v.kernel, v.l.kmap_local_slots_per_cpu),
                    !modern,
                    "km_type was removed in 5.11: the slots are a per-task LIFO stack (kmap_local), saved and restored on context switch; 33 with DEBUG_KMAP_LOCAL guard slots, else 16".into(),
                )
            },
        },
        Claim {
            id: "fixaddr_top_fffff000",
            claim: "FIXADDR_TOP is 0xFFFFF000, leaving a 4 KiB gap below 4 GiB.",
            source: "001_fb0f640406bd34ca.txt, 002_1d4eb5f88a73f4a1.txt",
            check: |v| (format!("{:#010x}", v.l.fixaddr_top), v.l.fixaddr_top == 0xffff_f000, "__FIXADDR_TOP in arch/x86/mm/pgtable_32.c".into()),
        },
        Claim {
            id: "vmalloc_pages_may_be_highmem",
            claim: "The pages behind vmalloc may come from lowmem or highmem.",
            source: "002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| match v.vmalloc_pages {
                Some((n, high)) => (format!("a {}-page vmalloc via hmkit: {} pages from highmem", n, high), high > 0, "__vmalloc_area_node() adds __GFP_HIGHMEM".into()),
                None => ("not measured (hmkit's control file not writable)".into(), false, "could not vmalloc through hmkit".into()),
            },
        },
        Claim {
            id: "user_memory_prefers_highmem",
            claim: "User-process memory is normally taken from highmem.",
            source: "002_1d4eb5f88a73f4a1.txt, 003_85f0d9cfd07c25ec.txt, 004_fc350d1e0ed26d80.txt",
            check: |v| match v.user_alloc {
                Some((user, high, low)) => (
                    format!("hmctl touched {}: HighFree fell {}, LowFree {}", human(user * 1024), human(high * 1024), human(low * 1024)),
                    high * 4 >= user * 3,
                    "anonymous pages are GFP_HIGHUSER_MOVABLE: HighMem comes first in the zonelist".into(),
                ),
                None => ("not measured".into(), false, "could not allocate".into()),
            },
        },
        Claim {
            id: "highmem_holds_process_memory",
            claim: "Process memory is preferably allocated from ZONE_HIGHMEM.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                in_highmem(
                    v,
                    |c| (c.anon, format!("hmctl touched {}: the census's anon", human(c.anon_bytes as u64))),
                    "census classes before and after: GFP_HIGHUSER_MOVABLE tries HighMem first",
                )
            },
        },
        Claim {
            id: "highmem_holds_page_cache",
            claim: "The page cache is preferably allocated from ZONE_HIGHMEM.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                in_highmem(
                    v,
                    |c| (c.file, format!("a {} file on {}: page cache (with shmem)", human(c.file_bytes as u64), c.file_where)),
                    "file pages are allocated with the mapping's gfp mask, GFP_HIGHUSER_MOVABLE for regular files and tmpfs",
                )
            },
        },
        Claim {
            id: "highmem_holds_page_tables",
            claim: "Page tables are preferably allocated from ZONE_HIGHMEM.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                in_highmem(
                    v,
                    |c| (c.pagetable, "a 512 MiB mapping touched every 4 MiB: page tables".into()),
                    "only with CONFIG_HIGHPTE, and only user PTE pages (GFP_PGTABLE_USER | __GFP_HIGHMEM); upper levels and kernel page tables stay in lowmem",
                )
            },
        },
        Claim {
            id: "highmem_page_has_no_kernel_address",
            claim: "A highmem page is not permanently mapped into the kernel's address space: it has a kernel address only while it is mapped.",
            source: "002_1d4eb5f88a73f4a1.txt, 000_71817dd6d310303d.txt",
            check: |v| match &v.address {
                Some(a) => (
                    format!(
                        "highmem pfn {}: page_address() {:#x}, then {:#010x} while kmap()ed (kmap returned {:#010x}), {:#x} after kunmap and a pkmap flush",
                        a.pfn, a.before, a.during, a.kmap_vaddr, a.after
                    ),
                    a.before == 0 && a.after == 0 && a.during == a.kmap_vaddr && a.during >= v.l.pkmap_base && a.during < v.l.pkmap_end,
                    "page_address() looks highmem pages up in the pkmap's hash table; lowmem pages answer __va(pfn << PAGE_SHIFT)".into(),
                ),
                None if v.z.iter().all(|z| !z.highmem || z.present == 0) => (
                    "no highmem on this machine: every page has its kernel address in the direct map for good".into(),
                    false,
                    "with all RAM below MAXMEM there is no highmem page to map".into(),
                ),
                None => ("not measured (hmkit's control file not writable)".into(), false, "could not allocate a page through hmkit".into()),
            },
        },
        Claim {
            id: "linear_map_reaches_about_1gb",
            claim: "With a simple linear map, the 1 GiB kernel space (0xC0000000-0xFFFFFFFF) could reach only the first 1 GiB of physical memory.",
            source: "000_71817dd6d310303d.txt, 003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let kernel = (1u64 << 32) - v.l.page_offset;
                let direct = v.l.high_memory - v.l.page_offset;
                (
                    format!(
                        "kernel space {}, of which {} is the direct map; the other {} of RAM (HighTotal) is reachable only through kmap/vmap",
                        human(kernel),
                        human(direct),
                        human(v.m.high_total_kb * 1024)
                    ),
                    kernel == 1 << 30 && direct < kernel,
                    if kernel == 1 << 30 {
                        "and less than 1 GiB in fact: vmalloc, pkmap, fixmap, cpu_entry_area and LDT take the top of it".into()
                    } else {
                        format!("{}: kernel space is {}, so the direct map reaches that much less the top areas", v.split_reason(), human(kernel))
                    },
                )
            },
        },
        Claim {
            id: "kmap_global_lock_smp_bottleneck",
            claim: "kmap() allocates its mappings under a global lock, which can become a bottleneck on SMP; kmap_atomic() (now kmap_local) takes no lock.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| match &v.scaling {
                Some(s) if s.cpus > 1 => (
                    format!(
                        "time per op with {} CPUs over time with one: kmap() of mapped pages {:.2}, kmap_local {:.2} (hmctl bench)",
                        s.cpus, s.kmap, s.kmap_local
                    ),
                    s.kmap > s.kmap_local * 1.2,
                    "every kmap() and kunmap() takes kmap_lock (a spinlock with interrupts off); kmap_local maps into per-CPU fixmap slots. Under QEMU TCG the ratio is indicative only".into(),
                ),
                Some(s) => (format!("{} CPU online: nothing to contend", s.cpus), false, "needs 2 or more CPUs".into()),
                None => ("not measured (the bench file failed)".into(), false, "could not run hmkit's bench".into()),
            },
        },
        Claim {
            id: "two_gb_half_highmem",
            claim: "With 2 GiB of RAM, slightly more than half is highmem.",
            source: "003_85f0d9cfd07c25ec.txt",
            check: |v| {
                let low = v.maxmem();
                let share = (100.0 * (2048.0 * MIB as f64 - low as f64) / (2048.0 * MIB as f64)).max(0.0);
                (
                    format!("lowmem up to {} here, so 2 GiB would be {share:.0}% highmem", human(low)),
                    share > 50.0,
                    if v.l.page_offset == 0xc000_0000 { "computed from this kernel's MAXMEM".into() } else { format!("computed from this kernel's MAXMEM; {}", v.split_reason()) },
                )
            },
        },
        Claim {
            id: "pae_64gb",
            claim: "Memory above 4 GiB needs PAE, which allows up to 64 GiB with 36-bit physical addresses.",
            source: "001_fb0f640406bd34ca.txt, 002_1d4eb5f88a73f4a1.txt",
            check: |v| {
                let pae = v.l.paging.contains("PAE");
                (
                    format!("{} paging, MemTotal {}", v.l.paging, human(v.m.mem_total_kb * 1024)),
                    true,
                    if pae { "PAE: 64-bit PTEs, MAX_PHYSMEM_BITS 36".into() } else { "2-level paging: 32-bit PTEs reach 4 GiB; HIGHMEM64G selects PAE for more".into() },
                )
            },
        },
        Claim {
            id: "no_highmem_on_64bit",
            claim: "64-bit kernels have no high memory.",
            source: S000,
            check: |v| {
                (
                    format!("this is a 32-bit kernel with HighTotal {}", human(v.m.high_total_kb * 1024)),
                    v.m.high_total_kb > 0,
                    "CONFIG_HIGHMEM exists only on 32-bit; x86_64 maps all RAM directly".into(),
                )
            },
        },
    ]
}

/// Runs the two experiments, then every check.
pub fn explain(fs: &Debugfs) -> Result<Vec<Verdict>, String> {
    let mut live = Live {
        l: Layout::parse(&fs.read("layout")?)?,
        z: crate::zones::parse(&fs.read("zones")?)?,
        m: MemInfo::read()?,
        kernel: crate::debugfs::Version::parse(&fs.read("version")?)?.kernel,
        vmalloc_pages: None,
        user_alloc: None,
        census: None,
        address: None,
        scaling: None,
    };
    live.vmalloc_pages = vmalloc_experiment(fs).ok();
    live.user_alloc = user_experiment().ok();
    live.census = census_experiment(fs).ok();
    live.address = address_experiment(fs).ok();
    live.scaling = scaling_experiment(fs).ok();
    Ok(claims()
        .into_iter()
        .map(|c| {
            let (value, holds, reason) = (c.check)(&live);
            Verdict {
                id: c.id.into(),
                claim: c.claim.into(),
                source: c.source.into(),
                live: value,
                verdict: if holds { "holds" } else { "differs" }.into(),
                reason,
            }
        })
        .collect())
}

fn vmalloc_experiment(fs: &Debugfs) -> Result<(u64, u64), String> {
    let before = fs.read("control")?;
    fs.write("control", b"vmalloc 65536\n").map_err(|e| e.to_string())?;
    let after = fs.read("control")?;
    let (id, pages, high) = new_vmalloc(&before, &after)?;
    fs.write("control", format!("free {id}\n").as_bytes()).map_err(|e| e.to_string())?;
    Ok((pages, high))
}

/// In the control listing `after`, the vmalloc object whose id `before`
/// does not list: its id, its pages and how many of them are highmem. Only
/// `vmalloc ID ...` and `vpage ID ...` lines count; header lines
/// (`objects: N`, `pool_held: N`, any other `key: value`) are passed over.
fn new_vmalloc<'a>(before: &'a str, after: &'a str) -> Result<(&'a str, u64, u64), String> {
    let fields = |l: &'a str| -> (Option<&'a str>, Option<&'a str>) {
        let mut f = l.split_whitespace();
        (f.next(), f.next())
    };
    let vmalloc_id = |l: &'a str| match fields(l) {
        (Some("vmalloc"), id) => id,
        _ => None,
    };
    let old: Vec<&str> = before.lines().filter_map(vmalloc_id).collect();
    let id = after.lines().filter_map(vmalloc_id).find(|id| !old.contains(id)).ok_or("no new vmalloc object")?;
    let pages: Vec<&str> = after.lines().filter(|l| fields(l) == (Some("vpage"), Some(id))).collect();
    let high = pages.iter().filter(|l| l.split_whitespace().any(|f| f == "highmem=1")).count();
    Ok((id, pages.len() as u64, high as u64))
}

/// How much an experiment that shows where memory goes allocates: `want`,
/// or a quarter of HighFree where that is less (at least a page). A
/// machine with little highmem (a 2G split with just over 2 GiB of RAM)
/// would otherwise run highmem dry, and the rest would go to lowmem as it
/// must, which says nothing about the kernel's preference.
fn sized(want: usize) -> usize {
    match MemInfo::read() {
        // In u64: HighFree in bytes passes 4 GiB on a big PAE machine.
        Ok(m) if m.high_total_kb > 0 => (want as u64).min((m.high_free_kb * 1024 / 4) & !4095).max(4096) as usize,
        _ => want,
    }
}

fn user_experiment() -> Result<(u64, u64, u64), String> {
    let size = sized(64 << 20);
    let before = MemInfo::read()?;
    let mut v = vec![0u8; size];
    for i in (0..size).step_by(4096) {
        v[i] = 1;
    }
    std::hint::black_box(&v);
    let after = MemInfo::read()?;
    drop(v);
    Ok(((size / 1024) as u64, before.high_free_kb.saturating_sub(after.high_free_kb), before.low_free_kb.saturating_sub(after.low_free_kb)))
}

/// Where hmctl can write a file that goes through the page cache: the
/// first of /data, /var/tmp and /tmp, by the filesystem it is on.
fn file_place() -> Result<(std::path::PathBuf, String), String> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").map_err(|e| format!("/proc/self/mounts: {e}"))?;
    let fs_of = |p: &str| {
        mounts
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 2 && (p == f[1] || p.starts_with(&format!("{}/", f[1].trim_end_matches('/'))))).then(|| (f[1].len(), f[2].to_string()))
            })
            .max()
            .map(|(_, t)| t)
    };
    for p in ["/data", "/var/tmp", "/tmp"] {
        if let Some(t) = fs_of(p).filter(|t| matches!(t.as_str(), "ext4" | "ext3" | "ext2" | "xfs" | "btrfs" | "tmpfs")) {
            if std::path::Path::new(p).is_dir() {
                return Ok((std::path::PathBuf::from(p), format!("{p} ({t})")));
            }
        }
    }
    Err("no disk filesystem or tmpfs to write to".into())
}

/// An anonymous private mapping with MAP_NORESERVE: only the pages written
/// take memory, and the kernel's overcommit check does not count the rest
/// (a 512 MiB `Vec` is refused, and aborts hmctl, on a 512 MiB machine).
struct Sparse {
    ptr: std::ptr::NonNull<std::ffi::c_void>,
    len: std::num::NonZeroUsize,
}

impl Sparse {
    fn new(len: usize) -> Result<Self, String> {
        use nix::sys::mman::{mmap_anonymous, MapFlags, ProtFlags};
        let len = std::num::NonZeroUsize::new(len).ok_or("empty mapping")?;
        // SAFETY: a new anonymous mapping at an address the kernel picks
        // aliases nothing; it is unmapped only in drop.
        let ptr = unsafe {
            mmap_anonymous(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE,
            )
        }
        .map_err(|e| format!("mmap of {} MiB: {e}", len.get() >> 20))?;
        Ok(Sparse { ptr, len })
    }

    /// Writes one byte every `step` bytes.
    fn touch_every(&self, step: usize) {
        for i in (0..self.len.get()).step_by(step) {
            // SAFETY: `i` is inside the mapping, which is readable and
            // writable and ours alone.
            unsafe { self.ptr.cast::<u8>().add(i).write_volatile(1) };
        }
    }
}

impl Drop for Sparse {
    fn drop(&mut self) {
        // SAFETY: the mapping `new` made, unmapped once; nothing refers to it.
        let _ = unsafe { nix::sys::mman::munmap(self.ptr, self.len.get()) };
    }
}

fn census_experiment(fs: &Debugfs) -> Result<CensusExperiment, String> {
    use crate::census::Census;
    let (dir, file_where) = file_place()?;
    let path = dir.join(format!("hmctl-explain-{}", std::process::id()));
    let (anon_bytes, file_bytes) = (sized(64 << 20), sized(32 << 20));
    let before = Census::parse(&fs.read("census")?)?;
    let mut anon = vec![0u8; anon_bytes];
    for i in (0..anon.len()).step_by(4096) {
        anon[i] = 1;
    }
    // The kernel maps pages only where it is written: one page table per
    // 4 MiB touched.
    let sparse = Sparse::new(512 << 20)?;
    sparse.touch_every(4 << 20);
    std::hint::black_box(&anon);
    let written = std::fs::write(&path, vec![7u8; file_bytes]).map_err(|e| format!("{}: {e}", path.display()));
    let after = written.and_then(|()| fs.read("census").and_then(|t| Census::parse(&t)));
    let _ = std::fs::remove_file(&path);
    let after = after?;
    let grew = |classes: &[&str]| {
        let sum = |c: &Census, high: bool| -> i64 {
            let (lo, hi) = c.low_high();
            let z = if high { hi } else { lo };
            classes.iter().map(|k| z.get(k) as i64).sum()
        };
        let high = sum(&after, true) - sum(&before, true);
        Grew { pages: high + sum(&after, false) - sum(&before, false), highmem: high }
    };
    Ok(CensusExperiment {
        anon: grew(&["anon"]),
        pagetable: grew(&["pagetable"]),
        file: grew(&["file_clean", "file_dirty", "file_writeback", "shmem"]),
        file_where,
        anon_bytes,
        file_bytes,
    })
}

/// `key=value` field `key` of the control file's line `kind id ...`.
fn control_field(text: &str, kind: &str, id: &str, key: &str) -> Option<u64> {
    text.lines()
        .find(|l| {
            let mut f = l.split_whitespace();
            f.next() == Some(kind) && f.next() == Some(id)
        })?
        .split_whitespace()
        .find_map(|f| f.strip_prefix(&format!("{key}=")))
        .and_then(|v| crate::debugfs::number(v).ok())
}

fn address_experiment(fs: &Debugfs) -> Result<AddressExperiment, String> {
    let w = |cmd: String| fs.write("control", cmd.as_bytes()).map_err(|e| format!("{}: {e}", cmd.trim()));
    let before = fs.read("control")?;
    w("alloc 1\n".into())?;
    let listing = fs.read("control")?;
    let old: Vec<&str> = before.lines().filter(|l| l.starts_with("page ")).filter_map(|l| l.split_whitespace().nth(1)).collect();
    let id = listing
        .lines()
        .filter(|l| l.starts_with("page "))
        .filter_map(|l| l.split_whitespace().nth(1))
        .find(|id| !old.contains(id))
        .ok_or("no new page in the control listing")?
        .to_string();
    let r = (|| {
        // A fresh page may still have a stale pkmap entry of its last owner: flush them.
        w("pkmap-flush\n".into())?;
        let field = |key: &str| -> Result<u64, String> {
            control_field(&fs.read("control")?, "page", &id, key).ok_or_else(|| format!("no {key} for page {id}"))
        };
        let pfn = field("pfn")?;
        let before = field("page_address")?;
        w(format!("kmap {id}\n"))?;
        let (kmap_vaddr, during) = (field("kmap_vaddr")?, field("page_address")?);
        w(format!("kunmap {id}\n"))?;
        w("pkmap-flush\n".into())?;
        let after = field("page_address")?;
        Ok(AddressExperiment { pfn, before, kmap_vaddr, during, after })
    })();
    let _ = w(format!("free {id}\n"));
    r
}

fn scaling_experiment(fs: &Debugfs) -> Result<Scaling, String> {
    let cpus = crate::threads::cpus();
    if cpus < 2 {
        return Ok(Scaling { cpus, ..Default::default() });
    }
    let rows = crate::bench::bench_some(fs, &["kmap_hit", "kmap_local"], 1, &[1, cpus], crate::bench::Plan::Quick)?;
    let ns = |m: &str, t: usize| rows.iter().find(|r| r.mechanism == m && r.threads == t).map(|r| r.ns_per_op).ok_or("bench row missing");
    Ok(Scaling {
        cpus,
        kmap: ns("kmap_hit", cpus)? / ns("kmap_hit", 1)?,
        kmap_local: ns("kmap_local", cpus)? / ns("kmap_local", 1)?,
    })
}

pub fn render(vs: &[Verdict]) -> String {
    let mut s = String::new();
    for v in vs {
        s += &format!("[{}] {}\n  claim:  {}\n  source: {}\n  live:   {}\n  why:    {}\n\n", v.verdict, v.id, v.claim, v.source, v.live, v.reason);
    }
    let holds = vs.iter().filter(|v| v.verdict == "holds").count();
    s += &format!("{} claims: {} hold, {} differ on this kernel\n", vs.len(), holds, vs.len() - holds);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_new_vmalloc_past_unknown_header_lines() {
        let before = "objects: 1\npkmap_flush_cycled: 0\npool_held: 0\nvmalloc_bytes: 8192\n\
                      vmalloc 3 size=8192 start=0xf8000000 pages=2 highmem_pages=0\n\
                      vpage 3 index=0 vaddr=0xf8000000 pfn=10 zone=Normal highmem=0\n\
                      vpage 3 index=1 vaddr=0xf8001000 pfn=11 zone=Normal highmem=0\n";
        let after = format!(
            "{}vmalloc 4 size=8192 start=0xf8010000 pages=2 highmem_pages=1\n\
             vpage 4 index=0 vaddr=0xf8010000 pfn=300000 zone=HighMem highmem=1\n\
             vpage 4 index=1 vaddr=0xf8011000 pfn=12 zone=Normal highmem=0\n\
             some_future_key: 7\n",
            before.replace("objects: 1", "objects: 2").replace("vmalloc_bytes: 8192", "vmalloc_bytes: 16384")
        );
        assert_eq!(new_vmalloc(before, &after).unwrap(), ("4", 2, 1));
        assert!(new_vmalloc(before, before).is_err());
    }

    /// The sample layout and zones (2-level paging) under the split of
    /// `page_offset`: PAGE_OFFSET moved, the direct map ending where the
    /// sample's ZONE_NORMAL does.
    fn live(page_offset: u64) -> Live {
        let mut l = Layout::parse(crate::layout::tests::SAMPLE).unwrap();
        let z = crate::zones::parse(crate::zones::tests::SAMPLE).unwrap();
        let normal = z.iter().find(|z| z.name == "Normal").unwrap();
        l.page_offset = page_offset;
        l.high_memory = page_offset + (normal.start_pfn + normal.spanned) * l.page_size;
        let m = MemInfo { mem_total_kb: 3 << 20, mem_free_kb: 0, high_total_kb: 1 << 20, high_free_kb: 0, low_total_kb: 0, low_free_kb: 0, vmalloc_total_kb: 0 };
        Live { l, z, m, kernel: "6.12.57".into(), vmalloc_pages: None, user_alloc: None, census: None, address: None, scaling: None }
    }

    fn judge(v: &Live, id: &str) -> (bool, String) {
        let c = claims().into_iter().find(|c| c.id == id).unwrap();
        let (_, holds, why) = (c.check)(v);
        (holds, why)
    }

    #[test]
    fn split_claims_follow_the_split_and_name_it() {
        let three = live(0xc000_0000);
        for id in ["user_kernel_split_3g_1g", "page_offset_c0000000", "direct_map_linear", "linear_map_reaches_about_1gb"] {
            assert!(judge(&three, id).0, "{id} on VMSPLIT_3G");
        }
        for (po, name) in [(0x7800_0000, "VMSPLIT_2G_OPT"), (0x8000_0000, "VMSPLIT_2G"), (0xb000_0000, "VMSPLIT_3G_OPT"), (0x4000_0000, "VMSPLIT_1G")] {
            let v = live(po);
            for id in ["user_kernel_split_3g_1g", "page_offset_c0000000", "direct_map_linear", "linear_map_reaches_about_1gb"] {
                let (holds, why) = judge(&v, id);
                assert!(!holds, "{id} on {name}");
                assert!(why.contains(&format!("{name} (PAGE_OFFSET")), "{id} on {name}: {why}");
            }
        }
        let odd = live(0x9000_0000);
        assert!(judge(&odd, "page_offset_c0000000").1.contains("no VMSPLIT option"));
    }

    #[test]
    fn every_claim_has_a_seed_source_and_a_unique_id() {
        let c = claims();
        assert!(c.len() >= 20);
        let mut ids: Vec<&str> = c.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), c.len());
        for cl in &c {
            assert!(cl.source.split(", ").all(|s| s.len() == 24 && s.ends_with(".txt")), "{}", cl.source);
        }
    }
}
