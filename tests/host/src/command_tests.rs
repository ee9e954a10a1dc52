// SPDX-License-Identifier: GPL-2.0
use crate::command::{parse, Command, ParseError, MAX_ALLOC, MAX_VMALLOC, MAX_VMALLOC_SPACE};

#[test]
fn accepts_every_verb() {
    assert_eq!(parse(b"alloc\n"), Ok(Command::Alloc(1)));
    assert_eq!(parse(b"alloc 16"), Ok(Command::Alloc(16)));
    assert_eq!(parse(b"free 3\n"), Ok(Command::Free(3)));
    assert_eq!(parse(b"kmap 4294967295"), Ok(Command::Kmap(u32::MAX)));
    assert_eq!(parse(b"kunmap\t7"), Ok(Command::Kunmap(7)));
    assert_eq!(parse(b"  roundtrip   2  \n"), Ok(Command::Roundtrip(2)));
    assert_eq!(parse(b"vmalloc 65536"), Ok(Command::Vmalloc(65536)));
    assert_eq!(parse(b"pkmap-flush\n"), Ok(Command::PkmapFlush));
    assert_eq!(parse(b"pool-map 3"), Ok(Command::PoolMap(3)));
    assert_eq!(parse(b"pool-trymap 3"), Ok(Command::PoolTryMap(3)));
    assert_eq!(parse(b"pool-unmap 3"), Ok(Command::PoolUnmap(3)));
    assert_eq!(parse(b"pool-check 3"), Ok(Command::PoolCheck(3)));
    assert_eq!(parse(b"pool-hold 8192"), Ok(Command::PoolHold(8192)));
    assert_eq!(parse(b"pool-release\n"), Ok(Command::PoolRelease));
    assert_eq!(parse(b"pool-flush"), Ok(Command::PoolFlush));
}

#[test]
fn stress_takes_ops_and_pages() {
    use crate::command::{parse_stress, MAX_STRESS_OPS, MAX_STRESS_PAGES};
    assert_eq!(parse_stress(b"1000 64\n"), Ok((1000, 64)));
    assert_eq!(parse_stress(b"1000"), Err(ParseError::MissingArgument));
    assert_eq!(parse_stress(b"1000 64 1"), Err(ParseError::ExtraArgument));
    assert_eq!(parse_stress(b"0 64"), Err(ParseError::BadNumber));
    assert_eq!(parse_stress(format!("{} 1", MAX_STRESS_OPS + 1).as_bytes()), Err(ParseError::BadNumber));
    assert_eq!(parse_stress(format!("1 {}", MAX_STRESS_PAGES + 1).as_bytes()), Err(ParseError::BadNumber));
    assert_eq!(parse_stress(b"1 1\x00"), Err(ParseError::NotText));
}

#[test]
fn refuses_junk() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"", ParseError::NotText),
        (b"\n", ParseError::NotText),
        (b"   \n", ParseError::NotText),
        (b"alloc 1\n\n", ParseError::NotText),
        (b"alloc 1\nfree 1", ParseError::NotText),
        (b"alloc\x001", ParseError::NotText),
        (b"\xff\xfe", ParseError::NotText),
        (b"ALLOC", ParseError::UnknownVerb),
        (b"allocate 1", ParseError::UnknownVerb),
        (b"free", ParseError::MissingArgument),
        (b"free 1 2", ParseError::ExtraArgument),
        (b"pkmap-flush now", ParseError::ExtraArgument),
        (b"pool-hold 0", ParseError::BadNumber),
        (b"pool-hold 8193", ParseError::BadNumber),
        (b"pool-map", ParseError::MissingArgument),
        (b"pool-release 1", ParseError::ExtraArgument),
        (b"free 0", ParseError::BadNumber),
        (b"free -1", ParseError::BadNumber),
        (b"free +1", ParseError::BadNumber),
        (b"free 0x10", ParseError::BadNumber),
        (b"free 4294967296", ParseError::BadNumber),
        (b"free 99999999999999999999", ParseError::BadNumber),
        (b"alloc 0", ParseError::BadNumber),
        (b"vmalloc 0", ParseError::BadNumber),
    ];
    for (input, want) in cases {
        assert_eq!(parse(input), Err(*want), "input {:?}", String::from_utf8_lossy(input));
    }
    assert_eq!(parse(format!("alloc {}", MAX_ALLOC + 1).as_bytes()), Err(ParseError::BadNumber));
    assert_eq!(parse(format!("vmalloc {}", MAX_VMALLOC + 1).as_bytes()), Err(ParseError::BadNumber));
    assert_eq!(parse(format!("vmalloc {MAX_VMALLOC}").as_bytes()), Ok(Command::Vmalloc(MAX_VMALLOC)));
}

