// SPDX-License-Identifier: GPL-2.0
//! SVG drawings: the address space beside physical memory, and slot grids.

use crate::layout::{human, Layout};
use crate::pkmap::Pkmap;
use crate::pool::Pool;
use crate::zones::Zone;
use svg::node::element::{Line, Path, Rectangle, Text};
use svg::Document;

fn colour(name: &str) -> &'static str {
    match name {
        "user" => "#d9d9d9",
        "lowmem" => "#7fb3e6",
        "vmalloc" => "#9fd49a",
        "pkmap" => "#f2b266",
        "kmap_local" => "#c39be0",
        "fixmap" | "fixmap_boot" => "#ef8f8f",
        "cpu_entry_area" | "ldt_remap" => "#c9a27e",
        _ => "#ffffff",
    }
}

/// A white canvas of `w` x `h` with `title` centred on top.
pub fn canvas(w: f64, h: f64, title: &str) -> Document {
    Document::new()
        .set("viewBox", (0, 0, w, h))
        .set("width", w)
        .set("height", h)
        .set("font-family", "sans-serif")
        .set("font-size", 12)
        .add(Rectangle::new().set("width", w).set("height", h).set("fill", "white"))
        .add(text(title, w / 2.0, 24.0).set("text-anchor", "middle").set("font-size", 15))
}

pub fn text(s: impl Into<String>, x: f64, y: f64) -> Text {
    Text::new(s.into()).set("x", x).set("y", y)
}

/// Heights that keep small regions readable: log of the size, a floor of
/// 18 px, scaled to fill `total`.
fn heights(sizes: &[u64], total: f64) -> Vec<f64> {
    let w: Vec<f64> = sizes.iter().map(|&s| ((s.max(4096) as f64 / 4096.0).log2() + 1.0).max(1.0)).collect();
    let sum: f64 = w.iter().sum();
    let floor = 18.0;
    let spare = (total - floor * w.len() as f64).max(0.0);
    w.iter().map(|x| floor + spare * x / sum).collect()
}

