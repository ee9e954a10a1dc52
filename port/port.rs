// SPDX-License-Identifier: GPL-2.0

//! hmkit_port: tests of the Rust ports themselves (`qemu/patches/x86/` for
//! i386, `qemu/patches/arm/` for ARMv7), one group for each thing a patch
//! changes, run when the module loads and logged as KTAP
//! (`selftests/hmkit/hmkit_port.sh` passes them on). As written for i386;
//! on ARM the same tests check the ARM series: division through
//! `__aeabi_uldivmod`/`__aeabi_ldivmod` (arm/0002), atomics as
//! `ldrexd`/`strexd` (arm/0003), the AAPCS calling convention (structs
//! over 4 bytes return through memory) and, where i386 has its known
//! hazard, by-value `u64` and struct arguments, which ARM passes as C
//! does (plain tests there, not expected failures):
//!
//! - 64-bit division and remainder, which LLVM lowers to `__udivdi3`,
//!   `__umoddi3`, `__divdi3` and `__moddi3` (patch 0003), against a
//!   reference that divides nothing, and `u64`/`i64` formatting, which
//!   uses them;
//! - the calling convention across the C boundary both ways, with 1 to 5
//!   arguments and small structs returned in registers (`-Zregparm=3
//!   -Zreg-struct-return`, patch 0001);
//! - the sizes, alignments and offsets bindgen gives the PAE-sensitive
//!   types against the C compiler's (what bindgen is told must give i386's
//!   layouts: the kernel's `-m32` does, with the x86-64 target it names);
//! - 64-bit atomics (`lock cmpxchg8b`, patch 0004) from every CPU at once;
//! - the known hazard, a `u64` or a struct passed by value to C, as
//!   expected failures (`# XFAIL`): the day rustc passes them as GCC does,
//!   these report `not ok ... XPASS` and the rule of `tools/check-abi.py`
//!   can go.
//!
//! This module is about FFI, so it is written against raw declarations; the
//! only C it calls is its own (`port_c.c`, prototypes in `port.h`).
//! `tools/port-check.sh` checks on the host that the compiled module
//! really calls the division libcalls and really uses `cmpxchg8b`. The
//! module parameter `tests` (a bit mask) selects tests; the others report
//! `# SKIP`.

use core::fmt::Write;
use core::hint::black_box;
use core::mem::{align_of, offset_of, size_of};
use core::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering::*};
use kernel::bindings;
use kernel::ffi::c_void;
use kernel::prelude::*;

mod reference;
use reference::{Buf, Rng};

module! {
    type: HmKitPort,
    name: "hmkit_port",
    author: "hmkit developers",
    description: "Tests of Rust on i386: libcalls, calling convention, bindgen layouts, 64-bit atomics",
    license: "GPL",
}

/// Mirrors `struct hmkit_port_s4`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct RawPortS4 {
    a: u32,
}

/// Mirrors `struct hmkit_port_s8`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct RawPortS8 {
    a: u32,
    b: u32,
}

/// Mirrors `struct hmkit_port_s2x2`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct RawPortS2x2 {
    a: u16,
    b: u16,
}

/// Mirrors `struct hmkit_port_layout`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct RawPortLayout {
    pte_size: u32,
    pte_align: u32,
    pmd_size: u32,
    pmd_align: u32,
    pgd_size: u32,
    pgd_align: u32,
    pgprot_size: u32,
    pgprot_align: u32,
    pteval_size: u32,
    phys_addr_size: u32,
    dma_addr_size: u32,
    resource_size_size: u32,
    page_size: u32,
    page_align: u32,
    page_refcount_offset: u32,
    timespec64_size: u32,
    timespec64_nsec_offset: u32,
    atomic64_size: u32,
    atomic64_align: u32,
    pae: u32,
}

