// SPDX-License-Identifier: GPL-2.0

//! Attribution of the kernel's own highmem mappings to their call sites:
//! what the probes of `sys::kmaps` saw, counted per call site in fixed
//! tables, and the `kmaps` file's text.
//!
//! Pure logic over atomics, compiled into the module and into the host
//! test crate. Recording never allocates, never waits and never fails: a
//! full table is counted (`sites_full`, `holds_full`), not grown. Every
//! update is an atomic operation, so the tables stay sound and consistent
//! whoever records into them at once; in the module each CPU records into
//! its own table (the kprobe core never nests its handlers on one CPU), so
//! the atomics are uncontended.
//!
//! A call site is the probed function's return address: for the inline
//! `kmap()`, `kmap_atomic()` and `kmap_local_page()`, the function that
//! calls them. `kmap_atomic()` and `kmap_local_page()` reach the same
//! kernel function; `kmap_atomic()` is the one that disables page faults
//! first, which is how [`mechanism_of`] tells them apart (a kmap_local
//! made with page faults disabled by its caller counts as kmap_atomic).

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// How a call site maps or unmaps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mech {
    /// `kmap()` of a highmem page (`kmap_high()`).
    Kmap = 0,
    /// `kunmap()` of a highmem page (`kunmap_high()`).
    Kunmap,
    KmapAtomic,
    KmapLocal,
    KmapAtomicPfn,
    KmapLocalPfn,
    KunmapAtomic,
    KunmapLocal,
    /// The pkmap's flush of its unused entries (on a wrap, or
    /// `kmap_flush_unused()`): the caller of `flush_tlb_kernel_range()`.
    PkmapFlush,
}

pub(crate) const MECHS: [Mech; 9] = [
    Mech::Kmap,
    Mech::Kunmap,
    Mech::KmapAtomic,
    Mech::KmapLocal,
    Mech::KmapAtomicPfn,
    Mech::KmapLocalPfn,
    Mech::KunmapAtomic,
    Mech::KunmapLocal,
    Mech::PkmapFlush,
];

impl Mech {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Mech::Kmap => "kmap",
            Mech::Kunmap => "kunmap",
            Mech::KmapAtomic => "kmap_atomic",
            Mech::KmapLocal => "kmap_local",
            Mech::KmapAtomicPfn => "kmap_atomic_pfn",
            Mech::KmapLocalPfn => "kmap_local_pfn",
            Mech::KunmapAtomic => "kunmap_atomic",
            Mech::KunmapLocal => "kunmap_local",
            Mech::PkmapFlush => "pkmap_flush",
        }
    }

    fn from_index(i: u32) -> Option<Mech> {
        MECHS.get(i as usize).copied()
    }
}

/// What a probe saw (`sys::kmaps::RawKmapEvent`'s `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// kmap_high() entered; `key` is the page.
    Kmap,
    /// kmap_high() returned (entered at `start_ns`): the page is mapped,
    /// its hold starts; `waited` if it slept for a free slot.
    KmapReturn,
    /// kunmap_high(); `key` is the page.
    Kunmap,
    /// __kmap_local_page_prot(); `highmem` says whether the page is.
    LocalPage,
    /// __kmap_local_pfn_prot() called directly.
    LocalPfn,
    /// kunmap_local_indexed(); `highmem` says whether the address was a
    /// kmap_local slot.
    KunmapLocal,
    /// flush_tlb_kernel_range() of exactly the pkmap.
    PkmapFlush,
}

impl Kind {
    /// From `HMKIT_KMAP_EV_*` (shim.h).
    pub(crate) fn from_raw(k: u32) -> Option<Kind> {
        Some(match k {
            0 => Kind::Kmap,
            1 => Kind::KmapReturn,
            2 => Kind::Kunmap,
            3 => Kind::LocalPage,
            4 => Kind::LocalPfn,
            5 => Kind::KunmapLocal,
            6 => Kind::PkmapFlush,
            _ => return None,
        })
    }
}

