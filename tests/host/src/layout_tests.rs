// SPDX-License-Identifier: GPL-2.0
use crate::layout::{Boundaries, LayoutError, Regions, TOP};

/// Values of the 6.12 plain (2-level) test kernel with 3 GiB of RAM.
fn plain() -> Boundaries {
    Boundaries {
        page_size: 4096,
        task_size: 0xc000_0000,
        page_offset: 0xc000_0000,
        high_memory: 0xf73f_e000,
        vmalloc_start: 0xf7bf_e000,
        vmalloc_end: 0xff3f_e000,
        pkmap_base: 0xff40_0000,
        last_pkmap: 1024,
        ldt_base: 0xff80_0000,
        ldt_end: 0xffc0_0000,
        cpu_entry_area_base: 0xffc0_0000,
        cpu_entry_area_size: 0x0020_0000,
        fixaddr_tot_start: 0xffe6_0000,
        fixaddr_start: 0xfff1_6000,
        fixaddr_top: 0xffff_f000,
        kmap_local_start: 0xfff5_e000,
        kmap_local_end: 0xfff9_e000,
        modules_start: 0,
        modules_end: 0,
        vectors_start: 0,
        vectors_end: 0,
        fdt_start: 0,
        fdt_end: 0,
    }
}

#[test]
fn rows_tile_the_whole_space_in_order() {
    let r = Regions::build(&plain()).unwrap();
    let rows = r.rows();
    assert_eq!(rows[0].start, 0);
    assert_eq!(rows.last().unwrap().end, TOP);
    for w in rows.windows(2) {
        assert_eq!(w[0].end, w[1].start, "{:?} then {:?}", w[0], w[1]);
    }
    assert!(rows.iter().all(|r| r.start < r.end));
    let total: u64 = rows.iter().map(|r| r.size()).sum();
    assert_eq!(total, TOP);
}

#[test]
fn names_every_region_once_and_the_gaps() {
    let r = Regions::build(&plain()).unwrap();
    let names: Vec<&str> = r.rows().iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "user", "lowmem", "gap", "vmalloc", "gap", "pkmap", "ldt_remap", "cpu_entry_area", "gap",
            "fixmap_boot", "fixmap", "kmap_local", "fixmap", "gap"
        ]
    );
    let vmalloc = r.rows().iter().find(|r| r.name == "vmalloc").unwrap();
    assert_eq!(vmalloc.size(), 0xff3f_e000 - 0xf7bf_e000);
    let pkmap = r.rows().iter().find(|r| r.name == "pkmap").unwrap();
    assert_eq!(pkmap.size(), 1024 * 4096);
}

#[test]
fn kmap_local_outside_the_fixmap_is_not_split_into_it() {
    let mut b = plain();
    b.kmap_local_start = 0;
    b.kmap_local_end = 0;
    let r = Regions::build(&b).unwrap();
    assert!(r.rows().iter().all(|r| r.name != "kmap_local"));
    assert_eq!(r.rows().iter().filter(|r| r.name == "fixmap").count(), 1);
}

#[test]
fn overlap_and_bad_ranges_are_errors() {
    let mut b = plain();
    b.vmalloc_end = b.pkmap_base + 4096;
    assert_eq!(Regions::build(&b).unwrap_err(), LayoutError::Overlap("vmalloc", "pkmap"));
    let mut b = plain();
    b.high_memory = b.page_offset - 1;
    assert_eq!(Regions::build(&b).unwrap_err(), LayoutError::Bad("lowmem"));
    let mut b = plain();
    b.fixaddr_top = TOP + 4096;
    assert!(Regions::build(&b).is_err());
}

/// Values of the 6.12 ARM (2-level, VMSPLIT_3G) test kernel on QEMU's virt
/// board with 3 GiB of RAM, as its layout file gives them.
fn arm() -> Boundaries {
    Boundaries {
        page_size: 4096,
        task_size: 0xbf00_0000,
        page_offset: 0xc000_0000,
        high_memory: 0xf000_0000,
        vmalloc_start: 0xf080_0000,
        vmalloc_end: 0xff80_0000,
        pkmap_base: 0xbfe0_0000,
        last_pkmap: 512,
        ldt_base: 0,
        ldt_end: 0,
        cpu_entry_area_base: 0,
        cpu_entry_area_size: 0,
        fixaddr_tot_start: 0xffc8_0000,
        fixaddr_start: 0xffc8_0000,
        fixaddr_top: 0xfff0_0000,
        kmap_local_start: 0xffdf_7000,
        kmap_local_end: 0xffef_f000,
        modules_start: 0xbf00_0000,
        modules_end: 0xbfe0_0000,
        vectors_start: 0xffff_0000,
        vectors_end: 0xffff_2000,
        fdt_start: 0xff80_0000,
        fdt_end: 0xffa0_0000,
    }
}

#[test]
fn arm_puts_modules_and_the_pkmap_below_page_offset() {
    let r = Regions::build(&arm()).unwrap();
    let names: Vec<&str> = r.rows().iter().map(|r| r.name).collect();
    assert_eq!(
        names,
        [
            "user", "modules", "pkmap", "lowmem", "gap", "vmalloc", "fdt", "gap", "fixmap", "kmap_local", "fixmap",
            "gap", "vectors", "gap"
        ]
    );
    let rows = r.rows();
    assert_eq!(rows.last().unwrap().end, TOP);
    for w in rows.windows(2) {
        assert_eq!(w[0].end, w[1].start, "{:?} then {:?}", w[0], w[1]);
    }
    let pkmap = rows.iter().find(|r| r.name == "pkmap").unwrap();
    assert_eq!((pkmap.start, pkmap.size()), (0xbfe0_0000, 512 * 4096));
    let lowmem = rows.iter().find(|r| r.name == "lowmem").unwrap();
    assert_eq!(lowmem.size(), 768 << 20);
}

#[test]
fn arm_user_space_reaching_into_the_modules_is_an_overlap() {
    // TASK_SIZE is what ends user space on ARM, not PAGE_OFFSET.
    let mut b = arm();
    b.task_size = b.page_offset;
    assert_eq!(Regions::build(&b).unwrap_err(), LayoutError::Overlap("user", "modules"));
}