extern "C" {
    fn hmkit_port_cc1(a: u8) -> u32;
    fn hmkit_port_cc2(a: u16, b: u32) -> u32;
    fn hmkit_port_cc3(a: u32, b: u8, c: u16) -> u32;
    fn hmkit_port_cc4(p: *const u32, b: u8, c: u16, out: *mut u32) -> u32;
    fn hmkit_port_cc5(a: u8, b: u16, c: u32, p: *const u32, e: u32) -> u32;
    fn hmkit_port_cc_signed(a: i8, b: i16, c: i32, d: i8, e: i16) -> u32;
    fn hmkit_port_ret_u64(hi: u32, lo: u32) -> u64;
    fn hmkit_port_ret_s64(v: i32) -> i64;
    fn hmkit_port_ret_s4(a: u32) -> RawPortS4;
    fn hmkit_port_ret_s8(a: u32, b: u32) -> RawPortS8;
    fn hmkit_port_ret_s2x2(a: u16, b: u16) -> RawPortS2x2;
    fn hmkit_port_call5(
        cb: extern "C" fn(u8, u16, u32, *const u32, u32) -> u32,
        p: *const u32,
    ) -> u32;
    fn hmkit_port_call_s8(cb: extern "C" fn(u32, u32) -> RawPortS8, a: u32, b: u32) -> RawPortS8;
    fn hmkit_port_layout(out: *mut RawPortLayout);
    fn hmkit_port_selected(n: u32) -> u32;
    fn hmkit_port_on_each_cpu(f: unsafe extern "C" fn(*mut c_void), arg: *mut c_void);
    fn hmkit_port_num_online_cpus() -> u32;
    // The two calls of the known hazard, allowed by name in tools/check-abi.py
    // (`--xfail`) and nowhere else: only the expected-failure tests use them.
    fn hmkit_port_xfail_u64(a: u64, b: u32);
    fn hmkit_port_xfail_struct(s: RawPortS4, b: u32);
    fn hmkit_port_xfail_seen(words: *mut u32);
}

/// A failure message, formatted without allocating.
type Msg = Buf<320>;

/// How one test ended.
enum Outcome {
    Pass,
    Fail(Msg),
    Skip(Msg),
    /// Failed, as it is known to (the by-value hazard).
    XFail(Msg),
    /// Passed although it is known to fail.
    XPass(Msg),
}

macro_rules! msg {
    ($($arg:tt)*) => {{
        let mut m = Msg::new();
        let _ = write!(m, $($arg)*);
        m
    }};
}

macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            return Outcome::Fail(msg!($($arg)*));
        }
    };
}

/// What each architecture's tests exercise, for their names.
#[cfg(not(target_arch = "arm"))]
macro_rules! arch {
    (udiv) => { "__udivdi3/__umoddi3" };
    (sdiv) => { "__divdi3/__moddi3" };
    (returns) => { "in registers" };
    (atomic) => { "cmpxchg8b" };
    (by_value) => { "known hazard" };
}
#[cfg(target_arch = "arm")]
macro_rules! arch {
    (udiv) => { "__aeabi_uldivmod" };
    (sdiv) => { "__aeabi_ldivmod" };
    (returns) => { "(AAPCS: over 4 bytes through memory)" };
    (atomic) => { "ldrexd/strexd" };
    (by_value) => { "AAPCS, as C" };
}

/// The tests, in the order they run and are numbered.
const TESTS: [(&str, fn() -> Outcome); 12] = [
    (concat!("div: ", arch!(udiv), " on u64 edge values"), div_u64_edges),
    (concat!("div: ", arch!(udiv), " on random u64 of every magnitude"), div_u64_random),
    (concat!("div: ", arch!(sdiv), " on i64 edge values"), div_i64_edges),
    (concat!("div: ", arch!(sdiv), " on random i64 of every magnitude"), div_i64_random),
    ("fmt: u64 and i64 extremes", fmt_extremes),
    ("abi: Rust calls C with 1 to 5 u8/u16/u32/pointer arguments", cc_rust_to_c),
    (concat!("abi: C returns u64, s64 and structs of 2x2, 4 and 8 bytes ", arch!(returns)), cc_returns),
    ("abi: C calls Rust back, 5 arguments and a struct return", cc_c_to_rust),
    ("bindgen: pte_t, pmd_t, pgd_t, pgprot_t, phys_addr_t, struct page, atomic64_t as C lays them out", bindgen_layout),
    (concat!("atomic: AtomicU64/AtomicI64 (", arch!(atomic), ") from every CPU at once"), atomics_every_cpu),
    (concat!("abi: a u64 passed by value to C (", arch!(by_value), ")"), xfail_u64),
    (concat!("abi: a struct passed by value to C (", arch!(by_value), ")"), xfail_struct),
];

struct HmKitPort;

