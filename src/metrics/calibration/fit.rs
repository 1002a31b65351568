//! How well probabilities are calibrated: Cllr, min-Cllr, Brier score and expected calibration error.
//!
//! - Cllr (Brümmer): the cost of using log-likelihood ratios for decisions at every prior, in bits:
//!   `(1 / 2 ln 2) · (mean over bona fide of ln(1 + e^-llr) + mean over attacks of ln(1 + e^llr))`. 1 bit is
//!   a system that says nothing; 0 is perfect.
//! - min-Cllr: Cllr after the best monotone recalibration of the scores. PAV on (score, label) gives the
//!   optimal posteriors at the set's own class balance; their llr is `logit(p) - logit(share of bona fide)`.
//!   `Cllr - min-Cllr` is the part that calibration can remove. (bob's `min_cllr` is not implemented.)
//! - Brier: mean of (p - y)² with y = 1 for bona fide.
//! - ECE: `B` equal-width bins over [0, 1] (a probability p falls in bin min(floor(p·B), B - 1)); the
//!   count-weighted mean of |observed bona fide share - mean predicted probability| over non-empty bins.

use serde::{Deserialize, Serialize};

use super::pav::pav;
use super::{logit, softplus};
use crate::metrics::{Interval, clopper_pearson};

/// Cllr in bits of `(llr, is_bona_fide)` pairs; `None` without both classes.
pub fn cllr(pairs: &[(f64, bool)]) -> Option<f64> {
    cllr_of(pairs.iter().copied())
}

/// [`cllr`] of pairs made on the fly (millions of them need not be held).
fn cllr_of(pairs: impl Iterator<Item = (f64, bool)>) -> Option<f64> {
    let (mut bf, mut att, mut n_bf, mut n_att) = (0.0, 0.0, 0usize, 0usize);
    for (llr, is_bf) in pairs {
        if is_bf {
            bf += softplus(-llr);
            n_bf += 1;
        } else {
            att += softplus(llr);
            n_att += 1;
        }
    }
    (n_bf > 0 && n_att > 0).then(|| (bf / n_bf as f64 + att / n_att as f64) / (2.0 * std::f64::consts::LN_2))
}

/// min-Cllr in bits of `(score, is_bona_fide)` pairs (any monotone score: higher = more bona fide). Equal
/// scores form one PAV point (exact equality: a tie changes no decision, so it cannot be split). `None` without both classes.
pub fn min_cllr(pairs: &[(f64, bool)]) -> Option<f64> {
    let n_bf = pairs.iter().filter(|p| p.1).count();
    if n_bf == 0 || n_bf == pairs.len() {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = pairs.to_vec();
    // Unstable and parallel: only each distinct score's counts are read, not the order within it.
    rayon::slice::ParallelSliceMut::par_sort_unstable_by(&mut sorted[..], |a, b| a.0.total_cmp(&b.0));
    // One point per distinct score: (bona fide share, count); PAV of the shares gives the posteriors.
    let mut groups: Vec<(usize, usize)> = Vec::new(); // (bona fide, total)
    for (i, &(s, b)) in sorted.iter().enumerate() {
        if i == 0 || s != sorted[i - 1].0 {
            groups.push((0, 0));
        }
        let g = groups.last_mut().expect("pushed above");
        g.0 += usize::from(b);
        g.1 += 1;
    }
    let shares = groups.iter().map(|&(b, n)| b as f64 / n as f64).collect();
    let weights = groups.iter().map(|&(_, n)| n as f64).collect();
    let posteriors = pav(shares, weights);
    let offset = logit(n_bf as f64 / pairs.len() as f64);
    let llrs = groups.iter().zip(&posteriors).flat_map(|(&(b, n), &p)| {
        let llr = logit(p) - offset;
        std::iter::repeat_n((llr, true), b).chain(std::iter::repeat_n((llr, false), n - b))
    });
    cllr_of(llrs)
}

/// Mean squared error of probabilities against y = 1 (bona fide) / 0; `None` when empty.
pub fn brier(pairs: &[(f64, bool)]) -> Option<f64> {
    (!pairs.is_empty())
        .then(|| pairs.iter().map(|&(p, b)| (p - if b { 1.0 } else { 0.0 }).powi(2)).sum::<f64>() / pairs.len() as f64)
}

/// One reliability bin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EceBin {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
    pub bona_fide: u64,
    /// Mean predicted probability in the bin (None when empty).
    pub mean_predicted: Option<f64>,
    /// Observed bona fide share with its 95% Clopper-Pearson interval (None when empty).
    pub observed: Option<f64>,
    pub observed_ci95: Option<Interval>,
}

/// ECE over `bins` equal-width bins of probabilities, with the bins (for the reliability diagram).
/// `None` when empty or `bins == 0`.
pub fn ece(pairs: &[(f64, bool)], bins: usize) -> Option<(f64, Vec<EceBin>)> {
    if pairs.is_empty() || bins == 0 {
        return None;
    }
    let mut acc = vec![(0u64, 0u64, 0.0f64); bins]; // (count, bona fide, sum of p)
    for &(p, b) in pairs {
        let i = ((p * bins as f64).floor().max(0.0) as usize).min(bins - 1);
        acc[i].0 += 1;
        acc[i].1 += u64::from(b);
        acc[i].2 += p;
    }
    let n = pairs.len() as f64;
    let mut total = 0.0;
    let out = acc
        .iter()
        .enumerate()
        .map(|(i, &(count, bf, sum_p))| {
            let (mean_predicted, observed) = if count > 0 {
                let (m, o) = (sum_p / count as f64, bf as f64 / count as f64);
                total += count as f64 / n * (o - m).abs();
                (Some(m), Some(o))
            } else {
                (None, None)
            };
            EceBin {
                lower: i as f64 / bins as f64,
                upper: (i + 1) as f64 / bins as f64,
                count,
                bona_fide: bf,
                mean_predicted,
                observed,
                observed_ci95: (count > 0).then(|| clopper_pearson(bf, count)),
            }
        })
        .collect();
    Some((total, out))
}

/// Everything at once for probabilities `(p, is_bona_fide)` that are posteriors at a bona fide share of
/// `prior_share` (a dev-set fit: the dev set's share; a raw score read as a probability: 0.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitQuality {
    /// +inf (written `"+inf"`, as thresholds are) when a probability of exactly 0 or 1 was wrong: an
    /// isotonic map's flat ends do that to presentations it has not seen.
    #[serde(serialize_with = "cllr_json", deserialize_with = "cllr_from_json")]
    pub cllr: Option<f64>,
    pub min_cllr: Option<f64>,
    pub brier: Option<f64>,
    pub ece: Option<f64>,
    pub bins: Vec<EceBin>,
}

fn cllr_json<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(c) => crate::metrics::Threshold(*c).serialize(s),
        None => s.serialize_none(),
    }
}

/// Reads what [`cllr_json`] writes.
fn cllr_from_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(Option::<crate::metrics::Threshold>::deserialize(d)?.map(|t| t.0))
}

pub fn fit_quality(pairs: &[(f64, bool)], prior_share: f64, bins: usize) -> FitQuality {
    let offset = logit(prior_share);
    let llrs = pairs.iter().map(|&(p, b)| (logit(p) - offset, b));
    let (ece, bins) = ece(pairs, bins).map_or((None, Vec::new()), |(e, b)| (Some(e), b));
    FitQuality { cllr: cllr_of(llrs), min_cllr: min_cllr(pairs), brier: brier(pairs), ece, bins }
}
