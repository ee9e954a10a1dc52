// SPDX-License-Identifier: GPL-2.0
//! A model window for the pool core that checks the rules the kernel relies
//! on:
//!
//! - a slot is set only when its PTE is clear and flushed from every TLB;
//! - it is never cleared while someone holds it;
//! - memory is read or written only through a slot whose PTE maps a page;
//! - the TLB flush ([`Window::flush`]) never runs with the caller's CPU
//!   pinned (the core holds no lock across a flush), and every
//!   [`Window::pin_cpu`] is paired with one [`Window::unpin_cpu`] on the same
//!   thread (the pin depth never goes negative and is 0 when a test thread
//!   ends: [`as_cpu`]).
//!
//! Pages are frame numbers; reading through a slot yields the frame number
//! it maps, so a caller sees at once whether it reached the page it asked
//! for.
//!
//! Each thread says which CPU it is ([`set_cpu`], [`as_cpu`]; 0 by
//! default): `pin_cpu` returns it, and the model counts the PTEs each CPU
//! set ([`Model::sets_on`]).
//!
//! Under `--cfg loom` each slot's PTE and TLB state is a `loom` cell, so
//! loom also checks that the core orders every access to it (a set, a
//! clear, a flush, a read through the slot) after the previous one: a
//! missing Release/Acquire in the core is a causality violation even when
//! the values happen to be right. The model's own atomics are `Relaxed`
//! there, so that they add no synchronisation the core lacks.

use crate::atomic::{AtomicU32, Ordering};
use crate::pool_core::{Core, Flushed, MapError, Parts, PerCpu, SlotRef, SlotView, Window};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};

#[cfg(loom)]
use loom::thread_local;

/// The ordering of the model's own atomics that threads share: none to
/// speak of under loom (see the module doc).
#[cfg(loom)]
const ORD: Ordering = Ordering::Relaxed;
#[cfg(not(loom))]
const ORD: Ordering = Ordering::SeqCst;

/// The most CPU numbers a thread may say it is.
pub(crate) const MAX_CPUS: usize = 64;

#[cfg(not(loom))]
thread_local! {
    /// The CPU this thread is.
    static CPU: Cell<u32> = const { Cell::new(0) };
    /// How many `pin_cpu`s of this thread are not yet unpinned.
    static PINS: Cell<i32> = const { Cell::new(0) };
}
// loom's (one per loom thread: loom runs them all on one OS thread).
#[cfg(loom)]
thread_local! {
    static CPU: Cell<u32> = Cell::new(0);
    static PINS: Cell<i32> = Cell::new(0);
}

/// The CPU this thread is (0 unless set).
pub(crate) fn cpu() -> u32 {
    CPU.with(Cell::get)
}

/// This thread's pin depth.
pub(crate) fn pins() -> i32 {
    PINS.with(Cell::get)
}

/// Makes this thread CPU `cpu` (a pinned thread cannot move).
pub(crate) fn set_cpu(cpu: u32) {
    assert!((cpu as usize) < MAX_CPUS);
    assert_eq!(pins(), 0, "a pinned thread moved to CPU {cpu}");
    CPU.with(|c| c.set(cpu));
}

/// Runs `f` as CPU `cpu`, checks that it left no CPU pinned, and makes
/// the thread the CPU it was again. Every test thread runs its body
/// through this.
pub(crate) fn as_cpu<R>(cpu: u32, f: impl FnOnce() -> R) -> R {
    let was = self::cpu();
    set_cpu(cpu);
    let r = f();
    assert_eq!(pins(), 0, "CPU {cpu}'s thread ends with its CPU pinned");
    set_cpu(was);
    r
}

/// One PTE and its TLB entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pte {
    /// pfn + 1, 0 when clear.
    pub(crate) pfn1: u32,
    /// Cleared but maybe still in some TLB.
    pub(crate) stale: bool,
}

#[cfg(not(loom))]
struct PteCell {
    pfn1: AtomicU32,
    stale: AtomicU32,
}

