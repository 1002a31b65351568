//! At-threshold rates: their definitions (one place), and the report section built from them.
//!
//! Every rate is k/n over a [`Tally`], named by a [`RateKind`] = measure × scope. The measures:
//! - `Error` (APCER/BPCER): errors over *scored* presentations, as ISO/IEC 30107-3 defines them.
//! - `NonResponse` (APNRR/BPNRR): non-responses over all presentations.
//! - `System`: the rate a deployed system shows, where a non-response of a bona fide user is a
//!   rejection (BPCER_sys = (errors + non-responses) / all bona fide) and one of an attack a correct
//!   rejection (APCER_sys = errors / all attacks).
//!
//! Scopes: bona fide, one species, all species pooled, or the worst species (the maximum, ISO's
//! "APCER_max"; ties go to the first species by name). Because the definitions live in
//! [`RateKind::counts`], the report, the segments and the bootstrap cannot drift apart.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::ci::{BootstrapInterval, Interval, clopper_pearson};
use super::metric::{Metric, Threshold};
use super::tally::{ClassTally, Tally};

/// A rate k/n with its exact 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// k / n.
    pub value: f64,
    /// Events: errors, or non-responses.
    pub k: u64,
    /// Presentations the rate is over.
    pub n: u64,
    /// Two-sided 95% Clopper-Pearson interval.
    pub ci95: Interval,
    /// Only when k = 0: 3/n, the one-sided 95% "rule of three" bound, for comparison; capped at 1
    /// (n < 3: the bound says nothing, and no rate is above 100%).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_of_three: Option<f64>,
    /// Only for worst-species rates: the species that attains the maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub species: Option<String>,
    /// Only when a subject-clustered bootstrap ran: its percentile 95% interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bootstrap95: Option<Metric<BootstrapInterval>>,
}

impl Rate {
    /// k/n with its interval, or n/a with `empty_reason` when n = 0.
    pub fn of(k: u64, n: u64, empty_reason: &str) -> Metric<Rate> {
        if n == 0 {
            return Metric::na(empty_reason);
        }
        Metric::Value(Rate {
            value: k as f64 / n as f64,
            k,
            n,
            ci95: clopper_pearson(k, n),
            rule_of_three: (k == 0).then(|| (3.0 / n as f64).min(1.0)),
            species: None,
            bootstrap95: None,
        })
    }
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Measure {
    Error,
    NonResponse,
    System,
}

/// Over which presentations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    BonaFide,
    /// Species index (class - 1).
    Species(usize),
    Pooled,
    Worst,
}

/// One at-threshold rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RateKind {
    pub measure: Measure,
    pub scope: Scope,
}

/// k and n of a rate, and for a worst-species rate the species attaining it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    pub k: u64,
    pub n: u64,
    pub species: Option<usize>,
}

const MEASURES: [Measure; 3] = [Measure::Error, Measure::NonResponse, Measure::System];

impl Measure {
    fn counts(self, c: &ClassTally, bona_fide: bool) -> (u64, u64) {
        match self {
            Measure::Error => (c.errors, c.scored),
            Measure::NonResponse => (c.non_responses, c.total()),
            Measure::System if bona_fide => (c.errors + c.non_responses, c.total()),
            Measure::System => (c.errors, c.total()),
        }
    }
}

impl RateKind {
    /// Every rate of a tally: bona fide, each present species, pooled and worst, for each measure.
    pub fn all(tally: &Tally) -> Vec<RateKind> {
        let species: Vec<usize> = tally.present_species().map(|(s, _)| s).collect();
        let mut scopes = vec![Scope::BonaFide, Scope::Pooled, Scope::Worst];
        scopes.extend(species.into_iter().map(Scope::Species));
        scopes.into_iter().flat_map(|scope| MEASURES.map(|measure| RateKind { measure, scope })).collect()
    }

