//! Choosing a candidate threshold of a [`Sweep`] for a [`Target`].
//!
//! Candidates and tie rules are the oracle's (`shared/oracles/README.md`): every distinct score plus
//! +inf, bona fide iff score >= t. A rate limit `rate <= x` is turned once into a limit on the error
//! *count* (the largest k with `bound(k, n) <= x`, found by bisection because both k/n and the
//! Clopper-Pearson upper bound grow with k), so the scan over candidates compares integers, and the
//! upper-bound variant costs O(species × log n) interval evaluations instead of one per candidate.

use anyhow::{Context, Result, bail, ensure};

use super::target::{Bound, Target};
use crate::metrics::{Metric, Rate, Sweep, Threshold, clopper_pearson, eer_pooled};

/// The rates at one candidate threshold, with their 95% intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Candidate index in the sweep (0 = +inf).
    pub index: usize,
    pub threshold: Threshold,
    pub bpcer: Rate,
    /// Worst species (its name in `species`; ties to the first by name).
    pub apcer_max: Rate,
    pub apcer_pooled: Rate,
}

/// The candidate index meeting `target`; errors when the sweep lacks a class or the limit cannot be
/// met even with zero errors (possible only with [`Bound::Upper`] on a small set).
pub fn choose(sweep: &Sweep, target: Target, bound: Bound) -> Result<usize> {
    ensure!(sweep.bona_fide_scored() > 0, "no scored bona fide presentations to calibrate on");
    ensure!(sweep.attack_scored() > 0, "no scored attack presentations to calibrate on");
    if bound == Bound::Upper
        && !matches!(target, Target::BpcerAtApcer(_) | Target::ApcerAtBpcer(_) | Target::FullSystem(_))
    {
        bail!("--bound upper applies to a rate limit (bpcer@apcer=X, apcer@bpcer=X), not to {target}");
    }
    let candidates = 0..sweep.candidates();
    let best = match target {
        Target::BpcerAtApcer(x) => {
            let limits = species_limits(sweep, x, bound)?;
            let feasible =
                |i: &usize| limits.iter().enumerate().all(|(s, &limit)| sweep.species_errors(s, *i) <= limit);
            // Lowest BPCER; strict `<` keeps the first, i.e. highest, of equal thresholds.
            lowest(candidates.filter(feasible), |i| sweep.bpcer_errors(i) as f64, false)
        }
        Target::ApcerAtBpcer(x) => {
            let limit = count_limit(x, sweep.bona_fide_scored(), bound).with_context(|| {
                format!(
                    "BPCER <= {x} cannot hold on the upper bound with {} bona fide presentations",
                    sweep.bona_fide_scored()
                )
            })?;
            let feasible = candidates.filter(|&i| sweep.bpcer_errors(i) <= limit);
            lowest(feasible, |i| sweep.worst_apcer(i), true)
        }
        Target::Eer => match eer_pooled(sweep) {
            Metric::Value(eer) => Some(index_at(sweep, eer.threshold.0)),
            Metric::NotAvailable(na) => bail!("no EER: {}", na.reason),
        },
        Target::Fixed(t) => Some(index_at(sweep, t)),
        Target::Cost { apcer, bpcer } => {
            let n = sweep.bona_fide_scored() as f64;
            lowest(candidates, |i| apcer * sweep.worst_apcer(i) + bpcer * (sweep.bpcer_errors(i) as f64 / n), false)
        }
        Target::FullSystem(_) => bail!(
            "{target} calibrates PAD and face match together: it needs the run folder of an `eval --match` run \
             (liveness calibrate RUN --target {target}), not PAD scores alone"
        ),
    };
    best.with_context(|| format!("no candidate threshold meets {target}"))
}

/// The candidate minimizing `cost`; on ties the first (highest threshold), or the last when `last_on_ties`.
fn lowest(candidates: impl Iterator<Item = usize>, cost: impl Fn(usize) -> f64, last_on_ties: bool) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for i in candidates {
        let c = cost(i);
        if best.is_none_or(|(_, b)| c < b || (last_on_ties && c == b)) {
            best = Some((i, c));
        }
    }
    best.map(|(i, _)| i)
}

/// The candidate whose decisions equal those at any threshold `t`: the lowest candidate >= t.
pub fn index_at(sweep: &Sweep, t: f64) -> usize {
    // Thresholds decrease from +inf at 0, so "candidate >= t" holds on a prefix (never empty).
    let (mut lo, mut hi) = (0, sweep.candidates());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if sweep.threshold(mid) >= t { lo = mid } else { hi = mid }
    }
    lo
}

/// Per species, the most errors its APCER may have; species without scored attacks are unconstrained.
fn species_limits(sweep: &Sweep, x: f64, bound: Bound) -> Result<Vec<u64>> {
    (0..sweep.species().len())
        .map(|s| match sweep.species_scored(s) {
            0 => Ok(u64::MAX),
            n => count_limit(x, n, bound).with_context(|| {
                format!("APCER of {} <= {x} cannot hold on the upper bound with {n} scored attacks", sweep.species()[s])
            }),
        })
        .collect()
}

/// The largest k in 0..=n with `bound(k, n) <= x`, or an error saying how many presentations would be needed.
pub(crate) fn count_limit(x: f64, n: u64, bound: Bound) -> Result<u64> {
    let value = |k: u64| match bound {
        // The same float comparison as the oracle's `k/n <= x`.
        Bound::Point => k as f64 / n as f64,
        Bound::Upper => clopper_pearson(k, n).upper,
    };
    if value(0) > x {
        if x <= 0.0 {
            bail!("even zero errors leave an upper 95% bound above 0")
        }
        // 1 - 0.025^(1/n) <= x  <=>  n >= ln 0.025 / ln(1 - x).
        let needed = (0.025f64.ln() / (-x).ln_1p()).ceil();
        bail!(
            "even zero errors give an upper 95% bound of {:.4} > {x}; that needs at least {needed} presentations",
            value(0)
        );
    }
    let (mut ok, mut too_many) = (0, n + 1);
    while too_many - ok > 1 {
        let mid = ok + (too_many - ok) / 2;
        if value(mid) <= x { ok = mid } else { too_many = mid }
    }
    Ok(ok)
}

/// The rates at candidate `index` (the sweep must have scored presentations of both classes).
pub fn figures(sweep: &Sweep, index: usize) -> Result<Figures> {
    let rate = |k: u64, n: u64| Rate::of(k, n, "").value().cloned().context("no scored presentations of a class");
    let mut worst: Option<(usize, u64, u64)> = None;
    for s in 0..sweep.species().len() {
        let (k, n) = (sweep.species_errors(s, index), sweep.species_scored(s));
        // Exact k/n > best.k/best.n by cross-multiplication; the first maximum (by name) wins ties.
        if n > 0 && worst.is_none_or(|(_, bk, bn)| u128::from(k) * u128::from(bn) > u128::from(bk) * u128::from(n)) {
            worst = Some((s, k, n));
        }
    }
    let (species, k, n) = worst.context("no scored attack presentations")?;
    let mut apcer_max = rate(k, n)?;
    apcer_max.species = Some(sweep.species()[species].clone());
    Ok(Figures {
        index,
        threshold: Threshold(sweep.threshold(index)),
        bpcer: rate(sweep.bpcer_errors(index), sweep.bona_fide_scored())?,
        apcer_max,
        apcer_pooled: rate(sweep.apcer_errors_pooled(index), sweep.attack_scored())?,
    })
}
