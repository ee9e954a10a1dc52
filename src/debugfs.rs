// SPDX-License-Identifier: GPL-2.0

//! hmkit's debugfs files, under `/sys/kernel/debug/hmkit/`.
//!
//! Each file renders a snapshot taken when it is read; nothing here knows
//! how `hmctl` presents it. All files are root-only: several show kernel
//! addresses. Formats follow the kernel's own files: `key: value` lines,
//! and fixed-width tables with a header row (and a total row where sums
//! make sense).

pub(crate) mod command;

use crate::mm::layout::{Boundaries, Regions};
use crate::mm::objects::Objects;
use crate::pool::{stress, Pool};
use crate::sys;
use crate::sys::debugfs::{Control, Dir, Show};
use core::fmt;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// `version`: what is running, and a check of 64-bit arithmetic in Rust
/// (on i386 it goes through the kernel patch's `__udivdi3` and friends).
///
/// ```text
/// hmkit: 0.1.0
/// kernel: 6.12.117
/// paging: 2-level
/// cpus_online: 2
/// u64_divide: 18446744073709551615 / 7 = 2635249153387078802 rem 1
/// i64_divide: -9223372036854775807 / 10 = -922337203685477580 rem -7
/// ```
struct Version;

impl Show for Version {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        // Kept opaque so that the divisions happen at run time.
        let (a, b) = (core::hint::black_box(u64::MAX), core::hint::black_box(7u64));
        let (c, d) = (core::hint::black_box(-i64::MAX), core::hint::black_box(10i64));
        writeln!(out, "hmkit: {}", crate::VERSION)?;
        writeln!(out, "kernel: {}", sys::kernel_release().to_str().unwrap_or("?"))?;
        writeln!(out, "paging: {}", paging())?;
        writeln!(out, "cpus_online: {}", sys::num_online_cpus())?;
        writeln!(out, "u64_divide: {a} / {b} = {} rem {}", a / b, a % b)?;
        writeln!(out, "i64_divide: {c} / {d} = {} rem {}", c / d, c % d)?;
        Ok(())
    }
}

fn paging() -> &'static str {
    if sys::config_pae() {
        "3-level PAE"
    } else {
        "2-level"
    }
}

/// `layout`: the kernel's virtual address space, live. Named boundaries as
/// `key: value`, then every region from 0 to 4 GiB in address order
/// (`end` exclusive), gaps included.
///
/// ```text
/// page_offset: 0xc0000000
/// ...
///
/// region            start        end           size_kb
/// user              0x00000000   0xc0000000    3145728
/// lowmem            0xc0000000   0xf73fe000     skipped
/// ```
struct Layout(Arc<Pool>);

