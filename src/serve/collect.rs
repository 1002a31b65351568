//! Collection mode (`serve --collect DIR`): captures the operator labelled on the page, stored as a dataset
//! in layouts the loaders already read.
//!
//! ```text
//! DIR/manifest.csv                      path,label,attack_type,capture,mode,challenges,device,lighting,subject,created_utc
//! DIR/live/<capture>/frame_01.jpg ...   bona fide captures
//! DIR/spoof/<attack_type>/<capture>/... attacks, one folder per species
//! DIR/<...>/<capture>/session.json      the challenges asked (in the order shown) and each frame's time
//! ```
//!
//! `liveness eval DIR/manifest.csv` scores every frame with its label, species and metadata (device,
//! lighting, ...); `liveness eval DIR` reads the same frames by the folder convention (labels and species
//! only). `liveness session score --dataset DIR/manifest.csv` groups frames by capture folder and honours
//! each `session.json` (the manifest has no `session` column on purpose: that column would make the loader
//! group by it and ignore the session files). A capture's frames and `session.json` are written before
//! its manifest rows, so the manifest never names a file that is not there yet.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result, bail};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::ApiError;
use super::sessions::MAX_UPLOAD_FRAMES;
use super::state::{App, hex, random_bytes};
use super::upload::{Encoding, encoding, multipart_fields, parse_number, read_body};
use crate::session::challenge::Challenge;

/// The manifest's columns, in order.
pub const COLUMNS: [&str; 10] =
    ["path", "label", "attack_type", "capture", "mode", "challenges", "device", "lighting", "subject", "created_utc"];
const MANIFEST: &str = "manifest.csv";
/// Longest metadata value (device, lighting, subject).
const MAX_META: usize = 64;

pub struct Collector {
    dir: PathBuf,
    /// Held while a capture is written: rows of two captures never interleave.
    lock: Mutex<()>,
}

impl Collector {
    /// Opens (or creates) the collection folder; a manifest there must be one this mode wrote.
    pub fn open(dir: &Path) -> Result<Collector> {
        std::fs::create_dir_all(dir).with_context(|| format!("--collect: cannot create {}", dir.display()))?;
        let manifest = dir.join(MANIFEST);
        if manifest.exists() {
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("--collect: cannot read {}", manifest.display()))?;
            let header = text.lines().next().unwrap_or("");
            if header != COLUMNS.join(",") {
                bail!(
                    "--collect: {} has the columns `{header}`, not the `{}` this mode writes; give a new or empty \
                     folder (or one an earlier `serve --collect` wrote)",
                    manifest.display(),
                    COLUMNS.join(",")
                );
            }
        }
        let probe = dir.join(".liveness-collect-write-test");
        std::fs::write(&probe, b"")
            .with_context(|| format!("--collect: {} is not writable", dir.display()))
            .and_then(|()| std::fs::remove_file(&probe).map_err(Into::into))?;
        Ok(Collector { dir: dir.to_path_buf(), lock: Mutex::new(()) })
    }

    /// Writes one capture's frames, its `session.json` and its manifest rows; returns its folder, relative.
    fn store(&self, c: &Capture) -> Result<String> {
        let _held = self.lock.lock().map_err(|_| anyhow::anyhow!("the collection lock is poisoned"))?;
        let created = crate::run::utc_now_iso();
        let stamp: String = created.chars().filter(|ch| ch.is_ascii_alphanumeric()).collect();
        let id = format!("{stamp}-{}", hex(&random_bytes::<4>()?));
        let folder = match &c.species {
            None => format!("live/{id}"),
            Some(s) => format!("spoof/{s}/{id}"),
        };
        let abs = self.dir.join(&folder);
        std::fs::create_dir_all(&abs)?;
        let mut frames = Vec::with_capacity(c.frames.len());
        for (i, (bytes, t)) in c.frames.iter().enumerate() {
            let name = format!("frame_{:02}.jpg", i + 1);
            std::fs::write(abs.join(&name), bytes)?;
            frames.push(json!({"file": name, "t": t}));
        }
        let session = json!({"challenges": c.challenges, "ordered": true, "frames": frames});
        std::fs::write(abs.join(crate::session::input::SESSION_FILE), serde_json::to_vec_pretty(&session)?)?;

        let manifest = self.dir.join(MANIFEST);
        let new = !manifest.exists();
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&manifest)?;
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        if new {
            w.write_record(COLUMNS)?;
        }
        let challenges: Vec<&str> = c.challenges.iter().map(|c| c.as_str()).collect();
        let (label, species) = match &c.species {
            None => ("live", ""),
            Some(s) => ("attack", s.as_str()),
        };
        for i in 0..c.frames.len() {
            let path = format!("{folder}/frame_{:02}.jpg", i + 1);
            let mode = if c.active { "active" } else { "passive" };
            w.write_record([
                path.as_str(),
                label,
                species,
                id.as_str(),
                mode,
                &challenges.join(" "),
                &c.device,
                &c.lighting,
                &c.subject,
                &created,
            ])?;
        }
        file.write_all(&w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?;
        file.sync_data()?;
        Ok(folder)
    }
}

