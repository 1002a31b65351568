//! A scoring run over a dataset: every sample scored once, appended to `scores.csv` as soon as it is known.
//!
//! Records arrive in sample order (see `score::parallel`), so the file on disk is always a prefix of the
//! finished file. A killed run therefore resumes by checking that prefix against the sample list, cutting a
//! half-written last line, and scoring only the rest: the resumed file is byte-identical to an
//! uninterrupted run's.

pub mod atomic;
pub mod coverage;
pub mod lock;
pub mod manifest;
pub mod merge;
pub mod resume;
pub mod shard;
pub mod sweep_check;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::dataset::{Dataset, Label, Sample};
use crate::escape;
use crate::schema::columns;
use crate::schema::run_folder::{
    DESCRIPTORS_CSV, FULL_SYSTEM_CSV, METRICS_JSON, RUN_JSON, SCORES_CSV, SCORES_PARQUET, SWEEP_CSV, ScoresFormat,
};
use crate::score::output::csv_fields;
use crate::score::parallel::score_all;
use crate::score::pipeline::{EngineSpec, Job, Settings};
use crate::score::record::ScoreRecord;
use manifest::{DatasetRecord, Found, Manifest, ShardSpec, State};

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

/// The fingerprint `scorefile::fingerprint` gives the scores of these samples, known before any is scored.
pub fn samples_fingerprint(samples: &[Sample]) -> String {
    crate::scorefile::fingerprint_of(
        samples.iter().map(|s| (s.rel_path.as_str(), s.label == Label::BonaFide, s.species.as_str())),
    )
}

/// Metadata columns of a dataset: the union over samples, sorted, so the header is stable.
pub fn meta_columns(ds: &Dataset) -> Vec<String> {
    let set: BTreeSet<&String> = ds.samples.iter().flat_map(|s| s.meta.keys()).collect();
    set.into_iter().cloned().collect()
}

/// The header of a run's `scores.csv` (with the calibrated probability when the policy has a map).
/// Names of metadata columns come from the dataset, so every cell goes through [`escape::csv`].
pub fn header(meta: &[String], models: &[String], policy: &crate::schema::Policy) -> Vec<String> {
    columns::image_header(meta, models, policy.probability.is_some())
        .iter()
        .map(|c| escape::csv(c).into_owned())
        .collect()
}

/// One sample's row of a run's `scores.csv`, under [`header`]`(meta, models, policy)`.
pub fn row(
    sample: &Sample,
    meta: &[String],
    rec: &ScoreRecord,
    policy: &crate::schema::Policy,
    models: &[String],
) -> Vec<String> {
    // Text cells from the dataset (names, species, metadata) are escaped; the scores are numbers.
    let text = |s: &str| escape::csv(s).into_owned();
    let mut r = vec![text(&sample.rel_path), sample.label.as_str().to_string(), text(&sample.species)];
    r.extend(meta.iter().map(|k| sample.meta.get(k).map_or_else(String::new, |v| text(v))));
    r.extend(csv_fields(rec, policy, models));
    r
}

/// What a scoring run is asked to do, beside the dataset and the engine.
pub struct Plan<'a> {
    pub out: &'a Path,
    /// Continue the run in `out`: keep its rows, score the rest.
    pub resume: bool,
    /// Replace whatever run `out` holds.
    pub force: bool,
    pub workers: usize,
    /// The dataset as given on the command line.
    pub source: String,
    /// Score only this shard's share of the dataset.
    pub shard: Option<ShardSpec>,
    /// The metric options, recorded so that a merge of shards computes the same figures.
    pub evaluation: Value,
    /// The command line (`std::env::args`), for the resume hint.
    pub command: Vec<String>,
    /// Score with this instead of the local engine (`eval --api`: a remote liveness API).
    pub remote: Option<&'a dyn Remote>,
}