#[cfg(not(loom))]
impl PteCell {
    fn new() -> Self {
        PteCell { pfn1: AtomicU32::new(0), stale: AtomicU32::new(0) }
    }
    fn get(&self) -> Pte {
        Pte { pfn1: self.pfn1.load(SeqCst), stale: self.stale.load(SeqCst) != 0 }
    }
    /// Only the core's set, clear and flush change a PTE; the protocol
    /// keeps them apart (and the checks catch it if it does not).
    fn update(&self, f: impl FnOnce(&mut Pte)) {
        let mut p = self.get();
        f(&mut p);
        self.pfn1.store(p.pfn1, SeqCst);
        self.stale.store(u32::from(p.stale), SeqCst);
    }
}

#[cfg(loom)]
struct PteCell(loom::cell::UnsafeCell<Pte>);

// SAFETY: every access goes through loom's `with`/`with_mut`, and loom
// runs one thread at a time and fails any pair of accesses that are not
// ordered (a write with anything): a race is a test failure, not UB.
#[cfg(loom)]
unsafe impl Sync for PteCell {}

#[cfg(loom)]
impl PteCell {
    fn new() -> Self {
        PteCell(loom::cell::UnsafeCell::new(Pte::default()))
    }
    fn get(&self) -> Pte {
        // SAFETY: loom checks that no write to the cell is concurrent with
        // this read (and panics if one is).
        self.0.with(|p| unsafe { *p })
    }
    fn update(&self, f: impl FnOnce(&mut Pte)) {
        // SAFETY: loom checks that no other access is concurrent with this
        // write (and panics if one is).
        self.0.with_mut(|p| f(unsafe { &mut *p }))
    }
}

/// What a test hook is told.
#[cfg(not(loom))]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// A TLB flush of this many slots is about to run (the PTEs are clear,
    /// the TLBs not yet flushed).
    Flush { slots: usize },
    /// The thread that is CPU `cpu` spins.
    Relax { cpu: u32 },
    /// CPU `cpu` has just set `slot`'s PTE to page `pfn` (in the core's
    /// install: its CPU pinned, the page's lookup chain locked).
    Set { cpu: u32, slot: u32, pfn: u32 },
}

#[cfg(not(loom))]
type Hook = std::sync::Arc<dyn Fn(Event) + Send + Sync>;

/// How much of a page [`Window::bytes`] shows in the model.
pub(crate) const PAGE_BYTES: usize = 64;

/// A page's bytes, written through `bytes_mut` slices.
struct Page(std::cell::UnsafeCell<[u8; PAGE_BYTES]>);

// SAFETY: the core hands out `&mut` to a page's bytes only to one holder of
// an exclusive borrow of the page at a time (what the tests check); the
// model itself only creates pages, under its mutex.
unsafe impl Sync for Page {}

pub(crate) struct Model {
    ptes: Vec<PteCell>,
    /// References the test itself counts per slot (held by its threads).
    pub(crate) held: Vec<AtomicU32>,
    /// Calls of `set`, `clear` and `flush`, and slots the flushes covered.
    pub(crate) sets: AtomicUsize,
    pub(crate) clears: AtomicUsize,
    pub(crate) flush_calls: AtomicUsize,
    pub(crate) flushed_slots: AtomicUsize,
    pub(crate) relaxes: AtomicUsize,
    /// PTEs set by, and pins of, each CPU (by the CPU number the thread
    /// says it is).
    sets_on: Vec<AtomicUsize>,
    pins_on: Vec<AtomicUsize>,
    clock: AtomicU64,
    /// The first [`PAGE_BYTES`] of each page, as [`Window::bytes`] shows
    /// them: made on first use with the page's frame number in every word,
    /// never freed (so slices of them stay valid while the model lives).
    pages: std::sync::Mutex<HashMap<u32, Box<Page>>>,
    /// Set when a test thread panics ([`Model::poison_on_panic`]): spinning
    /// threads then panic too instead of waiting for it forever.
    poisoned: std::sync::atomic::AtomicBool,
    /// How many CPUs `on_each_cpu` runs on.
    pub(crate) cpus: u32,
    #[cfg(not(loom))]
    hook: std::sync::Mutex<Option<Hook>>,
    /// Under loom: yield just before each pin and just after each unpin
    /// (for cases run without preemptions, whose threads then switch only
    /// there, never inside a pinned section).
    #[cfg(loom)]
    pub(crate) yield_at_pins: std::sync::atomic::AtomicBool,
}

