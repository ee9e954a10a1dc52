// SPDX-License-Identifier: GPL-2.0

//! The pool's logic: slot states, the page-to-slot lookup, per-CPU
//! magazines of clean slots, per-CPU dirty lists, flushing by generation,
//! and statistics.
//!
//! Pure Rust with no kernel types: it is compiled into the module and into
//! the host test crate (`tests/host`), where many threads hammer it against
//! a model window and `loom` checks every interleaving of small cases. The
//! kernel parts (PTE writes, TLB flushes, the CPU number, time) come in
//! through the [`Window`] trait; waiting is the caller's. The atomics come
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
//! - a slot is set only when it comes out of a magazine or the depot, which
//!   hold only slots whose PTE was cleared and then flushed on every CPU; it
//!   is cleared only by the flush that claimed it idle.
//!
//! # Slots
//!
//! Each slot has one state word:
//!
//! ```text
//!  31         19   18       17        16      15           0
//! +-------------+--------+----------+-------+--------------+
//! | generation  | LISTED | FLUSHING | VALID |    users     |
//! +-------------+--------+----------+-------+--------------+
//! ```
//!
//! - clean: `VALID` clear. PTE clear and flushed from every TLB; in a CPU's
//!   magazine or in the depot.
//! - mapped: `VALID`, users > 0. The PTE maps the page whose pfn is in
//!   `pfn[slot]`, and the slot is on the lookup chain of that pfn.
//! - idle: `VALID`, users = 0, `LISTED`. Unmapped lazily: the PTE still
//!   maps the page, the slot is on a CPU's dirty list, and a new map of the
//!   same page takes the slot back without touching the PTE (a hit).
//! - flushing: `VALID | FLUSHING`, users = 0: claimed by a flush. Hits
//!   fail; the flush clears the PTE, flushes TLBs on all CPUs, then puts
//!   the slot in the depot.
//!
//! `LISTED` says the slot is on a dirty list (so a last release does not
//! push it twice). A slot taken back by a hit keeps it; the flush that
//! finds such a slot in use clears it, and its next last release lists it
//! again. The generation changes every time a clean slot is given a page,
//! so a hit that read the state of a slot's previous life cannot take a
//! reference on its new one (no ABA, short of 8192 lives in one read).
//!
//! # Per-CPU structure
//!
//! Slots are split into one region per CPU, so that the state words and
//! PTEs of slots one CPU uses share no cache line with another CPU's
//! (16 state words, or non-PAE PTEs, per 64-byte line; 8 PAE PTEs), except
//! where two regions meet. Each CPU has, on its own cache lines
//! ([`PerCpu`]):
//!
//! - a magazine of up to [`MAG`] clean slots, refilled a batch at a time
//!   from the depot, its own region first: a miss is a pop from it and a
//!   PTE write;
//! - a dirty list, lock-free, onto which the last release of a slot of its
//!   region pushes the slot, and which a flush takes whole;
//! - its statistics, 64-bit counters summed when read: misses by the
//!   CPU that made them, hits by the region of the slot they found, so
//!   that neither a hit nor an unmap needs the CPU number. Unmaps are not
//!   counted at all: they are the maps less the references alive.
//!
//! The depot holds the clean slots no magazine holds, one stack per region.
//!
//! # Flushing
//!
//! Unmapping never flushes. A flush takes every dirty list, claims the
//! slots still idle, unlinks them, clears their PTEs, flushes all of them
//! from every CPU's TLB in one round (one IPI per CPU, however many slots),
//! and only then puts them in the depot; the window lets go of the frames
//! then too. One flush runs at a time, with preemption off from start to
//! end (its busy flag is a lock others may spin on); each completed flush
//! bumps the flush generation. A flush starts:
//!
//! - early, when a magazine refill leaves fewer clean slots in the depot
//!   than the low watermark ([`Core::low_watermark`]: two batches per other
//!   CPU, as `lazy_max_pages()` scales the vmap purge threshold with the
//!   CPU count) and enough slots are dirty to be worth a round; the CPU
//!   that refilled runs it, after taking its slot, so the other CPUs go on
//!   popping clean slots meanwhile;
//! - when a map finds no clean slot anywhere (an explicit flush too).
//!
//! A map that finds no clean slot while another CPU flushes spins until
//! that flush ends (a few times at most) and looks again; one that finds
//! no clean slot, none to flush and none in another CPU's magazine fails
//! with [`MapError::Full`].
//!
//! # Locks
//!
//! The magazines, the depot and each lookup chain are guarded by bit locks
//! (one atomic word each, as `hlist_bl` does), held for a few instructions
//! with the CPU pinned ([`Window::pin_cpu`]: preemption off). They nest in
//! one order only, magazine then depot; a bucket lock is taken alone; the
//! flush holds its busy flag around them, and no bit lock across its IPI
//! round. Taking a reference on
//! a mapped or idle slot ([`Core::try_hit`]) and dropping one
//! ([`Core::release`]) take no lock: a CAS or an atomic decrement on the
//! slot's state word, and for a last release a CAS setting `LISTED` and one
//! on its region's dirty list head.

use super::atomic::{AtomicU32, Ordering};
use core::marker::PhantomData;
use core::ops::Deref;

