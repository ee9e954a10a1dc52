// SPDX-License-Identifier: GPL-2.0
//! The kernel's own counts of TLB flushes and flush IPIs, for `hmctl
//! bench`: as hmkit's `bench` file gives them for each timed loop (the same
//! counters, read by the module right around the loop), and as
//! /proc/vmstat and /proc/interrupts give them around whole writes.
//!
//! With CONFIG_DEBUG_TLBFLUSH, /proc/vmstat has four counters, summed over
//! CPUs. What increments them on i386 (arch/x86/mm/tlb.c, 6.12):
//!
//! - `nr_tlb_local_flush_one`: `flush_tlb_one_kernel()`, one `invlpg` on
//!   the calling CPU. kmap_local's and kmap_atomic's unmap
//!   (`arch_kmap_local_post_unmap`) counts 1; `flush_tlb_kernel_range()` of
//!   a small range (up to `tlb_single_page_flush_ceiling`, 33 pages) counts
//!   one per page on every CPU it runs on; user-space flushes of single
//!   pages count here too.
//! - `nr_tlb_local_flush_all`: a full flush of the calling CPU for a user
//!   address space (munmap, exit), not the kernel paths below.
//! - `nr_tlb_remote_flush`: `flush_tlb_all()` and user-space flushes that
//!   send IPIs; `flush_tlb_kernel_range()` does not count here.
//! - `nr_tlb_remote_flush_received`: one per CPU that runs a full flush for
//!   `flush_tlb_all()` or `flush_tlb_kernel_range()` of a large range, the
//!   calling CPU included. kmap()'s pkmap wrap (`flush_all_zero_pkmaps()`,
//!   the whole pkmap) and the lazy purge of vunmap/vm_unmap_ram areas land
//!   here (or in `local_flush_one`, for a purge of a small range).
//!
//! /proc/interrupts gives the IPIs: `CAL` (function calls: on_each_cpu,
//! which kernel range flushes and hmkit's pool flush use) and `TLB`
//! (shootdowns of user address spaces), summed over CPUs here.
//!
//! hmkit's pool flushes with on_each_cpu running raw `invlpg` or
//! `__flush_tlb_all()` (the kernel's `flush_tlb_kernel_range()` is not
//! exported to modules), so no vmstat counter sees it: only its IPIs show,
//! in `CAL`, when there is more than one CPU.

use serde::{Deserialize, Serialize};

/// The vmstat counters, in the order of [`Counters::vmstat`].
pub const VMSTAT: [&str; 4] =
    ["nr_tlb_local_flush_one", "nr_tlb_local_flush_all", "nr_tlb_remote_flush", "nr_tlb_remote_flush_received"];

/// One reading of the counters (None: the kernel does not have it).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    pub vmstat: [Option<u64>; 4],
    pub ipi_call: Option<u64>,
    pub ipi_tlb: Option<u64>,
}

/// Events per operation between two readings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct PerOp {
    pub tlb_local_flush_one: Option<f64>,
    pub tlb_local_flush_all: Option<f64>,
    pub tlb_remote_flush: Option<f64>,
    pub tlb_remote_flush_received: Option<f64>,
    pub ipi_call: Option<f64>,
    pub ipi_tlb: Option<f64>,
}

impl PerOp {
    /// The fields with their column names, in table order.
    pub fn fields(&self) -> [(&'static str, Option<f64>); 6] {
        [
            ("flush_one", self.tlb_local_flush_one),
            ("flush_all", self.tlb_local_flush_all),
            ("remote", self.tlb_remote_flush),
            ("remote_rcvd", self.tlb_remote_flush_received),
            ("CAL", self.ipi_call),
            ("TLB", self.ipi_tlb),
        ]
    }

    /// The median of each field over `runs` (None if any run lacks it).
    pub fn median(runs: &[PerOp]) -> PerOp {
        let m = |f: fn(&PerOp) -> Option<f64>| -> Option<f64> {
            let v: Option<Vec<f64>> = runs.iter().map(f).collect();
            v.filter(|v| !v.is_empty()).map(crate::bench::median)
        };
        PerOp {
            tlb_local_flush_one: m(|p| p.tlb_local_flush_one),
            tlb_local_flush_all: m(|p| p.tlb_local_flush_all),
            tlb_remote_flush: m(|p| p.tlb_remote_flush),
            tlb_remote_flush_received: m(|p| p.tlb_remote_flush_received),
            ipi_call: m(|p| p.ipi_call),
            ipi_tlb: m(|p| p.ipi_tlb),
        }
    }
}

/// Parses /proc/vmstat's `name value` lines for the counters `names`, in
/// that order (`None` for one it does not have).
pub fn vmstat_counters<const N: usize>(text: &str, names: &[&str; N]) -> [Option<u64>; N] {
    let mut v = [None; N];
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if let (Some(name), Some(value)) = (w.next(), w.next()) {
            if let Some(i) = names.iter().position(|n| *n == name) {
                v[i] = value.parse().ok();
            }
        }
    }
    v
}

/// Parses /proc/vmstat for the four TLB counters.
pub fn parse_vmstat(text: &str) -> [Option<u64>; 4] {
    vmstat_counters(text, &VMSTAT)
}

