//! A policy's probability map (`[probability]`, [`Probability`]): fitting it on a dev split, checking a
//! written one, and applying it to a raw score.
//!
//! The refusals are the ones a careful statistician would make before trusting a fit: both classes must
//! be there with at least [`MIN_PER_CLASS`] presentations each (a map fitted on 3 attacks says nothing),
//! and isotonic regression on scores that are all equal can only return one constant, which is said.

use anyhow::{Result, bail, ensure};

use super::{FitQuality, fit_quality, isotonic, platt, with_prior};
use crate::schema::{FitFigures, IsotonicFit, PlattFit, Probability, ProbabilityMethod};

/// The fewest presentations of each class a map is fitted on.
pub const MIN_PER_CLASS: usize = 10;

/// Reliability bins (equal width over 0..1) of every reported ECE and reliability diagram.
pub const BINS: usize = 10;

/// A fitted map, before its provenance is attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub method: ProbabilityMethod,
    pub platt: Option<PlattFit>,
    pub isotonic: Option<IsotonicFit>,
    /// Share of bona fide among the pairs fitted on.
    pub bona_fide_share: f64,
    pub bona_fide: u64,
    pub attacks: u64,
    /// Things the user must know about the fit (a constant map).
    pub warnings: Vec<String>,
}

impl Fitted {
    /// P(bona fide) at `raw`, at the dev split's prior.
    pub fn predict(&self, raw: f64) -> f64 {
        predict(self.method, self.platt.as_ref(), self.isotonic.as_ref(), raw)
    }
}

/// Fits `method` on `(raw score, is_bona_fide)` pairs of scored dev presentations.
pub fn fit(pairs: &[(f64, bool)], method: ProbabilityMethod) -> Result<Fitted> {
    let bona_fide = pairs.iter().filter(|p| p.1).count();
    let attacks = pairs.len() - bona_fide;
    ensure!(
        bona_fide > 0 && attacks > 0,
        "a probability map needs scored bona fide and attack presentations: the dev split has {bona_fide} bona fide \
         and {attacks} attacks"
    );
    ensure!(
        bona_fide >= MIN_PER_CLASS && attacks >= MIN_PER_CLASS,
        "a probability map needs at least {MIN_PER_CLASS} scored presentations of each class: the dev split has \
         {bona_fide} bona fide and {attacks} attacks"
    );
    ensure!(pairs.iter().all(|p| p.0.is_finite()), "a probability map is fitted on finite scores");
    let mut warnings = Vec::new();
    let first = pairs[0].0;
    if pairs.iter().all(|p| p.0 == first) {
        warnings.push(format!(
            "every dev score is {first}: the map is a constant (the dev share of bona fide), which tells no \
             presentation from another"
        ));
    }
    let (platt, isotonic) = match method {
        ProbabilityMethod::Platt => (platt(pairs), None),
        ProbabilityMethod::Isotonic => (None, isotonic(pairs)),
    };
    Ok(Fitted {
        method,
        platt,
        isotonic,
        bona_fide_share: bona_fide as f64 / pairs.len() as f64,
        bona_fide: bona_fide as u64,
        attacks: attacks as u64,
        warnings,
    })
}

fn predict(method: ProbabilityMethod, platt: Option<&PlattFit>, isotonic: Option<&IsotonicFit>, raw: f64) -> f64 {
    match (method, platt, isotonic) {
        (ProbabilityMethod::Platt, Some(p), _) => p.predict(raw),
        (ProbabilityMethod::Isotonic, _, Some(i)) => i.predict(raw),
        // `check` refuses a map without its parameters, and `fit` always fills them.
        _ => f64::NAN,
    }
}

impl Probability {
    /// The fitted posterior at `raw`, at the dev split's prior (what the map was fitted to give).
    pub fn at_dev_prior(&self, raw: f64) -> f64 {
        predict(self.method, self.platt.as_ref(), self.isotonic.as_ref(), raw)
    }

