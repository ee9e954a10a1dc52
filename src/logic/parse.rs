// SPDX-License-Identifier: GPL-2.0

//! Parsing of the commands written to hmkit's `control` file.
//!
//! Pure logic, no kernel types: it is compiled into the module and into the
//! host test crate (`tests/host`). A command is one line of ASCII words
//! separated by spaces or tabs, optionally ending in one newline. Anything
//! else (other bytes, extra words, numbers out of range, a second line) is
//! refused; the caller turns that into `-EINVAL` and changes nothing.
//!
//! ```text
//! alloc [N]           allocate N highmem pages (1..=1024, default 1)
//! free ID             free object ID (EBUSY while it is kmapped)
//! kmap ID             map page ID with kmap() and hold it (nests)
//! kunmap ID           drop one kmap() of page ID
//! kmap-local ID       map page ID with kmap_local_page(), read a byte, unmap
//! kmap-atomic ID      the same with kmap_atomic()
//! kmap-nested ID      three kmap_local_page() mappings of page ID, each
//!                     inside the one before (unmapped in reverse)
//! roundtrip ID        write a pattern through kmap_local, check it through
//!                     kmap_atomic and kmap(); EIO on a mismatch
//! vmalloc BYTES       vmalloc an area (1..=16 MiB; ENOSPC once the live
//!                     areas would take more vmalloc space, pages and guard
//!                     pages, than two 16 MiB areas)
//! pkmap-flush         cycle the kernel's pkmap through all its slots, so it
//!                     wraps and flushes the entries nobody holds
//! pool-map ID         map page ID through hmkit's pool and hold it; waits
//!                     for a slot up to wait_ms, then ETIMEDOUT
//! pool-trymap ID      the same, but EAGAIN at once when no slot is free
//! pool-unmap ID       drop one pool mapping of page ID
//! pool-check ID       write through the pool, read through kmap_local and
//!                     back; same slot on the second map; EIO on a mismatch
//! pool-hold N         allocate N pages and hold a pool mapping of each
//!                     (1..=8192; EAGAIN, and nothing kept, if they do not fit)
//! pool-release        drop everything pool-hold holds, and free its pages
//! pool-flush          flush the pool's idle slots now
//! ```
//!
//! The `stress` file takes `OPS PAGES` (see [`parse_stress`]).

/// Object handles, as listed when `control` is read.
pub(crate) type Id = u32;

/// The most pages one `alloc` takes.
pub(crate) const MAX_ALLOC: u32 = 1024;
/// The largest `vmalloc` area.
pub(crate) const MAX_VMALLOC: u32 = 16 << 20;
/// The most vmalloc space live `vmalloc` areas may take at once, counting
/// each area's pages and the guard page after it: two of the largest
/// areas, about a quarter of i386's default 128 MiB vmalloc space, so
/// tests cannot starve the kernel of it (4096 one-byte areas take 32 MiB).
pub(crate) const MAX_VMALLOC_SPACE: u32 = 2 * (MAX_VMALLOC + 4096);

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Command {
    Alloc(u32),
    Free(Id),
    Kmap(Id),
    Kunmap(Id),
    KmapLocal(Id),
    KmapAtomic(Id),
    KmapNested(Id),
    Roundtrip(Id),
    Vmalloc(u32),
    PkmapFlush,
    PoolMap(Id),
    PoolTryMap(Id),
    PoolUnmap(Id),
    PoolCheck(Id),
    PoolHold(u32),
    PoolRelease,
    PoolFlush,
}

/// The most pages one `pool-hold` takes (the largest pool).
pub(crate) const MAX_POOL_HOLD: u32 = 8192;
/// Limits of one `stress` write.
pub(crate) const MAX_STRESS_OPS: u32 = 10_000_000;
pub(crate) const MAX_STRESS_PAGES: u32 = 8192;

/// Why a command was refused (all map to `EINVAL`).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum ParseError {
    /// Empty, not ASCII text, or more than one line.
    NotText,
    UnknownVerb,
    MissingArgument,
    ExtraArgument,
    /// Not a decimal number, or out of the verb's range.
    BadNumber,
}

fn number(word: Option<&[u8]>, min: u32, max: u32) -> Result<u32, ParseError> {
    let w = word.ok_or(ParseError::MissingArgument)?;
    // Ten digits hold any u32; longer words are refused outright, leading
    // zeros or not (the arithmetic below is checked all the same).
    if w.is_empty() || w.len() > 10 {
        return Err(ParseError::BadNumber);
    }
    let mut v: u64 = 0;
    for &c in w {
        if !c.is_ascii_digit() {
            return Err(ParseError::BadNumber);
        }
        v = v.checked_mul(10).and_then(|v| v.checked_add(u64::from(c - b'0'))).ok_or(ParseError::BadNumber)?;
    }
    if v < u64::from(min) || v > u64::from(max) {
        return Err(ParseError::BadNumber);
    }
    Ok(v as u32)
}

