// SPDX-License-Identifier: GPL-2.0

//! The `census` file: every page frame of every zone of node 0, by what
//! uses it (the classes of `crate::logic::census`), walked when the file is
//! read.
//!
//! The walk takes no lock but RCU's, for the task list: it reads each
//! `struct page` the way `/proc/kpageflags` does, so a page that changes
//! meanwhile is counted as it was at one moment or the other, and every
//! frame is counted exactly once. It gives the CPU away every [`BATCH`]
//! frames and stops with `EINTR` on a signal. It needs two bitmaps of one
//! bit per frame (96 KiB each for 3 GiB).

use crate::logic::census::{classify, covers, Class, Counts, PfnSet};
use crate::sys;
use core::fmt;
use kernel::prelude::*;

/// Frames walked between two breathers.
const BATCH: usize = 4096;

/// `census`: the walk's own figures, then one row per zone and a total
/// row, in pages; `pkmap` (mapped in the kernel's pkmap now) is a count
/// beside the classes, which add up to `spanned`.
///
/// ```text
/// page_size: 4096
/// walk_ns: 41234567
/// task_stack_frames: 212
/// vmalloc_mapped_frames: 1650
///
/// zone        spanned       free        pcp ...      other      pkmap
/// DMA            4095       3211          0 ...         10          0
/// ...
/// total        786431     ...
/// ```
pub(crate) fn show(out: &mut dyn fmt::Write) -> Result {
    let started = sys::now_ns();
    let mut zones = KVec::new();
    let mut idx = 0;
    while let Some(z) = sys::zone(idx) {
        zones.push(z, GFP_KERNEL)?;
        idx += 1;
    }
    let spans = || zones.iter().filter(|z| z.spanned > 0);
    let lo = spans().map(|z| z.start_pfn).min().unwrap_or(0);
    let hi = spans().map(|z| z.start_pfn + z.spanned).max().unwrap_or(0);
    let words = PfnSet::words_for(hi - lo);
    let mut stack_words = VVec::from_elem(0u32, words, GFP_KERNEL)?;
    let mut vmalloc_words = VVec::from_elem(0u32, words, GFP_KERNEL)?;
    let mut stacks = PfnSet::new(lo, &mut stack_words);
    let mut vmalloc = PfnSet::new(lo, &mut vmalloc_words);

    let stack_frames = task_stacks(&mut stacks)?;
    let vmalloc_frames = vmalloc_area(&mut vmalloc)?;
    let pkmap = sys::pkmap_snapshot()?;

    let mut counts = KVec::with_capacity(zones.len(), GFP_KERNEL)?;
    for z in zones.iter() {
        let end = z.start_pfn + z.spanned;
        let mut c = Counts::default();
        let (mut pfn, mut batch) = (z.start_pfn, 0);
        while pfn < end {
            // No struct page: a hole, counted with the reserved frames.
            let (class, n) = match sys::page_facts(pfn) {
                Some((flags, order)) => {
                    (classify(flags, stacks.contains(pfn), vmalloc.contains(pfn)), covers(flags, order, pfn, end))
                }
                None => (Class::Reserved, 1),
            };
            c.add(class, n);
            pfn += n;
            batch += n;
            if batch >= BATCH {
                batch = 0;
                sys::breather()?;
            }
        }
        // The walk moves by whole free blocks (one frame otherwise) and never
        // past `end`, so this holds by construction; it stays as a check of
        // `covers`, which is what makes it so.
        if c.total() != z.spanned {
            pr_err!("census: zone walk counted {} of {} frames\n", c.total(), z.spanned);
            return Err(EIO);
        }
        c.pkmap = pkmap.iter().filter(|e| (z.start_pfn..end).contains(&e.pfn)).count();
        counts.push(c, GFP_KERNEL)?;
    }
    let walk_ns = sys::now_ns() - started;

    writeln!(out, "page_size: {}", sys::layout().page_size)?;
    writeln!(out, "walk_ns: {walk_ns}")?;
    writeln!(out, "task_stack_frames: {stack_frames}")?;
    writeln!(out, "vmalloc_mapped_frames: {vmalloc_frames}")?;
    writeln!(out)?;
    write!(out, "{:<8} {:>10}", "zone", "spanned")?;
    for c in Class::ALL {
        write!(out, " {:>w$}", c.name(), w = width(c))?;
    }
    writeln!(out, " {:>10}", "pkmap")?;
    let mut total = Counts::default();
    let mut spanned = 0;
    for (z, c) in zones.iter().zip(counts.iter()) {
        row(out, z.name.to_str().unwrap_or("?"), z.spanned, c)?;
        total.merge(c);
        spanned += z.spanned;
    }
    row(out, "total", spanned, &total)
}

/// A class's column width.
fn width(c: Class) -> usize {
    c.name().len().max(10)
}

fn row(out: &mut dyn fmt::Write, name: &str, spanned: usize, c: &Counts) -> Result {
    write!(out, "{name:<8} {spanned:>10}")?;
    for (class, n) in Class::ALL.iter().zip(c.pages.iter()) {
        write!(out, " {n:>w$}", w = width(*class))?;
    }
    writeln!(out, " {:>10}", c.pkmap)?;
    Ok(())
}

/// Marks every task's kernel stack frames; returns how many there were.
fn task_stacks(set: &mut PfnSet<'_>) -> Result<usize> {
    let mut room = 1024;
    loop {
        let mut buf = KVVec::from_elem(0usize, room, GFP_KERNEL)?;
        match sys::task_stack_pfns(&mut buf) {
            Ok(n) => {
                for &pfn in buf.iter().take(n) {
                    set.insert(pfn);
                }
                return Ok(n);
            }
            // More tasks than room: try again with more (tasks come and go).
            Err(e) if e == ENOSPC && room < 1 << 22 => room *= 4,
            Err(e) => return Err(e),
        }
    }
}

/// Marks every frame of the zones that the vmalloc area maps; returns how
/// many mappings of such frames there are.
fn vmalloc_area(set: &mut PfnSet<'_>) -> Result<usize> {
    let l = sys::layout();
    let (mut addr, mut n, mut walked) = (l.vmalloc_start, 0, 0);
    while addr < l.vmalloc_end {
        // Frames outside the zones (ioremapped MMIO) are not counted.
        if sys::vmalloc_pfn(addr).is_some_and(|pfn| set.insert(pfn)) {
            n += 1;
        }
        addr += l.page_size;
        walked += 1;
        if walked % BATCH == 0 {
            sys::breather()?;
        }
    }
    Ok(n)
}