impl Model {
    pub(crate) fn new(n: usize, cpus: u32) -> Self {
        Model {
            ptes: (0..n).map(|_| PteCell::new()).collect(),
            held: (0..n).map(|_| AtomicU32::new(0)).collect(),
            sets: AtomicUsize::new(0),
            clears: AtomicUsize::new(0),
            flush_calls: AtomicUsize::new(0),
            flushed_slots: AtomicUsize::new(0),
            relaxes: AtomicUsize::new(0),
            sets_on: (0..MAX_CPUS).map(|_| AtomicUsize::new(0)).collect(),
            pins_on: (0..MAX_CPUS).map(|_| AtomicUsize::new(0)).collect(),
            clock: AtomicU64::new(0),
            pages: std::sync::Mutex::new(HashMap::new()),
            poisoned: std::sync::atomic::AtomicBool::new(false),
            cpus,
            #[cfg(not(loom))]
            hook: std::sync::Mutex::new(None),
            #[cfg(loom)]
            yield_at_pins: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Slot `slot`'s PTE and TLB state.
    pub(crate) fn pte(&self, slot: u32) -> Pte {
        self.ptes[slot as usize].get()
    }

    /// The page `slot`'s PTE maps, if set.
    pub(crate) fn pte_pfn(&self, slot: u32) -> Option<u32> {
        self.pte(slot).pfn1.checked_sub(1)
    }

    /// A pointer to page `pfn`'s bytes, made on first use.
    fn page_ptr(&self, pfn: u32) -> *mut [u8; PAGE_BYTES] {
        let mut pages = self.pages.lock().unwrap();
        let page = pages.entry(pfn).or_insert_with(|| {
            let mut b = [0u8; PAGE_BYTES];
            for (i, x) in b.iter_mut().enumerate() {
                *x = word_of(pfn).to_le_bytes()[i % 4];
            }
            Box::new(Page(std::cell::UnsafeCell::new(b)))
        });
        page.0.get()
    }

    /// Marks the model poisoned if the calling thread is panicking when the
    /// returned guard drops: spinning threads then give up.
    pub(crate) fn poison_on_panic(&self) -> impl Drop + '_ {
        struct Guard<'a>(&'a Model);
        impl Drop for Guard<'_> {
            fn drop(&mut self) {
                if std::thread::panicking() {
                    self.0.poisoned.store(true, SeqCst);
                }
            }
        }
        Guard(self)
    }

    /// Whether a test thread has panicked ([`Model::poison_on_panic`]).
    pub(crate) fn poisoned(&self) -> bool {
        self.poisoned.load(SeqCst)
    }

    /// How many PTEs the threads that were CPU `cpu` set.
    pub(crate) fn sets_on(&self, cpu: u32) -> usize {
        self.sets_on[cpu as usize].load(SeqCst)
    }

    /// How many times the threads that were CPU `cpu` pinned it.
    pub(crate) fn pins_on(&self, cpu: u32) -> usize {
        self.pins_on[cpu as usize].load(SeqCst)
    }

    /// Counts a reference the test holds on `slot` (`clear` asserts none).
    pub(crate) fn hold(&self, slot: u32) {
        self.held[slot as usize].fetch_add(1, ORD);
    }

    pub(crate) fn unhold(&self, slot: u32) {
        let was = self.held[slot as usize].fetch_sub(1, ORD);
        assert!(was > 0, "slot {slot} unheld more often than held");
    }

    /// Calls `f` at every [`Event`] from now on (`None`: no more).
    #[cfg(not(loom))]
    pub(crate) fn set_hook(&self, f: Option<Hook>) {
        *self.hook.lock().unwrap() = f;
    }

    #[cfg(not(loom))]
    fn event(&self, e: Event) {
        let hook = self.hook.lock().unwrap().clone();
        if let Some(h) = hook {
            h(e);
        }
    }

    fn check_access(&self, slot: u32, offset: usize, len: usize) -> Result<Pte, ()> {
        if slot as usize >= self.ptes.len() {
            panic!("memory access through slot {slot}, past the window");
        }
        let p = self.ptes[slot as usize].get();
        assert_ne!(p.pfn1, 0, "memory access through slot {slot}, whose PTE is clear");
        if offset.checked_add(len).is_none_or(|end| end > 4096) {
            return Err(());
        }
        Ok(p)
    }
}

