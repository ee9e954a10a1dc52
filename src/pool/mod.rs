// SPDX-License-Identifier: GPL-2.0

//! hmkit's own pkmap-style mapping pool.
//!
//! A window of `slots` pages of kernel virtual address space
//! ([`crate::sys::window`]) into which any page can be mapped. The logic is
//! in [`core`]; this module adds the lock, waiting, guards and rendering.
//!
//! Compared with the kernel's `kmap()`:
//!
//! - mapping a page that is already mapped (or unmapped but not yet
//!   flushed) takes no lock: one CAS on the slot's state word;
//! - a miss takes a clean slot from its CPU's magazine and writes one PTE;
//!   CPUs use slots of their own region, so they share no cache lines;
//! - unmapping is one atomic decrement of the state word (and, for the last
//!   user, a CAS marking it listed and one on its region's dirty list); the
//!   PTE, and the slot's reference on the frame, stay until a flush;
//! - flushes are batched and start early: all dirty slots at once, one TLB
//!   flush per CPU, run by one mapper with preemption off while the others
//!   go on with clean slots;
//! - a full pool makes [`Pool::map`] sleep interruptibly with a timeout
//!   (`wait_ms`, module parameter), then fail with `ETIMEDOUT`, or makes
//!   [`Wait::No`] fail at once with `EAGAIN`. A holder of one mapping that
//!   waits for a second one on a pool full of such holders therefore gets
//!   `ETIMEDOUT`, never a silent deadlock.
//!
//! Unlike `kmap_local`, a [`PoolMap`] may be dropped in any order, sent to
//! another thread and kept across sleeps. Reading through a mapping needs
//! the page shared-borrowed ([`Pool::map`], [`PoolMap`]); writing needs it
//! borrowed mutably ([`Pool::map_mut`], [`PoolMapMut`]), so no `&[u8]` view
//! of the page (kmap_local, kmap) can be alive while the pool writes it. A
//! [`Held`] keeps a mapping without any access to the page, owns a
//! reference on its pool and one on the page frame (so the frame outlives
//! the mapping), and releases both when dropped.
//!
//! # Locking
//!
//! The core's own locks are bit locks held for a few instructions with
//! preemption off, never across a flush (see [`core`]). `lock` (a
//! spinlock) only orders waiters and wakers around `freed`, the wait queue
//! of maps waiting for a slot; last releases and flushes wake it, taking
//! `lock` to do so, and only when someone waits.
//!
//! Lock order, outermost first (as binder documents its own):
//!
//! 1. the control interpreter's objects mutex (`crate::control`), held
//!    while it maps or unmaps through the pool (so across a flush and its
//!    IPI), never while it waits;
//! 2. `lock`, the pool's spinlock, never held across a flush;
//! 3. the core's bit locks (magazine, then depot; a chain's alone).
//!
//! Waiting is on events, not on counters that move under us: a map that
//! finds the pool full announces itself as a waiter, reads the event
//! count, looks once more, and sleeps until the count moves, up to an
//! absolute deadline, interruptibly. Flushes that free slots bump the
//! count; a last release bumps it only when it sees a waiter, so the
//! unmap path touches no shared counter. The announcement and the look
//! (each after a full fence) make sure that a release either sees the
//! waiter or is seen by its look.
//!
//! Interrupt context: nothing hmkit runs there can map or unmap (the only
//! code it runs in hard-IRQ context is what the `unsafe` `sys::on_each_cpu`
//! runs, whose contract forbids it, and neither hmkit nor 6.12's kernel
//! crate offers safe code a way into IRQ context). Should an unmap run
//! there all the same, it stays correct: the release is lock-free, and the
//! wake-up, which needs `lock` (taken with interrupts on, so taking it
//! in an IRQ could deadlock), is skipped; waiters find the slot at their
//! next wake-up or deadline. Lockdep checks the kernel locks above in
//! every test run (the test kernels have `CONFIG_PROVE_LOCKING`); it cannot
//! see the core's bit locks and flush flag, which the host tests' model
//! window and loom check instead.

pub(crate) mod core;
mod window;

pub(crate) use self::core::PerCpu;

/// The atomics the pool core uses (the host model checks swap in `loom`'s).
pub(crate) mod atomic {
    pub(crate) use ::core::sync::atomic::{AtomicU32, Ordering};
}

