// SPDX-License-Identifier: GPL-2.0

//! The only place where hmkit touches C.
//!
//! Everything in this module is a raw declaration of a function in
//! `shim.c` or the kernel, plus a thin safe wrapper around it. Code outside
//! `sys` is safe Rust.
//!
//! # The i386 calling-convention rule
//!
//! rustc does not pass 64-bit integers or structs by value the way GCC's
//! `-mregparm=3` does. No declaration here may take a `u64`, `i64`,
//! `loff_t`, `phys_addr_t`, `pte_t` or any other struct by value: such calls
//! go through a helper in `shim.c` that takes pointers or 32-bit values.
//! (Returning a `u64` is fine.) `tools/check-abi.py` enforces this.

use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::prelude::*;

pub(crate) mod debugfs;
pub(crate) mod highmem;
pub(crate) mod kmaps;
pub(crate) mod window;

/// Mirrors `struct hmkit_layout` in `shim.h`.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct RawLayout {
    pub(crate) page_size: usize,
    pub(crate) pmd_size: usize,
    pub(crate) task_size: usize,
    pub(crate) page_offset: usize,
    pub(crate) high_memory: usize,
    pub(crate) vmalloc_start: usize,
    pub(crate) vmalloc_end: usize,
    pub(crate) pkmap_base: usize,
    pub(crate) last_pkmap: usize,
    pub(crate) ldt_base: usize,
    pub(crate) ldt_end: usize,
    pub(crate) cpu_entry_area_base: usize,
    pub(crate) cpu_entry_area_size: usize,
    pub(crate) fixaddr_tot_start: usize,
    pub(crate) fixaddr_start: usize,
    pub(crate) fixaddr_top: usize,
    pub(crate) kmap_local_start: usize,
    pub(crate) kmap_local_end: usize,
    pub(crate) kmap_local_slots: usize,
    pub(crate) nr_cpus: usize,
    pub(crate) modules_start: usize,
    pub(crate) modules_end: usize,
    pub(crate) vectors_start: usize,
    pub(crate) vectors_end: usize,
    pub(crate) fdt_start: usize,
    pub(crate) fdt_end: usize,
    pub(crate) pae: c_uint,
}

// The C side asserts the same sizes and offsets (shim.c), and
// tools/check-abi.py checks the fields against shim.h one by one.
const _: () = {
    assert!(core::mem::size_of::<RawLayout>() == 26 * 4 + 4);
    assert!(core::mem::offset_of!(RawLayout, nr_cpus) == 19 * 4);
    assert!(core::mem::offset_of!(RawLayout, pae) == 26 * 4);
    assert!(core::mem::size_of::<RawZone>() == 7 * 4);
    assert!(core::mem::size_of::<RawEvents>() == 7 * 4);
    assert!(core::mem::offset_of!(RawEvents, have) == 6 * 4);
    assert!(core::mem::offset_of!(RawZone, highmem) == 6 * 4);
};

/// Mirrors `struct hmkit_events` in `shim.h`.
#[repr(C)]
#[derive(Default)]
struct RawEvents {
    flush_one: usize,
    flush_all: usize,
    remote: usize,
    remote_rcvd: usize,
    ipi_call: usize,
    ipi_tlb: usize,
    have: c_uint,
}

/// The kernel's own counts of TLB flush events and flush IPIs, summed over
/// the online CPUs as /proc/vmstat and /proc/interrupts sum them. The
/// counters wrap: compare two readings with [`Events::since`].
#[derive(Clone, Copy)]
pub(crate) struct Events {
    /// `nr_tlb_local_flush_one`, `nr_tlb_local_flush_all`,
    /// `nr_tlb_remote_flush`, `nr_tlb_remote_flush_received`; `None`
    /// without CONFIG_DEBUG_TLBFLUSH.
    pub(crate) vmstat: Option<[usize; 4]>,
    /// `CAL` and `TLB` of /proc/interrupts; `None` where the kernel keeps
    /// them private (ARM).
    pub(crate) ipis: Option<[usize; 2]>,
}

/// `struct hmkit_events`'s `have` bits (`shim.h`).
const HAVE_VMSTAT: c_uint = 1;
const HAVE_IPIS: c_uint = 2;