    /// The calibrated P(bona fide) at `raw` that the tool reports: the fit re-stated at the deployment
    /// prior (`prior_attack`) when one is given.
    pub fn live_probability(&self, raw: f64) -> f64 {
        let p = self.at_dev_prior(raw);
        match self.prior_attack {
            Some(a) => with_prior(p, self.dev_bona_fide_share, a),
            None => p,
        }
    }

    /// A `[probability]` section read from a file is usable: its parameters exist, are finite and are
    /// shaped as the method needs.
    pub fn check(&self) -> Result<()> {
        let open_unit = |name: &str, v: f64| {
            ensure!(v > 0.0 && v < 1.0, "probability.{name} must be strictly between 0 and 1, got {v}");
            Ok(())
        };
        open_unit("dev_bona_fide_share", self.dev_bona_fide_share)?;
        if let Some(a) = self.prior_attack {
            open_unit("prior_attack", a)?;
        }
        match (self.method, &self.platt, &self.isotonic) {
            (ProbabilityMethod::Platt, Some(p), None) => {
                ensure!(p.a.is_finite() && p.b.is_finite(), "probability.platt a and b must be finite numbers");
            }
            (ProbabilityMethod::Isotonic, None, Some(i)) => {
                ensure!(
                    !i.x.is_empty() && i.x.len() == i.y.len(),
                    "probability.isotonic needs as many y as x values, at least one (got {} and {})",
                    i.x.len(),
                    i.y.len()
                );
                ensure!(i.x.iter().all(|v| v.is_finite()), "probability.isotonic.x must be finite numbers");
                ensure!(i.x.windows(2).all(|w| w[0] < w[1]), "probability.isotonic.x must be strictly increasing");
                ensure!(i.y.iter().all(|v| (0.0..=1.0).contains(v)), "probability.isotonic.y must lie within 0..1");
                ensure!(i.y.windows(2).all(|w| w[0] <= w[1]), "probability.isotonic.y must be non-decreasing");
            }
            (m, _, _) => bail!(
                "probability.method is \"{}\": give exactly its table, [probability.{}], and no other",
                m.as_str(),
                m.as_str()
            ),
        }
        Ok(())
    }
}

impl From<&FitQuality> for FitFigures {
    fn from(q: &FitQuality) -> FitFigures {
        FitFigures { cllr: q.cllr, min_cllr: q.min_cllr, brier: q.brier, ece: q.ece }
    }
}

/// Fit quality of raw scores read as probabilities (posteriors at an even prior, as a softmax is).
pub fn raw_quality(pairs: &[(f64, bool)]) -> FitQuality {
    fit_quality(pairs, 0.5, BINS)
}