use self::core::{Core, Flushed, MapError, Parts, SlotRef, SlotView};
use crate::sys;
use crate::sys::highmem::{OwnedPage, PagePin};
use crate::sys::window::VmWindow;
use ::core::fmt;
use ::core::sync::atomic::{fence, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, CondVarTimeoutResult, SpinLock};
use kernel::time::{msecs_to_jiffies, Jiffies, Ktime};

/// How a map waits when no slot is free.
#[derive(Clone, Copy)]
pub(crate) enum Wait {
    /// Fail at once with `EAGAIN`.
    No,
    /// Sleep up to this many milliseconds, interruptibly, then `ETIMEDOUT`.
    Ms(u32),
}

/// When a blocking map gives up: an absolute time, so that retries after
/// wake-ups never extend it.
#[derive(Clone, Copy)]
pub(crate) struct Deadline(i64);

impl Deadline {
    /// `wait`'s time from now (now itself for [`Wait::No`]).
    pub(crate) fn after(wait: Wait) -> Self {
        let ms = match wait {
            Wait::No => 0,
            Wait::Ms(ms) => i64::from(ms),
        };
        Deadline(Ktime::ktime_get().to_ns().saturating_add(ms * 1_000_000))
    }

    /// The time left, in jiffies (at least 1), or `None` once past.
    fn left(self) -> Option<Jiffies> {
        let ns = self.0 - Ktime::ktime_get().to_ns();
        if ns <= 0 {
            return None;
        }
        let ms = u32::try_from((ns + 999_999) / 1_000_000).unwrap_or(u32::MAX);
        Some(msecs_to_jiffies(ms).max(1))
    }
}

/// The fewest and most slots a pool may have.
pub(crate) const MIN_SLOTS: u32 = 64;
pub(crate) const MAX_SLOTS: u32 = 8192;

type Slots = KVec<AtomicU32>;

/// The pool core as the module builds it.
pub(crate) type KernelCore = Core<Slots, KVec<PerCpu>, VmWindow>;

#[pin_data]
pub(crate) struct Pool {
    core: KernelCore,
    /// Maps waiting (or about to wait) for a slot.
    waiters: AtomicU32,
    #[pin]
    lock: SpinLock<()>,
    #[pin]
    freed: CondVar,
}

fn zeroed(n: usize) -> Result<Slots> {
    let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
    for _ in 0..n {
        v.push(AtomicU32::new(0), GFP_KERNEL)?;
    }
    Ok(v)
}

impl Pool {
    /// A pool of `slots` slots, `MIN_SLOTS..=MAX_SLOTS` (else `EINVAL`).
    pub(crate) fn new(slots: u32) -> Result<Arc<Self>> {
        if !(MIN_SLOTS..=MAX_SLOTS).contains(&slots) {
            return Err(EINVAL);
        }
        let n = slots as usize;
        // One part per possible CPU (at most 8 with the test kernels' NR_CPUS,
        // and MIN_SLOTS leaves each region 8 slots at least).
        let ncpu = (sys::nr_cpu_ids() as usize).clamp(1, (n / 8).min(64));
        let mut cpus = KVec::with_capacity(ncpu, GFP_KERNEL)?;
        for _ in 0..ncpu {
            cpus.push(PerCpu::new(), GFP_KERNEL)?;
        }
        let parts = Parts {
            state: zeroed(n)?,
            pfn: zeroed(n)?,
            next: zeroed(n)?,
            buckets: zeroed((2 * n).next_power_of_two())?,
            dirty_next: zeroed(n)?,
            depot: zeroed(n)?,
            depot_len: zeroed(ncpu)?,
            scratch: zeroed(n)?,
            cpus,
        };
        let core = Core::new(VmWindow::new(slots)?, parts).map_err(|()| EINVAL)?;
        Arc::pin_init(
            pin_init!(Self {
                core,
                waiters: AtomicU32::new(0),
                lock <- kernel::new_spinlock!((), "hmkit_pool"),
                freed <- kernel::new_condvar!("hmkit_pool_freed"),
            }),
            GFP_KERNEL,
        )
    }

