//! `liveness report RUN_A RUN_B ... --out DIR` and `liveness report RUN --models a,b --out DIR`: the
//! models of run folders compared exactly as a multi-model `eval` compares its models (the same
//! `metrics::comparison` block, rows, verdicts, species and segment winners, overlaid curves), from the
//! runs' own score files.
//!
//! Why from the scores and not from each metrics.json: the verdicts are paired tests, and they need each
//! presentation's score under both models. Each entrant is one model of one run, read with the run's own
//! column, negation and mapping, and checked against the run's presentation fingerprint (a score file
//! changed after its run is refused, never silently compared). Each model keeps the threshold its run
//! applied (`at_threshold` for the run's model, its `comparison` row for another model of the run).
//!
//! Runs on different presentations are compared on the presentations all of them hold (matched by id),
//! and the section states each run's count and the shared count; an id that is bona fide in one run and
//! an attack (or another species) in another is refused, and runs sharing no presentation are refused.
//! On the same presentations every row equals the run's own evaluation of that model.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::metrics::MetricsDocument;
use anyhow::{Context, Result, anyhow, bail, ensure};
use serde::Serialize;

use super::document::{Block, table};
use super::run_folder::{RunFolder, read_metrics};
use crate::metrics::comparison::{Comparison, Scorer, compare};
use crate::metrics::{BootstrapOptions, EvalOptions, SegmentOptions, evaluate, write_sweep_csv};
use crate::schema::Presentation;
use crate::schema::run_folder::{ModelSweep, model_sweep_csv};
use crate::scoreset::{Filter, ScoreSet, Selector};

/// One model of one run, as it enters the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Entrant {
    /// Its name in the tables: the model, or `folder (model)` where two runs have the same model.
    pub name: String,
    pub run: PathBuf,
    pub model: Option<String>,
    /// The score file read (the run's own, or the file `eval --scores` read).
    pub scores: PathBuf,
    pub threshold: f64,
    /// Presentations the run holds.
    pub presentations: usize,
    #[serde(skip)]
    read: Vec<Presentation>,
    #[serde(skip)]
    options: EvalOptions,
}

/// The comparison document (`comparison.json`): the block and who entered it.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub comparison: Comparison,
    pub entrants: Vec<Entrant>,
    /// Presentations every entrant holds: what the figures are computed on.
    pub shared: usize,
    pub shared_fingerprint: String,
}

/// Compares the runs' models (`models`: the named models of each run that has them, else each run's own
/// model); returns the document and each entrant's sweep.csv bytes, in the block's order.
pub fn compare_runs(
    runs: &[RunFolder],
    models: Option<&[String]>,
    bootstrap: BootstrapOptions,
) -> Result<(Compared, Vec<Vec<u8>>)> {
    let mut entrants = Vec::new();
    for run in runs {
        entrants.extend(entrants_of(RunScores::of(&run.dir, run.doc.clone())?, models)?);
    }
    if let Some(models) = models {
        for m in models {
            ensure!(
                entrants.iter().any(|e| e.model.as_deref() == Some(m.as_str())),
                "--models: no run given holds scores of model {m:?}"
            );
        }
    }
    ensure!(
        entrants.len() >= 2,
        "a comparison needs two models: give two or more run folders, or --models a,b with a multi-model run"
    );
    name(&mut entrants);
    let sets = intersect(&entrants)?;
    let evaluations = entrants.iter().zip(&sets).map(|(e, p)| evaluate(p, &e.options)).collect::<Result<Vec<_>>>()?;
    let scorers: Vec<Scorer> = entrants
        .iter()
        .zip(&sets)
        .zip(&evaluations)
        .map(|((e, p), ev)| Scorer { model: &e.name, presentations: p, threshold: e.threshold, report: &ev.report })
        .collect();
    let mut comparison = compare(&scorers, bootstrap)?;
    let mut sweeps = Vec::new();
    for (i, (row, ev)) in comparison.models.iter_mut().zip(&evaluations).enumerate() {
        let mut bytes = Vec::new();
        write_sweep_csv(&ev.sweep, &mut bytes)?;
        row.sweep_csv = Some(ModelSweep { file: model_sweep_csv(i), record: crate::run::sweep_check::record(&bytes) });
        sweeps.push(bytes);
    }
    let shared_fingerprint = crate::scorefile::fingerprint(&sets[0]);
    let n = sets[0].len();
    Ok((Compared { comparison, entrants, shared: n, shared_fingerprint }, sweeps))
}

