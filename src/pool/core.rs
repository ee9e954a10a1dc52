// SPDX-License-Identifier: GPL-2.0

//! The pool's logic: slot states, the page-to-slot lookup, the free-slot
//! stack, flush batching and statistics.
//!
//! Pure Rust with no kernel types: it is compiled into the module and into
//! the host test crate (`tests/host`), where many threads hammer it against
//! a model window. The kernel parts (PTE writes, TLB flushes, time) come in
//! through the [`Window`] trait; locking and waiting are the caller's.
//!
//! # Slots
//!
//! Each slot has one state word:
//!
//! ```text
//!  31            18  17        16      15           0
//! +----------------+----------+-------+--------------+
//! |   generation   | FLUSHING | VALID |    users     |
//! +----------------+----------+-------+--------------+
//! ```
//!
//! - free: `VALID` clear. PTE clear and flushed from every TLB; on the free
//!   stack.
//! - mapped: `VALID`, users > 0. The PTE maps the page whose pfn is in
//!   `pfn[slot]`, and the slot is on the lookup chain of that pfn.
//! - idle: `VALID`, users = 0. Unmapped lazily: the PTE still maps the page,
//!   and a new map of the same page takes the slot back without touching
//!   the PTE (a hit).
//! - flushing: `VALID | FLUSHING`, users = 0: claimed by a flush. Hits
//!   fail; the flush clears the PTE, flushes TLBs on all CPUs, then frees.
//!
//! The generation changes every time a free slot is given a page, so a hit
//! that read the state of a slot's previous life cannot take a reference on
//! its new one (no ABA).
//!
//! # Concurrency
//!
//! Taking a reference on a mapped or idle slot ([`Core::try_hit`]) and
//! dropping one ([`Core::release`]) are lock-free: a CAS and an atomic
//! decrement on the slot's state word. Everything that changes which page a
//! slot holds (claiming a free slot, flushing idle ones) runs with the
//! caller's lock held and gets the locked part, [`Locked`], by `&mut`.
//! Lock-free readers of the lookup chains may see them mid-change; the
//! worst they can do is miss, and a miss is retried under the lock.
//!
//! # Flush policy
//!
//! Unmapping never flushes. When a miss finds the free stack empty, every
//! idle slot is flushed in one batch: one TLB flush on every CPU, however
//! many slots. A slot is never handed out again before the flush that
//! covers it has completed on all CPUs.

use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

const USERS: u32 = 0xffff;
const VALID: u32 = 1 << 16;
const FLUSHING: u32 = 1 << 17;
const GEN_SHIFT: u32 = 18;
const GEN_ONE: u32 = 1 << GEN_SHIFT;

/// The kernel side of the pool: one PTE per slot, and TLB flushes.
pub(crate) trait Window {
    /// What a slot maps.
    type Page: ?Sized;
    /// Points `slot`'s PTE at `page`. The PTE is clear and flushed.
    fn set(&self, slot: u32, page: &Self::Page);
    /// Clears `slot`'s PTE. TLBs may keep it until [`Window::flush`].
    fn clear(&self, slot: u32);
    /// Removes `slots` from every CPU's TLB; returns when all are done.
    fn flush(&self, slots: &[u32]);
    /// A monotonic clock in nanoseconds, for statistics.
    fn now_ns(&self) -> u64;
}

/// A 64-bit counter from two 32-bit atomics (i386 Rust has no 64-bit
/// atomics). Adds are exact; a read racing a carry may be off by 2^32 for
/// an instant, which statistics can bear.
#[derive(Default)]
pub(crate) struct Counter {
    lo: AtomicU32,
    hi: AtomicU32,
}

impl Stats {
    /// Successful maps: hits and misses (derived, so the map path pays
    /// for one counter, not two).
    pub(crate) fn maps(&self) -> u64 {
        self.hits.get() + self.misses.get()
    }
}

