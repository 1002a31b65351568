//! The `probability` block of `metrics.json`: how well the scores of an evaluated split are calibrated,
//! as raw scores and, when the policy holds a probability map, after it.
//!
//! This is the "after" of a calibration: the map was fitted on a dev split (`liveness calibrate
//! --probability`), and here it meets presentations it has not seen. The map is judged at the prior it
//! was fitted at (its dev share of bona fide), not at the deployment prior it reports under: ECE and
//! Brier depend on the class balance of the split, so restating the prior would mix two effects. Cllr
//! and min-Cllr do not depend on it.

use serde::{Deserialize, Serialize};

use super::FitQuality;
use super::map::{BINS, mapped_quality, raw_quality};
use crate::metrics::Metric;
use crate::schema::{Presentations, Probability};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityReport {
    /// Equal-width reliability bins over 0..1.
    pub bins: usize,
    /// Scored presentations the figures are over (non-responses have no probability).
    pub bona_fide: u64,
    pub attacks: u64,
    /// The raw scores read as probabilities (posteriors at an even prior, as a softmax is).
    pub raw: FitQuality,
    /// The policy's map applied to the raw scores; n/a without one.
    pub calibrated: Metric<Calibrated>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibrated {
    pub method: String,
    /// The prior the map's output is judged at: the dev split's share of bona fide.
    pub dev_bona_fide_share: f64,
    /// The deployment share of attacks `score` and `serve` restate the probability at (not used here).
    pub prior_attack: Option<f64>,
    /// Where the map was fitted: the dev score file and the fingerprint of its presentations.
    pub fitted_on: String,
    pub dev_fingerprint: String,
    #[serde(flatten)]
    pub quality: FitQuality,
}

/// The block for `presentations` under `map`; n/a when nothing is scored or the scores are not
/// probabilities (outside 0..1: on another scale, such as 0-100).
pub fn probability_report<P: Presentations + ?Sized>(
    presentations: &P,
    map: Option<&Probability>,
) -> Metric<ProbabilityReport> {
    let pairs: Vec<(f64, bool)> = (0..presentations.count())
        .filter_map(|i| Some((presentations.score(i)?, presentations.bona_fide(i))))
        .collect();
    if pairs.is_empty() {
        return Metric::na("no scored presentations");
    }
    if pairs.iter().any(|p| !(0.0..=1.0).contains(&p.0)) {
        return Metric::na("scores outside 0..1 are not live probabilities (on another scale, such as 0-100)");
    }
    let bona_fide = pairs.iter().filter(|p| p.1).count() as u64;
    let calibrated = match map {
        None => Metric::na("the policy has no probability map (liveness calibrate --probability)"),
        Some(m) => Metric::Value(Calibrated {
            method: m.method.as_str().to_owned(),
            dev_bona_fide_share: m.dev_bona_fide_share,
            prior_attack: m.prior_attack,
            fitted_on: m.scores.clone(),
            dev_fingerprint: m.dataset_fingerprint.clone(),
            quality: mapped_quality(&pairs, |s| m.at_dev_prior(s), m.dev_bona_fide_share),
        }),
    };
    Metric::Value(ProbabilityReport {
        bins: BINS,
        bona_fide,
        attacks: pairs.len() as u64 - bona_fide,
        raw: raw_quality(&pairs),
        calibrated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Presentation;
    use crate::test_support::pres;

    #[test]
    fn raw_scores_are_judged_as_probabilities_and_odd_scales_are_na() {
        // Bona fide 0.9 and 0.2, attack 0.6 (and one attack non-response, left out).
        let ps = vec![pres("", Some(0.9)), pres("", Some(0.2)), pres("print", Some(0.6)), pres("print", None)];
        let Metric::Value(r) = probability_report(&ps, None) else { panic!("expected a value") };
        assert_eq!((r.bona_fide, r.attacks), (2, 1));
        // Brier by hand: (0.1² + 0.8² + 0.6²) / 3 = (0.01 + 0.64 + 0.36) / 3.
        assert!((r.raw.brier.unwrap() - 1.01 / 3.0).abs() < 1e-12);
        assert_eq!(r.calibrated.reason(), Some("the policy has no probability map (liveness calibrate --probability)"));
        let negated: Vec<Presentation> =
            ps.iter().map(|p| Presentation { score: p.score.map(|s| -s), ..p.clone() }).collect();
        assert!(probability_report(&negated, None).reason().unwrap().contains("outside 0..1"));
        assert_eq!(probability_report(&ps[3..], None).reason(), Some("no scored presentations"));
    }

    #[test]
    fn a_wrong_certainty_costs_an_infinite_cllr_written_as_text() {
        // A bona fide presentation given probability 0: ln(1 + e^inf) bits.
        let q = crate::metrics::calibration::fit_quality(&[(0.0, true), (0.4, false)], 0.5, 10);
        assert_eq!(q.cllr, Some(f64::INFINITY));
        assert_eq!(serde_json::to_value(&q).unwrap()["cllr"], serde_json::json!("+inf"));
    }
}