const USERS: u32 = 0xffff;
const VALID: u32 = 1 << 16;
const FLUSHING: u32 = 1 << 17;
const LISTED: u32 = 1 << 18;
const GEN_SHIFT: u32 = 19;
const GEN_ONE: u32 = 1 << GEN_SHIFT;

/// The most clean slots a CPU's magazine holds.
pub(crate) const MAG: usize = 32;

/// How many other CPUs' flushes a map waits for before it runs its own or
/// reports the pool full.
const MAX_FLUSH_WAITS: u32 = 4;

/// A bucket word's lock bit; the rest is the chain's first slot + 1.
const BUCKET_LOCK: u32 = 1 << 31;

/// The kernel side of the pool: one PTE per slot, TLB flushes, access to
/// memory through a slot, CPU numbers, and running code on every CPU.
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
    /// Removes the slots listed in `slots` from every CPU's TLB, then lets
    /// go of the frames they mapped (the window keeps a reference on a
    /// slot's frame from [`Window::set`] until then); returns when all is
    /// done.
    ///
    /// # Safety
    ///
    /// Every listed slot is below `slots()`, was cleared by
    /// [`Window::clear`] since it was last set, and nobody holds it.
    unsafe fn flush(&self, slots: &[AtomicU32]);
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
    /// The page `slot` maps, as a slice living `'a`; `Err` for a slot
    /// outside the window.
    ///
    /// # Safety
    ///
    /// The window outlives `'a`, the caller holds a reference on `slot` for
    /// all of `'a`, and nobody writes the page during `'a`.
    unsafe fn bytes<'a>(&self, slot: u32) -> Result<&'a [u8], ()>;
    /// As [`Window::bytes`], writable.
    ///
    /// # Safety
    ///
    /// The window outlives `'a`, the caller holds a reference on `slot` for
    /// all of `'a`, and nobody else reads or writes the page during `'a`.
    unsafe fn bytes_mut<'a>(&self, slot: u32) -> Result<&'a mut [u8], ()>;
    /// Runs `f(cpu)` on every CPU, with interrupts off, and returns when all
    /// have.
    ///
    /// # Safety
    ///
    /// `f` must not sleep nor take a lock that is also taken with
    /// interrupts on, so it must not map, unmap or drop pool mappings.
    unsafe fn on_each_cpu(&self, f: &(dyn Fn(u32) + Sync));
    /// Keeps the caller on its CPU (preemption off) until
    /// [`Window::unpin_cpu`]; returns that CPU's number.
    fn pin_cpu(&self) -> u32;
    /// Ends the latest [`Window::pin_cpu`].
    ///
    /// # Safety
    ///
    /// Pairs with a [`Window::pin_cpu`] of the same thread, not yet ended.
    unsafe fn unpin_cpu(&self);
    /// Called in each turn of a spin loop (`cpu_relax()`).
    fn relax(&self);
    /// A monotonic clock in nanoseconds, for statistics.
    fn now_ns(&self) -> u64;
}

/// Pool ids: each [`Core`] gets a new one (never 0), which its tokens carry.
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
/// Made only by [`Core`] of the core whose id is `owner`, after raising
/// `slot`'s user count by one; that count is lowered only by
/// [`Core::release`] of this token. Not `Clone`.
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
        // The fast paths' counter: one add, and a carry once in 2^32.
        if self.lo.fetch_add(1, Ordering::Relaxed) == u32::MAX {
            self.hi.fetch_add(1, Ordering::Relaxed);
        }
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

/// What the pool counts off the fast path, in one place. Times are in
/// nanoseconds.
#[derive(Default)]
pub(crate) struct Stats {
    /// Completed flushes (one TLB-flush round on every CPU each).
    pub(crate) flushes: Counter,
    pub(crate) slots_flushed: Counter,
    pub(crate) flush_ns: Counter,
    /// Flushes started early, at the low watermark.
    pub(crate) early_flushes: Counter,
    /// Magazine refills from the depot.
    pub(crate) refills: Counter,
    /// Clean slots taken from another CPU's magazine.
    pub(crate) steals: Counter,
    /// Times a map spun waiting for another CPU's flush.
    pub(crate) flush_waits: Counter,
    /// Times a blocking map slept for a slot.
    pub(crate) waits: Counter,
    pub(crate) wait_ns: Counter,
    /// `try_map`s refused because no slot was clean or idle.
    pub(crate) try_failures: Counter,
    /// Blocking maps that gave up after their timeout.
    pub(crate) timeouts: Counter,
    /// Blocking maps interrupted by a signal.
    pub(crate) interrupted: Counter,
    /// The most slots in use at once, as seen at each refill and flush and
    /// whenever the counts are read.
    pub(crate) high_water: AtomicU32,
}

/// What one CPU counts on the fast path.
#[derive(Default)]
pub(crate) struct CpuStats {
    /// Maps that found the page already in a slot of this CPU's region
    /// (counted where the slot lives: the fast path needs no CPU number).
    pub(crate) hits: Counter,
    /// Maps on this CPU that gave the page a new slot.
    pub(crate) misses: Counter,
}

/// One CPU's part of the pool, on cache lines of its own.
#[repr(align(64))]
pub(crate) struct PerCpu {
    /// Bit lock of the magazine.
    lock: AtomicU32,
    mag_len: AtomicU32,
    mag: [AtomicU32; MAG],
    /// First slot + 1 of the dirty list (0: empty); pushed lock-free.
    dirty_head: AtomicU32,
    /// How many slots were pushed onto the dirty list and not yet taken.
    dirty: AtomicU32,
    pub(crate) stats: CpuStats,
}

