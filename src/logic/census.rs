// SPDX-License-Identifier: GPL-2.0

//! The census: what each page frame of a zone is used for, decided from
//! the facts its `struct page` holds (read by the shim, `hmkit_page_facts`)
//! and from two sets of frames the kernel does not mark in the page
//! itself: task stacks and what the vmalloc area maps.
//!
//! Every frame gets exactly one class, so the classes of a zone add up to
//! its spanned pages. Where a frame has several uses (a page-cache page
//! that is also vmap()ed) the first class in [`classify`]'s order wins.
//! Being mapped in the kernel's pkmap is not a class but a count beside
//! them: such a page is always something else too.

/// The facts bits, as `hmkit_page_facts()` in `src/sys/shim.c` sets them
/// (the `HMKIT_PF_*` of `shim.h`: keep the two in step).
pub(crate) mod pf {
    /// The head of a free block in the buddy allocator; `order` is its order.
    pub(crate) const BUDDY: u32 = 1 << 0;
    /// A zsmalloc page (zram's compressed store).
    pub(crate) const ZSMALLOC: u32 = 1 << 1;
    /// Part of a slab.
    pub(crate) const SLAB: u32 = 1 << 2;
    /// A user page table page with its constructor run (PTE and, with PAE,
    /// PMD pages; not the pgd, nor the kernel's own PTE pages): what
    /// meminfo's PageTables counts.
    pub(crate) const PGTABLE: u32 = 1 << 3;
    /// Another page type: offline (balloon, memory hotplug), guard, unaccepted, hugetlb.
    pub(crate) const OTHER_TYPE: u32 = 1 << 4;
    /// `PG_reserved`: memblock-reserved at boot (kernel image, holes, firmware), or set by a driver.
    pub(crate) const RESERVED: u32 = 1 << 5;
    /// Anonymous memory (its folio's mapping is an anon_vma).
    pub(crate) const ANON: u32 = 1 << 6;
    /// In a file's address space: page cache, or shmem/tmpfs with `SWAPBACKED`.
    pub(crate) const FILE: u32 = 1 << 7;
    /// `PG_swapbacked`.
    pub(crate) const SWAPBACKED: u32 = 1 << 8;
    /// `PG_dirty`.
    pub(crate) const DIRTY: u32 = 1 << 9;
    /// `PG_writeback`.
    pub(crate) const WRITEBACK: u32 = 1 << 10;
    /// Reference count 0 and no page type: on a per-CPU free list (or
    /// between the allocator and its user right now).
    pub(crate) const UNREFERENCED: u32 = 1 << 11;
    /// A tail page: the facts are its head's, and it counts alone.
    pub(crate) const TAIL: u32 = 1 << 12;
    /// In the swap cache (`PG_swapbacked` and `PG_swapcache`).
    pub(crate) const SWAPCACHE: u32 = 1 << 13;
}

/// What a page frame is used for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Class {
    /// In the buddy allocator's free lists.
    Free,
    /// Reference count 0 and no page type, outside the buddy lists: mostly
    /// pages on the per-CPU free lists (`pcp`); also the frames after the
    /// first of a non-compound high-order allocation (IRQ stacks, DMA
    /// buffers, `__get_free_pages(order > 0)`) and pages isolated for
    /// compaction.
    Pcp,
    /// Anonymous user memory (heap, stack, private mappings; also while in
    /// the swap cache), and swap-cache pages with no mapping (readahead,
    /// shmem being swapped).
    Anon,
    /// Page cache of files and block devices, clean.
    FileClean,
    /// Page cache, dirty.
    FileDirty,
    /// Page cache being written back.
    FileWriteback,
    /// shmem: tmpfs files, shared anonymous and SysV shared memory.
    Shmem,
    /// Page tables.
    PageTable,
    /// Slab caches.
    Slab,
    /// Task kernel stacks.
    KernelStack,
    /// Mapped in the vmalloc area and nothing else: vmalloc() and vmap() backing.
    Vmalloc,
    /// zsmalloc (zram's compressed pages).
    Zsmalloc,
    /// Reserved (`PG_reserved`): boot-time reservations, holes, the kernel image.
    Reserved,
    /// Anything else: allocated pages the page does not describe (alloc_pages()
    /// users, large kmalloc, other page types).
    Other,
}

/// How many classes there are.
pub(crate) const CLASSES: usize = 14;

impl Class {
    /// Every class, in the order of the census table's columns.
    pub(crate) const ALL: [Class; CLASSES] = [
        Class::Free,
        Class::Pcp,
        Class::Anon,
        Class::FileClean,
        Class::FileDirty,
        Class::FileWriteback,
        Class::Shmem,
        Class::PageTable,
        Class::Slab,
        Class::KernelStack,
        Class::Vmalloc,
        Class::Zsmalloc,
        Class::Reserved,
        Class::Other,
    ];

