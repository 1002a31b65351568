//! Which figures the data can resolve (`resolution` in metrics.json).
//!
//! A rate over n presentations moves in steps of 1/n: with 17 attacks of a species, "APCER <= 1%" can
//! only be met by zero errors in 17, which says no more than "below 1/17 = 5.9%". And zero errors in n
//! bound the rate at about 3/n at 95% confidence (the rule of three), so claiming a rate p needs
//! n >= 3/p presentations. Each operating point `bpcer_at_apcer[x]` (a bound on every species' APCER)
//! and `apcer_at_bpcer[x]` (a bound on BPCER) is flagged `resolved: false` when a class constrained
//! falls short, with the presentations it would need; each species and the bona fide class carry their
//! resolvable rate (1/n), their rule-of-three bound (3/n) and the count needed for every target.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sweep::Sweep;

/// What n scored presentations of one class resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassResolution {
    pub scored: u64,
    /// 1/n: the smallest non-zero rate (`None` without presentations).
    pub resolvable_rate: Option<f64>,
    /// 3/n (at most 1): the 95% upper bound at zero errors.
    pub rule_of_three: Option<f64>,
    /// Per target rate x (keyed as the operating points): presentations needed, the least n with 3/n <= x.
    pub needed: BTreeMap<String, Option<u64>>,
}

/// One operating point's target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetResolution {
    pub target: f64,
    /// `apcer_max` (every species) or `bpcer`.
    pub constrains: String,
    /// The least n with 3/n <= target (`None` for a target of 0, which no count resolves).
    pub needed: Option<u64>,
    /// Every constrained class has at least `needed` scored presentations.
    pub resolved: bool,
    /// The constrained classes short of `needed` ("bona fide" or species names).
    pub short: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    pub rule: String,
    pub bpcer_at_apcer: BTreeMap<String, TargetResolution>,
    pub apcer_at_bpcer: BTreeMap<String, TargetResolution>,
    pub bona_fide: ClassResolution,
    pub species: BTreeMap<String, ClassResolution>,
}

const RULE: &str = "a rate over n presentations resolves 1/n; zero errors bound it at 3/n (95%, rule of three): \
                    claiming a rate p needs n >= 3/p";

/// The least n with 3/n <= p (compared as floats, exactly as a reader would check it); `None` for p <= 0.
pub fn needed(p: f64) -> Option<u64> {
    if p <= 0.0 || p.is_nan() {
        return None;
    }
    let mut n = (3.0 / p).ceil().max(1.0) as u64;
    while n > 1 && 3.0 / (n - 1) as f64 <= p {
        n -= 1;
    }
    while 3.0 / n as f64 > p {
        n += 1;
    }
    Some(n)
}

fn class(scored: u64, rates: &[f64]) -> ClassResolution {
    let n = scored as f64;
    ClassResolution {
        scored,
        resolvable_rate: (scored > 0).then(|| 1.0 / n),
        rule_of_three: (scored > 0).then(|| (3.0 / n).min(1.0)),
        needed: rates.iter().map(|&x| (x.to_string(), needed(x))).collect(),
    }
}

fn target(x: f64, constrains: &'static str, classes: &[(String, u64)]) -> TargetResolution {
    let need = needed(x);
    let short: Vec<String> =
        classes.iter().filter(|(_, n)| need.is_none_or(|need| *n < need)).map(|(c, _)| c.clone()).collect();
    TargetResolution { target: x, constrains: constrains.to_owned(), needed: need, resolved: short.is_empty(), short }
}

/// The resolution of every operating point of `rates` over the sweep's scored presentations.
pub fn resolution(sweep: &Sweep, rates: &[f64]) -> Resolution {
    let species: Vec<(String, u64)> =
        sweep.species().iter().enumerate().map(|(s, name)| (name.clone(), sweep.species_scored(s))).collect();
    let bona_fide = vec![("bona fide".to_owned(), sweep.bona_fide_scored())];
    Resolution {
        rule: RULE.to_owned(),
        bpcer_at_apcer: rates.iter().map(|&x| (x.to_string(), target(x, "apcer_max", &species))).collect(),
        apcer_at_bpcer: rates.iter().map(|&x| (x.to_string(), target(x, "bpcer", &bona_fide))).collect(),
        bona_fide: class(sweep.bona_fide_scored(), rates),
        species: species.iter().map(|(name, n)| (name.clone(), class(*n, rates))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    #[test]
    fn the_rule_of_three_by_hand() {
        assert_eq!([needed(0.01), needed(0.05), needed(0.1), needed(1.0)], [Some(300), Some(60), Some(30), Some(3)]);
        assert_eq!((needed(0.0), needed(0.07)), (None, Some(43)));
    }

    #[test]
    fn seventeen_attacks_do_not_resolve_one_percent() {
        // 17 print, 400 replay, 100 bona fide.
        let mut ps = vec![pres("print", Some(0.1)); 17];
        ps.extend(vec![pres("replay", Some(0.2)); 400]);
        ps.extend(vec![pres("", Some(0.9)); 100]);
        let r = resolution(&Sweep::build(&ps).unwrap(), &[0.01, 0.2]);
        let one = &r.bpcer_at_apcer["0.01"];
        assert_eq!((one.needed, one.resolved, one.short.clone()), (Some(300), false, vec!["print".to_owned()]));
        // 20% needs 15 per class: 17 print and 400 replay suffice.
        assert!(r.bpcer_at_apcer["0.2"].resolved);
        assert!(!r.apcer_at_bpcer["0.01"].resolved && r.apcer_at_bpcer["0.2"].resolved);
        let print = &r.species["print"];
        assert_eq!(
            (print.scored, print.resolvable_rate, print.rule_of_three),
            (17, Some(1.0 / 17.0), Some(3.0 / 17.0))
        );
        assert_eq!(print.needed["0.01"], Some(300));
        assert_eq!(r.bona_fide.scored, 100);
    }
}