    /// Maps `page` for reading. A page already in a slot gets the same slot,
    /// with one more user.
    pub(crate) fn map<'a>(&'a self, page: &'a OwnedPage, wait: Wait) -> Result<PoolMap<'a>> {
        let r = self.get(page, wait)?;
        Ok(PoolMap { pool: self, page, r: Some(r) })
    }

    /// Maps `page` for reading and writing; the exclusive borrow keeps every
    /// other view of the page away while the mapping lives.
    pub(crate) fn map_mut<'a>(&'a self, page: &'a mut OwnedPage, wait: Wait) -> Result<PoolMapMut<'a>> {
        let r = self.get(page, wait)?;
        Ok(PoolMapMut { pool: self, page, r: Some(r) })
    }

    /// Takes a reference on a slot mapping `page`, waiting as `wait` says.
    fn get(&self, page: &OwnedPage, wait: Wait) -> Result<SlotRef> {
        // The hit path on its own: no lock, no CPU number.
        if let Some(r) = self.core.try_hit(page.pfn() as u32).map_err(map_error)? {
            return Ok(r);
        }
        self.get_miss(page, wait)
    }

    /// [`Pool::get`] after a lock-free look that missed: a clean slot, with
    /// no lock but the core's own.
    #[inline(never)]
    fn get_miss(&self, page: &OwnedPage, wait: Wait) -> Result<SlotRef> {
        match self.core.map_new(page) {
            Ok(r) => {
                self.wake_if_flushed();
                Ok(r)
            }
            Err(MapError::Full) => self.get_full(page, wait),
            Err(e) => {
                // A clean slot may have gone back to the magazine on the
                // way (the page had too many users already).
                self.wake_if_flushed();
                Err(map_error(e))
            }
        }
    }

    /// [`Pool::get`] on a pool found full: fail, or wait for a slot.
    #[cold]
    #[inline(never)]
    fn get_full(&self, page: &OwnedPage, wait: Wait) -> Result<SlotRef> {
        // No wake-up here: a map that found the pool full freed nothing
        // (a flush it ran that freed slots would have given it one), and
        // waking would count an event that makes waiters, this one among
        // them, look again instead of sleeping.
        if let Wait::No = wait {
            self.core.stats.try_failures.inc();
            return Err(EAGAIN);
        }
        // The pool is full: announce, look once more, and only then sleep.
        let deadline = Deadline::after(wait);
        let mut waiting = self.announce();
        loop {
            if let Some(r) = self.try_get(page)? {
                return Ok(r);
            }
            waiting = self.sleep(waiting, deadline)?;
        }
    }

    /// One attempt: a slot, `None` when the pool is full, or an error.
    fn try_get(&self, page: &OwnedPage) -> Result<Option<SlotRef>> {
        let r = self.core.map(page);
        if !matches!(r, Err(MapError::Full)) {
            self.wake_if_flushed();
        }
        match r {
            Ok(r) => Ok(Some(r)),
            Err(MapError::Full) => Ok(None),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Announces a waiter and reads the event count: the caller looks for a
    /// slot once more after this, and sleeps on the returned ticket only if
    /// that look fails.
    pub(crate) fn announce(&self) -> Waiting<'_> {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        // Pairs with the fence in `unmap`: either the unmap sees this
        // waiter, or the look after this sees its slot.
        fence(Ordering::SeqCst);
        Waiting { pool: self, seen: self.core.events() }
    }

    /// Sleeps, interruptibly, until a slot may have become available since
    /// `w` was announced (returns at once if it already has), or until
    /// `deadline`: `ETIMEDOUT` then, `EINTR` on a signal. Returns a fresh
    /// ticket for the next look. For callers that must not sleep in
    /// [`Pool::map`] while holding a lock of their own, and for `map`
    /// itself.
    pub(crate) fn sleep<'a>(&'a self, w: Waiting<'a>, deadline: Deadline) -> Result<Waiting<'a>> {
        let stats = &self.core.stats;
        if sys::signal_pending() {
            stats.interrupted.inc();
            return Err(EINTR);
        }
        let Some(left) = deadline.left() else {
            stats.timeouts.inc();
            return Err(sys::etimedout());
        };
        {
            let mut guard = self.lock.lock();
            if self.core.events() == w.seen {
                stats.waits.inc();
                let start = Ktime::ktime_get();
                let woke = self.freed.wait_interruptible_timeout(&mut guard, left);
                stats.wait_ns.add((Ktime::ktime_get() - start).to_ns() as u64);
                // Woken or not, the deadline is what ends the wait: look
                // again (a spurious wake-up finds no slot and sleeps again).
                if let CondVarTimeoutResult::Signal { .. } = woke {
                    stats.interrupted.inc();
                    return Err(EINTR);
                }
            }
        }
        // Still announced: read the count the next look starts from.
        let mut w = w;
        w.seen = self.core.events();
        Ok(w)
    }

    /// After a map that did not find the pool full, if anyone waits: a
    /// flush it ran (or waited for) may have freed slots, or a clean slot
    /// it held for a moment may have gone back (`install` found the page
    /// mapped already): count an event and wake the waiters, so that they
    /// look again. A waiter counts itself, so its own successful look
    /// wakes the others once more, for nothing.
    #[inline(always)]
    fn wake_if_flushed(&self) {
        // The core bumps the event count for a flush that freed slots; a
        // waiter's `sleep` looks at it under `lock`.
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.wake();
        }
    }

