// SPDX-License-Identifier: GPL-2.0

//! The probes on the kernel's highmem mapping calls (`kmaps.c`), as an
//! owned registration: while a [`KmapProbes`] lives, every probed call is
//! handed to its sink; dropping it removes every probe and waits until no
//! handler runs any more.

use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Mirrors `struct hmkit_kmap_event` in `shim.h`.
#[repr(C)]
pub(crate) struct RawKmapEvent {
    pub(crate) now_ns: u64,
    pub(crate) start_ns: u64,
    pub(crate) site: usize,
    pub(crate) key: usize,
    pub(crate) kind: c_uint,
    pub(crate) highmem: c_uint,
    pub(crate) depth: c_uint,
    pub(crate) pagefault_disabled: c_uint,
    pub(crate) cpu: c_uint,
    pub(crate) waited: c_uint,
}

// The C side asserts the same (kmaps.c).
const _: () = {
    assert!(core::mem::size_of::<RawKmapEvent>() == 48);
    assert!(core::mem::offset_of!(RawKmapEvent, site) == 16);
    assert!(core::mem::offset_of!(RawKmapEvent, kind) == 24);
    assert!(core::mem::offset_of!(RawKmapEvent, cpu) == 40);
};

/// The buffer `hmkit_symbol` fills (`HMKIT_KSYM_LEN`).
const KSYM_LEN: usize = 1024;

extern "C" {
    fn hmkit_kmaps_register(
        sink: unsafe extern "C" fn(ctx: *mut c_void, ev: *const RawKmapEvent),
        ctx: *mut c_void,
        generation: *mut c_uint,
    ) -> c_int;
    fn hmkit_kmaps_unregister(generation: c_uint);
    fn hmkit_kmaps_missed() -> usize;
    fn hmkit_symbol(addr: usize, buf: *mut c_char);
}

/// Receives the probes' events.
///
/// `record` runs in kprobe context, with interrupts or preemption off, on
/// any CPU, possibly on several at once: it must not sleep, allocate or
/// take a lock that is ever held elsewhere (atomics are what it is for).
/// Breaking that is a kernel bug the debug checks report, not undefined
/// behaviour.
pub(crate) trait KmapSink: Send + Sync + 'static {
    fn record(&self, ev: &RawKmapEvent);
}

/// The registered probes; at most one registration exists at a time.
pub(crate) struct KmapProbes<S: KmapSink> {
    /// Kept alive for the handlers, which reach it by pointer.
    _sink: Arc<S>,
    /// The C side's name for this registration (never 0).
    generation: c_uint,
}

unsafe extern "C" fn trampoline<S: KmapSink>(ctx: *mut c_void, ev: *const RawKmapEvent) {
    // SAFETY: `ctx` is the `Arc<S>` data pointer `register` passed; the
    // `KmapProbes` holding that `Arc` unregisters (and waits for every
    // handler) before it lets go of it. `ev` points to the handler's local
    // event, valid for this call.
    let (sink, ev) = unsafe { (&*ctx.cast::<S>().cast_const(), &*ev) };
    sink.record(ev);
}

impl<S: KmapSink> KmapProbes<S> {
    /// Puts the probes in, all or none. `EBUSY` while another registration
    /// lives; `ENOENT` (or what `register_kprobe()` says) when the kernel
    /// lacks a probed function.
    pub(crate) fn register(sink: Arc<S>) -> Result<Self> {
        let ctx = (&*sink as *const S).cast_mut().cast::<c_void>();
        let mut generation: c_uint = 0;
        // SAFETY: `trampoline::<S>` reads `ctx` as an `S`, which it is; the
        // returned value keeps `sink` alive until its drop has removed the
        // probes (see `trampoline`). On failure nothing stays registered.
        // `generation` is a valid local the C side writes on success.
        let ret = unsafe { hmkit_kmaps_register(trampoline::<S>, ctx, &mut generation) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(KmapProbes { _sink: sink, generation })
    }

    /// Probe hits the kprobe core did not hand over: one probe hit inside
    /// another's handler, or more tasks inside kmap_high() at once than the
    /// kretprobe has room for (512).
    pub(crate) fn missed(&self) -> usize {
        // SAFETY: reads the probes' counters under the registration lock.
        unsafe { hmkit_kmaps_missed() }
    }
}

impl<S: KmapSink> Drop for KmapProbes<S> {
    fn drop(&mut self) {
        // SAFETY: takes out this registration if it is still in (not if
        // `unregister_all` took it out and another came since); on return
        // no handler of it runs and none will, so the sink may go.
        unsafe { hmkit_kmaps_unregister(self.generation) };
    }
}

/// Takes out whatever probes are in, for the module's exit: a
/// [`KmapProbes`] that was leaked (never dropped) must not leave probes
/// whose handlers are in the module's text. A [`KmapProbes`] still alive
/// just stops receiving events; its own drop then takes out nothing (its
/// registration is gone, and a later one has another name).
pub(crate) fn unregister_all() {
    // SAFETY: unregistering waits until no handler runs; every sink that a
    // live `KmapProbes` points to stays alive (it owns it), so nothing is
    // freed under a handler.
    unsafe { hmkit_kmaps_unregister(0) };
}

/// Writes the kernel's name for a code address, as `%pS` prints it
/// (`name+0x1c/0x80 [module]`, or the bare address if kallsyms has no name).
pub(crate) fn write_symbol(out: &mut dyn core::fmt::Write, addr: usize, buf: &mut [u8; KSYM_LEN]) -> core::fmt::Result {
    buf[0] = 0;
    // SAFETY: `buf` has the room `hmkit_symbol` may fill (HMKIT_KSYM_LEN,
    // asserted at least KSYM_SYMBOL_LEN in kmaps.c); it NUL-terminates it.
    unsafe { hmkit_symbol(addr, buf.as_mut_ptr().cast::<c_char>()) };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(KSYM_LEN);
    match core::str::from_utf8(&buf[..len]) {
        Ok(s) => out.write_str(s),
        Err(_) => write!(out, "{:#x}", addr),
    }
}

/// A buffer for [`write_symbol`] (1 KiB: keep it off the stack).
pub(crate) fn symbol_buffer() -> Result<KBox<[u8; KSYM_LEN]>> {
    Ok(KBox::new([0u8; KSYM_LEN], GFP_KERNEL)?)
}