impl Window for Model {
    type Page = u32;
    fn slots(&self) -> u32 {
        self.ptes.len() as u32
    }
    fn pfn(page: &u32) -> u32 {
        *page
    }
    unsafe fn set(&self, slot: u32, pfn: &u32) {
        self.ptes[slot as usize].update(|p| {
            assert_eq!(p.pfn1, 0, "slot {slot} set while its PTE is still set");
            assert!(!p.stale, "slot {slot} reused before the flush that covers it");
            p.pfn1 = pfn + 1;
        });
        self.sets.fetch_add(1, SeqCst);
        self.sets_on[cpu() as usize].fetch_add(1, SeqCst);
        #[cfg(not(loom))]
        self.event(Event::Set { cpu: cpu(), slot, pfn: *pfn });
    }
    unsafe fn clear(&self, slot: u32) {
        assert_eq!(self.held[slot as usize].load(ORD), 0, "slot {slot} cleared while held");
        self.ptes[slot as usize].update(|p| {
            assert_ne!(p.pfn1, 0, "slot {slot} cleared twice");
            p.pfn1 = 0;
            p.stale = true;
        });
        self.clears.fetch_add(1, SeqCst);
    }
    unsafe fn flush(&self, slots: &[AtomicU32]) {
        // The flusher holds the flush (a lock others spin on) with its CPU
        // pinned, so that it is never scheduled away from under them.
        assert!(pins() > 0, "TLB flush on CPU {} with preemption on", cpu());
        #[cfg(not(loom))]
        self.event(Event::Flush { slots: slots.len() });
        for s in slots {
            let s = s.load(Ordering::Relaxed);
            self.ptes[s as usize].update(|p| p.stale = false);
        }
        self.flush_calls.fetch_add(1, SeqCst);
        self.flushed_slots.fetch_add(slots.len(), SeqCst);
    }
    unsafe fn read(&self, slot: u32, offset: usize, buf: &mut [u8]) -> Result<(), ()> {
        let p = self.check_access(slot, offset, buf.len())?;
        let pfn = p.pfn1 - 1;
        for (i, b) in buf.iter_mut().enumerate() {
            *b = pfn.to_le_bytes()[(offset + i) % 4];
        }
        Ok(())
    }
    unsafe fn write(&self, slot: u32, offset: usize, data: &[u8]) -> Result<(), ()> {
        self.check_access(slot, offset, data.len()).map(|_| ())
    }
    unsafe fn bytes<'a>(&self, slot: u32) -> Result<&'a [u8], ()> {
        let p = self.check_access(slot, 0, 0)?;
        // SAFETY: pages are never freed while the model lives, which the
        // core's borrow of it outlives; the caller holds a reference on the
        // slot and nobody writes the page meanwhile (the trait's contract).
        Ok(unsafe { &*self.page_ptr(p.pfn1 - 1) })
    }
    unsafe fn bytes_mut<'a>(&self, slot: u32) -> Result<&'a mut [u8], ()> {
        let p = self.check_access(slot, 0, 0)?;
        // SAFETY: as in `bytes`; nobody else reads or writes the page
        // meanwhile (the trait's contract).
        Ok(unsafe { &mut *self.page_ptr(p.pfn1 - 1) })
    }
    unsafe fn on_each_cpu(&self, f: &(dyn Fn(u32) + Sync)) {
        for cpu in 0..self.cpus {
            f(cpu);
        }
    }
    fn pin_cpu(&self) -> u32 {
        #[cfg(loom)]
        if self.yield_at_pins.load(SeqCst) {
            loom::thread::yield_now();
        }
        PINS.with(|p| p.set(p.get() + 1));
        self.pins_on[cpu() as usize].fetch_add(1, SeqCst);
        cpu()
    }
    unsafe fn unpin_cpu(&self) {
        let left = PINS.with(|p| {
            p.set(p.get() - 1);
            p.get()
        });
        assert!(left >= 0, "unpin_cpu without a pin_cpu on CPU {}", cpu());
        #[cfg(loom)]
        if self.yield_at_pins.load(SeqCst) {
            loom::thread::yield_now();
        }
    }
    fn relax(&self) {
        self.relaxes.fetch_add(1, SeqCst);
        assert!(!self.poisoned.load(SeqCst), "CPU {} spins while another test thread has panicked", cpu());
        #[cfg(loom)]
        loom::thread::yield_now();
        #[cfg(not(loom))]
        {
            self.event(Event::Relax { cpu: cpu() });
            std::hint::spin_loop();
        }
    }
    fn now_ns(&self) -> u64 {
        self.clock.fetch_add(10, SeqCst)
    }
}

