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

/// As [`run_pinned`] with every thread starting together, and `probe` run
/// on the calling thread twice: once every thread is pinned and waiting,
/// just before they start, and once every thread has finished its work,
/// before any of them exits. What `probe` measures in between is the work,
/// and nothing of the threads' creation, pinning or exit. Returns the
/// results and the two probes, or the first error (a thread's first).
pub fn run_pinned_probed<T: Send, P>(
    threads: usize,
    what: &str,
    mut probe: impl FnMut() -> Result<P, String>,
    work: impl Fn(usize) -> Result<T, String> + Sync,
) -> Result<(Vec<T>, P, P), String> {
    let cpus = cpus();
    let barrier = Barrier::new(threads + 1);
    let (results, before, after) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (barrier, work) = (&barrier, &work);
                s.spawn(move || {
                    pin_to_cpu(i % cpus);
                    barrier.wait(); // pinned
                    barrier.wait(); // probed: go
                    let r = work(i);
                    barrier.wait(); // done
                    barrier.wait(); // probed again: may exit
                    r
                })
            })
            .collect();
        barrier.wait();
        let before = probe();
        barrier.wait();
        barrier.wait();
        let after = probe();
        barrier.wait();
        let results: Vec<Result<T, String>> =
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(format!("{what} thread panicked")))).collect();
        (results, before, after)
    });
    let results = results.into_iter().collect::<Result<Vec<T>, String>>()?;
    Ok((results, before?, after?))
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
    fn probes_bracket_all_the_work_and_nothing_else() {
        let started = AtomicUsize::new(0);
        let finished = AtomicUsize::new(0);
        let (r, before, after) = run_pinned_probed(
            3,
            "test",
            || Ok((started.load(Ordering::SeqCst), finished.load(Ordering::SeqCst))),
            |i| {
                started.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(5));
                finished.fetch_add(1, Ordering::SeqCst);
                Ok(i)
            },
        )
        .unwrap();
        assert_eq!(r, vec![0, 1, 2]);
        assert_eq!(before, (0, 0), "no thread had started");
        assert_eq!(after, (3, 3), "every thread had finished");
        let e = run_pinned_probed(2, "test", || Ok(()), |i| if i == 1 { Err("no".to_string()) } else { Ok(()) });
        assert_eq!(e.unwrap_err(), "no");
        let e = run_pinned_probed(1, "test", || Err::<(), _>("probe".to_string()), |_| Ok(()));
        assert_eq!(e.unwrap_err(), "probe");
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
