//! The `bob`, `resolution` and (with `--legacy-metrics`) `legacy` blocks of a run's metrics document,
//! and the EPC's CSV, all from the evaluation's one sweep; and the `folds` block (`--folds`).

use anyhow::Result;

use crate::metrics::MetricsDocument;

use crate::metrics::bob::BobMetrics;
use crate::metrics::epc::write_epc_csv;
use crate::metrics::{EvalOptions, Sweep, legacy, resolution::resolution};

/// The EPC's dev set: eval has no separate one for it, so the thresholds are the evaluation set's own.
const EPC_DEV: &str = "the evaluation set itself (no separate dev set: optimistic)";

/// Adds the blocks to `doc`; returns epc.csv's bytes (a header only where the curve is n/a).
pub fn add_blocks(
    doc: &mut MetricsDocument,
    sweep: &Sweep,
    options: &EvalOptions,
    legacy_metrics: bool,
) -> Result<Vec<u8>> {
    let bob = BobMetrics::from_sweep(sweep, None, EPC_DEV);
    let mut csv = Vec::new();
    match bob.epc.value() {
        Some(curve) => write_epc_csv(curve, &mut csv)?,
        None => write_epc_csv(&crate::metrics::epc::Epc { dev: EPC_DEV.into(), points: Vec::new() }, &mut csv)?,
    }
    doc.bob = Some(bob);
    doc.resolution = Some(resolution(sweep, &options.operating_rates));
    if legacy_metrics {
        doc.legacy = Some(legacy::at_threshold(sweep, options.threshold));
    }
    Ok(csv)
}

/// The `folds` block: each fold's threshold by `calibrate`'s rule `target` on the other folds.
pub fn folds(
    presentations: &[crate::schema::Presentation],
    spec: &str,
    target: crate::calibrate::Target,
) -> Result<crate::metrics::folds::FoldsReport> {
    let spec: crate::metrics::folds::FoldSpec = spec.parse()?;
    let rule = format!("{target} on the other folds (as liveness calibrate --target {target})");
    crate::metrics::folds::evaluate(presentations, &spec, &rule, |dev| crate::calibrate::threshold_for(dev, target))
}