    /// The rate's k and n in `tally` (n = 0 when undefined).
    pub fn counts(self, tally: &Tally) -> Counted {
        let attack = |s: usize| self.measure.counts(&tally.classes[s + 1], false);
        let plain = |(k, n): (u64, u64)| Counted { k, n, species: None };
        match self.scope {
            Scope::BonaFide => plain(self.measure.counts(tally.bona_fide(), true)),
            Scope::Species(s) => plain(attack(s)),
            Scope::Pooled => {
                plain(tally.present_species().map(|(s, _)| attack(s)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)))
            }
            Scope::Worst => tally
                .present_species()
                .map(|(s, _)| (s, attack(s)))
                .filter(|(_, (_, n))| *n > 0)
                // Exact comparison k1/n1 > k2/n2 by cross-multiplication; the first maximum wins ties.
                .fold(None, |best: Option<Counted>, (s, (k, n))| match best {
                    Some(b) if u128::from(k) * u128::from(b.n) <= u128::from(b.k) * u128::from(n) => Some(b),
                    _ => Some(Counted { k, n, species: Some(s) }),
                })
                .unwrap_or(Counted { k: 0, n: 0, species: None }),
        }
    }

    /// Why the rate is n/a when its n is 0.
    fn empty_reason(self) -> String {
        let scored = if self.measure == Measure::Error { "scored " } else { "" };
        match self.scope {
            Scope::BonaFide => format!("no {scored}bona fide presentations"),
            Scope::Species(_) => format!("no {scored}presentations of this species"),
            Scope::Pooled | Scope::Worst => format!("no {scored}attack presentations"),
        }
    }
}

/// Bona fide rates at the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BonaFideRates {
    pub bpcer: Metric<Rate>,
    pub bpnrr: Metric<Rate>,
    pub bpcer_sys: Metric<Rate>,
}

/// Rates of one attack species at the threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeciesRates {
    pub apcer: Metric<Rate>,
    pub apnrr: Metric<Rate>,
    pub apcer_sys: Metric<Rate>,
}

/// Attack rates over all species: the worst species (`_max`) and pooled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttackRates {
    pub apcer_max: Metric<Rate>,
    pub apcer_pooled: Metric<Rate>,
    pub apnrr_max: Metric<Rate>,
    pub apnrr_pooled: Metric<Rate>,
    pub apcer_sys_max: Metric<Rate>,
    pub apcer_sys_pooled: Metric<Rate>,
}

/// Every at-threshold rate (report section `at_threshold`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateSet {
    pub threshold: Threshold,
    pub bona_fide: BonaFideRates,
    /// Species with at least one presentation, by name.
    pub species: BTreeMap<String, SpeciesRates>,
    pub attack: AttackRates,
}

/// Bootstrap intervals by rate, attached to the matching rates.
pub(crate) type BootstrapIntervals = HashMap<RateKind, Metric<BootstrapInterval>>;

