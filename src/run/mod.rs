//! A scoring run over a dataset: every sample scored once, appended to `scores.csv` as soon as it is known.
//!
//! Records arrive in sample order (see `score::parallel`), so the file on disk is always a prefix of the
//! finished file. A killed run therefore resumes by checking that prefix against the sample list, cutting a
//! half-written last line, and scoring only the rest: the resumed file is byte-identical to an
//! uninterrupted run's.

pub mod resume;

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::dataset::{Dataset, Sample};
use crate::schema::columns;
use crate::schema::run_folder::SCORES_CSV;
use crate::score::output::csv_fields;
use crate::score::parallel::score_all;
use crate::score::pipeline::{EngineSpec, Job, Settings};
use crate::score::record::ScoreRecord;

/// `reports/<dataset>-<model>-<UTC timestamp>`: a new folder per run, so runs never overwrite each other.
pub fn default_folder(dataset: &str, model: &str) -> PathBuf {
    let clean = |s: &str| {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '+' { c } else { '_' }).collect::<String>()
    };
    let [y, mo, d, h, mi, s] = utc_now();
    PathBuf::from("reports").join(format!(
        "{}-{}-{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}",
        clean(dataset),
        clean(model)
    ))
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc_now_iso() -> String {
    let [y, mo, d, h, mi, s] = utc_now();
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `[year, month, day, hour, minute, second]` in UTC (civil-from-days; no time-zone database needed).
fn utc_now() -> [i64; 6] {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, day, rem / 3600, rem % 3600 / 60, rem % 60]
}

/// Metadata columns of a dataset: the union over samples, sorted, so the header is stable.
pub fn meta_columns(ds: &Dataset) -> Vec<String> {
    let set: BTreeSet<&String> = ds.samples.iter().flat_map(|s| s.meta.keys()).collect();
    set.into_iter().cloned().collect()
}

/// The header of a run's `scores.csv`.
pub fn header(meta: &[String], models: &[String]) -> Vec<String> {
    columns::image_header(meta, models)
}

fn row(sample: &Sample, meta: &[String], rec: &ScoreRecord, settings: &Settings, models: &[String]) -> Vec<String> {
    let mut r = vec![sample.rel_path.clone(), sample.label.as_str().to_string(), sample.species.clone()];
    r.extend(meta.iter().map(|k| sample.meta.get(k).cloned().unwrap_or_default()));
    r.extend(csv_fields(rec, &settings.policy, models));
    r
}

/// Scores `ds` into `<out>/scores.csv`; with `resume`, keeps the rows already there and scores the rest.
/// Returns the path of the score file and how many samples were scored in this call.
pub fn score_dataset(
    ds: &Dataset,
    spec: &EngineSpec,
    settings: &Settings,
    out: &Path,
    resume: bool,
    workers: usize,
) -> Result<(PathBuf, usize)> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create run folder {}", out.display()))?;
    let path = out.join(SCORES_CSV);
    let models: Vec<String> = spec.descriptors.iter().map(|d| d.name.clone()).collect();
    let meta = meta_columns(ds);
    let header = header(&meta, &models);
    let kept = if resume { resume::completed_rows(&path, &header, ds)? } else { None };
    let done = kept.unwrap_or(0);
    let file = if kept.is_some() {
        OpenOptions::new().append(true).open(&path).with_context(|| format!("cannot append to {}", path.display()))?
    } else {
        let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = csv::Writer::from_writer(&f);
        w.write_record(&header)?;
        w.flush()?;
        drop(w);
        f
    };
    let todo = &ds.samples[done..];
    if done > 0 {
        eprintln!(
            "resume: {done} of {} samples already in {}, scoring the other {}",
            ds.samples.len(),
            path.display(),
            todo.len()
        );
    }
    let jobs: Vec<Job> = todo
        .iter()
        .map(|s| Job {
            file: s.path.clone(),
            name: s.rel_path.clone(),
            given_box: s.face_box.map(|[x1, y1, x2, y2]| crate::frame::FaceBox { x1, y1, x2, y2 }),
        })
        .collect();
    let bar = progress(jobs.len() as u64);
    let mut writer = csv::Writer::from_writer(BufWriter::new(file));
    let mut k = 0;
    score_all(&jobs, spec, settings, workers, |rec| {
        writer.write_record(row(&todo[k], &meta, &rec, settings, &models))?;
        // Flushed per record: what was computed is on disk, whenever the run is stopped.
        writer.flush()?;
        if let Some(reason) = rec.reason() {
            bar.suspend(|| eprintln!("not scored: {}: {reason}", rec.path));
        }
        k += 1;
        bar.inc(1);
        Ok(())
    })?;
    bar.finish_and_clear();
    writer.into_inner().map_err(|e| e.into_error())?.flush()?;
    Ok((path, todo.len()))
}

fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{spinner} scoring [{bar:30}] {pos}/{len} {per_sec} ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
