//! Decision bands of a deployment policy: pass (score >= p), retry (r <= score < p), fail (< r).
//!
//! A single threshold hides the user experience of a retry band: how many genuine users are asked to
//! try again, how many attacks slip into "retry" (and may pass on a later try), and whether a genuine
//! user gets through within k attempts. Shares are over *all* presentations of a class, with
//! non-responses as their own band, so the four bands of a class add up to 1 and nothing is hidden.
//!
//! Completion within k attempts: bona fide presentations are grouped by subject (meta `subject`) in
//! input order; a subject completes within k if any of its first k presentations passes (a subject
//! with fewer than k presentations uses all it has). The rate is over subjects, not images.

use std::collections::BTreeMap;

use anyhow::{Result, ensure};
use serde::{Deserialize, Serialize};

use super::metric::{Metric, Threshold};
use super::population::{BONA_FIDE, Population};
use super::rates::Rate;
use super::subjects::Subjects;

/// A pass/retry/fail policy.
#[derive(Debug, Clone, PartialEq)]
pub struct BandOptions {
    /// Pass iff score >= pass.
    pub pass: f64,
    /// Retry iff retry <= score < pass; fail below.
    pub retry: f64,
    /// The k of "completion within k attempts".
    pub attempts: Vec<usize>,
}

impl BandOptions {
    /// Checks `retry <= pass`, both not NaN, and every k >= 1.
    pub fn validate(&self) -> Result<()> {
        ensure!(!self.pass.is_nan() && !self.retry.is_nan(), "policy thresholds must be numbers");
        ensure!(
            self.retry <= self.pass,
            "policy retry threshold {} is above the pass threshold {}",
            self.retry,
            self.pass
        );
        ensure!(self.attempts.iter().all(|&k| k >= 1), "completion attempts must be at least 1");
        Ok(())
    }

    fn band(&self, score: Option<f64>) -> usize {
        use crate::schema::{Band, Bands};
        match score.map(|s| crate::schema::band(s, &Bands { pass: self.pass, retry: self.retry })) {
            Some(Band::Pass) => PASS,
            Some(Band::Retry) => RETRY,
            Some(Band::Fail) => FAIL,
            None => NO_RESPONSE,
        }
    }
}

const PASS: usize = 0;
const RETRY: usize = 1;
const FAIL: usize = 2;
const NO_RESPONSE: usize = 3;

/// Shares of one class's presentations in each band (k = in the band, n = all of the class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandShares {
    pub pass: Metric<Rate>,
    pub retry: Metric<Rate>,
    pub fail: Metric<Rate>,
    pub no_response: Metric<Rate>,
}

/// Report section `decision_bands`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandsReport {
    pub pass: Threshold,
    pub retry: Threshold,
    pub bona_fide: BandShares,
    /// Per attack species; `pass` is the share accepted outright.
    pub species: BTreeMap<String, BandShares>,
    /// Attempts k → share of bona fide subjects who pass within k attempts.
    pub completion: Metric<BTreeMap<usize, Metric<Rate>>>,
}

/// BandShares of `population` under `policy`; `subjects` (indexed like its items) enables completion.
pub(crate) fn bands(population: &Population, subjects: Option<&Subjects>, policy: &BandOptions) -> BandsReport {
    let mut counts = vec![[0u64; 4]; population.classes()];
    for item in &population.items {
        counts[item.class][policy.band(item.score())] += 1;
    }
    let bands = |c: &[u64; 4], empty: &str| {
        let n = c.iter().sum();
        BandShares {
            pass: Rate::of(c[PASS], n, empty),
            retry: Rate::of(c[RETRY], n, empty),
            fail: Rate::of(c[FAIL], n, empty),
            no_response: Rate::of(c[NO_RESPONSE], n, empty),
        }
    };
    BandsReport {
        pass: Threshold(policy.pass),
        retry: Threshold(policy.retry),
        bona_fide: bands(&counts[BONA_FIDE], "no bona fide presentations"),
        species: population
            .species
            .iter()
            .zip(&counts[BONA_FIDE + 1..])
            .filter(|(_, c)| c.iter().sum::<u64>() > 0)
            .map(|(name, c)| (name.clone(), bands(c, "no presentations of this species")))
            .collect(),
        completion: match subjects {
            Some(subjects) => Metric::Value(completion(population, subjects, policy)),
            None => Metric::na("no subject column"),
        },
    }
}