    #[cold]
    fn wake(&self) {
        // Counted first: a waiter that looked before this map (a slot in
        // transit, given back, or a flush it waited for) then sees the
        // count move and looks again instead of sleeping.
        self.core.note_event();
        if !sys::in_interrupt() {
            let _guard = self.lock.lock();
            self.freed.notify_all();
        }
    }

    fn unmap(&self, r: SlotRef) {
        match self.core.release(r) {
            Ok(true) => {}
            Ok(false) => return,
            Err(_) => {
                // Not reachable: tokens never leave the pool that made them.
                pr_err!("a pool mapping was released to the wrong pool; its slot stays held\n");
                return;
            }
        }
        // Pairs with the fence after a waiter announces itself.
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) == 0 {
            return;
        }
        self.core.note_event();
        if sys::in_interrupt() {
            // The lock is taken with interrupts on: taking it here could
            // deadlock against the code this interrupt stopped. The event is
            // counted; a waiter sees it at its next wake-up or deadline.
            return;
        }
        // Taking the lock orders this wake-up after a waiter's check.
        let _guard = self.lock.lock();
        self.freed.notify_all();
    }

    /// Flushes every idle slot now (after the flush another CPU runs, if
    /// one does); returns how many.
    pub(crate) fn flush(&self) -> usize {
        let n = loop {
            if let Flushed::Slots(n) = self.core.flush() {
                break n;
            }
        };
        if n > 0 {
            self.wake_if_flushed();
        }
        n
    }

    /// Reads the word at each mapping's offset on every CPU, with interrupts
    /// off, and compares it with the expected value: `(mapping, offset,
    /// expected)`. Returns how many CPUs ran and how many reads differed.
    pub(crate) fn check_on_each_cpu(&self, items: &[(&PoolMap<'_>, usize, u32)]) -> Result<(u32, u32)> {
        let mut v = KVec::with_capacity(items.len(), GFP_KERNEL)?;
        for (m, offset, want) in items {
            if !::core::ptr::eq(m.pool, self) {
                return Err(EINVAL);
            }
            let r = m.r.as_ref().ok_or(EINVAL)?;
            v.push((r, m.page, *offset, *want), GFP_KERNEL)?;
        }
        Ok(self.core.check_on_each_cpu(&v))
    }

    /// The pfn `slot`'s PTE maps now (`None`: clear), read from the page table.
    pub(crate) fn pte_pfn(&self, slot: u32) -> Option<usize> {
        self.core.window().pte_pfn(slot)
    }

    /// How many users `slot` has (0 when idle or free).
    pub(crate) fn users(&self, slot: u32) -> u32 {
        match self.core.view(slot) {
            SlotView::Mapped { users, .. } => users,
            _ => 0,
        }
    }

    pub(crate) fn stats_flushes(&self) -> u64 {
        self.core.stats.flushes.get()
    }

    pub(crate) fn window(&self) -> (usize, usize) {
        let w = self.core.window();
        (w.base(), w.end())
    }

    /// `pool`: the window, slot counts, the per-CPU parts (each CPU's
    /// magazine, the dirty list and depot stack of its region, its hits and
    /// misses) and the flush generation, then one row per slot that maps a page (`users` 0: unmapped,
    /// awaiting a flush). `ptes_set` counts the window's PTEs that are set,
    /// read from the page table itself; `free` counts the clean slots (in
    /// magazines and the depot).
    pub(crate) fn render_slots(&self, out: &mut dyn fmt::Write) -> Result {
        let c = &self.core;
        let (base, end) = self.window();
        let n = c.slots();
        let ptes_set = (0..n).filter(|&s| self.pte_pfn(s).is_some()).count();
        writeln!(out, "window: {base:#010x}-{end:#010x}")?;
        writeln!(out, "slots: {n}")?;
        writeln!(out, "in_use: {}", c.totals().in_use)?;
        writeln!(out, "needs_flush: {}", c.idle())?;
        writeln!(out, "free: {}", c.clean())?;
        writeln!(out, "ptes_set: {ptes_set}")?;
        writeln!(out, "cpus: {}", c.cpus())?;
        writeln!(out, "region: {}", c.region())?;
        writeln!(out, "batch: {}", c.batch())?;
        writeln!(out, "low_watermark: {}", c.low_watermark())?;
        writeln!(out, "depot: {}", c.depot_clean())?;
        writeln!(out, "flush_gen: {}", c.flush_gen())?;
        writeln!(out)?;
        writeln!(out, "{:>5} {:>8} {:>6} {:>6} {:>12} {:>12}", "cpu", "magazine", "dirty", "depot", "hits", "misses")?;
        for cpu in 0..c.cpus() {
            if let Some(v) = c.cpu_view(cpu) {
                writeln!(
                    out,
                    "{cpu:>5} {:>8} {:>6} {:>6} {:>12} {:>12}",
                    v.magazine, v.dirty, v.depot, v.hits, v.misses
                )?;
            }
        }
        writeln!(out)?;
        writeln!(out, "{:>5} {:<12} {:>10} {:>6}", "slot", "vaddr", "pfn", "users")?;
        for s in 0..n {
            if let SlotView::Mapped { pfn, users } = c.view(s) {
                writeln!(out, "{s:>5} {:#010x}   {pfn:>10} {users:>6}", base + s as usize * 4096)?;
            }
        }
        Ok(())
    }

    /// `stats`: one counter per line.
    pub(crate) fn render_stats(&self, out: &mut dyn fmt::Write) -> Result {
        let st = &self.core.stats;
        let t = self.core.totals();
        writeln!(out, "maps: {}", t.hits + t.misses)?;
        writeln!(out, "hits: {}", t.hits)?;
        writeln!(out, "misses: {}", t.misses)?;
        writeln!(out, "unmaps: {}", t.unmaps)?;
        for (k, c) in [
            ("flushes", &st.flushes),
            ("slots_flushed", &st.slots_flushed),
            ("flush_ns", &st.flush_ns),
            ("early_flushes", &st.early_flushes),
            ("flush_waits", &st.flush_waits),
            ("refills", &st.refills),
            ("steals", &st.steals),
            ("waits", &st.waits),
            ("wait_ns", &st.wait_ns),
            ("try_failures", &st.try_failures),
            ("timeouts", &st.timeouts),
            ("interrupted", &st.interrupted),
        ] {
            writeln!(out, "{k}: {}", c.get())?;
        }
        writeln!(out, "high_water: {}", st.high_water.load(Ordering::Relaxed))?;
        Ok(())
    }
}

/// A map announced as waiting for a slot ([`Pool::announce`]); the
/// announcement ends when this is dropped.
pub(crate) struct Waiting<'a> {
    pool: &'a Pool,
    seen: u32,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.pool.waiters.fetch_sub(1, Ordering::SeqCst);
    }
}

