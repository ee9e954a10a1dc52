// SPDX-License-Identifier: GPL-2.0
//! Reading hmkit's debugfs files and turning their `key: value` text into
//! typed values.

use serde::Serialize;
use std::path::{Path, PathBuf};

pub const DEFAULT_DIR: &str = "/sys/kernel/debug/hmkit";

pub struct Debugfs {
    dir: PathBuf,
}

impl Debugfs {
    pub fn new(dir: PathBuf) -> Self {
        Debugfs { dir }
    }

    /// Reads one file whole, with an error that says what to check.
    pub fn read(&self, name: &str) -> Result<String, String> {
        if name.contains('/') || name.starts_with('.') {
            return Err(format!("'{name}' is not a file name"));
        }
        let path = self.dir.join(name);
        std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound if !self.dir.exists() => format!(
                "{} does not exist: load hmkit.ko and mount debugfs (mount -t debugfs none /sys/kernel/debug)",
                self.dir.display()
            ),
            std::io::ErrorKind::PermissionDenied => {
                format!("{}: permission denied (hmkit's files are root-only)", path.display())
            }
            _ => format!("{}: {e}", path.display()),
        })
    }

    /// Writes `data` to file `name` in one write() call.
    pub fn write(&self, name: &str, data: &[u8]) -> Result<(), std::io::Error> {
        self.write_pieces(name, data, data.len().max(1)).pop().unwrap_or(Ok(()))
    }

    /// Writes `data` to file `name` through one open file, `piece` bytes per
    /// write() call (one empty write for empty data); one result per call.
    pub fn write_pieces(&self, name: &str, data: &[u8], piece: usize) -> Vec<Result<(), std::io::Error>> {
        use std::io::Write;
        if name.contains('/') || name.starts_with('.') {
            return vec![Err(std::io::Error::from_raw_os_error(nix::libc::EINVAL))];
        }
        let mut f = match std::fs::OpenOptions::new().write(true).open(self.dir.join(name)) {
            Ok(f) => f,
            Err(e) => return vec![Err(e)],
        };
        let pieces: Vec<&[u8]> = if data.is_empty() { vec![data] } else { data.chunks(piece).collect() };
        pieces
            .into_iter()
            .map(|p| match f.write(p) {
                Ok(n) if n == p.len() => Ok(()),
                Ok(n) => Err(std::io::Error::other(format!("short write: {n} of {} bytes", p.len()))),
                Err(e) => Err(e),
            })
            .collect()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// `hmctl write`: standard input to `file` in one write() (or in pieces);
/// prints `ok` or the errno's name on standard output, a line per write().
pub fn write_stdin(fs: &Debugfs, file: &str, split: Option<usize>) -> Result<(), String> {
    use std::io::Read;
    let mut data = Vec::new();
    std::io::stdin().read_to_end(&mut data).map_err(|e| format!("reading standard input: {e}"))?;
    let results = fs.write_pieces(file, &data, split.unwrap_or(data.len().max(1)));
    let mut first_error = None;
    for r in results {
        match r {
            Ok(()) => println!("ok"),
            Err(e) => {
                let name = e.raw_os_error().map(|n| format!("{:?}", nix::errno::Errno::from_raw(n)));
                println!("{}", name.as_deref().unwrap_or("error"));
                first_error.get_or_insert(format!("{file}: {e}"));
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Splits `key: value` lines; other lines are ignored.
pub fn key_values(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim(), v.trim()))
}

/// Finds `key` in `key: value` text.
pub fn value<'a>(text: &'a str, key: &str) -> Result<&'a str, String> {
    key_values(text)
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .ok_or_else(|| format!("no '{key}' line"))
}

/// Parses a number as hmkit prints it: decimal, or hex with `0x`.
pub fn number(s: &str) -> Result<u64, String> {
    let r = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    r.map_err(|_| format!("'{s}' is not a number"))
}

/// The `key: value` number `key`.
pub fn value_number(text: &str, key: &str) -> Result<u64, String> {
    number(value(text, key)?).map_err(|e| format!("{key}: {e}"))
}

/// The rows of the table whose header row starts with `first_column`, each
/// split on white space, up to the next blank line. The header is checked
/// against `columns`, so that a format change is an error, not garbage.
pub fn table<'a>(text: &'a str, columns: &[&str]) -> Result<Vec<Vec<&'a str>>, String> {
    let mut lines = text.lines().skip_while(|l| l.split_whitespace().next() != Some(columns[0]));
    let header: Vec<&str> = lines.next().ok_or_else(|| format!("no table starting with '{}'", columns[0]))?.split_whitespace().collect();
    if header != columns {
        return Err(format!("unexpected table header {header:?}, want {columns:?}"));
    }
    let rows: Vec<Vec<&str>> = lines.take_while(|l| !l.trim().is_empty()).map(|l| l.split_whitespace().collect()).collect();
    if let Some(bad) = rows.iter().find(|r| r.len() != columns.len()) {
        return Err(format!("table row {bad:?} does not have {} columns", columns.len()));
    }
    Ok(rows)
}

