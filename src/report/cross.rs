//! `liveness report --cross RUN... --out DIR` (bob's `cross`): a model × dataset matrix of EER, AUC and
//! BPCER @ APCER_max <= 5%, one cell per run folder, read from each run's metrics.json: the model is the
//! run's (its first, for a multi-model run); the dataset is the run's presentations, told apart by
//! `run.dataset_fingerprint` (ids, labels, species) and named by the `run.source` of the first run seen
//! with it, so two score files of the same images are one dataset and two `eval --where subject=...` runs
//! of one file are two. Written as index.html, report.md and cross.json. Domain shift shows as a model's
//! figures moving along its row.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Result, ensure};
use serde::Serialize;
use serde_json::Value;

use super::document::{Block, table};
use super::run_folder::read_metrics;
use crate::metrics::format::pct;

/// One run's cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub run: PathBuf,
    pub eer_pooled: Option<f64>,
    pub auc_pooled: Option<f64>,
    /// BPCER @ APCER_max <= 5% (BPCER20).
    pub bpcer20: Option<f64>,
}

/// `cross.json`: `cells.<model>.<dataset>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cross {
    pub models: Vec<String>,
    pub datasets: Vec<String>,
    pub cells: BTreeMap<String, BTreeMap<String, Cell>>,
}

/// The model, dataset key (the fingerprint, else the source) and source of a run's metrics document.
fn names(doc: &Value) -> (String, String, String) {
    let run = &doc["run"];
    let model = run["model"].as_str().or_else(|| run["models"][0]["name"].as_str()).unwrap_or("scores").to_owned();
    let source = run["source"].as_str().unwrap_or("?").to_owned();
    (model, run["dataset_fingerprint"].as_str().map_or_else(|| source.clone(), str::to_owned), source)
}

/// The matrix of the runs; a model × dataset pair given twice is refused (which would it show?).
pub fn build(run_dirs: &[PathBuf]) -> Result<Cross> {
    let mut cells: BTreeMap<String, BTreeMap<String, Cell>> = BTreeMap::new();
    let mut datasets = BTreeSet::new();
    let mut label: BTreeMap<String, String> = BTreeMap::new();
    for dir in run_dirs {
        let doc = read_metrics(dir)?;
        let (model, key, source) = names(&doc);
        let dataset = label.entry(key).or_insert(source).clone();
        let tf = &doc["threshold_free"];
        let cell = Cell {
            run: dir.clone(),
            eer_pooled: tf["eer_pooled"]["value"].as_f64(),
            auc_pooled: tf["auc_pooled"]["value"].as_f64(),
            bpcer20: tf["bpcer_at_apcer"]["0.05"]["value"].as_f64(),
        };
        let row = cells.entry(model.clone()).or_default();
        if let Some(old) = row.get(&dataset) {
            anyhow::bail!(
                "{} and {} are both {model} on {dataset}: give one run per model and dataset",
                old.run.display(),
                dir.display()
            );
        }
        row.insert(dataset.clone(), cell);
        datasets.insert(dataset);
    }
    Ok(Cross { models: cells.keys().cloned().collect(), datasets: datasets.into_iter().collect(), cells })
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
        let mut header = vec!["model".to_owned()];
        header.extend(cross.datasets.iter().cloned());
        let rows = cross
            .models
            .iter()
            .map(|m| {
                let mut row = vec![m.clone()];
                row.extend(cross.datasets.iter().map(|d| match cross.cells[m].get(d).map(get) {
                    None => "-".to_owned(),
                    Some(None) => "n/a".to_owned(),
                    Some(Some(v)) if rate => pct(&Value::from(v)),
                    Some(Some(v)) => format!("{v:.5}"),
                }));
                row
            })
            .collect();
        b.push(Block::Table { header, rows });
    }
    b.push(Block::Text(
        "'-': no run of that model on that dataset; 'n/a': the run could not define the figure.".into(),
    ));
    b.push(table(&["run folder", "model", "dataset"], cross_runs(cross)));
    b
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

/// Writes index.html, report.md and cross.json into `out`.
pub fn write(run_dirs: &[PathBuf], out: &Path) -> Result<super::Written> {
    ensure!(!run_dirs.is_empty(), "--cross needs at least one run folder");
    let cross = build(run_dirs)?;
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
        let doc = serde_json::json!({
            "schema_version": "1",
            "run": {"model": model, "source": source},
            "threshold_free": {"eer_pooled": {"value": eer}, "auc_pooled": {"value": 0.9},
                               "bpcer_at_apcer": {"0.05": {"value": null, "reason": "none"}}},
        });
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
        assert!(twice.contains("both m1 on A"), "{twice}");
    }
}