/// One labelled capture as the page sends it.
struct Capture {
    /// `None`: bona fide; else the attack's species.
    species: Option<String>,
    active: bool,
    challenges: Vec<Challenge>,
    device: String,
    lighting: String,
    subject: String,
    frames: Vec<(axum::body::Bytes, Option<f64>)>,
}

/// `POST /v1/collect` (multipart): `label` (`live` or `attack`), `attack_type` (attacks), `mode`
/// (`passive` or `active`), `challenges` (comma-separated, in the order shown), `device`, `lighting`,
/// `subject` (optional metadata) and the capture's `frame` parts with optional `t` fields.
pub async fn collect(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    let Some(collector) = app.collect.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "collect_disabled",
            "this server does not collect captures (start it with --collect DIR)",
        ));
    };
    let (parts, body) = req.into_parts();
    if encoding(&parts.headers)? != Encoding::Multipart {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "a capture to collect comes as multipart/form-data (`frame` parts and label fields)",
        ));
    }
    let bytes = read_body(body, &parts.headers, app.max_body).await?;
    let capture = parse(multipart_fields(parts, bytes).await?)?;
    let n = capture.frames.len();
    let folder = tokio::task::spawn_blocking(move || collector.store(&capture))
        .await
        .map_err(|e| ApiError::internal(format!("the collection writer stopped: {e}")))?
        .map_err(|e| ApiError::internal(format!("cannot store the capture in the collection folder: {e:#}")))?;
    let capture_id = folder.rsplit('/').next().unwrap_or("").to_string();
    let body = json!({"capture": capture_id, "path": folder, "frames": n, "manifest": MANIFEST});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

fn parse(fields: Vec<super::upload::Field>) -> Result<Capture, ApiError> {
    let bad = |m: String| ApiError::bad_request("bad_field", m);
    let mut text = std::collections::BTreeMap::new();
    let (mut frames, mut times) = (Vec::new(), Vec::new());
    for f in fields {
        match f.name.as_str() {
            "frame" => frames.push(f.data),
            "t" => times.push(parse_number(&f.text()?, "t")?),
            "label" | "attack_type" | "mode" | "challenges" | "device" | "lighting" | "subject" => {
                text.insert(f.name.clone(), f.text()?.trim().to_string());
            }
            other => {
                return Err(ApiError::bad_request(
                    "unknown_field",
                    format!(
                        "field {other:?} is not accepted; send label, attack_type, mode, challenges, device, \
                         lighting, subject, frame and t"
                    ),
                ));
            }
        }
    }
    let get = |k: &str| text.get(k).cloned().unwrap_or_default();
    let species = match crate::dataset::Label::parse(&get("label")) {
        Some(crate::dataset::Label::BonaFide) if get("attack_type").is_empty() => None,
        Some(crate::dataset::Label::BonaFide) => return Err(bad("a bona fide capture has no attack_type".into())),
        Some(crate::dataset::Label::Attack) => Some(species(&get("attack_type"))?),
        None => {
            return Err(ApiError::bad_request(
                "missing_label",
                format!("label {:?}: give `live` (bona fide) or `attack` with an attack_type", get("label")),
            ));
        }
    };
    let active = match get("mode").as_str() {
        "active" => true,
        "passive" | "" => false,
        m => return Err(bad(format!("mode {m:?}: passive or active"))),
    };
    let mut challenges = Vec::new();
    for name in get("challenges").split([',', ' ']).filter(|n| !n.is_empty()) {
        challenges.push(Challenge::parse(name).ok_or_else(|| {
            ApiError::bad_request(
                "unknown_challenge",
                format!("unknown challenge {name:?}; known: {}", Challenge::names()),
            )
        })?);
    }
    if frames.is_empty() || frames.len() > MAX_UPLOAD_FRAMES {
        return Err(ApiError::bad_request(
            "frame_count",
            format!("{} frames sent; a capture has 1..={MAX_UPLOAD_FRAMES}", frames.len()),
        ));
    }
    if frames.iter().any(|f| f.is_empty()) {
        return Err(ApiError::bad_request("empty_image", "a frame is empty (0 bytes)"));
    }
    if !times.is_empty() && times.len() != frames.len() {
        return Err(bad(format!("{} `t` fields for {} frames: give one per frame or none", times.len(), frames.len())));
    }
    let mut times = times.into_iter().map(Some).chain(std::iter::repeat(None));
    Ok(Capture {
        species,
        active,
        challenges,
        device: meta("device", &get("device"))?,
        lighting: meta("lighting", &get("lighting"))?,
        subject: meta("subject", &get("subject"))?,
        frames: frames.into_iter().map(|f| (f, times.next().flatten())).collect(),
    })
}