/// A run folder's score file, opened to be read as its run read it (column, negation, mapping).
pub struct RunScores {
    pub dir: PathBuf,
    pub doc: MetricsDocument,
    /// The run's own score file, or the file `eval --scores` read.
    pub file: PathBuf,
    mapping: crate::scorefile::Mapping,
    /// The run's `--where` on that file.
    filter: Option<Filter>,
    /// The models of the file's `<model>_score` columns.
    held: Vec<String>,
}

impl RunScores {
    /// Opens the run's score file; refuses runs whose presentations a score file cannot give back (decisions
    /// only, videos aggregated from frames, labels joined from elsewhere, scores not there).
    pub fn open(dir: &Path) -> Result<RunScores> {
        RunScores::of(dir, read_metrics(dir)?)
    }

    /// [`RunScores::open`] with the run's metrics.json `doc` already read.
    pub fn of(dir: &Path, doc: MetricsDocument) -> Result<RunScores> {
        let here = dir.display();
        ensure!(
            doc.scored().is_some(),
            "{here}: a decision-only run has no scores to compare; compare its decisions with `liveness diff`"
        );
        ensure!(
            doc.aggregation.is_none(),
            "{here}: the run evaluated videos aggregated from frames (--group-by); compare such runs with one \
             `eval --model a,b --group-by ...`, which aggregates every model alike"
        );
        ensure!(
            doc.labels.is_none(),
            "{here}: the run's labels were joined from elsewhere (--labels); compare with one `eval --scores ... \
             --labels ...` of a file holding both models"
        );
        let info = &doc.run;
        // The folder's own score file, else the file `eval --scores` read, with its `--where` filter.
        let own = crate::scorefile::of_run(dir);
        let (file, filter) = if own.is_file() {
            (own, None)
        } else {
            // Folders written before `score_file` was recorded name the file only as their `source`.
            let older = (info.scored_with_models == Some(false)).then(|| info.source.clone());
            let Some(file) = info.score_file.clone().or(older).map(PathBuf::from).filter(|f| f.is_file()) else {
                bail!(
                    "{here}: the run's scores are not there (no {}, and the score file it read, {:?}, is gone); \
                     rerun `eval` into the folder or compare the score files with `eval --scores`",
                    own.display(),
                    info.score_file.as_deref().unwrap_or(&info.source)
                );
            };
            let filter = info.filter.as_deref().map(str::parse::<Filter>).transpose();
            (file, filter.map_err(|e| anyhow!("{here}: metrics.json run.filter: {e}"))?)
        };
        let mapping = info.mapping.clone().unwrap_or_default();
        let held = crate::scorefile::ModelColumn::of_file(&file, None, &mapping)?.models;
        Ok(RunScores { dir: dir.to_path_buf(), doc, file, filter, mapping, held })
    }

    /// The subject-clustered bootstrap the run's intervals were computed with (its `bootstrap` block), so
    /// that figures recomputed from its scores carry the same intervals.
    pub fn bootstrap(&self) -> Option<BootstrapOptions> {
        let b = self.doc.bootstrap.as_ref()?.value()?;
        Some(BootstrapOptions { resamples: b.resamples, seed: b.seed })
    }