impl Show for Layout {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        let l = sys::layout();
        let (pool_start, pool_end) = self.0.window();
        let b = Boundaries {
            page_size: l.page_size as u64,
            page_offset: l.page_offset as u64,
            high_memory: l.high_memory as u64,
            vmalloc_start: l.vmalloc_start as u64,
            vmalloc_end: l.vmalloc_end as u64,
            pkmap_base: l.pkmap_base as u64,
            last_pkmap: l.last_pkmap as u64,
            ldt_base: l.ldt_base as u64,
            ldt_end: l.ldt_end as u64,
            cpu_entry_area_base: l.cpu_entry_area_base as u64,
            cpu_entry_area_size: l.cpu_entry_area_size as u64,
            fixaddr_tot_start: l.fixaddr_tot_start as u64,
            fixaddr_start: l.fixaddr_start as u64,
            fixaddr_top: l.fixaddr_top as u64,
            kmap_local_start: l.kmap_local_start as u64,
            kmap_local_end: l.kmap_local_end as u64,
        };
        let regions = Regions::build(&b).map_err(|e| {
            pr_err!("inconsistent layout: {:?}\n", e);
            EIO
        })?;
        writeln!(out, "paging: {}", paging())?;
        writeln!(out, "page_size: {}", l.page_size)?;
        writeln!(out, "pmd_size: {}", l.pmd_size)?;
        for (k, v) in [
            ("page_offset", l.page_offset),
            ("high_memory", l.high_memory),
            ("vmalloc_start", l.vmalloc_start),
            ("vmalloc_end", l.vmalloc_end),
            ("pkmap_base", l.pkmap_base),
            ("pkmap_end", l.pkmap_base + l.last_pkmap * l.page_size),
            ("ldt_base", l.ldt_base),
            ("ldt_end", l.ldt_end),
            ("cpu_entry_area_base", l.cpu_entry_area_base),
            ("cpu_entry_area_end", l.cpu_entry_area_base + l.cpu_entry_area_size),
            ("fixaddr_tot_start", l.fixaddr_tot_start),
            ("fixaddr_start", l.fixaddr_start),
            ("fixaddr_top", l.fixaddr_top),
            ("kmap_local_start", l.kmap_local_start),
            ("kmap_local_end", l.kmap_local_end),
            ("hmkit_pool_start", pool_start),
            ("hmkit_pool_end", pool_end),
        ] {
            writeln!(out, "{k}: {v:#010x}")?;
        }
        writeln!(out, "lowmem_kb: {}", (l.high_memory - l.page_offset) / 1024)?;
        writeln!(out, "vmalloc_kb: {}", (l.vmalloc_end - l.vmalloc_start) / 1024)?;
        writeln!(out, "last_pkmap: {}", l.last_pkmap)?;
        writeln!(out, "kmap_local_slots_per_cpu: {}", l.kmap_local_slots)?;
        writeln!(out, "nr_cpu_ids: {}", l.nr_cpus)?;
        writeln!(out)?;
        writeln!(out, "{:<16} {:<12} {:<12} {:>10}", "region", "start", "end", "size_kb")?;
        for r in regions.rows() {
            writeln!(out, "{:<16} {:#010x}   {:#010x}   {:>10}", r.name, r.start, r.end, r.size() / 1024)?;
        }
        Ok(())
    }
}

/// `zones`: node 0's zones in `/proc/zoneinfo` order, in pages, then totals.
///
/// ```text
/// node zone      start_pfn    spanned    present    managed       free highmem
/// 0    DMA               1       4095       3998       3840       3500       0
/// ...
/// total          -        ...
/// ```
struct Zones;

impl Show for Zones {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        writeln!(
            out,
            "{:<4} {:<8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
            "node", "zone", "start_pfn", "spanned", "present", "managed", "free", "highmem"
        )?;
        let mut sum = [0usize; 4];
        let mut idx = 0;
        while let Some(z) = sys::zone(idx) {
            writeln!(
                out,
                "{:<4} {:<8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
                0,
                z.name.to_str().unwrap_or("?"),
                z.start_pfn,
                z.spanned,
                z.present,
                z.managed,
                z.free,
                z.highmem as u8
            )?;
            for (s, v) in sum.iter_mut().zip([z.spanned, z.present, z.managed, z.free]) {
                *s += v;
            }
            idx += 1;
        }
        writeln!(
            out,
            "{:<4} {:<8} {:>10} {:>10} {:>10} {:>10} {:>10} {:>7}",
            "total", "-", "-", sum[0], sum[1], sum[2], sum[3], "-"
        )?;
        Ok(())
    }
}

/// `pkmap`: the kernel's own pkmap area now, read from its PTEs. A slot is
/// `mapped` while its PTE is set: in use, or released and not yet flushed
/// (the kernel flushes released slots in one go when its scan wraps).
///
/// ```text
/// pkmap_base: 0xff400000
/// last_pkmap: 1024
/// mapped: 2
///
/// slot vaddr        pfn
///    7 0xff407000   593920
/// ```
struct Pkmap;

