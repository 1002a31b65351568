//! The gallery file: SQLite (rusqlite, bundled), so enrolments are transactional and a half-written
//! gallery cannot exist.
//!
//! Tables: `gallery` (what made the descriptors: model name, model sha256, crop rule, dimension),
//! `person` (unique name, when and by which tool), `descriptor` (one row per enrolment image: its path and
//! sha256, the chip rule actually used and the mesh presence, the liveness score and model that let it in,
//! and the vector as little-endian `f32`). The file carries an application id, so another program's
//! SQLite file is named as such rather than read as an empty gallery.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::{DB_FILE, Index};

/// `PRAGMA application_id` of a liveness gallery ("lvgl").
const APPLICATION_ID: i64 = 0x6c76_676c;
/// `PRAGMA user_version`: the table layout below.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE gallery (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE person (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    enrolled_utc TEXT NOT NULL,
    tool TEXT NOT NULL
);
CREATE TABLE descriptor (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES person(id),
    image TEXT NOT NULL,
    image_sha256 TEXT NOT NULL,
    chip_rule TEXT NOT NULL,
    mesh_presence REAL,
    live REAL NOT NULL,
    pad_model TEXT NOT NULL,
    pad_threshold REAL NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX descriptor_person ON descriptor(person_id);
";

/// What made a gallery's descriptors. Two runs may share a gallery only if all of it is equal.
#[derive(Clone, Debug, PartialEq)]
pub struct GalleryKey {
    pub model: String,
    pub model_sha256: String,
    /// The descriptor's crop rule (`dlib5`, with its per-image `box` fallback, or `box`).
    pub crop_rule: String,
    pub dim: usize,
}

impl GalleryKey {
    fn entries(&self) -> [(&'static str, String); 4] {
        // What makes descriptors incomparable comes first, so the error names it before the name does.
        [
            ("model_sha256", self.model_sha256.clone()),
            ("crop_rule", self.crop_rule.clone()),
            ("dim", self.dim.to_string()),
            ("model", self.model.clone()),
        ]
    }
}

/// One enrolment image: where it came from, how it was cut, the liveness check it passed, its descriptor.
#[derive(Clone, Debug, PartialEq)]
pub struct Enrolment {
    pub image: String,
    pub image_sha256: String,
    /// The rule actually used for this image (`box` when the mesh was unsure).
    pub chip_rule: String,
    pub mesh_presence: Option<f32>,
    pub live: f64,
    pub pad_model: String,
    pub pad_threshold: f64,
    pub descriptor: Vec<f32>,
}

/// An enrolled identity as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    pub name: String,
    pub images: usize,
    pub enrolled_utc: String,
}

/// An open gallery whose key matched the run's.
pub struct Gallery {
    conn: Connection,
    path: PathBuf,
    key: GalleryKey,
    /// No tables yet: the first enrolment creates them in its own transaction.
    fresh: bool,
}

impl Gallery {
    /// Opens the gallery in `dir`, refusing one made by another model or crop rule. With `create`, a
    /// missing gallery is started (the folder and file are made; the tables come with the first enrolment).
    pub fn open(dir: &Path, key: &GalleryKey, create: bool) -> Result<Gallery> {
        let path = dir.join(DB_FILE);
        if path.exists() {
            check_header(&path)?;
        } else {
            if !create {
                bail!(
                    "no gallery in {} ({DB_FILE} is missing). Fix: enrol someone first with \
                     `liveness persons add --db {} NAME IMAGES...`",
                    dir.display(),
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create gallery folder {}", dir.display()))?;
        }
        let flags = if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let conn = Connection::open_with_flags(&path, flags)
            .with_context(|| format!("cannot open gallery {}", path.display()))?;
        let not_a_gallery = |e: rusqlite::Error| {
            anyhow::anyhow!(
                "{} is not a readable liveness gallery (SQLite: {e}). Fix: restore the file from a backup, or \
                 enrol into a new --db folder",
                path.display()
            )
        };
        let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0)).map_err(not_a_gallery)?;
        let tables: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(not_a_gallery)?;
        let fresh = tables == 0 && app == 0;
        if !fresh {
            if app != APPLICATION_ID {
                bail!(
                    "{} is an SQLite file of another program (application id {app:#x}), not a liveness gallery. \
                     Fix: choose another --db folder",
                    path.display()
                );
            }
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(not_a_gallery)?;
            if version != SCHEMA_VERSION {
                bail!(
                    "{} has gallery layout {version}; this liveness reads layout {SCHEMA_VERSION}. Fix: use the \
                     liveness version that made it, or enrol again into a new --db folder",
                    path.display()
                );
            }
            check_key(&conn, &path, key).map_err(|e| e.context(format!("gallery {}", path.display())))?;
        }
        Ok(Gallery { conn, path, key: key.clone(), fresh })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `name` is enrolled.
    pub fn contains(&self, name: &str) -> Result<bool> {
        if self.fresh {
            return Ok(false);
        }
        Ok(self
            .conn
            .query_row("SELECT 1 FROM person WHERE name = ?1", [name], |_| Ok(()))
            .optional()
            .with_context(|| format!("reading {}", self.path.display()))?
            .is_some())
    }

    /// Enrols `name` with `images`, all or nothing: a duplicate name or any failed write leaves the file
    /// as it was.
    pub fn add(&mut self, name: &str, images: &[Enrolment], when_utc: &str, tool: &str) -> Result<()> {
        if images.is_empty() {
            bail!("no enrolment image for `{name}`");
        }
        if let Some(bad) = images.iter().find(|e| e.descriptor.len() != self.key.dim) {
            bail!("{}: descriptor of length {}, the gallery holds {}", bad.image, bad.descriptor.len(), self.key.dim);
        }
        let path = self.path.clone();
        let tx = self.conn.transaction().with_context(|| format!("cannot write {}", path.display()))?;
        if self.fresh {
            tx.execute_batch(SCHEMA)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            for (k, v) in self.key.entries() {
                tx.execute("INSERT INTO gallery (key, value) VALUES (?1, ?2)", params![k, v])?;
            }
        }
        let taken = tx.query_row("SELECT 1 FROM person WHERE name = ?1", [name], |_| Ok(())).optional()?.is_some();
        if taken {
            bail!(
                "`{name}` is already enrolled in {}: nothing was written. Fix: choose another name (one person, one \
                 name)",
                path.display()
            );
        }
        tx.execute("INSERT INTO person (name, enrolled_utc, tool) VALUES (?1, ?2, ?3)", params![name, when_utc, tool])?;
        let person = tx.last_insert_rowid();
        for e in images {
            let blob: Vec<u8> = e.descriptor.iter().flat_map(|v| v.to_le_bytes()).collect();
            tx.execute(
                "INSERT INTO descriptor (person_id, image, image_sha256, chip_rule, mesh_presence, live, pad_model, \
                 pad_threshold, vector) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    person,
                    e.image,
                    e.image_sha256,
                    e.chip_rule,
                    e.mesh_presence.map(f64::from),
                    e.live,
                    e.pad_model,
                    e.pad_threshold,
                    blob
                ],
            )?;
        }
        tx.commit().with_context(|| format!("cannot write {}", path.display()))?;
        self.fresh = false;
        Ok(())
    }

    /// The enrolled identities, by name.
    pub fn persons(&self) -> Result<Vec<Person>> {
        if self.fresh {
            return Ok(Vec::new());
        }
        let mut st = self.conn.prepare(
            "SELECT p.name, count(d.id), p.enrolled_utc FROM person p LEFT JOIN descriptor d ON d.person_id = p.id \
             GROUP BY p.id ORDER BY p.name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Person { name: r.get(0)?, images: r.get::<_, i64>(1)? as usize, enrolled_utc: r.get(2)? })
        })?;
        rows.collect::<rusqlite::Result<_>>().with_context(|| format!("reading {}", self.path.display()))
    }

    /// Every descriptor, loaded for the scan.
    pub fn index(&self) -> Result<Index> {
        let mut ix = Index::new(self.key.dim);
        if self.fresh {
            return Ok(ix);
        }
        let mut st = self.conn.prepare(
            "SELECT p.name, d.vector FROM person p JOIN descriptor d ON d.person_id = p.id ORDER BY p.id, d.id",
        )?;
        let mut rows = st.query([])?;
        let (mut current, mut vectors): (Option<String>, Vec<Vec<f32>>) = (None, Vec::new());
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            let blob: Vec<u8> = r.get(1)?;
            if blob.len() != self.key.dim * 4 {
                bail!(
                    "{}: a descriptor of `{name}` has {} bytes, want {}",
                    self.path.display(),
                    blob.len(),
                    self.key.dim * 4
                );
            }
            if current.as_deref() != Some(name.as_str()) {
                if let Some(prev) = current.take() {
                    ix.push(&prev, &vectors);
                }
                vectors.clear();
                current = Some(name);
            }
            vectors.push(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect());
        }
        if let Some(prev) = current {
            ix.push(&prev, &vectors);
        }
        Ok(ix)
    }
}