impl Counter {
    pub(crate) fn add(&self, n: u64) {
        let mut n = n;
        while n > 0 {
            let step = n.min(u64::from(u32::MAX)) as u32;
            let old = self.lo.fetch_add(step, Ordering::Relaxed);
            if old.checked_add(step).is_none() {
                self.hi.fetch_add(1, Ordering::Relaxed);
            }
            n -= u64::from(step);
        }
    }

    pub(crate) fn inc(&self) {
        self.add(1);
    }

    pub(crate) fn get(&self) -> u64 {
        loop {
            let hi = self.hi.load(Ordering::Relaxed);
            let lo = self.lo.load(Ordering::Relaxed);
            if self.hi.load(Ordering::Relaxed) == hi {
                return (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }
}

/// What the pool counts. Times are in nanoseconds.
#[derive(Default)]
pub(crate) struct Stats {
    /// Maps that found the page already in a slot.
    pub(crate) hits: Counter,
    /// Maps that gave the page a new slot.
    pub(crate) misses: Counter,
    pub(crate) unmaps: Counter,
    pub(crate) flushes: Counter,
    pub(crate) slots_flushed: Counter,
    pub(crate) flush_ns: Counter,
    /// Times a blocking map slept for a slot.
    pub(crate) waits: Counter,
    pub(crate) wait_ns: Counter,
    /// `try_map`s refused because no slot was free or idle.
    pub(crate) try_failures: Counter,
    /// Blocking maps that gave up after their timeout.
    pub(crate) timeouts: Counter,
    /// Blocking maps interrupted by a signal.
    pub(crate) interrupted: Counter,
    /// The most slots in use at once.
    pub(crate) high_water: AtomicU32,
}

/// Why a map did not get a slot.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum MapError {
    /// Every slot is mapped by someone: nothing to flush.
    Full,
    /// The page already has the most users a slot can count.
    TooManyUsers,
}

/// The part of the pool that only the lock holder touches.
pub(crate) struct Locked<B> {
    /// Free slots, a stack: `free[..free_len]`.
    free: B,
    free_len: usize,
    /// Room for one flush's list of slots.
    scratch: B,
}

impl<B: DerefMut<Target = [u32]>> Locked<B> {
    /// `free` and `scratch` must each hold as many entries as there are
    /// slots. Every slot starts free.
    pub(crate) fn new(mut free: B, scratch: B) -> Self {
        let n = free.len();
        for (i, f) in free.iter_mut().enumerate() {
            // Hand out low slots first.
            *f = (n - 1 - i) as u32;
        }
        Locked { free, free_len: n, scratch }
    }

    /// How many slots are on the free stack.
    pub(crate) fn free_slots(&self) -> usize {
        self.free_len
    }
}

/// A snapshot of one slot, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotView {
    Free,
    /// Mapped with `users` users (0: idle, awaiting a flush).
    Mapped { pfn: u32, users: u32 },
    Flushing { pfn: u32 },
}

/// The shared, lock-free part of the pool.
pub(crate) struct Core<A> {
    state: A,
    pfn: A,
    /// Lookup chains: `next[slot]` and `buckets[hash]` hold slot + 1, 0 ends.
    next: A,
    buckets: A,
    bucket_shift: u32,
    in_use: AtomicU32,
    idle: AtomicU32,
    pub(crate) stats: Stats,
}

impl<A: Deref<Target = [AtomicU32]>> Core<A> {
    /// `state`, `pfn` and `next` hold one zeroed entry per slot; `buckets` a
    /// zeroed power of two of them, at least 2.
    pub(crate) fn new(state: A, pfn: A, next: A, buckets: A) -> Self {
        debug_assert!(buckets.len().is_power_of_two() && buckets.len() >= 2);
        let bucket_shift = 32 - buckets.len().trailing_zeros();
        Core {
            state,
            pfn,
            next,
            buckets,
            bucket_shift,
            in_use: AtomicU32::new(0),
            idle: AtomicU32::new(0),
            stats: Stats::default(),
        }
    }

