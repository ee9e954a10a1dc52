// SPDX-License-Identifier: GPL-2.0
//! `hmctl matrix`: kernels of several VMSPLIT choices side by side, and
//! the what-if made on the 3G/1G kernel checked against the real boot of
//! each split. The input is one directory per kernel flavour, as `make
//! matrix` fills them in the guest: layout.json, zones.json, whatif.json,
//! and where they were made census.json, explain.json, a workload's
//! workload-NAME.json and the suite's suite.txt.

use crate::census::{self, Census, WhatIf, CLASSES, LOWMEM_ONLY};
use crate::draw::{canvas, text};
use crate::explain::Verdict;
use crate::layout::{human, Layout};
use crate::zones::Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use svg::node::element::{Line, Rectangle};

const MIB: u64 = 1 << 20;

/// How close a prediction must come to count as right.
#[derive(Debug, Serialize, Clone, Copy)]
pub struct Tolerance {
    /// Lowmem and highmem sizes of a boot.
    pub zone_bytes: u64,
    /// A class's lowmem use under a workload: this much, or `class_share`
    /// of the prediction if that is more (the workload's run-to-run noise).
    pub class_bytes: u64,
    pub class_share: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance { zone_bytes: MIB, class_bytes: 8 * MIB, class_share: 0.25 }
    }
}

/// What one flavour's directory holds.
pub struct Loaded {
    pub flavour: String,
    pub layout: Layout,
    pub zones: Vec<Zone>,
    pub whatif: Option<WhatIf>,
    pub explain: Option<Vec<Verdict>>,
    pub suite: Option<String>,
    /// The workload's name and size, and each class at its peak over the
    /// run (`Census::peak`).
    pub workload: Option<(String, u64, Census)>,
}

#[derive(Deserialize)]
struct RunFile {
    workload: String,
    mib: u64,
    during: Vec<SampleFile>,
    after: SampleFile,
}

#[derive(Deserialize)]
struct SampleFile {
    census: Census,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_optional<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, String> {
    if path.exists() {
        read_json(path).map(Some)
    } else {
        Ok(None)
    }
}

pub fn load(dir: &Path) -> Result<Loaded, String> {
    let flavour = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{}: name the directory after its kernel flavour", dir.display()))?
        .to_string();
    let mut workloads: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("workload-") && n.ends_with(".json")))
        .collect();
    workloads.sort();
    let workload = match workloads.first() {
        Some(p) => {
            let r: RunFile = read_json(p)?;
            let peak = Census::peak(r.during.iter().chain([&r.after]).map(|s| &s.census)).map_err(|e| format!("{}: {e}", p.display()))?;
            peak.map(|c| (r.workload, r.mib, c))
        }
        None => None,
    };
    let suite = std::fs::read_to_string(dir.join("suite.txt")).ok().map(|s| s.trim().to_string());
    Ok(Loaded {
        layout: read_json(&dir.join("layout.json"))?,
        zones: read_json(&dir.join("zones.json"))?,
        whatif: read_optional(&dir.join("whatif.json"))?,
        explain: read_optional(&dir.join("explain.json"))?,
        suite,
        workload,
        flavour,
    })
}

/// The VMSPLIT option of a PAGE_OFFSET.
pub fn split_name(page_offset: u64) -> String {
    census::SPLITS.iter().find(|(_, po)| *po == page_offset).map_or_else(|| format!("PAGE_OFFSET {page_offset:#x}"), |(n, _)| n.to_string())
}

/// Lowmem and highmem of a boot, as its zones span them: lowmem runs from
/// the start of RAM to max_low_pfn (the end of the last lowmem zone),
/// highmem is the rest of the span of RAM. RAM starts at the first zone's
/// first frame rounded down to a MiB: x86's DMA zone starts at frame 1
/// (firmware keeps frame 0), ARM's RAM at PHYS_OFFSET (1 GiB on `virt`).
pub fn measured(zones: &[Zone], page_size: u64) -> (u64, u64) {
    let populated = || zones.iter().filter(|z| z.spanned > 0);
    let mib_frames = ((1u64 << 20) / page_size.max(1)).max(1);
    let base = populated().map(|z| z.start_pfn).min().unwrap_or(0) / mib_frames * mib_frames;
    let low_end = populated().filter(|z| !z.highmem).map(|z| z.start_pfn + z.spanned).max().unwrap_or(base);
    let high = zones.iter().filter(|z| z.highmem).map(|z| z.spanned).sum::<u64>();
    (low_end.saturating_sub(base) * page_size, high * page_size)
}

