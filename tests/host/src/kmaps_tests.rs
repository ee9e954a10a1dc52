// SPDX-License-Identifier: GPL-2.0
//! The kmap attribution tables: counting by call site and mechanism,
//! kmap() hold pairing, the histograms, merging CPUs, concurrency.

use crate::kmaps::*;
use std::sync::Arc;

struct Owned {
    sites: Vec<Site>,
    holds: Vec<Hold>,
    lost: Lost,
}

fn owned(cpus: usize, holds: usize) -> Owned {
    Owned {
        sites: (0..cpus * SITES_PER_CPU).map(|_| Site::new()).collect(),
        holds: (0..holds).map(|_| Hold::new()).collect(),
        lost: Lost::default(),
    }
}

impl Owned {
    fn t(&self) -> Tables<'_> {
        Tables { sites: &self.sites, holds: &self.holds, lost: &self.lost }
    }
    fn rows(&self) -> Vec<Snapshot> {
        let mut v = Vec::new();
        self.t().for_each(|_, s| v.push(s));
        let n = merge(&mut v);
        v.truncate(n);
        v
    }
    fn row(&self, site: usize, mech: Mech) -> Snapshot {
        let r = self.rows();
        *r.iter().find(|s| s.site == site && s.mech() == Some(mech)).unwrap_or_else(|| panic!("no row {site:#x} {mech:?} in {r:?}"))
    }
    fn lost(&self) -> [u32; 3] {
        let r = std::sync::atomic::Ordering::Relaxed;
        [self.lost.sites_full.load(r), self.lost.holds_full.load(r), self.lost.unmatched.load(r)]
    }
}

fn ev(kind: Kind, site: usize, key: usize, now_ns: u64) -> Event {
    Event { kind, site, key, now_ns, start_ns: 0, highmem: true, depth: 0, pagefault_disabled: false, cpu: 0, waited: false }
}

/// A kmap() as the probes report it: kmap_high() entered, then returned.
fn kmap(o: &Owned, site: usize, page: usize, now_ns: u64) {
    o.t().record(&ev(Kind::Kmap, site, page, now_ns));
    let mut r = ev(Kind::KmapReturn, site, page, now_ns);
    r.start_ns = now_ns;
    o.t().record(&r);
}

const SITE_A: usize = 0xc110_2030;
const SITE_B: usize = 0xf87a_1044;
const PAGE: usize = 0xf6a0_0020;

#[test]
fn buckets_are_floor_log2_capped() {
    assert_eq!(log2_bucket(0), 0);
    assert_eq!(log2_bucket(1), 0);
    assert_eq!(log2_bucket(2), 1);
    assert_eq!(log2_bucket(3), 1);
    assert_eq!(log2_bucket(1 << 26), 26);
    assert_eq!(log2_bucket((1 << 27) - 1), 26);
    assert_eq!(log2_bucket(90_000_000), 26);
    assert_eq!(log2_bucket(u64::MAX), HOLD_BUCKETS - 1);
}

#[test]
fn mechanism_follows_kind_and_page_faults() {
    let mut e = ev(Kind::LocalPage, SITE_A, PAGE, 1);
    assert_eq!(mechanism_of(&e), Some(Mech::KmapLocal));
    e.pagefault_disabled = true;
    assert_eq!(mechanism_of(&e), Some(Mech::KmapAtomic));
    e.kind = Kind::LocalPfn;
    assert_eq!(mechanism_of(&e), Some(Mech::KmapAtomicPfn));
    e.kind = Kind::KunmapLocal;
    assert_eq!(mechanism_of(&e), Some(Mech::KunmapAtomic));
    e.pagefault_disabled = false;
    assert_eq!(mechanism_of(&e), Some(Mech::KunmapLocal));
    assert_eq!(mechanism_of(&ev(Kind::KmapReturn, SITE_A, 0, 1)), None);
    assert_eq!(mechanism_of(&ev(Kind::Kmap, SITE_A, PAGE, 1)), Some(Mech::Kmap));
    for (i, k) in [Kind::Kmap, Kind::KmapReturn, Kind::Kunmap, Kind::LocalPage, Kind::LocalPfn, Kind::KunmapLocal, Kind::PkmapFlush]
        .into_iter()
        .enumerate()
    {
        assert_eq!(Kind::from_raw(i as u32), Some(k));
    }
    assert_eq!(Kind::from_raw(7), None);
}