/// One probe hit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(crate) kind: Kind,
    pub(crate) site: usize,
    pub(crate) key: usize,
    pub(crate) now_ns: u64,
    pub(crate) start_ns: u64,
    pub(crate) highmem: bool,
    pub(crate) depth: u32,
    pub(crate) pagefault_disabled: bool,
    pub(crate) cpu: u32,
    pub(crate) waited: bool,
}

/// The mechanism an event counts under (`None` for kmap_high()'s return,
/// whose hold and wait count under the kmap() of the same site).
pub(crate) fn mechanism_of(ev: &Event) -> Option<Mech> {
    Some(match (ev.kind, ev.pagefault_disabled) {
        (Kind::Kmap, _) => Mech::Kmap,
        (Kind::KmapReturn, _) => return None,
        (Kind::Kunmap, _) => Mech::Kunmap,
        (Kind::LocalPage, true) => Mech::KmapAtomic,
        (Kind::LocalPage, false) => Mech::KmapLocal,
        (Kind::LocalPfn, true) => Mech::KmapAtomicPfn,
        (Kind::LocalPfn, false) => Mech::KmapLocalPfn,
        (Kind::KunmapLocal, true) => Mech::KunmapAtomic,
        (Kind::KunmapLocal, false) => Mech::KunmapLocal,
        (Kind::PkmapFlush, _) => Mech::PkmapFlush,
    })
}

/// Buckets of the kmap() hold-time histogram: bucket `b` holds times in
/// [2^b, 2^(b+1)) ns, the last one everything from 2^31 ns (2.1 s) up.
pub(crate) const HOLD_BUCKETS: usize = 32;
/// Buckets of the kmap_local nesting histogram: depth 0 (the outermost
/// mapping) to 7, the last one everything deeper.
pub(crate) const DEPTH_BUCKETS: usize = 8;

/// The hold-time bucket of `ns`.
pub(crate) fn log2_bucket(ns: u64) -> usize {
    if ns == 0 {
        0
    } else {
        ((63 - ns.leading_zeros()) as usize).min(HOLD_BUCKETS - 1)
    }
}

/// Call sites each CPU's table holds.
pub(crate) const SITES_PER_CPU: usize = 256;
/// Outstanding kmap() mappings whose hold time is being timed.
pub(crate) const HOLDS: usize = 1024;
/// Entries looked at before a table counts as full.
const PROBE: usize = 32;
/// A table entry being filled in (no code address is 1).
const FILLING: usize = 1;

/// One call site's counts.
pub(crate) struct Site {
    /// The return address; 0 while free, [`FILLING`] while being claimed.
    site: AtomicUsize,
    mech: AtomicU32,
    calls: AtomicU64,
    highmem: AtomicU64,
    waits: AtomicU64,
    wait_ns: AtomicU64,
    holds: AtomicU64,
    hold_ns: AtomicU64,
    hold_max_ns: AtomicU64,
    hold_hist: [AtomicU64; HOLD_BUCKETS],
    depth_hist: [AtomicU64; DEPTH_BUCKETS],
}

impl Site {
    pub(crate) const fn new() -> Self {
        Site {
            site: AtomicUsize::new(0),
            mech: AtomicU32::new(0),
            calls: AtomicU64::new(0),
            highmem: AtomicU64::new(0),
            waits: AtomicU64::new(0),
            wait_ns: AtomicU64::new(0),
            holds: AtomicU64::new(0),
            hold_ns: AtomicU64::new(0),
            hold_max_ns: AtomicU64::new(0),
            hold_hist: [const { AtomicU64::new(0) }; HOLD_BUCKETS],
            depth_hist: [const { AtomicU64::new(0) }; DEPTH_BUCKETS],
        }
    }

    fn clear(&self) {
        let r = Ordering::Relaxed;
        self.mech.store(0, r);
        self.calls.store(0, r);
        self.highmem.store(0, r);
        self.waits.store(0, r);
        self.wait_ns.store(0, r);
        self.holds.store(0, r);
        self.hold_ns.store(0, r);
        self.hold_max_ns.store(0, r);
        self.hold_hist.iter().chain(self.depth_hist.iter()).for_each(|c| c.store(0, r));
        self.site.store(0, Ordering::Release);
    }
}

