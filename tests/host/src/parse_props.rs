// SPDX-License-Identifier: GPL-2.0
//! Property-based tests of the three debugfs command parsers (`parse` for
//! `control`, `parse_bench`, `parse_stress`), with proptest.
//!
//! Every property runs [`CASES`] cases from a fixed seed, so a run is
//! repeatable. `PROPTEST_CASES=N` and `PROPTEST_RNG_SEED=N` in the
//! environment override both (proptest reads them on top of [`config`]), e.g.
//! `PROPTEST_CASES=200000 PROPTEST_RNG_SEED=$RANDOM cargo test --locked
//! parse_props` for a longer search. Failure persistence is off: nothing is
//! ever written into the source tree. A failing case is printed, shrunk (the
//! fixed seed finds it again); add it to `command_tests.rs` as a plain test.

use crate::command::{
    parse, parse_bench, parse_stress, Command, Mechanism, ParseError, MAX_ALLOC, MAX_BENCH_ITERS,
    MAX_BENCH_WSET, MAX_POOL_HOLD, MAX_STRESS_OPS, MAX_STRESS_PAGES, MAX_VMALLOC,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, RngSeed};

/// Cases per property.
const CASES: u32 = 4096;

fn config() -> Config {
    let mut c = Config::with_cases(CASES);
    c.failure_persistence = None; // no proptest-regressions/ in the tree
    c.rng_seed = RngSeed::Fixed(0x0068_6d6b_6974); // "hmkit"
    c.max_shrink_time = 60_000; // ms: bounds a failing run
    c
}

// ---------------------------------------------------------------------------
// The grammar, written down again independently of parse.rs.

/// What follows a verb.
#[derive(Clone, Copy, Debug)]
enum Arg {
    Nothing,
    /// A number in min..=max.
    Required(u32, u32),
    /// `alloc [N]`: a number in min..=max, or nothing for 1.
    Optional(u32, u32),
}