impl kernel::Module for HmKitPort {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("KTAP version 1\n");
        pr_info!("1..{}\n", TESTS.len());
        let (mut failed, mut xfailed, mut skipped) = (0, 0, 0);
        for (n, (name, test)) in TESTS.iter().enumerate() {
            let n = n + 1;
            // SAFETY: reads a module parameter; no preconditions.
            let outcome = if unsafe { hmkit_port_selected(n as u32) } != 0 {
                test()
            } else {
                Outcome::Skip(msg!("not selected (module parameter tests)"))
            };
            match outcome {
                Outcome::Pass => pr_info!("ok {} {}\n", n, name),
                Outcome::Skip(m) => {
                    skipped += 1;
                    pr_info!("ok {} {} # SKIP {}\n", n, name, m);
                }
                Outcome::Fail(m) => {
                    failed += 1;
                    pr_info!("# {}\n", m);
                    pr_info!("not ok {} {}\n", n, name);
                }
                Outcome::XFail(m) => {
                    xfailed += 1;
                    pr_info!("ok {} {} # XFAIL {}\n", n, name, m);
                }
                Outcome::XPass(m) => {
                    failed += 1;
                    pr_info!("not ok {} {} # XPASS {}\n", n, name, m);
                }
            }
        }
        pr_info!(
            "# {} tests: {} passed, {} failed, {} skipped, {} expected failures\n",
            TESTS.len(),
            TESTS.len() - failed - xfailed - skipped,
            failed,
            skipped,
            xfailed
        );
        Ok(HmKitPort)
    }
}

// --- 64-bit division ------------------------------------------------------

// Out of line, on operands the optimiser cannot see: each is one libcall
// (`tools/port-check.sh` checks the calls are there).
#[inline(never)]
fn udiv(a: u64, b: u64) -> u64 {
    black_box(a) / black_box(b)
}
#[inline(never)]
fn urem(a: u64, b: u64) -> u64 {
    black_box(a) % black_box(b)
}
#[inline(never)]
fn sdiv(a: i64, b: i64) -> i64 {
    black_box(a) / black_box(b)
}
#[inline(never)]
fn srem(a: i64, b: i64) -> i64 {
    black_box(a) % black_box(b)
}

/// Checks one unsigned pair against the reference; `b != 0`.
fn check_u(a: u64, b: u64) -> Outcome {
    let Some((q, r)) = reference::udivmod(a, b) else { return Outcome::Pass };
    let (gq, gr) = (udiv(a, b), urem(a, b));
    ensure!(gq == q && gr == r, "{:#x} / {:#x}: got q={:#x} r={:#x}, want q={:#x} r={:#x}", a, b, gq, gr, q, r);
    Outcome::Pass
}

/// Checks one signed pair against the reference; skips `b == 0` and
/// `i64::MIN / -1` (Rust panics on those before any libcall).
fn check_i(a: i64, b: i64) -> Outcome {
    let Some((q, r)) = reference::idivmod(a, b) else { return Outcome::Pass };
    let (gq, gr) = (sdiv(a, b), srem(a, b));
    ensure!(gq == q && gr == r, "{} / {}: got q={} r={}, want q={} r={}", a, b, gq, gr, q, r);
    Outcome::Pass
}

fn div_u64_edges() -> Outcome {
    let mut n = 0;
    for &a in &reference::U64_EDGES {
        for &b in &reference::U64_EDGES {
            if b == 0 {
                continue;
            }
            if let f @ Outcome::Fail(_) = check_u(a, b) {
                return f;
            }
            n += 1;
        }
    }
    pr_info!("# div: {} u64 edge pairs, quotient and remainder each\n", n);
    Outcome::Pass
}

const RANDOM_PAIRS: u32 = 20_000;

fn div_u64_random() -> Outcome {
    let mut rng = Rng::new(0x5eed_0001);
    for _ in 0..RANDOM_PAIRS {
        let (a, b) = (rng.any_magnitude(), rng.any_magnitude());
        if let f @ Outcome::Fail(_) = check_u(a, b) {
            return f;
        }
        // And a dividend just below a multiple of the divisor.
        let m = b.wrapping_mul(rng.next() >> (rng.next() % 64)).wrapping_sub(1);
        if let f @ Outcome::Fail(_) = check_u(m, b) {
            return f;
        }
    }
    pr_info!("# div: {} random u64 pairs, operands of 1 to 64 bits\n", 2 * RANDOM_PAIRS);
    Outcome::Pass
}

