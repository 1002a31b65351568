//! Galleries of the worst errors: the attacks scored most bona fide (false accepts) and the bona fide
//! presentations scored most attack-like (false rejects), each with a thumbnail of the face crop, its
//! score, path and metadata. Looking at them is how one finds what the metrics cannot say: a mislabelled
//! image, a failure mode shared by one device or one kind of print.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::crop::{CropRule, Resize, crop_face};
use crate::decode::{DecodeLimits, decode_file};
use crate::frame::FaceBox;
use crate::metrics::MetricsDocument;
use crate::schema::RunInfo;
use crate::scorefile::{Mapping, ModelColumn, ReadOptions, visit_scores};

/// Cases per gallery.
pub const CASES: usize = 12;
/// Thumbnail side in pixels (the face crop is resized to fit, aspect ratio kept).
const THUMB: u32 = 112;
/// Context around the face box in the thumbnail (Silent-Face's crop rule, scaled by this).
const THUMB_SCALE: f64 = 1.5;

#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: String,
    /// PAI species; empty for bona fide.
    pub species: String,
    pub score: f64,
    pub meta: BTreeMap<String, String>,
    /// JPEG bytes of the face crop, or why there is none.
    pub thumbnail: Result<Vec<u8>, String>,
    /// The thumbnail's file, relative to the report folder, once written (report.md links it).
    pub thumbnail_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gallery {
    /// Where the scores were read from.
    pub source: PathBuf,
    /// Attacks at or above the threshold, highest score first.
    pub false_accepts: Vec<Case>,
    /// Bona fide below the threshold, lowest score first.
    pub false_rejects: Vec<Case>,
}

/// The score file of a run: its own scores.csv (or scores.parquet), else the score file `liveness eval
/// --scores` read.
pub fn score_file(dir: &Path, run: &RunInfo) -> Option<PathBuf> {
    let own = crate::scorefile::of_run(dir);
    if own.is_file() {
        return Some(own);
    }
    let source = PathBuf::from(&run.source);
    (run.scored_with_models == Some(false) && source.is_file()).then_some(source)
}

/// The folder image paths in the score file are relative to: the dataset root for a scoring run (a
/// folder, or a manifest's folder), the score file's folder for a run read from a score file.
fn image_root(run: &RunInfo, scores: &Path) -> PathBuf {
    let source = PathBuf::from(&run.source);
    let folder_of = |f: &Path| match f.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if source.is_dir() {
        source
    } else if source.is_file() {
        folder_of(&source)
    } else {
        folder_of(scores)
    }
}

/// The image of a row, only from inside `root`: a score file is data, and a row naming `../../x` or
/// `/etc/x` must not make the report read (and embed) a file from elsewhere.
fn inside(root: &Path, id: &str) -> Result<PathBuf, String> {
    use crate::dataset::paths::{PathProblem, normalize_rel};
    match normalize_rel(id) {
        Ok(rel) => Ok(root.join(rel)),
        Err(PathProblem::Empty) => Err("no path in the score file".into()),
        Err(PathProblem::Absolute | PathProblem::Escapes) => {
            Err(format!("outside_root: not read, thumbnails come only from inside {}", root.display()))
        }
    }
}

/// Keeps the `CASES` most extreme rows seen (pruned in batches, so O(n) overall).
struct Worst<T> {
    items: Vec<(f64, T)>,
    higher_is_worse: bool,
    /// The `CASES`-th worst score after the last pruning: anything not worse cannot make the list.
    cutoff: Option<f64>,
}

impl<T> Worst<T> {
    fn new(higher_is_worse: bool) -> Self {
        Worst { items: Vec::new(), higher_is_worse, cutoff: None }
    }

    fn order(&self, a: f64, b: f64) -> Ordering {
        if self.higher_is_worse { b.total_cmp(&a) } else { a.total_cmp(&b) }
    }

    /// Whether `score` could still make the list (so the caller builds the item only then).
    fn wants(&self, score: f64) -> bool {
        self.cutoff.is_none_or(|c| self.order(score, c) == Ordering::Less)
    }

    fn push(&mut self, score: f64, item: T) {
        self.items.push((score, item));
        if self.items.len() >= 8 * CASES {
            self.prune();
        }
    }

    fn prune(&mut self) {
        let mut items = std::mem::take(&mut self.items);
        items.sort_by(|a, b| self.order(a.0, b.0));
        items.truncate(CASES);
        self.cutoff = (items.len() == CASES).then(|| items[CASES - 1].0);
        self.items = items;
    }

    fn into_sorted(mut self) -> Vec<(f64, T)> {
        self.prune();
        self.items
    }
}

