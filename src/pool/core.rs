// SPDX-License-Identifier: GPL-2.0

//! The pool's logic: slot states, the page-to-slot lookup, the free-slot
//! stack, flush batching and statistics.
//!
//! Pure Rust with no kernel types: it is compiled into the module and into
//! the host test crate (`tests/host`), where many threads hammer it against
//! a model window and `loom` checks every interleaving of small cases. The
//! kernel parts (PTE writes, TLB flushes, time) come in through the
//! [`Window`] trait; locking and waiting are the caller's. The atomics come
//! from `super::atomic` (the kernel's `core` ones in the module, `loom`'s in
//! the model checks).
//!
//! # Safety
//!
//! The window's PTE and memory operations are `unsafe`: their
//! preconditions are this protocol. This file is where they are met, and
//! the only place above `crate::sys` where `unsafe` appears:
//!
//! - every reference on a slot is a [`SlotRef`] token, minted only when the
//!   state word's user count was raised for it, consumed by
//!   [`Core::release`] (it is neither `Clone` nor `Copy`), and tagged with
//!   the id of the core that minted it, so a token can never release or read
//!   another pool's slot;
//! - a token alone gives no access to memory: [`Core::read`] also takes a
//!   shared borrow of the page and [`Core::write`] an exclusive one, and both
//!   check that the token's slot maps that very page. So Rust's borrow rules
//!   on the page, not the caller's care, keep writers and readers apart;
//! - the core owns its window, and [`Locked`] carries the same id, so the
//!   locked half of one pool cannot be used with another.
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

use super::atomic::{AtomicU32, Ordering};
use core::ops::{Deref, DerefMut};

const USERS: u32 = 0xffff;
const VALID: u32 = 1 << 16;
const FLUSHING: u32 = 1 << 17;
const GEN_SHIFT: u32 = 18;
const GEN_ONE: u32 = 1 << GEN_SHIFT;

/// The kernel side of the pool: one PTE per slot, TLB flushes, access to
/// memory through a slot, and running code on every CPU.
pub(crate) trait Window {
    /// What a slot maps.
    type Page: ?Sized;
    /// How many slots the window has.
    fn slots(&self) -> u32;
    /// The frame number of `page`.
    fn pfn(page: &Self::Page) -> u32;
    /// Points `slot`'s PTE at `page`.
    ///
    /// # Safety
    ///
    /// `slot < slots()`; its PTE is clear and flushed from every TLB since;
    /// nobody accesses memory through it until this returns.
    unsafe fn set(&self, slot: u32, page: &Self::Page);
    /// Clears `slot`'s PTE. TLBs may keep it until [`Window::flush`].
    ///
    /// # Safety
    ///
    /// `slot < slots()`, and nobody holds it.
    unsafe fn clear(&self, slot: u32);
    /// Removes `slots` from every CPU's TLB; returns when all are done.
    fn flush(&self, slots: &[u32]);
    /// Copies from the page `slot` maps, at `offset`; `Err` out of range.
    ///
    /// # Safety
    ///
    /// The caller holds a reference on `slot`; nobody writes the page
    /// meanwhile.
    unsafe fn read(&self, slot: u32, offset: usize, buf: &mut [u8]) -> Result<(), ()>;
    /// Copies into the page `slot` maps, at `offset`; `Err` out of range.
    ///
    /// # Safety
    ///
    /// The caller holds a reference on `slot` and may write the page: nobody
    /// else reads or writes it meanwhile.
    unsafe fn write(&self, slot: u32, offset: usize, data: &[u8]) -> Result<(), ()>;
    /// Runs `f(cpu)` on every CPU, with interrupts off, and returns when all
    /// have.
    ///
    /// # Safety
    ///
    /// `f` must not sleep nor take a lock that is also taken with
    /// interrupts on (the pool's lock), so it must not map, unmap or drop
    /// pool mappings.
    unsafe fn on_each_cpu(&self, f: &(dyn Fn(u32) + Sync));
    /// A monotonic clock in nanoseconds, for statistics.
    fn now_ns(&self) -> u64;
}

