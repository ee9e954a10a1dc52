// SPDX-License-Identifier: GPL-2.0
//! `hmctl watch` (a live view, refreshed every interval) and `hmctl
//! workload` (run a named workload built on Debian's fio and stress-ng,
//! sampling the census before, during and after, and report what it put
//! where).

use crate::census::{self, Census, CLASSES};
use crate::debugfs::Debugfs;
use crate::draw::{canvas, text};
use crate::{interrupt, kmaps, pkmap, pool};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use svg::node::element::Polyline;

/// One look at the machine: the census, and the mapping areas' use.
#[derive(Debug, Serialize, Clone)]
pub struct Sample {
    /// Seconds since the watch or workload started.
    pub t: f64,
    pub census: Census,
    pub pkmap_mapped: u64,
    pub pkmap_slots: u64,
    pub pool_in_use: u64,
    pub pool_slots: u64,
    /// While `kmaps` traces: calls so far per mechanism, all CPUs.
    pub kmap_calls: Option<BTreeMap<String, u64>>,
}

pub fn sample(fs: &Debugfs, start: Instant) -> Result<Sample, String> {
    let census = Census::parse(&fs.read("census")?)?;
    let k = pkmap::parse(&fs.read("pkmap")?)?;
    let p = pool::parse_pool(&fs.read("pool")?)?;
    let km = kmaps::Kmaps::parse(&fs.read("kmaps")?)?;
    Ok(Sample {
        t: start.elapsed().as_secs_f64(),
        census,
        pkmap_mapped: k.mapped,
        pkmap_slots: k.last_pkmap,
        pool_in_use: p.in_use,
        pool_slots: p.slots,
        kmap_calls: km.running.then(|| km.totals().into_iter().map(|(m, n)| (m.to_string(), n)).collect()),
    })
}

/// Calls per second of each mechanism between two samples, while tracing.
pub fn kmap_rates(prev: &Sample, now: &Sample) -> Option<BTreeMap<String, f64>> {
    let (a, b) = (prev.kmap_calls.as_ref()?, now.kmap_calls.as_ref()?);
    let dt = (now.t - prev.t).max(1e-9);
    Some(b.iter().map(|(m, n)| (m.clone(), n.saturating_sub(a.get(m).copied().unwrap_or(0)) as f64 / dt)).collect())
}

/// A line of one character per value, from ' ' (0) to '#' (`max`): ASCII,
/// for serial consoles.
pub fn sparkline(values: &[u64], max: u64) -> String {
    const LEVELS: &[u8] = b" .:-=+*%#";
    values
        .iter()
        .map(|&v| {
            let i = if max == 0 { 0 } else { ((v.min(max) * (LEVELS.len() as u64 - 1)).div_ceil(max)) as usize };
            LEVELS[i] as char
        })
        .collect()
}

/// The columns of the watch view: short names for the classes.
const SHORT: [(&str, &str); 14] = [
    ("free", "free"),
    ("pcp", "pcp"),
    ("anon", "anon"),
    ("file_clean", "file"),
    ("file_dirty", "dirty"),
    ("file_writeback", "wback"),
    ("shmem", "shmem"),
    ("pagetable", "ptab"),
    ("slab", "slab"),
    ("kstack", "kstk"),
    ("vmalloc", "vmal"),
    ("zsmalloc", "zsm"),
    ("reserved", "resv"),
    ("other", "other"),
];

/// What the watch view shows besides the sample itself: kmap rates since
/// the previous sample and the pkmap's use over the last samples.
#[derive(Default)]
pub struct History {
    pub rates: Option<BTreeMap<String, f64>>,
    /// Mapped pkmap slots, oldest first.
    pub pkmap: Vec<u64>,
}