fn map_error(e: MapError) -> Error {
    match e {
        MapError::Full => EAGAIN,
        MapError::TooManyUsers => EBUSY,
        MapError::WrongPool => EINVAL,
    }
}

/// A page mapped into a pool slot for reading; unmapped (lazily) on drop.
///
/// # Invariants
///
/// `r` is `Some` until drop: a reference on a slot of `pool` that maps `page`.
pub(crate) struct PoolMap<'a> {
    pool: &'a Pool,
    page: &'a OwnedPage,
    r: Option<SlotRef>,
}

/// A page mapped into a pool slot for reading and writing; unmapped
/// (lazily) on drop.
///
/// # Invariants
///
/// As [`PoolMap`]; `page` is borrowed exclusively.
pub(crate) struct PoolMapMut<'a> {
    pool: &'a Pool,
    page: &'a mut OwnedPage,
    r: Option<SlotRef>,
}

/// Copies through `r` from `page`: `EINVAL` past the page.
fn read_through(pool: &Pool, r: &Option<SlotRef>, page: &OwnedPage, offset: usize, buf: &mut [u8]) -> Result {
    let r = r.as_ref().ok_or(EINVAL)?;
    pool.core.read(r, page, offset, buf).map_err(|()| EINVAL)
}

impl PoolMap<'_> {
    pub(crate) fn slot(&self) -> u32 {
        self.r.as_ref().map_or(u32::MAX, SlotRef::slot)
    }

    /// Copies from the page at `offset` into `buf` (`EINVAL` past the page).
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        read_through(self.pool, &self.r, self.page, offset, buf)
    }
}