    /// The column name in the `census` file.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::Free => "free",
            Class::Pcp => "pcp",
            Class::Anon => "anon",
            Class::FileClean => "file_clean",
            Class::FileDirty => "file_dirty",
            Class::FileWriteback => "file_writeback",
            Class::Shmem => "shmem",
            Class::PageTable => "pagetable",
            Class::Slab => "slab",
            Class::KernelStack => "kstack",
            Class::Vmalloc => "vmalloc",
            Class::Zsmalloc => "zsmalloc",
            Class::Reserved => "reserved",
            Class::Other => "other",
        }
    }

    /// The class's column: its index in [`Class::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The class of a frame with facts `flags`; `kstack` and `vmalloc` say
/// whether it is in those sets. The order of the tests is the precedence.
pub(crate) fn classify(flags: u32, kstack: bool, vmalloc: bool) -> Class {
    let has = |bit| flags & bit != 0;
    if has(pf::BUDDY) {
        Class::Free
    } else if has(pf::ZSMALLOC) {
        Class::Zsmalloc
    } else if has(pf::SLAB) {
        Class::Slab
    } else if has(pf::PGTABLE) {
        Class::PageTable
    } else if has(pf::OTHER_TYPE) {
        Class::Other
    } else if has(pf::RESERVED) {
        Class::Reserved
    } else if has(pf::ANON) {
        Class::Anon
    } else if has(pf::FILE) {
        if has(pf::SWAPBACKED) {
            Class::Shmem
        } else if has(pf::WRITEBACK) {
            Class::FileWriteback
        } else if has(pf::DIRTY) {
            Class::FileDirty
        } else {
            Class::FileClean
        }
    } else if has(pf::SWAPCACHE) {
        Class::Anon
    } else if kstack {
        Class::KernelStack
    } else if vmalloc {
        Class::Vmalloc
    } else if has(pf::UNREFERENCED) {
        Class::Pcp
    } else {
        Class::Other
    }
}

/// How many frames from `pfn` one set of facts covers within a zone that
/// ends at `end` (exclusive): a free block's head covers 2^`order` frames
/// (the shim passes order 0 for anything else), a tail page only itself.
/// Always at least 1, never past `end` (facts read without locks may be
/// stale).
pub(crate) fn covers(flags: u32, order: u32, pfn: usize, end: usize) -> usize {
    let left = end.saturating_sub(pfn).max(1);
    if flags & pf::TAIL != 0 || order >= usize::BITS {
        return 1;
    }
    (1usize << order).min(left)
}

/// A set of page frame numbers in `[base, base + 32 * words.len())`, over
/// storage its user allocates.
pub(crate) struct PfnSet<'a> {
    base: usize,
    words: &'a mut [u32],
}

impl<'a> PfnSet<'a> {
    /// How many words a set of `frames` frames needs.
    pub(crate) fn words_for(frames: usize) -> usize {
        frames.div_ceil(32)
    }

    /// An empty set from `base` over `words` (cleared here).
    pub(crate) fn new(base: usize, words: &'a mut [u32]) -> Self {
        words.fill(0);
        PfnSet { base, words }
    }

    /// Adds `pfn`; a frame outside the range is ignored (returns false).
    pub(crate) fn insert(&mut self, pfn: usize) -> bool {
        let Some(i) = pfn.checked_sub(self.base) else { return false };
        match self.words.get_mut(i / 32) {
            Some(w) => {
                *w |= 1 << (i % 32);
                true
            }
            None => false,
        }
    }

    /// Whether `pfn` is in the set.
    pub(crate) fn contains(&self, pfn: usize) -> bool {
        let Some(i) = pfn.checked_sub(self.base) else { return false };
        self.words.get(i / 32).is_some_and(|w| w & (1 << (i % 32)) != 0)
    }
}

/// One zone's census: frames per class, and the count beside them.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Frames per class, indexed by [`Class::index`].
    pub(crate) pages: [usize; CLASSES],
    /// Frames mapped in the kernel's pkmap when it was read (each also in a class).
    pub(crate) pkmap: usize,
}

impl Counts {
    /// Counts `n` frames of class `c`.
    pub(crate) fn add(&mut self, c: Class, n: usize) {
        self.pages[c.index()] += n;
    }

    /// Frames in all classes: the zone's spanned pages once it is walked.
    pub(crate) fn total(&self) -> usize {
        self.pages.iter().sum()
    }

    /// Adds another zone's counts (for the total row).
    pub(crate) fn merge(&mut self, o: &Counts) {
        for (a, b) in self.pages.iter_mut().zip(o.pages.iter()) {
            *a += b;
        }
        self.pkmap += o.pkmap;
    }
}