    /// True when the file holds scores of `model` (a column of its own, or the run's one model).
    pub fn holds(&self, model: &str) -> bool {
        self.held.iter().any(|h| h == model) || self.doc.run.model.as_deref() == Some(model)
    }

    /// The presentations with `model`'s scores (`None`: the file's `score` column), checked to be the ones
    /// the run evaluated (its presentation fingerprint), unless the run was a shard or incomplete.
    pub fn read(&self, model: Option<&str>) -> Result<Vec<Presentation>> {
        // A file without per-model columns holds one model's scores in `score`: it is read as it is.
        let column = model.filter(|m| self.held.iter().any(|h| h == m));
        let set = ScoreSet::load(Selector {
            path: &self.file,
            model: column,
            filter: self.filter.as_ref(),
            flip: self.doc.run.flip.unwrap_or(false),
            mapping: Some(&self.mapping),
            keep: &[],
            labels: None,
        })?;
        let print = crate::scorefile::fingerprint(&set.presentations);
        let info = &self.doc.run;
        ensure!(
            info.shard.is_some() || info.coverage.is_some() || print == info.dataset_fingerprint,
            "{}: its presentations are not those the run {} evaluated (fingerprint {print}, the run recorded {}): \
             the file changed after the run; rerun `eval`",
            self.file.display(),
            self.dir.display(),
            info.dataset_fingerprint
        );
        Ok(set.presentations)
    }
}

/// The entrants of one run folder.
fn entrants_of(run: RunScores, models: Option<&[String]>) -> Result<Vec<Entrant>> {
    let dir = run.dir.as_path();
    let wanted: Vec<Option<String>> = match models {
        None => vec![run.doc.run.model.clone()],
        Some(list) => list.iter().filter(|m| run.holds(m)).map(|m| Some(m.clone())).collect(),
    };
    let operating_rates = operating_rates(&run.doc, dir)?;
    let bootstrap = run.bootstrap();
    let mut out = Vec::new();
    for model in wanted {
        let threshold = if model == run.doc.run.model {
            run.doc.run.threshold
        } else {
            threshold_of(&run.doc, model.as_deref(), dir)?
        };
        let read = run.read(model.as_deref())?;
        let options = EvalOptions {
            threshold,
            operating_rates: operating_rates.clone(),
            segments: Some(SegmentOptions::default()),
            bootstrap,
            policy: None,
        };
        out.push(Entrant {
            name: String::new(),
            run: dir.to_path_buf(),
            model,
            scores: run.file.clone(),
            threshold,
            presentations: read.len(),
            read,
            options,
        });
    }
    Ok(out)
}

/// The x of the run's BPCER @ APCER_max <= x points (its `--operating-rates`), so that the rows have the
/// run's own operating points.
fn operating_rates(doc: &MetricsDocument, dir: &Path) -> Result<Vec<f64>> {
    let keys = doc.threshold_free.as_ref().map(|tf| tf.bpcer_at_apcer.keys().cloned().collect::<Vec<_>>());
    let Some(keys) = keys else { return Ok(crate::metrics::DEFAULT_OPERATING_RATES.to_vec()) };
    keys.iter()
        .map(|k| k.parse::<f64>().with_context(|| format!("{}: operating rate {k:?} is not a number", dir.display())))
        .collect()
}

/// The threshold the run applied to one of its other models (its row of the run's `comparison` block).
fn threshold_of(doc: &MetricsDocument, model: Option<&str>, dir: &Path) -> Result<f64> {
    let row = doc.comparison.iter().flat_map(|c| &c.models).find(|r| Some(r.model.as_str()) == model);
    row.map(|r| r.threshold).with_context(|| {
        format!(
            "{}: model {} was scored in the run but not evaluated, so the run applied no threshold to it; \
             evaluate it (`eval --scores {} --model {0}`) and compare that run",
            dir.display(),
            model.unwrap_or("?"),
            crate::scorefile::of_run(dir).display()
        )
    })
}