/// Fit quality of `f(raw)`, posteriors at a bona fide share of `prior_share`.
pub fn mapped_quality(pairs: &[(f64, bool)], f: impl Fn(f64) -> f64, prior_share: f64) -> FitQuality {
    let mapped: Vec<(f64, bool)> = pairs.iter().map(|&(s, b)| (f(s), b)).collect();
    fit_quality(&mapped, prior_share, BINS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(bona_fide: usize, attacks: usize) -> Vec<(f64, bool)> {
        let bf = (0..bona_fide).map(|i| (0.5 + 0.5 * (i as f64 + 1.0) / (bona_fide as f64 + 1.0), true));
        let at = (0..attacks).map(|i| (0.6 * (i as f64 + 1.0) / (attacks as f64 + 1.0), false));
        bf.chain(at).collect()
    }

    fn section(fitted: &Fitted, prior_attack: Option<f64>) -> Probability {
        Probability {
            method: fitted.method,
            platt: fitted.platt,
            isotonic: fitted.isotonic.clone(),
            dev_bona_fide_share: fitted.bona_fide_share,
            prior_attack,
            model: "m".into(),
            model_files: Vec::new(),
            scores: "s.csv".into(),
            score_column: None,
            filter: None,
            dataset_fingerprint: "f".into(),
            bona_fide: fitted.bona_fide,
            attacks: fitted.attacks,
            date: "d".into(),
            tool: "t".into(),
            dev_raw: FitFigures::default(),
            dev_calibrated: FitFigures::default(),
        }
    }

    #[test]
    fn too_few_or_one_class_is_refused_with_the_counts() {
        let e = fit(&pairs(12, 0), ProbabilityMethod::Platt).unwrap_err().to_string();
        assert!(e.contains("12 bona fide and 0 attacks"), "{e}");
        let e = fit(&pairs(12, 9), ProbabilityMethod::Isotonic).unwrap_err().to_string();
        assert!(e.contains("at least 10") && e.contains("12 bona fide and 9 attacks"), "{e}");
        assert!(fit(&pairs(10, 10), ProbabilityMethod::Isotonic).is_ok());
    }

    #[test]
    fn all_equal_scores_give_a_constant_with_a_warning() {
        let p: Vec<(f64, bool)> = (0..30).map(|i| (0.7, i % 3 == 0)).collect();
        let f = fit(&p, ProbabilityMethod::Isotonic).unwrap();
        assert_eq!(f.warnings.len(), 1, "{:?}", f.warnings);
        assert!(f.warnings[0].contains("constant"));
        // 10 of 30 are bona fide: the constant is their share, everywhere.
        for s in [0.0, 0.7, 1.0] {
            assert!((f.predict(s) - 1.0 / 3.0).abs() < 1e-15, "{}", f.predict(s));
        }
    }

    #[test]
    fn applying_a_map_is_the_fit_then_the_prior() {
        // Platt a = -1, b = 0: P = sigmoid(logit(s)) = s, by hand.
        let fitted = Fitted {
            method: ProbabilityMethod::Platt,
            platt: Some(PlattFit { a: -1.0, b: 0.0 }),
            isotonic: None,
            bona_fide_share: 0.5,
            bona_fide: 10,
            attacks: 10,
            warnings: Vec::new(),
        };
        let plain = section(&fitted, None);
        plain.check().unwrap();
        assert!((plain.live_probability(0.8) - 0.8).abs() < 1e-12);
        // At a deployment share of attacks 0.2 the odds 4:1 gain the prior odds 4:1: 16:1, P = 16/17.
        let deployed = section(&fitted, Some(0.2));
        assert!((deployed.live_probability(0.8) - 16.0 / 17.0).abs() < 1e-12);
        assert_eq!(deployed.at_dev_prior(0.8), plain.live_probability(0.8));
    }

    #[test]
    fn written_sections_are_checked() {
        let fitted = fit(&pairs(20, 20), ProbabilityMethod::Isotonic).unwrap();
        let good = section(&fitted, Some(0.01));
        good.check().unwrap();
        let err = |p: Probability| p.check().unwrap_err().to_string();
        assert!(err(Probability { prior_attack: Some(1.0), ..good.clone() }).contains("prior_attack"));
        assert!(err(Probability { dev_bona_fide_share: f64::NAN, ..good.clone() }).contains("dev_bona_fide_share"));
        assert!(err(Probability { method: ProbabilityMethod::Platt, ..good.clone() }).contains("[probability.platt]"));
        let mut bent = good.clone();
        bent.isotonic.as_mut().unwrap().y.reverse();
        assert!(err(bent).contains("non-decreasing"));
        let mut short = good.clone();
        short.isotonic.as_mut().unwrap().y.pop();
        assert!(err(short).contains("as many y as x"));
        let nan_platt = Probability {
            method: ProbabilityMethod::Platt,
            platt: Some(PlattFit { a: f64::NAN, b: 0.0 }),
            isotonic: None,
            ..good
        };
        assert!(err(nan_platt).contains("finite"));
    }
}