impl PerCpu {
    pub(crate) fn new() -> Self {
        PerCpu {
            lock: AtomicU32::new(0),
            mag_len: AtomicU32::new(0),
            mag: core::array::from_fn(|_| AtomicU32::new(0)),
            dirty_head: AtomicU32::new(0),
            dirty: AtomicU32::new(0),
            stats: CpuStats::default(),
        }
    }
}

/// Sums of every CPU's [`CpuStats`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) unmaps: u64,
    pub(crate) in_use: u32,
}

/// One CPU's part, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CpuView {
    /// Clean slots in its magazine.
    pub(crate) magazine: u32,
    /// Slots of its region on the dirty list.
    pub(crate) dirty: u32,
    /// Clean slots of its region in the depot.
    pub(crate) depot: u32,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

/// Why a map did not get a slot.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum MapError {
    /// Every slot is mapped by someone: nothing to flush.
    Full,
    /// The page already has the most users a slot can count.
    TooManyUsers,
    /// A token belongs to another pool.
    WrongPool,
}

/// A snapshot of one slot, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotView {
    Free,
    /// Mapped with `users` users (0: idle, awaiting a flush).
    Mapped { pfn: u32, users: u32 },
    Flushing { pfn: u32 },
}

/// The storage a core is made from: `state`, `pfn`, `next`, `dirty_next`,
/// `depot` and `scratch` hold one zeroed entry per slot of the window,
/// `buckets` a zeroed power of two of them (at least 2), `depot_len` one
/// per CPU, `cpus` one [`PerCpu`] per CPU (1 to 64, and at most one per
/// 8 slots).
pub(crate) struct Parts<A, P> {
    pub(crate) state: A,
    pub(crate) pfn: A,
    pub(crate) next: A,
    pub(crate) buckets: A,
    pub(crate) dirty_next: A,
    pub(crate) depot: A,
    pub(crate) depot_len: A,
    pub(crate) scratch: A,
    pub(crate) cpus: P,
}

/// The pool's core: lock-free slot states and lookup, per-CPU magazines
/// and dirty lists, the depot, and its window.
pub(crate) struct Core<A, P, W> {
    id: u32,
    window: W,
    state: A,
    pfn: A,
    /// Lookup chains: `next[slot]` and `buckets[hash]` hold slot + 1, 0 ends;
    /// bit 31 of a bucket word is that chain's lock.
    next: A,
    buckets: A,
    bucket_shift: u32,
    /// Dirty lists: `dirty_next[slot]` holds the next slot + 1, 0 ends.
    dirty_next: A,
    /// Clean slots no magazine holds: region `r`'s stack starts at
    /// `region_start(r)`, with `depot_len[r]` entries. Guarded by
    /// `depot_lock`.
    depot: A,
    depot_len: A,
    depot_lock: AtomicU32,
    /// The list of slots one flush covers; owned by the flusher.
    scratch: A,
    cpus: P,
    region: u32,
    /// log2(region) when the region is a power of two, else `u32::MAX`.
    region_shift: u32,
    batch: u32,
    /// 1 while a flush runs.
    flush_busy: AtomicU32,
    /// Completed flushes of at least one slot.
    flush_gen: AtomicU32,
    /// Bumped after each flush that freed slots, and by
    /// [`Core::note_event`]: waiters sleep until it moves.
    events: AtomicU32,
    pub(crate) stats: Stats,
}

/// A CPU pinned by [`Window::pin_cpu`], unpinned on drop.
///
/// # Invariants
///
/// Made only by [`Core::pin`] right after `pin_cpu`, on the thread that
/// holds it (it is not `Send`), and dropped once.
struct Pinned<'a, W: Window> {
    window: &'a W,
    cpu: usize,
    _not_send: PhantomData<*const ()>,
}

impl<W: Window> Drop for Pinned<'_, W> {
    fn drop(&mut self) {
        // SAFETY: pairs with the `pin_cpu` that made this guard, on this
        // thread (type invariant).
        unsafe { self.window.unpin_cpu() };
    }
}

/// A bit lock held: bit `bit` of `word`, released on drop.
struct BitGuard<'a> {
    word: &'a AtomicU32,
    bit: u32,
}

impl Drop for BitGuard<'_> {
    fn drop(&mut self) {
        self.word.fetch_and(!self.bit, Ordering::Release);
    }
}

/// Where to find a clean slot for a miss.
enum Clean {
    Slot { slot: u32, early_flush: bool },
    /// None left in the magazine or depot.
    None,
}

/// What [`Core::flush`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Flushed this many slots (maybe 0: none was idle).
    Slots(usize),
    /// Another flush was running; it has completed since.
    Waited,
}

