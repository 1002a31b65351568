//! What face compare and search serve with: the recognizer's name and threshold, and the persons gallery.
//!
//! The gallery is the SQLite file `liveness persons add` writes. It is read once at start (a missing
//! gallery, or one made with another recognizer or crop rule, stops the server before it listens) and read
//! again by the first request after the file changes, so a person enrolled while the server runs is
//! searchable at once and no request sees a half-loaded gallery.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use anyhow::{Result, anyhow};
use serde_json::Value;

use super::errors::ApiError;
use crate::gallery::{DB_FILE, Gallery, GalleryKey, Index};

/// Face match as served.
pub struct FaceMatch {
    /// The recognizer as responses name it (name, origin, sha256, crop rule, dimension).
    pub recognizer: Value,
    pub recognizer_name: String,
    /// The PAD model whose score decides liveness.
    pub pad_model: String,
    /// Match iff distance < this, unless a request may and does override it.
    pub threshold: f64,
    pub gallery: Option<Arc<ServedGallery>>,
}

/// The persons gallery, reloaded when its file changes.
pub struct ServedGallery {
    dir: PathBuf,
    key: GalleryKey,
    loaded: Mutex<Loaded>,
}

struct Loaded {
    modified: Option<SystemTime>,
    index: Arc<Index>,
}

impl ServedGallery {
    /// Reads the gallery in `dir`, refusing one made under another key.
    pub fn open(dir: &Path, key: GalleryKey) -> Result<ServedGallery> {
        let (modified, index) = load(dir, &key)?;
        Ok(ServedGallery { dir: dir.to_path_buf(), key, loaded: Mutex::new(Loaded { modified, index }) })
    }

    /// Persons and descriptors now held.
    pub fn size(&self) -> (usize, usize) {
        self.loaded.lock().map(|l| (l.index.identities(), l.index.descriptors())).unwrap_or_default()
    }

    /// The gallery as it is on disk now (off the async threads: a reload reads the whole file).
    pub async fn index(self: &Arc<Self>) -> Result<Arc<Index>, ApiError> {
        let this = self.clone();
        let current = tokio::task::spawn_blocking(move || this.current())
            .await
            .map_err(|e| ApiError::internal(format!("the gallery reader stopped: {e}")))?;
        current.map_err(|e| ApiError::unavailable("gallery_unavailable", format!("{e:#}"), 5))
    }

    fn current(&self) -> Result<Arc<Index>> {
        let modified = modified(&self.dir);
        let mut loaded = self.loaded.lock().map_err(|_| anyhow!("the gallery lock is poisoned"))?;
        if modified != loaded.modified {
            let (modified, index) = load(&self.dir, &self.key)?;
            *loaded = Loaded { modified, index };
        }
        Ok(loaded.index.clone())
    }
}

/// The file's modification time is read before the file, so a change during the read is seen next time.
fn load(dir: &Path, key: &GalleryKey) -> Result<(Option<SystemTime>, Arc<Index>)> {
    let modified = modified(dir);
    let index = Gallery::open(dir, key, false)?.index()?;
    Ok((modified, Arc::new(index)))
}

fn modified(dir: &Path) -> Option<SystemTime> {
    std::fs::metadata(dir.join(DB_FILE)).and_then(|m| m.modified()).ok()
}
