//! Saving a result under its key without ever losing one.
//!
//! Order of operations, each step leaving whole files only: (1) the new result
//! is written to a synced temporary file beside the key (a full disk fails here,
//! before anything is touched); (2) the result already under the key becomes
//! `<key>.prev.json` by a hard link (a copy where links are not supported) made
//! under a temporary name and renamed over the old `.prev`; (3) the temporary
//! file is renamed over the key. A kill between any two steps leaves the old
//! result under the key or under `.prev`, never neither.
//!
//! A result replaces another only when it covers it (the same metric mode and
//! every workload), unless the caller says [`Replace::Always`]: a one-workload
//! probe must not push a full run out of the store.

use super::Store;
use super::error::{Coverage, StoreError};
use crate::error::{Error, Result};
use crate::result::{self, RunResult, write};
use std::path::{Path, PathBuf};

/// When a save may replace the result already under its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Only a result it covers: the same metric mode and every workload.
    Covered,
    /// Whatever is there (a full run of the catalogue, or the user said so).
    Always,
}

/// How many missing workloads a refusal names.
const NAMED_MISSING: usize = 5;

impl Store {
    /// Save a result under its key; the result there before is kept as
    /// `<key>.prev.json`. Returns the path written.
    pub fn save(&self, r: &RunResult, replace: Replace) -> Result<PathBuf> {
        let path = self.path_for(r);
        if replace == Replace::Covered {
            self.check_replace(&r.key(), &names(r), &r.settings.metric_mode)?;
        }
        let staged = write::stage(&path, &serialise(r)?)?;
        if path.exists() {
            let prev = self.dir().join(format!("{}.prev.json", r.key()));
            keep_previous(&path, &prev)?;
        }
        staged.commit()?;
        Ok(path)
    }

    /// Whether a result of `workloads` in `metric_mode` may replace what is stored
    /// under `key` with [`Replace::Covered`]: `Err(WouldNarrow)` when it lacks some
    /// of the stored workloads or measured another metric mode. Checked again at
    /// save; `run` asks first, before spending minutes measuring.
    pub fn check_replace(&self, key: &str, workloads: &[String], metric_mode: &str) -> Result<()> {
        let path = self.dir().join(format!("{key}.json"));
        if !path.exists() {
            return Ok(());
        }
        // A damaged file holds nothing to protect; it is still kept as `.prev`.
        let Ok(existing) = result::load(&path) else {
            return Ok(());
        };
        let missing: Vec<String> = names(&existing)
            .into_iter()
            .filter(|n| !workloads.contains(n))
            .collect();
        if missing.is_empty() && existing.settings.metric_mode == metric_mode {
            return Ok(());
        }
        let mut named: Vec<String> = missing.iter().take(NAMED_MISSING).cloned().collect();
        if missing.len() > NAMED_MISSING {
            named.push(format!("{} more", missing.len() - NAMED_MISSING));
        }
        Err(StoreError::WouldNarrow {
            path,
            existing: Coverage {
                workloads: existing.workloads.len(),
                metric_mode: existing.settings.metric_mode.clone(),
            },
            new: Coverage {
                workloads: workloads.len(),
                metric_mode: metric_mode.to_string(),
            },
            missing: named,
        }
        .into())
    }
}

fn names(r: &RunResult) -> Vec<String> {
    r.workloads.iter().map(|w| w.name.clone()).collect()
}

pub(super) fn serialise(r: &RunResult) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(r).map_err(|e| Error::Other {
        what: "serialising result".into(),
        reason: e.to_string(),
    })
}

/// Make `prev` a whole copy of `path` (which stays), replacing an older `prev`.
fn keep_previous(path: &Path, prev: &Path) -> Result<()> {
    let dir = write::parent_dir(path);
    let link = dir.join(format!(
        ".smprof-prev-{}-{}.tmp",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    match std::fs::hard_link(path, &link) {
        Ok(()) => std::fs::rename(&link, prev).map_err(|e| {
            let _ = std::fs::remove_file(&link);
            Error::io(prev, e)
        }),
        // No hard links on this file system: a copy, written atomically.
        Err(_) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            write::write_atomic(prev, &bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_fixture::result;

    #[test]
    fn a_narrower_result_or_another_mode_does_not_replace_a_wider_one_unless_told() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::with_repo(tmp.path(), None);
        let full = result(&["a/1", "b/1", "c/1"], "time", "1");
        let path = store.save(&full, Replace::Covered).unwrap();
        for narrower in [
            result(&["a/1"], "time", "2"),
            result(&["a/1", "b/1", "c/1"], "instructions", "2"),
        ] {
            let err = store.save(&narrower, Replace::Covered).unwrap_err();
            assert!(
                matches!(err, Error::Store(StoreError::WouldNarrow { .. })),
                "{err}"
            );
            assert_eq!(result::load(&path).unwrap(), full);
        }
        let err = store
            .check_replace(&full.key(), &["a/1".into()], "time")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("3 workloads, time")
                && err.contains("1 workload, time")
                && err.contains("without b/1, c/1"),
            "{err}"
        );
        // A wider result in the same mode replaces; the replaced one is kept.
        let wider = result(&["a/1", "b/1", "c/1", "d/1"], "time", "3");
        store.save(&wider, Replace::Covered).unwrap();
        let prev = tmp.path().join(format!("{}.prev.json", full.key()));
        assert_eq!(result::load(&prev).unwrap(), full);
        // Told to, anything replaces.
        let one = result(&["a/1"], "instructions", "4");
        store.save(&one, Replace::Always).unwrap();
        assert_eq!(result::load(&path).unwrap(), one);
        assert_eq!(result::load(&prev).unwrap(), wider);
        let left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