impl Show for Pkmap {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        let l = sys::layout();
        let mut mapped = 0;
        for idx in 0..l.last_pkmap as u32 {
            if let sys::PkmapSlot::Mapped { .. } = sys::pkmap_slot(idx)? {
                mapped += 1;
            }
        }
        writeln!(out, "pkmap_base: {:#010x}", l.pkmap_base)?;
        writeln!(out, "last_pkmap: {}", l.last_pkmap)?;
        writeln!(out, "mapped: {mapped}")?;
        writeln!(out)?;
        writeln!(out, "{:>4} {:<12} {:>10}", "slot", "vaddr", "pfn")?;
        for idx in 0..l.last_pkmap as u32 {
            if let sys::PkmapSlot::Mapped { vaddr, pfn } = sys::pkmap_slot(idx)? {
                writeln!(out, "{idx:>4} {vaddr:#010x}   {pfn:>10}")?;
            }
        }
        Ok(())
    }
}

/// `control`: write one command (see [`command`]) to act on objects the
/// module owns; read to list them.
struct ControlFile {
    objects: Arc<Mutex<Objects>>,
    pool: Arc<Pool>,
}

impl Show for ControlFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.objects.lock().render(out)
    }
}

impl Control for ControlFile {
    fn write(&self, input: &[u8]) -> Result {
        let cmd = command::parse(input).map_err(|_| EINVAL)?;
        let command::Command::PoolMap(_) = cmd else {
            return self.objects.lock().apply(cmd);
        };
        // A blocking pool-map: try, and wait for a slot without holding the
        // objects' lock, so that the unmap it waits for can run.
        let mut left = kernel::time::msecs_to_jiffies(sys::param_wait_ms());
        loop {
            match self.objects.lock().apply(cmd) {
                Err(e) if e == EAGAIN => {}
                r => return r,
            }
            left = self.pool.wait_for_slot(left)?;
        }
    }
}

/// `pool`: hmkit's pool, slot by slot.
struct PoolFile(Arc<Pool>);

impl Show for PoolFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.0.render_slots(out)
    }
}

/// `stats`: the pool's counters.
struct StatsFile(Arc<Pool>);

impl Show for StatsFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.0.render_stats(out)
    }
}

/// `stress`: write `OPS PAGES` to run a stress batch; read the totals.
struct StressFile {
    pool: Arc<Pool>,
    totals: stress::Totals,
}

impl Show for StressFile {
    fn show(&self, out: &mut dyn fmt::Write) -> Result {
        self.totals.render(out)
    }
}

impl Control for StressFile {
    fn write(&self, input: &[u8]) -> Result {
        let (ops, pages) = command::parse_stress(input).map_err(|_| EINVAL)?;
        stress::run(&self.pool, &self.totals, ops, pages, sys::param_wait_ms())
    }
}

/// The debugfs directory and what its files share.
pub(crate) struct Files {
    _dir: Dir,
}

/// Creates `hmkit/` and its files.
pub(crate) fn create(pool: Arc<Pool>) -> Result<Files> {
    let objects = Arc::pin_init(kernel::new_mutex!(Objects::new(pool.clone()), "hmkit_objects"), GFP_KERNEL)?;
    let mut dir = Dir::new(c_str!("hmkit"))?;
    dir.read_only(c_str!("version"), Version)?;
    dir.read_only(c_str!("layout"), Layout(pool.clone()))?;
    dir.read_only(c_str!("zones"), Zones)?;
    dir.read_only(c_str!("pkmap"), Pkmap)?;
    dir.read_only(c_str!("pool"), PoolFile(pool.clone()))?;
    dir.read_only(c_str!("stats"), StatsFile(pool.clone()))?;
    dir.read_write(c_str!("control"), ControlFile { objects, pool: pool.clone() })?;
    dir.read_write(c_str!("bench"), crate::bench::Bench::new(pool.clone())?)?;
    dir.read_write(c_str!("stress"), StressFile { pool, totals: stress::Totals::default() })?;
    dir.read_write(c_str!("selftest"), crate::selftest::SelfTest::new()?)?;
    Ok(Files { _dir: dir })
}