/// Sums row `label` (e.g. `CAL`) of /proc/interrupts over the CPU columns
/// its header names.
pub fn parse_interrupts(text: &str, label: &str) -> Option<u64> {
    let mut lines = text.lines();
    let cpus = lines.next()?.split_whitespace().filter(|w| w.starts_with("CPU")).count();
    let want = format!("{label}:");
    let row = lines.find(|l| l.split_whitespace().next() == Some(want.as_str()))?;
    let counts: Vec<u64> = row.split_whitespace().skip(1).take(cpus).map_while(|w| w.parse().ok()).collect();
    (counts.len() == cpus && cpus > 0).then(|| counts.iter().sum())
}

/// Reads the counters now.
pub fn read() -> Result<Counters, String> {
    let rd = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("{p}: {e}"));
    let irq = rd("/proc/interrupts")?;
    Ok(Counters {
        vmstat: parse_vmstat(&rd("/proc/vmstat")?),
        ipi_call: parse_interrupts(&irq, "CAL"),
        ipi_tlb: parse_interrupts(&irq, "TLB"),
    })
}

/// Events per operation from counts in the order of the bench file's
/// columns (flush_one, flush_all, remote, remote_rcvd, ipi_call, ipi_tlb;
/// negative: the kernel does not count it).
pub fn from_counts(counts: &[i64; 6], ops: u64) -> PerOp {
    let d = |c: i64| (c >= 0 && ops > 0).then(|| c as f64 / ops as f64);
    PerOp {
        tlb_local_flush_one: d(counts[0]),
        tlb_local_flush_all: d(counts[1]),
        tlb_remote_flush: d(counts[2]),
        tlb_remote_flush_received: d(counts[3]),
        ipi_call: d(counts[4]),
        ipi_tlb: d(counts[5]),
    }
}

/// The events between `before` and `after`, per each of `ops` operations.
pub fn per_op(before: &Counters, after: &Counters, ops: u64) -> PerOp {
    let d = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if ops > 0 => Some(b.saturating_sub(a) as f64 / ops as f64),
        _ => None,
    };
    PerOp {
        tlb_local_flush_one: d(before.vmstat[0], after.vmstat[0]),
        tlb_local_flush_all: d(before.vmstat[1], after.vmstat[1]),
        tlb_remote_flush: d(before.vmstat[2], after.vmstat[2]),
        tlb_remote_flush_received: d(before.vmstat[3], after.vmstat[3]),
        ipi_call: d(before.ipi_call, after.ipi_call),
        ipi_tlb: d(before.ipi_tlb, after.ipi_tlb),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IRQ: &str = "           CPU0       CPU1       \n  0:         41          0   IO-APIC   2-edge      timer\n NMI:          0          0   Non-maskable interrupts\n CAL:       1200        345   Function call interrupts\n TLB:         10          7   TLB shootdowns\n ERR:          0\n";

    #[test]
    fn interrupts_rows_are_summed_over_the_cpus() {
        assert_eq!(parse_interrupts(IRQ, "CAL"), Some(1545));
        assert_eq!(parse_interrupts(IRQ, "TLB"), Some(17));
        assert_eq!(parse_interrupts(IRQ, "NMI"), Some(0));
        // ERR has one column whatever the CPUs: not a per-CPU row.
        assert_eq!(parse_interrupts(IRQ, "ERR"), None);
        assert_eq!(parse_interrupts(IRQ, "RES"), None);
        assert_eq!(parse_interrupts("", "CAL"), None);
    }

    #[test]
    fn vmstat_gives_the_four_tlb_counters_or_none() {
        let v = parse_vmstat("nr_free_pages 100\nnr_tlb_remote_flush 5\nnr_tlb_remote_flush_received 12\nnr_tlb_local_flush_all 7\nnr_tlb_local_flush_one 90000\n");
        assert_eq!(v, [Some(90000), Some(7), Some(5), Some(12)]);
        assert_eq!(parse_vmstat("nr_free_pages 100\n"), [None; 4], "a kernel without CONFIG_DEBUG_TLBFLUSH");
    }

    #[test]
    fn per_op_divides_the_differences() {
        let a = Counters { vmstat: [Some(10), Some(0), Some(0), Some(4)], ipi_call: Some(100), ipi_tlb: None };
        let b = Counters { vmstat: [Some(1010), Some(0), Some(0), Some(6)], ipi_call: Some(102), ipi_tlb: None };
        let p = per_op(&a, &b, 1000);
        assert_eq!(p.tlb_local_flush_one, Some(1.0));
        assert_eq!(p.tlb_local_flush_all, Some(0.0));
        assert_eq!(p.tlb_remote_flush_received, Some(0.002));
        assert_eq!(p.ipi_call, Some(0.002));
        assert_eq!(p.ipi_tlb, None);
        assert_eq!(per_op(&a, &b, 0).tlb_local_flush_one, None);
        let m = PerOp::median(&[p, PerOp { ipi_tlb: Some(1.0), ..p }, p]);
        assert_eq!(m.tlb_local_flush_one, Some(1.0));
        assert_eq!(m.ipi_tlb, None, "a field missing from one run is missing");
    }
}
