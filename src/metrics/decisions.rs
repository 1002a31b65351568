//! Metrics of a vendor's own decisions (`eval --scores FILE --decision-column C --decision-map ...`): APIs
//! that return no score (Azure's `realface/spoofface/uncertain`, Acuant's `Live/NotLive/PoorQuality`) are
//! evaluated at their own operating point, the only one there is.
//!
//! Convention (ISO/IEC 30107-3): APCER and BPCER are over the presentations the vendor *decided*. A retry
//! (the vendor asked for another capture) and a no response (it failed to process) are neither an accepted
//! attack nor a rejected bona fide presentation: both are left out of APCER/BPCER and counted as
//! non-responses, APNRR/BPNRR = (retries + no responses) / all presentations of the class. The `_sys`
//! rates count them as the deployed system meets them: a bona fide retry or no response is a rejection, an
//! attack's a correct rejection. Each class's share of every decision (`bands`: bona fide, attack, retry,
//! no response) is given too, so the retry share is never hidden in a non-response rate.
//!
//! The rates are the score engine's own ([`RateSet::build`] over a [`Tally`]): a decided presentation is
//! "scored", a wrong decision an error, a retry or no response a non-response. So the definitions, the
//! worst-species rule (ties to the first species by name) and the Clopper-Pearson intervals are the ones
//! every other figure of the tool uses. Curves (EER, DET, ROC, sweeps, AUC) need scores: not computed here.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::metric::Metric;
use super::population::Population;
use super::rates::{AttackRates, BonaFideRates, Rate, RateSet, SpeciesRates};
use super::tally::Tally;
use crate::schema::{Presentation, VendorDecision};

/// How retries and no responses are counted: said in metrics.json, the terminal, the report and `--help`.
pub const CONVENTION: &str = "APCER/BPCER are over the presentations the vendor decided (bona_fide or attack); \
    a retry or no_response is neither an accepted attack nor a rejected bona fide: it is left out of APCER/BPCER \
    and counted in APNRR/BPNRR (and as a rejection of a bona fide in BPCER_sys), ISO/IEC 30107-3";

/// Why there are no curves in a decision-only run.
pub const CURVES_NEED_SCORES: &str = "curves (EER, DET, ROC, threshold sweeps, AUC) need scores: the file holds the \
    vendor's decisions only, so they are not computed";

/// Share of one class's presentations per vendor decision (k = that decision, n = all of the class):
/// the four add up to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    pub bona_fide: Metric<Rate>,
    pub attack: Metric<Rate>,
    pub retry: Metric<Rate>,
    pub no_response: Metric<Rate>,
}

/// One class's decisions: the shares and the reasons of its retries and no responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassDecisions {
    pub total: u64,
    pub shares: Shares,
    /// Reason (the reason column, else the vendor's word) → count, over retries and no responses.
    pub non_response_reasons: BTreeMap<String, u64>,
}

/// Report section `decisions`: the vendor's decisions at its own operating point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionReport {
    /// The decision column read.
    pub column: String,
    pub convention: String,
    pub bona_fide: BonaFideRates,
    /// Species with at least one presentation, by name.
    pub species: BTreeMap<String, SpeciesRates>,
    pub attack: AttackRates,
    /// `bona_fide` and `species.<name>`: each class's decisions.
    pub bands: BTreeMap<String, ClassDecisions>,
}

/// Key of the bona fide class in [`DecisionReport::bands`] (species are keyed `species:<name>`).
pub const BONA_FIDE_KEY: &str = "bona_fide";