#[test]
fn counts_by_site_and_mechanism() {
    let o = owned(1, HOLDS);
    for i in 0..10 {
        let mut e = ev(Kind::LocalPage, SITE_A, PAGE, i);
        e.highmem = i % 2 == 0;
        e.depth = (i % 3) as u32;
        o.t().record(&e);
    }
    let mut e = ev(Kind::LocalPage, SITE_A, PAGE, 20);
    e.pagefault_disabled = true;
    o.t().record(&e);
    o.t().record(&ev(Kind::PkmapFlush, SITE_B, 0, 21));
    let local = o.row(SITE_A, Mech::KmapLocal);
    assert_eq!((local.calls, local.highmem), (10, 5));
    assert_eq!(&local.depth_hist[..3], &[4, 3, 3]);
    assert_eq!(o.row(SITE_A, Mech::KmapAtomic).calls, 1);
    assert_eq!(o.row(SITE_B, Mech::PkmapFlush).calls, 1);
    assert_eq!(o.rows().len(), 3);
    assert_eq!(o.lost(), [0, 0, 0]);
}

#[test]
fn kmap_holds_pair_with_kunmap_and_land_in_their_bucket() {
    let o = owned(2, HOLDS);
    kmap(&o, SITE_A, PAGE, 1_000);
    kmap(&o, SITE_A, PAGE + 32, 2_000);
    // Unmapped from another site and another CPU.
    let mut u = ev(Kind::Kunmap, SITE_B, PAGE, 1_000 + 90_000_000);
    u.cpu = 1;
    o.t().record(&u);
    let k = o.row(SITE_A, Mech::Kmap);
    assert_eq!((k.calls, k.holds, k.held), (2, 1, 1));
    assert_eq!(k.hold_ns, 90_000_000);
    assert_eq!(k.hold_max_ns, 90_000_000);
    assert_eq!(k.hold_hist[26], 1);
    assert_eq!(k.hold_hist.iter().sum::<u64>(), 1);
    assert_eq!(o.row(SITE_B, Mech::Kunmap).calls, 1);
    // A kunmap of a page whose kmap was not seen.
    o.t().record(&ev(Kind::Kunmap, SITE_B, PAGE + 64, 5));
    assert_eq!(o.lost(), [0, 0, 1]);
}

#[test]
fn waits_count_under_the_kmap_of_their_site_and_holds_start_after_them() {
    let o = owned(1, HOLDS);
    o.t().record(&ev(Kind::Kmap, SITE_A, PAGE, 100));
    let mut w = ev(Kind::KmapReturn, SITE_A, PAGE, 5_100);
    w.start_ns = 100;
    w.waited = true;
    o.t().record(&w);
    o.t().record(&ev(Kind::Kunmap, SITE_B, PAGE, 5_300));
    let k = o.row(SITE_A, Mech::Kmap);
    assert_eq!((k.calls, k.waits, k.wait_ns), (1, 1, 5_000));
    assert_eq!((k.holds, k.hold_ns), (1, 200));
    // A return that did not wait counts no wait.
    kmap(&o, SITE_A, PAGE, 6_000);
    assert_eq!(o.row(SITE_A, Mech::Kmap).waits, 1);
}

#[test]
fn a_new_round_forgets_the_holds_of_the_last() {
    let o = owned(1, HOLDS);
    // Mapped in one round, not unmapped before it stopped.
    kmap(&o, SITE_A, PAGE, 0);
    o.t().clear_holds();
    kmap(&o, SITE_B, PAGE, 10_000);
    o.t().record(&ev(Kind::Kunmap, SITE_B, PAGE, 10_050));
    let (a, b) = (o.row(SITE_A, Mech::Kmap), o.row(SITE_B, Mech::Kmap));
    assert_eq!((a.holds, a.held, b.holds, b.hold_ns, b.held), (0, 0, 1, 50, 0));
}

#[test]
fn probe_starts_spread_over_the_table() {
    // Sites 16 bytes apart, pages 32 bytes apart: every start is used.
    for (step, len) in [(16usize, SITES_PER_CPU), (32, HOLDS), (4096, HOLDS)] {
        let mut seen = vec![false; len];
        for i in 0..len * 8 {
            let mut e = ev(Kind::LocalPage, 0xc100_0000 + i * step, PAGE, 0);
            e.cpu = 0;
            seen[crate::kmaps::tests_start_of(e.site, len)] = true;
        }
        assert!(seen.iter().filter(|s| **s).count() > len * 9 / 10, "step {step}: {} of {len}", seen.iter().filter(|s| **s).count());
    }
}

