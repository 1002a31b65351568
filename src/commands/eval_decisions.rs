//! `eval --scores FILE --decision-column C --decision-map WORD=...`: a vendor's own decisions. With scores
//! too, `eval::finish` puts them beside the threshold's figures; without scores (a decision-only API) this
//! is the run: APCER/BPCER, non-response rates and each class's decision shares at the vendor's operating
//! point (`metrics::decisions`), and the plain statement that curves need scores, in the terminal,
//! `metrics.json` (`curves`) and the report.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, ensure};

use super::eval::{Applied, Recipe, Source, run_info};
use crate::metrics::decisions::{CURVES_NEED_SCORES, DecisionReport, decisions};
use crate::metrics::{MetricsDocument, NotAvailable};
use crate::run::coverage::Coverage;
use crate::schema::run_folder::METRICS_JSON;
use crate::schema::{Presentation, Presentations, VendorDecision};
use crate::score::pipeline::{EngineSpec, Settings};
use crate::scorefile::{Mapping, ModelColumn};

/// The vendor's decisions of `presentations`, when the mapping names a decision column.
pub(super) fn report(presentations: &[Presentation], mapping: &Mapping) -> Result<Option<DecisionReport>> {
    match &mapping.decision {
        Some(column) => decisions(presentations, column),
        None => Ok(None),
    }
}

/// No presentation has a score: only the vendor's decisions can be evaluated.
pub(super) fn only<P: Presentations + ?Sized>(presentations: &P) -> bool {
    (0..presentations.count()).all(|i| presentations.score(i).is_none())
}

/// Writes the metrics document and the report of a decision-only run into `out`.
#[allow(clippy::too_many_arguments)] // `eval::finish`'s own arguments, and what it already worked out
pub(super) fn finish(
    out: &Path,
    source: &Source,
    presentations: &[Presentation],
    recipe: &Recipe,
    spec: &EngineSpec,
    settings: &Settings,
    coverage: &Coverage,
    column: &ModelColumn,
    vendor: &DecisionReport,
) -> Result<ExitCode> {
    ensure!(
        recipe.calibrate_on.is_none(),
        "--calibrate-on chooses a threshold on scores, and this file holds only the vendor's decisions (column {})",
        vendor.column
    );
    if recipe.threshold.is_some() {
        crate::escape::tell!("note: --threshold does not apply: the vendor's decisions are evaluated as they are");
    }
    let threshold_source = format!("none applied: the vendor's own decisions (column {})", vendor.column);
    let at = Applied { column, threshold: settings.policy.threshold, threshold_source, sweep: None };
    // No score was read: no score column is recorded.
    let run = crate::schema::RunInfo {
        score_column: None,
        ..run_info(source, presentations, recipe, spec, settings, coverage, at)
    };
    let mut doc = MetricsDocument::decision_only(run, Some(NotAvailable::new(CURVES_NEED_SCORES)));
    doc.decisions = Some(vendor.clone());
    if let Some(l) = &source.labels {
        doc.labels = Some(l.report.clone());
    }
    if let Some(note) = coverage.note() {
        crate::escape::tell!("warning: {note}");
    }
    crate::run::atomic::write(&out.join(METRICS_JSON), doc.to_file_text()?)?;
    crate::escape::say!("{}", crate::report::terminal::summary(&doc));
    let report = crate::report::write_report(out, out)?;
    crate::escape::say!("run folder: {} (report: {})", out.display(), report.html.display());
    let undecided = presentations
        .iter()
        .filter_map(|p| p.decision.as_ref())
        .any(|d| matches!(d.decision, VendorDecision::Retry | VendorDecision::NoResponse));
    Ok(if undecided { ExitCode::from(3) } else { ExitCode::SUCCESS })
}
