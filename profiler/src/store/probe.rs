//! Probes: the partial measurements `bisect` takes of each candidate (one
//! workload, one metric mode). They are kept for inspection under
//! `probes/<key>-<metric mode>-<workloads hash>.json`, apart from the results:
//! never listed, resolved or shared as a commit's result, so a probe cannot
//! replace or impersonate a full run.

use super::Store;
use super::save::serialise;
use crate::error::Result;
use crate::result::{RunResult, write};
use std::path::PathBuf;

/// The probes' directory inside the results directory.
pub const PROBES_DIR: &str = "probes";

impl Store {
    /// Where a probe is kept: one file per commit, metric mode and set of workloads.
    pub fn probe_path(&self, r: &RunResult) -> PathBuf {
        let mut names: Vec<&str> = r.workloads.iter().map(|w| w.name.as_str()).collect();
        names.sort_unstable();
        let set = git2::Oid::hash_object(git2::ObjectType::Blob, names.join("\n").as_bytes())
            .map(|o| o.to_string())
            .unwrap_or_default();
        self.dir().join(PROBES_DIR).join(format!(
            "{}-{}-{}.json",
            r.key(),
            r.settings.metric_mode,
            &set[..12.min(set.len())]
        ))
    }

    /// Save a probe (atomically; a probe of the same commit, mode and workloads is replaced).
    pub fn save_probe(&self, r: &RunResult) -> Result<PathBuf> {
        let path = self.probe_path(r);
        write::write_atomic(&path, &serialise(r)?)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Replace, test_fixture::result};

    #[test]
    fn probes_live_apart_and_never_touch_or_pose_as_results() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::with_repo(tmp.path(), None);
        let full = result(&["a/1", "b/1"], "time", "1");
        let path = store.save(&full, Replace::Always).unwrap();
        let time = store.save_probe(&result(&["a/1"], "time", "2")).unwrap();
        let counted = store
            .save_probe(&result(&["a/1"], "instructions", "3"))
            .unwrap();
        let other = store.save_probe(&result(&["b/1"], "time", "4")).unwrap();
        assert_eq!(crate::result::load(&path).unwrap(), full);
        assert!(time.starts_with(tmp.path().join("probes")));
        assert_ne!(time, counted);
        assert_ne!(time, other);
        let name = time.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with(&format!("{}-time-", full.key())), "{name}");
        let keys: Vec<String> = store.list().unwrap().into_iter().map(|e| e.key).collect();
        assert_eq!(keys, vec![full.key()]);
        assert_eq!(store.resolve(&full.key()[..8]).unwrap().result, full);
    }
}