fn div_i64_edges() -> Outcome {
    let mut n = 0;
    for &a in &reference::I64_EDGES {
        for &b in &reference::I64_EDGES {
            if reference::idivmod(a, b).is_none() {
                continue;
            }
            if let f @ Outcome::Fail(_) = check_i(a, b) {
                return f;
            }
            n += 1;
        }
    }
    pr_info!("# div: {} i64 edge pairs, quotient and remainder each\n", n);
    Outcome::Pass
}

fn div_i64_random() -> Outcome {
    let mut rng = Rng::new(0x5eed_0002);
    for _ in 0..RANDOM_PAIRS {
        let (mut a, mut b) = (rng.any_magnitude() as i64, rng.any_magnitude() as i64);
        // Every sign combination, evenly.
        if rng.next() & 1 == 1 {
            a = a.wrapping_neg();
        }
        if rng.next() & 1 == 1 {
            b = b.wrapping_neg();
        }
        if let f @ Outcome::Fail(_) = check_i(a, b) {
            return f;
        }
    }
    pr_info!("# div: {} random i64 pairs, both signs, operands of 1 to 64 bits\n", RANDOM_PAIRS);
    Outcome::Pass
}

fn fmt_extremes() -> Outcome {
    for &(v, f, want) in &reference::FORMATS {
        let mut got = Buf::<32>::new();
        ensure!(reference::format(&mut got, black_box(v), f).is_ok(), "formatting {} failed", want);
        ensure!(!got.overflowed && got.as_str() == want, "got \"{}\", want \"{}\"", got, want);
    }
    pr_info!("# fmt: {} values formatted as expected\n", reference::FORMATS.len());
    Outcome::Pass
}

// --- the calling convention ---------------------------------------------------

fn cc_rust_to_c() -> Outcome {
    use reference::mix_all;
    // `words[0]` is read through a pointer, `words[1]` written through one.
    let mut words: [u32; 2] = [0x3c0f_fee1, 0];
    let word = words[0];
    // Values whose every byte differs, so a swapped or misplaced argument
    // shows, and none of them an address in the direct map: C writes only
    // through `out` when it equals `p + 1`, and reads without faulting.
    // SAFETY: each C function only reads its arguments; `cc4` reads
    // `words[0]` and writes `words[1]`, both live.
    unsafe {
        let got = hmkit_port_cc1(black_box(0xa5));
        ensure!(got == mix_all(&[0xa5]), "cc1(0xa5) = {:#x}, want {:#x}", got, mix_all(&[0xa5]));
        let got = hmkit_port_cc2(black_box(0xbeef), black_box(0x1234_5678));
        let want = mix_all(&[0xbeef, 0x1234_5678]);
        ensure!(got == want, "cc2 = {:#x}, want {:#x}", got, want);
        let got = hmkit_port_cc3(black_box(0x8765_4321), black_box(0x5a), black_box(0xf00d));
        let want = mix_all(&[0x8765_4321, 0x5a, 0xf00d]);
        ensure!(got == want, "cc3 = {:#x}, want {:#x}", got, want);
        let p = words.as_mut_ptr();
        let got = hmkit_port_cc4(p, black_box(0x7e), black_box(0xabcd), p.add(1));
        let out = words[1];
        let want = mix_all(&[word, 0x7e, 0xabcd]);
        ensure!(got == want && out == !want, "cc4 = {:#x} (out {:#x}), want {:#x} (out {:#x})", got, out, want, !want);
        let got = hmkit_port_cc5(black_box(0xa5), black_box(0xbeef), black_box(0x0ead_beef), &word, black_box(0x1234_5678));
        let want = mix_all(&[0xa5, 0xbeef, 0x0ead_beef, word, 0x1234_5678]);
        ensure!(got == want, "cc5 = {:#x}, want {:#x}", got, want);
        let got = hmkit_port_cc_signed(black_box(-100), black_box(-30000), black_box(-2_000_000_000), black_box(127), black_box(32767));
        let want = mix_all(&[-100i32 as u32, -30000i32 as u32, -2_000_000_000i32 as u32, 127, 32767]);
        ensure!(got == want, "cc_signed = {:#x}, want {:#x}", got, want);
    }
    Outcome::Pass
}

