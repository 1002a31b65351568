//! `liveness report --cross RUN... --out DIR` (bob's `cross`): a model × dataset matrix of EER, AUC and
//! BPCER @ APCER_max <= 5%, one cell per run folder, read from each run's metrics.json: the model is the
//! run's (its first, for a multi-model run); the dataset is the run's presentations, told apart by
//! `run.dataset_fingerprint` (ids, labels, species) and named by the `run.source` of the first run seen
//! with it, so two score files of the same images are one dataset and two `eval --where subject=...` runs
//! of one file are two. Written as index.html, report.md and cross.json. Domain shift shows as a model's
//! figures moving along its row.
//!
//! `--calibrate-on RUN` adds the operational view of the shift: each model's threshold is chosen by a
//! target (`--calibrate-target`, EER by default) on its run of RUN's dataset, then applied unchanged to its
//! run of every other dataset, whose APCER (worst species) and BPCER at that threshold fill two more
//! matrices. This is what a deployment calibrated in the lab meets in the field: the EER matrix can look
//! stable while the fixed threshold's error rates move. The scores are read from each run's score file
//! ([`RunScores`]); a model without a run on the calibration dataset gets no threshold, and says so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::schema::RunInfo;
use anyhow::{Context, Result, ensure};
use serde::Serialize;

use super::document::{Block, table};
use super::run_folder::read_metrics;
use super::runs_compared::RunScores;
use crate::metrics::format::pct;
use crate::metrics::format::typed_rate;
use crate::metrics::{EvalOptions, Metric, Rate, evaluate};
use crate::schema::policy::Target;

/// One run's cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub run: PathBuf,
    pub eer_pooled: Option<f64>,
    pub auc_pooled: Option<f64>,
    /// BPCER @ APCER_max <= 5% (BPCER20).
    pub bpcer20: Option<f64>,
    /// `--calibrate-on`: the rates at the model's threshold calibrated on the calibration dataset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<Transfer>,
}

/// A threshold calibrated on one dataset, applied to a run of another (or the same) dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transfer {
    pub threshold: f64,
    pub apcer_max: Metric<Rate>,
    pub bpcer: Metric<Rate>,
}

/// What `--calibrate-on` chose: the dataset, the target, and each model's threshold there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub dataset: String,
    pub target: String,
    pub thresholds: BTreeMap<String, f64>,
    /// Models with no run on the calibration dataset: no threshold to transfer.
    pub uncalibrated: Vec<String>,
}

/// `cross.json`: `cells.<model>.<dataset>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cross {
    pub models: Vec<String>,
    pub datasets: Vec<String>,
    pub cells: BTreeMap<String, BTreeMap<String, Cell>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
}

/// The model, dataset key (the fingerprint, else the source) and source of a run's metrics document.
fn names(run: &RunInfo) -> (String, String, String) {
    let first = run.models.as_ref().and_then(|m| m.first()).map(|m| m.name.as_str());
    let model = run.model.as_deref().or(first).unwrap_or("scores").to_owned();
    (model, run.dataset_fingerprint.clone(), run.source.clone())
}

/// The matrix of the runs; a model × dataset pair given twice is refused (which would it show?).
pub fn build(run_dirs: &[PathBuf]) -> Result<Cross> {
    let mut cells: BTreeMap<String, BTreeMap<String, Cell>> = BTreeMap::new();
    let mut datasets = BTreeSet::new();
    let mut label: BTreeMap<String, String> = BTreeMap::new();
    for dir in run_dirs {
        let doc = read_metrics(dir)?;
        let (model, key, source) = names(&doc.run);
        let dataset = label.entry(key).or_insert(source).clone();
        let tf = doc.threshold_free.as_ref();
        let cell = Cell {
            run: dir.clone(),
            eer_pooled: tf.and_then(|t| t.eer_pooled.value()).map(|e| e.value),
            auc_pooled: tf.and_then(|t| t.auc_pooled.value()).map(|a| a.value),
            bpcer20: tf.and_then(|t| t.bpcer_at_apcer.get("0.05")).and_then(|p| p.value()).map(|p| p.value),
            calibrated: None,
        };
        let row = cells.entry(model.clone()).or_default();
        if let Some(old) = row.get(&dataset) {
            let hint = if model == "scores" {
                " (a run of a score file read without --model is named `scores`: name its model with `eval \
                 --scores FILE --model NAME`)"
            } else {
                ""
            };
            anyhow::bail!(
                "{} and {} are both {model} on {dataset}: give one run per model and dataset{hint}",
                old.run.display(),
                dir.display()
            );
        }
        row.insert(dataset.clone(), cell);
        datasets.insert(dataset);
    }
    Ok(Cross {
        models: cells.keys().cloned().collect(),
        datasets: datasets.into_iter().collect(),
        cells,
        calibration: None,
    })
}