fn completion(population: &Population, subjects: &Subjects, policy: &BandOptions) -> BTreeMap<usize, Metric<Rate>> {
    let mut tries = vec![0usize; subjects.count];
    let mut first_pass: Vec<Option<usize>> = vec![None; subjects.count];
    for (item, &s) in population.items.iter().zip(&subjects.of).filter(|(item, _)| item.class == BONA_FIDE) {
        tries[s] += 1;
        if first_pass[s].is_none() && policy.band(item.score()) == PASS {
            first_pass[s] = Some(tries[s]);
        }
    }
    let live_subjects = tries.iter().filter(|&&t| t > 0).count() as u64;
    policy
        .attempts
        .iter()
        .map(|&k| {
            let done = first_pass.iter().filter(|f| f.is_some_and(|f| f <= k)).count() as u64;
            (k, Rate::of(done, live_subjects, "no bona fide presentations"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Presentation;
    use crate::test_support::of_subject;
    use crate::test_support::pres;

    fn policy() -> BandOptions {
        BandOptions { pass: 0.8, retry: 0.5, attempts: vec![1, 2, 3] }
    }

    /// pass >= 0.8, retry [0.5, 0.8), fail < 0.5.
    /// ann:  0.6 (retry), 0.9 (pass)        → completes at attempt 2
    /// bob:  0.8 (pass)                      → attempt 1
    /// cy:   none, 0.1, 0.7, 0.95            → attempt 4 (never within 3)
    /// live bands: pass 3/7, retry 2/7, fail 1/7, no response 1/7.
    /// print: 0.85 (pass), 0.5 (retry), 0.2 (fail) → pass 1/3, retry 1/3.
    fn sample() -> Vec<Presentation> {
        vec![
            of_subject("", Some(0.6), "ann"),
            of_subject("", Some(0.8), "bob"),
            of_subject("print", Some(0.85), "ann"),
            of_subject("", None, "cy"),
            of_subject("", Some(0.9), "ann"),
            of_subject("", Some(0.1), "cy"),
            of_subject("print", Some(0.5), "cy"),
            of_subject("", Some(0.7), "cy"),
            of_subject("print", Some(0.2), "dee"),
            of_subject("", Some(0.95), "cy"),
        ]
    }

    fn kn(m: &Metric<Rate>) -> (u64, u64) {
        m.value().map(|r| (r.k, r.n)).unwrap()
    }

    #[test]
    fn hand_computed_bands_and_completion() {
        let ps = sample();
        let pop = Population::new(&ps).unwrap();
        let r = bands(&pop, Subjects::from_meta(&ps).as_ref(), &policy());
        let b = &r.bona_fide;
        assert_eq!([kn(&b.pass), kn(&b.retry), kn(&b.fail), kn(&b.no_response)], [(3, 7), (2, 7), (1, 7), (1, 7)]);
        let p = &r.species["print"];
        assert_eq!([kn(&p.pass), kn(&p.retry), kn(&p.fail)], [(1, 3), (1, 3), (1, 3)]);
        // dee has only an attack: 3 live subjects.
        let c = r.completion.value().unwrap();
        assert_eq!([kn(&c[&1]), kn(&c[&2]), kn(&c[&3])], [(1, 3), (2, 3), (2, 3)]);
    }

    #[test]
    fn completion_needs_subjects_and_bona_fide() {
        let ps = [pres("", Some(0.9))];
        let pop = Population::new(&ps).unwrap();
        assert_eq!(bands(&pop, None, &policy()).completion.reason(), Some("no subject column"));
        let ps = [of_subject("print", Some(0.9), "a")];
        let pop = Population::new(&ps).unwrap();
        let r = bands(&pop, Subjects::from_meta(&ps).as_ref(), &policy());
        assert_eq!(r.completion.value().unwrap()[&1].reason(), Some("no bona fide presentations"));
        assert_eq!(r.bona_fide.pass.reason(), Some("no bona fide presentations"));
    }

    #[test]
    fn validate_rejects_inverted_or_nan_policies() {
        assert!(policy().validate().is_ok());
        assert!(BandOptions { retry: 0.9, ..policy() }.validate().is_err());
        assert!(BandOptions { pass: f64::NAN, ..policy() }.validate().is_err());
        assert!(BandOptions { attempts: vec![0], ..policy() }.validate().is_err());
    }
}
