//! A model file is the file its descriptor names only if its sha256 says so: checked at every load.
//!
//! Why at load: a file swapped under the descriptor's name changes every score while metrics.json would
//! record the descriptor's hash. Hashing the few MB of a PAD model costs milliseconds; the result is
//! cached per path, keyed by size and modification time, so the per-worker loads of one run hash once.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

type Key = (u64, Option<SystemTime>);

static HASHES: Mutex<Option<HashMap<PathBuf, (Key, String)>>> = Mutex::new(None);

/// The sha256 (lowercase hex) of the file at `path`.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = crate::input::open_regular(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// [`sha256_file`], remembered while the file keeps its size and modification time.
pub fn sha256_cached(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let key = (meta.len(), meta.modified().ok());
    if let Some((k, h)) = HASHES.lock().ok().and_then(|m| m.as_ref().and_then(|m| m.get(path).cloned())) {
        if k == key {
            return Ok(h);
        }
    }
    let h = sha256_file(path)?;
    if let Ok(mut m) = HASHES.lock() {
        m.get_or_insert_with(HashMap::new).insert(path.to_path_buf(), (key, h.clone()));
    }
    Ok(h)
}

/// Refuses a model file whose sha256 is not the descriptor's.
pub fn check_sha256(path: &Path, expected: &str) -> Result<()> {
    let got = sha256_cached(path)?;
    if !got.eq_ignore_ascii_case(expected) {
        bail!(
            "{}: sha256 is {got}, but the descriptor says {expected}: the file was replaced or corrupted. Fix: \
             restore the file (`liveness models fetch <model>`) or write a descriptor for the new file",
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_file_is_hashed_again() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.onnx");
        std::fs::write(&p, b"one").unwrap();
        let one = sha256_cached(&p).unwrap();
        assert_eq!(one, sha256_file(&p).unwrap());
        check_sha256(&p, &one.to_uppercase()).unwrap();
        std::fs::write(&p, b"other file").unwrap();
        let e = check_sha256(&p, &one).unwrap_err().to_string();
        assert!(e.contains("was replaced or corrupted"), "{e}");
    }
}
