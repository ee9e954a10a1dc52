// SPDX-License-Identifier: GPL-2.0
//! Worker threads pinned to CPUs, for `hmctl bench` and `hmctl stress`.

use std::sync::Barrier;

/// Runs `work(i)` on `threads` scoped threads, thread i pinned to CPU i
/// modulo the CPUs there are (best effort: without pinning the scheduler
/// still spreads them). With `together`, every thread waits at a barrier
/// after pinning, so that all start their work at once. Waits for all of
/// them, then returns their results in thread order, or the first error; a
/// thread that panicked gives `"{what} thread panicked"`.
pub fn run_pinned<T: Send>(
    threads: usize,
    together: bool,
    what: &str,
    work: impl Fn(usize) -> Result<T, String> + Sync,
) -> Result<Vec<T>, String> {
    let cpus = cpus();
    let barrier = together.then(|| Barrier::new(threads));
    let results: Vec<Result<T, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (barrier, work) = (&barrier, &work);
                s.spawn(move || {
                    pin_to_cpu(i % cpus);
                    if let Some(b) = barrier {
                        b.wait();
                    }
                    work(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(format!("{what} thread panicked")))).collect()
    });
    results.into_iter().collect()
}

/// The CPUs this process may run on (at least 1).
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Pins the calling thread to `cpu`, best effort.
fn pin_to_cpu(cpu: usize) {
    let mut set = nix::sched::CpuSet::new();
    if set.set(cpu).is_ok() {
        let _ = nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_every_thread_and_keeps_their_order() {
        for together in [false, true] {
            let ran = AtomicUsize::new(0);
            let r = run_pinned(4, together, "test", |i| {
                ran.fetch_add(1, Ordering::Relaxed);
                Ok(i * 10)
            });
            assert_eq!(r.unwrap(), vec![0, 10, 20, 30]);
            assert_eq!(ran.load(Ordering::Relaxed), 4);
        }
        assert_eq!(run_pinned(0, true, "test", Ok).unwrap(), Vec::<usize>::new());
    }

    #[test]
    fn a_panicking_thread_is_an_error() {
        let r: Result<Vec<()>, String> = run_pinned(2, true, "test", |i| if i == 1 { panic!("on purpose") } else { Ok(()) });
        assert_eq!(r.unwrap_err(), "test thread panicked");
    }

    #[test]
    fn reports_the_first_error_after_every_thread_ends() {
        let ran = AtomicUsize::new(0);
        let r: Result<Vec<()>, String> = run_pinned(3, false, "test", |i| {
            ran.fetch_add(1, Ordering::Relaxed);
            if i == 0 {
                Ok(())
            } else {
                Err(format!("thread {i} failed"))
            }
        });
        assert_eq!(r.unwrap_err(), "thread 1 failed");
        assert_eq!(ran.load(Ordering::Relaxed), 3);
    }
}