/// Pool ids: each [`Core`] gets a new one (never 0), which its tokens and
/// its [`Locked`] half carry.
static NEXT_ID: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(1);

fn new_id() -> u32 {
    // Ids are only compared; a wrap after 2^32 pools would still leave the
    // previous owner of an id long gone.
    match NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed) {
        0 => NEXT_ID.fetch_add(1, core::sync::atomic::Ordering::Relaxed),
        id => id,
    }
}

/// One reference on one slot of one pool: proof that the slot's PTE maps
/// the page it was taken for, until [`Core::release`] consumes it.
///
/// # Invariants
///
/// Made only by [`Core::try_hit`] and [`Core::map_locked`] of the core whose
/// id is `owner`, after raising `slot`'s user count by one; that count is
/// lowered only by [`Core::release`] of this token. Not `Clone`.
#[derive(Debug)]
pub(crate) struct SlotRef {
    slot: u32,
    owner: u32,
}

impl SlotRef {
    /// The slot this reference holds.
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }
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
    /// The locked half or a token belongs to another pool.
    WrongPool,
}

/// The part of the pool that only the lock holder touches.
pub(crate) struct Locked<B> {
    /// The id of the core this belongs to.
    owner: u32,
    /// Free slots, a stack: `free[..free_len]`.
    free: B,
    free_len: usize,
    /// Room for one flush's list of slots.
    scratch: B,
}