/// The words of one line of text.
fn words(input: &[u8]) -> Result<impl Iterator<Item = &[u8]>, ParseError> {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    if line.is_empty()
        || !line
            .iter()
            .all(|&c| c == b' ' || c == b'\t' || c.is_ascii_graphic())
    {
        return Err(ParseError::NotText);
    }
    Ok(line
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|w| !w.is_empty()))
}

/// Parses a `stress` write: `OPS PAGES`, each operation mapping one of
/// PAGES private highmem pages through the pool.
pub(crate) fn parse_stress(input: &[u8]) -> Result<(u32, u32), ParseError> {
    let mut words = words(input)?;
    let ops = number(words.next(), 1, MAX_STRESS_OPS)?;
    let pages = number(words.next(), 1, MAX_STRESS_PAGES)?;
    if words.next().is_some() {
        return Err(ParseError::ExtraArgument);
    }
    Ok((ops, pages))
}

/// The mechanisms the `bench` file measures.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Mechanism {
    /// A lowmem page through the direct map: no mapping work at all.
    Lowmem,
    KmapLocal,
    KmapAtomic,
    Kmap,
    /// kmap() of a page that already has a pkmap slot (held meanwhile).
    KmapHit,
    PoolHit,
    PoolMiss,
    Vmap,
    VmMapRam,
}

impl Mechanism {
    pub(crate) const ALL: [Mechanism; 9] = [
        Mechanism::Lowmem,
        Mechanism::KmapLocal,
        Mechanism::KmapAtomic,
        Mechanism::Kmap,
        Mechanism::KmapHit,
        Mechanism::PoolHit,
        Mechanism::PoolMiss,
        Mechanism::Vmap,
        Mechanism::VmMapRam,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Mechanism::Lowmem => "lowmem",
            Mechanism::KmapLocal => "kmap_local",
            Mechanism::KmapAtomic => "kmap_atomic",
            Mechanism::Kmap => "kmap",
            Mechanism::KmapHit => "kmap_hit",
            Mechanism::PoolHit => "pool_hit",
            Mechanism::PoolMiss => "pool_miss",
            Mechanism::Vmap => "vmap",
            Mechanism::VmMapRam => "vm_map_ram",
        }
    }
}

/// Limits of one `bench` write.
pub(crate) const MAX_BENCH_ITERS: u32 = 100_000_000;
pub(crate) const MAX_BENCH_WSET: u32 = 8192;

/// Parses a `bench` write: `MECHANISM ITERATIONS WORKING_SET`.
pub(crate) fn parse_bench(input: &[u8]) -> Result<(Mechanism, u32, u32), ParseError> {
    let mut words = words(input)?;
    let name = words.next().ok_or(ParseError::MissingArgument)?;
    let mech = Mechanism::ALL
        .into_iter()
        .find(|m| m.name().as_bytes() == name)
        .ok_or(ParseError::UnknownVerb)?;
    let iters = number(words.next(), 1, MAX_BENCH_ITERS)?;
    let wset = number(words.next(), 1, MAX_BENCH_WSET)?;
    if words.next().is_some() {
        return Err(ParseError::ExtraArgument);
    }
    Ok((mech, iters, wset))
}

/// Parses one command.
pub(crate) fn parse(input: &[u8]) -> Result<Command, ParseError> {
    let mut words = words(input)?;
    let verb = words.next().ok_or(ParseError::NotText)?;
    let cmd = match verb {
        b"alloc" => Command::Alloc(match words.next() {
            None => 1,
            w => number(w, 1, MAX_ALLOC)?,
        }),
        b"free" => Command::Free(number(words.next(), 1, u32::MAX)?),
        b"kmap" => Command::Kmap(number(words.next(), 1, u32::MAX)?),
        b"kunmap" => Command::Kunmap(number(words.next(), 1, u32::MAX)?),
        b"kmap-local" => Command::KmapLocal(number(words.next(), 1, u32::MAX)?),
        b"kmap-atomic" => Command::KmapAtomic(number(words.next(), 1, u32::MAX)?),
        b"kmap-nested" => Command::KmapNested(number(words.next(), 1, u32::MAX)?),
        b"roundtrip" => Command::Roundtrip(number(words.next(), 1, u32::MAX)?),
        b"vmalloc" => Command::Vmalloc(number(words.next(), 1, MAX_VMALLOC)?),
        b"pkmap-flush" => Command::PkmapFlush,
        b"pool-map" => Command::PoolMap(number(words.next(), 1, u32::MAX)?),
        b"pool-trymap" => Command::PoolTryMap(number(words.next(), 1, u32::MAX)?),
        b"pool-unmap" => Command::PoolUnmap(number(words.next(), 1, u32::MAX)?),
        b"pool-check" => Command::PoolCheck(number(words.next(), 1, u32::MAX)?),
        b"pool-hold" => Command::PoolHold(number(words.next(), 1, MAX_POOL_HOLD)?),
        b"pool-release" => Command::PoolRelease,
        b"pool-flush" => Command::PoolFlush,
        _ => return Err(ParseError::UnknownVerb),
    };
    if words.next().is_some() {
        return Err(ParseError::ExtraArgument);
    }
    Ok(cmd)
}
