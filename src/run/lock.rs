//! One writer per run folder: an advisory lock on `RUN/.lock`, held while the run writes.
//!
//! Two `eval --out SAME` at once would interleave their rows into one corrupt `scores.csv`. The lock is
//! the kernel's (flock), so a writer killed with SIGKILL releases it with its last file descriptor: a
//! stale lock file never blocks the resume.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::schema::run_folder::LOCK_FILE;

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct RunLock(#[allow(dead_code)] File);

/// Takes the lock of run folder `dir` (which must exist), or refuses naming the folder.
pub fn lock(dir: &Path) -> Result<RunLock> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(RunLock(file)),
        Err(TryLockError::WouldBlock) => bail!(
            "{} is in use by another liveness process (lock {} is held); wait for it or use another --out",
            dir.display(),
            path.display()
        ),
        Err(TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let e = lock(dir.path()).unwrap_err().to_string();
        assert!(e.contains("in use by another liveness process"), "{e}");
        drop(first);
        lock(dir.path()).unwrap();
    }
}
