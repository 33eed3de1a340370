//! This CPU's data caches, read once: what the cache blocks of `blocking.rs` are derived from.
//!
//! Linux describes every cache level of a CPU under
//! `/sys/devices/system/cpu/cpu0/cache/index*/` (`level`, `type`, `size`); the sizes
//! there are per instance, i.e. what one core owns (on the model-207 Xeon VM:
//! L1d 48 KiB, L2 2 MiB). Where that is unreadable (another OS, a sandbox), the
//! sizes fall back to [`Caches::FALLBACK`], a common desktop core's. The last level
//! (L3) is shared: [`llc_share`] is one CPU's part of it, for the decoder's prefetch.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::OnceLock;

/// Where Linux describes the first CPU's caches (one `index*/` directory a level and type).
const SYSFS_CACHE: &str = "/sys/devices/system/cpu/cpu0/cache";

/// The per-core data-cache sizes the blocking needs, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caches {
    /// Level-1 data cache.
    pub l1d: usize,
    /// Level-2 (unified) cache.
    pub l2: usize,
}

impl Caches {
    /// Used when the sizes cannot be read: 32 KiB L1d and 1 MiB L2.
    pub const FALLBACK: Caches = Caches {
        l1d: 32 * 1024,
        l2: 1024 * 1024,
    };

    /// This CPU's caches (read from sysfs on first use, then cached).
    pub fn detected() -> Caches {
        static CACHES: OnceLock<Caches> = OnceLock::new();
        *CACHES
            .get_or_init(|| Caches::from_sysfs(Path::new(SYSFS_CACHE)).unwrap_or(Caches::FALLBACK))
    }

    /// Read L1d and L2 from a sysfs `cache` directory; `None` unless both are found.
    pub fn from_sysfs(dir: &Path) -> Option<Caches> {
        let (mut l1d, mut l2) = (None, None);
        for c in data_caches(dir)? {
            match c.level {
                1 => l1d = Some(c.bytes),
                2 => l2 = Some(c.bytes),
                _ => {}
            }
        }
        Some(Caches { l1d: l1d?, l2: l2? })
    }
}

/// This CPU's share of the last-level cache in bytes: the size of the highest cache
/// level of `/sys/devices/system/cpu/cpu0/cache` over the number of CPUs its
/// `shared_cpu_list` names (read once); `None` where that is unreadable.
pub fn llc_share() -> Option<usize> {
    static SHARE: OnceLock<Option<usize>> = OnceLock::new();
    *SHARE.get_or_init(|| llc_share_from_sysfs(Path::new(SYSFS_CACHE)))
}

/// [`llc_share`] read from a sysfs `cache` directory: the data or unified cache of the
/// highest level, its `size` over the CPUs in its `shared_cpu_list` (1 when absent).
pub fn llc_share_from_sysfs(dir: &Path) -> Option<usize> {
    let last = data_caches(dir)?.into_iter().max_by_key(|c| c.level)?;
    Some(last.bytes / last.sharing)
}

/// One data or unified cache level as sysfs describes it.
struct SysfsCache {
    level: u32,
    bytes: usize,
    /// CPUs that share it (`shared_cpu_list`; 1 when absent or unreadable).
    sharing: usize,
}

/// The data and unified caches of a sysfs `cache` directory (`index*/` with `level`,
/// `type`, `size`); entries missing one of those, or instruction caches, are skipped.
fn data_caches(dir: &Path) -> Option<Vec<SysfsCache>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let read = |name: &str| std::fs::read_to_string(path.join(name)).ok();
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        let (Ok(level), Some(bytes)) = (level.trim().parse::<u32>(), parse_size(&size)) else {
            continue;
        };
        if !matches!(kind.trim(), "Data" | "Unified") {
            continue;
        }
        let sharing = read("shared_cpu_list")
            .and_then(|l| cpu_count(&l))
            .unwrap_or(1);
        out.push(SysfsCache {
            level,
            bytes,
            sharing,
        });
    }
    Some(out)
}