/// Names every entrant by its model, or `folder (model)` where models repeat, or the folder's path where
/// folder names repeat too.
fn name(entrants: &mut [Entrant]) {
    let model = |e: &Entrant| e.model.clone().unwrap_or_else(|| "scores".into());
    let folder =
        |e: &Entrant| e.run.file_name().map_or_else(|| e.run.display().to_string(), |n| n.to_string_lossy().into());
    let unique = |names: &[String]| names.iter().collect::<HashSet<_>>().len() == names.len();
    let by_model: Vec<String> = entrants.iter().map(model).collect();
    let by_folder: Vec<String> = entrants.iter().map(|e| format!("{} ({})", folder(e), model(e))).collect();
    let names = if unique(&by_model) {
        by_model
    } else if unique(&by_folder) {
        by_folder
    } else {
        entrants.iter().map(|e| format!("{} ({})", e.run.display(), model(e))).collect()
    };
    for (e, n) in entrants.iter_mut().zip(names) {
        e.name = n;
    }
}

/// Each entrant's presentations among those every entrant holds (matched by id), in the first entrant's
/// order. Refuses an id labelled differently in two runs, and runs that share no presentation. (Ids are
/// unique within a score file: its reader refuses one given twice.)
fn intersect(entrants: &[Entrant]) -> Result<Vec<Vec<Presentation>>> {
    let maps: Vec<HashMap<&str, &Presentation>> =
        entrants.iter().map(|e| e.read.iter().map(|p| (p.id.as_str(), p)).collect()).collect();
    let mut sets = vec![Vec::new(); entrants.len()];
    'presentations: for p in &entrants[0].read {
        let mut found = Vec::with_capacity(entrants.len());
        for (e, map) in entrants.iter().zip(&maps) {
            match map.get(p.id.as_str()) {
                None => continue 'presentations,
                Some(q) if q.bona_fide != p.bona_fide || q.species != p.species => bail!(
                    "presentation {:?} is {} in {} but {} in {}: these runs are not of the same data",
                    p.id,
                    class(p),
                    entrants[0].run.display(),
                    class(q),
                    e.run.display()
                ),
                Some(q) => found.push(*q),
            }
        }
        for (set, q) in sets.iter_mut().zip(found) {
            set.push(q.clone());
        }
    }
    let counts: Vec<String> = entrants.iter().map(|e| format!("{} has {}", e.name, e.read.len())).collect();
    ensure!(
        !sets[0].is_empty(),
        "the runs share no presentation (matched by id; {}): nothing to compare",
        counts.join(", ")
    );
    Ok(sets)
}

fn class(p: &Presentation) -> String {
    if p.bona_fide { "bona fide".into() } else { format!("an attack of species {:?}", p.species) }
}

/// The blocks that say what was compared on what: each entrant's run, model, threshold and counts.
pub fn blocks(c: &Compared) -> Vec<Block> {
    let all_same = c.entrants.iter().all(|e| e.presentations == c.shared);
    let mut b = vec![Block::Verdict(if all_same {
        format!("Compared on the same {} presentations in every run (fingerprint {}).", c.shared, c.shared_fingerprint)
    } else {
        format!(
            "Compared only on the {} presentations every run holds (matched by id, fingerprint {}); the runs hold \
             {}.",
            c.shared,
            c.shared_fingerprint,
            c.entrants.iter().map(|e| format!("{} ({})", e.presentations, e.name)).collect::<Vec<_>>().join(", ")
        )
    })];
    let rows = c
        .entrants
        .iter()
        .map(|e| {
            vec![
                e.name.clone(),
                e.run.display().to_string(),
                e.scores.display().to_string(),
                format!("{:.4}", e.threshold),
                e.presentations.to_string(),
                c.shared.to_string(),
            ]
        })
        .collect();
    b.push(table(&["model", "run folder", "score file", "threshold", "presentations", "compared on"], rows));
    b
}