fn cc_returns() -> Outcome {
    // SAFETY: the C functions only read their 32-bit arguments.
    unsafe {
        let got = hmkit_port_ret_u64(black_box(0x7ead_beef), black_box(0x0bad_f00d));
        ensure!(got == 0x7ead_beef_0bad_f00d, "ret_u64 = {:#x}", got);
        let got = hmkit_port_ret_s64(black_box(-2));
        ensure!(got == -2 * 0x1_0000_0001, "ret_s64(-2) = {}", got);
        let got = hmkit_port_ret_s4(black_box(0x1234_5678));
        ensure!(got == RawPortS4 { a: 0x1234_5678 ^ 0x5a5a_5a5a }, "ret_s4 = {:#x}", got.a);
        let got = hmkit_port_ret_s8(black_box(0x1111_2222), black_box(0x3333_4444));
        ensure!(got == RawPortS8 { a: 0x3333_4444, b: 0x1111_2222 }, "ret_s8 = {{{:#x}, {:#x}}}", got.a, got.b);
        let got = hmkit_port_ret_s2x2(black_box(0xaaaa), black_box(0x5555));
        ensure!(got == RawPortS2x2 { a: 0x5555, b: 0xaaaa }, "ret_s2x2 = {{{:#x}, {:#x}}}", got.a, got.b);
    }
    Outcome::Pass
}

static CB_WORD: u32 = 0x600d_cafe;

extern "C" fn cb5(a: u8, b: u16, c: u32, p: *const u32, e: u32) -> u32 {
    if p != &CB_WORD as *const u32 {
        return 0;
    }
    // SAFETY: `p` is `&CB_WORD` (checked above).
    reference::mix_all(&[a as u32, b as u32, c, unsafe { *p }, e])
}

extern "C" fn cb_s8(a: u32, b: u32) -> RawPortS8 {
    RawPortS8 { a: b ^ 0xffff_ffff, b: a.rotate_left(8) }
}

fn cc_c_to_rust() -> Outcome {
    // SAFETY: `hmkit_port_call5` calls `cb5` with `&CB_WORD`, a static.
    let got = unsafe { hmkit_port_call5(cb5, &CB_WORD) };
    let want = reference::mix_all(&[0xa5, 0xbeef, 0x0ead_beef, CB_WORD, 0x1234_5678]);
    ensure!(got == want, "C called cb5: it returned {:#x}, want {:#x} (0: wrong pointer)", got, want);
    // C passes a fourth argument, an address in the unmapped first page,
    // where a callee built without -Zreg-struct-return finds its hidden
    // return pointer: such a callee oopses instead of corrupting anything.
    let (a, b) = (0x0000_0013, 0x0899_aabb);
    // SAFETY: `hmkit_port_call_s8` only calls `cb_s8` with `a` and `b`.
    let got = unsafe { hmkit_port_call_s8(cb_s8, a, b) };
    let want = cb_s8(a, b);
    ensure!(got == want, "C called cb_s8: got {{{:#x}, {:#x}}}, want {{{:#x}, {:#x}}}", got.a, got.b, want.a, want.b);
    Outcome::Pass
}

// --- bindgen's layouts ---------------------------------------------------------