/// A non-empty file that does not start with SQLite's magic is named before SQLite sees it.
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(path).with_context(|| format!("cannot open gallery {}", path.display()))?;
    let n = f.read(&mut head).with_context(|| format!("cannot read gallery {}", path.display()))?;
    if n > 0 && head[..n] != b"SQLite format 3\0"[..] {
        bail!(
            "{} is not an SQLite database (damaged or another kind of file): not a liveness gallery. Fix: restore \
             it from a backup, or enrol into a new --db folder",
            path.display()
        );
    }
    Ok(())
}

/// The stored key must equal the run's, field by field; the first difference is named.
fn check_key(conn: &Connection, path: &Path, key: &GalleryKey) -> Result<()> {
    for (k, want) in key.entries() {
        let got: Option<String> =
            conn.query_row("SELECT value FROM gallery WHERE key = ?1", [k], |r| r.get(0)).optional()?;
        match got {
            Some(got) if got == want => {}
            Some(got) => bail!(
                "it was built with {k} `{got}`, this run uses `{want}`: descriptors of different models or crop rules \
                 are not comparable (one image cut by two rules gives descriptors ~0.5 apart). Fix: run with the \
                 recognizer that built it, or enrol again into a new --db folder"
            ),
            None => bail!("{} records no {k}: not a complete liveness gallery", path.display()),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> GalleryKey {
        GalleryKey { model: "m".into(), model_sha256: "abc".into(), crop_rule: "dlib5".into(), dim: 2 }
    }

    fn image(name: &str, v: [f32; 2]) -> Enrolment {
        Enrolment {
            image: name.into(),
            image_sha256: "00".into(),
            chip_rule: "dlib5".into(),
            mesh_presence: Some(0.9),
            live: 0.97,
            pad_model: "silentface".into(),
            pad_threshold: 0.5,
            descriptor: v.to_vec(),
        }
    }

    #[test]
    fn enrol_reopen_search_and_refuse_a_duplicate_without_writing() {
        let dir = tempfile::tempdir().unwrap();
        let mut g = Gallery::open(dir.path(), &key(), true).unwrap();
        g.add("ann", &[image("a1.jpg", [0.0, 0.0]), image("a2.jpg", [0.0, 2.0])], "2026-01-01T00:00:00Z", "t").unwrap();
        g.add("bob", &[image("b.jpg", [5.0, 0.0])], "2026-01-01T00:00:00Z", "t").unwrap();
        drop(g);
        let before = std::fs::read(dir.path().join(DB_FILE)).unwrap();
        let mut g = Gallery::open(dir.path(), &key(), false).unwrap();
        let err = format!("{:#}", g.add("ann", &[image("x.jpg", [1.0, 1.0])], "t", "t").unwrap_err());
        assert!(err.contains("`ann` is already enrolled") && err.contains("nothing was written"), "{err}");
        assert_eq!(std::fs::read(dir.path().join(DB_FILE)).unwrap(), before, "a refused enrolment wrote nothing");
        assert_eq!(
            g.persons().unwrap().iter().map(|p| (p.name.as_str(), p.images)).collect::<Vec<_>>(),
            [("ann", 2), ("bob", 1)]
        );
        let hits = g.index().unwrap().search(&[0.0, 1.0], 2);
        assert_eq!((hits[0].name.as_str(), hits[0].distance), ("ann", 1.0));
        assert!((hits[1].distance - 26f64.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn a_write_failing_half_way_through_an_enrolment_leaves_no_trace() {
        let dir = tempfile::tempdir().unwrap();
        Gallery::open(dir.path(), &key(), true).unwrap().add("ann", &[image("a", [0.0, 0.0])], "t", "t").unwrap();
        // A real failure inside the transaction: SQLite aborts the second descriptor's insert, after the
        // person row and the first descriptor are written.
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        c.execute_batch(
            "CREATE TRIGGER fail BEFORE INSERT ON descriptor WHEN NEW.image = 'boom' \
             BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;",
        )
        .unwrap();
        drop(c);
        let before = std::fs::read(dir.path().join(DB_FILE)).unwrap();
        let mut g = Gallery::open(dir.path(), &key(), false).unwrap();
        let err =
            format!("{:#}", g.add("bob", &[image("b1", [1.0, 0.0]), image("boom", [2.0, 0.0])], "t", "t").unwrap_err());
        assert!(err.contains("injected write failure"), "{err}");
        assert_eq!(g.persons().unwrap().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["ann"]);
        assert_eq!(g.index().unwrap().search(&[1.0, 0.0], 5).len(), 1, "no descriptor of bob");
        drop(g);
        assert_eq!(std::fs::read(dir.path().join(DB_FILE)).unwrap(), before, "the file is as it was");
    }

    #[test]
    fn another_model_or_crop_rule_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        Gallery::open(dir.path(), &key(), true).unwrap().add("ann", &[image("a", [0.0, 0.0])], "t", "t").unwrap();
        let other = GalleryKey { crop_rule: "box".into(), ..key() };
        let err = format!("{:#}", Gallery::open(dir.path(), &other, false).err().unwrap());
        assert!(err.contains("crop_rule `dlib5`") && err.contains("`box`"), "{err}");
        let other = GalleryKey { model_sha256: "def".into(), ..key() };
        let err = format!("{:#}", Gallery::open(dir.path(), &other, false).err().unwrap());
        assert!(err.contains("model_sha256 `abc`"), "{err}");
    }

    #[test]
    fn damaged_foreign_and_missing_files_get_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = format!("{:#}", Gallery::open(dir.path(), &key(), false).err().unwrap());
        assert!(err.contains("no gallery in") && err.contains("persons add"), "{err}");
        std::fs::write(dir.path().join(DB_FILE), b"this is not a database at all, just text").unwrap();
        let err = format!("{:#}", Gallery::open(dir.path(), &key(), true).err().unwrap());
        assert!(err.contains("is not an SQLite database"), "{err}");
        // A real SQLite file whose pages were overwritten past the header.
        let dir = tempfile::tempdir().unwrap();
        Gallery::open(dir.path(), &key(), true).unwrap().add("ann", &[image("a", [0.0, 0.0])], "t", "t").unwrap();
        let p = dir.path().join(DB_FILE);
        let mut bytes = std::fs::read(&p).unwrap();
        for b in &mut bytes[100..] {
            *b = 0xAB;
        }
        std::fs::write(&p, &bytes).unwrap();
        let err = format!("{:#}", Gallery::open(dir.path(), &key(), false).err().unwrap());
        assert!(err.contains("not a readable liveness gallery") && err.contains("SQLite"), "{err}");
        // Another program's SQLite file.
        let dir = tempfile::tempdir().unwrap();
        let c = Connection::open(dir.path().join(DB_FILE)).unwrap();
        c.execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7;").unwrap();
        drop(c);
        let err = format!("{:#}", Gallery::open(dir.path(), &key(), false).err().unwrap());
        assert!(err.contains("another program") && err.contains("0x7"), "{err}");
    }
}
