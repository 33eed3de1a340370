//! Which tile and cache blocks each tier's sgemm uses on this CPU: measured once per
//! CPU model, cached, read at first use (as FFTW keeps its wisdom).
//!
//! - **No calibration** (the default on a CPU never seen): the blocks are derived
//!   from this CPU's cache sizes and the tier's default tile (`blocking.rs`).
//! - **Calibrating** is explicit: `cargo run --release -p smallmind --example
//!   sgemm_tune` measures the candidate tiles and blocks for a few seconds
//!   ([`calibrate`]) and writes the choice to the cache file of this CPU model.
//! - **At first use** in a process, the cache file is read once; every later product
//!   of that process uses the same choice, so a process never changes its blocking
//!   midway and a file written meanwhile only affects processes started after it.
//!
//! The file is `$XDG_CACHE_HOME/smallmind/sgemm-<vendor>-<family>-<model>.json`
//! (`~/.cache/…` without `XDG_CACHE_HOME`); format and fields in
//! `docs/sgemm-tuning.md`. [`ENV`] overrides the location:
//!
//! | `SMALLMIND_SGEMM_TUNING` | tuning used |
//! |---|---|
//! | unset or empty | the cache file of this CPU model if present and valid, else the defaults; in a debug build, the defaults |
//! | `off` | the defaults (nothing is read) |
//! | a path | that file (a missing or unusable one: the defaults, with a warning) |
//!
//! A debug build (`debug_assertions`, what `cargo test` compiles) reads no file from the
//! cache directory: a calibration measured optimised code, and the tests then never
//! depend on a file outside the repository. A path in the variable applies to any build.
//!
//! A file measured on another CPU model or with other cache sizes, of another schema
//! version, or naming a tile the tier does not offer, is ignored with one warning on
//! stderr; the library never fails a product over its tuning.

pub mod calibrate;
mod cpu;
mod file;

pub use cpu::{CpuId, display_family_model};
pub use file::{SCHEMA_VERSION, TierTuning, Trial, TuningError, TuningFile};

use super::blocking::Blocking;
use super::cache::Caches;
use super::kernel::Micro;
use crate::simd::Tier;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The environment variable that overrides where the tuning comes from.
pub const ENV: &str = "SMALLMIND_SGEMM_TUNING";

/// What `SMALLMIND_SGEMM_TUNING` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// Unset or empty: this CPU model's file in the user's cache directory.
    CacheDir,
    /// Unset or empty in a debug build: the defaults; the cache directory is not read
    /// (it is still where `sgemm_tune` writes).
    DebugBuild,
    /// `off`: the defaults derived from the cache sizes.
    Off,
    /// A path: that file.
    File(PathBuf),
}

impl Setting {
    /// The setting of a value of [`ENV`] (`None`: unset).
    pub fn parse(value: Option<&str>) -> Setting {
        match value.map(str::trim) {
            None | Some("") => Setting::CacheDir,
            Some(v) if v.eq_ignore_ascii_case("off") => Setting::Off,
            Some(v) => Setting::File(PathBuf::from(v)),
        }
    }

    /// The setting of this process's environment, in this build.
    pub fn from_env() -> Setting {
        Setting::parse(std::env::var_os(ENV).as_deref().and_then(|v| v.to_str()))
            .in_build(cfg!(debug_assertions))
    }

    /// This setting in a build with (`debug`) or without debug assertions: a debug
    /// build does not read the cache directory (see the module docs).
    pub fn in_build(self, debug: bool) -> Setting {
        match self {
            Setting::CacheDir if debug => Setting::DebugBuild,
            s => s,
        }
    }

    /// The file this setting reads and `sgemm_tune` writes, if any.
    pub fn path(&self, cpu: &CpuId) -> Option<PathBuf> {
        match self {
            Setting::Off => None,
            Setting::File(p) => Some(p.clone()),
            Setting::CacheDir | Setting::DebugBuild => cache_dir().map(|d| d.join(file_name(cpu))),
        }
    }
}

/// `sgemm-<vendor>-<family>-<model>.json`.
pub fn file_name(cpu: &CpuId) -> String {
    format!("sgemm-{}.json", cpu.key())
}

/// `$XDG_CACHE_HOME/smallmind`, else `$HOME/.cache/smallmind` (absolute paths only, as
/// the XDG specification asks); `None` when neither is set.
pub fn cache_dir() -> Option<PathBuf> {
    let abs = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("XDG_CACHE_HOME")
        .and_then(abs)
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(abs)
                .map(|h| h.join(".cache"))
        })
        .map(|d| d.join("smallmind"))
}