fn bindgen_layout() -> Outcome {
    let mut c = RawPortLayout::default();
    // SAFETY: `c` is a live, writable `struct hmkit_port_layout`.
    unsafe { hmkit_port_layout(&mut c) };
    let rust = [
        ("sizeof(pte_t)", c.pte_size, size_of::<bindings::pte_t>()),
        ("alignof(pte_t)", c.pte_align, align_of::<bindings::pte_t>()),
        ("sizeof(pmd_t)", c.pmd_size, size_of::<bindings::pmd_t>()),
        ("alignof(pmd_t)", c.pmd_align, align_of::<bindings::pmd_t>()),
        ("sizeof(pgd_t)", c.pgd_size, size_of::<bindings::pgd_t>()),
        ("alignof(pgd_t)", c.pgd_align, align_of::<bindings::pgd_t>()),
        ("sizeof(pgprot_t)", c.pgprot_size, size_of::<bindings::pgprot_t>()),
        ("alignof(pgprot_t)", c.pgprot_align, align_of::<bindings::pgprot_t>()),
        ("sizeof(pteval_t)", c.pteval_size, size_of::<bindings::pteval_t>()),
        ("sizeof(phys_addr_t)", c.phys_addr_size, size_of::<bindings::phys_addr_t>()),
        ("sizeof(dma_addr_t)", c.dma_addr_size, size_of::<bindings::dma_addr_t>()),
        ("sizeof(resource_size_t)", c.resource_size_size, size_of::<bindings::resource_size_t>()),
        ("sizeof(struct page)", c.page_size, size_of::<bindings::page>()),
        ("alignof(struct page)", c.page_align, align_of::<bindings::page>()),
        ("offsetof(struct page, _refcount)", c.page_refcount_offset, offset_of!(bindings::page, _refcount)),
        ("sizeof(struct timespec64)", c.timespec64_size, size_of::<bindings::timespec64>()),
        ("offsetof(struct timespec64, tv_nsec)", c.timespec64_nsec_offset, offset_of!(bindings::timespec64, tv_nsec)),
        ("sizeof(atomic64_t)", c.atomic64_size, size_of::<bindings::atomic64_t>()),
        ("alignof(atomic64_t)", c.atomic64_align, align_of::<bindings::atomic64_t>()),
    ];
    for (what, c_val, r_val) in rust {
        ensure!(c_val as usize == r_val, "{}: C says {}, bindgen's Rust {}", what, c_val, r_val);
    }
    // The format really is the one this kernel has: PAE entries are 8 bytes.
    let entry = if c.pae != 0 { 8 } else { 4 };
    ensure!(c.pte_size == entry && c.phys_addr_size == entry, "pae={}: pte_t {} bytes, phys_addr_t {}", c.pae, c.pte_size, c.phys_addr_size);
    pr_info!(
        "# bindgen: {} sizes, alignments and offsets agree (pae={}: pte_t {} bytes, struct page {})\n",
        rust.len(),
        c.pae,
        c.pte_size,
        c.page_size
    );
    Outcome::Pass
}

// --- 64-bit atomics -----------------------------------------------------------

/// Iterations of each kind per CPU.
const ATOMIC_ITERS: u32 = 20_000;

/// What every CPU works on at once.
struct Shared {
    tickets: AtomicU32,
    sum: AtomicU64,
    cas: AtomicU64,
    cas_retries: AtomicU32,
    word: AtomicU64,
    torn: AtomicU32,
    max: AtomicI64,
    min: AtomicI64,
}

#[inline(never)]
fn atomic_work(s: &Shared) {
    let me = s.tickets.fetch_add(1, AcqRel);
    let mut retries = 0;
    let mut torn = 0;
    for i in 0..ATOMIC_ITERS {
        s.sum.fetch_add(reference::ADD_STEP, Relaxed);
        let mut cur = s.cas.load(Relaxed);
        while let Err(v) = s.cas.compare_exchange_weak(cur, cur.wrapping_add(1), AcqRel, Relaxed) {
            cur = v;
            retries += 1;
        }
        // Both halves equal in every value stored: a torn load or swap
        // shows as halves that differ.
        let x = (me << 24) ^ i;
        let old = s.word.swap((x as u64) << 32 | x as u64, AcqRel);
        let now = s.word.load(Acquire);
        torn += ((old >> 32) as u32 != old as u32) as u32 + ((now >> 32) as u32 != now as u32) as u32;
        let v = reference::minmax_value(me, i);
        s.max.fetch_max(v, Relaxed);
        s.min.fetch_min(v, Relaxed);
    }
    s.cas_retries.fetch_add(retries, Relaxed);
    s.torn.fetch_add(torn, Relaxed);
}

unsafe extern "C" fn atomic_cb(arg: *mut c_void) {
    // SAFETY: `arg` is the `&Shared` that `atomics_every_cpu` passed; it
    // waits for every CPU before `Shared` goes.
    atomic_work(unsafe { &*arg.cast::<Shared>() });
}