impl Arg {
    fn range(self) -> Option<(u32, u32)> {
        match self {
            Arg::Nothing => None,
            Arg::Required(lo, hi) | Arg::Optional(lo, hi) => Some((lo, hi)),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Verb {
    name: &'static str,
    arg: Arg,
    make: fn(u32) -> Command,
}

const ID: Arg = Arg::Required(1, u32::MAX);

fn pkmap_flush(_: u32) -> Command {
    Command::PkmapFlush
}
fn pool_release(_: u32) -> Command {
    Command::PoolRelease
}
fn pool_flush(_: u32) -> Command {
    Command::PoolFlush
}

/// The `control` verbs of parse.rs's doc comment.
const VERBS: [Verb; 17] = [
    Verb {
        name: "alloc",
        arg: Arg::Optional(1, MAX_ALLOC),
        make: Command::Alloc,
    },
    Verb {
        name: "free",
        arg: ID,
        make: Command::Free,
    },
    Verb {
        name: "kmap",
        arg: ID,
        make: Command::Kmap,
    },
    Verb {
        name: "kunmap",
        arg: ID,
        make: Command::Kunmap,
    },
    Verb {
        name: "kmap-local",
        arg: ID,
        make: Command::KmapLocal,
    },
    Verb {
        name: "kmap-atomic",
        arg: ID,
        make: Command::KmapAtomic,
    },
    Verb {
        name: "kmap-nested",
        arg: ID,
        make: Command::KmapNested,
    },
    Verb {
        name: "roundtrip",
        arg: ID,
        make: Command::Roundtrip,
    },
    Verb {
        name: "vmalloc",
        arg: Arg::Required(1, MAX_VMALLOC),
        make: Command::Vmalloc,
    },
    Verb {
        name: "pkmap-flush",
        arg: Arg::Nothing,
        make: pkmap_flush,
    },
    Verb {
        name: "pool-map",
        arg: ID,
        make: Command::PoolMap,
    },
    Verb {
        name: "pool-trymap",
        arg: ID,
        make: Command::PoolTryMap,
    },
    Verb {
        name: "pool-unmap",
        arg: ID,
        make: Command::PoolUnmap,
    },
    Verb {
        name: "pool-check",
        arg: ID,
        make: Command::PoolCheck,
    },
    Verb {
        name: "pool-hold",
        arg: Arg::Required(1, MAX_POOL_HOLD),
        make: Command::PoolHold,
    },
    Verb {
        name: "pool-release",
        arg: Arg::Nothing,
        make: pool_release,
    },
    Verb {
        name: "pool-flush",
        arg: Arg::Nothing,
        make: pool_flush,
    },
];

/// A command's verb and argument. The match is exhaustive on purpose: a new
/// `Command` variant does not compile until it is added here and to VERBS.
fn unparse(cmd: Command) -> (&'static str, Option<u32>) {
    match cmd {
        Command::Alloc(n) => ("alloc", Some(n)),
        Command::Free(id) => ("free", Some(id)),
        Command::Kmap(id) => ("kmap", Some(id)),
        Command::Kunmap(id) => ("kunmap", Some(id)),
        Command::KmapLocal(id) => ("kmap-local", Some(id)),
        Command::KmapAtomic(id) => ("kmap-atomic", Some(id)),
        Command::KmapNested(id) => ("kmap-nested", Some(id)),
        Command::Roundtrip(id) => ("roundtrip", Some(id)),
        Command::Vmalloc(n) => ("vmalloc", Some(n)),
        Command::PkmapFlush => ("pkmap-flush", None),
        Command::PoolMap(id) => ("pool-map", Some(id)),
        Command::PoolTryMap(id) => ("pool-trymap", Some(id)),
        Command::PoolUnmap(id) => ("pool-unmap", Some(id)),
        Command::PoolCheck(id) => ("pool-check", Some(id)),
        Command::PoolHold(n) => ("pool-hold", Some(n)),
        Command::PoolRelease => ("pool-release", None),
        Command::PoolFlush => ("pool-flush", None),
    }
}

fn verb(name: &str) -> Verb {
    *VERBS
        .iter()
        .find(|v| v.name == name)
        .expect("a verb of VERBS")
}

const BENCH_ITERS: (u32, u32) = (1, MAX_BENCH_ITERS);
const BENCH_WSET: (u32, u32) = (1, MAX_BENCH_WSET);
const STRESS_OPS: (u32, u32) = (1, MAX_STRESS_OPS);
const STRESS_PAGES: (u32, u32) = (1, MAX_STRESS_PAGES);

/// Every word any of the parsers knows.
fn known_words() -> Vec<&'static str> {
    VERBS
        .iter()
        .map(|v| v.name)
        .chain(Mechanism::ALL.iter().map(|m| m.name()))
        .collect()
}

// ---------------------------------------------------------------------------
// Numbers.

/// A number word: `zeros` leading zeros, then `value` in decimal.
#[derive(Clone, Debug)]
struct Num {
    value: u64,
    zeros: usize,
}

impl Num {
    fn text(&self) -> Vec<u8> {
        let mut t = "0".repeat(self.zeros).into_bytes();
        t.extend_from_slice(self.value.to_string().as_bytes());
        t
    }

    /// What the parsers make of this word for a range. Note the length rule:
    /// parse.rs refuses a word of more than 10 digits even when it is
    /// leading zeros and the value is in range (`00000000001`); this pins it.
    fn expect(&self, (lo, hi): (u32, u32)) -> Result<u32, ParseError> {
        if self.text().len() > 10 {
            return Err(ParseError::BadNumber);
        }
        if self.value < u64::from(lo) || self.value > u64::from(hi) {
            return Err(ParseError::BadNumber);
        }
        Ok(self.value as u32)
    }
}

fn digits(v: u64) -> usize {
    v.to_string().len()
}

/// Values around a range's edges and the u32 and 10-digit limits, and any.
fn value((lo, hi): (u32, u32)) -> BoxedStrategy<u64> {
    let (lo, hi) = (u64::from(lo), u64::from(hi));
    let max = u64::from(u32::MAX);
    prop_oneof![
        1 => Just(0u64),
        1 => Just(1u64),
        1 => Just(lo.saturating_sub(1)),
        1 => Just(lo),
        1 => Just(lo + 1),
        1 => Just(hi.saturating_sub(1)),
        1 => Just(hi),
        1 => Just(hi + 1),
        1 => Just(max),
        1 => Just(max + 1),
        1 => Just(9_999_999_999u64),
        1 => Just(10_000_000_000u64),
        6 => lo..=hi,
        2 => 1_000_000_000u64..=9_999_999_999,   // 10 digits
        2 => 10_000_000_000u64..=99_999_999_999, // 11 digits
        1 => any::<u64>(),
    ]
    .boxed()
}

/// Any number word for a range: in range, at and past its edges, with and
/// without leading zeros (up to 11 of them).
fn num(range: (u32, u32)) -> impl Strategy<Value = Num> {
    (
        value(range),
        prop_oneof![6 => Just(0usize), 1 => 1..=11usize],
    )
        .prop_map(|(value, zeros)| Num { value, zeros })
}

/// A value in lo..=hi, edges often.
fn in_range((lo, hi): (u32, u32)) -> BoxedStrategy<u32> {
    prop_oneof![
        1 => Just(lo),
        1 => Just(lo.saturating_add(1).min(hi)),
        1 => Just(hi.saturating_sub(1).max(lo)),
        1 => Just(hi),
        4 => lo..=hi,
    ]
    .boxed()
}

/// A number word the parsers accept: in range, leading zeros up to 10 digits.
fn good_num(range: (u32, u32)) -> impl Strategy<Value = Num> {
    (
        in_range(range),
        prop_oneof![3 => Just(0usize), 1 => 1..=9usize],
    )
        .prop_map(|(v, z)| {
            let v = u64::from(v);
            Num {
                value: v,
                zeros: z.min(10 - digits(v)),
            }
        })
}

// ---------------------------------------------------------------------------
// Spacing.

/// Where the words go: blanks before, between and after them, and maybe one
/// newline.
#[derive(Clone, Debug)]
struct Layout {
    lead: Vec<u8>,
    seps: Vec<Vec<u8>>,
    trail: Vec<u8>,
    newline: bool,
}

const MAX_WORDS: usize = 6;

fn blanks(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<u8>> {
    vec(select(vec![b' ', b'\t']), n)
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        blanks(0..=3),
        vec(blanks(1..=4), MAX_WORDS),
        blanks(0..=3),
        any::<bool>(),
    )
        .prop_map(|(lead, seps, trail, newline)| Layout {
            lead,
            seps,
            trail,
            newline,
        })
}

impl Layout {
    fn line(&self, words: &[Vec<u8>]) -> Vec<u8> {
        assert!(words.len() <= MAX_WORDS);
        let mut out = self.lead.clone();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(&self.seps[i - 1]);
            }
            out.extend_from_slice(w);
        }
        out.extend_from_slice(&self.trail);
        if self.newline {
            out.push(b'\n');
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Valid commands, as words.

/// Any `Command`, with arguments at and inside the edges of their ranges.
fn command() -> impl Strategy<Value = Command> {
    (0..VERBS.len()).prop_flat_map(|i| {
        let v = VERBS[i];
        in_range(v.arg.range().unwrap_or((0, 0))).prop_map(move |n| (v.make)(n))
    })
}

/// Which parser a line is for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum File {
    Control,
    Bench,
    Stress,
}

/// A valid line for one of the parsers, as words; `nums` are the indices of
/// its number words.
#[derive(Clone, Debug)]
struct Valid {
    file: File,
    words: Vec<Vec<u8>>,
    nums: Vec<usize>,
}

impl Valid {
    /// The parser's answer, with the value dropped.
    fn run(&self, input: &[u8]) -> Result<(), ParseError> {
        run(self.file, input)
    }
}

fn run(file: File, input: &[u8]) -> Result<(), ParseError> {
    match file {
        File::Control => parse(input).map(drop),
        File::Bench => parse_bench(input).map(drop),
        File::Stress => parse_stress(input).map(drop),
    }
}

/// Any valid line; `alloc` always with its argument (so that a word after it
/// is an extra word).
fn valid() -> impl Strategy<Value = Valid> {
    let zeros = prop_oneof![3 => Just(0usize), 1 => 1..=9usize];
    let control = (command(), zeros).prop_map(|(cmd, zeros)| {
        let (name, arg) = unparse(cmd);
        let mut words = vec![name.as_bytes().to_vec()];
        let mut nums = vec![];
        if let Some(n) = arg {
            let v = u64::from(n);
            let z = zeros.min(10 - digits(v));
            words.push(Num { value: v, zeros: z }.text());
            nums.push(1);
        }
        Valid {
            file: File::Control,
            words,
            nums,
        }
    });
    let bench = (
        select(Mechanism::ALL.to_vec()),
        good_num(BENCH_ITERS),
        good_num(BENCH_WSET),
    )
        .prop_map(|(m, i, w)| Valid {
            file: File::Bench,
            words: vec![m.name().as_bytes().to_vec(), i.text(), w.text()],
            nums: vec![1, 2],
        });
    let stress = (good_num(STRESS_OPS), good_num(STRESS_PAGES)).prop_map(|(o, p)| Valid {
        file: File::Stress,
        words: vec![o.text(), p.text()],
        nums: vec![0, 1],
    });
    prop_oneof![3 => control, 1 => bench, 1 => stress]
}

/// A valid line with at least one number word.
fn valid_with_number() -> impl Strategy<Value = Valid> {
    valid().prop_filter("has a number", |v| !v.nums.is_empty())
}

// ---------------------------------------------------------------------------
// Arbitrary input.

/// Bytes that are neither graphic ASCII, nor space, nor tab.
fn non_graphic() -> Vec<u8> {
    (0..=255u8)
        .filter(|&c| !c.is_ascii_graphic() && c != b' ' && c != b'\t')
        .collect()
}

/// Non-graphic bytes a person or a program may well write.
const LIKELY_NON_GRAPHIC: [u8; 10] = [b'\r', b'\n', 0, 0x0b, 0x0c, 0x1b, 0x7f, 0x80, 0xa0, 0xff];

/// Input that gets past the text check often: known words, numbers of every
/// kind, blanks, newlines, signs, and any bytes, mostly a blank apart, up to
/// 4096 bytes. Each token is drawn as two plain integers and mapped (a vector
/// of `prop_oneof!` tokens takes tens of ms a case).
fn soup() -> impl Strategy<Value = Vec<u8>> {
    let tokens = |n| vec((any::<u8>(), any::<u64>()), n);
    prop_oneof![
        // short lines, the interesting ones
        6 => tokens(1..=4),
        // long ones, many lines
        1 => tokens(0..=1200),
    ]
    .prop_map(|tokens| {
        let words = known_words();
        let mut out = Vec::new();
        for (kind, r) in tokens {
            // a blank before most tokens, so that they stay words
            if kind >> 5 != 0 && !out.is_empty() {
                out.push(b' ');
            }
            match kind % 32 {
                0..=11 => {
                    out.extend_from_slice(words[(r % words.len() as u64) as usize].as_bytes())
                }
                12..=25 => out.extend_from_slice(&soup_number(r)),
                26 => {
                    out.extend(
                        (0..1 + r % 3).map(|i| if r >> (8 + i) & 1 == 0 { b' ' } else { b'\t' }),
                    )
                }
                27 => out.push(b'\n'),
                28 => out.extend_from_slice(
                    [&b"+"[..], b"-", b"0x", b"\r", b"\0", b"\xff"][(r % 6) as usize],
                ),
                29 | 30 => out.extend((0..1 + r % 8).map(|i| 0x21 + (r >> (8 + 6 * i)) as u8 % 94)),
                _ => out.extend((0..1 + r % 4).map(|i| (r >> (8 + 8 * i)) as u8)),
            }
        }
        out.truncate(4096);
        out
    })
}

/// A number word: small, at a limit of parse.rs (or one off), 10 or 11
/// digits, or any; sometimes with leading zeros.
fn soup_number(r: u64) -> Vec<u8> {
    const LIMITS: [u32; 8] = [
        MAX_ALLOC,
        MAX_VMALLOC,
        MAX_POOL_HOLD,
        MAX_STRESS_OPS,
        MAX_STRESS_PAGES,
        MAX_BENCH_ITERS,
        MAX_BENCH_WSET,
        u32::MAX,
    ];
    let x = r >> 3;
    let value = match r % 8 {
        0..=3 => x % 1000,
        4 | 5 => (u64::from(LIMITS[(x % 8) as usize]) + (x >> 3) % 3).saturating_sub(1), // -1, 0, +1
        6 => x % 100_000_000_000,
        _ => x,
    };
    let zeros = ((r >> 58) as usize).saturating_sub(52); // 0 mostly, up to 11
    Num { value, zeros }.text()
}

/// Printable ASCII mostly, and some newlines and tabs (a cheap map: a vector
/// of 4096 `prop_oneof!`s takes 15 ms a case).
fn text_byte(b: u8) -> u8 {
    match b {
        0..=9 => b'\n',
        10..=19 => b'\t',
        _ => 0x20 + (b - 20) % 95,
    }
}

/// One line of ASCII words and blanks, optionally ending in one newline:
/// the only shape of input any parser may accept.
fn is_one_line_of_words(input: &[u8]) -> bool {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    line.iter()
        .all(|&c| c == b' ' || c == b'\t' || c.is_ascii_graphic())
        && line.iter().any(u8::is_ascii_graphic)
}

fn in_range_of((lo, hi): (u32, u32), n: u32) -> bool {
    (lo..=hi).contains(&n)
}

/// The checks that hold for any input: no panic (the property fails if a
/// parser panics), the same answer twice and from another address, only one
/// line of words accepted, the same answer whatever the spacing, values in
/// range, and an accepted command's canonical text parses to the same
/// command.
fn check_any(input: &[u8]) -> Result<(), TestCaseError> {
    let control = parse(input);
    let bench = parse_bench(input);
    let stress = parse_stress(input);

    // Pure: same input, same result, wherever it sits in memory.
    prop_assert_eq!(parse(input), control);
    prop_assert_eq!(parse_bench(input), bench);
    prop_assert_eq!(parse_stress(input), stress);
    let mut moved = vec![0x55u8; 3];
    moved.extend_from_slice(input);
    moved.push(b'x'); // a byte past the end must not be looked at
    let moved = &moved[3..moved.len() - 1];
    prop_assert_eq!(parse(moved), control);
    prop_assert_eq!(parse_bench(moved), bench);
    prop_assert_eq!(parse_stress(moved), stress);

    if control.is_ok() || bench.is_ok() || stress.is_ok() {
        prop_assert!(
            is_one_line_of_words(input),
            "accepted {:?}",
            String::from_utf8_lossy(input)
        );
    }
    // Spacing does not matter: the same words with single spaces, no newline,
    // get the same answer, whatever it is.
    if is_one_line_of_words(input) {
        let line = input.strip_suffix(b"\n").unwrap_or(input);
        let words: Vec<&[u8]> = line
            .split(|&c| c == b' ' || c == b'\t')
            .filter(|w| !w.is_empty())
            .collect();
        let plain = words.join(&b' ');
        prop_assert_eq!(parse(&plain), control);
        prop_assert_eq!(parse_bench(&plain), bench);
        prop_assert_eq!(parse_stress(&plain), stress);
    }
    if let Ok(cmd) = control {
        let (name, arg) = unparse(cmd);
        if let (Some(n), Some(range)) = (arg, verb(name).arg.range()) {
            prop_assert!(in_range_of(range, n), "{:?} out of range", cmd);
        }
        let text = match arg {
            Some(n) => format!("{name} {n}"),
            None => name.to_string(),
        };
        prop_assert_eq!(parse(text.as_bytes()), Ok(cmd));
    }
    if let Ok((m, iters, wset)) = bench {
        prop_assert!(in_range_of(BENCH_ITERS, iters) && in_range_of(BENCH_WSET, wset));
        prop_assert_eq!(
            parse_bench(format!("{} {iters} {wset}", m.name()).as_bytes()),
            Ok((m, iters, wset))
        );
    }
    if let Ok((ops, pages)) = stress {
        prop_assert!(in_range_of(STRESS_OPS, ops) && in_range_of(STRESS_PAGES, pages));
        prop_assert_eq!(
            parse_stress(format!("{ops} {pages}").as_bytes()),
            Ok((ops, pages))
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Strategies and helpers of the properties below.

/// Arbitrary ASCII text, mostly printable, many lines, up to 4096 bytes.
fn text() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=4096).prop_map(|v| v.into_iter().map(text_byte).collect())
}

fn mechanism() -> impl Strategy<Value = Mechanism> {
    select(Mechanism::ALL.to_vec())
}

/// A verb, and a number word of any kind for its range.
fn verb_and_num() -> impl Strategy<Value = (Verb, Num)> {
    (0..VERBS.len()).prop_flat_map(|i| {
        let v = VERBS[i];
        (Just(v), num(v.arg.range().unwrap_or((1, 1))))
    })
}

/// A valid line rendered without its newline.
fn valid_line() -> impl Strategy<Value = Vec<u8>> {
    (valid(), layout()).prop_map(|(v, l)| {
        Layout {
            newline: false,
            ..l
        }
        .line(&v.words)
    })
}

/// A valid line that is not for `stress` (its first word is a name).
fn valid_named() -> impl Strategy<Value = Valid> {
    valid().prop_filter("has a name", |v| v.file != File::Stress)
}

/// `v`'s parser refuses `input` with `want`.
fn refuses(v: &Valid, input: &[u8], want: ParseError) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        v.run(input),
        Err(want),
        "input {:?}",
        String::from_utf8_lossy(input)
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The properties.

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes, 0..=4096 long (NULs, non-ASCII, newlines included).
    #[test]
    fn any_bytes_never_panic(input in vec(any::<u8>(), 0..=4096)) {
        check_any(&input)?;
    }

    /// Arbitrary ASCII text, mostly printable, many lines.
    #[test]
    fn any_text_never_panics(input in text()) {
        check_any(&input)?;
    }

    /// Words, numbers and blanks in any order: reaches the number and
    /// argument checks far more often than random bytes.
    #[test]
    fn token_soup_never_panics(input in soup()) {
        check_any(&input)?;
    }

    /// Every command, written as the doc comment's text with any spacing,
    /// parses back to itself.
    #[test]
    fn control_round_trip(cmd in command(), zeros in 0..=9usize, omit_default: bool, l in layout()) {
        let (name, arg) = unparse(cmd);
        let mut words = vec![name.as_bytes().to_vec()];
        match arg {
            // `alloc` alone is `alloc 1`
            Some(1) if name == "alloc" && omit_default => {}
            Some(n) => {
                let value = u64::from(n);
                words.push(Num { value, zeros: zeros.min(10 - digits(value)) }.text());
            }
            None => {}
        }
        let input = l.line(&words);
        prop_assert_eq!(parse(&input), Ok(cmd), "input {:?}", String::from_utf8_lossy(&input));
    }

    /// A verb with any number word: accepted exactly when the word has at
    /// most 10 digits and its value is in the verb's range, else BadNumber.
    #[test]
    fn control_numbers((v, n) in verb_and_num(), l in layout()) {
        let input = l.line(&[v.name.as_bytes().to_vec(), n.text()]);
        let want = match v.arg.range() {
            Some(range) => n.expect(range).map(v.make),
            None => Err(ParseError::ExtraArgument),
        };
        prop_assert_eq!(parse(&input), want, "input {:?}", String::from_utf8_lossy(&input));
    }

    /// `MECHANISM ITERS WSET`, in range, any spacing: parses back.
    #[test]
    fn bench_round_trip(m in mechanism(), i in good_num(BENCH_ITERS), w in good_num(BENCH_WSET), l in layout()) {
        let input = l.line(&[m.name().as_bytes().to_vec(), i.text(), w.text()]);
        prop_assert_eq!(parse_bench(&input), Ok((m, i.value as u32, w.value as u32)));
    }

    /// `MECHANISM ITERS WSET` with any numbers: out of range is BadNumber.
    #[test]
    fn bench_numbers(m in mechanism(), i in num(BENCH_ITERS), w in num(BENCH_WSET), l in layout()) {
        let input = l.line(&[m.name().as_bytes().to_vec(), i.text(), w.text()]);
        let want = i.expect(BENCH_ITERS).and_then(|i| w.expect(BENCH_WSET).map(|w| (m, i, w)));
        prop_assert_eq!(parse_bench(&input), want, "input {:?}", String::from_utf8_lossy(&input));
    }

    /// `OPS PAGES`, in range, any spacing: parses back.
    #[test]
    fn stress_round_trip(o in good_num(STRESS_OPS), p in good_num(STRESS_PAGES), l in layout()) {
        let input = l.line(&[o.text(), p.text()]);
        prop_assert_eq!(parse_stress(&input), Ok((o.value as u32, p.value as u32)));
    }

    /// `OPS PAGES` with any numbers: out of range is BadNumber.
    #[test]
    fn stress_numbers(o in num(STRESS_OPS), p in num(STRESS_PAGES), l in layout()) {
        let input = l.line(&[o.text(), p.text()]);
        let want = o.expect(STRESS_OPS).and_then(|o| p.expect(STRESS_PAGES).map(|p| (o, p)));
        prop_assert_eq!(parse_stress(&input), want, "input {:?}", String::from_utf8_lossy(&input));
    }

    /// The valid lines the refusal properties start from are valid.
    #[test]
    fn valid_lines_are_accepted(v in valid(), l in layout()) {
        prop_assert_eq!(v.run(&l.line(&v.words)), Ok(()));
    }

    /// A valid line with one more word of any printable text: ExtraArgument.
    #[test]
    fn extra_word_refused(v in valid(), extra in vec(0x21u8..=0x7e, 1..=12), l in layout()) {
        let mut words = v.words.clone();
        words.push(extra);
        refuses(&v, &l.line(&words), ParseError::ExtraArgument)?;
    }

    /// A valid line followed by a second line (empty, valid, or any bytes):
    /// NotText, before anything else is looked at.
    #[test]
    fn second_line_refused(
        v in valid(),
        l in layout(),
        second in prop_oneof![Just(vec![]), valid_line(), vec(any::<u8>(), 1..=64)],
        final_newline: bool,
    ) {
        let mut input = Layout { newline: false, ..l }.line(&v.words);
        input.push(b'\n');
        input.extend_from_slice(&second);
        if second.is_empty() || (final_newline && !second.ends_with(b"\n")) {
            input.push(b'\n');
        }
        refuses(&v, &input, ParseError::NotText)?;
    }

    /// Many lines of valid commands: every parser says NotText.
    #[test]
    fn many_lines_refused(lines in vec(valid_line(), 2..=6), copies in 1..=40usize, newline: bool) {
        // 2 to 240 lines: the few drawn, repeated (drawing 200 takes 25 ms)
        let lines: Vec<Vec<u8>> = lines.iter().cycle().take(lines.len() * copies).cloned().collect();
        let mut input = lines.join(&b'\n');
        if newline {
            input.push(b'\n');
        }
        for file in [File::Control, File::Bench, File::Stress] {
            prop_assert_eq!(run(file, &input), Err(ParseError::NotText));
        }
    }

    /// A valid line with one non-graphic byte (not blank) anywhere: NotText
    /// (except a newline at the very end, which is allowed once). The bytes
    /// people are likely to send (CR, NUL, DEL, NBSP...) and the line's ends
    /// are drawn more often.
    #[test]
    fn non_graphic_byte_refused(
        v in valid(),
        l in layout(),
        c in prop_oneof![select(non_graphic()), select(LIKELY_NON_GRAPHIC.to_vec())],
        place in 0..4u8,
        at: Index,
    ) {
        let mut input = l.line(&v.words);
        let len = input.len();
        let at = match place {
            0 => 0,
            1 => len,
            2 => len - usize::from(input.ends_with(b"\n")), // before the newline
            _ => at.index(len + 1),
        };
        prop_assume!(!(c == b'\n' && at == len && !input.ends_with(b"\n")));
        input.insert(at, c);
        refuses(&v, &input, ParseError::NotText)?;
    }

    /// A sign before or after a number: BadNumber.
    #[test]
    fn signed_number_refused(v in valid_with_number(), l in layout(), which: Index, plus: bool, after: bool) {
        let mut words = v.words.clone();
        let w = &mut words[v.nums[which.index(v.nums.len())]];
        let sign = if plus { b'+' } else { b'-' };
        if after {
            w.push(sign)
        } else {
            w.insert(0, sign)
        }
        refuses(&v, &l.line(&words), ParseError::BadNumber)?;
    }

    /// A number in hexadecimal (0x, 0X, h suffix, or bare with a letter
    /// digit): BadNumber.
    #[test]
    fn hex_number_refused(v in valid_with_number(), l in layout(), which: Index, style in 0..4u8) {
        let mut words = v.words.clone();
        let i = v.nums[which.index(v.nums.len())];
        let n: u64 = std::str::from_utf8(&words[i]).unwrap().parse().unwrap();
        words[i] = match style {
            0 => format!("0x{n:x}"),
            1 => format!("0X{n:X}"),
            2 => format!("{n:x}h"),
            _ => format!("{:x}", n | 0xa), // ends in a letter digit
        }
        .into_bytes();
        refuses(&v, &l.line(&words), ParseError::BadNumber)?;
    }

    /// A verb or mechanism name changed by one byte, or in capitals:
    /// UnknownVerb.
    #[test]
    fn unknown_verb_refused(v in valid_named(), l in layout(), at: Index, c in 0x21u8..=0x7e, how in 0..4u8) {
        let mut words = v.words.clone();
        let w = &mut words[0];
        let at = at.index(w.len());
        match how {
            0 => w[at] = c,
            1 => w.insert(at, c),
            2 => {
                w.remove(at);
            }
            _ => w.make_ascii_uppercase(),
        }
        prop_assume!(!w.is_empty() && !known_words().iter().any(|k| k.as_bytes() == &w[..]));
        refuses(&v, &l.line(&words), ParseError::UnknownVerb)?;
    }

    /// Empty and blank-only input is refused by every parser.
    #[test]
    fn blank_input_refused(b in blanks(0..=64), newline: bool) {
        let mut input = b;
        if newline {
            input.push(b'\n');
        }
        prop_assert_eq!(parse(&input), Err(ParseError::NotText));
        // parse_bench and parse_stress say MissingArgument for blanks (and
        // NotText for empty): refused either way.
        prop_assert!(parse_bench(&input).is_err());
        prop_assert!(parse_stress(&input).is_err());
    }
}

/// The table agrees with `unparse` and with the doc comment's verbs.
#[test]
fn verb_table_is_complete() {
    for v in VERBS {
        let (name, arg) = unparse((v.make)(7));
        assert_eq!(name, v.name);
        assert_eq!(arg.is_some(), v.arg.range().is_some(), "{}", v.name);
        assert_eq!(
            parse(name.as_bytes()).is_ok(),
            !matches!(v.arg, Arg::Required(..)),
            "{}",
            v.name
        );
    }
    let mut names: Vec<_> = VERBS.iter().map(|v| v.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), VERBS.len());
    // Every verb of the doc comment's grammar is in the table.
    let doc = include_str!("../../../src/logic/parse.rs");
    let grammar: Vec<&str> = doc
        .lines()
        .skip_while(|l| !l.starts_with("//! ```text"))
        .skip(1)
        .take_while(|l| !l.starts_with("//! ```"))
        .filter_map(|l| l.strip_prefix("//! "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(grammar.len(), VERBS.len(), "{grammar:?}");
    for name in grammar {
        assert!(
            VERBS.iter().any(|v| v.name == name),
            "{name} of the doc comment is not in VERBS"
        );
    }
}
