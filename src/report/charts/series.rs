//! One score set as the overlay charts draw it: its sweep, its EER and AUC, and its operating point. A
//! series is a run's evaluated model (`liveness report RUN_A RUN_B`) or one model of a multi-model run
//! (the "Models compared" section), so the same DET, ROC and distribution code draws both.

use std::path::Path;

use crate::metrics::comparison::{Comparison, Row};
use crate::metrics::{Metric, Rate};
use anyhow::{Context, Result};
use plotters::style::RGBColor;

use super::style;
use crate::report::run_folder::RunFolder;
use crate::report::sweep_table::SweepTable;
use crate::schema::run_folder::model_sweep_csv;

/// A series: its legend `name` (a model or a run; plotters escapes it in the SVG), the thinned `sweep` the
/// curves are drawn from, the pooled `eer` and `auc`, the decision `threshold`, the `operating` point
/// (APCER pooled, BPCER) there, and the scored bona fide and attack presentations.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub sweep: SweepTable,
    pub eer: Option<f64>,
    pub auc: Option<f64>,
    pub threshold: Option<f64>,
    pub operating: Option<(f64, f64)>,
    pub bona_fide: u64,
    pub attacks: u64,
}

impl Series {
    /// The run's evaluated model, named by the run's label.
    pub fn of_run(run: &RunFolder) -> Series {
        let (at, tf) = (run.doc.at_threshold.as_ref(), run.doc.threshold_free.as_ref());
        let pooled = at.and_then(|a| a.attack.apcer_pooled.value());
        Series {
            name: run.label(),
            sweep: run.sweep.clone(),
            eer: tf.and_then(|t| t.eer_pooled.value()).map(|e| e.value),
            auc: tf.and_then(|t| t.auc_pooled.value()).map(|a| a.value),
            threshold: run.threshold(),
            operating: pooled.map(|r| r.value).zip(at.and_then(|a| a.bona_fide.bpcer.value()).map(|r| r.value)),
            bona_fide: run.bona_fide_scored(),
            attacks: pooled.map_or(0, |r| r.n),
        }
    }

    /// Each model of a multi-model run, in the `comparison` block's order, with the sweep `eval` wrote for
    /// it (checked against its row's record). Empty when the run compared no models or its folder predates
    /// the per-model sweeps.
    /// `comparison` is the run's `comparison` block, or that of the `comparison.json` of `report RUN_A
    /// RUN_B`, in folder `dir`.
    pub fn of_comparison(dir: &Path, comparison: Option<&Comparison>) -> Result<Vec<Series>> {
        let rows = comparison.map_or(&[][..], |c| c.models.as_slice());
        if rows.is_empty() || rows.iter().any(|r| r.sweep_csv.is_none()) {
            return Ok(Vec::new());
        }
        rows.iter().enumerate().map(|(i, row)| Series::of_row(dir, i, row)).collect()
    }

    fn of_row(dir: &Path, index: usize, row: &Row) -> Result<Series> {
        // The file is named by position, never by the document: a model name cannot reach the file system.
        let path = dir.join(model_sweep_csv(index));
        crate::run::sweep_check::verify_record(&path, row.sweep_csv.as_ref().map(|m| &m.record))?;
        let sweep = SweepTable::read(&path).with_context(|| format!("model {index} of the comparison"))?;
        let value = |r: &Metric<Rate>| r.value().map(|r| r.value);
        let n = |r: &Metric<Rate>| r.value().map_or(0, |r| r.n);
        Ok(Series {
            name: row.model.clone(),
            sweep,
            eer: row.eer,
            auc: row.auc,
            threshold: row.threshold.is_finite().then_some(row.threshold),
            operating: value(&row.apcer_pooled).zip(value(&row.bpcer)),
            bona_fide: n(&row.bpcer),
            attacks: n(&row.apcer_pooled),
        })
    }
}

/// Each series with its colour in an overlay ([`style::run`]).
pub fn colored(series: &[Series]) -> impl Iterator<Item = (RGBColor, &Series)> {
    series.iter().enumerate().map(|(i, s)| (style::run(i), s))
}

/// A rate as the legends print it.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{:.2}%", 100.0 * v))
}