/// The `version` file.
#[derive(Debug, Serialize, PartialEq)]
pub struct Version {
    pub hmkit: String,
    pub kernel: String,
    pub pae: bool,
    pub cpus_online: u32,
}

impl Version {
    pub fn parse(text: &str) -> Result<Self, String> {
        let paging = value(text, "paging")?;
        Ok(Version {
            hmkit: value(text, "hmkit")?.to_string(),
            kernel: value(text, "kernel")?.to_string(),
            pae: match paging {
                "2-level" => false,
                // x86's PAE or ARM's LPAE: 64-bit page-table entries.
                "3-level PAE" | "3-level LPAE" => true,
                other => return Err(format!("unknown paging mode '{other}'")),
            },
            cpus_online: value(text, "cpus_online")?
                .parse()
                .map_err(|e| format!("cpus_online: {e}"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &str = "hmkit: 0.1.0\nkernel: 6.12.117\npaging: 3-level PAE\ncpus_online: 2\n\
                           u64_divide: 18446744073709551615 / 7 = 2635249153387078802 rem 1\n";

    #[test]
    fn parses_version() {
        let v = Version::parse(VERSION).unwrap();
        assert_eq!(
            v,
            Version { hmkit: "0.1.0".into(), kernel: "6.12.117".into(), pae: true, cpus_online: 2 }
        );
    }

    #[test]
    fn rejects_unknown_paging_and_missing_keys() {
        assert!(Version::parse(&VERSION.replace("3-level PAE", "4-level")).is_err());
        assert!(Version::parse(&VERSION.replace("3-level PAE", "3-level LPAE")).unwrap().pae);
        assert!(!Version::parse(&VERSION.replace("3-level PAE", "2-level")).unwrap().pae);
        assert!(Version::parse("hmkit: 0.1.0\n").is_err());
        assert!(Version::parse(&VERSION.replace("cpus_online: 2", "cpus_online: two")).is_err());
    }

    #[test]
    fn unknown_key_lines_are_ignored() {
        // The control file's header gains `vmalloc_bytes: N` after
        // `pool_held: N`; any file may gain keys hmctl does not know.
        let control = "objects: 1\npkmap_flush_cycled: 0\npool_held: 0\nvmalloc_bytes: 65536\n\
                       vmalloc 1 size=65536 start=0xf8000000 pages=16 highmem_pages=16\n";
        assert_eq!(value_number(control, "pool_held").unwrap(), 0);
        assert_eq!(value_number(control, "objects").unwrap(), 1);
        assert_eq!(value_number(control, "vmalloc_bytes").unwrap(), 65536);
        let with_unknown = VERSION.replace("paging:", "some_new_key: some value\npaging:") + "another: 1\n";
        assert_eq!(Version::parse(&with_unknown).unwrap(), Version::parse(VERSION).unwrap());
        assert_eq!(key_values("a: 1\nno colon here\n\nb: 2\n").collect::<Vec<_>>(), vec![("a", "1"), ("b", "2")]);
    }

    #[test]
    fn value_splits_at_first_colon_only() {
        assert_eq!(value("a: b: c\n", "a").unwrap(), "b: c");
    }

    #[test]
    fn numbers_and_tables() {
        assert_eq!(number("0xc0000000").unwrap(), 0xc000_0000);
        assert_eq!(number("42").unwrap(), 42);
        assert!(number("0xzz").is_err() && number("-1").is_err() && number("").is_err());
        let t = "a: 1\n\nx y z\n1 2 3\n4 5 6\n\nother\n";
        assert_eq!(table(t, &["x", "y", "z"]).unwrap(), vec![vec!["1", "2", "3"], vec!["4", "5", "6"]]);
        assert!(table(t, &["x", "y"]).unwrap_err().contains("header"));
        assert!(table("x y\n1\n", &["x", "y"]).unwrap_err().contains("columns"));
        assert!(table("nothing\n", &["x"]).is_err());
    }

    #[test]
    fn errno_names_are_what_tests_match() {
        assert_eq!(format!("{:?}", nix::errno::Errno::from_raw(22)), "EINVAL");
        assert_eq!(format!("{:?}", nix::errno::Errno::from_raw(7)), "E2BIG");
        let fs = Debugfs::new(PathBuf::from("/nonexistent/hmkit"));
        assert_eq!(fs.write("control", b"x").unwrap_err().raw_os_error(), Some(2));
        assert_eq!(fs.write("../x", b"x").unwrap_err().raw_os_error(), Some(22));
    }

    #[test]
    fn read_refuses_paths_and_explains_missing_dir() {
        let fs = Debugfs::new(PathBuf::from("/nonexistent/hmkit"));
        assert!(fs.read("../etc/passwd").unwrap_err().contains("not a file name"));
        assert!(fs.read("version").unwrap_err().contains("load hmkit.ko"));
    }
}