/// A scorer other than the local engine (`src/api`: a liveness REST API, or its stored answers). The run
/// keeps everything else unchanged: the manifest, the resume checks, the in-order `scores.csv`.
pub trait Remote: Sync {
    /// The models of the `<model>_score` columns.
    fn models(&self) -> Vec<String>;
    /// What decides a row on the scorer's side (an API's URL without credentials, preset and mapping),
    /// recorded in the manifest beside the policy and the columns.
    fn decides(&self) -> Value;
    /// Scores `todo`, the samples after the `first` rows already on disk (`resume`: a continued run),
    /// handing each record to `sink` in sample order; `bar` counts them.
    fn score(&self, batch: RemoteBatch, sink: &mut dyn FnMut(ScoreRecord) -> Result<()>) -> Result<()>;
}

/// What a [`Remote`] is asked to score.
pub struct RemoteBatch<'a> {
    pub out: &'a Path,
    pub resume: bool,
    pub first: usize,
    pub todo: &'a [Sample],
    pub bar: &'a ProgressBar,
}

/// A run left as scores.parquet alone (`--scores-format parquet`) gets its scores.csv back, the file a
/// resume appends to and a merge interleaves; nothing to do when scores.csv is there.
pub fn restore_csv(dir: &Path) -> Result<()> {
    let (csv, parquet) = (dir.join(SCORES_CSV), dir.join(SCORES_PARQUET));
    if !csv.exists() && parquet.exists() {
        crate::scorefile::parquet::write_csv(&parquet, &csv)?;
    }
    Ok(())
}

/// Leaves the score files `format` asks for in the folder of a finished run: scores.parquet converted
/// from scores.csv, and the CSV removed for `Parquet` alone. A scores.parquet of a replaced run
/// (`--force`) that `Csv` does not write is removed, so that no stale copy is left beside the CSV.
pub fn keep_scores_as(dir: &Path, format: ScoresFormat) -> Result<()> {
    let (csv, parquet) = (dir.join(SCORES_CSV), dir.join(SCORES_PARQUET));
    if format == ScoresFormat::Csv {
        return match std::fs::remove_file(&parquet) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err::<(), _>(e).with_context(|| format!("cannot remove the stale {}", parquet.display()))
            }
            _ => Ok(()),
        };
    }
    parquet_from_csv(&csv, &parquet)?;
    if format == ScoresFormat::Parquet {
        std::fs::remove_file(&csv).with_context(|| format!("cannot remove {}", csv.display()))?;
    }
    Ok(())
}

/// Writes the score file `csv` as Parquet at `parquet`, atomically (a kill leaves the old file or none).
pub fn parquet_from_csv(csv: &Path, parquet: &Path) -> Result<u64> {
    atomic::write_with(parquet, |file| crate::scorefile::parquet::write_from_csv(csv, file))
}

