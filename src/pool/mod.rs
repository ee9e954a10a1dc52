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
//! - unmapping is one atomic decrement; the PTE stays until a flush;
//! - flushes are batched: when no slot is free, all idle slots are flushed
//!   at once, one TLB flush per CPU;
//! - a full pool makes [`Pool::map`] sleep interruptibly with a timeout
//!   (`wait_ms`, module parameter), then fail with `ETIMEDOUT`, or makes
//!   [`Wait::No`] fail at once with `EAGAIN`. A holder of one mapping that
//!   waits for a second one on a pool full of such holders therefore gets
//!   `ETIMEDOUT`, never a silent deadlock.
//!
//! Unlike `kmap_local`, a [`PoolMap`] may be dropped in any order, sent to
//! another thread and kept across sleeps.
//!
//! # Locking
//!
//! `locked` (a spinlock) serialises everything that changes which page a
//! slot holds: claiming free slots, flushing, and so the TLB flush IPIs,
//! which run with it held (interrupts stay on). `freed` is the wait queue
//! of maps waiting for a slot; unmaps wake it, taking `locked` to do so
//! only when someone waits.

pub(crate) mod core;
pub(crate) mod stress;

use self::core::{Core, Locked, MapError, SlotView};
use crate::sys;
use crate::sys::highmem::OwnedPage;
use crate::sys::window::VmWindow;
use ::core::fmt;
use ::core::marker::PhantomData;
use ::core::sync::atomic::{fence, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, SpinLock};

/// How a map waits when no slot is free.
#[derive(Clone, Copy)]
pub(crate) enum Wait {
    /// Fail at once with `EAGAIN`.
    No,
    /// Sleep up to this many milliseconds, interruptibly, then `ETIMEDOUT`.
    Ms(u32),
}

/// The fewest and most slots a pool may have.
pub(crate) const MIN_SLOTS: u32 = 64;
pub(crate) const MAX_SLOTS: u32 = 8192;

type Slots = KVec<AtomicU32>;

