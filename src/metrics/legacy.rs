//! ACER and HTER at the threshold: opt-in (`eval --legacy-metrics`), for comparison with papers that
//! still print them. Neither is an ISO/IEC 30107-3 metric: the standard reports APCER per species and
//! BPCER separately, since an average of the two hides how many attacks get through; the block carries
//! that note so no output shows the figures without it.
//!
//! - `acer` = (APCER_max + BPCER) / 2, worst species (as the OULU-NPU protocols print it).
//! - `hter` = (APCER pooled + BPCER) / 2 (bob.measure's HTER, attacks pooled as bob's FAR).

use serde::{Deserialize, Serialize};

use super::metric::{Metric, Threshold};
use super::sweep::Sweep;

/// The note every output carries beside the legacy figures.
pub const NOTE: &str = "ACER and HTER are not ISO/IEC 30107-3 metrics: report APCER per species and BPCER";

/// A legacy average at the threshold and its two parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Average {
    pub value: f64,
    pub apcer: f64,
    pub bpcer: f64,
}

/// The `legacy` block of metrics.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Legacy {
    pub note: String,
    pub threshold: Threshold,
    pub acer: Metric<Average>,
    pub hter: Metric<Average>,
}

/// ACER and HTER of `sweep` at threshold `t` (bona fide iff score >= t).
pub fn at_threshold(sweep: &Sweep, t: f64) -> Legacy {
    let i = sweep.index_at(t);
    let average = |apcer: Option<f64>| match (apcer, sweep.bpcer(i)) {
        (Some(apcer), Some(bpcer)) => Metric::Value(Average { value: (apcer + bpcer) / 2.0, apcer, bpcer }),
        (None, _) => Metric::na("no scored attack presentations"),
        (_, None) => Metric::na("no scored bona fide presentations"),
    };
    Legacy {
        note: NOTE.to_owned(),
        threshold: Threshold(t),
        acer: average(sweep.apcer_max(i)),
        hter: average(sweep.apcer_pooled(i)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    #[test]
    fn hand_computed_acer_and_hter() {
        // t = 0.5: live 0.9 0.4 → BPCER 1/2; print 0.6 0.1 → 1/2; replay 0.2 0.3 → 0; pooled 1/4.
        let ps: Vec<_> = [("", 0.9), ("", 0.4), ("print", 0.6), ("print", 0.1), ("replay", 0.2), ("replay", 0.3)]
            .iter()
            .map(|&(s, v)| pres(s, Some(v)))
            .collect();
        let l = at_threshold(&Sweep::build(&ps).unwrap(), 0.5);
        assert_eq!(l.acer.value().unwrap(), &Average { value: 0.5, apcer: 0.5, bpcer: 0.5 });
        assert_eq!(l.hter.value().unwrap(), &Average { value: 0.375, apcer: 0.25, bpcer: 0.5 });
        assert!(l.note.contains("not ISO/IEC 30107-3"));
        let live = at_threshold(&Sweep::build(&ps[..2]).unwrap(), 0.5);
        assert_eq!(live.acer.reason(), Some("no scored attack presentations"));
    }
}