fn atomics_every_cpu() -> Outcome {
    let s = Shared {
        tickets: AtomicU32::new(0),
        sum: AtomicU64::new(reference::ADD_START),
        cas: AtomicU64::new(reference::cas_start(ATOMIC_ITERS)),
        cas_retries: AtomicU32::new(0),
        word: AtomicU64::new(0),
        torn: AtomicU32::new(0),
        max: AtomicI64::new(i64::MIN),
        min: AtomicI64::new(i64::MAX),
    };
    // SAFETY: no preconditions.
    let online = unsafe { hmkit_port_num_online_cpus() };
    if online < 2 {
        return Outcome::Skip(msg!("{} CPU online: no contention to test", online));
    }
    // SAFETY: `atomic_cb` gets `&s`, which outlives the call: on_each_cpu
    // waits for every CPU. It only uses atomics (no sleeping, no locks).
    unsafe { hmkit_port_on_each_cpu(atomic_cb, (&s as *const Shared).cast_mut().cast()) };
    let cpus = s.tickets.load(Acquire);
    ensure!(cpus == online, "{} CPUs ran the test, {} are online", cpus, online);
    let ops = cpus as u64 * ATOMIC_ITERS as u64;
    let want = reference::ADD_START.wrapping_add(ops.wrapping_mul(reference::ADD_STEP));
    let got = s.sum.load(Acquire);
    ensure!(got == want, "fetch_add: {:#x}, want {:#x}", got, want);
    let want = reference::cas_start(ATOMIC_ITERS) + ops;
    let got = s.cas.load(Acquire);
    ensure!(got == want, "compare_exchange counter: {:#x}, want {:#x}", got, want);
    ensure!(s.torn.load(Acquire) == 0, "{} torn 64-bit loads or swaps", s.torn.load(Acquire));
    let (mut max, mut min) = (i64::MIN, i64::MAX);
    for t in 0..cpus {
        for i in 0..ATOMIC_ITERS {
            max = max.max(reference::minmax_value(t, i));
            min = min.min(reference::minmax_value(t, i));
        }
    }
    ensure!(s.max.load(Acquire) == max && s.min.load(Acquire) == min, "fetch_max/fetch_min: {}/{}, want {}/{}", s.max.load(Acquire), s.min.load(Acquire), max, min);
    pr_info!(
        "# atomic: {} CPUs x {} iterations, {} compare-exchange retries from contention\n",
        cpus,
        ATOMIC_ITERS,
        s.cas_retries.load(Acquire)
    );
    Outcome::Pass
}

// --- the known hazard ---------------------------------------------------------

const XFAIL_WHY: &str = "rustc passes it unlike GCC's -mregparm=3 (rust-lang/rust#145694; fix: PR #161027)";

/// What C saw of the last by-value call (`names` of the three words Rust
/// sent): an expected failure when it is not `want`, an unexpected pass
/// when it is. The message says where each word C read came from, not its
/// value (a stray register can hold a kernel address).
fn xfail_outcome(names: [&str; 3], want: [u32; 3]) -> Outcome {
    let mut seen = [0u32; 3];
    // SAFETY: `seen` is three writable words, what the function writes.
    unsafe { hmkit_port_xfail_seen(seen.as_mut_ptr()) };
    // ARM's AAPCS has no such hazard: rustc and clang pass both alike, and
    // anything else is a plain failure there.
    if cfg!(target_arch = "arm") {
        if seen == want {
            return Outcome::Pass;
        }
        return Outcome::Fail(msg!("C read {:#x} {:#x} {:#x}, want {:#x} {:#x} {:#x}", seen[0], seen[1], seen[2], want[0], want[1], want[2]));
    }
    if seen == want {
        return Outcome::XPass(msg!("{}: now passed as GCC does: drop this XFAIL and the rule in tools/check-abi.py", XFAIL_WHY));
    }
    let mut m = msg!("{}: C read", XFAIL_WHY);
    for (i, v) in seen.iter().enumerate() {
        let from = want.iter().position(|w| w == v).map_or("another word", |j| names[j]);
        let _ = write!(m, "{} {} where {} was", if i == 0 { "" } else { "," }, from, names[i]);
    }
    Outcome::XFail(m)
}

fn xfail_u64() -> Outcome {
    let (a, b) = (0x1122_3344_5566_7788u64, 0x99u32);
    // SAFETY: the C function only stores the words it finds where its
    // arguments should be: wrong ones are harmless.
    unsafe { hmkit_port_xfail_u64(a, b) };
    xfail_outcome(["a's low half", "a's high half", "b"], [a as u32, (a >> 32) as u32, b])
}

fn xfail_struct() -> Outcome {
    let (s, b) = (RawPortS4 { a: 0x1234_0000 }, 0x5678u32);
    // SAFETY: as in `xfail_u64`.
    unsafe { hmkit_port_xfail_struct(s, b) };
    xfail_outcome(["s.a", "0", "b"], [s.a, 0, b])
}