/// The watch view of one sample: a row per zone in MiB, then the pkmap
/// and the pool. Plain text, for a serial console as for a terminal.
pub fn render_sample(s: &Sample, h: &History) -> String {
    let c = &s.census;
    let mut out = format!("hmkit watch  t={:.1}s  (MiB; census walk {:.1} ms)\n", s.t, c.walk_ns as f64 / 1e6);
    out += &format!("{:<8}", "zone");
    for (_, short) in SHORT {
        out += &format!(" {short:>7}");
    }
    out += "\n";
    for z in c.populated().chain([&c.total]) {
        out += &format!("{:<8}", z.zone);
        for (class, _) in SHORT {
            out += &format!(" {:>7.1}", c.mib(z.get(class)));
        }
        out += "\n";
    }
    out += &format!(
        "kernel pkmap: {} of {} slots mapped   hmkit pool: {} of {} slots in use\n",
        s.pkmap_mapped, s.pkmap_slots, s.pool_in_use, s.pool_slots
    );
    if h.pkmap.len() > 1 {
        out += &format!(
            "pkmap use, last {} samples (max {} slots): [{}]\n",
            h.pkmap.len(),
            s.pkmap_slots,
            sparkline(&h.pkmap, s.pkmap_slots)
        );
    }
    match (&s.kmap_calls, &h.rates) {
        (None, _) => out += "kmap calls: not traced (hmctl watch --kmaps, or hmctl kmaps)\n",
        (Some(_), None) => out += "kmap calls per second: from the next sample\n",
        (Some(_), Some(r)) => {
            out += "kmap calls per second:";
            for m in kmaps::MECHS {
                out += &format!(" {}={:.0}", m, r.get(m).copied().unwrap_or(0.0));
            }
            out += "\n";
        }
    }
    out
}

/// How many pkmap samples the watch view's history line keeps.
const HISTORY: usize = 60;

/// `hmctl watch`: a sample every `interval`, `count` times (0: until
/// interrupted); JSON lines with `json`; with `clear`, each view redraws
/// the terminal (ANSI), else views follow one another (serial consoles, logs).
pub fn watch(fs: &Debugfs, interval: f64, count: u64, json: bool, clear: bool, trace: bool) -> Result<(), String> {
    if trace {
        // A Ctrl-C ends the watch, which then takes the probes out.
        interrupt::catch()?;
        kmaps::start(fs)?;
    }
    let r = watch_loop(fs, interval, count, json, clear);
    if trace {
        kmaps::stop(fs)?;
    }
    r
}

/// One line of `hmctl watch --json`.
#[derive(Serialize)]
struct WatchLine<'a> {
    #[serde(flatten)]
    sample: &'a Sample,
    kmap_rates: &'a Option<BTreeMap<String, f64>>,
}

fn watch_loop(fs: &Debugfs, interval: f64, count: u64, json: bool, clear: bool) -> Result<(), String> {
    let start = Instant::now();
    let clear = clear && !json && std::io::stdout().is_terminal();
    let mut n = 0;
    let mut h = History::default();
    let mut prev: Option<Sample> = None;
    loop {
        let s = sample(fs, start)?;
        h.rates = prev.as_ref().and_then(|p| kmap_rates(p, &s));
        h.pkmap.push(s.pkmap_mapped);
        if h.pkmap.len() > HISTORY {
            h.pkmap.remove(0);
        }
        let text = if json {
            serde_json::to_string(&WatchLine { sample: &s, kmap_rates: &h.rates }).map_err(|e| e.to_string())? + "\n"
        } else {
            format!("{}{}\n", if clear { "\x1b[H\x1b[2J" } else { "" }, render_sample(&s, &h))
        };
        // A reader that goes away (`hmctl watch | head`) ends the watch.
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            r => r.map_err(|e| format!("standard output: {e}"))?,
        }
        n += 1;
        if count != 0 && n >= count {
            return Ok(());
        }
        prev = Some(s);
        if interrupt::sleep(Duration::from_secs_f64(interval)) {
            return Ok(());
        }
    }
}

/// The named workloads.
pub const NAMES: [&str; 6] = ["pagecache", "anon", "tmpfs", "metadata", "swap", "mix"];

/// What a workload's run recorded, and what it moved.
#[derive(Debug, Serialize)]
pub struct Run {
    pub workload: String,
    pub mib: u64,
    pub seconds: f64,
    pub commands: Vec<String>,
    pub before: Sample,
    /// While it ran, every interval.
    pub during: Vec<Sample>,
    pub after: Sample,
    /// Per class, MiB: the highest value during the run minus before.
    pub peak_delta_mib: BTreeMap<String, f64>,
    /// Per class, MiB: after minus before.
    pub after_delta_mib: BTreeMap<String, f64>,
    /// Per class, MiB in highmem at the peak of each class.
    pub peak_highmem_mib: BTreeMap<String, f64>,
    /// The what-if of the sample with the most memory in use.
    pub whatif: Option<census::WhatIf>,
    /// What the kernel kmapped while it ran, by call site (`None` if
    /// tracing was not possible: another trace was running).
    pub kmaps: Option<kmaps::Kmaps>,
    /// What the kernel counted while the workload ran, from /proc/vmstat
    /// (after minus before, system-wide; [`VMSTAT`]): whether the tools got
    /// as far as paging out or faulting in, whatever the wall time did.
    pub vmstat_delta: BTreeMap<String, i64>,
    /// The tools still running at the hang guard, which hmctl stopped.
    pub overran: Vec<String>,
    /// The swap workload's zram device: once it is swap, before the tools
    /// start (mkswap's header is stored), and after they ended, before its
    /// reset.
    pub zram_start: Option<Zram>,
    pub zram: Option<Zram>,
}

