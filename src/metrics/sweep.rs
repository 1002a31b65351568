//! The threshold sweep: error counts at every candidate threshold, built from one sort.
//!
//! Candidates are +inf followed by every distinct score in decreasing order (the oracle convention),
//! so point 0 rejects everything and the last point accepts everything. All scores are radix-sorted
//! once (each carrying its class) and walked from the top down with cumulative per-class counts:
//! O(n) after the sort for any number of candidates, never O(n × thresholds). All threshold-free
//! metrics (EER, operating points, AUC) are then linear scans of this one structure.

use std::io::Write;

use anyhow::{Context, Result};

use super::metric::Threshold;
use super::population::{BONA_FIDE, Population};
use super::radix;
use crate::schema::Presentation;

/// A count stored per sweep point. u32 rather than u64 takes 160 MB off a 10-million-point sweep
/// (and as many page faults and bytes scanned); [`Population::new`] refuses more presentations than
/// a u32 can count.
type Count = u32;

/// Error counts at every candidate threshold (decision: bona fide iff score >= t).
#[derive(Debug, Clone)]
pub struct Sweep {
    species: Vec<String>,
    bona_fide_scored: u64,
    attack_scored: Vec<u64>,
    /// Decreasing; `thresholds[0]` is +inf.
    thresholds: Vec<f64>,
    /// Per point: scored bona fide presentations with score < t.
    bpcer_errors: Vec<Count>,
    /// Per species, per point: scored attacks with score >= t.
    apcer_errors: Vec<Vec<Count>>,
    /// Per point: the worst-species APCER (0 without scored attacks), kept because every operating
    /// point search scans it.
    apcer_max: Vec<f64>,
}

/// One row of the sweep, as rates (`None` where the class has no scored presentation).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    pub threshold: Threshold,
    /// APCER per species, in [`Sweep::species`] order.
    pub apcer: Vec<Option<f64>>,
    pub apcer_max: Option<f64>,
    pub apcer_pooled: Option<f64>,
    pub bpcer: Option<f64>,
}

impl Sweep {
    /// Builds the sweep of a set of presentations (non-responses are left out, as in every
    /// score-based rate).
    pub fn build(presentations: &[Presentation]) -> Result<Sweep> {
        Ok(Sweep::from_population(&Population::new(presentations)?))
    }

    pub(crate) fn from_population(population: &Population) -> Sweep {
        let (keys, classes) = sorted_scores(population);
        let mut scored = vec![0u64; population.classes()];
        for &class in &classes {
            scored[class as usize] += 1;
        }
        let points = 1 + keys.len(); // an upper bound, reserved once
        let mut sweep = Sweep {
            species: population.species.clone(),
            bona_fide_scored: scored[BONA_FIDE],
            attack_scored: scored[BONA_FIDE + 1..].to_vec(),
            thresholds: Vec::with_capacity(points),
            bpcer_errors: Vec::with_capacity(points),
            apcer_errors: population.species.iter().map(|_| Vec::with_capacity(points)).collect(),
            apcer_max: Vec::with_capacity(points),
        };
        sweep.walk_down(&keys, &classes, |_| 1);
        sweep
    }

    /// The sweep of a resample that holds score `i` (of `keys`, sorted ascending, with its class) `weight(i)`
    /// times: the same sweep, point for point, as [`Sweep::from_population`] of a population that repeats
    /// each presentation so, without building, cloning or sorting it (a bootstrap draws thousands).
    pub(crate) fn weighted(
        species: &[String],
        keys: &[u64],
        classes: &[u32],
        weight: impl Fn(usize) -> Count,
    ) -> Sweep {
        let mut scored = vec![0u64; species.len() + 1];
        for (i, &class) in classes.iter().enumerate() {
            scored[class as usize] += u64::from(weight(i));
        }
        let mut sweep = Sweep {
            species: species.to_vec(),
            bona_fide_scored: scored[BONA_FIDE],
            attack_scored: scored[BONA_FIDE + 1..].to_vec(),
            thresholds: Vec::new(),
            bpcer_errors: Vec::new(),
            apcer_errors: species.iter().map(|_| Vec::new()).collect(),
            apcer_max: Vec::new(),
        };
        sweep.walk_down(keys, classes, weight);
        sweep
    }

    /// Walks the scores (sorted ascending) from the highest down, appending +inf and then one point per
    /// distinct score of positive weight, with cumulative per-class counts (each score counts `weight(i)`).
    fn walk_down(&mut self, keys: &[u64], classes: &[u32], weight: impl Fn(usize) -> Count) {
        let mut accepted: Vec<Count> = vec![0; self.species.len() + 1]; // per class: scores >= t
        self.push(f64::INFINITY, &accepted);
        let mut end = keys.len();
        while end > 0 {
            let top = keys[end - 1];
            let mut present = false;
            while end > 0 && keys[end - 1] == top {
                end -= 1;
                let w = weight(end);
                accepted[classes[end] as usize] += w;
                present |= w > 0;
            }
            if present {
                self.push(radix::score(top), &accepted);
            }
        }
    }

