// SPDX-License-Identifier: GPL-2.0

//! A small safe debugfs layer.
//!
//! A [`Dir`] owns its files; each file owns the data it
//! renders. Dropping a `Dir` removes its children first, then itself, and a
//! file's data is freed only after `debugfs_remove()` has returned, which
//! waits for every running open/read/write of that file. So no callback can
//! see freed data.
//!
//! Files are typed by traits: [`Show`] renders a snapshot into text on each
//! read, [`Control`] takes one whole command per `write()`. Bad input is the
//! implementation's to refuse with an errno; the C side already refuses empty
//! writes (`EINVAL`), writes over 4 KiB (`E2BIG`) and opening a file for what
//! it cannot do (`EPERM`).

use super::{hmkit_debugfs_dir, hmkit_debugfs_file, hmkit_debugfs_remove, hmkit_seq_write};
use kernel::ffi::{c_char, c_int, c_void};
use core::fmt;
use core::ptr;
use kernel::error::to_result;
use kernel::prelude::*;

/// A file whose reads render `Self` as text.
pub(crate) trait Show: Send + Sync {
    /// Writes the file's whole content. Called once per read from the
    /// start of the file (and again with a larger buffer when it overflows),
    /// so it must render a consistent snapshot each time.
    fn show(&self, out: &mut dyn fmt::Write) -> Result;
}

/// A file that takes commands.
pub(crate) trait Control: Send + Sync {
    /// Takes one command: the bytes of one `write()`, 1 to 4096 of them.
    /// Returns an error, and changes nothing, on input it does not accept.
    fn write(&self, input: &[u8]) -> Result;
}

/// What a file can do. Mirrors `struct hmkit_file_ops` in `shim.c`.
#[repr(C)]
struct FileOps {
    show: Option<unsafe extern "C" fn(entry: *const c_void, m: *mut c_void) -> c_int>,
    write: Option<unsafe extern "C" fn(entry: *const c_void, buf: *const c_char, len: usize) -> c_int>,
}

// shim.c asserts the same size; tools/check-abi.py compares the fields.
const _: () = assert!(core::mem::size_of::<FileOps>() == 2 * 4);

/// The private data of a debugfs file: the C-visible header, then the data.
///
/// # Invariants
///
/// `ops` is at offset 0 (`repr(C)`), so a pointer to the entry is a pointer to
/// a `struct hmkit_file_ops` for C.
#[repr(C)]
struct Entry<T> {
    ops: FileOps,
    data: T,
}

/// A `fmt::Write` sink for one `->show()` call.
struct SeqWriter(*mut c_void);