fn read_zram() -> Result<Zram, String> {
    std::fs::read_to_string("/sys/block/zram0/mm_stat").map_err(|e| format!("/sys/block/zram0/mm_stat: {e}")).and_then(|t| Zram::parse(&t))
}

/// What zram counted of its device (`/sys/block/zramN/mm_stat`;
/// Documentation/admin-guide/blockdev/zram.rst): its memory is zsmalloc's
/// pool (`zs_get_total_pages`), the only one here (no zswap), so the
/// census's zsmalloc pages follow it; not to the page at every instant: a
/// zspage page being migrated is counted twice for a moment, and
/// `mem_used_max` is updated after an allocation, not at it.
#[derive(Debug, Serialize, PartialEq)]
pub struct Zram {
    /// Bytes stored, uncompressed.
    pub orig_data_size: u64,
    /// Bytes stored, compressed.
    pub compr_data_size: u64,
    /// Bytes of memory its pool holds now, and held at most.
    pub mem_used_total: u64,
    pub mem_used_max: u64,
    /// Pages stored as one repeated word, without pool memory.
    pub same_pages: u64,
    /// Pages stored uncompressed (they did not compress).
    pub huge_pages: u64,
}

impl Zram {
    /// The first line of mm_stat: orig_data_size compr_data_size
    /// mem_used_total mem_limit mem_used_max same_pages pages_compacted
    /// huge_pages (and, on newer kernels, huge_pages_since).
    pub fn parse(text: &str) -> Result<Self, String> {
        let f: Vec<u64> = text
            .split_whitespace()
            .map(|w| w.parse::<u64>().map_err(|e| format!("zram mm_stat: '{w}': {e}")))
            .collect::<Result<_, _>>()?;
        if f.len() < 8 {
            return Err(format!("zram mm_stat: {} fields, want at least 8: {text:?}", f.len()));
        }
        Ok(Zram { orig_data_size: f[0], compr_data_size: f[1], mem_used_total: f[2], mem_used_max: f[4], same_pages: f[5], huge_pages: f[7] })
    }
}

/// The /proc/vmstat counters a run records the change of (events and
/// pages, except pgpgout: KiB written out to block devices).
pub const VMSTAT: [&str; 5] = ["pgfault", "pgmajfault", "pswpin", "pswpout", "pgpgout"];

fn read_vmstat() -> Result<[Option<u64>; VMSTAT.len()], String> {
    std::fs::read_to_string("/proc/vmstat")
        .map(|t| crate::events::vmstat_counters(&t, &VMSTAT))
        .map_err(|e| format!("/proc/vmstat: {e}"))
}

/// After minus before, per [`VMSTAT`] counter both readings have.
fn vmstat_delta(before: &[Option<u64>], after: &[Option<u64>]) -> BTreeMap<String, i64> {
    VMSTAT
        .iter()
        .zip(before.iter().zip(after))
        .filter_map(|(k, (b, a))| Some((k.to_string(), (*a)? as i64 - (*b)? as i64)))
        .collect()
}

/// A workload's processes and the state they need (mounts, swap) to undo.
struct Running {
    children: Vec<(String, Child)>,
    undo: Vec<Vec<String>>,
    /// zram0's counts once it is swap, before the tools start.
    zram_start: Option<Zram>,
}

fn sh(cmd: &[&str]) -> Result<(), String> {
    let st = Command::new(cmd[0]).args(&cmd[1..]).status().map_err(|e| format!("{}: {e} (is it installed? workloads run on the Debian guest: qemu/run.sh --rootfs debian)", cmd[0]))?;
    if !st.success() {
        return Err(format!("`{}` failed: {st}", cmd.join(" ")));
    }
    Ok(())
}