/// The number of CPUs in a sysfs CPU list such as `0-1` or `0,2-5,8`.
fn cpu_count(list: &str) -> Option<usize> {
    let mut n = 0usize;
    for part in list.trim().split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((lo, hi)) => (lo.trim().parse::<usize>().ok()?, hi.trim().parse().ok()?),
            None => {
                let c = part.trim().parse::<usize>().ok()?;
                (c, c)
            }
        };
        n += hi.checked_sub(lo)? + 1;
    }
    (n > 0).then_some(n)
}

/// A sysfs size: `48K`, `2048K`, `2M`, or a plain byte count. Zero is not a size.
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let (digits, unit) = match t.as_bytes().last()? {
        b'K' | b'k' => (&t[..t.len() - 1], 1024),
        b'M' | b'm' => (&t[..t.len() - 1], 1024 * 1024),
        b'G' | b'g' => (&t[..t.len() - 1], 1024 * 1024 * 1024),
        _ => (t, 1),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|&n| n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_and_without_units() {
        assert_eq!(parse_size("48K\n"), Some(48 * 1024));
        assert_eq!(parse_size("2M"), Some(2 * 1024 * 1024));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("65536"), Some(65536));
        for bad in ["", "K", "0K", "12Q", "-3K", "99999999999999999999K"] {
            assert_eq!(parse_size(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn sysfs_levels_are_picked_by_level_and_type() {
        let dir = tempfile::tempdir().unwrap();
        let index = |i: usize, level: &str, kind: &str, size: &str| {
            let d = dir.path().join(format!("index{i}"));
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("level"), level).unwrap();
            std::fs::write(d.join("type"), kind).unwrap();
            std::fs::write(d.join("size"), size).unwrap();
        };
        index(0, "1\n", "Data\n", "48K\n");
        index(1, "1\n", "Instruction\n", "32K\n");
        assert_eq!(Caches::from_sysfs(dir.path()), None, "no L2 yet");
        index(2, "2\n", "Unified\n", "2048K\n");
        index(3, "3\n", "Unified\n", "260M\n");
        assert_eq!(
            Caches::from_sysfs(dir.path()),
            Some(Caches {
                l1d: 48 * 1024,
                l2: 2 * 1024 * 1024
            })
        );
        assert_eq!(Caches::from_sysfs(&dir.path().join("missing")), None);
    }

    #[test]
    fn cpu_lists_count_ranges_and_singles() {
        assert_eq!(cpu_count("0-1\n"), Some(2));
        assert_eq!(cpu_count("0,2-5,8"), Some(6));
        assert_eq!(cpu_count("3"), Some(1));
        for bad in ["", "1-0", "a", "0-"] {
            assert_eq!(cpu_count(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_last_level_is_shared_among_the_cpus_it_lists() {
        let dir = tempfile::tempdir().unwrap();
        let index = |i: usize, level: &str, kind: &str, size: &str, shared: Option<&str>| {
            let d = dir.path().join(format!("index{i}"));
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("level"), level).unwrap();
            std::fs::write(d.join("type"), kind).unwrap();
            std::fs::write(d.join("size"), size).unwrap();
            if let Some(s) = shared {
                std::fs::write(d.join("shared_cpu_list"), s).unwrap();
            }
        };
        assert_eq!(llc_share_from_sysfs(dir.path()), None);
        index(0, "1\n", "Data\n", "32K\n", Some("0\n"));
        index(1, "2\n", "Unified\n", "1024K\n", None);
        assert_eq!(
            llc_share_from_sysfs(dir.path()),
            Some(1 << 20),
            "L2, unshared"
        );
        index(2, "3\n", "Unified\n", "32768K\n", Some("0-1\n"));
        index(3, "4\n", "Instruction\n", "64K\n", Some("0\n"));
        assert_eq!(llc_share_from_sysfs(dir.path()), Some(16 << 20));
    }

    #[test]
    fn detection_gives_plausible_sizes() {
        let c = Caches::detected();
        assert!(c.l1d >= 4096 && c.l2 >= c.l1d, "{c:?}");
    }
}