/// The 32-bit virtual address space, top to bottom, beside physical memory
/// with its zones, and how they relate: the direct map (lowmem = physical +
/// PAGE_OFFSET) and the on-demand mappings of highmem.
pub fn layout_svg(l: &Layout, zones: &[Zone], title: &str) -> String {
    let (w, top, total) = (1100.0, 60.0, 720.0);
    let h = top + total + 70.0;
    let (vx, vw) = (110.0, 300.0);
    let (px, pw) = (760.0, 220.0);
    let mut doc = canvas(w, h, title)
        .add(text("virtual address space (4 GiB, not to scale)", vx + vw / 2.0, top - 12.0).set("text-anchor", "middle"))
        .add(text("physical memory (zones)", px + pw / 2.0, top - 12.0).set("text-anchor", "middle"));
    let regions: Vec<_> = l.regions.iter().rev().collect();
    let hs = heights(&regions.iter().map(|r| r.size).collect::<Vec<_>>(), total);
    let mut y = top;
    let mut ypos = std::collections::HashMap::new();
    for (r, hgt) in regions.iter().zip(&hs) {
        let dashed = r.name == "gap";
        let mut rect = Rectangle::new()
            .set("x", vx)
            .set("y", y)
            .set("width", vw)
            .set("height", *hgt)
            .set("fill", colour(&r.name))
            .set("stroke", "#444");
        if dashed {
            rect = rect.set("stroke-dasharray", "4 3");
        }
        doc = doc
            .add(rect)
            .add(text(format!("{:#010x}", r.end.min(0xffff_ffff)), vx - 6.0, y + 4.0).set("text-anchor", "end").set("font-size", 10))
            .add(text(format!("{}  {}", r.name, human(r.size)), vx + 8.0, y + hgt / 2.0 + 4.0));
        ypos.entry(r.name.clone()).or_insert((y, y + hgt));
        y += hgt;
    }
    doc = doc.add(text("0x00000000", vx - 6.0, y + 4.0).set("text-anchor", "end").set("font-size", 10));
    // The pool's window lies inside vmalloc.
    if let Some(&(ya, yb)) = ypos.get("vmalloc") {
        doc = doc.add(
            text(format!("hmkit pool window {} inside vmalloc", human(l.hmkit_pool_end - l.hmkit_pool_start)), vx + vw + 8.0, (ya + yb) / 2.0 + 4.0)
                .set("font-size", 10),
        );
    }
    // Physical memory: populated zones, low addresses at the bottom.
    let populated: Vec<&Zone> = zones.iter().filter(|z| z.spanned > 0).collect();
    let zh = heights(&populated.iter().map(|z| z.spanned * l.page_size).collect::<Vec<_>>(), total * 0.8);
    let mut zy = top + total;
    let mut zpos = std::collections::HashMap::new();
    for (z, hgt) in populated.iter().zip(&zh) {
        zy -= hgt;
        let fill = if z.highmem { "#f6d6a8" } else { "#7fb3e6" };
        doc = doc
            .add(Rectangle::new().set("x", px).set("y", zy).set("width", pw).set("height", *hgt).set("fill", fill).set("stroke", "#444"))
            .add(text(format!("ZONE_{}  {}", z.name.to_uppercase(), human(z.spanned * l.page_size)), px + 8.0, zy + hgt / 2.0 - 2.0))
            .add(
                text(
                    format!("pfn {}-{}  ({:#x}-{:#x})", z.start_pfn, z.start_pfn + z.spanned, z.start_pfn * l.page_size, (z.start_pfn + z.spanned) * l.page_size),
                    px + 8.0,
                    zy + hgt / 2.0 + 12.0,
                )
                .set("font-size", 10),
            );
        zpos.insert(z.name.clone(), (zy, zy + hgt));
    }
    // The direct map: lowmem <-> DMA + Normal.
    let low_phys: Vec<(f64, f64)> = populated.iter().filter(|z| !z.highmem).filter_map(|z| zpos.get(&z.name).copied()).collect();
    if let (Some(&(la, lb)), false) = (ypos.get("lowmem"), low_phys.is_empty()) {
        let pa = low_phys.iter().map(|p| p.0).fold(f64::MAX, f64::min);
        let pb = low_phys.iter().map(|p| p.1).fold(0.0, f64::max);
        let d = format!("M {} {} L {} {} L {} {} L {} {} Z", vx + vw, la, px, pa, px, pb, vx + vw, lb);
        doc = doc.add(Path::new().set("d", d).set("fill", "#7fb3e6").set("fill-opacity", 0.25).set("stroke", "#4a78b8"));
        doc = doc.add(
            text(format!("direct map: virtual = physical + {:#x}", l.page_offset), (vx + vw + px) / 2.0, (la + lb + pa + pb) / 4.0)
                .set("text-anchor", "middle")
                .set("font-size", 11),
        );
    }
    // Highmem has no permanent mapping: kmap, kmap_local and vmalloc map it on demand.
    if let Some(&(ha, hb)) = populated.iter().find(|z| z.highmem).and_then(|z| zpos.get(&z.name)) {
        for (name, label) in [("pkmap", "kmap()"), ("kmap_local", "kmap_local / kmap_atomic"), ("vmalloc", "vmalloc / vmap")] {
            if let Some(&(a, b)) = ypos.get(name) {
                doc = doc.add(
                    Line::new()
                        .set("x1", px)
                        .set("y1", (ha + hb) / 2.0)
                        .set("x2", vx + vw)
                        .set("y2", (a + b) / 2.0)
                        .set("stroke", "#d08a2c")
                        .set("stroke-dasharray", "5 4"),
                );
                doc = doc.add(text(label, vx + vw + 110.0, (a + b) / 2.0 - 4.0).set("font-size", 10).set("fill", "#a0601c"));
            }
        }
        doc = doc.add(text("highmem: mapped on demand", px + pw / 2.0, hb + 14.0).set("text-anchor", "middle").set("font-size", 10));
    }
    doc = doc.add(
        text(
            format!(
                "{} paging; lowmem {}; vmalloc {}; pkmap {} slots; kmap_local {} per CPU",
                l.paging,
                human(l.lowmem_kb * 1024),
                human(l.vmalloc_kb * 1024),
                l.last_pkmap,
                l.kmap_local_slots_per_cpu
            ),
            w / 2.0,
            h - 20.0,
        )
        .set("text-anchor", "middle"),
    );
    doc.to_string()
}