#[pin_data]
pub(crate) struct Pool {
    core: Core<Slots>,
    window: VmWindow,
    waiters: AtomicU32,
    #[pin]
    locked: SpinLock<Locked<KVec<u32>>>,
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
        let core = Core::new(zeroed(n)?, zeroed(n)?, zeroed(n)?, zeroed((2 * n).next_power_of_two())?);
        let locked = Locked::new(KVec::from_elem(0u32, n, GFP_KERNEL)?, KVec::from_elem(0u32, n, GFP_KERNEL)?);
        let window = VmWindow::new(slots)?;
        Arc::pin_init(
            pin_init!(Self {
                core,
                window,
                waiters: AtomicU32::new(0),
                locked <- kernel::new_spinlock!(locked, "hmkit_pool"),
                freed <- kernel::new_condvar!("hmkit_pool_freed"),
            }),
            GFP_KERNEL,
        )
    }

    /// Maps `page` into a slot. A page already in a slot gets the same
    /// slot, with one more user.
    pub(crate) fn map<'a>(&'a self, page: &'a OwnedPage, wait: Wait) -> Result<PoolMap<'a>> {
        let pfn = page.pfn() as u32;
        let mapped = |slot| PoolMap { pool: self, slot, _page: PhantomData };
        if let Some(slot) = self.core.try_hit(pfn).map_err(map_error)? {
            return Ok(mapped(slot));
        }
        let stats = &self.core.stats;
        let mut remaining = match wait {
            Wait::No => 0,
            Wait::Ms(ms) => kernel::time::msecs_to_jiffies(ms),
        };
        let mut guard = self.locked.lock();
        let mut waiting = false;
        loop {
            match self.core.map_locked(&mut *guard, pfn, page, &self.window) {
                Ok(slot) => {
                    if waiting {
                        self.waiters.fetch_sub(1, Ordering::SeqCst);
                    }
                    return Ok(mapped(slot));
                }
                Err(MapError::Full) => {}
                Err(e) => {
                    if waiting {
                        self.waiters.fetch_sub(1, Ordering::SeqCst);
                    }
                    return Err(map_error(e));
                }
            }
            if let Wait::No = wait {
                stats.try_failures.inc();
                return Err(EAGAIN);
            }
            if !waiting {
                // Announce ourselves, then look once more: an unmap that
                // missed the announcement happened before this second look.
                self.waiters.fetch_add(1, Ordering::SeqCst);
                fence(Ordering::SeqCst);
                waiting = true;
                continue;
            }
            if remaining == 0 {
                self.waiters.fetch_sub(1, Ordering::SeqCst);
                stats.timeouts.inc();
                return Err(sys::etimedout());
            }
            stats.waits.inc();
            let start = kernel::time::Ktime::ktime_get();
            let woke = self.freed.wait_interruptible_timeout(&mut guard, remaining);
            stats.wait_ns.add((kernel::time::Ktime::ktime_get() - start).to_ns() as u64);
            remaining = match woke {
                kernel::sync::CondVarTimeoutResult::Timeout => 0,
                kernel::sync::CondVarTimeoutResult::Woken { jiffies } => jiffies,
                kernel::sync::CondVarTimeoutResult::Signal { .. } => {
                    self.waiters.fetch_sub(1, Ordering::SeqCst);
                    stats.interrupted.inc();
                    return Err(EINTR);
                }
            };
        }
    }

    /// Sleeps until some slot is free or idle, for at most `jiffies`
    /// (interruptibly), without mapping anything: for callers that must not
    /// sleep in [`Pool::map`] while holding a lock of their own. Returns the
    /// time left; `ETIMEDOUT` when none, `EINTR` on a signal.
    pub(crate) fn wait_for_slot(&self, jiffies: kernel::time::Jiffies) -> Result<kernel::time::Jiffies> {
        let stats = &self.core.stats;
        let mut guard = self.locked.lock();
        self.waiters.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let result = if guard.free_slots() > 0 || self.core.idle() > 0 {
            Ok(jiffies)
        } else if jiffies == 0 {
            stats.timeouts.inc();
            Err(sys::etimedout())
        } else {
            stats.waits.inc();
            let start = kernel::time::Ktime::ktime_get();
            let woke = self.freed.wait_interruptible_timeout(&mut guard, jiffies);
            stats.wait_ns.add((kernel::time::Ktime::ktime_get() - start).to_ns() as u64);
            match woke {
                kernel::sync::CondVarTimeoutResult::Timeout => {
                    stats.timeouts.inc();
                    Err(sys::etimedout())
                }
                kernel::sync::CondVarTimeoutResult::Woken { jiffies } => Ok(jiffies),
                kernel::sync::CondVarTimeoutResult::Signal { .. } => {
                    stats.interrupted.inc();
                    Err(EINTR)
                }
            }
        };
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn unmap(&self, slot: u32) {
        if !self.core.release(slot) {
            return;
        }
        // Pairs with the fence after a waiter announces itself.
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::SeqCst) > 0 {
            // Taking the lock orders this wake-up after a waiter's last look.
            let _guard = self.locked.lock();
            self.freed.notify_all();
        }
    }

    /// Flushes every idle slot now; returns how many.
    pub(crate) fn flush(&self) -> usize {
        let n = self.core.flush_locked(&mut *self.locked.lock(), &self.window);
        if n > 0 && self.waiters.load(Ordering::SeqCst) > 0 {
            self.freed.notify_all();
        }
        n
    }

    /// Drops a mapping kept with [`PoolMap::hold`]. A token of another pool
    /// is refused (and leaked: its slot stays held), never applied here.
    pub(crate) fn release(&self, held: Held) {
        if held.pool != self as *const Pool as usize {
            pr_err!("a pool mapping was released to the wrong pool; leaking it\n");
            return;
        }
        self.unmap(held.slot);
    }

    /// The pfn `slot`'s PTE maps now (`None`: clear), read from the page table.
    pub(crate) fn pte_pfn(&self, slot: u32) -> Option<usize> {
        self.window.pte_pfn(slot)
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
        (self.window.base(), self.window.end())
    }

    /// `pool`: the window, slot counts, then one row per slot that maps a
    /// page (`users` 0: unmapped, awaiting a flush). `ptes_set` counts the
    /// window's PTEs that are set, read from the page table itself.
    pub(crate) fn render_slots(&self, out: &mut dyn fmt::Write) -> Result {
        let (base, end) = self.window();
        let n = self.core.slots();
        let free = self.locked.lock().free_slots();
        let ptes_set = (0..n).filter(|&s| self.window.pte_pfn(s).is_some()).count();
        writeln!(out, "window: {base:#010x}-{end:#010x}")?;
        writeln!(out, "slots: {n}")?;
        writeln!(out, "in_use: {}", self.core.in_use())?;
        writeln!(out, "needs_flush: {}", self.core.idle())?;
        writeln!(out, "free: {free}")?;
        writeln!(out, "ptes_set: {ptes_set}")?;
        writeln!(out)?;
        writeln!(out, "{:>5} {:<12} {:>10} {:>6}", "slot", "vaddr", "pfn", "users")?;
        for s in 0..n {
            if let SlotView::Mapped { pfn, users } = self.core.view(s) {
                writeln!(out, "{s:>5} {:#010x}   {pfn:>10} {users:>6}", base + s as usize * 4096)?;
            }
        }
        Ok(())
    }

    /// `stats`: one counter per line.
    pub(crate) fn render_stats(&self, out: &mut dyn fmt::Write) -> Result {
        let st = &self.core.stats;
        writeln!(out, "maps: {}", st.maps())?;
        for (k, c) in [
            ("hits", &st.hits),
            ("misses", &st.misses),
            ("unmaps", &st.unmaps),
            ("flushes", &st.flushes),
            ("slots_flushed", &st.slots_flushed),
            ("flush_ns", &st.flush_ns),
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

fn map_error(e: MapError) -> Error {
    match e {
        MapError::Full => EAGAIN,
        MapError::TooManyUsers => EBUSY,
    }
}

/// A page mapped into a pool slot; unmapped (lazily) on drop.
///
/// # Invariants
///
/// Holds one reference on `slot`, whose PTE maps the page it borrows.
pub(crate) struct PoolMap<'a> {
    pool: &'a Pool,
    slot: u32,
    _page: PhantomData<&'a OwnedPage>,
}

impl PoolMap<'_> {
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }

    /// Copies `data` into the page at `offset` (`EINVAL` past the page).
    pub(crate) fn write(&self, offset: usize, data: &[u8]) -> Result {
        self.pool.window.write(self.slot, offset, data)
    }

    /// Copies from the page at `offset` into `buf`.
    pub(crate) fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        self.pool.window.read(self.slot, offset, buf)
    }

    /// Keeps the mapping beyond this guard: the returned token releases it
    /// through [`Pool::release`]. Whoever keeps it must keep the page alive
    /// until then; dropping the token without releasing leaks the slot.
    pub(crate) fn hold(self) -> Held {
        let held = Held { slot: self.slot, pool: self.pool as *const Pool as usize };
        ::core::mem::forget(self);
        held
    }
}

impl Drop for PoolMap<'_> {
    fn drop(&mut self) {
        self.pool.unmap(self.slot);
    }
}

/// A pool mapping kept without a guard (see [`PoolMap::hold`]).
pub(crate) struct Held {
    slot: u32,
    /// The pool it belongs to (its address), checked on release.
    pool: usize,
}

impl Held {
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }
}
