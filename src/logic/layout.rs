// SPDX-License-Identifier: GPL-2.0

//! The 32-bit virtual address space as a sorted list of regions.
//!
//! Pure logic, no kernel types: it is compiled into the module and into the
//! host test crate (`tests/host`). Given the boundaries the kernel reports,
//! [`Regions::build`] lists every region from 0 to 4 GiB in address order,
//! with the gaps between them named `gap`, so the rows tile the whole space.

/// The boundaries of the kernel's regions, as read from the running kernel.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct Boundaries {
    pub(crate) page_size: u64,
    /// Where user space ends: PAGE_OFFSET on x86-32, 16 MiB below it on
    /// ARM (the modules and the pkmap sit between).
    pub(crate) task_size: u64,
    pub(crate) page_offset: u64,
    pub(crate) high_memory: u64,
    pub(crate) vmalloc_start: u64,
    pub(crate) vmalloc_end: u64,
    pub(crate) pkmap_base: u64,
    pub(crate) last_pkmap: u64,
    pub(crate) ldt_base: u64,
    pub(crate) ldt_end: u64,
    pub(crate) cpu_entry_area_base: u64,
    pub(crate) cpu_entry_area_size: u64,
    pub(crate) fixaddr_tot_start: u64,
    pub(crate) fixaddr_start: u64,
    pub(crate) fixaddr_top: u64,
    pub(crate) kmap_local_start: u64,
    pub(crate) kmap_local_end: u64,
    /// ARM's modules area below the pkmap (x86-32 loads modules in the
    /// vmalloc area: empty there).
    pub(crate) modules_start: u64,
    pub(crate) modules_end: u64,
    /// ARM's vectors page and stubs at 0xffff0000 (none on x86-32).
    pub(crate) vectors_start: u64,
    pub(crate) vectors_end: u64,
    /// ARM's fixed mapping of the device tree, above VMALLOC_END.
    pub(crate) fdt_start: u64,
    pub(crate) fdt_end: u64,
}

/// One region: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) name: &'static str,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

impl Region {
    pub(crate) fn size(&self) -> u64 {
        self.end - self.start
    }
}

/// The end of the 32-bit address space.
pub(crate) const TOP: u64 = 1 << 32;

/// Named regions at most, and rows at most (a gap before each, one after).
const NAMED: usize = 16;
const MAX: usize = 2 * NAMED + 1;

/// Why the boundaries do not make a layout.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LayoutError {
    /// Two named regions overlap.
    Overlap(&'static str, &'static str),
    /// A region ends before it starts or beyond 4 GiB.
    Bad(&'static str),
}

/// Every region from 0 to 4 GiB, in address order.
#[derive(Debug)]
pub(crate) struct Regions {
    rows: [Region; MAX],
    len: usize,
}

impl Regions {
    pub(crate) fn build(b: &Boundaries) -> Result<Self, LayoutError> {
        let pkmap_end = b.pkmap_base + b.last_pkmap * b.page_size;
        let mut named = [Region { name: "", start: 0, end: 0 }; NAMED];
        let mut n = 0;
        let mut add = |name, start, end| {
            named[n] = Region { name, start, end };
            n += 1;
        };
        add("user", 0, b.task_size);
        add("modules", b.modules_start, b.modules_end);
        add("lowmem", b.page_offset, b.high_memory);
        add("vmalloc", b.vmalloc_start, b.vmalloc_end);
        add("pkmap", b.pkmap_base, pkmap_end);
        add("ldt_remap", b.ldt_base, b.ldt_end);
        add("cpu_entry_area", b.cpu_entry_area_base, b.cpu_entry_area_base + b.cpu_entry_area_size);
        // The fixmap: the boot-time part below FIXADDR_START, then the
        // permanent part with the kmap_local slots somewhere inside it.
        add("fixmap_boot", b.fixaddr_tot_start, b.fixaddr_start);
        if b.fixaddr_start <= b.kmap_local_start
            && b.kmap_local_start < b.kmap_local_end
            && b.kmap_local_end <= b.fixaddr_top
        {
            add("fixmap", b.fixaddr_start, b.kmap_local_start);
            add("kmap_local", b.kmap_local_start, b.kmap_local_end);
            add("fixmap", b.kmap_local_end, b.fixaddr_top);
        } else {
            add("fixmap", b.fixaddr_start, b.fixaddr_top);
        }
        add("fdt", b.fdt_start, b.fdt_end);
        add("vectors", b.vectors_start, b.vectors_end);
        let named = &mut named[..n];
        for r in named.iter() {
            if r.start > r.end || r.end > TOP {
                return Err(LayoutError::Bad(r.name));
            }
        }
        // Insertion sort: a dozen rows, and no allocation.
        for i in 1..named.len() {
            let mut j = i;
            while j > 0 && named[j - 1].start > named[j].start {
                named.swap(j - 1, j);
                j -= 1;
            }
        }
        let mut out = Regions { rows: [Region { name: "", start: 0, end: 0 }; MAX], len: 0 };
        let mut cursor = 0;
        let mut prev = "start of memory";
        for r in named.iter().filter(|r| r.start < r.end) {
            if r.start < cursor {
                return Err(LayoutError::Overlap(prev, r.name));
            }
            if r.start > cursor {
                out.push(Region { name: "gap", start: cursor, end: r.start });
            }
            out.push(*r);
            cursor = r.end;
            prev = r.name;
        }
        if cursor < TOP {
            out.push(Region { name: "gap", start: cursor, end: TOP });
        }
        Ok(out)
    }

    fn push(&mut self, r: Region) {
        // At most 2 * NAMED + 1 rows can be made from NAMED named regions,
        // and rows that cannot fit are dropped rather than overflowing.
        if self.len < MAX {
            self.rows[self.len] = r;
            self.len += 1;
        }
    }

    pub(crate) fn rows(&self) -> &[Region] {
        &self.rows[..self.len]
    }
}
