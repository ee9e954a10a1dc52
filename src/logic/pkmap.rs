// SPDX-License-Identifier: GPL-2.0

//! Seeing the kernel's pkmap wrap from outside `mm/highmem.c`.
//!
//! kmap() of a highmem page with no pkmap slot yet scans upwards from the
//! last slot it handed out; when the scan passes the end it starts again at
//! slot 0 and first flushes every slot nobody holds
//! (`flush_all_zero_pkmaps()`, a TLB flush on every CPU). So, among new
//! mappings, a slot at or below the previous new one means the scan
//! wrapped in between. Pages that still carry a slot from earlier get it
//! back without moving the scan, and tell nothing.

/// The pkmap's geometry, from the live layout.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub(crate) base: usize,
    pub(crate) page_size: usize,
    pub(crate) slots: usize,
}

impl Geometry {
    /// The pkmap slot of kernel address `addr`, if it is in the pkmap.
    pub(crate) fn slot_of(&self, addr: usize) -> Option<usize> {
        addr.checked_sub(self.base).map(|o| o / self.page_size).filter(|&s| s < self.slots)
    }
}

/// Counts wraps of the pkmap scan from the slots of new mappings.
#[derive(Default, Debug)]
pub(crate) struct WrapCounter {
    prev: Option<usize>,
    /// New mappings seen.
    pub(crate) fresh: u64,
    /// Wraps seen.
    pub(crate) wraps: u64,
}

impl WrapCounter {
    /// Records a new mapping (of a page that had no slot) at `slot`;
    /// returns whether the scan wrapped since the previous one.
    pub(crate) fn fresh_slot(&mut self, slot: usize) -> bool {
        self.fresh += 1;
        let wrapped = self.prev.is_some_and(|p| slot <= p);
        if wrapped {
            self.wraps += 1;
        }
        self.prev = Some(slot);
        wrapped
    }
}

/// How many pkmap slots the `kmap_hit` benchmark runs may hold at once, all
/// of them together: half of the `slots` the pkmap has. Each run holds its
/// whole working set with kmap() while it measures; if the holds took every
/// slot, the next kmap() anywhere in the kernel would sleep, uninterruptibly
/// and with no timeout, until one is released.
pub(crate) fn kmap_hold_budget(slots: usize) -> usize {
    slots / 2
}

/// Reserves `more` slots next to `held` already reserved, within
/// [`kmap_hold_budget`]: the new total, or `None` if it does not fit.
pub(crate) fn reserve_kmap_holds(held: usize, more: usize, slots: usize) -> Option<usize> {
    held.checked_add(more).filter(|&total| total <= kmap_hold_budget(slots))
}