/// One kmap() being timed: the page, the site that mapped it and when.
pub(crate) struct Hold {
    page: AtomicUsize,
    site: AtomicUsize,
    t0: AtomicU64,
}

impl Hold {
    pub(crate) const fn new() -> Self {
        Hold { page: AtomicUsize::new(0), site: AtomicUsize::new(0), t0: AtomicU64::new(0) }
    }
}

/// What did not fit, or did not match.
#[derive(Default)]
pub(crate) struct Lost {
    /// Events whose site found no room in its CPU's table.
    pub(crate) sites_full: AtomicU32,
    /// kmap() mappings not timed: the hold table had no room.
    pub(crate) holds_full: AtomicU32,
    /// kunmap() of a page whose kmap() was not seen (made before tracing
    /// started, or not timed).
    pub(crate) unmatched: AtomicU32,
    /// Events of a kind this code does not know.
    pub(crate) unknown: AtomicU32,
}

/// The tables of a trace: `sites` is one table of [`SITES_PER_CPU`]
/// entries per CPU, back to back.
pub(crate) struct Tables<'a> {
    pub(crate) sites: &'a [Site],
    pub(crate) holds: &'a [Hold],
    pub(crate) lost: &'a Lost,
}

/// Where `x` starts its probe sequence in a table of `len` entries:
/// Fibonacci hashing, taking the product's top bits (multiply-shift), so
/// that every bit of `x` counts.
fn start_of(x: usize, len: usize) -> usize {
    ((u64::from((x as u32).wrapping_mul(0x9e37_79b9)) * len as u64) >> 32) as usize
}

/// [`start_of`], for the host tests.
#[cfg(test)]
pub(crate) fn tests_start_of(x: usize, len: usize) -> usize {
    start_of(x, len)
}

/// The entry for `(site, mech)` in `table`, claimed if new; `None` when
/// [`PROBE`] entries from its hash are all taken by others.
fn entry(table: &[Site], site: usize, mech: Mech) -> Option<&Site> {
    if table.is_empty() || site <= FILLING {
        return None;
    }
    let start = start_of(site ^ mech as usize, table.len());
    for i in 0..PROBE.min(table.len()) {
        let e = &table[(start + i) % table.len()];
        let k = e.site.load(Ordering::Acquire);
        if k == site && e.mech.load(Ordering::Relaxed) == mech as u32 {
            return Some(e);
        }
        if k == 0 && e.site.compare_exchange(0, FILLING, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            e.mech.store(mech as u32, Ordering::Relaxed);
            e.site.store(site, Ordering::Release);
            return Some(e);
        }
    }
    None
}

fn claim_hold(holds: &[Hold], page: usize, site: usize, t0: u64) -> bool {
    if holds.is_empty() || page <= FILLING {
        return false;
    }
    let start = start_of(page, holds.len());
    for i in 0..PROBE.min(holds.len()) {
        let h = &holds[(start + i) % holds.len()];
        if h.page.compare_exchange(0, FILLING, Ordering::Acquire, Ordering::Relaxed).is_ok() {
            h.site.store(site, Ordering::Relaxed);
            h.t0.store(t0, Ordering::Relaxed);
            h.page.store(page, Ordering::Release);
            return true;
        }
    }
    false
}

/// Ends the timing of one kmap() of `page`: its site and start. With
/// several kmap() of one page outstanding, any one of them.
fn release_hold(holds: &[Hold], page: usize) -> Option<(usize, u64)> {
    if holds.is_empty() || page <= FILLING {
        return None;
    }
    let start = start_of(page, holds.len());
    for i in 0..PROBE.min(holds.len()) {
        let h = &holds[(start + i) % holds.len()];
        if h.page.load(Ordering::Acquire) == page
            && h.page.compare_exchange(page, FILLING, Ordering::Acquire, Ordering::Relaxed).is_ok()
        {
            let r = (h.site.load(Ordering::Relaxed), h.t0.load(Ordering::Relaxed));
            h.page.store(0, Ordering::Release);
            return Some(r);
        }
    }
    None
}

