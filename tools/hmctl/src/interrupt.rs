// SPDX-License-Identifier: GPL-2.0
//! Ctrl-C (SIGINT) and SIGTERM as a flag, for the commands that must undo
//! something before they end: take hmkit's probes out (`kmaps`, `watch
//! --kmaps`), stop a workload's tools and undo its mounts and swap. The
//! first signal sets the flag; a second one ends the process as usual.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: nix::libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// From now on, SIGINT and SIGTERM set the flag instead of ending the
/// process (once: `SA_RESETHAND`).
pub fn catch() -> Result<(), String> {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let sa = SigAction::new(SigHandler::Handler(on_signal), SaFlags::SA_RESETHAND, SigSet::empty());
    for sig in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe { sigaction(sig, &sa) }.map_err(|e| format!("sigaction: {e}"))?;
    }
    Ok(())
}

pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Sleeps for `d` in slices of at most 100 ms, so that an interrupt ends
/// it early (a sleep resumes after a signal); returns whether one came.
pub fn sleep(d: Duration) -> bool {
    let end = Instant::now() + d;
    loop {
        if interrupted() {
            return true;
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}