/// [`build`], then each model's threshold chosen by `target` on its run of the dataset of run folder `on`
/// (which joins the matrix when it is not among `run_dirs`) and applied to each of its runs.
pub fn build_calibrated(run_dirs: &[PathBuf], on: &Path, target: Target) -> Result<Cross> {
    let same = |a: &Path, b: &Path| {
        std::fs::canonicalize(a).ok().zip(std::fs::canonicalize(b).ok()).is_some_and(|(x, y)| x == y)
    };
    let mut dirs = run_dirs.to_vec();
    if !dirs.iter().any(|d| same(d, on)) {
        dirs.push(on.to_path_buf());
    }
    let mut cross = build(&dirs)?;
    // The calibration dataset is the one `on`'s cell sits in, under the name the matrix gave it.
    let dataset = cross
        .cells
        .values()
        .flat_map(|row| row.iter())
        .find(|(_, cell)| same(&cell.run, on))
        .map(|(dataset, _)| dataset.clone())
        .with_context(|| format!("{} is not in the matrix", on.display()))?;
    let mut thresholds = BTreeMap::new();
    let mut uncalibrated = Vec::new();
    for (model, row) in &mut cross.cells {
        if !row.contains_key(&dataset) {
            uncalibrated.push(model.clone());
            continue;
        }
        // Each run's scores, read once: the calibration run's choose the threshold, every run's are rated at it.
        let mut read = BTreeMap::new();
        for (d, cell) in row.iter() {
            let scores = RunScores::open(&cell.run)?;
            read.insert(d.clone(), (scores.read(scores.doc.run.model.as_deref())?, scores.bootstrap()));
        }
        let threshold = crate::calibrate::threshold_for(&read[&dataset].0, target)
            .with_context(|| format!("calibrating {model} on {} ({target})", row[&dataset].run.display()))?;
        for (d, cell) in row.iter_mut() {
            let (presentations, bootstrap) = &read[d];
            let options = EvalOptions { segments: None, bootstrap: *bootstrap, ..EvalOptions::new(threshold) };
            let at = evaluate(presentations, &options)?.report.at_threshold;
            cell.calibrated = Some(Transfer { threshold, apcer_max: at.attack.apcer_max, bpcer: at.bona_fide.bpcer });
        }
        thresholds.insert(model.clone(), threshold);
    }
    cross.calibration = Some(Calibration { dataset, target: target.to_string(), thresholds, uncalibrated });
    Ok(cross)
}

/// Reads one figure of a cell.
type Figure = fn(&Cell) -> Option<f64>;

/// The page's blocks: one matrix per figure.
pub fn blocks(cross: &Cross) -> Vec<Block> {
    let mut b = vec![Block::Verdict(format!(
        "{} model(s) × {} dataset(s); read along a row to see a model move between datasets.",
        cross.models.len(),
        cross.datasets.len()
    ))];
    let figures: [(&str, Figure, bool); 3] = [
        ("EER (pooled)", |c| c.eer_pooled, true),
        ("AUC (pooled)", |c| c.auc_pooled, false),
        ("BPCER @ APCER_max <= 5% (BPCER20)", |c| c.bpcer20, true),
    ];
    for (name, get, rate) in figures {
        b.push(Block::Heading(name.to_owned()));
        b.push(matrix(cross, "model", |cell| match cell.map(get) {
            None => "-".to_owned(),
            Some(None) => "n/a".to_owned(),
            Some(Some(v)) if rate => pct(v),
            Some(Some(v)) => format!("{v:.5}"),
        }));
    }
    if let Some(cal) = &cross.calibration {
        b.extend(calibrated_blocks(cross, cal));
    }
    b.push(Block::Text(
        "'-': no run of that model on that dataset; 'n/a': the run could not define the figure.".into(),
    ));
    b.push(table(&["run folder", "model", "dataset"], cross_runs(cross)));
    b
}

/// Reads one rate of a transferred threshold.
type TransferRate = fn(&Transfer) -> &Metric<Rate>;

