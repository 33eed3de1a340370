//! The tuning file: one small JSON document per CPU model (format in
//! `docs/sgemm-tuning.md`), read whole and written atomically.

use super::cpu::CpuId;
use crate::matmul::blocking::Blocking;
use crate::matmul::cache::Caches;
use crate::simd::Tier;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The version of the file format this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Files larger than this are not tuning files (a few KiB in practice).
const MAX_BYTES: u64 = 1 << 20;

/// What went wrong with a tuning file.
#[derive(Debug, thiserror::Error)]
pub enum TuningError {
    /// The file could not be read, or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not JSON of the expected shape.
    #[error("{path}: not a tuning file: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Written by a build with another format.
    #[error(
        "{path}: schema_version {found}, this build reads {SCHEMA_VERSION} (run sgemm_tune again)"
    )]
    Schema { path: PathBuf, found: u64 },
    /// Well-formed but not usable here (another CPU, other caches, a bad blocking).
    #[error("{path}: {reason}")]
    Rejected { path: PathBuf, reason: String },
    /// `SMALLMIND_SGEMM_TUNING` cannot be used.
    #[error("SMALLMIND_SGEMM_TUNING: {0}")]
    Setting(String),
    /// The calibration could not run.
    #[error("sgemm calibration: {0}")]
    Calibration(String),
}

/// One calibration of one CPU model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TuningFile {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The CPU it was measured on; only that model's processes use it.
    pub cpu: CpuId,
    /// The per-core caches seen then; other caches (another VM size) void it.
    pub caches: Caches,
    /// The smallmind version that measured it.
    pub smallmind_version: String,
    /// When it was measured, seconds since the Unix epoch.
    pub created_unix: u64,
    /// Per tier name (`avx512`, `avx2`): what was chosen and the evidence.
    pub tiers: BTreeMap<String, TierTuning>,
}

/// The calibration of one tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierTuning {
    /// The tile and blocks chosen: the search's choice, its gradient part or the defaults
    /// (`calibrate/final_check.rs`).
    pub blocking: Blocking,
    /// The blocking derived from the caches, which the choice had to beat.
    pub default: Blocking,
    /// Throughput of the reference products with the default and the written blocking
    /// (the search's choice when the defaults are written), measured in the same rounds
    /// at the end (GFLOPS, geometric mean).
    pub default_gflops: f64,
    pub tuned_gflops: f64,
    /// Median over the final rounds of the per-round ratio, over every reference
    /// product, of that blocking's throughput ÷ the defaults'.
    pub speedup: f64,
    /// Every candidate measured, in order.
    pub trials: Vec<Trial>,
}

/// One candidate of one stage of the calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trial {
    /// The parameter varied: `tile`, `kc_nc`, `mc`, `kc_tn`, `at_pack_stride`,
    /// `narrow_b_in_place_rows`, `b_in_place_max` or `gemv_far_above` (older files:
    /// `kc`, `nc` and `kc_kept` for `kc_nc`).
    pub stage: String,
    /// Its value (`8x48`, `256`, `512/384` for KC/NC, …).
    pub value: String,
    /// The stage's score: GFLOPS (geometric mean over its products).
    pub gflops: f64,
}