impl Events {
    /// The counts now.
    pub(crate) fn read() -> Self {
        let mut e = RawEvents::default();
        // SAFETY: `e` is a valid, writable `struct hmkit_events`.
        unsafe { hmkit_events(&mut e) };
        Events {
            vmstat: (e.have & HAVE_VMSTAT != 0).then_some([e.flush_one, e.flush_all, e.remote, e.remote_rcvd]),
            ipis: (e.have & HAVE_IPIS != 0).then_some([e.ipi_call, e.ipi_tlb]),
        }
    }

    /// The counts themselves, in the order of [`Events::since`] (-1 for
    /// what the kernel does not count).
    pub(crate) fn counts(&self) -> [i64; 6] {
        let v = self.vmstat.map_or([-1; 4], |v| v.map(|c| c as i64));
        let i = self.ipis.map_or([-1; 2], |i| i.map(|c| c as i64));
        [v[0], v[1], v[2], v[3], i[0], i[1]]
    }

    /// The events since `earlier`, in the order flush_one, flush_all,
    /// remote, remote_rcvd, CAL, TLB; -1 for what the kernel does not count.
    pub(crate) fn since(&self, earlier: &Events) -> [i64; 6] {
        let d = |a: usize, b: usize| a.wrapping_sub(b) as i64;
        let mut out = [-1; 6];
        if let (Some(now), Some(then)) = (self.vmstat, earlier.vmstat) {
            for i in 0..4 {
                out[i] = d(now[i], then[i]);
            }
        }
        if let (Some(now), Some(then)) = (self.ipis, earlier.ipis) {
            out[4] = d(now[0], then[0]);
            out[5] = d(now[1], then[1]);
        }
        out
    }
}

/// Mirrors `struct hmkit_zone` in `shim.h`.
#[repr(C)]
struct RawZone {
    name: *const c_char,
    start_pfn: usize,
    spanned: usize,
    present: usize,
    managed: usize,
    free: usize,
    highmem: c_uint,
}

/// One zone of node 0, in pages.
#[derive(Clone, Copy)]
pub(crate) struct ZoneInfo {
    pub(crate) name: &'static kernel::str::CStr,
    pub(crate) start_pfn: usize,
    pub(crate) spanned: usize,
    pub(crate) present: usize,
    pub(crate) managed: usize,
    pub(crate) free: usize,
    pub(crate) highmem: bool,
}

extern "C" {
    fn hmkit_vmap_one(page: *mut c_void) -> *mut c_void;
    fn hmkit_vunmap(addr: *const c_void);
    fn hmkit_vm_map_ram_one(page: *mut c_void) -> *mut c_void;
    fn hmkit_vm_unmap_ram(addr: *const c_void);
    fn hmkit_on_each_cpu(f: unsafe extern "C" fn(*mut c_void), arg: *mut c_void);
    fn hmkit_cond_resched();
    fn hmkit_in_interrupt() -> c_uint;
    fn hmkit_kmap_local_room() -> c_uint;
    fn hmkit_smp_processor_id() -> c_uint;
    fn hmkit_get_cpu() -> c_uint;
    fn hmkit_put_cpu();
    fn hmkit_cpu_relax();
    fn hmkit_nr_cpu_ids() -> c_uint;
    fn hmkit_param_slots() -> c_uint;
    fn hmkit_param_wait_ms() -> c_uint;
    fn hmkit_layout(l: *mut RawLayout);
    fn hmkit_events(e: *mut RawEvents);
    fn hmkit_zone(idx: c_uint, z: *mut RawZone) -> c_int;
    fn hmkit_pkmap_slot(idx: c_uint, vaddr: *mut usize, pfn: *mut usize) -> c_int;
    fn hmkit_page_facts(pfn: usize, flags: *mut c_uint, order: *mut c_uint) -> c_int;
    fn hmkit_vmalloc_pfn(addr: usize) -> usize;
    fn hmkit_task_stack_pfns(pfns: *mut usize, max: c_uint, n: *mut c_uint) -> c_int;
    fn hmkit_page_to_pfn(page: *mut c_void) -> usize;
    fn hmkit_page_is_highmem(page: *mut c_void) -> c_uint;
    fn hmkit_page_zone_name(page: *mut c_void) -> *const c_char;
    fn hmkit_page_address(page: *mut c_void) -> *mut c_void;
    fn hmkit_get_page(page: *mut c_void);
    fn hmkit_put_page(page: *mut c_void);
    fn hmkit_page_count(page: *mut c_void) -> c_uint;
    fn hmkit_kmap_local(page: *mut c_void) -> *mut c_void;
    fn hmkit_kunmap_local(addr: *mut c_void);
    fn hmkit_kmap_atomic(page: *mut c_void) -> *mut c_void;
    fn hmkit_kunmap_atomic(addr: *mut c_void);
    fn hmkit_kmap(page: *mut c_void) -> *mut c_void;
    fn hmkit_kunmap(page: *mut c_void);
    fn hmkit_vmalloc_page(addr: *const c_void, pfn: *mut usize, highmem: *mut c_uint, zone: *mut *const c_char)
        -> c_int;
    fn hmkit_kernel_release() -> *const c_char;
    fn hmkit_config_pae() -> c_uint;
    fn hmkit_num_online_cpus() -> c_uint;

    fn hmkit_debugfs_dir(name: *const c_char, parent: *mut c_void, out: *mut *mut c_void) -> c_int;
    fn hmkit_debugfs_file(
        name: *const c_char,
        mode: c_uint,
        parent: *mut c_void,
        entry: *const c_void,
        out: *mut *mut c_void,
    ) -> c_int;
    fn hmkit_debugfs_remove(dentry: *mut c_void);
    fn hmkit_seq_write(m: *mut c_void, buf: *const c_char, len: usize);
}