#[test]
fn never_panics_on_random_bytes() {
    // A small xorshift generator: deterministic, no dependency.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let words: [&[u8]; 10] = [b"alloc", b"free", b"kmap", b"1", b"4294967296", b" ", b"\n", b"\0", b"vmalloc", b"-"];
    for _ in 0..20000 {
        let mut buf = Vec::new();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for i in 0..(x % 6) {
            let r = x.rotate_left(i as u32 * 9);
            if r % 3 == 0 {
                buf.push((r >> 8) as u8);
            } else {
                buf.extend_from_slice(words[(r as usize >> 4) % words.len()]);
            }
        }
        let _ = parse(&buf);
    }
}

#[test]
fn bench_takes_mechanism_iterations_and_working_set() {
    use crate::command::{parse_bench, Mechanism};
    assert_eq!(parse_bench(b"pool_miss 100000 2048\n"), Ok((Mechanism::PoolMiss, 100000, 2048)));
    for m in Mechanism::ALL {
        assert_eq!(parse_bench(format!("{} 1 1", m.name()).as_bytes()), Ok((m, 1, 1)));
    }
    assert_eq!(parse_bench(b"kmap2 1 1"), Err(ParseError::UnknownVerb));
    assert_eq!(parse_bench(b"kmap 1"), Err(ParseError::MissingArgument));
    assert_eq!(parse_bench(b"kmap 0 1"), Err(ParseError::BadNumber));
    assert_eq!(parse_bench(b"kmap 1 8193"), Err(ParseError::BadNumber));
    assert_eq!(parse_bench(b"kmap 100000001 1"), Err(ParseError::BadNumber));
    assert_eq!(parse_bench(b"kmap 1 1 1"), Err(ParseError::ExtraArgument));
}

#[test]
fn bench_names_the_floor_and_the_kmap_hit_path() {
    use crate::command::{parse_bench, Mechanism};
    assert_eq!(parse_bench(b"lowmem 200000 2048\n"), Ok((Mechanism::Lowmem, 200000, 2048)));
    assert_eq!(parse_bench(b"kmap_hit 1000 64"), Ok((Mechanism::KmapHit, 1000, 64)));
    // Prefixes of the new names are not names.
    assert_eq!(parse_bench(b"kmap_h 1 1"), Err(ParseError::UnknownVerb));
    assert_eq!(parse_bench(b"low 1 1"), Err(ParseError::UnknownVerb));
    // Every name is distinct and round-trips; hmctl and the suite list them in this order.
    let names: Vec<&str> = Mechanism::ALL.iter().map(|m| m.name()).collect();
    assert_eq!(
        names,
        ["lowmem", "kmap_local", "kmap_atomic", "kmap", "kmap_hit", "pool_hit", "pool_miss", "vmap", "vm_map_ram"]
    );
}

#[test]
fn vmalloc_cap_leaves_room_for_two_largest_areas_and_most_of_vmalloc_space() {
    // Two areas of the largest size, each with its guard page, fit under
    // the cap (the suite relies on it), a third byte does not, and the cap
    // stays near a quarter of i386's 128 MiB default.
    let charge = |b: u32| b.div_ceil(4096) * 4096 + 4096;
    assert_eq!(2 * charge(MAX_VMALLOC), MAX_VMALLOC_SPACE);
    assert!(2 * charge(MAX_VMALLOC) + charge(1) > MAX_VMALLOC_SPACE);
    assert!(MAX_VMALLOC_SPACE <= (32 << 20) + 8192);
}