/// Where the tuning in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Derived from the cache sizes: `SMALLMIND_SGEMM_TUNING=off`.
    Off,
    /// Derived from the cache sizes: a debug build, which reads no calibration from the
    /// cache directory.
    DebugBuild,
    /// Derived from the cache sizes: no file at this path (or no cache directory).
    NoFile(Option<PathBuf>),
    /// Derived from the cache sizes: the file could not be used (the warning printed).
    Rejected(String),
    /// Read from this file (tiers it does not cover use the defaults).
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Off => write!(f, "defaults from the cache sizes ({ENV}=off)"),
            Origin::DebugBuild => write!(
                f,
                "defaults from the cache sizes (a debug build reads no calibration from the cache directory; {ENV}=PATH names one)"
            ),
            Origin::NoFile(Some(p)) => {
                write!(
                    f,
                    "defaults from the cache sizes (no calibration at {})",
                    p.display()
                )
            }
            Origin::NoFile(None) => {
                write!(f, "defaults from the cache sizes (no cache directory)")
            }
            Origin::Rejected(why) => write!(f, "defaults from the cache sizes ({why})"),
            Origin::File(p) => write!(f, "calibration {}", p.display()),
        }
    }
}

/// A tier's blocking in force and its micro-kernel.
#[derive(Debug, Clone, Copy)]
pub struct Tuned {
    pub blocking: Blocking,
    pub micro: Micro,
}

impl Tuned {
    /// `blocking` with its kernel, if `tier` can run it.
    pub fn new(tier: Tier, blocking: Blocking) -> Result<Tuned, String> {
        let micro = blocking.validate(tier)?;
        Ok(Tuned { blocking, micro })
    }

    /// The defaults for `tier` on caches `c`.
    pub fn defaults(tier: Tier, c: Caches) -> Tuned {
        let blocking = Blocking::for_caches(tier, c);
        Tuned {
            blocking,
            micro: Blocking::default_tile(tier),
        }
    }
}

/// The tuning of every tier in force in this process.
#[derive(Debug, Clone)]
pub struct Active {
    /// Where it came from.
    pub origin: Origin,
    tiers: [Tuned; 3],
}

impl Active {
    /// Resolve `setting` for `cpu` with `caches`: read the file it names (if any) and
    /// keep what applies; everything else takes the defaults.
    pub fn resolve(setting: &Setting, cpu: &CpuId, caches: Caches) -> Active {
        let tiers = Tier::ALL.map(|t| Tuned::defaults(t, caches));
        let mut active = Active {
            origin: Origin::Off,
            tiers,
        };
        let path = match (setting, setting.path(cpu)) {
            (Setting::Off, _) => return active,
            (Setting::DebugBuild, _) => {
                active.origin = Origin::DebugBuild;
                return active;
            }
            (_, None) => {
                active.origin = Origin::NoFile(None);
                return active;
            }
            (_, Some(p)) => p,
        };
        // A missing file at the default location is the normal uncalibrated case; a
        // missing file the user named is worth a warning (see `active`).
        if *setting == Setting::CacheDir && !path.exists() {
            active.origin = Origin::NoFile(Some(path));
            return active;
        }
        let file = match TuningFile::load(&path) {
            Ok(f) => f,
            Err(e) => {
                active.origin = Origin::Rejected(e.to_string());
                return active;
            }
        };
        if let Err(why) = file.applies_to(cpu, caches) {
            active.origin = Origin::Rejected(format!("{}: {why}", path.display()));
            return active;
        }
        for (slot, tier) in Tier::ALL.into_iter().enumerate() {
            if let Some(b) = file.blocking(tier) {
                // `load` validated every entry against its tier's tiles.
                if let Ok(t) = Tuned::new(tier, b) {
                    active.tiers[slot] = t;
                }
            }
        }
        active.origin = Origin::File(path);
        active
    }

    /// The tuning of `tier`.
    pub fn tier(&self, tier: Tier) -> Tuned {
        self.tiers[slot(tier)]
    }

    /// One line for logs and result files: origin and the tile and blocks of `tier`.
    pub fn describe(&self, tier: Tier) -> String {
        format!("{tier} {} ({})", self.tier(tier).blocking, self.origin)
    }
}

fn slot(tier: Tier) -> usize {
    match tier {
        Tier::Scalar => 0,
        Tier::Avx2 => 1,
        Tier::Avx512 => 2,
    }
}