/// The running kernel's release string, e.g. `6.12.117`.
pub(crate) fn kernel_release() -> &'static kernel::str::CStr {
    // SAFETY: `init_utsname()->release` is a NUL-terminated array inside the
    // initial UTS namespace, which lives as long as the kernel.
    unsafe { kernel::str::CStr::from_char_ptr(hmkit_kernel_release()) }
}

/// Whether the kernel uses PAE (three-level, 64-bit) page tables.
pub(crate) fn config_pae() -> bool {
    // SAFETY: reads a compile-time constant; no preconditions.
    unsafe { hmkit_config_pae() != 0 }
}

/// How many CPUs are online now.
pub(crate) fn num_online_cpus() -> u32 {
    // SAFETY: reads the online CPU mask's weight; no preconditions.
    unsafe { hmkit_num_online_cpus() }
}

unsafe extern "C" fn on_each_cpu_cb(arg: *mut c_void) {
    // SAFETY: `arg` is the `&&dyn Fn` that `on_each_cpu` passed, alive until
    // all CPUs have returned from this callback.
    let f = unsafe { &*arg.cast::<&(dyn Fn(u32) + Sync)>() };
    // SAFETY: no preconditions; the id is stable here (IPI or preemption off).
    f(unsafe { hmkit_smp_processor_id() });
}

/// Runs `f(cpu)` on every online CPU, in hard-IRQ context on all but the
/// caller's (where interrupts are off), and returns when every CPU has.
///
/// # Safety
///
/// `f` runs with interrupts off. It must not sleep (no mutex, no
/// `GFP_KERNEL` allocation, no `kmap()`), must not take any lock that is
/// also taken with interrupts on (such as the pool's spinlock), and so must
/// not map or unmap through the pool nor drop anything whose drop does.
/// Plain loads, stores, atomics and volatile reads of memory the caller
/// keeps mapped in a mapping every CPU shares (the pool's window, the
/// direct map, `kmap()`) are what it is for; never through a
/// `kmap_local`/`kmap_atomic` address, which is this CPU's alone.
pub(crate) unsafe fn on_each_cpu(f: &(dyn Fn(u32) + Sync)) {
    // SAFETY: the callback gets `f` back; `on_each_cpu` waits for every CPU,
    // so `f` outlives every call; the caller vouches for what `f` does.
    unsafe { hmkit_on_each_cpu(on_each_cpu_cb, (&f as *const &(dyn Fn(u32) + Sync)).cast_mut().cast()) };
}

/// Gives the CPU to other tasks if this one should (`cond_resched()`); for
/// long loops in a writer's context.
pub(crate) fn cond_resched() {
    // SAFETY: called from process context (a file write), where sleeping is
    // allowed; no preconditions otherwise.
    unsafe { hmkit_cond_resched() };
}

/// Whether this runs in interrupt context (hard or soft IRQ, NMI).
pub(crate) fn in_interrupt() -> bool {
    // SAFETY: reads the preempt count; no preconditions.
    unsafe { hmkit_in_interrupt() != 0 }
}

/// Whether the current task has a signal pending.
pub(crate) fn signal_pending() -> bool {
    kernel::current!().signal_pending()
}