impl<A, P, W> Core<A, P, W>
where
    A: Deref<Target = [AtomicU32]>,
    P: Deref<Target = [PerCpu]>,
    W: Window,
{
    /// A core over `window` with every slot clean. `Err` if the parts do
    /// not fit the window.
    pub(crate) fn new(window: W, p: Parts<A, P>) -> Result<Self, ()> {
        let n = window.slots() as usize;
        let ncpu = p.cpus.len();
        if [p.state.len(), p.pfn.len(), p.next.len(), p.dirty_next.len(), p.depot.len(), p.scratch.len()]
            .iter()
            .any(|&l| l != n)
            || !p.buckets.len().is_power_of_two()
            || p.buckets.len() < 2
            || n >= USERS as usize
            || ncpu == 0
            || ncpu > 64
            || n < 8 * ncpu
            || p.depot_len.len() != ncpu
        {
            return Err(());
        }
        let region = (n / ncpu) as u32;
        let batch = (region / 4).clamp(1, MAG as u32 / 2);
        let core = Core {
            id: new_id(),
            window,
            state: p.state,
            pfn: p.pfn,
            next: p.next,
            bucket_shift: 32 - p.buckets.len().trailing_zeros(),
            buckets: p.buckets,
            dirty_next: p.dirty_next,
            depot: p.depot,
            depot_len: p.depot_len,
            depot_lock: AtomicU32::new(0),
            scratch: p.scratch,
            cpus: p.cpus,
            region,
            region_shift: if region.is_power_of_two() { region.trailing_zeros() } else { u32::MAX },
            batch,
            flush_busy: AtomicU32::new(0),
            flush_gen: AtomicU32::new(0),
            events: AtomicU32::new(0),
            stats: Stats::default(),
        };
        // Every slot in its region's depot stack, lowest on top.
        for r in 0..ncpu {
            let (start, end) = core.region_range(r);
            for (i, slot) in (start..end).rev().enumerate() {
                core.depot[start as usize + i].store(slot, Ordering::Relaxed);
            }
            core.depot_len[r].store(end - start, Ordering::Relaxed);
        }
        Ok(core)
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

    /// How many CPUs it has parts for.
    pub(crate) fn cpus(&self) -> usize {
        self.cpus.len()
    }

    /// Slots per region (the last region also takes the remainder).
    pub(crate) fn region(&self) -> u32 {
        self.region
    }

    /// Clean slots a magazine refill takes from the depot.
    pub(crate) fn batch(&self) -> u32 {
        self.batch
    }

    /// Below this many clean slots in the depot, a refill starts a flush:
    /// two batches for each other CPU (none with one CPU: it may as well
    /// flush when it runs out).
    pub(crate) fn low_watermark(&self) -> u32 {
        2 * self.batch * (self.cpus.len() as u32 - 1)
    }

    /// Completed flushes (of at least one slot) since the pool was made.
    pub(crate) fn flush_gen(&self) -> u32 {
        self.flush_gen.load(Ordering::Acquire)
    }

    fn region_range(&self, r: usize) -> (u32, u32) {
        let start = r as u32 * self.region;
        let end = if r + 1 == self.cpus.len() { self.slots() } else { start + self.region };
        (start, end)
    }

    #[inline(always)]
    fn region_of(&self, slot: u32) -> usize {
        let r = if self.region_shift != u32::MAX { slot >> self.region_shift } else { slot / self.region };
        (r as usize).min(self.cpus.len() - 1)
    }

    fn pin(&self) -> Pinned<'_, W> {
        let cpu = self.cpu_index(self.window.pin_cpu());
        // INVARIANT: right after `pin_cpu`, on this thread.
        Pinned { window: &self.window, cpu, _not_send: PhantomData }
    }

    /// The part for CPU number `cpu` (CPUs past the parts share them).
    fn cpu_index(&self, cpu: u32) -> usize {
        let cpu = cpu as usize;
        if cpu < self.cpus.len() {
            cpu
        } else {
            cpu % self.cpus.len()
        }
    }

    /// Takes the bit lock `bit` of `word`, spinning (the CPU pinned).
    fn bit_lock<'a>(&self, word: &'a AtomicU32, bit: u32) -> BitGuard<'a> {
        loop {
            if word.fetch_or(bit, Ordering::Acquire) & bit == 0 {
                return BitGuard { word, bit };
            }
            while word.load(Ordering::Relaxed) & bit != 0 {
                self.window.relax();
            }
        }
    }

    /// A count of the events after which a slot may be available (flushes
    /// that freed slots, and releases passed to [`Core::note_event`]). A map
    /// that found the pool full after reading `n` need not look again
    /// before it differs from `n`.
    pub(crate) fn events(&self) -> u32 {
        self.events.load(Ordering::SeqCst)
    }

    /// Counts an event (a last release someone may be waiting for).
    pub(crate) fn note_event(&self) {
        self.events.fetch_add(1, Ordering::SeqCst);
    }

    fn bucket(&self, pfn: u32) -> usize {
        (pfn.wrapping_mul(0x9e37_79b1) >> self.bucket_shift) as usize
    }

    /// Sums of the per-CPU counters, and the slots in use (a count of the
    /// state words: racy, exact when the pool is quiet).
    pub(crate) fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for c in self.cpus.iter() {
            t.hits += c.stats.hits.get();
            t.misses += c.stats.misses.get();
        }
        // Every map made one token and every unmap consumed one: the
        // unmaps are the maps less the tokens alive (the users of all
        // slots), which costs the unmap path no counter.
        let (mut in_use, mut users) = (0u32, 0u64);
        for s in self.state.iter() {
            let u = s.load(Ordering::Relaxed) & USERS;
            in_use += u32::from(u != 0);
            users += u64::from(u);
        }
        self.stats.high_water.fetch_max(in_use, Ordering::Relaxed);
        t.in_use = in_use;
        t.unmaps = (t.hits + t.misses).saturating_sub(users);
        t
    }

    /// Slots with no user whose PTE still maps a page (awaiting a flush): a
    /// racy count of the state words, for display.
    pub(crate) fn idle(&self) -> u32 {
        self.state.iter().filter(|s| s.load(Ordering::Relaxed) & (VALID | FLUSHING | USERS) == VALID).count() as u32
    }

    /// Clean slots in the magazines and the depot (racy, for display).
    pub(crate) fn clean(&self) -> u32 {
        self.cpus.iter().map(|c| c.mag_len.load(Ordering::Relaxed)).sum::<u32>() + self.depot_clean()
    }

    /// Clean slots in the depot (racy, for display).
    pub(crate) fn depot_clean(&self) -> u32 {
        self.depot_len.iter().map(|l| l.load(Ordering::Relaxed)).sum()
    }

    /// One CPU's magazine, dirty list and counters (racy, for display).
    pub(crate) fn cpu_view(&self, cpu: usize) -> Option<CpuView> {
        let c = self.cpus.get(cpu)?;
        Some(CpuView {
            magazine: c.mag_len.load(Ordering::Relaxed),
            dirty: c.dirty.load(Ordering::Relaxed),
            depot: self.depot_len[cpu].load(Ordering::Relaxed),
            hits: c.stats.hits.get(),
            misses: c.stats.misses.get(),
        })
    }

    /// Takes a reference on `slot` if it maps `pfn` and is not being
    /// flushed. `Ok(false)`: it does not (any more).
    #[inline(always)]
    fn try_ref(&self, slot: usize, pfn: u32) -> Result<bool, MapError> {
        loop {
            let s = self.state[slot].load(Ordering::Acquire);
            if s & (VALID | FLUSHING) != VALID || self.pfn[slot].load(Ordering::Acquire) != pfn {
                return Ok(false);
            }
            if s & USERS == USERS {
                return Err(MapError::TooManyUsers);
            }
            // Same state word, same generation: the slot still maps `pfn`,
            // unless the generation wrapped while we were away.
            if self.state[slot].compare_exchange(s, s + 1, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                // Our reference pins the slot: its pfn cannot change now.
                if self.pfn[slot].load(Ordering::Acquire) != pfn {
                    self.drop_ref(slot as u32);
                    continue;
                }
                return Ok(true);
            }
        }
    }

    /// Lock-free: if page `pfn` is in a slot (mapped or idle), takes a
    /// reference on it.
    pub(crate) fn try_hit(&self, pfn: u32) -> Result<Option<SlotRef>, MapError> {
        let mut link = self.buckets[self.bucket(pfn)].load(Ordering::Acquire) & !BUCKET_LOCK;
        // Chains change under us; bound the walk in case one is mid-change.
        let mut steps = 0;
        while link != 0 && steps <= self.state.len() {
            let slot = (link - 1) as usize;
            if self.try_ref(slot, pfn)? {
                self.cpus[self.region_of(slot as u32)].stats.hits.inc();
                return Ok(Some(self.mint(slot as u32)));
            }
            link = self.next[slot].load(Ordering::Acquire);
            steps += 1;
        }
        Ok(None)
    }

    /// Lock-free: drops the reference `r`. Returns true when that was the
    /// last one on its slot (the slot is now idle, on a dirty list, and a
    /// flush can reclaim it). A token of another pool is refused
    /// (`WrongPool`) and its slot stays held: it belongs to a pool that is
    /// still alive somewhere.
    pub(crate) fn release(&self, r: SlotRef) -> Result<bool, MapError> {
        if !self.owns(&r) {
            return Err(MapError::WrongPool);
        }
        Ok(self.drop_ref(r.slot))
    }

    /// Drops one user of `slot`; a last release lists it on the dirty list
    /// of its region's CPU.
    fn drop_ref(&self, slot: u32) -> bool {
        let word = &self.state[slot as usize];
        let old = word.fetch_sub(1, Ordering::AcqRel);
        debug_assert!(old & USERS != 0 && old & VALID != 0);
        if old & USERS != 1 {
            return false;
        }
        // The last user: list the slot, unless it is listed already or is
        // no longer idle in this life. Between the decrement and here, a
        // flush may have claimed it (it was listed: FLUSHING now, or clean,
        // or given a new page: another generation), and a hit may have
        // taken it back (then that user's last release lists it). Only a
        // CAS on a state still idle, unlisted and of the same generation
        // lists it, so a slot is on one dirty list at most.
        let mut s = word.load(Ordering::Acquire);
        loop {
            let same_life = s & !(GEN_ONE - 1) == old & !(GEN_ONE - 1);
            if !same_life || s & (VALID | FLUSHING | LISTED | USERS) != VALID {
                return true;
            }
            match word.compare_exchange_weak(s, s | LISTED, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => break,
                Err(now) => s = now,
            }
        }
        self.push_dirty(&self.cpus[self.region_of(slot)], slot);
        true
    }

    /// Pushes `slot` (just marked `LISTED`) onto `c`'s dirty list.
    fn push_dirty(&self, c: &PerCpu, slot: u32) {
        // Counted first, so that a flush taking the list never counts it
        // below zero.
        c.dirty.fetch_add(1, Ordering::Relaxed);
        let mut head = c.dirty_head.load(Ordering::Relaxed);
        loop {
            self.dirty_next[slot as usize].store(head, Ordering::Relaxed);
            match c.dirty_head.compare_exchange_weak(head, slot + 1, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
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

    /// The page `r` maps, through its slot, for as long as the core, `r`
    /// and the shared borrow of `page` last. `Err` as for [`Core::read`].
    pub(crate) fn bytes<'a>(&'a self, r: &'a SlotRef, page: &'a W::Page) -> Result<&'a [u8], ()> {
        if !self.maps(r, page) {
            return Err(());
        }
        // SAFETY: `r` is a live reference on its slot (token invariant) and
        // stays one for `'a`, which it is borrowed for (only `release`,
        // taking it by value, ends it); the slot maps `page` (checked); the
        // shared borrow of `page` for `'a` excludes every writer; the
        // window, owned by the core, is borrowed for `'a` too.
        unsafe { self.window.bytes(r.slot) }
    }

    /// The page `r` maps, writable, for as long as the core, `r` and the
    /// exclusive borrow of `page` last. `Err` as for [`Core::read`].
    pub(crate) fn bytes_mut<'a>(&'a self, r: &'a SlotRef, page: &'a mut W::Page) -> Result<&'a mut [u8], ()> {
        if !self.maps(r, page) {
            return Err(());
        }
        // SAFETY: as in `bytes`; the exclusive borrow of `page` for `'a`
        // excludes every other reader and writer (any other view of the
        // page, through the pool or not, needs a borrow of it).
        unsafe { self.window.bytes_mut(r.slot) }
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

    /// Maps `page`: a hit if it is in a slot already, else a clean slot from
    /// this CPU's magazine (refilled from the depot, flushing idle slots or
    /// taking another CPU's clean slot when it runs dry). `Full` when no
    /// slot is clean or idle.
    pub(crate) fn map(&self, page: &W::Page) -> Result<SlotRef, MapError> {
        if let Some(r) = self.try_hit(W::pfn(page))? {
            return Ok(r);
        }
        self.map_new(page)
    }

    /// [`Core::map`] for a caller whose [`Core::try_hit`] just missed: the
    /// same without that first lock-free look (the locked one remains).
    pub(crate) fn map_new(&self, page: &W::Page) -> Result<SlotRef, MapError> {
        let mut flushed = false;
        let mut waited = 0;
        loop {
            let got = {
                let pin = self.pin();
                match self.take_clean(pin.cpu) {
                    Clean::Slot { slot, early_flush } => Some((self.install(&pin, slot, page), early_flush)),
                    Clean::None => None,
                }
            };
            if let Some((r, early_flush)) = got {
                if early_flush && self.flush_busy.load(Ordering::Relaxed) == 0 && self.flush_once().is_some() {
                    self.stats.early_flushes.inc();
                }
                return r;
            }
            // Nothing in the magazine or the depot: flush idle slots, once,
            // then look elsewhere. Waiting for another CPU's flush does not
            // count as ours (slots may have gone idle during it), but gives
            // up after a few, so that a map under flush after flush ends.
            if !flushed {
                match self.flush() {
                    Flushed::Slots(0) => {}
                    Flushed::Slots(_) => {
                        flushed = true;
                        continue;
                    }
                    Flushed::Waited => {
                        waited += 1;
                        flushed = waited >= MAX_FLUSH_WAITS;
                        continue;
                    }
                }
            }
            if let Some(slot) = self.steal() {
                let pin = self.pin();
                return self.install(&pin, slot, page);
            }
            return Err(MapError::Full);
        }
    }

    /// A clean slot from `cpu`'s magazine, refilled from the depot when
    /// empty; `early_flush` when the depot fell below the low watermark with
    /// enough dirty slots to be worth a flush.
    fn take_clean(&self, cpu: usize) -> Clean {
        let c = &self.cpus[cpu];
        let _mag = self.bit_lock(&c.lock, 1);
        let mut len = c.mag_len.load(Ordering::Relaxed);
        let mut early_flush = false;
        if len == 0 {
            let (got, left) = self.refill(cpu);
            len = got;
            if len == 0 {
                return Clean::None;
            }
            let (mut dirty, mut mags) = (0u32, 0u32);
            for c in self.cpus.iter() {
                dirty += c.dirty.load(Ordering::Relaxed);
                mags += c.mag_len.load(Ordering::Relaxed);
            }
            early_flush = left < self.low_watermark() && dirty >= self.low_watermark().max(self.batch);
            // The slots in use (neither clean nor listed idle), for the
            // high-water mark, once per refill.
            let in_use = self.slots().saturating_sub(left.saturating_add(mags).saturating_add(dirty));
            self.stats.high_water.fetch_max(in_use, Ordering::Relaxed);
        }
        len -= 1;
        let slot = c.mag[len as usize].load(Ordering::Relaxed);
        c.mag_len.store(len, Ordering::Relaxed);
        Clean::Slot { slot, early_flush }
    }

    /// With `cpu`'s magazine locked and empty: moves up to a batch of clean
    /// slots into it from the depot, its own region first. Returns how many
    /// it moved and how many the depot has left.
    fn refill(&self, cpu: usize) -> (u32, u32) {
        let c = &self.cpus[cpu];
        let _depot = self.bit_lock(&self.depot_lock, 1);
        let mut got = 0;
        for k in 0..self.cpus.len() {
            let r = (cpu + k) % self.cpus.len();
            let (start, _) = self.region_range(r);
            let mut len = self.depot_len[r].load(Ordering::Relaxed);
            while len > 0 && got < self.batch {
                len -= 1;
                let slot = self.depot[(start + len) as usize].load(Ordering::Relaxed);
                c.mag[got as usize].store(slot, Ordering::Relaxed);
                got += 1;
            }
            self.depot_len[r].store(len, Ordering::Relaxed);
            if got == self.batch {
                break;
            }
        }
        // Pops take the top: put the first taken (own region, lowest slot)
        // there.
        for i in 0..(got / 2) as usize {
            let j = got as usize - 1 - i;
            let (a, b) = (c.mag[i].load(Ordering::Relaxed), c.mag[j].load(Ordering::Relaxed));
            c.mag[i].store(b, Ordering::Relaxed);
            c.mag[j].store(a, Ordering::Relaxed);
        }
        c.mag_len.store(got, Ordering::Relaxed);
        if got > 0 {
            self.stats.refills.inc();
        }
        (got, self.depot_len.iter().map(|l| l.load(Ordering::Relaxed)).sum())
    }

    /// A clean slot from another CPU's magazine.
    fn steal(&self) -> Option<u32> {
        let pin = self.pin();
        for k in 1..self.cpus.len() {
            let c = &self.cpus[(pin.cpu + k) % self.cpus.len()];
            let _mag = self.bit_lock(&c.lock, 1);
            let len = c.mag_len.load(Ordering::Relaxed);
            if len > 0 {
                c.mag_len.store(len - 1, Ordering::Relaxed);
                self.stats.steals.inc();
                return Some(c.mag[(len - 1) as usize].load(Ordering::Relaxed));
            }
        }
        None
    }

    /// Gives a clean slot that was not used back to `cpu`'s magazine, or to
    /// the depot if the magazine is full.
    fn give_back(&self, cpu: usize, slot: u32) {
        let c = &self.cpus[cpu];
        {
            let _mag = self.bit_lock(&c.lock, 1);
            let len = c.mag_len.load(Ordering::Relaxed);
            if (len as usize) < MAG {
                c.mag[len as usize].store(slot, Ordering::Relaxed);
                c.mag_len.store(len + 1, Ordering::Relaxed);
                return;
            }
        }
        let _depot = self.bit_lock(&self.depot_lock, 1);
        self.depot_push(slot);
    }

    /// Puts clean `slot` on its region's depot stack (depot lock held).
    #[inline(always)]
    fn depot_push(&self, slot: u32) {
        let r = self.region_of(slot);
        let (start, _) = self.region_range(r);
        let len = self.depot_len[r].load(Ordering::Relaxed);
        self.depot[(start + len) as usize].store(slot, Ordering::Relaxed);
        self.depot_len[r].store(len + 1, Ordering::Relaxed);
    }

    /// Maps `page` into clean `slot`, unless another CPU has just put the
    /// page in a slot: then takes a reference on that one and gives `slot`
    /// back.
    fn install(&self, pin: &Pinned<'_, W>, slot: u32, page: &W::Page) -> Result<SlotRef, MapError> {
        let pfn = W::pfn(page);
        let head = &self.buckets[self.bucket(pfn)];
        let guard = self.bit_lock(head, BUCKET_LOCK);
        // With the chain locked no other slot can take `pfn` on: look once
        // more, so that a page is never in two slots.
        let mut link = head.load(Ordering::Relaxed) & !BUCKET_LOCK;
        while link != 0 {
            let other = (link - 1) as usize;
            match self.try_ref(other, pfn) {
                Ok(true) => {
                    drop(guard);
                    self.give_back(pin.cpu, slot);
                    self.cpus[self.region_of(other as u32)].stats.hits.inc();
                    return Ok(self.mint(other as u32));
                }
                Ok(false) => {}
                Err(e) => {
                    drop(guard);
                    self.give_back(pin.cpu, slot);
                    return Err(e);
                }
            }
            link = self.next[other].load(Ordering::Relaxed);
        }
        let i = slot as usize;
        self.pfn[i].store(pfn, Ordering::Relaxed);
        // SAFETY: `slot` came out of a magazine or the depot, which hold
        // only slots below `slots()` whose PTE was cleared and then flushed
        // on every CPU (`flush_once` puts them there after `Window::flush`
        // returns), and which nobody can reach: its state is not VALID, so
        // hits skip it.
        unsafe { self.window.set(slot, page) };
        let gen = (self.state[i].load(Ordering::Relaxed) & !(GEN_ONE - 1)).wrapping_add(GEN_ONE);
        // Publish: the PTE and pfn are written before the state says VALID.
        self.state[i].store(gen | VALID | 1, Ordering::Release);
        self.next[i].store(head.load(Ordering::Relaxed) & !BUCKET_LOCK, Ordering::Relaxed);
        // The new head, still locked; the guard unlocks.
        head.store((slot + 1) | BUCKET_LOCK, Ordering::Release);
        drop(guard);
        self.cpus[pin.cpu].stats.misses.inc();
        Ok(self.mint(slot))
    }

    /// Takes `slot` off its lookup chain.
    fn unlink(&self, slot: u32) {
        let head = &self.buckets[self.bucket(self.pfn[slot as usize].load(Ordering::Relaxed))];
        let _guard = self.bit_lock(head, BUCKET_LOCK);
        let after = self.next[slot as usize].load(Ordering::Relaxed);
        if head.load(Ordering::Relaxed) & !BUCKET_LOCK == slot + 1 {
            head.store(after | BUCKET_LOCK, Ordering::Release);
            return;
        }
        let mut link = head.load(Ordering::Relaxed) & !BUCKET_LOCK;
        while link != 0 {
            let cur = &self.next[(link - 1) as usize];
            if cur.load(Ordering::Relaxed) == slot + 1 {
                cur.store(after, Ordering::Release);
                return;
            }
            link = cur.load(Ordering::Relaxed);
        }
        debug_assert!(false, "slot {slot} not on its chain");
    }

    /// Flushes every idle slot on the dirty lists in one batch and puts
    /// them in the depot. If a flush is running already, waits for it to
    /// complete instead ([`Flushed::Waited`]).
    pub(crate) fn flush(&self) -> Flushed {
        if self.flush_busy.load(Ordering::Relaxed) == 0 {
            if let Some(n) = self.flush_once() {
                return Flushed::Slots(n);
            }
        }
        self.stats.flush_waits.inc();
        while self.flush_busy.load(Ordering::Acquire) != 0 {
            self.window.relax();
        }
        Flushed::Waited
    }

    /// Runs one flush, unless one is running (`None`). Returns how many
    /// slots it flushed.
    fn flush_once(&self) -> Option<usize> {
        // The busy flag is a lock in all but name, which CPUs that run dry
        // spin on: hold it with preemption off, so its holder is never
        // scheduled away from under them (on_each_cpu() is fine with that;
        // it wants interrupts on).
        let _pin = self.pin();
        if self.flush_busy.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return None;
        }
        let w = &self.window;
        let start = w.now_ns();
        let n = self.claim_idle();
        if n > 0 {
            // SAFETY: `claim_idle` listed in `scratch[..n]` only slots it
            // moved from idle to FLUSHING (nobody holds them or can take
            // them) and cleared.
            unsafe { w.flush(&self.scratch[..n]) };
            for s in self.scratch[..n].iter() {
                let word = &self.state[s.load(Ordering::Relaxed) as usize];
                word.store(word.load(Ordering::Relaxed) & !(VALID | FLUSHING), Ordering::Release);
            }
            let _depot = self.bit_lock(&self.depot_lock, 1);
            for s in self.scratch[..n].iter() {
                self.depot_push(s.load(Ordering::Relaxed));
            }
        }
        if n > 0 {
            // The slots in use now (neither clean, the flushed ones
            // included, nor listed idle), for the high-water mark: a few
            // loads, not a scan.
            let listed: u32 = self.cpus.iter().map(|c| c.dirty.load(Ordering::Relaxed)).sum();
            let in_use = self.slots().saturating_sub(self.clean().saturating_add(listed));
            self.stats.high_water.fetch_max(in_use, Ordering::Relaxed);
            self.flush_gen.fetch_add(1, Ordering::AcqRel);
            self.events.fetch_add(1, Ordering::SeqCst);
            self.stats.flushes.inc();
            self.stats.slots_flushed.add(n as u64);
            self.stats.flush_ns.add(w.now_ns().saturating_sub(start));
        }
        self.flush_busy.store(0, Ordering::Release);
        Some(n)
    }

    /// Takes every dirty list, claims the slots still idle (unlinked, PTE
    /// cleared, listed in `scratch`) and unlists the ones in use again.
    /// Returns how many it claimed. Only the flusher calls it.
    fn claim_idle(&self) -> usize {
        let mut n = 0;
        for c in self.cpus.iter() {
            let mut link = c.dirty_head.swap(0, Ordering::AcqRel);
            let mut taken = 0;
            while link != 0 {
                let slot = link - 1;
                // Read before unlisting: then a release may list it again.
                link = self.dirty_next[slot as usize].load(Ordering::Relaxed);
                taken += 1;
                if self.claim(slot) {
                    self.unlink(slot);
                    // SAFETY: `claim` moved the slot from idle (VALID, no
                    // users) to FLUSHING, which hits refuse, so nobody holds
                    // it or can take it until the flush frees it.
                    unsafe { self.window.clear(slot) };
                    self.scratch[n].store(slot, Ordering::Relaxed);
                    n += 1;
                }
            }
            c.dirty.fetch_sub(taken, Ordering::Relaxed);
        }
        n
    }

    /// Moves listed `slot` from idle to FLUSHING (true), or, if someone
    /// holds it again, only unlists it (false).
    fn claim(&self, slot: u32) -> bool {
        let word = &self.state[slot as usize];
        let mut s = word.load(Ordering::Acquire);
        loop {
            debug_assert!(s & LISTED != 0);
            let idle = s & (VALID | FLUSHING | USERS) == VALID;
            let new = if idle { (s & !LISTED) | FLUSHING } else { s & !LISTED };
            match word.compare_exchange_weak(s, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return idle,
                Err(now) => s = now,
            }
        }
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