impl fmt::Write for SeqWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `self.0` is the `seq_file` of the `->show()` call this writer
        // was made for and lives until that call returns, which outlives the
        // writer; `s` is valid for `s.len()` bytes.
        unsafe { hmkit_seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

unsafe extern "C" fn show_cb<T: Show>(entry: *const c_void, m: *mut c_void) -> c_int {
    // SAFETY: C calls this only with the private data registered by
    // `Dir::add`, an `Entry<T>` that stays alive until `debugfs_remove()`
    // has returned, and no show runs after that.
    let entry = unsafe { &*entry.cast::<Entry<T>>() };
    match entry.data.show(&mut SeqWriter(m)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn write_cb<T: Control>(entry: *const c_void, buf: *const c_char, len: usize) -> c_int {
    // SAFETY: as in `show_cb`, `entry` is a live `Entry<T>`.
    let entry = unsafe { &*entry.cast::<Entry<T>>() };
    // SAFETY: `hmkit_write` passes a kernel copy of the user's bytes, valid
    // for `len` bytes and not changed until this call returns.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    match entry.data.write(input) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Frees an `Entry<T>` made by `KBox::into_raw`.
///
/// # Safety
///
/// `p` comes from `KBox::<Entry<T>>::into_raw` and is freed only once, after
/// the debugfs file using it has been removed.
unsafe fn drop_entry<T>(p: *mut c_void) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { KBox::from_raw(p.cast::<Entry<T>>()) });
}

/// One file: its dentry and its type-erased entry.
struct FileNode {
    dentry: *mut c_void,
    entry: *mut c_void,
    drop_entry: unsafe fn(*mut c_void),
}

impl Drop for FileNode {
    fn drop(&mut self) {
        // SAFETY: `dentry` is the file's live dentry, removed only here.
        // `debugfs_remove()` returns once no operation on the file runs and
        // none can start, so the entry can be freed after it.
        unsafe {
            hmkit_debugfs_remove(self.dentry);
            (self.drop_entry)(self.entry);
        }
    }
}

// SAFETY: the entry's data is `Send + Sync` (the trait bounds on `Show` and
// `Control`), and a dentry pointer may be removed from any thread.
unsafe impl Send for FileNode {}
// SAFETY: `FileNode` has no `&self` methods.
unsafe impl Sync for FileNode {}

/// A debugfs directory that owns what is in it.
///
/// # Invariants
///
/// `dentry` is a live debugfs directory created by this `Dir`, removed only
/// in `drop`, after every child.
pub(crate) struct Dir {
    dentry: *mut c_void,
    files: KVec<FileNode>,
    dirs: KVec<Dir>,
}

// SAFETY: see `FileNode`; a `Dir` is a dentry pointer and its children.
unsafe impl Send for Dir {}
// SAFETY: `&Dir` gives access to nothing.
unsafe impl Sync for Dir {}

/// Owner read, for files that show kernel addresses or state.
pub(crate) const MODE_READ: u32 = 0o400;
/// Owner read and write.
pub(crate) const MODE_RW: u32 = 0o600;

impl Dir {
    /// Creates a directory at the debugfs root.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        Self::create(name, ptr::null_mut())
    }

    fn create(name: &CStr, parent: *mut c_void) -> Result<Self> {
        let mut dentry = ptr::null_mut();
        // SAFETY: `name` is NUL-terminated and copied by debugfs; `parent` is
        // null (the root) or a live directory owned by the caller's `Dir`.
        to_result(unsafe { hmkit_debugfs_dir(name.as_char_ptr(), parent, &mut dentry) })?;
        // INVARIANT: the call succeeded, so `dentry` is a new directory.
        Ok(Self { dentry, files: KVec::new(), dirs: KVec::new() })
    }

    /// A read-only file (mode 0400) rendering `data`.
    pub(crate) fn read_only<T: Show + 'static>(&mut self, name: &CStr, data: T) -> Result {
        self.add(name, MODE_READ, data, Some(show_cb::<T>), None)
    }

    /// A file that renders `data` and takes commands (mode 0600).
    pub(crate) fn read_write<T: Show + Control + 'static>(&mut self, name: &CStr, data: T) -> Result {
        self.add(name, MODE_RW, data, Some(show_cb::<T>), Some(write_cb::<T>))
    }

    fn add<T: Send + Sync + 'static>(
        &mut self,
        name: &CStr,
        mode: u32,
        data: T,
        show: Option<unsafe extern "C" fn(*const c_void, *mut c_void) -> c_int>,
        write: Option<unsafe extern "C" fn(*const c_void, *const c_char, usize) -> c_int>,
    ) -> Result {
        // Make room first, so that nothing can fail once the file exists.
        self.files.reserve(1, GFP_KERNEL)?;
        let entry = KBox::into_raw(KBox::new(Entry { ops: FileOps { show, write }, data }, GFP_KERNEL)?);
        let mut dentry = ptr::null_mut();
        // SAFETY: `name` is NUL-terminated; `self.dentry` is live (type
        // invariant); `entry` stays valid until the `FileNode` made below is
        // dropped, which removes the file before freeing it.
        let ret = unsafe {
            hmkit_debugfs_file(name.as_char_ptr(), mode, self.dentry, entry.cast_const().cast(), &mut dentry)
        };
        if let Err(e) = to_result(ret) {
            // SAFETY: no file was created, so nothing else refers to `entry`.
            unsafe { drop_entry::<T>(entry.cast()) };
            return Err(e);
        }
        let node = FileNode { dentry, entry: entry.cast(), drop_entry: drop_entry::<T> };
        // Cannot fail: room was reserved above.
        self.files.push(node, GFP_KERNEL)?;
        Ok(())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // Children first: each removes its own dentry, so none is removed
        // twice.
        drop(core::mem::replace(&mut self.files, KVec::new()));
        drop(core::mem::replace(&mut self.dirs, KVec::new()));
        // SAFETY: `dentry` is live (type invariant) and now empty of our files.
        unsafe { hmkit_debugfs_remove(self.dentry) };
    }
}