/// Whether the current task may nest one more kmap_local/kmap_atomic
/// mapping (see `hmkit_kmap_local_room` in shim.c).
pub(crate) fn kmap_local_room() -> bool {
    // SAFETY: reads the current task's kmap_local depth; no preconditions.
    unsafe { hmkit_kmap_local_room() != 0 }
}

/// Local TLB flushes the kernel makes per kmap_local_page()/kunmap_local()
/// pair of a highmem page: x86-32 flushes the slot at unmap
/// (arch_kmap_local_post_unmap); ARM at map and at unmap
/// (arch/arm/include/asm/highmem.h).
pub(crate) const KMAP_LOCAL_FLUSHES_PER_OP: i64 = if cfg!(target_arch = "arm") { 2 } else { 1 };

/// How often long loops call [`breather`].
pub(crate) const CHECK_EVERY: u32 = 256;

/// For long loops in a writer's context, every [`CHECK_EVERY`] rounds:
/// `EINTR` when the task has a signal pending (so Ctrl-C stops it), else
/// gives the CPU away if it should (`cond_resched()`).
pub(crate) fn breather() -> Result {
    if signal_pending() {
        return Err(EINTR);
    }
    cond_resched();
    Ok(())
}

/// The CPU this code runs on now (it may move right after).
pub(crate) fn current_cpu() -> u32 {
    // SAFETY: no preconditions; `raw_` because a stale answer is fine here.
    unsafe { hmkit_smp_processor_id() }
}

/// Turns preemption off (`get_cpu()`) and returns the CPU the caller now
/// stays on until [`unpin_cpu`]. Not pairing it leaves preemption off (the
/// kernel reports scheduling while atomic), which is a bug but not unsound.
pub(crate) fn pin_cpu() -> u32 {
    // SAFETY: no preconditions.
    unsafe { hmkit_get_cpu() }
}

/// Ends the latest [`pin_cpu`] (`put_cpu()`).
///
/// # Safety
///
/// The caller pinned its CPU with [`pin_cpu`] and has not unpinned it
/// since: an unpaired call would turn preemption on inside somebody
/// else's non-preemptible section.
pub(crate) unsafe fn unpin_cpu() {
    // SAFETY: paired with `pin_cpu`, as the caller guarantees.
    unsafe { hmkit_put_cpu() }
}

/// `cpu_relax()`: for each turn of a spin loop.
pub(crate) fn cpu_relax() {
    // SAFETY: no preconditions.
    unsafe { hmkit_cpu_relax() }
}

/// How many CPU numbers there can be (`nr_cpu_ids`).
pub(crate) fn nr_cpu_ids() -> u32 {
    // SAFETY: reads a variable fixed at boot.
    unsafe { hmkit_nr_cpu_ids() }
}

/// `ETIMEDOUT`, which 6.12's `kernel::error::code` lacks.
pub(crate) fn etimedout() -> Error {
    Error::from_errno(-(kernel::bindings::ETIMEDOUT as c_int))
}

/// `EALREADY`, which 6.12's `kernel::error::code` lacks.
pub(crate) fn ealready() -> Error {
    Error::from_errno(-(kernel::bindings::EALREADY as c_int))
}

/// The `slots` module parameter: how many slots the pool has.
pub(crate) fn param_slots() -> u32 {
    // SAFETY: reads a module parameter; no preconditions.
    unsafe { hmkit_param_slots() }
}

/// The `wait_ms` module parameter (writable at run time): how long a
/// blocking pool map waits for a slot.
pub(crate) fn param_wait_ms() -> u32 {
    // SAFETY: reads a module parameter; no preconditions.
    unsafe { hmkit_param_wait_ms() }
}

/// The kernel's virtual-address layout, read live.
pub(crate) fn layout() -> RawLayout {
    let mut l = RawLayout::default();
    // SAFETY: `l` is a valid, writable `struct hmkit_layout`.
    unsafe { hmkit_layout(&mut l) };
    l
}

/// Zone `idx` of node 0, or `None` past the last zone.
pub(crate) fn zone(idx: u32) -> Option<ZoneInfo> {
    let mut z = RawZone { name: core::ptr::null(), start_pfn: 0, spanned: 0, present: 0, managed: 0, free: 0, highmem: 0 };
    // SAFETY: `z` is a valid, writable `struct hmkit_zone`.
    if unsafe { hmkit_zone(idx, &mut z) } != 0 {
        return None;
    }
    Some(ZoneInfo {
        // SAFETY: on success `name` is the zone's static name.
        name: unsafe { kernel::str::CStr::from_char_ptr(z.name) },
        start_pfn: z.start_pfn,
        spanned: z.spanned,
        present: z.present,
        managed: z.managed,
        free: z.free,
        highmem: z.highmem != 0,
    })
}