pub(crate) type TestCore = Core<Vec<AtomicU32>, Vec<PerCpu>, Model>;

/// `n` zeroed words.
pub(crate) fn zeroed(n: usize) -> Vec<AtomicU32> {
    (0..n).map(|_| AtomicU32::new(0)).collect()
}

/// The parts of a core of `n` slots and `cpus` CPUs, as the module makes
/// them.
pub(crate) fn parts(n: usize, cpus: usize) -> Parts<Vec<AtomicU32>, Vec<PerCpu>> {
    Parts {
        state: zeroed(n),
        pfn: zeroed(n),
        next: zeroed(n),
        buckets: zeroed((2 * n).next_power_of_two()),
        dirty_next: zeroed(n),
        depot: zeroed(n),
        depot_len: zeroed(cpus),
        scratch: zeroed(n),
        cpus: (0..cpus).map(|_| PerCpu::new()).collect(),
    }
}

/// A core of `n` slots and `cpus` CPUs over a model window.
pub(crate) fn pool(n: usize, cpus: usize) -> TestCore {
    Core::new(Model::new(n, cpus as u32), parts(n, cpus)).expect("parts fit the window")
}

/// The word a read through a slot mapping `pfn` gives.
pub(crate) fn word_of(pfn: u32) -> u32 {
    pfn
}

// Helpers of the tests (threads and loom alike).