    /// Appends the point at threshold `t`, where `accepted[class]` presentations have score >= t.
    fn push(&mut self, t: f64, accepted: &[Count]) {
        self.thresholds.push(t);
        self.bpcer_errors.push(self.bona_fide_scored as Count - accepted[BONA_FIDE]);
        let mut worst = 0.0_f64;
        let per_species = self.apcer_errors.iter_mut().zip(&self.attack_scored).zip(&accepted[BONA_FIDE + 1..]);
        for ((errors, &n), &k) in per_species {
            errors.push(k);
            if n > 0 {
                worst = worst.max(f64::from(k) / n as f64);
            }
        }
        self.apcer_max.push(worst);
    }

    /// Number of candidate thresholds (distinct scores + 1).
    pub fn candidates(&self) -> usize {
        self.thresholds.len()
    }

    /// Attack species, sorted by name: the order of [`SweepPoint::apcer`] and of the CSV columns.
    pub fn species(&self) -> &[String] {
        &self.species
    }

    /// Scored bona fide presentations.
    pub fn bona_fide_scored(&self) -> u64 {
        self.bona_fide_scored
    }

    /// Scored attack presentations, all species.
    pub fn attack_scored(&self) -> u64 {
        self.attack_scored.iter().sum()
    }

    /// The point at candidate `i` (0 = +inf), or `None` past the end.
    pub fn point(&self, i: usize) -> Option<SweepPoint> {
        (i < self.candidates()).then(|| SweepPoint {
            threshold: Threshold(self.thresholds[i]),
            apcer: (0..self.species.len()).map(|s| self.apcer(s, i)).collect(),
            apcer_max: self.apcer_max(i),
            apcer_pooled: self.apcer_pooled(i),
            bpcer: self.bpcer(i),
        })
    }

    pub(crate) fn threshold(&self, i: usize) -> f64 {
        self.thresholds[i]
    }

    /// The point whose rates are those at threshold `t`: the lowest candidate >= t (no score lies
    /// between them, so both accept the same presentations). Point 0 (+inf) for any t above every score.
    pub(crate) fn index_at(&self, t: f64) -> usize {
        self.thresholds.partition_point(|&c| c >= t).saturating_sub(1)
    }

    pub(crate) fn bpcer(&self, i: usize) -> Option<f64> {
        rate(self.bpcer_errors(i), self.bona_fide_scored)
    }

    pub(crate) fn apcer(&self, species: usize, i: usize) -> Option<f64> {
        rate(u64::from(self.apcer_errors[species][i]), self.attack_scored[species])
    }

    /// Worst species (ISO/IEC 30107-3): the maximum APCER over species with scored attacks.
    pub(crate) fn apcer_max(&self, i: usize) -> Option<f64> {
        (self.attack_scored() > 0).then(|| self.worst_apcer(i))
    }

    /// [`Sweep::apcer_max`] for a sweep known to have scored attacks (0 otherwise).
    pub(crate) fn worst_apcer(&self, i: usize) -> f64 {
        self.apcer_max[i]
    }

    pub(crate) fn apcer_pooled(&self, i: usize) -> Option<f64> {
        rate(self.apcer_errors_pooled(i), self.attack_scored())
    }

    pub(crate) fn apcer_errors_pooled(&self, i: usize) -> u64 {
        self.apcer_errors.iter().map(|e| u64::from(e[i])).sum()
    }

    pub(crate) fn bpcer_errors(&self, i: usize) -> u64 {
        u64::from(self.bpcer_errors[i])
    }

    /// Scored attacks of `species` with score >= threshold `i` (calibration compares these counts
    /// with per-species limits instead of comparing rates).
    pub(crate) fn species_errors(&self, species: usize, i: usize) -> u64 {
        u64::from(self.apcer_errors[species][i])
    }

    /// Scored attacks of `species`.
    pub(crate) fn species_scored(&self, species: usize) -> u64 {
        self.attack_scored[species]
    }
}

/// Every score as a radix key, sorted ascending, with its class alongside (non-responses left out).
/// Classes are stored as u32 to halve the sort's traffic; 2^32 species would need far more
/// presentations than memory holds.
fn sorted_scores(population: &Population) -> (Vec<u64>, Vec<u32>) {
    let mut keys = Vec::with_capacity(population.items.len());
    let mut classes = Vec::with_capacity(population.items.len());
    for item in &population.items {
        if let Some(s) = item.score() {
            keys.push(radix::key(s));
            classes.push(item.class as u32);
        }
    }
    radix::sort_with(&mut keys, &mut classes);
    (keys, classes)
}

fn rate(k: u64, n: u64) -> Option<f64> {
    (n > 0).then(|| k as f64 / n as f64)
}