impl<'a> PoolMap<'a> {
    /// The page, through the slot, while this mapping lives (`EINVAL` if
    /// it does not map it, which its invariant rules out).
    pub(crate) fn bytes(&self) -> Result<&[u8]> {
        let r = self.r.as_ref().ok_or(EINVAL)?;
        self.pool.core.bytes(r, self.page).map_err(|()| EINVAL)
    }
}

impl PoolMapMut<'_> {
    /// The page, through the slot, while this mapping is borrowed.
    pub(crate) fn bytes(&self) -> Result<&[u8]> {
        let r = self.r.as_ref().ok_or(EINVAL)?;
        self.pool.core.bytes(r, &*self.page).map_err(|()| EINVAL)
    }

    /// The page, through the slot, writable while this mapping is borrowed.
    pub(crate) fn bytes_mut(&mut self) -> Result<&mut [u8]> {
        let r = self.r.as_ref().ok_or(EINVAL)?;
        self.pool.core.bytes_mut(r, &mut *self.page).map_err(|()| EINVAL)
    }
}

impl PoolMapMut<'_> {
    pub(crate) fn slot(&self) -> u32 {
        self.r.as_ref().map_or(u32::MAX, SlotRef::slot)
    }

    /// Copies from the page at `offset` into `buf` (`EINVAL` past the page).
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        read_through(self.pool, &self.r, &*self.page, offset, buf)
    }

    /// Copies `data` into the page at `offset` (`EINVAL` past the page).
    pub(crate) fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        let r = self.r.as_ref().ok_or(EINVAL)?;
        self.pool.core.write(r, &mut *self.page, offset, data).map_err(|()| EINVAL)
    }
}

impl Drop for PoolMap<'_> {
    fn drop(&mut self) {
        if let Some(r) = self.r.take() {
            self.pool.unmap(r);
        }
    }
}

impl Drop for PoolMapMut<'_> {
    fn drop(&mut self) {
        if let Some(r) = self.r.take() {
            self.pool.unmap(r);
        }
    }
}

/// A pool mapping kept with no access to the page: it owns a reference on
/// its pool and one on the page frame, and gives its slot back when
/// dropped, wherever that happens (an early return, a freed list, module
/// unload). The frame reference keeps the frame allocated while the slot
/// maps it, even if its `OwnedPage` is freed first: no mapping of hmkit's
/// ever points at a freed frame.
///
/// # Invariants
///
/// `r` is `Some` until drop: a reference on a slot of `pool`, which maps
/// the frame `_pin` holds.
pub(crate) struct Held {
    pool: Arc<Pool>,
    r: Option<SlotRef>,
    // Dropped after `drop()` has released the slot.
    _pin: PagePin,
}

impl Held {
    /// Maps `page` through `pool` and keeps the mapping.
    pub(crate) fn new(pool: &Arc<Pool>, page: &OwnedPage, wait: Wait) -> Result<Held> {
        let r = pool.get(page, wait)?;
        Ok(Held { pool: pool.clone(), r: Some(r), _pin: page.pin() })
    }

    pub(crate) fn slot(&self) -> u32 {
        self.r.as_ref().map_or(u32::MAX, SlotRef::slot)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(r) = self.r.take() {
            self.pool.unmap(r);
        }
    }
}
