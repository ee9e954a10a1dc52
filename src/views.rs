// SPDX-License-Identifier: GPL-2.0

//! Read-only views of the kernel's memory state, rendered as text: the
//! `version`, `layout`, `zones` and `pkmap` files. Each renders a snapshot
//! taken when it is read. Formats follow the kernel's own files: `key:
//! value` lines, and fixed-width tables with a header row (and a total row
//! where sums make sense).

use crate::logic::layout::{Boundaries, Regions};
use crate::pool::Pool;
use crate::sys;
use core::fmt;
use kernel::prelude::*;

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
pub(crate) fn version(out: &mut dyn fmt::Write) -> Result {
    {
        // Kept opaque so that the divisions happen at run time.
        let (a, b) = (core::hint::black_box(u64::MAX), core::hint::black_box(7u64));
        let (c, d) = (core::hint::black_box(-i64::MAX), core::hint::black_box(10i64));
        writeln!(out, "hmkit: {}", crate::logic::VERSION)?;
        writeln!(out, "kernel: {}", sys::kernel_release().to_str().unwrap_or("?"))?;
        writeln!(out, "paging: {}", paging())?;
        writeln!(out, "cpus_online: {}", sys::num_online_cpus())?;
        writeln!(out, "u64_divide: {a} / {b} = {} rem {}", a / b, a % b)?;
        writeln!(out, "i64_divide: {c} / {d} = {} rem {}", c / d, c % d)?;
        Ok(())
    }
}

fn paging() -> &'static str {
    match (sys::config_pae(), cfg!(target_arch = "arm")) {
        (true, false) => "3-level PAE",
        (true, true) => "3-level LPAE",
        (false, _) => "2-level",
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
pub(crate) fn layout(pool: &Pool, out: &mut dyn fmt::Write) -> Result {
    {
        let l = sys::layout();
        let (pool_start, pool_end) = pool.window();
        let b = Boundaries {
            page_size: l.page_size as u64,
            task_size: l.task_size as u64,
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
            modules_start: l.modules_start as u64,
            modules_end: l.modules_end as u64,
            vectors_start: l.vectors_start as u64,
            vectors_end: l.vectors_end as u64,
            fdt_start: l.fdt_start as u64,
            fdt_end: l.fdt_end as u64,
        };
        let regions = Regions::build(&b).map_err(|e| {
            pr_err!("inconsistent layout: {:?}\n", e);
            EIO
        })?;
        writeln!(out, "arch: {}", if cfg!(target_arch = "arm") { "arm" } else { "x86" })?;
        writeln!(out, "paging: {}", paging())?;
        writeln!(out, "page_size: {}", l.page_size)?;
        writeln!(out, "pmd_size: {}", l.pmd_size)?;
        for (k, v) in [
            ("task_size", l.task_size),
            ("modules_start", l.modules_start),
            ("modules_end", l.modules_end),
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
            ("vectors_start", l.vectors_start),
            ("vectors_end", l.vectors_end),
            ("fdt_start", l.fdt_start),
            ("fdt_end", l.fdt_end),
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
pub(crate) fn zones(out: &mut dyn fmt::Write) -> Result {
    {
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
pub(crate) fn pkmap(out: &mut dyn fmt::Write) -> Result {
    let l = sys::layout();
    // One walk, then render: the count and the rows agree even while other
    // CPUs kmap() and kunmap().
    let snap = sys::pkmap_snapshot()?;
    writeln!(out, "pkmap_base: {:#010x}", l.pkmap_base)?;
    writeln!(out, "last_pkmap: {}", l.last_pkmap)?;
    writeln!(out, "mapped: {}", snap.len())?;
    writeln!(out)?;
    writeln!(out, "{:>4} {:<12} {:>10}", "slot", "vaddr", "pfn")?;
    for e in snap.iter() {
        writeln!(out, "{:>4} {:#010x}   {:>10}", e.slot, e.vaddr, e.pfn)?;
    }
    Ok(())
}