/// Writes every sweep point as CSV: `threshold,apcer[<species>]...,apcer_max,apcer_pooled,bpcer`.
/// The first threshold is written `+inf`; an undefined rate (class without scored presentations)
/// is an empty cell. Floats use the shortest text that reads back to the same f64.
pub fn write_sweep_csv<W: Write>(sweep: &Sweep, out: W) -> Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header = vec!["threshold".to_owned()];
    header.extend(sweep.species.iter().map(|s| format!("apcer[{s}]")));
    header.extend(["apcer_max", "apcer_pooled", "bpcer"].map(str::to_owned));
    let header = header.iter().map(|h| crate::escape::csv(h).into_owned());
    writer.write_record(header).context("writing the sweep CSV header")?;
    writer.flush().context("flushing the sweep CSV")?;
    let mut out = writer.into_inner().map_err(|e| anyhow::anyhow!("writing the sweep CSV header: {}", e.error()))?;
    // A million points take a second to format: chunks of rows are formatted in parallel, each by its
    // own CSV writer (which keeps no state between records), and written in order.
    use rayon::prelude::*;
    const ROWS: usize = 1 << 14;
    let chunks: Vec<usize> = (0..sweep.candidates()).step_by(ROWS).collect();
    let texts: Vec<Result<Vec<u8>>> = chunks
        .into_par_iter()
        .map(|start| {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            for point in (start..(start + ROWS).min(sweep.candidates())).filter_map(|i| sweep.point(i)) {
                let mut row = vec![point.threshold.to_string()];
                row.extend(point.apcer.iter().map(|&a| cell(a)));
                row.extend([cell(point.apcer_max), cell(point.apcer_pooled), cell(point.bpcer)]);
                writer.write_record(&row).context("writing a sweep CSV row")?;
            }
            writer.into_inner().map_err(|e| anyhow::anyhow!("writing a sweep CSV row: {}", e.error()))
        })
        .collect();
    for text in texts {
        out.write_all(&text?).context("writing the sweep CSV")?;
    }
    out.flush().context("flushing the sweep CSV")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    /// Live 0.9, 0.4, 0.4, and a non-response; print 0.9, 0.2; replay 0.4 (-0.0 and 0.0 tie too).
    fn sample() -> Vec<Presentation> {
        vec![
            pres("", Some(0.9)),
            pres("", Some(0.4)),
            pres("", Some(0.4)),
            pres("", None),
            pres("print", Some(0.9)),
            pres("print", Some(0.2)),
            pres("replay", Some(0.4)),
            pres("replay", Some(-0.0)),
            pres("replay", Some(0.0)),
        ]
    }

    #[test]
    fn hand_computed_points() {
        let sweep = Sweep::build(&sample()).unwrap();
        // Candidates: +inf, 0.9, 0.4, 0.2, 0.0 (−0.0 and 0.0 are one score).
        assert_eq!(sweep.candidates(), 5);
        let p = |i| sweep.point(i).unwrap();
        // +inf: nothing accepted; BPCER 3/3.
        assert_eq!(
            p(0),
            SweepPoint {
                threshold: Threshold(f64::INFINITY),
                apcer: vec![Some(0.0), Some(0.0)],
                apcer_max: Some(0.0),
                apcer_pooled: Some(0.0),
                bpcer: Some(1.0)
            }
        );
        // 0.9: live 0.9 accepted (BPCER 2/3), print 0.9 accepted (1/2).
        assert_eq!(p(1).apcer, [Some(0.5), Some(0.0)]);
        assert_eq!((p(1).apcer_max, p(1).apcer_pooled, p(1).bpcer), (Some(0.5), Some(1.0 / 5.0), Some(2.0 / 3.0)));
        // 0.4: all live accepted; replay 0.4 accepted (1/3).
        assert_eq!(p(2).apcer, [Some(0.5), Some(1.0 / 3.0)]);
        assert_eq!((p(2).apcer_pooled, p(2).bpcer), (Some(2.0 / 5.0), Some(0.0)));
        // 0.2, then 0.0: everything accepted.
        assert_eq!(p(3).apcer, [Some(1.0), Some(1.0 / 3.0)]);
        assert_eq!((p(4).threshold, p(4).apcer_max, p(4).apcer_pooled), (Threshold(0.0), Some(1.0), Some(1.0)));
        assert!(sweep.point(5).is_none());
    }

    #[test]
    fn missing_class_gives_undefined_rates() {
        let sweep = Sweep::build(&[pres("", Some(0.3)), pres("print", None)]).unwrap();
        let p = sweep.point(1).unwrap();
        assert_eq!((p.apcer, p.apcer_max, p.apcer_pooled, p.bpcer), (vec![None], None, None, Some(0.0)));
    }

    #[test]
    fn sweep_csv_has_species_columns_inf_and_empty_cells() {
        let mut ps = sample();
        ps.push(pres("mask", None));
        let mut out = Vec::new();
        write_sweep_csv(&Sweep::build(&ps).unwrap(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "threshold,apcer[mask],apcer[print],apcer[replay],apcer_max,apcer_pooled,bpcer");
        assert_eq!(lines[1], "+inf,,0,0,0,0,1");
        assert_eq!(lines[3], "0.4,,0.5,0.3333333333333333,0.5,0.4,0");
        assert_eq!(lines.len(), 6);
    }
}
