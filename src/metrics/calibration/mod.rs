//! Calibrated probabilities: how a raw score becomes P(bona fide), and how well a score is calibrated.
//!
//! A vendor's "0.83" should mean an 83% chance of a live person under a stated prior; a model's softmax
//! does not. Two fits turn scores into probabilities on a dev set: [`platt`] (logistic regression on the
//! logit of the score, with Platt's smoothed targets, as scikit-learn's `CalibratedClassifierCV(method=
//! "sigmoid")`) and [`isotonic`] (pool-adjacent-violators, as scikit-learn's `IsotonicRegression` with
//! `out_of_bounds="clip"`). Both are written to match scikit-learn's conventions exactly (ties pooled,
//! the same PAV pass), so `scripts/oracle-calibration.py` can check them to 1e-9.
//!
//! Quality of fit ([`fit`]): Cllr and min-Cllr (Cllr after the best monotone recalibration, found by PAV:
//! the part of Cllr no recalibration can remove), the Brier score, and the expected calibration error
//! with its bins. Conventions: the positive class is bona fide; a probability `p` fitted on a dev set is a
//! posterior at the dev set's class balance, so its log-likelihood ratio is `logit(p) - logit(share of bona
//! fide)`; [`with_prior`] re-states it at a deployment prior.
//!
//! [`map`] fits and applies a policy's `[probability]` map; [`split`] is the `probability` block of an
//! evaluated split's metrics.

mod fit;
pub mod map;
mod pav;
mod platt;
pub mod split;

pub use fit::{EceBin, FitQuality, brier, cllr, ece, fit_quality, min_cllr};
pub use map::{BINS, Fitted, MIN_PER_CLASS, fit};
pub use pav::{IsotonicFit, isotonic};
pub use platt::{PlattFit, logit_clamped, platt};
pub use split::{ProbabilityReport, probability_report};

/// The posterior P(bona fide) at a deployment share of attacks `prior_attack` (0 < prior_attack < 1), for a
/// probability `p` that was fitted at a dev-set bona fide share `dev_bona_fide_share`: the likelihood ratio
/// is kept and only the prior odds change.
pub fn with_prior(p: f64, dev_bona_fide_share: f64, prior_attack: f64) -> f64 {
    let llr = logit(p) - logit(dev_bona_fide_share);
    sigmoid(llr + logit(1.0 - prior_attack))
}

pub(crate) use crate::stats::{logit, sigmoid, softplus};

#[cfg(test)]
mod tests;
