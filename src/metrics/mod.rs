//! The metrics engine: ISO/IEC 30107-3 PAD metrics over [`Presentation`](crate::schema::Presentation)s.
//!
//! Conventions (written out in `docs/metrics.md`; the oracles of `../shared/oracles/` are the contract
//! the engine is tested against): bona fide iff score >= t; non-responses are left out of APCER/BPCER
//! and counted in APNRR/BPNRR and the system-level rates; candidate thresholds are every distinct score
//! plus +inf. Entry point: [`evaluate`], which builds the
//! [`Sweep`] once and derives everything from it and from per-class counts.
//!
//! One concern per file: `population` (validated compact view), `tally` (counts at a threshold),
//! `rates` (rate definitions and the at-threshold section), `ci` (Clopper-Pearson), `bootstrap`,
//! `radix` + `sweep` (the sorted sweep), `operating` (EER, operating points, AUC), `segments`,
//! `bands` (pass/retry/fail policy), `counts`, `subjects`, `metric` (n/a values), `report`; `document` (the
//! metrics.json contract: the report, the run block and the blocks `eval` adds, read back by type); `decisions` (a vendor's own decisions, no
//! scores: `eval --decision-column`); `calibration`
//! (scores into probabilities: Platt, isotonic, and Cllr / min-Cllr / Brier / ECE); `aggregate` (frames of a
//! video into one presentation: `eval --group-by`); `strata` (a numeric column cut into buckets that segment
//! every metric: `--segment-by q_sharpness:quartiles`); `bob`, `rocch`, `epc`, `legacy` (the rest of bob.measure,
//! bob.pad and pyeer on the same sweep); `resolution` (what the counts can resolve: the rule of three).

pub mod aggregate;
mod bands;
pub mod bob;
mod bootstrap;
pub mod calibration;
mod ci;
pub mod comparison;
mod counts;
pub mod decisions;
pub mod delong;
pub(crate) mod document;
pub mod epc;
pub mod folds;
pub mod format;
pub mod full_system;
pub mod legacy;
pub mod mcnemar;
mod metric;
mod operating;
pub mod paired;
mod population;
mod radix;
mod rates;
mod report;
pub mod resolution;
mod rocch;
mod segments;
pub mod strata;
mod subjects;
mod sweep;
mod tally;

#[cfg(test)]
mod bob_properties;
#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod properties;

pub use bands::{BandOptions, BandShares, BandsReport};
pub use bootstrap::{BootstrapOptions, BootstrapSummary};
pub use ci::{BootstrapInterval, Interval, clopper_pearson};
pub use counts::{ClassCounts, Counts};
pub use document::{MetricsDocument, Scored};
pub use metric::{Metric, NotAvailable, Threshold};
pub use operating::{Auc, Eer, OperatingPoint, ThresholdFree, apcer_at_bpcer, auc_pooled, bpcer_at_apcer, eer_pooled};
pub use rates::{AttackRates, BonaFideRates, Rate, RateSet, SpeciesRates};
pub use report::{
    DEFAULT_OPERATING_RATES, EvalOptions, Evaluation, MetricsReport, SCHEMA_VERSION, evaluate, evaluate_set,
};
pub use segments::{MAX_DEFAULT_SEGMENTS, Segment, SegmentOptions, SegmentsReport, WorstSegment, segment_columns};
pub use subjects::SUBJECT_COLUMN;
pub use sweep::{Sweep, SweepPoint, write_sweep_csv};