    /// How many slots the pool has.
    pub(crate) fn slots(&self) -> u32 {
        self.state.len() as u32
    }

    /// Slots with at least one user (see `became_used` on exactness).
    pub(crate) fn in_use(&self) -> u32 {
        self.in_use.load(Ordering::Relaxed).min(self.slots())
    }

    /// Slots with no user whose PTE still maps a page (awaiting a flush).
    /// A hit can take a slot back before its releaser has counted it idle,
    /// so the counter can dip below zero for an instant: read as 0.
    pub(crate) fn idle(&self) -> u32 {
        let v = self.idle.load(Ordering::Relaxed);
        if v > self.slots() {
            0
        } else {
            v
        }
    }

    fn bucket(&self, pfn: u32) -> usize {
        (pfn.wrapping_mul(0x9e37_79b1) >> self.bucket_shift) as usize
    }

    fn became_used(&self) {
        // `in_use` moves next to, not with, the state words: while a last
        // release and a hit race on one slot it can count that slot twice
        // for an instant. Exact whenever the pool is quiet.
        let now = self.in_use.fetch_add(1, Ordering::Relaxed) + 1;
        self.stats.high_water.fetch_max(now.min(self.slots()), Ordering::Relaxed);
    }

    /// Lock-free: if page `pfn` is in a slot (mapped or idle), takes a
    /// reference on it and returns the slot.
    pub(crate) fn try_hit(&self, pfn: u32) -> Result<Option<u32>, MapError> {
        let mut link = self.buckets[self.bucket(pfn)].load(Ordering::Acquire);
        // Chains change under us; bound the walk in case one is mid-change.
        let mut steps = 0;
        while link != 0 && steps <= self.state.len() {
            let slot = (link - 1) as usize;
            loop {
                let s = self.state[slot].load(Ordering::Acquire);
                if s & (VALID | FLUSHING) != VALID || self.pfn[slot].load(Ordering::Acquire) != pfn {
                    break;
                }
                if s & USERS == USERS {
                    return Err(MapError::TooManyUsers);
                }
                // Same state word, same generation: the slot still maps `pfn`,
                // unless the 14-bit generation wrapped while we were away.
                if self.state[slot].compare_exchange(s, s + 1, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    if s & USERS == 0 {
                        self.idle.fetch_sub(1, Ordering::Relaxed);
                        self.became_used();
                    }
                    // Our reference pins the slot: its pfn cannot change now.
                    if self.pfn[slot].load(Ordering::Acquire) != pfn {
                        self.drop_ref(slot as u32);
                        continue;
                    }
                    self.stats.hits.inc();
                    return Ok(Some(slot as u32));
                }
            }
            link = self.next[slot].load(Ordering::Acquire);
            steps += 1;
        }
        Ok(None)
    }

    /// Lock-free: drops one reference on `slot`. Returns true when that was
    /// the last one (the slot is now idle, and a flush can reclaim it).
    ///
    /// The caller must hold a reference on `slot` from `try_hit` or
    /// `map_locked`; each reference is released once.
    pub(crate) fn release(&self, slot: u32) -> bool {
        self.stats.unmaps.inc();
        self.drop_ref(slot)
    }