/// Scores `ds` (or its shard's share) into `<out>/scores.csv` under a manifest; with `resume`, keeps the
/// rows already there and scores the rest. Returns the score file, how many samples this call scored and
/// the folder's lock, which the caller keeps while it writes the rest of the folder.
pub fn score_dataset(
    ds: &Dataset,
    spec: &EngineSpec,
    settings: &Settings,
    plan: &Plan,
) -> Result<(PathBuf, usize, lock::RunLock)> {
    let out = plan.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create run folder {}", out.display()))?;
    let held = lock::lock(out)?;
    let path = out.join(SCORES_CSV);
    if !plan.resume && !plan.force && (path.exists() || out.join(RUN_JSON).exists()) {
        bail!(
            "{} already holds a run ({}): pass --resume to continue it, --force to replace it, or choose another --out",
            out.display(),
            path.display()
        );
    }
    let share: Cow<[Sample]> = match plan.shard {
        Some(s) => {
            let positions = shard::positions(&ds.samples, s);
            shard::store_positions(out, &positions)?;
            Cow::Owned(positions.iter().map(|&i| ds.samples[i].clone()).collect())
        }
        None => Cow::Borrowed(&ds.samples),
    };
    let models: Vec<String> = match plan.remote {
        Some(r) => r.models(),
        None => crate::model::descriptor::score_models(&spec.descriptors),
    };
    let meta = meta_columns(ds);
    let header = header(&meta, &models, &settings.policy);
    let mut manifest = Manifest {
        manifest_version: manifest::MANIFEST_VERSION,
        state: State::Scoring,
        presentations: share.len() as u64,
        fingerprint: samples_fingerprint(&share),
        dataset: DatasetRecord {
            source: plan.source.clone(),
            fingerprint: samples_fingerprint(&ds.samples),
            presentations: ds.samples.len() as u64,
        },
        shard: plan.shard,
        decides: match plan.remote {
            Some(r) => json!({"api": r.decides(), "policy": settings.policy, "columns": header}),
            None => decides(spec, settings, &header)?,
        },
        evaluation: plan.evaluation.clone(),
        resume_command: manifest::resume_command(&plan.command),
        origins: spec.descriptors.iter().map(|d| d.origin.clone()).collect(),
        created_utc: utc_now_iso(),
        completed_utc: None,
    };
    if plan.resume {
        restore_csv(out)?;
    }
    let kept = if plan.resume {
        let old = match Manifest::find(out) {
            Found::Manifest(old) => Some(old),
            Found::Missing => None, // a run from before manifests: its rows are still checked one by one
            Found::Damaged(why) => bail!("cannot resume: {why}; pass --force to score the run afresh"),
        };
        if let Some(old) = &old {
            refuse_other_settings(out, "decides", &old.decides, &manifest.decides)?;
        }
        let kept = resume::completed_rows(&path, &header, &share)?;
        if let Some(old) = &old {
            let what = |m: &Manifest| {
                json!({"fingerprint": m.fingerprint, "presentations": m.presentations,
                "dataset": {"fingerprint": m.dataset.fingerprint, "presentations": m.dataset.presentations},
                "shard": m.shard})
            };
            refuse_other_settings(out, "dataset", &what(old), &what(&manifest))?;
            manifest.created_utc = old.created_utc.clone();
        }
        kept
    } else {
        None
    };
    for stale in [METRICS_JSON, SWEEP_CSV, FULL_SYSTEM_CSV] {
        // Figures of an earlier state of this folder must not sit beside rows they were not computed on.
        let _ = std::fs::remove_file(out.join(stale));
    }
    // `eval --match`: descriptors.csv is kept in step with scores.csv (both cut to the rows both hold).
    let (mut identities, kept) = identity_file(out, spec, &share, kept)?;
    manifest.store(out)?;
    let done = kept.unwrap_or(0);
    let file = if kept.is_some() {
        OpenOptions::new().append(true).open(&path).with_context(|| format!("cannot append to {}", path.display()))?
    } else {
        let f = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut w = csv::Writer::from_writer(&f);
        w.write_record(&header)
            .and_then(|()| Ok(w.flush()?))
            .with_context(|| format!("cannot write {}", path.display()))?;
        drop(w);
        f
    };
    let todo = &share[done..];
    if done > 0 {
        crate::escape::tell!(
            "resume: {done} of {} samples already in {}, scoring the other {}",
            share.len(),
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
    let mut sink = |rec: ScoreRecord| {
        // A full disk (or any write error) names the file, not only "No space left on device".
        let cannot = || format!("cannot write {}", path.display());
        writer.write_record(row(&todo[k], &meta, &rec, &settings.policy, &models)).with_context(cannot)?;
        if let Some(w) = identities.as_mut() {
            w.write(&todo[k].rel_path, rec.identity.as_ref())?;
        }
        // Flushed per record: what was computed is on disk, whenever the run is stopped.
        writer.flush().with_context(cannot)?;
        if let Some(reason) = rec.reason() {
            bar.suspend(|| crate::escape::tell!("not scored: {}: {reason}", rec.path));
        }
        k += 1;
        bar.inc(1);
        Ok(())
    };
    match plan.remote {
        Some(r) => r.score(RemoteBatch { out, resume: plan.resume, first: done, todo, bar: &bar }, &mut sink)?,
        None => score_all(&jobs, spec, settings, plan.workers, sink)?,
    }
    bar.finish_and_clear();
    let file = writer
        .into_inner()
        .map_err(|e| anyhow::Error::from(e.into_error()))
        .and_then(|w| w.into_inner().map_err(|e| e.into_error().into()))
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.sync_all().with_context(|| format!("cannot write {}", path.display()))?;
    manifest.state = State::Complete;
    manifest.completed_utc = Some(utc_now_iso());
    manifest.store(out)?;
    Ok((path, todo.len(), held))
}

/// With a recognizer in the engine (`eval --match`), the `descriptors.csv` writer beside `scores.csv`, and
/// the rows kept. Each presentation's descriptor is a row written in the same pass as its score, so a
/// resumed run (`kept`: the complete rows of scores.csv) keeps the descriptors of its kept rows and
/// computes only the rest; the two files are cut back to the rows both hold. A shard writes its share's
/// rows in share order, as its scores.csv, and `merge` interleaves both by `positions.txt`.
fn identity_file(
    out: &Path,
    spec: &EngineSpec,
    share: &[Sample],
    kept: Option<usize>,
) -> Result<(Option<crate::recognition::identities::IdentityWriter>, Option<usize>)> {
    use crate::recognition::identities::{IdentityWriter, completed_rows};
    let path = out.join(DESCRIPTORS_CSV);
    let Some(d) = &spec.recognizer else {
        let _ = std::fs::remove_file(&path);
        return Ok((None, kept));
    };
    let dim = d.embedding.as_ref().map_or(0, |e| e.output.dim);
    let Some(scored) = kept else { return Ok((Some(IdentityWriter::create(&path, dim)?), None)) };
    let described = completed_rows(&path, dim, share)?;
    let both = scored.min(described.unwrap_or(0));
    if both < scored {
        eprintln!(
            "resume: {} holds descriptors of {both} of the {scored} scored rows; the other {} are scored again",
            path.display(),
            scored - both
        );
        resume::keep_rows(&out.join(SCORES_CSV), both)?;
    }
    let writer = match described {
        Some(_) => {
            resume::keep_rows(&path, both)?;
            IdentityWriter::append(&path, dim)?
        }
        None => IdentityWriter::create(&path, dim)?,
    };
    Ok((Some(writer), Some(both)))
}

/// What decides a row: each model's descriptor and the sha256 of the files actually on disk, the policy
/// (threshold, bands and quality gates), the classifiers' runtime (ORT and OpenVINO agree only to float
/// rounding, so rows of the two are never mixed in one file), the decode limit and the columns.
fn decides(spec: &EngineSpec, settings: &Settings, header: &[String]) -> Result<Value> {
    let mut models = Vec::new();
    for d in &spec.descriptors {
        let mut descriptor = serde_json::to_value(d)?;
        if let Some(o) = descriptor.as_object_mut() {
            o.remove("description"); // prose: never decides a score
        }
        let mut files = Vec::new();
        for m in &d.members {
            let path = crate::model::locate(&spec.models_dir, &m.file)?;
            files.push(json!({"file": m.file, "sha256": crate::model::integrity::sha256_cached(&path)?}));
        }
        models.push(json!({"name": d.name, "descriptor": descriptor, "files": files}));
    }
    let mut decides = json!({
        "models": models,
        "policy": settings.policy,
        "backend": spec.backend,
        "max_pixels": settings.limits.max_pixels,
        "columns": header,
    });
    if let Some(r) = &spec.recognizer {
        // Only present with `eval --match`, so the manifests of other runs are unchanged.
        // With the model file's sha256 and the crop rule: a resume under another of either is refused.
        let mut recognizer = serde_json::to_value(r)?;
        if let Some(o) = recognizer.as_object_mut() {
            o.remove("description");
        }
        decides["recognizer"] = recognizer;
    }
    Ok(decides)
}

/// Refuses a resume whose `what` differs from the recorded one, naming every difference.
fn refuse_other_settings(out: &Path, what: &str, old: &Value, new: &Value) -> Result<()> {
    let diff = manifest::differences(old, new);
    if diff.is_empty() {
        return Ok(());
    }
    bail!(
        "cannot resume {}: its rows were scored under other settings ({what}: recorded -> now):\n  {}\n\
         Resume with the recorded settings, use another --out, or pass --force to score afresh",
        out.display(),
        diff.join("\n  ")
    )
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