/// Reads the first word of the page through `r`, as the page `pfn`.
pub(crate) fn read_word(core: &TestCore, r: &SlotRef, pfn: u32) -> Result<u32, ()> {
    let mut b = [0u8; 4];
    core.read(r, &pfn, 0, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Maps `pfn`; on success counts the reference as held in the model (so
/// that clearing the slot meanwhile fails) and checks that the slot reaches
/// the page.
pub(crate) fn get(core: &TestCore, pfn: u32) -> Result<SlotRef, MapError> {
    let r = core.map(&pfn)?;
    core.window().hold(r.slot());
    assert_eq!(read_word(core, &r, pfn), Ok(word_of(pfn)), "slot {} does not map pfn {pfn}", r.slot());
    Ok(r)
}

/// Checks that `r` still reaches `pfn`, and releases it. Returns whether
/// that was the last reference.
pub(crate) fn put(core: &TestCore, r: SlotRef, pfn: u32) -> bool {
    assert_eq!(read_word(core, &r, pfn), Ok(word_of(pfn)), "slot {} does not map pfn {pfn} any more", r.slot());
    core.window().unhold(r.slot());
    core.release(r).expect("the pool's own token")
}

/// Sums of the per-CPU views: (hits, misses, magazines, dirty, depot).
pub(crate) fn cpu_sums(core: &TestCore) -> (u64, u64, u32, u32, u32) {
    let mut s = (0, 0, 0, 0, 0);
    for k in 0..core.cpus() {
        let v = core.cpu_view(k).expect("a CPU of the pool");
        s.0 += v.hits;
        s.1 += v.misses;
        s.2 += v.magazine;
        s.3 += v.dirty;
        s.4 += v.depot;
    }
    assert!(core.cpu_view(core.cpus()).is_none());
    s
}

/// Which CPU's region `slot` is in.
pub(crate) fn region_of(core: &TestCore, slot: u32) -> usize {
    ((slot / core.region()) as usize).min(core.cpus() - 1)
}

/// What must hold when no thread is inside the core and the test holds
/// `held` references on `held_slots` distinct slots: every slot is in use,
/// idle (and listed once, on its region's dirty list) or clean; no page is
/// in two slots; the model's PTEs agree with the slots; the counters agree
/// with each other and with the model's.
pub(crate) fn check_quiet(core: &TestCore, held: u32, held_slots: u32) {
    let w = core.window();
    let n = core.slots();
    let t = core.totals();
    assert_eq!(t.in_use, held_slots, "slots in use");
    let (hits, misses, mags, dirty, depot) = cpu_sums(core);
    assert_eq!((hits, misses), (t.hits, t.misses), "per-CPU counts sum to the totals");
    assert_eq!(t.hits + t.misses, t.unmaps + u64::from(held), "maps = unmaps + references held");
    assert_eq!(depot, core.depot_clean());
    assert_eq!(mags + depot, core.clean());
    assert_eq!(
        core.idle() + core.clean() + held_slots,
        n,
        "idle {} clean {} in use {held_slots}",
        core.idle(),
        core.clean()
    );
    let mut seen: HashMap<u32, u32> = HashMap::new();
    let (mut free, mut users) = (0, 0);
    let mut idle_in = vec![0u32; core.cpus()];
    for s in 0..n {
        match core.view(s) {
            SlotView::Free => {
                free += 1;
                assert_eq!(w.pte(s), Default::default(), "clean slot {s}: PTE clear and flushed");
            }
            SlotView::Mapped { pfn, users: u } => {
                users += u;
                if u == 0 {
                    idle_in[region_of(core, s)] += 1;
                }
                assert_eq!(w.pte_pfn(s), Some(pfn), "slot {s}'s PTE");
                assert_eq!(w.held[s as usize].load(SeqCst), u, "slot {s}'s users vs the references the test holds");
                if let Some(other) = seen.insert(pfn, s) {
                    panic!("page {pfn} in slots {other} and {s}");
                }
            }
            SlotView::Flushing { pfn } => panic!("slot {s} (page {pfn}) flushing in a quiet pool"),
        }
    }
    assert_eq!(free, core.clean(), "free slots vs clean slots");
    assert_eq!(users, held);
    for (k, &idle) in idle_in.iter().enumerate() {
        let v = core.cpu_view(k).unwrap();
        if held == 0 {
            // Every idle slot is on exactly one dirty list, its region's,
            // and only they are.
            assert_eq!(v.dirty, idle, "CPU {k}'s dirty list vs its region's idle slots");
        }
        // Misses count where they ran: the PTEs that CPU set.
        let sets: usize = (k..MAX_CPUS).step_by(core.cpus()).map(|c| w.sets_on(c as u32)).sum();
        assert_eq!(v.misses, sets as u64, "CPU {k}'s misses vs the PTEs it set");
    }
    if held != 0 {
        assert!(dirty <= core.idle() + held_slots);
    }
    let st = &core.stats;
    let hw = st.high_water.load(SeqCst);
    assert!(hw <= n, "high water {hw} > {n} slots");
    assert!(hw >= held_slots, "high water {hw} < {held_slots} in use");
    assert_eq!(w.sets.load(SeqCst) as u64, t.misses, "one PTE set per miss");
    assert_eq!(w.clears.load(SeqCst) as u64, st.slots_flushed.get(), "one PTE clear per slot flushed");
    assert_eq!(w.flushed_slots.load(SeqCst) as u64, st.slots_flushed.get());
    assert_eq!(w.flush_calls.load(SeqCst) as u64, st.flushes.get(), "one TLB flush round per flush");
    assert_eq!(u64::from(core.flush_gen()), st.flushes.get(), "a generation per flush of at least one slot");
}

/// Flushes a quiet pool with nothing held: every slot ends clean.
pub(crate) fn flush_all_quiet(core: &TestCore) {
    let idle = core.idle() as usize;
    assert_eq!(core.flush(), Flushed::Slots(idle));
    assert_eq!((core.idle(), core.clean()), (0, core.slots()));
    for s in 0..core.slots() {
        assert_eq!(core.view(s), SlotView::Free);
    }
    check_quiet(core, 0, 0);
}