    fn drop_ref(&self, slot: u32) -> bool {
        let old = self.state[slot as usize].fetch_sub(1, Ordering::SeqCst);
        debug_assert!(old & USERS != 0 && old & VALID != 0);
        if old & USERS == 1 {
            self.in_use.fetch_sub(1, Ordering::Relaxed);
            self.idle.fetch_add(1, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    /// With the lock held: maps `page` (frame `pfn`), taking a free slot if
    /// it is not in one already, flushing idle slots first if none is free.
    pub(crate) fn map_locked<W, B>(&self, l: &mut Locked<B>, pfn: u32, page: &W::Page, w: &W) -> Result<u32, MapError>
    where
        W: Window,
        B: DerefMut<Target = [u32]>,
    {
        if let Some(slot) = self.try_hit(pfn)? {
            return Ok(slot);
        }
        if l.free_len == 0 && self.flush_locked(l, w) == 0 {
            return Err(MapError::Full);
        }
        l.free_len -= 1;
        let slot = l.free[l.free_len];
        let i = slot as usize;
        self.pfn[i].store(pfn, Ordering::Relaxed);
        w.set(slot, page);
        let gen = (self.state[i].load(Ordering::Relaxed) & !(GEN_ONE - 1)).wrapping_add(GEN_ONE);
        // Publish: the PTE and pfn are written before the state says VALID.
        self.state[i].store(gen | VALID | 1, Ordering::Release);
        let b = self.bucket(pfn);
        self.next[i].store(self.buckets[b].load(Ordering::Relaxed), Ordering::Relaxed);
        self.buckets[b].store(slot + 1, Ordering::Release);
        self.became_used();
        self.stats.misses.inc();
        Ok(slot)
    }

    /// Takes `slot` off its lookup chain (lock held).
    fn unlink(&self, slot: u32) {
        let b = self.bucket(self.pfn[slot as usize].load(Ordering::Relaxed));
        let after = self.next[slot as usize].load(Ordering::Relaxed);
        let mut link = &self.buckets[b];
        loop {
            let cur = link.load(Ordering::Relaxed);
            if cur == 0 {
                debug_assert!(false, "slot {slot} not on its chain");
                return;
            }
            if cur == slot + 1 {
                link.store(after, Ordering::Release);
                return;
            }
            link = &self.next[(cur - 1) as usize];
        }
    }

    /// With the lock held: flushes every idle slot in one batch and puts
    /// them back on the free stack. Returns how many it flushed.
    pub(crate) fn flush_locked<W, B>(&self, l: &mut Locked<B>, w: &W) -> usize
    where
        W: Window,
        B: DerefMut<Target = [u32]>,
    {
        let start = w.now_ns();
        let mut n = 0;
        for slot in 0..self.state.len() {
            let s = self.state[slot].load(Ordering::Acquire);
            if s & (VALID | FLUSHING | USERS) != VALID {
                continue;
            }
            // Fails if a hit took the slot back meanwhile: then it stays.
            if self.state[slot].compare_exchange(s, s | FLUSHING, Ordering::AcqRel, Ordering::Relaxed).is_err() {
                continue;
            }
            self.unlink(slot as u32);
            w.clear(slot as u32);
            l.scratch[n] = slot as u32;
            n += 1;
        }
        if n == 0 {
            return 0;
        }
        w.flush(&l.scratch[..n]);
        for i in 0..n {
            let slot = l.scratch[i];
            let s = self.state[slot as usize].load(Ordering::Relaxed);
            self.state[slot as usize].store(s & !(VALID | FLUSHING), Ordering::Release);
            l.free[l.free_len] = slot;
            l.free_len += 1;
        }
        self.idle.fetch_sub(n as u32, Ordering::Relaxed);
        self.stats.flushes.inc();
        self.stats.slots_flushed.add(n as u64);
        self.stats.flush_ns.add(w.now_ns().saturating_sub(start));
        n
    }

    /// What `slot` holds now (a racy snapshot, for display).
    pub(crate) fn view(&self, slot: u32) -> SlotView {
        let s = self.state[slot as usize].load(Ordering::Acquire);
        let pfn = self.pfn[slot as usize].load(Ordering::Relaxed);
        match (s & VALID != 0, s & FLUSHING != 0) {
            (false, _) => SlotView::Free,
            (true, true) => SlotView::Flushing { pfn },
            (true, false) => SlotView::Mapped { pfn, users: s & USERS },
        }
    }
}