/// The tuning in force in this process: resolved at first use from
/// `SMALLMIND_SGEMM_TUNING`, then fixed. A file that cannot be used is reported once
/// on stderr.
pub fn active() -> &'static Active {
    static ACTIVE: OnceLock<Active> = OnceLock::new();
    ACTIVE.get_or_init(|| {
        let a = Active::resolve(&Setting::from_env(), &CpuId::detect(), Caches::detected());
        if let Origin::Rejected(why) = &a.origin {
            eprintln!("smallmind: sgemm tuning not used: {why}; using the defaults");
        }
        a
    })
}

/// The tuning of `tier` in force in this process (see [`active`]).
#[inline]
pub fn tuned(tier: Tier) -> Tuned {
    active().tier(tier)
}

/// The file `setting` names for this CPU, for `sgemm_tune` to write.
pub fn target_path(setting: &Setting) -> Result<PathBuf, TuningError> {
    match setting {
        Setting::Off => Err(TuningError::Setting(
            "is `off`: nothing would read a calibration (unset it, or give a path)".into(),
        )),
        s => s.path(&CpuId::detect()).ok_or_else(|| {
            TuningError::Setting(
                "no cache directory (neither XDG_CACHE_HOME nor HOME is an absolute path); give a path".into(),
            )
        }),
    }
}