impl RateSet {
    /// Builds every rate of `tally` (species names indexed like its classes).
    pub(crate) fn build(
        tally: &Tally,
        species: &[String],
        threshold: f64,
        bootstrap: Option<&BootstrapIntervals>,
    ) -> RateSet {
        let rate = |measure: Measure, scope: Scope| {
            let kind = RateKind { measure, scope };
            let counted = kind.counts(tally);
            let mut metric = Rate::of(counted.k, counted.n, &kind.empty_reason());
            if let Metric::Value(r) = &mut metric {
                r.species = counted.species.map(|s| species[s].clone());
                r.bootstrap95 = bootstrap.and_then(|b| b.get(&kind)).cloned();
            }
            metric
        };
        use Measure::{Error, NonResponse, System};
        RateSet {
            threshold: Threshold(threshold),
            bona_fide: BonaFideRates {
                bpcer: rate(Error, Scope::BonaFide),
                bpnrr: rate(NonResponse, Scope::BonaFide),
                bpcer_sys: rate(System, Scope::BonaFide),
            },
            species: tally
                .present_species()
                .map(|(s, _)| {
                    let rates = SpeciesRates {
                        apcer: rate(Error, Scope::Species(s)),
                        apnrr: rate(NonResponse, Scope::Species(s)),
                        apcer_sys: rate(System, Scope::Species(s)),
                    };
                    (species[s].clone(), rates)
                })
                .collect(),
            attack: AttackRates {
                apcer_max: rate(Error, Scope::Worst),
                apcer_pooled: rate(Error, Scope::Pooled),
                apnrr_max: rate(NonResponse, Scope::Worst),
                apnrr_pooled: rate(NonResponse, Scope::Pooled),
                apcer_sys_max: rate(System, Scope::Worst),
                apcer_sys_pooled: rate(System, Scope::Pooled),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::population::Population;
    use crate::metrics::population::tests::pres;

    /// t = 0.5. live: 0.9, 0.3 (error), 0.5, none  → BPCER 1/3, BPNRR 1/4, BPCER_sys 2/4.
    /// print: 0.6 (error), 0.1, none               → APCER 1/2, APNRR 1/3, APCER_sys 1/3.
    /// replay: 0.5 (error), 0.7 (error), 0.2, 0.0  → APCER 2/4, APNRR 0/4, APCER_sys 2/4.
    /// mask: only a non-response                   → APCER n/a, APNRR 1/1, APCER_sys 0/1.
    fn rates() -> RateSet {
        let ps = [
            pres("", Some(0.9)),
            pres("", Some(0.3)),
            pres("", Some(0.5)),
            pres("", None),
            pres("print", Some(0.6)),
            pres("print", Some(0.1)),
            pres("print", None),
            pres("replay", Some(0.5)),
            pres("replay", Some(0.7)),
            pres("replay", Some(0.2)),
            pres("replay", Some(0.0)),
            pres("mask", None),
        ];
        let pop = Population::new(&ps).unwrap();
        RateSet::build(&Tally::count(&pop, 0.5), &pop.species, 0.5, None)
    }

    fn kn(m: &Metric<Rate>) -> (u64, u64) {
        let r = m.value().unwrap();
        (r.k, r.n)
    }

    #[test]
    fn hand_computed_rates() {
        let r = rates();
        assert_eq!(kn(&r.bona_fide.bpcer), (1, 3));
        assert_eq!(kn(&r.bona_fide.bpnrr), (1, 4));
        assert_eq!(kn(&r.bona_fide.bpcer_sys), (2, 4));
        assert_eq!(
            (kn(&r.species["print"].apcer), kn(&r.species["print"].apnrr), kn(&r.species["print"].apcer_sys)),
            ((1, 2), (1, 3), (1, 3))
        );
        assert_eq!((kn(&r.species["replay"].apcer), kn(&r.species["replay"].apcer_sys)), ((2, 4), (2, 4)));
        assert_eq!(r.species["mask"].apcer.reason(), Some("no scored presentations of this species"));
        assert_eq!(kn(&r.species["mask"].apnrr), (1, 1));
        // Worst: print 1/2 ties replay 2/4 → first by name, print.
        let max = r.attack.apcer_max.value().unwrap();
        assert_eq!((max.k, max.n, max.species.as_deref()), (1, 2, Some("print")));
        assert_eq!(kn(&r.attack.apcer_pooled), (3, 6));
        // APNRR: mask 1/1 is the worst; pooled 2/8.
        assert_eq!(r.attack.apnrr_max.value().unwrap().species.as_deref(), Some("mask"));
        assert_eq!(kn(&r.attack.apnrr_pooled), (2, 8));
        // APCER_sys: print 1/3, replay 2/4, mask 0/1 → replay; pooled 3/8.
        assert_eq!(r.attack.apcer_sys_max.value().unwrap().species.as_deref(), Some("replay"));
        assert_eq!(kn(&r.attack.apcer_sys_pooled), (3, 8));
    }

    #[test]
    fn zero_errors_report_rule_of_three_and_exact_upper_bound() {
        let pop = Population::new(&[pres("", Some(0.9)), pres("", Some(0.8))]).unwrap();
        let r = RateSet::build(&Tally::count(&pop, 0.5), &pop.species, 0.5, None);
        let bpcer = r.bona_fide.bpcer.value().unwrap();
        assert_eq!((bpcer.value, bpcer.rule_of_three, bpcer.ci95.lower), (0.0, Some(1.0), 0.0));
        assert!((bpcer.ci95.upper - (1.0 - 0.025f64.sqrt())).abs() < 1e-15);
        assert_eq!(r.attack.apcer_max.reason(), Some("no scored attack presentations"));
        assert_eq!(r.attack.apnrr_pooled.reason(), Some("no attack presentations"));
        assert!(r.species.is_empty());
    }

    #[test]
    fn all_kinds_cover_present_species_only() {
        let pop = Population::new(&[pres("", Some(0.9)), pres("print", Some(0.8)), pres("replay", Some(0.1))]).unwrap();
        let tally = Tally::count(&pop.subset(&[0, 2]), 0.5);
        let kinds = RateKind::all(&tally);
        assert_eq!(kinds.len(), 3 * 4);
        assert!(kinds.contains(&RateKind { measure: Measure::System, scope: Scope::Species(1) }));
        assert!(!kinds.iter().any(|k| k.scope == Scope::Species(0)));
    }
}
