//! One writer per results directory: `run` holds an exclusive lock on
//! `<dir>/.lock` from before measuring until its result is saved, so two runs on
//! one machine neither share its CPUs unknowingly nor save over each other.
//! The lock is the kernel's (`flock` through `File::try_lock`): a killed holder
//! releases it with its last descriptor. The holder writes its pid into the file
//! and removes the file when done; a lock taken on a file removed meanwhile is
//! not held (the path is checked to still name the locked file).

use super::Store;
use super::error::StoreError;
use crate::error::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name inside the results directory.
pub const LOCK_FILE: &str = ".lock";

/// A held lock; dropping it removes the lock file and releases the lock.
#[derive(Debug)]
pub struct StoreLock {
    file: Option<File>,
    pub path: PathBuf,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // Removed while still locked, then unlocked by closing: whoever opened the
        // old file meanwhile sees it is gone (see `lock`).
        let _ = std::fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

impl Store {
    /// Take the directory's lock now or fail at once, naming the holder's pid.
    pub fn lock(&self) -> Result<StoreLock> {
        self.ensure_writable()?;
        let path = self.dir().join(LOCK_FILE);
        // A few tries: each lost race is another process's whole lock-and-release.
        for _ in 0..8 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| Error::io(&path, e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = file.read_to_string(&mut text);
                    return Err(StoreError::Locked {
                        holder: text
                            .trim()
                            .strip_prefix("pid ")
                            .and_then(|p| p.parse().ok()),
                        path,
                    }
                    .into());
                }
                Err(TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
            if !names_file(&path, &file) {
                continue;
            }
            // Who holds it, for the message of the next one that tries.
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| writeln!(file, "pid {}", std::process::id()))
                .map_err(|e| Error::io(&path, e))?;
            return Ok(StoreLock {
                file: Some(file),
                path,
            });
        }
        Err(StoreError::Locked { path, holder: None }.into())
    }

    /// Fail early (before minutes of measuring) when results cannot be written here:
    /// creates the directory and a temporary file in it.
    pub fn ensure_writable(&self) -> Result<()> {
        crate::result::write::ensure_writable(self.dir())
            .map_err(|(path, source)| StoreError::NotWritable { path, source }.into())
    }
}

/// Whether `path` still names the open `file` (its holder may have removed it).
fn names_file(path: &Path, file: &File) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(path), file.metadata()) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, file);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_at_once_naming_the_holder_and_a_released_one_is_free() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::with_repo(&tmp.path().join("baselines"), None);
        let held = store.lock().unwrap();
        // flock locks belong to open file descriptions: a second open in this
        // process contends like another process would.
        let err = store.lock().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())) && text.contains(".lock"),
            "{text}"
        );
        assert!(matches!(
            err,
            Error::Store(StoreError::Locked { holder: Some(p), .. }) if p == std::process::id()
        ));
        drop(held);
        assert!(!store.dir().join(LOCK_FILE).exists(), "removed on release");
        let again = store.lock().unwrap();
        assert!(store.dir().join(LOCK_FILE).exists());
        drop(again);
        // A holder killed with its file in place: the kernel released the lock.
        std::fs::write(store.dir().join(LOCK_FILE), "pid 999999999\n").unwrap();
        let after_kill = store.lock().unwrap();
        let text = std::fs::read_to_string(&after_kill.path).unwrap();
        assert_eq!(text, format!("pid {}\n", std::process::id()));
    }
}