/// Whether `path` holds a tuning file that applies here (for `sgemm_tune --check`).
pub fn check_file(path: &Path) -> Result<TuningFile, TuningError> {
    let f = TuningFile::load(path)?;
    f.applies_to(&CpuId::detect(), Caches::detected())
        .map_err(|reason| TuningError::Rejected {
            path: path.to_path_buf(),
            reason,
        })?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn file_for(cpu: &CpuId, caches: Caches, tier: Tier, blocking: Blocking) -> TuningFile {
        let mut tiers = BTreeMap::new();
        tiers.insert(
            tier.as_str().to_string(),
            TierTuning {
                blocking,
                default: Blocking::for_caches(tier, caches),
                default_gflops: 1.0,
                tuned_gflops: 1.0,
                speedup: 1.0,
                trials: Vec::new(),
            },
        );
        TuningFile {
            schema_version: SCHEMA_VERSION,
            cpu: cpu.clone(),
            caches,
            smallmind_version: "test".into(),
            created_unix: 0,
            tiers,
        }
    }

    #[test]
    fn settings_parse() {
        assert_eq!(Setting::parse(None), Setting::CacheDir);
        assert_eq!(Setting::parse(Some(" ")), Setting::CacheDir);
        assert_eq!(Setting::parse(Some("OFF")), Setting::Off);
        assert_eq!(
            Setting::parse(Some("/x/y.json")),
            Setting::File("/x/y.json".into())
        );
        let cpu = CpuId::detect();
        assert_eq!(Setting::Off.path(&cpu), None);
        assert!(target_path(&Setting::Off).is_err());
        assert_eq!(
            target_path(&Setting::File("a.json".into())).unwrap(),
            PathBuf::from("a.json")
        );
        assert_eq!(file_name(&cpu), format!("sgemm-{}.json", cpu.key()));
        // A debug build does not read the cache directory; an explicit setting stays.
        assert_eq!(Setting::CacheDir.in_build(true), Setting::DebugBuild);
        assert_eq!(Setting::CacheDir.in_build(false), Setting::CacheDir);
        assert_eq!(Setting::Off.in_build(true), Setting::Off);
        assert_eq!(
            Setting::File("a.json".into()).in_build(true),
            Setting::File("a.json".into())
        );
        // It still writes there (`sgemm_tune`).
        assert_eq!(Setting::DebugBuild.path(&cpu), Setting::CacheDir.path(&cpu));
    }

    /// The test binaries are debug builds: `cargo test` never reads a calibration from
    /// the user's cache directory, even when there is one for this CPU.
    #[test]
    fn a_debug_build_reads_no_calibration_from_the_cache_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (cpu, caches) = (CpuId::detect(), Caches::detected());
        let path = dir.path().join(file_name(&cpu));
        let b = Blocking::for_caches(Tier::Avx2, caches);
        let chosen = Blocking { kc: 320, ..b };
        file_for(&cpu, caches, Tier::Avx2, chosen)
            .save(&path)
            .unwrap();
        // What `CacheDir` would read, named explicitly, is used ...
        let read = Active::resolve(&Setting::File(path.clone()), &cpu, caches);
        assert_eq!(read.tier(Tier::Avx2).blocking, chosen);
        // ... and in a debug build the unset variable reads nothing.
        let a = Active::resolve(&Setting::DebugBuild, &cpu, caches);
        assert_eq!(a.origin, Origin::DebugBuild);
        assert_eq!(a.tier(Tier::Avx2).blocking, b);
        assert!(a.describe(Tier::Avx2).contains("debug build"));
        // This test binary, a debug build under `cargo test`, is one of them.
        if cfg!(debug_assertions) {
            assert_ne!(Setting::from_env(), Setting::CacheDir);
        }
    }

    #[test]
    fn a_valid_file_sets_its_tiers_and_leaves_the_others_at_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        let (cpu, caches) = (CpuId::detect(), Caches::detected());
        // Every tile the tier offers can be chosen; use the last one.
        let last = *crate::matmul::kernel::tiles(Tier::Avx2).last().unwrap();
        let chosen = Blocking {
            kc: 320,
            at_pack_stride: 0,
            ..Blocking::for_tile(last.mr, last.nr, caches)
        };
        file_for(&cpu, caches, Tier::Avx2, chosen)
            .save(&path)
            .unwrap();
        let a = Active::resolve(&Setting::File(path.clone()), &cpu, caches);
        assert_eq!(a.origin, Origin::File(path.clone()));
        assert_eq!(a.tier(Tier::Avx2).blocking, chosen);
        assert_eq!(
            (a.tier(Tier::Avx2).micro.mr, a.tier(Tier::Avx2).micro.nr),
            (last.mr, last.nr)
        );
        for t in [Tier::Scalar, Tier::Avx512] {
            assert_eq!(a.tier(t).blocking, Blocking::for_caches(t, caches), "{t}");
        }
        assert!(
            a.describe(Tier::Avx2).contains("kc 320") && a.describe(Tier::Avx2).contains("t.json")
        );
        // `off` never reads it.
        let off = Active::resolve(&Setting::Off, &cpu, caches);
        assert_eq!(off.origin, Origin::Off);
        assert_eq!(
            off.tier(Tier::Avx2).blocking,
            Blocking::for_caches(Tier::Avx2, caches)
        );
    }

    #[test]
    fn unusable_files_fall_back_to_the_defaults_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let (cpu, caches) = (CpuId::detect(), Caches::detected());
        let defaults = |a: &Active| {
            Tier::ALL
                .iter()
                .all(|&t| a.tier(t).blocking == Blocking::for_caches(t, caches))
        };
        // Named but missing.
        let missing = dir.path().join("missing.json");
        let a = Active::resolve(&Setting::File(missing), &cpu, caches);
        assert!(
            matches!(&a.origin, Origin::Rejected(w) if w.contains("missing.json")),
            "{:?}",
            a.origin
        );
        assert!(defaults(&a));
        // Damaged.
        let damaged = dir.path().join("damaged.json");
        std::fs::write(&damaged, "{\"schema_version\": 1, \"cpu\": 3}").unwrap();
        let a = Active::resolve(&Setting::File(damaged), &cpu, caches);
        assert!(
            matches!(&a.origin, Origin::Rejected(w) if w.contains("not a tuning file")),
            "{:?}",
            a.origin
        );
        assert!(defaults(&a));
        // Another CPU model: a CPU never seen keeps the defaults.
        let other = CpuId {
            model: cpu.model + 1,
            ..cpu.clone()
        };
        let path = dir.path().join("other.json");
        let b = Blocking::for_caches(Tier::Avx2, caches);
        file_for(&other, caches, Tier::Avx2, Blocking { kc: 64, ..b })
            .save(&path)
            .unwrap();
        let a = Active::resolve(&Setting::File(path), &cpu, caches);
        assert!(
            matches!(&a.origin, Origin::Rejected(w) if w.contains("measured on")),
            "{:?}",
            a.origin
        );
        assert!(defaults(&a));
        // Other cache sizes.
        let path = dir.path().join("caches.json");
        let bigger = Caches {
            l2: caches.l2 * 2,
            ..caches
        };
        file_for(&cpu, bigger, Tier::Avx2, b).save(&path).unwrap();
        let a = Active::resolve(&Setting::File(path), &cpu, caches);
        assert!(
            matches!(&a.origin, Origin::Rejected(w) if w.contains("L2")),
            "{:?}",
            a.origin
        );
        assert!(defaults(&a));
    }
}