impl TuningFile {
    /// Read and check `path`: the schema version, then each tier's blocking against
    /// what that tier offers. CPU and caches are checked by [`Self::applies_to`].
    pub fn load(path: &Path) -> Result<TuningFile, TuningError> {
        let io = |source| TuningError::Io {
            path: path.to_path_buf(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > MAX_BYTES {
            return Err(TuningError::Rejected {
                path: path.to_path_buf(),
                reason: format!("{len} bytes: too large for a tuning file"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::parse(&text, path)
    }

    /// Parse `text` (read from `path`, for the messages) and check it as [`Self::load`] does.
    pub fn parse(text: &str, path: &Path) -> Result<TuningFile, TuningError> {
        let parse = |source| TuningError::Parse {
            path: path.to_path_buf(),
            source,
        };
        // The version first, so that a file of another format says so rather than
        // failing on whatever field changed.
        let value: serde_json::Value = serde_json::from_str(text).map_err(parse)?;
        let found = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| TuningError::Rejected {
                path: path.to_path_buf(),
                reason: "no schema_version".into(),
            })?;
        if found != u64::from(SCHEMA_VERSION) {
            return Err(TuningError::Schema {
                path: path.to_path_buf(),
                found,
            });
        }
        let file: TuningFile = serde_json::from_value(value).map_err(parse)?;
        for (name, t) in &file.tiers {
            let reject = |reason: String| TuningError::Rejected {
                path: path.to_path_buf(),
                reason,
            };
            let tier: Tier = name
                .parse()
                .map_err(|_| reject(format!("unknown tier {name:?}")))?;
            if tier == Tier::Scalar {
                return Err(reject("the scalar tier is not tuned".into()));
            }
            // A tier this CPU lacks cannot run its kernels; its entry is checked only
            // against the tile tables (which every build has).
            t.blocking
                .validate(tier)
                .map_err(|e| reject(format!("{name}: {e}")))?;
        }
        Ok(file)
    }

    /// Why this file does not apply to `cpu` with `caches`, if it does not.
    pub fn applies_to(&self, cpu: &CpuId, caches: Caches) -> Result<(), String> {
        if self.cpu.key() != cpu.key() {
            return Err(format!(
                "measured on {} ({}), this CPU is {} ({})",
                self.cpu.key(),
                self.cpu.brand,
                cpu.key(),
                cpu.brand
            ));
        }
        if self.caches != caches {
            return Err(format!(
                "measured with L1d {} B / L2 {} B per core, this CPU has {} B / {} B",
                self.caches.l1d, self.caches.l2, caches.l1d, caches.l2
            ));
        }
        Ok(())
    }

    /// The blocking chosen for `tier`, if the file has one.
    pub fn blocking(&self, tier: Tier) -> Option<Blocking> {
        self.tiers.get(tier.as_str()).map(|t| t.blocking)
    }

    /// Write to `path` atomically: a temporary file in the same directory (created
    /// if missing), flushed to disk, then renamed over `path`.
    pub fn save(&self, path: &Path) -> Result<(), TuningError> {
        let io = |source| TuningError::Io {
            path: path.to_path_buf(),
            source,
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut text = serde_json::to_string_pretty(self).map_err(|e| io(e.into()))?;
        text.push('\n');
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sgemm".into());
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> TuningFile {
        let caches = Caches {
            l1d: 32 * 1024,
            l2: 1024 * 1024,
        };
        let blocking = Blocking::for_caches(Tier::Avx2, caches);
        let mut tiers = BTreeMap::new();
        tiers.insert(
            "avx2".to_string(),
            TierTuning {
                blocking: Blocking {
                    kc: 256,
                    ..blocking
                },
                default: blocking,
                default_gflops: 90.0,
                tuned_gflops: 99.0,
                speedup: 1.1,
                trials: vec![Trial {
                    stage: "kc_nc".into(),
                    value: "256/512".into(),
                    gflops: 99.0,
                }],
            },
        );
        TuningFile {
            schema_version: SCHEMA_VERSION,
            cpu: CpuId {
                vendor: "AuthenticAMD".into(),
                family: 25,
                model: 17,
                stepping: 1,
                brand: "AMD EPYC".into(),
            },
            caches,
            smallmind_version: "0.1.0".into(),
            created_unix: 1,
            tiers,
        }
    }

    #[test]
    fn a_saved_file_loads_back_equal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("sgemm-x.json");
        let file = sample();
        file.save(&path).unwrap();
        assert_eq!(TuningFile::load(&path).unwrap(), file);
        // Saving again replaces it, and leaves no temporary file behind.
        file.save(&path).unwrap();
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("sgemm-x.json")]);
    }

    #[test]
    fn a_file_written_before_narrow_b_in_place_rows_or_a_ahead_reads_the_old_values() {
        let mut v: serde_json::Value = serde_json::to_value(sample()).unwrap();
        for key in ["blocking", "default"] {
            let b = v["tiers"]["avx2"][key].as_object_mut().unwrap();
            assert!(b.remove("narrow_b_in_place_rows").is_some());
            assert!(b.remove("a_ahead").is_some());
        }
        let f = TuningFile::parse(&v.to_string(), Path::new("old.json")).unwrap();
        let t = &f.tiers["avx2"];
        assert_eq!(t.blocking.narrow_b_in_place_rows, 64);
        assert_eq!(t.default.narrow_b_in_place_rows, 64);
        assert_eq!((t.blocking.a_ahead, t.default.a_ahead), (8, 8));
    }

    #[test]
    fn the_decoders_threshold_is_written_when_measured_and_read_as_the_rule_when_absent() {
        let mut f = sample();
        let t = f.tiers.get_mut("avx2").unwrap();
        t.blocking.gemv_far_above = Some(25 << 20);
        let text = serde_json::to_string(&f).unwrap();
        // The defaults never carry it (they use the rule): no key, no `null`.
        assert_eq!(text.matches("gemv_far_above").count(), 1, "{text}");
        let back = TuningFile::parse(&text, Path::new("t.json")).unwrap();
        assert_eq!(back.tiers["avx2"].blocking.gemv_far_above, Some(25 << 20));
        assert_eq!(back.tiers["avx2"].default.gemv_far_above, None);
        // A file written before it existed: the rule.
        let old = TuningFile::parse(
            &serde_json::to_string(&sample()).unwrap(),
            Path::new("o.json"),
        );
        assert_eq!(old.unwrap().tiers["avx2"].blocking.gemv_far_above, None);
        assert!(
            back.tiers["avx2"]
                .blocking
                .to_string()
                .ends_with("gemv_far_above 26214400")
        );
        assert!(
            back.tiers["avx2"]
                .default
                .to_string()
                .ends_with("gemv_far_above llc/2")
        );
    }

    #[test]
    fn bad_files_are_errors_that_say_why() {
        let p = Path::new("t.json");
        let text = |f: &TuningFile| serde_json::to_string(f).unwrap();
        let err = |s: &str| TuningFile::parse(s, p).unwrap_err().to_string();
        assert!(err("{").contains("not a tuning file"), "{}", err("{"));
        assert!(err("{}").contains("no schema_version"));
        let mut v: serde_json::Value = serde_json::from_str(&text(&sample())).unwrap();
        v["schema_version"] = 99.into();
        let e = err(&v.to_string());
        assert!(
            e.contains("schema_version 99") && e.contains("sgemm_tune"),
            "{e}"
        );
        let mut f = sample();
        f.tiers.get_mut("avx2").unwrap().blocking.mr = 7;
        let e = err(&text(&f));
        assert!(e.contains("avx2") && e.contains("no 7x16 tile"), "{e}");
        let mut f = sample();
        let t = f.tiers.remove("avx2").unwrap();
        f.tiers.insert("neon".into(), t.clone());
        assert!(err(&text(&f)).contains("unknown tier"));
        let mut f = sample();
        f.tiers.insert("scalar".into(), t);
        assert!(err(&text(&f)).contains("scalar tier is not tuned"));
        let missing = TuningFile::load(Path::new("/nonexistent/sgemm.json")).unwrap_err();
        assert!(matches!(missing, TuningError::Io { .. }), "{missing}");
    }

    #[test]
    fn a_file_applies_only_to_its_cpu_and_caches() {
        let f = sample();
        assert!(f.applies_to(&f.cpu, f.caches).is_ok());
        let other = CpuId {
            model: 33,
            ..f.cpu.clone()
        };
        assert!(
            f.applies_to(&other, f.caches)
                .unwrap_err()
                .contains("AuthenticAMD-25-33")
        );
        // Stepping and brand are not part of the key.
        let same = CpuId {
            stepping: 2,
            brand: "other".into(),
            ..f.cpu.clone()
        };
        assert!(f.applies_to(&same, f.caches).is_ok());
        let e = f
            .applies_to(
                &f.cpu,
                Caches {
                    l1d: 48 * 1024,
                    ..f.caches
                },
            )
            .unwrap_err();
        assert!(e.contains("L1d"), "{e}");
        assert_eq!(f.blocking(Tier::Avx512), None);
        assert_eq!(f.blocking(Tier::Avx2), Some(f.tiers["avx2"].blocking));
    }
}