impl Tables<'_> {
    fn cpu_table(&self, cpu: u32) -> &[Site] {
        let cpus = self.sites.len() / SITES_PER_CPU;
        if cpus == 0 {
            return &[];
        }
        let c = cpu as usize % cpus;
        &self.sites[c * SITES_PER_CPU..(c + 1) * SITES_PER_CPU]
    }

    fn add_hold(&self, table: &[Site], site: usize, ns: u64) {
        let r = Ordering::Relaxed;
        match entry(table, site, Mech::Kmap) {
            Some(e) => {
                e.holds.fetch_add(1, r);
                e.hold_ns.fetch_add(ns, r);
                e.hold_max_ns.fetch_max(ns, r);
                e.hold_hist[log2_bucket(ns)].fetch_add(1, r);
            }
            None => {
                self.lost.sites_full.fetch_add(1, r);
            }
        }
    }

    /// Counts one probe hit. Never blocks, never allocates.
    pub(crate) fn record(&self, ev: &Event) {
        let r = Ordering::Relaxed;
        let table = self.cpu_table(ev.cpu);
        if ev.kind == Kind::KmapReturn {
            if ev.waited {
                match entry(table, ev.site, Mech::Kmap) {
                    Some(e) => {
                        e.waits.fetch_add(1, r);
                        e.wait_ns.fetch_add(ev.now_ns.saturating_sub(ev.start_ns), r);
                    }
                    None => {
                        self.lost.sites_full.fetch_add(1, r);
                    }
                }
            }
            if !claim_hold(self.holds, ev.key, ev.site, ev.now_ns) {
                self.lost.holds_full.fetch_add(1, r);
            }
            return;
        }
        let Some(mech) = mechanism_of(ev) else { return };
        let Some(e) = entry(table, ev.site, mech) else {
            self.lost.sites_full.fetch_add(1, r);
            return;
        };
        e.calls.fetch_add(1, r);
        if ev.highmem {
            e.highmem.fetch_add(1, r);
        }
        match ev.kind {
            Kind::Kunmap => match release_hold(self.holds, ev.key) {
                Some((site, t0)) => self.add_hold(table, site, ev.now_ns.saturating_sub(t0)),
                None => {
                    self.lost.unmatched.fetch_add(1, r);
                }
            },
            Kind::LocalPage | Kind::LocalPfn => {
                e.depth_hist[(ev.depth as usize).min(DEPTH_BUCKETS - 1)].fetch_add(1, r);
            }
            _ => {}
        }
    }

    /// Forgets the kmap() mappings being timed: at a new start, the holds
    /// of an earlier round (whose unmaps were not seen) must not pair with
    /// this round's unmaps.
    pub(crate) fn clear_holds(&self) {
        for h in self.holds {
            h.page.store(0, Ordering::Relaxed);
        }
    }

    /// Empties every table. Counts recorded meanwhile may survive or not.
    pub(crate) fn clear(&self) {
        self.sites.iter().for_each(Site::clear);
        self.clear_holds();
        let r = Ordering::Relaxed;
        self.lost.sites_full.store(0, r);
        self.lost.holds_full.store(0, r);
        self.lost.unmatched.store(0, r);
        self.lost.unknown.store(0, r);
    }

    /// How many kmap() mappings of `site` are being timed (mapped and not
    /// yet unmapped).
    fn held(&self, site: usize) -> u32 {
        self.holds
            .iter()
            .filter(|h| h.page.load(Ordering::Acquire) > FILLING && h.site.load(Ordering::Relaxed) == site)
            .count() as u32
    }
}

