// SPDX-License-Identifier: GPL-2.0
//! libFuzzer target for the `control`, `bench` and `stress` parsers, built
//! from the module's own src/logic/parse.rs. From tests/host, with cargo-fuzz
//! from crates.io (`cargo install cargo-fuzz --locked`):
//!
//! ```text
//! RUSTC_BOOTSTRAP=1 cargo fuzz run parse -- -max_len=4096 -dict=fuzz/parse.dict -max_total_time=300
//! ```
//!
//! RUSTC_BOOTSTRAP=1 lets the stable toolchain take cargo-fuzz's default
//! `-Zsanitizer=address`; without it, add `-s none` (no AddressSanitizer,
//! which safe code like parse.rs hardly needs). The corpus and any crash
//! land in fuzz/corpus and fuzz/artifacts, which git ignores.
//!
//! Checked for every input: no panic, the same answer twice, only one line of
//! words accepted, the same answer whatever the spacing, and an accepted
//! command's values in range (the property tests in src/parse_props.rs check
//! the same and more, from generated input).

#![no_main]
#![allow(dead_code)]

#[path = "../../../../src/logic/parse.rs"]
mod command;

use command::{parse, parse_bench, parse_stress, Command};
use libfuzzer_sys::fuzz_target;

fn is_one_line_of_words(input: &[u8]) -> bool {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    line.iter()
        .all(|&c| c == b' ' || c == b'\t' || c.is_ascii_graphic())
        && line.iter().any(u8::is_ascii_graphic)
}

fn in_range(n: u32, lo: u32, hi: u32) -> bool {
    (lo..=hi).contains(&n)
}

fuzz_target!(|data: &[u8]| {
    let control = parse(data);
    let bench = parse_bench(data);
    let stress = parse_stress(data);
    assert_eq!(parse(data), control);
    assert_eq!(parse_bench(data), bench);
    assert_eq!(parse_stress(data), stress);

    if control.is_ok() || bench.is_ok() || stress.is_ok() {
        assert!(is_one_line_of_words(data));
    }
    if is_one_line_of_words(data) {
        let line = data.strip_suffix(b"\n").unwrap_or(data);
        let words: Vec<&[u8]> = line
            .split(|&c| c == b' ' || c == b'\t')
            .filter(|w| !w.is_empty())
            .collect();
        let plain = words.join(&b' ');
        assert_eq!(parse(&plain), control);
        assert_eq!(parse_bench(&plain), bench);
        assert_eq!(parse_stress(&plain), stress);
    }

    match control {
        Ok(Command::Alloc(n)) => assert!(in_range(n, 1, command::MAX_ALLOC)),
        Ok(Command::Vmalloc(n)) => assert!(in_range(n, 1, command::MAX_VMALLOC)),
        Ok(Command::PoolHold(n)) => assert!(in_range(n, 1, command::MAX_POOL_HOLD)),
        Ok(
            Command::Free(id)
            | Command::Kmap(id)
            | Command::Kunmap(id)
            | Command::Roundtrip(id)
            | Command::PoolMap(id)
            | Command::PoolTryMap(id)
            | Command::PoolUnmap(id)
            | Command::PoolCheck(id),
        ) => assert!(id >= 1),
        Ok(Command::PkmapFlush | Command::PoolRelease | Command::PoolFlush) | Err(_) => {}
    }
    if let Ok((_, iters, wset)) = bench {
        assert!(
            in_range(iters, 1, command::MAX_BENCH_ITERS)
                && in_range(wset, 1, command::MAX_BENCH_WSET)
        );
    }
    if let Ok((ops, pages)) = stress {
        assert!(
            in_range(ops, 1, command::MAX_STRESS_OPS)
                && in_range(pages, 1, command::MAX_STRESS_PAGES)
        );
    }
});