/// The decisions of `presentations` (read from `column`); `None` when none has a decision. Every
/// presentation must have one when any has.
pub fn decisions(presentations: &[Presentation], column: &str) -> Result<Option<DecisionReport>> {
    let with = presentations.iter().filter(|p| p.decision.is_some()).count();
    if with == 0 {
        return Ok(None);
    }
    if with < presentations.len() {
        bail!("{} of {} presentations have no vendor decision", presentations.len() - with, presentations.len());
    }
    let population = Population::new(presentations)?;
    let mut tally = Tally::zero(population.classes());
    let mut per_class = vec![([0u64; 4], BTreeMap::<String, u64>::new()); population.classes()];
    for (item, p) in population.items.iter().zip(presentations) {
        let Some(d) = &p.decision else { unreachable!("checked above") };
        let c = &mut tally.classes[item.class];
        match d.decision {
            VendorDecision::BonaFide | VendorDecision::Attack => {
                c.scored += 1;
                c.errors += u64::from((d.decision == VendorDecision::BonaFide) != p.bona_fide);
            }
            VendorDecision::Retry | VendorDecision::NoResponse => c.non_responses += 1,
        }
        let (counts, reasons) = &mut per_class[item.class];
        counts[VendorDecision::ALL.iter().position(|x| *x == d.decision).expect("one of ALL")] += 1;
        if let Some(r) = &d.reason {
            *reasons.entry(r.clone()).or_default() += 1;
        }
    }
    // The threshold of a vendor's decisions is unknown: the rate set's own is dropped.
    let RateSet { bona_fide, species, attack, .. } = RateSet::build(&tally, &population.species, f64::NAN, None);
    let class = |(counts, reasons): &([u64; 4], BTreeMap<String, u64>)| {
        let total = counts.iter().sum();
        let share = |i: usize| Rate::of(counts[i], total, "no presentations of this class");
        ClassDecisions {
            total,
            shares: Shares { bona_fide: share(0), attack: share(1), retry: share(2), no_response: share(3) },
            non_response_reasons: reasons.clone(),
        }
    };
    let mut bands = BTreeMap::new();
    bands.insert(BONA_FIDE_KEY.to_owned(), class(&per_class[0]));
    for (s, name) in population.species.iter().enumerate() {
        bands.insert(format!("species:{name}"), class(&per_class[s + 1]));
    }
    Ok(Some(DecisionReport {
        column: column.to_owned(),
        convention: CONVENTION.to_owned(),
        bona_fide,
        species,
        attack,
        bands,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bootstrap::SplitMix64;
    use crate::schema::Decided;
    use crate::test_support::pres;

    fn decided(species: &str, decision: VendorDecision) -> Presentation {
        let reason = matches!(decision, VendorDecision::Retry | VendorDecision::NoResponse)
            .then(|| decision.as_str().to_owned());
        Presentation { decision: Some(Decided { decision, reason }), ..pres(species, None) }
    }

    fn kn(m: &Metric<Rate>) -> (u64, u64) {
        m.value().map_or((0, 0), |r| (r.k, r.n))
    }

    use VendorDecision::{Attack, BonaFide, NoResponse, Retry};

    /// live: bona_fide ×3, attack ×1 (error), retry, no_response → BPCER 1/4, BPNRR 2/6, BPCER_sys 3/6.
    /// print: bona_fide (error), attack ×2, retry               → APCER 1/3, APNRR 1/4, APCER_sys 1/4.
    /// replay: bona_fide ×2 (errors), attack ×2                 → APCER 2/4 (worst), APNRR 0/4.
    /// mask: only a retry                                      → APCER n/a, APNRR 1/1.
    #[test]
    fn hand_computed_case() {
        let mut ps = Vec::new();
        let mut add = |species: &str, decisions: &[VendorDecision]| {
            ps.extend(decisions.iter().map(|d| decided(species, *d)));
        };
        add("", &[BonaFide, BonaFide, BonaFide, Attack, Retry, NoResponse]);
        add("print", &[BonaFide, Attack, Attack, Retry]);
        add("replay", &[BonaFide, BonaFide, Attack, Attack]);
        add("mask", &[Retry]);
        let r = decisions(&ps, "result").unwrap().unwrap();
        assert_eq!(
            (kn(&r.bona_fide.bpcer), kn(&r.bona_fide.bpnrr), kn(&r.bona_fide.bpcer_sys)),
            ((1, 4), (2, 6), (3, 6))
        );
        let print = &r.species["print"];
        assert_eq!((kn(&print.apcer), kn(&print.apnrr), kn(&print.apcer_sys)), ((1, 3), (1, 4), (1, 4)));
        assert_eq!(kn(&r.species["replay"].apcer), (2, 4));
        assert_eq!(r.species["mask"].apcer.reason(), Some("no scored presentations of this species"));
        let worst = r.attack.apcer_max.value().unwrap();
        assert_eq!((worst.k, worst.n, worst.species.as_deref()), (2, 4, Some("replay")));
        assert_eq!(kn(&r.attack.apcer_pooled), (3, 7));
        assert_eq!(r.attack.apnrr_max.value().unwrap().species.as_deref(), Some("mask"));
        let live = &r.bands[BONA_FIDE_KEY];
        assert_eq!(
            (live.total, kn(&live.shares.bona_fide), kn(&live.shares.retry), kn(&live.shares.no_response)),
            (6, (3, 6), (1, 6), (1, 6))
        );
        assert_eq!(live.non_response_reasons, BTreeMap::from([("no_response".into(), 1), ("retry".into(), 1)]));
        assert_eq!(kn(&r.bands["species:mask"].shares.retry), (1, 1));
        // Exact intervals, as every rate of the tool.
        let bpcer = r.bona_fide.bpcer.value().unwrap();
        assert_eq!(bpcer.ci95, crate::metrics::clopper_pearson(1, 4));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["convention"], CONVENTION);
        assert!(json.get("threshold").is_none());
    }

    #[test]
    fn no_decisions_is_none_and_some_missing_is_an_error() {
        assert!(decisions(&[pres("", Some(0.5))], "d").unwrap().is_none());
        let e = decisions(&[pres("", Some(0.5)), decided("", BonaFide)], "d").unwrap_err().to_string();
        assert!(e.contains("1 of 2 presentations have no vendor decision"), "{e}");
    }

    /// Against the definitions written out: random sets of few species and all four decisions.
    #[test]
    fn property_matches_brute_force_definitions() {
        let mut rng = SplitMix64(11);
        let species = ["", "a", "b", "c"];
        for _ in 0..500 {
            let n = 1 + rng.below(40);
            let ps: Vec<Presentation> =
                (0..n).map(|_| decided(species[rng.below(4)], VendorDecision::ALL[rng.below(4)])).collect();
            let r = decisions(&ps, "d").unwrap().unwrap();
            let count = |s: &str, d: &[VendorDecision]| {
                ps.iter().filter(|p| p.species == s && d.contains(&p.decision.as_ref().unwrap().decision)).count()
                    as u64
            };
            // BPCER = bona fide decided attack / bona fide decided; BPNRR = (retry + no response) / all.
            let bf = (count("", &[Attack]), count("", &[BonaFide, Attack]));
            assert_eq!(kn(&r.bona_fide.bpcer), if bf.1 > 0 { bf } else { (0, 0) });
            let all_bf = count("", &VendorDecision::ALL);
            assert_eq!(
                kn(&r.bona_fide.bpnrr),
                if all_bf > 0 { (count("", &[Retry, NoResponse]), all_bf) } else { (0, 0) }
            );
            let mut worst: Option<(u64, u64, &str)> = None;
            for s in &species[1..] {
                let (k, n) = (count(s, &[BonaFide]), count(s, &[BonaFide, Attack]));
                let total = count(s, &VendorDecision::ALL);
                match r.species.get(*s) {
                    None => assert_eq!(total, 0),
                    Some(rates) => {
                        assert_eq!(kn(&rates.apcer), if n > 0 { (k, n) } else { (0, 0) }, "{s}");
                        assert_eq!(kn(&rates.apnrr), (count(s, &[Retry, NoResponse]), total));
                        assert_eq!(kn(&rates.apcer_sys), (k, total));
                        let shares = &r.bands[&format!("species:{s}")].shares;
                        let sum: u64 = [&shares.bona_fide, &shares.attack, &shares.retry, &shares.no_response]
                            .iter()
                            .map(|m| kn(m).0)
                            .sum();
                        assert_eq!(sum, total);
                    }
                }
                // Worst: the highest k/n, the first by name on ties.
                if n > 0 && worst.is_none_or(|(wk, wn, _)| k as f64 / n as f64 > wk as f64 / wn as f64) {
                    worst = Some((k, n, s));
                }
            }
            let got = r.attack.apcer_max.value().map(|w| (w.k, w.n, w.species.clone().unwrap()));
            assert_eq!(got, worst.map(|(k, n, s)| (k, n, s.to_owned())));
        }
    }
}