fn grid(mut doc: Document, x0: f64, y0: f64, cells: &[&'static str], cols: usize, cell: f64) -> (Document, f64) {
    for (i, fill) in cells.iter().enumerate() {
        let (cx, cy) = (x0 + (i % cols) as f64 * cell, y0 + (i / cols) as f64 * cell);
        doc = doc.add(Rectangle::new().set("x", cx).set("y", cy).set("width", cell - 1.0).set("height", cell - 1.0).set("fill", *fill));
    }
    (doc, y0 + cells.len().div_ceil(cols) as f64 * cell)
}

const IN_USE: &str = "#e0702c";
const AWAITING: &str = "#f2cf4a";
const FREE: &str = "#e4e4e4";
const MAPPED: &str = "#4a78b8";

/// The pool's slots (in use, awaiting flush, free) and the kernel pkmap's
/// (mapped, clear: the kernel does not say which mapped ones are released).
pub fn slots_svg(p: &Pool, k: &Pkmap, title: &str) -> String {
    let cols = 64;
    let cell = 12.0;
    let w = 80.0 + cols as f64 * cell;
    let mut pool_cells = vec![FREE; p.slots as usize];
    for s in &p.mapped {
        if let Some(c) = pool_cells.get_mut(s.slot as usize) {
            *c = if s.users > 0 { IN_USE } else { AWAITING };
        }
    }
    let mut pk_cells = vec![FREE; k.last_pkmap as usize];
    for s in &k.slots {
        if let Some(c) = pk_cells.get_mut(s.slot as usize) {
            *c = MAPPED;
        }
    }
    let h = 200.0 + (pool_cells.len().div_ceil(cols) + pk_cells.len().div_ceil(cols)) as f64 * cell;
    let mut doc = canvas(w, h, title).add(text(
            format!("hmkit pool: {} slots at {:#010x}; {} in use, {} awaiting flush, {} free", p.slots, p.window_start, p.in_use, p.needs_flush, p.free),
            40.0,
            50.0,
        ));
    let (d, y) = grid(doc, 40.0, 58.0, &pool_cells, cols, cell);
    doc = d.add(text(format!("kernel pkmap: {} slots at {:#010x}; {} mapped", k.last_pkmap, k.pkmap_base, k.mapped), 40.0, y + 30.0));
    let (d, y) = grid(doc, 40.0, y + 38.0, &pk_cells, cols, cell);
    doc = d;
    let mut x = 40.0;
    for (fill, label) in [(IN_USE, "in use"), (AWAITING, "unmapped, awaiting flush"), (MAPPED, "pkmap: mapped (in use or awaiting flush)"), (FREE, "free / clear")] {
        doc = doc.add(Rectangle::new().set("x", x).set("y", y + 20.0).set("width", 12).set("height", 12).set("fill", fill)).add(text(label, x + 16.0, y + 30.0));
        x += 16.0 + 7.5 * label.len() as f64 + 20.0;
    }
    doc.to_string()
}

/// Parses an SVG and returns its text nodes' contents: an error if it is
/// not well-formed XML with an `svg` root.
pub fn check(svg: &str) -> Result<Vec<String>, String> {
    let doc = roxmltree::Document::parse(svg).map_err(|e| format!("not well-formed: {e}"))?;
    if doc.root_element().tag_name().name() != "svg" {
        return Err(format!("root element is <{}>, not <svg>", doc.root_element().tag_name().name()));
    }
    Ok(doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::to_string).collect())
}