fn spawn(cmd: Vec<String>) -> Result<(String, Child), String> {
    let line = cmd.join(" ");
    // stress-ng wants a writable working directory; /hmkit is read-only.
    // Each tool leads its own process group, so that its workers (fio's
    // jobs, stress-ng's stressors) end with it.
    use std::os::unix::process::CommandExt;
    let child = Command::new(&cmd[0])
        .args(&cmd[1..])
        .process_group(0)
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{}: {e} (is it installed? workloads run on the Debian guest: qemu/run.sh --rootfs debian)", cmd[0]))?;
    Ok((line, child))
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// fio writing `mib` MiB into `dir` through the page cache, then reading
/// and writing it for `seconds`; the page cache is kept (fio would drop it
/// before each pass by default).
fn fio_file(name: &str, dir: &Path, mib: u64, seconds: f64) -> Vec<String> {
    words(&format!(
        "fio --name={name} --directory={} --rw=readwrite --rwmixread=50 --bs=64k --size={mib}M \
         --ioengine=psync --invalidate=0 --time_based --runtime={}s --end_fsync=1 --output-format=terse",
        dir.display(),
        seconds.ceil() as u64
    ))
}

fn start(name: &str, mib: u64, seconds: f64, dir: &Path) -> Result<Running, String> {
    let mut r = Running { children: Vec::new(), undo: Vec::new(), zram_start: None };
    let secs = seconds.ceil() as u64;
    let add = |r: &mut Running, which: &str| -> Result<(), String> {
        match which {
            "pagecache" => {
                let d = dir.join("hmkit-pagecache");
                std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
                r.undo.push(vec!["rm".into(), "-rf".into(), d.display().to_string()]);
                r.children.push(spawn(fio_file("pagecache", &d, mib, seconds))?);
            }
            "anon" => {
                r.children.push(spawn(words(&format!("stress-ng --vm 1 --vm-bytes {mib}M --vm-keep --vm-populate --timeout {secs}s --quiet")))?);
            }
            "tmpfs" => {
                let d = std::env::temp_dir().join(format!("hmkit-tmpfs-{}", std::process::id()));
                std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
                r.undo.push(vec!["rmdir".into(), d.display().to_string()]);
                sh(&["mount", "-t", "tmpfs", "-o", &format!("size={}M", mib * 2), "hmkit-tmpfs", &d.display().to_string()])?;
                r.undo.push(vec!["umount".into(), d.display().to_string()]);
                r.children.push(spawn(fio_file("tmpfs", &d, mib, seconds))?);
            }
            "metadata" => {
                let d = dir.join("hmkit-metadata");
                std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
                r.undo.push(vec!["rm".into(), "-rf".into(), d.display().to_string()]);
                // Many small files (about 4 per MiB asked, 1 KiB each), and directory churn.
                let files = (mib * 64).max(256);
                r.children.push(spawn(words(&format!(
                    "fio --name=metadata --directory={} --nrfiles={files} --filesize=1k --rw=write --bs=1k \
                     --ioengine=psync --openfiles=64 --create_on_open=1 --output-format=terse",
                    d.display()
                )))?);
                r.children.push(spawn(words(&format!("stress-ng --dir 1 --dir-dirs 4096 --temp-path {} --timeout {secs}s --quiet", d.display())))?);
            }
            "swap" => {
                let z = Path::new("/sys/block/zram0");
                if !z.exists() {
                    return Err("/sys/block/zram0 is missing: the kernel needs CONFIG_ZRAM".into());
                }
                std::fs::write(z.join("disksize"), format!("{}M", mib * 2)).map_err(|e| {
                    format!("zram0 disksize: {e} (in use from an earlier run? swapoff /dev/zram0; echo 1 > /sys/block/zram0/reset)")
                })?;
                // Undone newest first: swapoff, then the device's reset.
                r.undo.push(vec!["sh".into(), "-c".into(), "echo 1 > /sys/block/zram0/reset".into()]);
                sh(&["mkswap", "-q", "/dev/zram0"])?;
                sh(&["swapon", "/dev/zram0"])?;
                r.undo.push(words("swapoff /dev/zram0"));
                // mkswap's header page is stored already (not one repeated
                // word: it has a signature and a UUID), in zsmalloc.
                r.zram_start = Some(read_zram()?);
                // Anonymous pages pushed out to zram (MADV_PAGEOUT) and back in,
                // beside anonymous memory that stays.
                r.children.push(spawn(words(&format!("stress-ng --pageswap 2 --timeout {secs}s --quiet")))?);
                r.children.push(spawn(words(&format!("stress-ng --vm 1 --vm-bytes {mib}M --vm-keep --vm-populate --timeout {secs}s --quiet")))?);
            }
            other => return Err(format!("unknown workload '{other}'")),
        }
        Ok(())
    };
    let parts: &[&str] = if name == "mix" { &["pagecache", "anon", "tmpfs", "metadata"] } else { &[name] };
    for p in parts {
        if let Err(e) = add(&mut r, p) {
            stop(&mut r);
            return Err(e);
        }
    }
    Ok(r)
}

/// Ends each tool's whole process group: SIGTERM (fio and stress-ng stop
/// their workers and clean up), SIGKILL after 10 s, then waits up to 5 s for
/// the group to be gone, so that no worker still holds a file or mount.
fn end_all(children: &mut [(String, Child)]) {
    use nix::sys::signal::{killpg, Signal};
    use nix::unistd::Pid;
    let group = |c: &Child| Pid::from_raw(c.id() as i32);
    let running = |c: &mut Child| matches!(c.try_wait(), Ok(None));
    for (_, c) in children.iter_mut() {
        if running(c) {
            let _ = killpg(group(c), Signal::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while children.iter_mut().any(|(_, c)| running(c)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for (_, c) in children.iter_mut() {
        let _ = killpg(group(c), Signal::SIGKILL);
        let _ = c.wait();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while children.iter().any(|(_, c)| killpg(group(c), None).is_ok()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ends what is still running and undoes mounts and swap, newest first.
fn stop(r: &mut Running) {
    end_all(&mut r.children);
    while let Some(u) = r.undo.pop() {
        let refs: Vec<&str> = u.iter().map(String::as_str).collect();
        if let Err(e) = sh(&refs) {
            eprintln!("hmctl: cleaning up: {e}");
        }
    }
}

/// Runs workload `name`: a census before, one every `interval` while it
/// runs (for `seconds`, or until its tools end), and one after its tools
/// ended but before its files, mounts and swap are undone.
pub fn run(fs: &Debugfs, name: &str, mib: u64, seconds: f64, interval: f64, dir: &Path) -> Result<Run, String> {
    if !NAMES.contains(&name) {
        return Err(format!("unknown workload '{name}': one of {}", NAMES.join(", ")));
    }
    let layout = crate::layout::Layout::parse(&fs.read("layout")?)?;
    let zones = crate::zones::parse(&fs.read("zones")?)?;
    let t0 = Instant::now();
    // A Ctrl-C stops the tools and undoes the run's mounts and swap.
    interrupt::catch()?;
    let before = sample(fs, t0)?;
    let vmstat_before = read_vmstat()?;
    let traced = match kmaps::start(fs) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("hmctl: not tracing kmap calls: {e}");
            false
        }
    };
    let started = start(name, mib, seconds, dir);
    let mut r = match started {
        Ok(r) => r,
        Err(e) => {
            if traced {
                kmaps::stop(fs)?;
            }
            return Err(e);
        }
    };
    let commands = r.children.iter().map(|(l, _)| l.clone()).collect();
    let mut during = Vec::new();
    let mut overran = Vec::new();
    let result = (|| -> Result<(), String> {
        // The tools stop themselves after `seconds` (their own timeouts start
        // a little later than t0, and fio lays its files out first); a
        // signal is only for tools that hang: in a mix run stopped early,
        // the after-census found the tmpfs and page-cache files of the fio
        // jobs it had stopped gone. A slow guest (TCG on a busy host) takes
        // several times `seconds`, so the guard is generous.
        let deadline = t0 + Duration::from_secs_f64(seconds * 4.0 + 120.0);
        loop {
            if interrupt::sleep(Duration::from_secs_f64(interval)) {
                return Err("interrupted".into());
            }
            during.push(sample(fs, t0)?);
            let mut all_done = true;
            for (line, c) in &mut r.children {
                match c.try_wait().map_err(|e| e.to_string())? {
                    Some(st) if !st.success() => return Err(format!("`{line}` failed: {st}")),
                    Some(_) => {}
                    None => all_done = false,
                }
            }
            if all_done {
                return Ok(());
            }
            if Instant::now() >= deadline {
                for (line, c) in &mut r.children {
                    if matches!(c.try_wait(), Ok(None)) {
                        eprintln!("hmctl: `{line}` still runs {:.0} s after the start: stopping it", t0.elapsed().as_secs_f64());
                        overran.push(line.clone());
                    }
                }
                return Ok(());
            }
        }
    })();
    // Tools that overran are stopped; what they made stays until after the last sample.
    end_all(&mut r.children);
    let after = result.and_then(|()| sample(fs, t0));
    let vmstat_after = read_vmstat();
    let kmap_result = if traced { kmaps::stop(fs).and_then(|()| kmaps::Kmaps::parse(&fs.read("kmaps")?).map(Some)) } else { Ok(None) };
    // zram counts until its reset, which stop() does.
    let zram = if name == "swap" { read_zram().map(Some) } else { Ok(None) };
    let zram_start = r.zram_start.take();
    stop(&mut r);
    let after = after?;
    let kmaps = kmap_result?;
    let vmstat_after = vmstat_after?;
    let zram = zram?;
    let vmstat_delta = vmstat_delta(&vmstat_before, &vmstat_after);
    let mut peak_delta_mib = BTreeMap::new();
    let mut after_delta_mib = BTreeMap::new();
    let mut peak_highmem_mib = BTreeMap::new();
    let high = |s: &Sample, class: &str| s.census.low_high().1.get(class);
    for class in CLASSES {
        let b = before.census.total.get(class) as i64;
        let peak = during.iter().chain([&after]).max_by_key(|s| s.census.total.get(class)).unwrap_or(&after);
        peak_delta_mib.insert(class.to_string(), mib_of(&before.census, peak.census.total.get(class) as i64 - b));
        after_delta_mib.insert(class.to_string(), mib_of(&before.census, after.census.total.get(class) as i64 - b));
        peak_highmem_mib.insert(class.to_string(), mib_of(&before.census, high(peak, class) as i64));
    }
    let busiest = during.iter().chain([&after]).max_by_key(|s| s.census.total.used()).unwrap_or(&after);
    let whatif = census::what_if(&busiest.census, &layout, &zones).ok();
    Ok(Run {
        kmaps,
        whatif,
        workload: name.into(),
        mib,
        seconds: t0.elapsed().as_secs_f64(),
        commands,
        before,
        during,
        after,
        peak_delta_mib,
        after_delta_mib,
        peak_highmem_mib,
        vmstat_delta,
        overran,
        zram_start,
        zram,
    })
}

fn mib_of(c: &Census, pages: i64) -> f64 {
    (pages * c.page_size as i64) as f64 / (1 << 20) as f64
}

pub fn render_run(r: &Run) -> String {
    let mut s = format!("workload {} ({} MiB, {:.1} s, {} samples)\n", r.workload, r.mib, r.seconds, r.during.len() + 2);
    for c in &r.commands {
        s += &format!("  $ {c}\n");
    }
    s += &format!("\n{:<15} {:>10} {:>10} {:>12} {:>10}\n", "class (MiB)", "before", "peak +", "in highmem", "after +");
    for class in CLASSES {
        let b = r.before.census.mib(r.before.census.total.get(class));
        let (p, h, a) = (r.peak_delta_mib[class], r.peak_highmem_mib[class], r.after_delta_mib[class]);
        if b == 0.0 && p.abs() < 0.05 && a.abs() < 0.05 {
            continue;
        }
        s += &format!("{class:<15} {b:>10.1} {p:>+10.1} {h:>12.1} {a:>+10.1}\n");
    }
    s += "\n\"peak +\": the most during the run minus before; \"in highmem\": that class's highmem part at its peak.\n";
    if !r.vmstat_delta.is_empty() {
        let v: Vec<String> = VMSTAT.iter().filter_map(|k| Some(format!("{k} {:+}", r.vmstat_delta.get(*k)?))).collect();
        s += &format!("The kernel counted (/proc/vmstat, during the run, system-wide; pgpgout in KiB): {}\n", v.join(", "));
    }
    for c in &r.overran {
        s += &format!("Stopped by hmctl, still running at the hang guard: {c}\n");
    }
    if let Some(z) = &r.zram {
        let ps = r.before.census.page_size.max(1);
        let peak_pages = (r.peak_delta_mib.get("zsmalloc").copied().unwrap_or(0.0) * (1u64 << 20) as f64 / ps as f64).round() as i64;
        s += &format!(
            "zram0 (mm_stat): {} pages used once it was swap, before the tools; most memory used {} pages ({} KiB), \
the census's zsmalloc peak {:+} pages; at the end {} KiB stored in {} KiB, {} same-filled pages, {} huge pages\n",
            r.zram_start.as_ref().map_or(0, |z| z.mem_used_max / ps),
            z.mem_used_max / ps,
            z.mem_used_max >> 10,
            peak_pages,
            z.orig_data_size >> 10,
            z.compr_data_size >> 10,
            z.same_pages,
            z.huge_pages
        );
    }
    if let Some(w) = &r.whatif {
        s += "\nWhat-if, at the sample with the most memory in use:\n";
        s += &census::render_what_if(w);
    }
    if let Some(k) = &r.kmaps {
        s += "\nWhat this workload kmaps (the kernel's kmap calls by call site, traced while it ran):\n";
        s += &kmaps::render(k, 15);
    }
    s
}

/// The classes over time: one line per class that moved, lowmem and highmem apart.
pub fn svg(r: &Run, title: &str) -> String {
    let samples: Vec<&Sample> = [&r.before].into_iter().chain(r.during.iter()).chain([&r.after]).collect();
    let (w, panel_h, left) = (1000.0, 260.0, 70.0);
    let plot_w = w - left - 200.0;
    let tmax = samples.last().map_or(1.0, |s| s.t).max(0.001);
    let moved: Vec<&str> = CLASSES.iter().copied().filter(|c| *c != "free" && (r.peak_delta_mib[*c].abs() >= 1.0 || r.after_delta_mib[*c].abs() >= 1.0)).collect();
    let mut doc = canvas(w, 80.0 + 2.0 * (panel_h + 50.0), title);
    for (i, (part, label)) in [(0usize, "lowmem (DMA + Normal)"), (1, "highmem")].into_iter().enumerate() {
        let top = 60.0 + i as f64 * (panel_h + 50.0);
        let series: Vec<(&str, Vec<f64>)> = moved
            .iter()
            .map(|c| {
                let v = samples
                    .iter()
                    .map(|s| {
                        let (lo, hi) = s.census.low_high();
                        s.census.mib(if part == 0 { lo.get(c) } else { hi.get(c) })
                    })
                    .collect();
                (*c, v)
            })
            .collect();
        let vmax = series.iter().flat_map(|(_, v)| v.iter().copied()).fold(1.0f64, f64::max);
        doc = doc.add(text(format!("{label}: MiB per class (max {vmax:.0})"), left, top - 8.0));
        doc = doc.add(
            svg::node::element::Rectangle::new()
                .set("x", left)
                .set("y", top)
                .set("width", plot_w)
                .set("height", panel_h)
                .set("fill", "none")
                .set("stroke", "#999"),
        );
        for (k, (c, v)) in series.iter().enumerate() {
            let pts: Vec<String> = samples
                .iter()
                .zip(v)
                .map(|(s, y)| format!("{:.1},{:.1}", left + plot_w * s.t / tmax, top + panel_h - panel_h * y / vmax))
                .collect();
            doc = doc.add(Polyline::new().set("points", pts.join(" ")).set("fill", "none").set("stroke", census::colour(c)).set("stroke-width", 2));
            doc = doc.add(text(format!("{c} {:.0}", v.last().copied().unwrap_or(0.0)), left + plot_w + 10.0, top + 16.0 + 16.0 * k as f64).set("fill", census::colour(c)));
        }
        doc = doc.add(text(format!("{tmax:.0} s"), left + plot_w - 20.0, top + panel_h + 16.0));
    }
    doc.to_string()
}

/// Writes the run's report as OUT/workload-NAME.{txt,json,svg}.
pub fn write_reports(r: &Run, out: &Path, title: &str) -> Result<Vec<PathBuf>, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let base = out.join(format!("workload-{}", r.workload));
    let mut files = vec![
        (base.with_extension("txt"), render_run(r)),
        (base.with_extension("json"), serde_json::to_string_pretty(r).map_err(|e| e.to_string())?),
        (base.with_extension("svg"), svg(r, title)),
    ];
    if let Some(k) = &r.kmaps {
        let t = format!("what workload {} kmaps: kernel call sites, most calls first", r.workload);
        files.push((out.join(format!("workload-{}-kmaps.svg", r.workload)), kmaps::svg(k, 20, &t)));
    }
    for (p, content) in &files {
        std::fs::write(p, content).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_at(t: f64, anon_high: u64) -> Sample {
        let mut census = Census::parse(crate::census::tests::SAMPLE).unwrap();
        let shift = |z: &mut census::ZoneCensus| {
            *z.classes.get_mut("anon").unwrap() += anon_high;
            *z.classes.get_mut("free").unwrap() -= anon_high;
        };
        shift(&mut census.zones[2]);
        shift(&mut census.total);
        Sample { t, census, pkmap_mapped: 1, pkmap_slots: 1024, pool_in_use: 0, pool_slots: 1024, kmap_calls: None }
    }

    #[test]
    fn watch_view_has_every_zone_and_class() {
        let v = render_sample(&sample_at(1.0, 0), &History::default());
        for w in ["DMA", "Normal", "HighMem", "total", "anon", "ptab", "kernel pkmap: 1 of 1024", "kmap calls: not traced"] {
            assert!(v.contains(w), "{w}: {v}");
        }
        assert!(!v.contains("Movable"), "empty zones are left out: {v}");
    }

    #[test]
    fn watch_view_shows_kmap_rates_and_pkmap_history() {
        let calls = |n: u64| Some([("kmap".to_string(), n), ("kmap_local".to_string(), 10 * n)].into_iter().collect());
        let (mut a, mut b) = (sample_at(1.0, 0), sample_at(3.0, 0));
        a.kmap_calls = calls(100);
        b.kmap_calls = calls(300);
        let rates = kmap_rates(&a, &b).unwrap();
        assert_eq!((rates["kmap"], rates["kmap_local"]), (100.0, 1000.0));
        assert!(kmap_rates(&sample_at(0.0, 0), &b).is_none());
        let h = History { rates: Some(rates), pkmap: vec![0, 512, 1024] };
        let v = render_sample(&b, &h);
        assert!(v.contains("kmap=100 kunmap=0 kmap_atomic=0 kmap_local=1000"), "{v}");
        assert!(v.contains("last 3 samples (max 1024 slots): [ =#]"), "{v}");
        assert_eq!(sparkline(&[0, 1, 1024, 2000], 1024), " .##");
    }

    #[test]
    fn report_and_chart_of_a_run() {
        let r = Run {
            workload: "anon".into(),
            mib: 64,
            seconds: 3.0,
            commands: vec!["stress-ng --vm 1".into()],
            before: sample_at(0.0, 0),
            during: vec![sample_at(1.0, 8192), sample_at(2.0, 16384)],
            after: sample_at(3.0, 0),
            peak_delta_mib: CLASSES.iter().map(|c| (c.to_string(), if *c == "anon" { 64.0 } else { 0.0 })).collect(),
            after_delta_mib: CLASSES.iter().map(|c| (c.to_string(), 0.0)).collect(),
            peak_highmem_mib: CLASSES.iter().map(|c| (c.to_string(), 0.0)).collect(),
            whatif: None,
            kmaps: Some(crate::kmaps::tests::kmaps()),
            vmstat_delta: vmstat_delta(
                &crate::events::vmstat_counters("pgfault 100\npswpin 3\npswpout 0\n", &VMSTAT),
                &crate::events::vmstat_counters("nr_free_pages 1\npgfault 16600\npswpin 3\npswpout 7\npswpout_bogus x\n", &VMSTAT),
            ),
            overran: vec!["fio --name=x".into()],
            zram_start: Some(Zram::parse("4096 60 4096 0 4096 0 0 0 0\n").unwrap()),
            zram: Some(Zram::parse("118784 3072 28672 0 32768 5 0 1 0\n").unwrap()),
        };
        let t = render_run(&r);
        assert!(t.contains("anon") && t.contains("+64.0"), "{t}");
        assert!(t.contains("system-wide; pgpgout in KiB): pgfault +16500, pswpin +0, pswpout +7\n"), "{t}");
        assert!(t.contains("Stopped by hmctl, still running at the hang guard: fio --name=x\n"), "{t}");
        assert!(t.contains("zram0 (mm_stat): 1 pages used once it was swap, before the tools; most memory used 8 pages (32 KiB), the census's zsmalloc peak +0 pages; at the end 116 KiB stored in 3 KiB, 5 same-filled pages, 1 huge pages\n"), "{t}");
        assert!(Zram::parse("1 2 3").unwrap_err().contains("3 fields"));
        assert!(Zram::parse("1 2 3 4 x 6 7 8").unwrap_err().contains("'x'"));
        assert!(t.contains("What this workload kmaps") && t.contains("hmkit_kmap+0x9/0x10"), "{t}");
        let s = svg(&r, "anon");
        let texts = crate::draw::check(&s).unwrap().join("\n");
        assert!(texts.contains("highmem") && texts.contains("anon"), "{texts}");
    }

    #[test]
    fn unknown_workloads_are_refused_before_anything_runs() {
        let fs = Debugfs::new("/nonexistent".into());
        let e = run(&fs, "nope", 1, 1.0, 1.0, Path::new("/tmp")).unwrap_err();
        assert!(e.contains("unknown workload") && e.contains("pagecache"), "{e}");
    }
}
