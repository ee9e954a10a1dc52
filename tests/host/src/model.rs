// SPDX-License-Identifier: GPL-2.0
//! A model window for the pool core that checks the rules the kernel relies
//! on: a slot is set only when its PTE is clear and flushed from every TLB,
//! never cleared while someone holds it, and memory is read or written only
//! through a slot whose PTE maps a page. Pages are frame numbers; reading
//! through a slot yields the frame number it maps, so a caller sees at once
//! whether it reached the page it asked for.
//!
//! Its state uses `crate::atomic`, so under `--cfg loom` loom sees (and
//! permutes) every access the model makes too.

use crate::atomic::{AtomicU32, Ordering::SeqCst};
use crate::pool_core::{Core, Locked, Parts, Window};

pub(crate) struct Model {
    /// pfn + 1 per slot, 0 when clear.
    pub(crate) pte: Vec<AtomicU32>,
    /// 1 when cleared but maybe still in some TLB.
    pub(crate) stale_tlb: Vec<AtomicU32>,
    /// References the test itself counts per slot (held by its threads).
    pub(crate) held: Vec<AtomicU32>,
    pub(crate) sets: AtomicU32,
    pub(crate) flush_calls: AtomicU32,
    pub(crate) clock: AtomicU32,
    /// How many CPUs `on_each_cpu` pretends to run on.
    pub(crate) cpus: u32,
}

impl Model {
    pub(crate) fn new(n: usize) -> Self {
        let v = |_| AtomicU32::new(0);
        Model {
            pte: (0..n).map(v).collect(),
            stale_tlb: (0..n).map(v).collect(),
            held: (0..n).map(v).collect(),
            sets: AtomicU32::new(0),
            flush_calls: AtomicU32::new(0),
            clock: AtomicU32::new(0),
            cpus: 2,
        }
    }

    fn check_access(&self, slot: u32, offset: usize, len: usize) -> Result<(), ()> {
        let s = slot as usize;
        if s >= self.pte.len() || offset + len > 4096 {
            return Err(());
        }
        assert_ne!(self.pte[s].load(SeqCst), 0, "memory access through slot {slot}, whose PTE is clear");
        Ok(())
    }
}

impl Window for Model {
    type Page = u32;
    fn slots(&self) -> u32 {
        self.pte.len() as u32
    }
    fn pfn(page: &u32) -> u32 {
        *page
    }
    unsafe fn set(&self, slot: u32, pfn: &u32) {
        let s = slot as usize;
        assert_eq!(self.pte[s].load(SeqCst), 0, "slot {slot} set while its PTE is still set");
        assert_eq!(self.stale_tlb[s].load(SeqCst), 0, "slot {slot} reused before the flush that covers it");
        self.pte[s].store(pfn + 1, SeqCst);
        self.sets.fetch_add(1, SeqCst);
    }
    unsafe fn clear(&self, slot: u32) {
        let s = slot as usize;
        assert_eq!(self.held[s].load(SeqCst), 0, "slot {slot} cleared while held");
        self.pte[s].store(0, SeqCst);
        self.stale_tlb[s].store(1, SeqCst);
    }
    fn flush(&self, slots: &[u32]) {
        for &s in slots {
            self.stale_tlb[s as usize].store(0, SeqCst);
        }
        self.flush_calls.fetch_add(1, SeqCst);
    }
    unsafe fn read(&self, slot: u32, offset: usize, buf: &mut [u8]) -> Result<(), ()> {
        self.check_access(slot, offset, buf.len())?;
        let pfn = self.pte[slot as usize].load(SeqCst) - 1;
        for (i, b) in buf.iter_mut().enumerate() {
            *b = pfn.to_le_bytes()[(offset + i) % 4];
        }
        Ok(())
    }
    unsafe fn write(&self, slot: u32, offset: usize, data: &[u8]) -> Result<(), ()> {
        self.check_access(slot, offset, data.len())
    }
    unsafe fn on_each_cpu(&self, f: &(dyn Fn(u32) + Sync)) {
        for cpu in 0..self.cpus {
            f(cpu);
        }
    }
    fn now_ns(&self) -> u64 {
        u64::from(self.clock.fetch_add(10, SeqCst))
    }
}

pub(crate) type TestCore = Core<Vec<AtomicU32>, Model>;

/// A core of `n` slots over a model window, and its locked half.
pub(crate) fn pool(n: usize) -> (TestCore, Locked<Vec<u32>>) {
    let v = |k: usize| (0..k).map(|_| AtomicU32::new(0)).collect::<Vec<_>>();
    let parts = Parts {
        state: v(n),
        pfn: v(n),
        next: v(n),
        buckets: v((2 * n).next_power_of_two()),
        free: vec![0; n],
        scratch: vec![0; n],
    };
    Core::new(Model::new(n), parts).expect("parts fit the window")
}

/// The word a read through a slot mapping `pfn` gives.
pub(crate) fn word_of(pfn: u32) -> u32 {
    pfn
}