/// The two matrices of `--calibrate-on`: APCER (worst species) and BPCER at each model's transferred
/// threshold, with the thresholds and the models that had none.
fn calibrated_blocks(cross: &Cross, cal: &Calibration) -> Vec<Block> {
    let mut b =
        vec![Block::Heading(format!("Calibrated on {} ({}), applied to every dataset", cal.dataset, cal.target))];
    let mut text = format!(
        "Each model's threshold is chosen by {} on its run of {} and applied unchanged to its other runs: the rates \
         a deployment calibrated there would meet. Thresholds: {}.",
        cal.target,
        cal.dataset,
        cal.thresholds.iter().map(|(m, t)| format!("{m} {t:.4}")).collect::<Vec<_>>().join(", ")
    );
    if !cal.uncalibrated.is_empty() {
        text += &format!(" No run on {} (no threshold): {}.", cal.dataset, cal.uncalibrated.join(", "));
    }
    b.push(Block::Text(text));
    let figures: [(&str, TransferRate); 2] = [("APCER worst species", |t| &t.apcer_max), ("BPCER", |t| &t.bpcer)];
    for (name, get) in figures {
        b.push(matrix(cross, &format!("model: {name}"), |cell| match cell.map(|c| c.calibrated.as_ref()) {
            None => "-".to_owned(),
            Some(None) => "no threshold".to_owned(),
            Some(Some(t)) => get(t).value().map_or_else(|| "n/a".to_owned(), typed_rate),
        }));
    }
    b
}

/// A model × dataset table: `corner` heads the model column, `cell` writes a cell (`None`: no run).
fn matrix(cross: &Cross, corner: &str, cell: impl Fn(Option<&Cell>) -> String) -> Block {
    let mut header = vec![corner.to_owned()];
    header.extend(cross.datasets.iter().cloned());
    let rows = cross
        .models
        .iter()
        .map(|m| {
            let mut row = vec![m.clone()];
            row.extend(cross.datasets.iter().map(|d| cell(cross.cells[m].get(d))));
            row
        })
        .collect();
    Block::Table { header, rows }
}

fn cross_runs(cross: &Cross) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (model, row) in &cross.cells {
        for (dataset, cell) in row {
            rows.push(vec![cell.run.display().to_string(), model.clone(), dataset.clone()]);
        }
    }
    rows
}

/// Writes index.html, report.md and cross.json into `out`; `calibrate`: the run folder and target of
/// `--calibrate-on`.
pub fn write(run_dirs: &[PathBuf], calibrate: Option<(&Path, Target)>, out: &Path) -> Result<super::Written> {
    ensure!(!run_dirs.is_empty(), "--cross needs at least one run folder");
    let cross = match calibrate {
        Some((on, target)) => build_calibrated(run_dirs, on, target)?,
        None => build(run_dirs)?,
    };
    std::fs::create_dir_all(out).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
    crate::run::atomic::write(&out.join("cross.json"), serde_json::to_string_pretty(&cross)?)?;
    super::write_pages(out, "PAD evaluation: models across datasets", &blocks(&cross), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, name: &str, model: &str, source: &str, eer: f64) -> PathBuf {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        // A whole document (`completed`) with the figures read here; the fingerprint is the source's.
        let eer = serde_json::json!({"value": eer, "threshold": 0.5, "apcer_pooled": eer, "bpcer": eer});
        let doc = crate::test_support::completed(serde_json::json!({
            "schema_version": "1",
            "run": {"model": model, "source": source, "dataset_fingerprint": source},
            "threshold_free": {"eer_pooled": eer, "auc_pooled": {"value": 0.9},
                               "bpcer_at_apcer": {"0.05": {"value": null, "reason": "none"}}},
        }));
        std::fs::write(d.join("metrics.json"), doc.to_string()).unwrap();
        d
    }

    #[test]
    fn hand_made_matrix() {
        let tmp = tempfile::tempdir().unwrap();
        let runs = [
            run(tmp.path(), "a", "m1", "A", 0.01),
            run(tmp.path(), "b", "m1", "B", 0.2),
            run(tmp.path(), "c", "m2", "A", 0.05),
        ];
        let c = build(&runs).unwrap();
        assert_eq!(
            (c.models.clone(), c.datasets.clone()),
            (vec!["m1".into(), "m2".into()], vec!["A".into(), "B".into()])
        );
        assert_eq!(c.cells["m1"]["B"].eer_pooled, Some(0.2));
        assert_eq!(c.cells["m2"]["A"].bpcer20, None);
        let b = blocks(&c);
        let Block::Table { rows, .. } = &b[2] else { panic!("the EER matrix") };
        assert_eq!(rows, &[vec!["m1", "1.00%", "20.00%"], vec!["m2", "5.00%", "-"]]);
        let twice = build(&[runs[0].clone(), run(tmp.path(), "d", "m1", "A", 0.3)]).unwrap_err().to_string();
        assert!(twice.contains("both m1 on A") && !twice.contains("--model NAME"), "{twice}");
        let unnamed = [run(tmp.path(), "e", "scores", "A", 0.1), run(tmp.path(), "f", "scores", "A", 0.2)];
        let e = build(&unnamed).unwrap_err().to_string();
        assert!(e.contains("both scores on A") && e.contains("--model NAME"), "{e}");
    }
}
