//! Writing files so that no failure (a full disk, a kill, a power cut) leaves a
//! partial file or loses the previous one: the bytes go to a temporary file in
//! the target's directory, are flushed to disk, and only then renamed over the
//! target (rename within one directory is atomic); the directory is synced last.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A complete, synced temporary file waiting to be renamed over its target.
/// Dropping it without [`Staged::commit`] removes it.
#[derive(Debug)]
pub struct Staged {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl Staged {
    /// Rename the staged file over its target and sync the directory.
    pub fn commit(self) -> Result<()> {
        let target = self.target;
        self.tmp
            .persist(&target)
            .map_err(|e| Error::io(&target, e.error))?;
        sync_dir(parent_dir(&target))
    }
}

/// Write `bytes` to a synced temporary file beside `path` (creating the directory).
/// Nothing at `path` changes until [`Staged::commit`].
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let dir = parent_dir(path);
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".smprof-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    // Temporary files are created 0600; results and reports are meant to be read
    // (served, uploaded, shared), so they get the usual 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    Ok(Staged {
        tmp,
        target: path.to_path_buf(),
    })
}

/// Write `bytes` to `path` atomically: an interrupted or failed write leaves the
/// old file (or none), never a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit()
}

/// Check that files can be created in `dir` (creating it): a temporary file is
/// made and removed. The error names the path that failed.
pub fn ensure_writable(dir: &Path) -> std::result::Result<(), (PathBuf, std::io::Error)> {
    std::fs::create_dir_all(dir).map_err(|e| (dir.to_path_buf(), e))?;
    tempfile::Builder::new()
        .prefix(".smprof-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|e| (dir.to_path_buf(), e))
}

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Make renames and links in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let d = std::fs::File::open(dir).map_err(|e| Error::io(dir, e))?;
        d.sync_all().map_err(|e| Error::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_writes_are_readable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/report.html");
        write_atomic(&path, b"<p>x</p>").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"<p>x</p>");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn a_staged_file_changes_nothing_until_committed_and_leaves_nothing_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, b"old").unwrap();
        let staged = stage(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        drop(staged);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("r.json")]);
        stage(&path, b"new").unwrap().commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
    }
}
