// SPDX-License-Identifier: GPL-2.0
//! The census's classification (src/logic/census.rs): precedence, the
//! frames one set of facts covers, and the frame sets.

use crate::census::{classify, covers, pf, Class, Counts, PfnSet, CLASSES};

#[test]
fn classes_are_listed_once_in_column_order() {
    assert_eq!(Class::ALL.len(), CLASSES);
    for (i, c) in Class::ALL.iter().enumerate() {
        assert_eq!(c.index(), i, "{c:?}");
    }
    let mut names: Vec<_> = Class::ALL.iter().map(|c| c.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), CLASSES, "class names must be unique");
}

#[test]
fn page_cache_is_split_by_state_and_shmem_by_swapbacked() {
    assert_eq!(classify(pf::FILE, false, false), Class::FileClean);
    assert_eq!(classify(pf::FILE | pf::DIRTY, false, false), Class::FileDirty);
    // Writeback wins over dirty (a page redirtied while under writeback).
    assert_eq!(classify(pf::FILE | pf::DIRTY | pf::WRITEBACK, false, false), Class::FileWriteback);
    assert_eq!(classify(pf::FILE | pf::SWAPBACKED | pf::DIRTY, false, false), Class::Shmem);
    // Anonymous memory is anon whatever else it has (swap cache, dirty).
    assert_eq!(classify(pf::ANON | pf::SWAPBACKED | pf::DIRTY, false, false), Class::Anon);
}

#[test]
fn page_types_come_before_what_the_mapping_says() {
    // The buddy's head says nothing else that counts.
    assert_eq!(classify(pf::BUDDY | pf::FILE | pf::RESERVED, true, true), Class::Free);
    assert_eq!(classify(pf::ZSMALLOC | pf::UNREFERENCED, false, true), Class::Zsmalloc);
    assert_eq!(classify(pf::SLAB | pf::RESERVED, false, true), Class::Slab);
    assert_eq!(classify(pf::PGTABLE, true, false), Class::PageTable);
    assert_eq!(classify(pf::OTHER_TYPE | pf::ANON, false, false), Class::Other);
    assert_eq!(classify(pf::RESERVED | pf::ANON, false, false), Class::Reserved);
}

#[test]
fn stacks_and_vmalloc_only_for_frames_the_page_does_not_describe() {
    assert_eq!(classify(0, true, true), Class::KernelStack);
    assert_eq!(classify(0, false, true), Class::Vmalloc);
    // A page-cache page that is also vmap()ed stays page cache.
    assert_eq!(classify(pf::FILE, false, true), Class::FileClean);
    assert_eq!(classify(pf::UNREFERENCED, false, false), Class::Pcp);
    assert_eq!(classify(0, false, false), Class::Other);
    // A vmalloc page has a reference; an unreferenced one mapped there is vmalloc's still.
    assert_eq!(classify(pf::UNREFERENCED, false, true), Class::Vmalloc);
    // Swap cache with no mapping (readahead, shmem on its way out) is anonymous memory.
    assert_eq!(classify(pf::SWAPCACHE | pf::SWAPBACKED, false, false), Class::Anon);
    assert_eq!(classify(pf::SWAPCACHE | pf::SWAPBACKED | pf::FILE, false, false), Class::Shmem);
}

#[test]
fn covers_counts_blocks_and_folios_but_never_past_the_zone() {
    assert_eq!(covers(pf::BUDDY, 10, 0, 1 << 20), 1024);
    assert_eq!(covers(pf::BUDDY, 10, 1000, 1500), 500);
    assert_eq!(covers(pf::SLAB, 3, 8, 100), 8);
    // A tail page counts alone, whatever order it reports.
    assert_eq!(covers(pf::TAIL | pf::SLAB, 3, 9, 100), 1);
    // Stale facts: an absurd order, or a frame at/after the end, still moves by one.
    assert_eq!(covers(pf::BUDDY, 64, 0, 100), 1);
    assert_eq!(covers(pf::BUDDY, u32::MAX, 0, 100), 1);
    assert_eq!(covers(0, 0, 100, 100), 1);
    assert_eq!(covers(0, 0, 5, 100), 1);
}

#[test]
fn pfn_sets_hold_what_is_inserted_and_ignore_the_rest() {
    let mut words = vec![0xffff_ffffu32; PfnSet::words_for(100)];
    assert_eq!(words.len(), 4);
    let mut s = PfnSet::new(1000, &mut words);
    for pfn in 1000..1100 {
        assert!(!s.contains(pfn), "{pfn}: a new set is empty");
    }
    assert!(s.insert(1000));
    assert!(s.insert(1031));
    assert!(s.insert(1032));
    assert!(s.insert(1099));
    assert!(!s.insert(999));
    assert!(!s.insert(1128));
    for pfn in 990..1140 {
        assert_eq!(s.contains(pfn), [1000, 1031, 1032, 1099].contains(&pfn), "{pfn}");
    }
}

#[test]
fn counts_add_up_and_merge() {
    let mut a = Counts::default();
    a.add(Class::Free, 10);
    a.add(Class::Anon, 5);
    a.pkmap = 2;
    let mut b = Counts::default();
    b.add(Class::Anon, 1);
    b.add(Class::Other, 4);
    b.merge(&a);
    assert_eq!(b.total(), 20);
    assert_eq!(b.pages[Class::Anon.index()], 6);
    assert_eq!(b.pkmap, 2);
}