/// One site's counts as read at one moment (summed over CPUs once merged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) site: usize,
    pub(crate) mech: u32,
    pub(crate) calls: u64,
    pub(crate) highmem: u64,
    pub(crate) waits: u64,
    pub(crate) wait_ns: u64,
    pub(crate) holds: u64,
    pub(crate) hold_ns: u64,
    pub(crate) hold_max_ns: u64,
    pub(crate) held: u32,
    pub(crate) hold_hist: [u64; HOLD_BUCKETS],
    pub(crate) depth_hist: [u64; DEPTH_BUCKETS],
}

impl Snapshot {
    pub(crate) fn mech(&self) -> Option<Mech> {
        Mech::from_index(self.mech)
    }

    fn add(&mut self, o: &Snapshot) {
        self.calls += o.calls;
        self.highmem += o.highmem;
        self.waits += o.waits;
        self.wait_ns += o.wait_ns;
        self.holds += o.holds;
        self.hold_ns += o.hold_ns;
        self.hold_max_ns = self.hold_max_ns.max(o.hold_max_ns);
        self.held = self.held.max(o.held);
        for (a, b) in self.hold_hist.iter_mut().zip(o.hold_hist.iter()) {
            *a += b;
        }
        for (a, b) in self.depth_hist.iter_mut().zip(o.depth_hist.iter()) {
            *a += b;
        }
    }
}

impl Tables<'_> {
    /// Calls `f(cpu, snapshot)` for each site in use in each CPU's table.
    pub(crate) fn for_each(&self, mut f: impl FnMut(u32, Snapshot)) {
        let r = Ordering::Relaxed;
        for (i, e) in self.sites.iter().enumerate() {
            let site = e.site.load(Ordering::Acquire);
            if site <= FILLING {
                continue;
            }
            let mut s = Snapshot {
                site,
                mech: e.mech.load(r),
                calls: e.calls.load(r),
                highmem: e.highmem.load(r),
                waits: e.waits.load(r),
                wait_ns: e.wait_ns.load(r),
                holds: e.holds.load(r),
                hold_ns: e.hold_ns.load(r),
                hold_max_ns: e.hold_max_ns.load(r),
                ..Snapshot::default()
            };
            if s.mech == Mech::Kmap as u32 {
                s.held = self.held(site);
            }
            for (a, b) in s.hold_hist.iter_mut().zip(e.hold_hist.iter()) {
                *a = b.load(r);
            }
            for (a, b) in s.depth_hist.iter_mut().zip(e.depth_hist.iter()) {
                *a = b.load(r);
            }
            f((i / SITES_PER_CPU) as u32, s);
        }
    }
}

/// Sorts `v` by (site, mechanism) and adds up entries of the same pair
/// (one per CPU that saw it) into the first; returns how many remain at
/// the front.
pub(crate) fn merge(v: &mut [Snapshot]) -> usize {
    v.sort_unstable_by_key(|s| (s.site, s.mech));
    let mut out = 0;
    for i in 0..v.len() {
        if out > 0 && v[out - 1].site == v[i].site && v[out - 1].mech == v[i].mech {
            let s = v[i];
            v[out - 1].add(&s);
        } else {
            v[out] = v[i];
            out += 1;
        }
    }
    out
}

/// Writes a histogram as `bucket:count` pairs joined by commas, `-` if
/// empty.
pub(crate) fn write_hist(out: &mut dyn core::fmt::Write, h: &[u64]) -> core::fmt::Result {
    let mut first = true;
    for (b, n) in h.iter().enumerate().filter(|(_, n)| **n > 0) {
        write!(out, "{}{}:{}", if first { "" } else { "," }, b, n)?;
        first = false;
    }
    if first {
        out.write_str("-")?;
    }
    Ok(())
}

/// What can be written to the `kmaps` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Register the probes and count.
    Start,
    /// Remove every probe; the counts stay readable.
    Stop,
    /// Empty the tables (only while stopped).
    Reset,
}

/// One word, optionally followed by one newline; anything else is `None`
/// (`EINVAL`).
pub(crate) fn parse_command(input: &[u8]) -> Option<Command> {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    match line {
        b"start" => Some(Command::Start),
        b"stop" => Some(Command::Stop),
        b"reset" => Some(Command::Reset),
        _ => None,
    }
}