impl<B: DerefMut<Target = [u32]>> Locked<B> {
    fn new(owner: u32, mut free: B, scratch: B) -> Self {
        let n = free.len();
        for (i, f) in free.iter_mut().enumerate() {
            // Hand out low slots first.
            *f = (n - 1 - i) as u32;
        }
        Locked { owner, free, free_len: n, scratch }
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

/// The shared, lock-free part of the pool, and its window.
pub(crate) struct Core<A, W> {
    id: u32,
    window: W,
    state: A,
    pfn: A,
    /// Lookup chains: `next[slot]` and `buckets[hash]` hold slot + 1, 0 ends.
    next: A,
    buckets: A,
    bucket_shift: u32,
    in_use: AtomicU32,
    idle: AtomicU32,
    /// Bumped whenever a slot may have become available: a last release
    /// (the slot is idle) or a flush that freed slots. Waiters sleep until
    /// it moves (`Core::events`).
    events: AtomicU32,
    pub(crate) stats: Stats,
}

/// The storage a core is made from: `state`, `pfn` and `next` hold one
/// zeroed entry per slot of the window, `buckets` a zeroed power of two of
/// them (at least 2); `free` and `scratch` one entry per slot.
pub(crate) struct Parts<A, B> {
    pub(crate) state: A,
    pub(crate) pfn: A,
    pub(crate) next: A,
    pub(crate) buckets: A,
    pub(crate) free: B,
    pub(crate) scratch: B,
}

impl<A: Deref<Target = [AtomicU32]>, W: Window> Core<A, W> {
    /// A core over `window` with every slot free, and its locked half (for
    /// the caller's lock). `Err` if the parts do not fit the window.
    pub(crate) fn new<B: DerefMut<Target = [u32]>>(window: W, p: Parts<A, B>) -> Result<(Self, Locked<B>), ()> {
        let n = window.slots() as usize;
        if [p.state.len(), p.pfn.len(), p.next.len(), p.free.len(), p.scratch.len()].iter().any(|&l| l != n)
            || !p.buckets.len().is_power_of_two()
            || p.buckets.len() < 2
            || n >= USERS as usize
        {
            return Err(());
        }
        let bucket_shift = 32 - p.buckets.len().trailing_zeros();
        let id = new_id();
        let (state, pfn, next, buckets) = (p.state, p.pfn, p.next, p.buckets);
        let core = Core {
            id,
            window,
            state,
            pfn,
            next,
            buckets,
            bucket_shift,
            in_use: AtomicU32::new(0),
            idle: AtomicU32::new(0),
            events: AtomicU32::new(0),
            stats: Stats::default(),
        };
        Ok((core, Locked::new(id, p.free, p.scratch)))
    }

    /// The window (for its safe methods: addresses, PTE reads, flushes).
    pub(crate) fn window(&self) -> &W {
        &self.window
    }

    fn mint(&self, slot: u32) -> SlotRef {
        // INVARIANT: the callers have just raised `slot`'s user count.
        SlotRef { slot, owner: self.id }
    }

    fn owns(&self, r: &SlotRef) -> bool {
        r.owner == self.id
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

    /// A count of the events after which a slot may be available (last
    /// releases, flushes that freed slots). A map that found the pool full
    /// after reading `n` need not look again before it differs from `n`.
    pub(crate) fn events(&self) -> u32 {
        self.events.load(Ordering::SeqCst)
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
    /// reference on it.
    pub(crate) fn try_hit(&self, pfn: u32) -> Result<Option<SlotRef>, MapError> {
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
                    return Ok(Some(self.mint(slot as u32)));
                }
            }
            link = self.next[slot].load(Ordering::Acquire);
            steps += 1;
        }
        Ok(None)
    }

    /// Lock-free: drops the reference `r`. Returns true when that was the
    /// last one on its slot (the slot is now idle, and a flush can reclaim
    /// it). A token of another pool is refused (`WrongPool`) and its slot
    /// stays held: it belongs to a pool that is still alive somewhere.
    pub(crate) fn release(&self, r: SlotRef) -> Result<bool, MapError> {
        if !self.owns(&r) {
            return Err(MapError::WrongPool);
        }
        self.stats.unmaps.inc();
        Ok(self.drop_ref(r.slot))
    }

    /// Whether `r` is this core's and its slot maps `page`: the check that
    /// lets a token plus a borrow of the page reach the page's memory.
    fn maps(&self, r: &SlotRef, page: &W::Page) -> bool {
        // The token pins its slot, so `pfn[slot]` cannot change meanwhile.
        self.owns(r) && self.pfn[r.slot as usize].load(Ordering::Acquire) == W::pfn(page)
    }

    /// Copies from `page`, which `r` maps, at `offset`, through the slot.
    /// `Err` past the page, for another pool's token, or if `r` maps
    /// another page.
    pub(crate) fn read(&self, r: &SlotRef, page: &W::Page, offset: usize, buf: &mut [u8]) -> Result<(), ()> {
        if !self.maps(r, page) {
            return Err(());
        }
        // SAFETY: `r` is a live reference on its slot of this core's window
        // (token invariant), and that slot maps `page` (checked). The shared
        // borrow of `page` excludes every writer: writing needs `&mut`.
        unsafe { self.window.read(r.slot, offset, buf) }
    }

    /// Copies `data` into `page`, which `r` maps, at `offset`, through the
    /// slot. `Err` as for [`Core::read`].
    pub(crate) fn write(&self, r: &SlotRef, page: &mut W::Page, offset: usize, data: &[u8]) -> Result<(), ()> {
        if !self.maps(r, page) {
            return Err(());
        }
        // SAFETY: as in `read`; the exclusive borrow of `page` excludes
        // every other reader and writer.
        unsafe { self.window.write(r.slot, offset, data) }
    }

    /// Reads one 32-bit word of each page through its slot (`(token, page,
    /// offset, expected)`) on every CPU, with interrupts off, comparing
    /// with the expected value. Returns how many CPUs ran and how many
    /// reads differed or were refused.
    pub(crate) fn check_on_each_cpu(&self, items: &[(&SlotRef, &W::Page, usize, u32)]) -> (u32, u32)
    where
        Self: Sync,
        W::Page: Sync,
    {
        let ran = AtomicU32::new(0);
        let bad = AtomicU32::new(0);
        if items.iter().any(|(r, page, _, _)| !self.maps(r, page)) {
            return (0, items.len() as u32);
        }
        let f = |_cpu: u32| {
            ran.fetch_add(1, Ordering::Relaxed);
            for (r, _, offset, want) in items {
                let mut w = [0u8; 4];
                // SAFETY: each token is live and maps its page (checked
                // above); the shared borrows in `items` keep tokens and
                // pages alive and writers out for the whole call.
                let ok = unsafe { self.window.read(r.slot, *offset, &mut w) };
                if ok.is_err() || u32::from_ne_bytes(w) != *want {
                    bad.fetch_add(1, Ordering::Relaxed);
                }
            }
        };
        // SAFETY: `f` only reads through held slots and updates atomics: it
        // neither sleeps nor takes a lock.
        unsafe { self.window.on_each_cpu(&f) };
        (ran.load(Ordering::Relaxed), bad.load(Ordering::Relaxed))
    }

    fn drop_ref(&self, slot: u32) -> bool {
        let old = self.state[slot as usize].fetch_sub(1, Ordering::SeqCst);
        debug_assert!(old & USERS != 0 && old & VALID != 0);
        if old & USERS == 1 {
            self.in_use.fetch_sub(1, Ordering::Relaxed);
            self.idle.fetch_add(1, Ordering::Relaxed);
            self.events.fetch_add(1, Ordering::SeqCst);
            true
        } else {
            false
        }
    }

    /// With the lock held: maps `page` (frame `pfn`), taking a free slot if
    /// it is not in one already, flushing idle slots first if none is free.
    pub(crate) fn map_locked<B>(&self, l: &mut Locked<B>, page: &W::Page) -> Result<SlotRef, MapError>
    where
        B: DerefMut<Target = [u32]>,
    {
        let pfn = W::pfn(page);
        if l.owner != self.id {
            return Err(MapError::WrongPool);
        }
        if let Some(r) = self.try_hit(pfn)? {
            return Ok(r);
        }
        if l.free_len == 0 && self.flush_locked(l) == 0 {
            return Err(MapError::Full);
        }
        l.free_len -= 1;
        let slot = l.free[l.free_len];
        let i = slot as usize;
        self.pfn[i].store(pfn, Ordering::Relaxed);
        // SAFETY: `slot` came off the free stack, which holds only slots
        // below `slots()` whose PTE was cleared and then flushed on every
        // CPU (`flush_locked` pushes them after `Window::flush` returns), and
        // which nobody can reach: its state is not VALID, so hits skip it.
        unsafe { self.window.set(slot, page) };
        let gen = (self.state[i].load(Ordering::Relaxed) & !(GEN_ONE - 1)).wrapping_add(GEN_ONE);
        // Publish: the PTE and pfn are written before the state says VALID.
        self.state[i].store(gen | VALID | 1, Ordering::Release);
        let b = self.bucket(pfn);
        self.next[i].store(self.buckets[b].load(Ordering::Relaxed), Ordering::Relaxed);
        self.buckets[b].store(slot + 1, Ordering::Release);
        self.became_used();
        self.stats.misses.inc();
        Ok(self.mint(slot))
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
    pub(crate) fn flush_locked<B>(&self, l: &mut Locked<B>) -> usize
    where
        B: DerefMut<Target = [u32]>,
    {
        if l.owner != self.id {
            return 0;
        }
        let w = &self.window;
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
            // SAFETY: the CAS above moved the slot from idle (VALID, no
            // users) to FLUSHING, which hits refuse, so nobody holds it or
            // can take it until it is freed below.
            unsafe { w.clear(slot as u32) };
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
        self.events.fetch_add(1, Ordering::SeqCst);
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