/// What frame `pfn`'s `struct page` says of its use, read without locks:
/// `(flags, order)`, the flags being the `HMKIT_PF_*` bits of `shim.h`
/// (`crate::logic::census::pf`) and `order` that of the free block or folio
/// it heads. `None` if `pfn` has no `struct page`.
pub(crate) fn page_facts(pfn: usize) -> Option<(u32, u32)> {
    let (mut flags, mut order) = (0, 0);
    // SAFETY: the out pointers are valid locals. The shim checks `pfn` with
    // pfn_valid() (FLATMEM on i386: every valid pfn has an initialised
    // struct page) and rejects poisoned ones, then only reads that struct
    // page and its compound head's, with plain loads.
    let ret = unsafe { hmkit_page_facts(pfn, &mut flags, &mut order) };
    (ret == 0).then_some((flags, order))
}

/// The frame the vmalloc-area address `addr` maps, if any.
pub(crate) fn vmalloc_pfn(addr: usize) -> Option<usize> {
    // SAFETY: the shim checks that `addr` is in the vmalloc area and only
    // walks the kernel's page tables.
    let pfn = unsafe { hmkit_vmalloc_pfn(addr) };
    (pfn != usize::MAX).then_some(pfn)
}

/// Fills `buf` with the frames of every task's kernel stack and returns
/// how many; `ENOSPC` if they do not fit (try a larger `buf`).
pub(crate) fn task_stack_pfns(buf: &mut [usize]) -> Result<usize> {
    let max = c_uint::try_from(buf.len()).unwrap_or(c_uint::MAX);
    let mut n: c_uint = 0;
    // SAFETY: `buf` has room for `max` entries and the shim writes at most
    // that many; `n` is a valid local.
    let ret = unsafe { hmkit_task_stack_pfns(buf.as_mut_ptr(), max, &mut n) };
    if ret != 0 {
        return Err(Error::from_errno(ret));
    }
    Ok((n as usize).min(buf.len()))
}

/// The time since boot in ns (`ktime_get()`), for how long a walk took.
pub(crate) fn now_ns() -> i64 {
    kernel::time::Ktime::ktime_get().to_ns()
}

/// What the kernel's pkmap slot `idx` maps right now.
enum PkmapSlot {
    /// The PTE is clear.
    Clear,
    /// The PTE maps `pfn`.
    Mapped { vaddr: usize, pfn: usize },
}

/// One mapped slot of the kernel's pkmap.
#[derive(Clone, Copy)]
pub(crate) struct PkmapEntry {
    pub(crate) slot: u32,
    pub(crate) vaddr: usize,
    pub(crate) pfn: usize,
}

/// Every mapped slot of the kernel's pkmap, read in one walk, so that
/// whatever renders it (a count and a list) agrees with itself while other
/// CPUs kmap() and kunmap().
pub(crate) fn pkmap_snapshot() -> Result<KVec<PkmapEntry>> {
    let last = layout().last_pkmap as u32;
    let mut v = KVec::with_capacity(last as usize, GFP_KERNEL)?;
    for slot in 0..last {
        if let PkmapSlot::Mapped { vaddr, pfn } = pkmap_slot(slot)? {
            // Cannot fail: room for every slot was reserved above.
            v.push(PkmapEntry { slot, vaddr, pfn }, GFP_KERNEL)?;
        }
    }
    Ok(v)
}

/// Reads pkmap slot `idx`'s PTE; `ENOENT` past `LAST_PKMAP`.
fn pkmap_slot(idx: u32) -> Result<PkmapSlot> {
    let (mut vaddr, mut pfn) = (0usize, 0usize);
    // SAFETY: the out pointers are valid locals; the shim checks `idx`.
    let ret = unsafe { hmkit_pkmap_slot(idx, &mut vaddr, &mut pfn) };
    match ret {
        0 => Ok(PkmapSlot::Clear),
        1 => Ok(PkmapSlot::Mapped { vaddr, pfn }),
        e => Err(kernel::error::Error::from_errno(e)),
    }
}