/// Classes of frames that stay where they are: reserved frames (and
/// holes) have fixed physical addresses, so they cannot spill.
const FIXED: [&str; 1] = ["reserved"];

/// What each class would need of lowmem under a split with
/// `split_highmem` bytes of highmem, from a census on another split: slab
/// and kernel stacks all of it; the others what they have in lowmem now,
/// plus (but for reserved frames) their share of what the split's highmem
/// cannot hold. Not modelled: the HighMem zone's watermarks (it spills a
/// little earlier), and reserved frames that a larger lowmem takes in
/// (they are counted where they are now). Given class peaks
/// (`Census::peak`), it adds highmem peaks of different moments, so near
/// a split's highmem size it overstates the spill (an upper bound).
pub fn predict_lowmem(reference: &Census, split_highmem: u64) -> BTreeMap<String, u64> {
    let ps = reference.page_size;
    let (low, high) = reference.low_high();
    let used: Vec<&str> = CLASSES.iter().copied().filter(|c| !matches!(*c, "free" | "pcp")).collect();
    let fixed: u64 = FIXED.iter().map(|c| high.get(c) * ps).sum();
    let in_high: u64 = used.iter().filter(|c| !LOWMEM_ONLY.contains(c) && !FIXED.contains(c)).map(|c| high.get(c) * ps).sum();
    let spill = in_high.saturating_sub(split_highmem.saturating_sub(fixed));
    used.iter()
        .map(|c| {
            let (lo, hi) = (low.get(c) * ps, high.get(c) * ps);
            let moved = if LOWMEM_ONLY.contains(c) {
                hi
            } else if in_high == 0 || FIXED.contains(c) {
                0
            } else {
                (hi as u128 * spill as u128 / in_high as u128) as u64
            };
            (c.to_string(), lo + moved)
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub struct ClassRow {
    pub class: String,
    pub reference_lowmem_bytes: u64,
    pub reference_highmem_bytes: u64,
    pub predicted_lowmem_bytes: u64,
    pub measured_lowmem_bytes: u64,
    pub measured_highmem_bytes: u64,
    pub right: bool,
}

#[derive(Debug, Serialize)]
pub struct WorkloadRow {
    pub workload: String,
    pub mib: u64,
    /// Memory in use (all but free and per-CPU free): the classes' peaks summed.
    pub used_bytes: u64,
    pub lowmem_used_bytes: u64,
    pub highmem_used_bytes: u64,
    /// Against the reference's census (none on the reference itself).
    pub predicted_lowmem_used_bytes: Option<u64>,
    pub classes: Vec<ClassRow>,
    /// Every class predicted right (none on the reference itself).
    pub right: Option<bool>,
    /// Why there is no prediction.
    pub note: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExplainRow {
    pub holds: usize,
    pub differs: usize,
    /// Claim id to verdict.
    pub verdicts: BTreeMap<String, String>,
    /// Claim id to the reason given, for the claims that differ.
    pub reasons: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub flavour: String,
    pub split: String,
    /// `x86` or `arm`: a split's reference is a 3G/1G kernel of the same
    /// architecture and paging.
    pub arch: String,
    pub paging: String,
    pub page_offset: u64,
    pub ram_bytes: u64,
    pub lowmem_bytes: u64,
    pub highmem_bytes: u64,
    pub vmalloc_bytes: u64,
    pub pkmap_slots: u64,
    pub pkmap_bytes: u64,
    /// The 3G/1G kernel of the same paging whose what-if this row checks.
    pub reference: Option<String>,
    pub predicted_lowmem_bytes: Option<u64>,
    pub predicted_highmem_bytes: Option<u64>,
    pub zones_right: Option<bool>,
    pub explain: Option<ExplainRow>,
    pub suite: Option<String>,
    pub workload: Option<WorkloadRow>,
}

#[derive(Debug, Serialize)]
pub struct Matrix {
    pub tolerance: Tolerance,
    pub rows: Vec<Row>,
}

fn within(a: u64, b: u64, tol: u64) -> bool {
    a.abs_diff(b) <= tol
}

pub fn build(all: &[Loaded], tol: Tolerance) -> Matrix {
    let is_ref = |l: &Loaded| l.layout.page_offset == 0xc000_0000;
    let rows = all
        .iter()
        .map(|x| {
            let ps = x.layout.page_size;
            let (lowmem, highmem) = measured(&x.zones, ps);
            let reference = all.iter().find(|r| is_ref(r) && r.layout.arch == x.layout.arch && r.layout.paging == x.layout.paging);
            let predicted = reference.and_then(|r| r.whatif.as_ref()).and_then(|w| w.splits.iter().find(|s| s.page_offset == x.layout.page_offset));
            let other_reference = reference.filter(|r| !std::ptr::eq(*r, x));
            let workload = x.workload.as_ref().map(|(name, mib, c)| {
                let (low, high) = c.low_high();
                let prediction = other_reference
                    .and_then(|r| r.workload.as_ref())
                    .filter(|(n, m, _)| n == name && m == mib)
                    .map(|(_, _, rc)| (rc, predict_lowmem(rc, highmem)));
                // A split whose 3G/1G kernel ran another workload, or none,
                // has nothing to be checked against: that is wrong, not right.
                let note = match (other_reference, &prediction) {
                    (Some(r), None) => Some(format!("{} has no {name} workload of {mib} MiB to predict from", r.flavour)),
                    _ => None,
                };
                let classes: Vec<ClassRow> = CLASSES
                    .iter()
                    .filter(|c| !matches!(**c, "free" | "pcp"))
                    .map(|class| {
                        let (ml, mh) = (low.get(class) * c.page_size, high.get(class) * c.page_size);
                        let (rl, rh, pl) = match &prediction {
                            Some((rc, p)) => {
                                let (rlow, rhigh) = rc.low_high();
                                (rlow.get(class) * rc.page_size, rhigh.get(class) * rc.page_size, p.get(*class).copied().unwrap_or(0))
                            }
                            None => (ml, mh, ml),
                        };
                        let slack = tol.class_bytes.max((pl as f64 * tol.class_share) as u64);
                        ClassRow {
                            class: class.to_string(),
                            reference_lowmem_bytes: rl,
                            reference_highmem_bytes: rh,
                            predicted_lowmem_bytes: pl,
                            measured_lowmem_bytes: ml,
                            measured_highmem_bytes: mh,
                            right: within(ml, pl, slack),
                        }
                    })
                    .collect();
                let sum = |f: fn(&ClassRow) -> u64| classes.iter().map(f).sum::<u64>();
                WorkloadRow {
                    workload: name.clone(),
                    mib: *mib,
                    used_bytes: sum(|r| r.measured_lowmem_bytes) + sum(|r| r.measured_highmem_bytes),
                    lowmem_used_bytes: sum(|r| r.measured_lowmem_bytes),
                    highmem_used_bytes: sum(|r| r.measured_highmem_bytes),
                    predicted_lowmem_used_bytes: prediction.as_ref().map(|_| sum(|r| r.predicted_lowmem_bytes)),
                    right: if note.is_some() { Some(false) } else { prediction.as_ref().map(|_| classes.iter().all(|r| r.right)) },
                    note,
                    classes,
                }
            });
            let explain = x.explain.as_ref().map(|vs| ExplainRow {
                holds: vs.iter().filter(|v| v.verdict == "holds").count(),
                differs: vs.iter().filter(|v| v.verdict != "holds").count(),
                verdicts: vs.iter().map(|v| (v.id.clone(), v.verdict.clone())).collect(),
                reasons: vs.iter().filter(|v| v.verdict != "holds").map(|v| (v.id.clone(), v.reason.clone())).collect(),
            });
            Row {
                flavour: x.flavour.clone(),
                split: split_name(x.layout.page_offset),
                arch: x.layout.arch.clone(),
                paging: x.layout.paging.clone(),
                page_offset: x.layout.page_offset,
                ram_bytes: lowmem + highmem,
                lowmem_bytes: lowmem,
                highmem_bytes: highmem,
                vmalloc_bytes: x.layout.vmalloc_end.saturating_sub(x.layout.vmalloc_start),
                pkmap_slots: x.layout.last_pkmap,
                pkmap_bytes: x.layout.pkmap_end.saturating_sub(x.layout.pkmap_base),
                reference: reference.map(|r| r.flavour.clone()),
                predicted_lowmem_bytes: predicted.map(|p| p.lowmem_bytes),
                predicted_highmem_bytes: predicted.map(|p| p.highmem_bytes),
                zones_right: predicted.map(|p| within(p.lowmem_bytes, lowmem, tol.zone_bytes) && within(p.highmem_bytes, highmem, tol.zone_bytes)),
                explain,
                suite: x.suite.clone(),
                workload,
            }
        })
        .collect();
    Matrix { tolerance: tol, rows }
}

fn mib(b: u64) -> String {
    format!("{:.0}", b as f64 / MIB as f64)
}

fn mib1(b: u64) -> String {
    format!("{:.1}", b as f64 / MIB as f64)
}

fn right(r: Option<bool>) -> &'static str {
    match r {
        Some(true) => "right",
        Some(false) => "**wrong**",
        None => "-",
    }
}

/// The claims whose verdict depends on the split (or on the lowmem it gives).
const SPLIT_CLAIMS: [&str; 9] = [
    "user_kernel_split_3g_1g",
    "page_offset_c0000000",
    "direct_map_linear",
    "direct_map_896mb",
    "zone_normal_16_896mb",
    "zone_highmem_896_to_end",
    "no_highmem_below_896mb",
    "linear_map_reaches_about_1gb",
    "two_gb_half_highmem",
];

pub fn markdown(m: &Matrix) -> String {
    let t = &m.tolerance;
    let mut s = String::from("# hmkit: every VMSPLIT, side by side\n\n");
    s += "Each kernel booted with the same RAM. Sizes in MiB. \"what-if\": what `hmctl whatif` on the 3G/1G kernel \
of the same architecture and paging predicted for this split; right when lowmem and highmem are both within ";
    s += &format!("{} of it.\n\n", human(t.zone_bytes));
    s += "| flavour | split | arch | paging | PAGE_OFFSET | RAM | lowmem | highmem | what-if lowmem / highmem | vmalloc | pkmap | explain | suite |\n";
    s += "|---|---|---|---|---|---:|---:|---:|---|---:|---|---|---|\n";
    for r in &m.rows {
        let predicted = match (r.predicted_lowmem_bytes, r.predicted_highmem_bytes) {
            (Some(l), Some(h)) => format!("{} / {} from {}: {}", mib(l), mib(h), r.reference.as_deref().unwrap_or("?"), right(r.zones_right)),
            _ => "no 3G/1G kernel of this architecture and paging".into(),
        };
        let explain = r.explain.as_ref().map_or("-".into(), |e| format!("{} hold, {} differ", e.holds, e.differs));
        s += &format!(
            "| {} | {} | {} | {} | {:#010x} | {} | {} | {} | {} | {} | {} slots, {} | {} | {} |\n",
            r.flavour,
            r.split,
            r.arch,
            r.paging,
            r.page_offset,
            mib(r.ram_bytes),
            mib(r.lowmem_bytes),
            mib(r.highmem_bytes),
            predicted,
            mib(r.vmalloc_bytes),
            r.pkmap_slots,
            human(r.pkmap_bytes),
            explain,
            r.suite.as_deref().unwrap_or("-")
        );
    }
    let with_workload: Vec<&Row> = m.rows.iter().filter(|r| r.workload.is_some()).collect();
    if let Some(first) = with_workload.first().and_then(|r| r.workload.as_ref()) {
        s += &format!(
            "\n## Workload {} ({} MiB): lowmem in use per class, predicted on the 3G/1G kernel and measured\n\n",
            first.workload, first.mib
        );
        s += &format!(
            "Each class at its own peak over the run (classes peak at different moments: slab grows while the page cache \
is dropped), so \"in use\" is the sum of the peaks. The prediction takes the 3G/1G kernel's census: slab and kernel stacks need \
lowmem wherever they are; every other class keeps what it has in lowmem, plus its share of what the split's highmem \
cannot hold. Right when within {} or {:.0}% of the prediction, whichever is more.\n\n",
            human(t.class_bytes),
            t.class_share * 100.0
        );
        s += "| flavour | in use | lowmem in use | predicted | highmem in use | classes right |\n|---|---:|---:|---:|---:|---|\n";
        for r in &with_workload {
            let w = r.workload.as_ref().unwrap();
            let n_right = w.classes.iter().filter(|c| c.right).count();
            s += &format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                r.flavour,
                mib(w.used_bytes),
                mib(w.lowmem_used_bytes),
                w.predicted_lowmem_used_bytes.map_or("(reference)".into(), mib),
                mib(w.highmem_used_bytes),
                match w.right {
                    None => "(reference)".into(),
                    Some(_) => format!("{n_right} of {}: {}", w.classes.len(), right(w.right)),
                }
            );
        }
        for r in with_workload.iter().filter(|r| r.workload.as_ref().is_some_and(|w| w.right.is_some())) {
            let w = r.workload.as_ref().unwrap();
            s += &format!(
                "\n### {} ({}), against {}\n\n| class | 3G lowmem | 3G highmem | predicted lowmem | measured lowmem | measured highmem | |\n|---|---:|---:|---:|---:|---:|---|\n",
                r.flavour,
                r.split,
                r.reference.as_deref().unwrap_or("?")
            );
            for c in w.classes.iter().filter(|c| c.reference_lowmem_bytes + c.reference_highmem_bytes + c.measured_lowmem_bytes + c.measured_highmem_bytes > 0) {
                s += &format!(
                    "| {} | {} | {} | {} | {} | {} | {} |\n",
                    c.class,
                    mib1(c.reference_lowmem_bytes),
                    mib1(c.reference_highmem_bytes),
                    mib1(c.predicted_lowmem_bytes),
                    mib1(c.measured_lowmem_bytes),
                    mib1(c.measured_highmem_bytes),
                    right(Some(c.right))
                );
            }
        }
    }
    let explained: Vec<&Row> = m.rows.iter().filter(|r| r.explain.is_some()).collect();
    if !explained.is_empty() {
        s += "\n## `hmctl explain`: the claims that depend on the split\n\n| claim |";
        for r in &explained {
            s += &format!(" {} |", r.flavour);
        }
        s += "\n|---|";
        s += &"---|".repeat(explained.len());
        s += "\n";
        for id in SPLIT_CLAIMS {
            s += &format!("| {id} |");
            for r in &explained {
                s += &format!(" {} |", r.explain.as_ref().unwrap().verdicts.get(id).map_or("-", String::as_str));
            }
            s += "\n";
        }
        s += "\nWhy they differ:\n\n";
        for r in explained.iter().filter(|r| r.page_offset != 0xc000_0000) {
            let e = r.explain.as_ref().unwrap();
            for id in ["user_kernel_split_3g_1g", "direct_map_896mb"].iter().filter(|id| e.reasons.contains_key(**id)) {
                s += &format!("- {} `{}`: {}\n", r.flavour, id, e.reasons[*id]);
            }
        }
    }
    s
}

/// One line per prediction, as the test harness counts them; the second
/// value says whether all of them were right.
pub fn check_lines(m: &Matrix) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut all = true;
    // `None`: a comment, not a test.
    let mut line = |ok: Option<bool>, s: String| {
        all &= ok != Some(false);
        lines.push(match ok {
            None => format!("# matrix: {s}"),
            Some(ok) => format!("{}ok - matrix: {s}", if ok { "" } else { "not " }),
        });
    };
    for r in &m.rows {
        if r.reference.as_deref() == Some(r.flavour.as_str()) {
            // Its own what-if of its own split: equal by construction, so no test.
            line(None, format!("{} ({}) is the reference: lowmem {} MiB, highmem {} MiB", r.flavour, r.split, mib1(r.lowmem_bytes), mib1(r.highmem_bytes)));
            continue;
        }
        match (r.predicted_lowmem_bytes, r.predicted_highmem_bytes) {
            (Some(pl), Some(ph)) => line(
                Some(r.zones_right == Some(true)),
                format!(
                    "{} ({}): lowmem {} MiB, highmem {} MiB; {}'s what-if predicted {} and {}",
                    r.flavour,
                    r.split,
                    mib1(r.lowmem_bytes),
                    mib1(r.highmem_bytes),
                    r.reference.as_deref().unwrap_or("?"),
                    mib1(pl),
                    mib1(ph)
                ),
            ),
            _ => line(Some(false), format!("{} ({}): no what-if of a 3G/1G {} kernel with {} paging to check", r.flavour, r.split, r.arch, r.paging)),
        }
        if let Some(w) = r.workload.as_ref().filter(|w| w.right.is_some()) {
            let wrong: Vec<String> = w
                .classes
                .iter()
                .filter(|c| !c.right)
                .map(|c| format!("{} predicted {} measured {}", c.class, mib1(c.predicted_lowmem_bytes), mib1(c.measured_lowmem_bytes)))
                .collect();
            line(
                Some(wrong.is_empty() && w.note.is_none()),
                format!(
                    "{}: workload {}: lowmem in use per class as predicted on {}{}",
                    r.flavour,
                    w.workload,
                    r.reference.as_deref().unwrap_or("?"),
                    match (&w.note, wrong.is_empty()) {
                        (Some(n), _) => format!(": {n}"),
                        (None, true) => String::new(),
                        (None, false) => format!(" (MiB: {})", wrong.join(", ")),
                    }
                ),
            );
        }
    }
    (lines, all)
}

/// Each kernel's 4 GiB of virtual address space (to scale) beside its
/// physical memory, lowmem and highmem, with the what-if's boundary.
pub fn svg(m: &Matrix, title: &str) -> String {
    let (top, h, col) = (90.0, 480.0, 170.0);
    // Wide enough for the legend's four entries, whatever the number of kernels.
    let w = (40.0 + col * m.rows.len().max(1) as f64).max(720.0);
    let y = |addr: u64| top + h - h * addr as f64 / (1u64 << 32) as f64;
    let mut doc = canvas(w, top + h + 150.0, title);
    for (i, r) in m.rows.iter().enumerate() {
        let x = 30.0 + col * i as f64;
        doc = doc
            .add(text(&r.flavour, x + 60.0, top - 40.0).set("text-anchor", "middle").set("font-weight", "bold"))
            .add(text(format!("{} {:#x}", r.split, r.page_offset), x + 60.0, top - 24.0).set("text-anchor", "middle").set("font-size", 10))
            .add(text("virtual", x + 22.0, top - 6.0).set("text-anchor", "middle").set("font-size", 10))
            .add(text("RAM", x + 92.0, top - 6.0).set("text-anchor", "middle").set("font-size", 10));
        let kernel_top = r.page_offset + r.lowmem_bytes;
        for (name, start, end, fill) in [
            ("user", 0, r.page_offset, "#d9d9d9"),
            ("lowmem", r.page_offset, kernel_top, "#7fb3e6"),
            ("vmalloc, pkmap, fixmap", kernel_top, 1u64 << 32, "#9fd49a"),
        ] {
            if end > start {
                doc = doc.add(
                    Rectangle::new()
                        .set("x", x)
                        .set("y", y(end))
                        .set("width", 44)
                        .set("height", y(start) - y(end))
                        .set("fill", fill)
                        .set("stroke", "#333")
                        .set("stroke-width", 0.5)
                        .set("data-region", name),
                );
            }
        }
        // Physical memory on the same scale, lowmem at the bottom.
        for (start, end, fill) in [(0, r.lowmem_bytes, "#7fb3e6"), (r.lowmem_bytes, r.ram_bytes, "#e6937f")] {
            if end > start {
                doc = doc.add(
                    Rectangle::new()
                        .set("x", x + 70.0)
                        .set("y", y(end))
                        .set("width", 44)
                        .set("height", y(start) - y(end))
                        .set("fill", fill)
                        .set("stroke", "#333")
                        .set("stroke-width", 0.5),
                );
            }
        }
        // The direct map: lowmem's virtual range is its physical range + PAGE_OFFSET.
        doc = doc
            .add(Line::new().set("x1", x + 44.0).set("y1", y(kernel_top)).set("x2", x + 70.0).set("y2", y(r.lowmem_bytes)).set("stroke", "#2a6fb0"))
            .add(Line::new().set("x1", x + 44.0).set("y1", y(r.page_offset)).set("x2", x + 70.0).set("y2", y(0)).set("stroke", "#2a6fb0"));
        if let Some(pl) = r.predicted_lowmem_bytes {
            doc = doc
                .add(Line::new().set("x1", x + 66.0).set("y1", y(pl)).set("x2", x + 118.0).set("y2", y(pl)).set("stroke", "black").set("stroke-dasharray", "3,2"))
                .add(text("what-if", x + 120.0, y(pl) + 4.0).set("font-size", 9));
        }
        let mut ty = top + h + 18.0;
        for line in [
            format!("lowmem {} MiB", mib(r.lowmem_bytes)),
            format!("highmem {} MiB", mib(r.highmem_bytes)),
            format!("vmalloc {} MiB", mib(r.vmalloc_bytes)),
            format!("pkmap {} slots", r.pkmap_slots),
            match r.zones_right {
                Some(true) => "what-if: right".into(),
                Some(false) => "what-if: WRONG".into(),
                None => "what-if: -".into(),
            },
            match r.workload.as_ref() {
                Some(w) => format!("{}: {} MiB lowmem in use", w.workload, mib(w.lowmem_used_bytes)),
                None => String::new(),
            },
        ] {
            doc = doc.add(text(line, x, ty).set("font-size", 11));
            ty += 15.0;
        }
    }
    let ly = top + h + 120.0;
    for (i, (name, fill)) in [("user space", "#d9d9d9"), ("lowmem (direct map)", "#7fb3e6"), ("vmalloc, pkmap, fixmap", "#9fd49a"), ("highmem", "#e6937f")].iter().enumerate() {
        let lx = 30.0 + i as f64 * 170.0;
        doc = doc
            .add(Rectangle::new().set("x", lx).set("y", ly - 11.0).set("width", 14).set("height", 14).set("fill", *fill).set("stroke", "#333"))
            .add(text(*name, lx + 20.0, ly));
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str, start: u64, spanned: u64, highmem: bool) -> Zone {
        Zone { node: 0, name: name.into(), start_pfn: start, spanned, present: spanned, managed: spanned, free: 0, highmem }
    }

    /// A census with `low` and `high` pages of each class in `classes`.
    fn census(classes: &[(&str, u64, u64)]) -> Census {
        let mut text = String::from("page_size: 4096\nwalk_ns: 1\ntask_stack_frames: 0\nvmalloc_mapped_frames: 0\n\nzone spanned");
        for c in CLASSES {
            text += &format!(" {c}");
        }
        text += " pkmap\n";
        let get = |c: &str, hm: bool| classes.iter().find(|x| x.0 == c).map_or(0, |x| if hm { x.2 } else { x.1 });
        let mut total = vec![0u64; CLASSES.len()];
        for (name, hm) in [("Normal", false), ("HighMem", true)] {
            let v: Vec<u64> = CLASSES.iter().map(|c| get(c, hm)).collect();
            for (t, x) in total.iter_mut().zip(&v) {
                *t += x;
            }
            text += &format!("{name} {} {} 0\n", v.iter().sum::<u64>(), v.iter().map(u64::to_string).collect::<Vec<_>>().join(" "));
        }
        text += &format!("total {} {} 0\n", total.iter().sum::<u64>(), total.iter().map(u64::to_string).collect::<Vec<_>>().join(" "));
        Census::parse(&text).unwrap()
    }

    #[test]
    fn measures_lowmem_to_the_end_of_the_last_lowmem_zone() {
        let z = [zone("DMA", 1, 4095, false), zone("Normal", 4096, 500_000, false), zone("HighMem", 504_096, 282_336, true), zone("Movable", 0, 0, false)];
        assert_eq!(measured(&z, 4096), (504_096 * 4096, 282_336 * 4096));
        // ARM's RAM starts at PHYS_OFFSET: 768 MiB of lowmem from 1 GiB.
        let z = [zone("Normal", 262_144, 196_608, false), zone("HighMem", 458_752, 589_824, true), zone("Movable", 0, 0, false)];
        assert_eq!(measured(&z, 4096), (768 << 20, 2304 << 20));
    }

    #[test]
    fn predicts_slab_in_lowmem_and_the_rest_as_now_or_spilled() {
        let c = census(&[("free", 100, 1000), ("slab", 300, 0), ("kstack", 10, 0), ("anon", 50, 2000), ("file_clean", 20, 2000), ("reserved", 40, 5)]);
        // Room for all of the highmem part: only the lowmem-only classes move.
        let p = predict_lowmem(&c, 1 << 30);
        assert_eq!(p["slab"], 300 * 4096);
        assert_eq!(p["anon"], 50 * 4096);
        assert_eq!(p["reserved"], 40 * 4096);
        assert!(!p.contains_key("free"));
        // Highmem for only half of the 4005 highmem pages in use: the rest spills, by share.
        let p = predict_lowmem(&c, 2000 * 4096);
        let spilled = p["anon"] + p["file_clean"] + p["reserved"] - (50 + 20 + 40) * 4096;
        assert!(spilled.abs_diff(2005 * 4096) <= 2 * 4096, "{spilled}");
        // No highmem at all: everything in use is lowmem.
        let p = predict_lowmem(&c, 0);
        assert_eq!(p["anon"], 2050 * 4096);
    }

    /// Captures of two real boots, 3G/1G and 2G_OPT (tools/testdata/matrix/).
    fn fixtures() -> Vec<Loaded> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/matrix");
        ["plain", "plain-2g-opt"].iter().map(|f| load(&root.join(f)).unwrap()).collect()
    }

    #[test]
    fn the_3g_what_if_predicts_the_2g_opt_boot_and_a_wrong_one_fails() {
        let mut all = fixtures();
        let m = build(&all, Tolerance::default());
        assert_eq!(m.rows[1].split, "VMSPLIT_2G_OPT");
        assert_eq!(m.rows[1].reference.as_deref(), Some("plain"));
        assert_eq!(m.rows[1].zones_right, Some(true));
        let (lines, ok) = check_lines(&m);
        // The reference's own row is a comment; the split's boot and its workload are tests.
        assert!(ok && lines.len() == 3 && lines[0].starts_with("# matrix: plain (VMSPLIT_3G) is the reference"), "{lines:?}");
        assert!(lines[1].starts_with("ok - matrix: plain-2g-opt (VMSPLIT_2G_OPT)") && lines[2].contains("workload mix"), "{lines:?}");
        let w = m.rows[1].workload.as_ref().unwrap();
        assert_eq!(w.right, Some(true));
        let slab = w.classes.iter().find(|c| c.class == "slab").unwrap();
        assert!(slab.predicted_lowmem_bytes > 10 * MIB && slab.measured_lowmem_bytes > 10 * MIB, "{slab:?}");
        let md = markdown(&m);
        assert!(md.contains("| plain-2g-opt | VMSPLIT_2G_OPT | x86 | 2-level |") && md.contains("user_kernel_split_3g_1g"), "{md}");
        crate::draw::check(&svg(&m, "matrix")).unwrap();
        // A what-if 2 MiB off is wrong, and says so.
        let w = all[0].whatif.as_mut().unwrap();
        w.splits.iter_mut().find(|s| s.split == "VMSPLIT_2G_OPT").unwrap().lowmem_bytes += 2 * MIB;
        let (lines, ok) = check_lines(&build(&all, Tolerance::default()));
        assert!(!ok && lines[1].starts_with("not ok - matrix: plain-2g-opt"), "{lines:?}");
        // A workload that moved slab by far more than predicted is wrong too.
        let mut moved = fixtures();
        let c = &mut moved[1].workload.as_mut().unwrap().2;
        let normal = c.zones.iter_mut().find(|z| z.zone == "Normal").unwrap();
        *normal.classes.get_mut("slab").unwrap() += 10_000;
        *normal.classes.get_mut("free").unwrap() -= 10_000;
        let (lines, ok) = check_lines(&build(&moved, Tolerance::default()));
        assert!(!ok && lines[2].starts_with("not ok") && lines[2].contains("slab predicted"), "{lines:?}");
        // A split whose reference ran no workload cannot be checked: wrong, not skipped.
        let mut none = fixtures();
        none[0].workload = None;
        let (lines, ok) = check_lines(&build(&none, Tolerance::default()));
        assert!(!ok && lines[2].starts_with("not ok") && lines[2].contains("plain has no mix workload"), "{lines:?}");
        // Without a 3G/1G kernel of the same paging there is nothing to check against.
        all.remove(0);
        let (lines, ok) = check_lines(&build(&all, Tolerance::default()));
        assert!(!ok && lines[0].contains("no what-if"), "{lines:?}");
    }

    /// Captures of `make matrix` (pae and pae-2g, the mix workload cut to
    /// its busiest sample, its slab peak and its end, tools/testdata/matrix-phases/):
    /// pae-2g's busiest sample came in the mix's first phase, with 16 MiB of
    /// slab, the reference's in its last, with 38. Class peaks compare them.
    #[test]
    fn compares_each_class_at_its_peak_not_at_the_busiest_sample() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/matrix-phases");
        let all: Vec<Loaded> = ["pae", "pae-2g"].iter().map(|f| load(&root.join(f)).unwrap()).collect();
        let m = build(&all, Tolerance::default());
        let w = m.rows[1].workload.as_ref().unwrap();
        let slab = w.classes.iter().find(|c| c.class == "slab").unwrap();
        assert!(slab.predicted_lowmem_bytes > 35 * MIB && slab.measured_lowmem_bytes > 35 * MIB, "{slab:?}");
        assert_eq!(w.right, Some(true), "{:?}", w.classes);
        // At the busiest sample the same captures disagree by 22 MiB of slab.
        let busiest = |l: &Loaded| {
            let r: RunFile = read_json(&root.join(&l.flavour).join("workload-mix.json")).unwrap();
            let b = r.during.into_iter().chain([r.after]).max_by_key(|s| s.census.total.used()).unwrap();
            b.census.low_high().0.get("slab") * 4096
        };
        assert!(busiest(&all[0]) - busiest(&all[1]) > 20 * MIB);
    }

    #[test]
    fn names_the_splits() {
        assert_eq!(split_name(0x7800_0000), "VMSPLIT_2G_OPT");
        assert_eq!(split_name(0xc000_0000), "VMSPLIT_3G");
        assert_eq!(split_name(0x9000_0000), "PAGE_OFFSET 0x90000000");
    }
}