/// Builds the galleries of the run folder `dir` from its metrics document (it needs neither the sweep
/// nor the charts, so it runs beside them), or `None` when no score file is available (a committed
/// example without scores.csv). Thumbnails that cannot be made carry the reason instead.
pub fn build(dir: &Path, doc: &MetricsDocument) -> Result<Option<Gallery>> {
    let threshold = doc.at_threshold.as_ref().and_then(|at| at.threshold.finite());
    let (Some(scores), Some(threshold)) = (score_file(dir, &doc.run), threshold) else {
        return Ok(None);
    };
    let flip = doc.run.flip == Some(true);
    // The evaluated model's column, by the rule the metrics were read with (a two-model run's file
    // read with `eval --scores --model B` holds B's scores in `B_score`, not in `score`).
    let mapping: Mapping = doc.run.mapping.clone().unwrap_or_default();
    if mapping.pyeer_impostors.is_some() {
        // pyeer's files hold scores only: no image to show.
        return Ok(None);
    }
    let column = ModelColumn::of_file(&scores, doc.run.model.as_deref(), &mapping)?;
    let mut accepts = Worst::new(true);
    let mut rejects = Worst::new(false);
    visit_scores(&scores, ReadOptions::column(flip, &column, &mapping), |row| {
        let Some(score) = row.score()? else { return Ok(()) };
        let list = match (row.bona_fide()?, crate::schema::is_bona_fide(score, threshold)) {
            (false, true) => &mut accepts,
            (true, false) => &mut rejects,
            _ => return Ok(()),
        };
        if list.wants(score) {
            list.push(score, (row.presentation()?, row.face_box()));
        }
        Ok(())
    })?;
    let root = image_root(&doc.run, &scores);
    let cases = |w: Worst<_>| -> Vec<Case> {
        w.into_sorted()
            .into_iter()
            .map(|(score, (p, face)): (f64, (crate::schema::Presentation, Option<FaceBox>))| Case {
                thumbnail: inside(&root, &p.id).and_then(|image| thumbnail(&image, face)),
                thumbnail_file: None,
                id: p.id,
                species: p.species,
                score,
                meta: p.meta,
            })
            .collect()
    };
    Ok(Some(Gallery { source: scores.clone(), false_accepts: cases(accepts), false_rejects: cases(rejects) }))
}

/// The face crop of `image` as a JPEG thumbnail.
fn thumbnail(image: &Path, face: Option<FaceBox>) -> Result<Vec<u8>, String> {
    let face = face.ok_or("no face box in the score file")?;
    let frame = decode_file(image, &DecodeLimits::default()).map_err(|e| e.to_string())?;
    let scale = THUMB as f64 / face.width().max(face.height()).max(1) as f64 / THUMB_SCALE;
    let (w, h) = (
        (face.width() as f64 * THUMB_SCALE * scale).round().max(1.0),
        (face.height() as f64 * THUMB_SCALE * scale).round().max(1.0),
    );
    let crop =
        crop_face(&frame, &face, CropRule::ShiftInside { scale: THUMB_SCALE }, Resize::Linear, w as usize, h as usize)
            .map_err(|e| e.to_string())?;
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80);
    image::ImageEncoder::write_image(
        encoder,
        &crop.pixels,
        crop.width as u32,
        crop.height as u32,
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|e| e.to_string())?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::run_folder::SCORES_CSV;
    use crate::test_support::sample_folder;

    #[test]
    fn worst_keeps_the_extremes_in_order() {
        let mut w = Worst::new(true);
        for i in 0..1000 {
            if w.wants(f64::from(i % 97)) {
                w.push(f64::from(i % 97), i);
            }
        }
        assert!(!w.wants(3.0) && w.wants(97.0));
        let kept: Vec<f64> = w.into_sorted().into_iter().map(|x| x.0).collect();
        assert_eq!(kept.len(), CASES);
        assert_eq!(kept[..3], [96.0, 96.0, 96.0]);
        let mut low = Worst::new(false);
        [0.3, 0.1, 0.2].into_iter().for_each(|s| low.push(s, ()));
        assert_eq!(low.into_sorted().iter().map(|x| x.0).collect::<Vec<_>>(), [0.1, 0.2, 0.3]);
    }

    #[test]
    fn errors_are_picked_at_the_threshold_and_missing_images_explained() {
        let dir = sample_folder();
        std::fs::write(
            dir.path().join(SCORES_CSV),
            "path,label,attack_type,session,score,status,reason,x1,y1,x2,y2\n\
             a.jpg,live,,01,0.2,ok,,1,1,20,20\n\
             b.jpg,live,,01,0.9,ok,,1,1,20,20\n\
             c.jpg,attack,print,02,0.5,ok,,,,,\n\
             d.jpg,attack,print,02,0.7,ok,,1,1,20,20\n\
             e.jpg,attack,print,02,,non_response,no_face,,,,\n",
        )
        .unwrap();
        let doc = crate::report::run_folder::read_metrics(dir.path()).unwrap();
        let g = build(dir.path(), &doc).unwrap().unwrap();
        let ids = |cases: &[Case]| cases.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&g.false_accepts), ["d.jpg", "c.jpg"], "a score equal to the threshold is accepted");
        assert_eq!(ids(&g.false_rejects), ["a.jpg"]);
        assert_eq!(g.false_rejects[0].meta["session"], "01");
        assert_eq!(g.false_accepts[1].thumbnail, Err("no face box in the score file".to_owned()));
        assert!(g.false_accepts[0].thumbnail.as_ref().unwrap_err().contains("d.jpg"));
    }

    #[test]
    fn thumbnails_are_jpeg_crops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.png");
        image::RgbImage::from_fn(200, 160, |x, y| image::Rgb([x as u8, y as u8, 90])).save(&path).unwrap();
        let jpeg = thumbnail(&path, Some(FaceBox { x1: 50, y1: 40, x2: 130, y2: 120 })).unwrap();
        let img = image::load_from_memory(&jpeg).unwrap();
        assert_eq!((img.width(), img.height()), (THUMB, THUMB));
    }
}
