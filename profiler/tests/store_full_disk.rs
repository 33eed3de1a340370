//! A result is never lost: saving on a full disk fails before anything is
//! touched, so the previous result stays under its key (the old store renamed it
//! to `.prev.json` first, and a failed write left the key empty). The full disk
//! is a 160 KiB tmpfs, which needs root; elsewhere the test says it is skipped.

use crate::result_fixture;

use smprof::result::load;
use smprof::store::{Replace, Store};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    dir: PathBuf,
    _parent: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "skipped: cannot mount a tmpfs (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return None;
        }
        Some(Tmpfs {
            dir,
            _parent: parent,
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Fill the file system holding `dir` until a write fails.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).and_then(|()| f.sync_all()).is_ok() {}
    path
}

#[test]
fn a_full_disk_fails_the_save_and_the_previous_result_survives() {
    let Some(fs) = Tmpfs::mount("160k") else {
        return;
    };
    let store = Store::with_repo(&fs.dir.join("baselines"), None);
    let first = result_fixture::sample_result();
    let path = store.save(&first, Replace::Always).unwrap();
    // The rerun's result is larger than what is left once the disk is full.
    let mut second = first.clone();
    second.created_at = "2026-11-22T08:00:00Z".into();
    for i in 0..40 {
        let mut w = first.workloads[0].clone();
        w.name = format!("matmul/{i}");
        second.workloads.push(w);
    }
    let filler = fill(&fs.dir);

    let err = store
        .save(&second, Replace::Always)
        .unwrap_err()
        .to_string();
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(load(&path).unwrap(), first, "the previous result is intact");
    let names: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![format!("{}.json", first.key())],
        "nothing else left behind"
    );

    // With room again the same save goes through and keeps the first as `.prev`.
    std::fs::remove_file(filler).unwrap();
    store.save(&second, Replace::Always).unwrap();
    assert_eq!(load(&path).unwrap(), second);
    let prev = store.dir().join(format!("{}.prev.json", first.key()));
    assert_eq!(load(&prev).unwrap(), first);
}