/// An attack species: it names a folder, so lower-case letters, digits, `-` and `_` only.
fn species(s: &str) -> Result<String, ApiError> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(s.to_string())
    } else {
        Err(ApiError::bad_request(
            "bad_attack_type",
            format!("attack_type {s:?}: 1-40 lower-case letters, digits, - or _ (e.g. print, replay, mask)"),
        ))
    }
}

/// A metadata value: printable, at most [`MAX_META`] characters.
fn meta(name: &str, v: &str) -> Result<String, ApiError> {
    if v.chars().count() > MAX_META || v.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "bad_field",
            format!(
                "{name}: at most {MAX_META} printable characters, got {:?}",
                v.chars().take(80).collect::<String>()
            ),
        ));
    }
    Ok(v.to_string())
}

/// What the page is told about collection (`GET /v1/capture/config`).
pub fn describe(c: Option<&Collector>) -> Value {
    json!({"enabled": c.is_some(), "species": ["print", "replay", "mask", "cutout"], "columns": COLUMNS})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(species: Option<&str>) -> Capture {
        Capture {
            species: species.map(str::to_string),
            active: true,
            challenges: vec![Challenge::Blink, Challenge::HeadLeft],
            device: "webcam, 720p \"front\"".into(),
            lighting: "office".into(),
            subject: String::new(),
            frames: vec![
                (axum::body::Bytes::from_static(b"a"), Some(0.0)),
                (axum::body::Bytes::from_static(b"b"), None),
            ],
        }
    }

    #[test]
    fn captures_become_manifest_rows_folders_and_session_files() {
        let dir = tempfile::tempdir().unwrap();
        let c = Collector::open(dir.path()).unwrap();
        let live = c.store(&capture(None)).unwrap();
        let attack = c.store(&capture(Some("print"))).unwrap();
        assert!(live.starts_with("live/") && attack.starts_with("spoof/print/"), "{live} {attack}");
        let manifest = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();
        let mut rows = csv::Reader::from_reader(manifest.as_bytes());
        assert_eq!(rows.headers().unwrap().iter().collect::<Vec<_>>(), COLUMNS);
        let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(&rows[0][0], format!("{live}/frame_01.jpg"));
        assert_eq!(
            (&rows[0][1], &rows[0][2], &rows[0][5], &rows[0][6]),
            ("live", "", "blink head_left", "webcam, 720p \"front\"")
        );
        assert_eq!((&rows[3][1], &rows[3][2]), ("attack", "print"));
        assert_eq!(std::fs::read(dir.path().join(&attack).join("frame_02.jpg")).unwrap(), b"b");
        let session: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(&live).join("session.json")).unwrap()).unwrap();
        assert_eq!(session["challenges"], json!(["blink", "head_left"]));
        assert_eq!(session["frames"][0], json!({"file": "frame_01.jpg", "t": 0.0}));
        // A folder with another manifest is refused; one this mode wrote is reopened.
        assert!(Collector::open(dir.path()).is_ok());
        std::fs::write(dir.path().join(MANIFEST), "path,label\n").unwrap();
        let e = Collector::open(dir.path()).err().unwrap().to_string();
        assert!(e.contains("new or empty"), "{e}");
    }

    #[test]
    fn labels_species_and_metadata_are_checked() {
        assert!(species("print-cutout").is_ok());
        for bad in ["", "Print", "../x", "a b", "-x"] {
            assert_eq!(species(bad).unwrap_err().code, "bad_attack_type", "{bad}");
        }
        assert!(meta("device", "phone\nrow").is_err());
        assert!(meta("device", &"x".repeat(65)).is_err());
        assert_eq!(meta("device", "Pixel 8, rear").unwrap(), "Pixel 8, rear");
    }
}
