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

    pub fn dir(&self) -> &Path {
        &self.dir
    }
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
                "3-level PAE" => true,
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
        assert!(Version::parse("hmkit: 0.1.0\n").is_err());
        assert!(Version::parse(&VERSION.replace("cpus_online: 2", "cpus_online: two")).is_err());
    }

    #[test]
    fn value_splits_at_first_colon_only() {
        assert_eq!(value("a: b: c\n", "a").unwrap(), "b: c");
    }

    #[test]
    fn read_refuses_paths_and_explains_missing_dir() {
        let fs = Debugfs::new(PathBuf::from("/nonexistent/hmkit"));
        assert!(fs.read("../etc/passwd").unwrap_err().contains("not a file name"));
        assert!(fs.read("version").unwrap_err().contains("load hmkit.ko"));
    }
}
