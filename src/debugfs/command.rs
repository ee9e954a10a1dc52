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
//! roundtrip ID        write a pattern through kmap_local, check it through
//!                     kmap_atomic and kmap(); EIO on a mismatch
//! vmalloc BYTES       vmalloc an area (1..=16 MiB)
//! pkmap-flush         cycle the kernel's pkmap through all its slots, so it
//!                     wraps and flushes the entries nobody holds
//! ```

/// Object handles, as listed when `control` is read.
pub(crate) type Id = u32;

/// The most pages one `alloc` takes.
pub(crate) const MAX_ALLOC: u32 = 1024;
/// The largest `vmalloc` area.
pub(crate) const MAX_VMALLOC: u32 = 16 << 20;

#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub(crate) enum Command {
    Alloc(u32),
    Free(Id),
    Kmap(Id),
    Kunmap(Id),
    Roundtrip(Id),
    Vmalloc(u32),
    PkmapFlush,
}

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
    if w.is_empty() || w.len() > 10 {
        return Err(ParseError::BadNumber);
    }
    let mut v: u64 = 0;
    for &c in w {
        if !c.is_ascii_digit() {
            return Err(ParseError::BadNumber);
        }
        v = v * 10 + u64::from(c - b'0');
    }
    if v < u64::from(min) || v > u64::from(max) {
        return Err(ParseError::BadNumber);
    }
    Ok(v as u32)
}

/// Parses one command.
pub(crate) fn parse(input: &[u8]) -> Result<Command, ParseError> {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    if line.is_empty() || !line.iter().all(|&c| c == b' ' || c == b'\t' || c.is_ascii_graphic()) {
        return Err(ParseError::NotText);
    }
    let mut words = line.split(|&c| c == b' ' || c == b'\t').filter(|w| !w.is_empty());
    let verb = words.next().ok_or(ParseError::NotText)?;
    let cmd = match verb {
        b"alloc" => Command::Alloc(match words.next() {
            None => 1,
            w => number(w, 1, MAX_ALLOC)?,
        }),
        b"free" => Command::Free(number(words.next(), 1, u32::MAX)?),
        b"kmap" => Command::Kmap(number(words.next(), 1, u32::MAX)?),
        b"kunmap" => Command::Kunmap(number(words.next(), 1, u32::MAX)?),
        b"roundtrip" => Command::Roundtrip(number(words.next(), 1, u32::MAX)?),
        b"vmalloc" => Command::Vmalloc(number(words.next(), 1, MAX_VMALLOC)?),
        b"pkmap-flush" => Command::PkmapFlush,
        _ => return Err(ParseError::UnknownVerb),
    };
    if words.next().is_some() {
        return Err(ParseError::ExtraArgument);
    }
    Ok(cmd)
}