#[test]
fn full_tables_are_counted_not_grown() {
    let o = owned(1, 4);
    for i in 0..(SITES_PER_CPU + 50) {
        o.t().record(&ev(Kind::LocalPage, 0xc100_0000 + i * 16, PAGE, 1));
    }
    let rows = o.rows();
    assert!(rows.len() <= SITES_PER_CPU);
    assert_eq!(rows.len() as u32 + o.lost()[0], (SITES_PER_CPU + 50) as u32);
    // Four timed kmaps fit, the fifth is counted.
    let o = owned(1, 4);
    for i in 0..5 {
        kmap(&o, 0xc200_0000, PAGE + i * 32, 1);
    }
    assert_eq!(o.lost()[1], 1);
}

#[test]
fn same_page_mapped_twice_pairs_twice() {
    let o = owned(1, HOLDS);
    kmap(&o, SITE_A, PAGE, 0);
    kmap(&o, SITE_B, PAGE, 0);
    o.t().record(&ev(Kind::Kunmap, SITE_A, PAGE, 10));
    o.t().record(&ev(Kind::Kunmap, SITE_A, PAGE, 10));
    let holds = o.row(SITE_A, Mech::Kmap).holds + o.row(SITE_B, Mech::Kmap).holds;
    assert_eq!(holds, 2);
    o.t().record(&ev(Kind::Kunmap, SITE_A, PAGE, 10));
    assert_eq!(o.lost(), [0, 0, 1]);
}

#[test]
fn clear_empties_everything() {
    let o = owned(2, HOLDS);
    kmap(&o, SITE_A, PAGE, 0);
    o.t().record(&ev(Kind::Kunmap, SITE_A, PAGE + 1, 0));
    o.t().clear();
    assert!(o.rows().is_empty());
    assert_eq!(o.lost(), [0, 0, 0]);
    // The hold is gone too: its kunmap no longer matches.
    o.t().record(&ev(Kind::Kunmap, SITE_A, PAGE, 5));
    assert_eq!(o.lost(), [0, 0, 1]);
}

#[test]
fn cpus_merge_into_one_row() {
    let o = owned(4, HOLDS);
    for cpu in 0..4u32 {
        for _ in 0..=cpu {
            let mut e = ev(Kind::LocalPage, SITE_A, PAGE, 1);
            e.cpu = cpu;
            o.t().record(&e);
        }
    }
    let mut per_cpu = [0u64; 4];
    o.t().for_each(|cpu, s| per_cpu[cpu as usize] += s.calls);
    assert_eq!(per_cpu, [1, 2, 3, 4]);
    assert_eq!(o.rows().len(), 1);
    assert_eq!(o.row(SITE_A, Mech::KmapLocal).calls, 10);
}

#[test]
fn concurrent_recorders_lose_nothing() {
    let o = Arc::new(owned(1, HOLDS));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let o = o.clone();
            std::thread::spawn(move || {
                for i in 0..10_000usize {
                    let site = 0xc100_0000 + (i % 40) * 16;
                    o.t().record(&ev(Kind::LocalPage, site, PAGE, 1));
                    let page = PAGE + (t * 10_000 + i) * 32;
                    kmap(&o, SITE_A, page, 0);
                    o.t().record(&ev(Kind::Kunmap, SITE_B, page, 7));
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let rows = o.rows();
    let local: u64 = rows.iter().filter(|s| s.mech() == Some(Mech::KmapLocal)).map(|s| s.calls).sum();
    assert_eq!(local, 40_000);
    let k = o.row(SITE_A, Mech::Kmap);
    assert_eq!((k.calls, k.holds, k.held, k.hold_ns), (40_000, 40_000, 0, 7 * 40_000));
    assert_eq!(o.lost(), [0, 0, 0]);
}

#[test]
fn histograms_render_sparse() {
    let mut s = String::new();
    write_hist(&mut s, &[0, 2, 0, 5]).unwrap();
    assert_eq!(s, "1:2,3:5");
    s.clear();
    write_hist(&mut s, &[0; 4]).unwrap();
    assert_eq!(s, "-");
}

#[test]
fn commands_are_one_word() {
    assert_eq!(parse_command(b"start\n"), Some(Command::Start));
    assert_eq!(parse_command(b"stop"), Some(Command::Stop));
    assert_eq!(parse_command(b"reset\n"), Some(Command::Reset));
    for bad in [&b""[..], b"\n", b"start\n\n", b" start", b"Start", b"stop now", b"reset\0"] {
        assert_eq!(parse_command(bad), None, "{bad:?}");
    }
}
