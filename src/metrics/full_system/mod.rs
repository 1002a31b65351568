//! Full-system evaluation (ISO/IEC 30107-3 with a comparison subsystem): PAD and face recognition together.
//!
//! Each presentation claims its `subject`. Subjects are enrolled from bona fide presentations (`enrol`);
//! every other bona fide presentation is a genuine comparison against its own subject and an impostor
//! comparison against every other enrolled subject; every attack is compared with the subject it shows.
//!
//! Conventions (written in `docs/face-match.md` and `eval --help`):
//! - distance: mean Euclidean distance to the subject's enrolment descriptors; match iff `d < match_t`.
//! - PAD accepts iff `score >= pad_t`; a non-response is not accepted.
//! - FNMR = genuine with `d >= match_t` / genuine with a descriptor; FMR = impostor with `d < match_t` /
//!   impostor comparisons. Genuine presentations without a descriptor are failures to acquire, counted apart.
//! - IAPMR_s = attacks of species `s` that match their subject / attacks of `s` (no descriptor: no match).
//! - full-system attack acceptance_s = attacks of `s` that PAD accepts AND match / attacks of `s`.
//! - bona fide full-system rejection = genuine presentations that PAD rejects OR do not match (a
//!   non-response or a missing descriptor is a rejection) / genuine presentations.
//! - verification EER: candidates are every distinct comparison distance and +inf, ascending; the first
//!   candidate `i` with FMR >= FNMR, linearly interpolated between candidates `i-1` and `i`; the threshold
//!   reported is candidate `i`'s. Its 95% interval is a subject-clustered bootstrap (probe subjects resampled).
//! - rates carry exact 95% Clopper-Pearson intervals.

pub mod enrol;
pub mod run_folder;
pub mod sweep;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::bootstrap::SplitMix64;
use super::ci::{Interval, clopper_pearson};
use crate::recognition::matching::{is_match, mean_distance};
use crate::schema::policy::is_bona_fide;
pub use enrol::EnrolRule;

/// One presentation as the full-system evaluation sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchInput {
    pub path: String,
    pub bona_fide: bool,
    /// Attack species; empty for bona fide.
    pub species: String,
    /// The identity the presentation claims (and, for an attack, shows).
    pub subject: String,
    /// The session key that orders enrolment sessions (metadata values other than the subject's).
    pub session: String,
    /// PAD live score; `None` for a non-response.
    pub pad_score: Option<f64>,
    /// Face descriptor; `None` when no face was described.
    pub descriptor: Option<Vec<f32>>,
}

#[derive(Clone, Copy, Debug)]
pub struct FullSystemOptions {
    pub pad_threshold: f64,
    pub match_threshold: f64,
    pub rule: EnrolRule,
    /// Subject-clustered bootstrap of the EER: resamples and seed (`None`: no interval).
    pub bootstrap: Option<(usize, u64)>,
}

/// A rate with its counts and exact interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub errors: u64,
    pub n: u64,
    /// `errors / n`; `None` when `n = 0`.
    pub value: Option<f64>,
    pub ci95: Option<Interval>,
}

impl Rate {
    pub fn of(errors: u64, n: u64) -> Rate {
        let value = (n > 0).then(|| errors as f64 / n as f64);
        Rate { errors, n, value, ci95: (n > 0).then(|| clopper_pearson(errors, n)) }
    }
}

/// What one presentation was in the evaluation, and what each stage decided: the per-presentation rows
/// every rate below can be recounted from (`full_system.csv`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub path: String,
    pub subject: String,
    pub bona_fide: bool,
    pub species: String,
    pub role: Role,
    pub pad_score: Option<f64>,
    pub pad_accept: bool,
    /// Mean distance to the claimed subject's enrolment (absent without a descriptor or enrolment).
    pub distance: Option<f64>,
    pub matched: bool,
    /// PAD accept AND match: what the whole system lets through.
    pub accepted: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Used to enrol its subject; in no rate.
    Enrolment,
    /// A bona fide comparison with its own subject.
    Genuine,
    /// An attack compared with the subject it shows.
    Attack,
    /// Its subject could not be enrolled; in no rate (the subject is named in `unenrolled`).
    Unenrolled,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eer {
    pub value: f64,
    /// The distance threshold at the crossing.
    pub threshold: f64,
    pub ci95: Option<Interval>,
    pub bootstrap_resamples: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub genuine_comparisons: u64,
    pub impostor_comparisons: u64,
    /// Genuine presentations with no descriptor (no face, a quality gate): failures to acquire.
    pub genuine_failed_to_acquire: u64,
    pub fnmr: Rate,
    pub fmr: Rate,
    pub eer: Option<Eer>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    pub species: String,
    pub rate: Rate,
}

/// Per-species attack rates, their pooled value and the worst species.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpeciesRates {
    pub per_species: BTreeMap<String, Rate>,
    pub pooled: Rate,
    pub worst: Option<Worst>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FullSystemReport {
    pub enrolment_rule: String,
    pub pad_threshold: f64,
    pub match_threshold: f64,
    pub enrolled_subjects: usize,
    pub enrolment_presentations: usize,
    /// Subjects that could not be enrolled, with why; their presentations are left out.
    pub unenrolled: BTreeMap<String, String>,
    pub verification: Verification,
    /// Matcher alone: attacks matched to their subject (ISO/IEC 30107-3 IAPMR).
    pub iapmr: SpeciesRates,
    /// PAD alone, on the same presentations: attacks PAD accepts (APCER) and genuine PAD rejects (BPCER,
    /// a non-response counted as a rejection).
    pub pad_apcer: SpeciesRates,
    pub pad_bpcer: Rate,
    /// PAD accept AND match.
    pub attack_acceptance: SpeciesRates,
    /// PAD reject OR no match, over genuine presentations.
    pub bona_fide_rejection: Rate,
}

/// Enrolment, comparisons and rows: everything that does not depend on the two thresholds.
pub struct Comparisons {
    pub rows: Vec<Row>,
    /// Genuine comparison distances.
    genuine: Vec<f64>,
    /// Impostor comparisons: (probe subject index, distance).
    impostor: Vec<(usize, f64)>,
    /// The probe subject index of each genuine distance, for the bootstrap.
    genuine_subject: Vec<usize>,
    enrolled: usize,
    enrolment_presentations: usize,
    failed_to_acquire: u64,
    unenrolled: BTreeMap<String, String>,
    rule: EnrolRule,
}

/// Enrols the subjects and computes every comparison distance.
pub fn compare(inputs: &[MatchInput], rule: EnrolRule) -> Comparisons {
    let (enrolled, unenrolled) = enrol::choose(inputs, rule);
    let names: Vec<&String> = enrolled.keys().collect();
    let subject_index: BTreeMap<&str, usize> = names.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let gallery: Vec<Vec<&[f32]>> = names
        .iter()
        .map(|s| enrolled[*s].iter().map(|&i| inputs[i].descriptor.as_deref().expect("enrolled")).collect())
        .collect();
    let is_enrolment: std::collections::HashSet<usize> = enrolled.values().flatten().copied().collect();
    let (mut rows, mut genuine, mut impostor, mut genuine_subject) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut failed_to_acquire = 0;
    for (i, p) in inputs.iter().enumerate() {
        let own = subject_index.get(p.subject.as_str()).copied();
        let role = match (own, p.bona_fide) {
            (None, _) => Role::Unenrolled,
            (Some(_), true) if is_enrolment.contains(&i) => Role::Enrolment,
            (Some(_), true) => Role::Genuine,
            (Some(_), false) => Role::Attack,
        };
        let distance = match (own, &p.descriptor) {
            (Some(s), Some(d)) if role != Role::Enrolment => mean_distance(d, gallery[s].iter().copied()),
            _ => None,
        };
        if role == Role::Genuine {
            match (distance, &p.descriptor) {
                (Some(d), Some(desc)) => {
                    let s = own.expect("enrolled");
                    genuine.push(d);
                    genuine_subject.push(s);
                    for (_, enrolled) in gallery.iter().enumerate().filter(|&(o, _)| o != s) {
                        impostor.push((s, mean_distance(desc, enrolled.iter().copied()).expect("enrolled")));
                    }
                }
                _ => failed_to_acquire += 1,
            }
        }
        rows.push(Row {
            path: p.path.clone(),
            subject: p.subject.clone(),
            bona_fide: p.bona_fide,
            species: p.species.clone(),
            role,
            pad_score: p.pad_score,
            pad_accept: false,
            distance,
            matched: false,
            accepted: false,
        });
    }
    Comparisons {
        rows,
        genuine,
        impostor,
        genuine_subject,
        enrolled: names.len(),
        enrolment_presentations: is_enrolment.len(),
        failed_to_acquire,
        unenrolled,
        rule,
    }
}

impl Comparisons {
    /// Genuine comparison distances (each bona fide presentation against its own subject).
    pub fn genuine_distances(&self) -> &[f64] {
        &self.genuine
    }

    /// Impostor comparison distances (each genuine probe against every other enrolled subject).
    pub fn impostor_distances(&self) -> impl Iterator<Item = f64> + '_ {
        self.impostor.iter().map(|&(_, d)| d)
    }

    /// The decisions of every row at the two thresholds, and the rates they give.
    pub fn evaluate(&mut self, opts: &FullSystemOptions) -> FullSystemReport {
        for r in &mut self.rows {
            r.pad_accept = r.pad_score.is_some_and(|s| is_bona_fide(s, opts.pad_threshold));
            r.matched = r.distance.is_some_and(|d| is_match(d, opts.match_threshold));
            r.accepted = r.pad_accept && r.matched;
        }
        let attacks = || self.rows.iter().filter(|r| r.role == Role::Attack);
        let genuine = || self.rows.iter().filter(|r| r.role == Role::Genuine);
        let g = self.genuine.len() as u64;
        let fnmr = self.genuine.iter().filter(|&&d| !is_match(d, opts.match_threshold)).count() as u64;
        let fmr = self.impostor.iter().filter(|&&(_, d)| is_match(d, opts.match_threshold)).count() as u64;
        let n_bf = genuine().count() as u64;
        FullSystemReport {
            enrolment_rule: self.rule.to_string(),
            pad_threshold: opts.pad_threshold,
            match_threshold: opts.match_threshold,
            enrolled_subjects: self.enrolled,
            enrolment_presentations: self.enrolment_presentations,
            unenrolled: self.unenrolled.clone(),
            verification: Verification {
                genuine_comparisons: g,
                impostor_comparisons: self.impostor.len() as u64,
                genuine_failed_to_acquire: self.failed_to_acquire,
                fnmr: Rate::of(fnmr, g),
                fmr: Rate::of(fmr, self.impostor.len() as u64),
                eer: self.eer(opts.bootstrap),
            },
            iapmr: species_rates(attacks().map(|r| (r.species.as_str(), r.matched))),
            pad_apcer: species_rates(attacks().map(|r| (r.species.as_str(), r.pad_accept))),
            pad_bpcer: Rate::of(genuine().filter(|r| !r.pad_accept).count() as u64, n_bf),
            attack_acceptance: species_rates(attacks().map(|r| (r.species.as_str(), r.accepted))),
            bona_fide_rejection: Rate::of(genuine().filter(|r| !r.accepted).count() as u64, n_bf),
        }
    }

    /// The verification EER, with a subject-clustered bootstrap interval.
    fn eer(&self, bootstrap: Option<(usize, u64)>) -> Option<Eer> {
        let weights = vec![1u64; self.enrolled];
        let (value, threshold) = self.eer_weighted(&weights)?;
        let (ci95, resamples) = match bootstrap {
            Some((resamples, seed)) if resamples > 0 && self.enrolled > 1 => {
                let mut rng = SplitMix64(seed);
                let mut values = Vec::with_capacity(resamples);
                for _ in 0..resamples {
                    let mut w = vec![0u64; self.enrolled];
                    for _ in 0..self.enrolled {
                        w[rng.below(self.enrolled)] += 1;
                    }
                    if let Some((v, _)) = self.eer_weighted(&w) {
                        values.push(v);
                    }
                }
                values.sort_by(f64::total_cmp);
                // Percentiles with linear interpolation (numpy's default), as the PAD bootstrap.
                let q = |p: f64| {
                    let h = (values.len() - 1) as f64 * p;
                    let (lo, hi) = (h.floor() as usize, (h.floor() as usize + 1).min(values.len() - 1));
                    values[lo] + (h - lo as f64) * (values[hi] - values[lo])
                };
                ((!values.is_empty()).then(|| Interval { lower: q(0.025), upper: q(0.975) }), resamples)
            }
            _ => (None, 0),
        };
        Some(Eer { value, threshold, ci95, bootstrap_resamples: resamples })
    }

    /// EER and threshold with each comparison weighted by how often its probe subject was drawn.
    fn eer_weighted(&self, w: &[u64]) -> Option<(f64, f64)> {
        let genuine = self.genuine.iter().zip(&self.genuine_subject).map(|(&d, &s)| (d, true, w[s]));
        let imp = self.impostor.iter().map(|&(s, d)| (d, false, w[s]));
        eer_of(genuine.chain(imp).filter(|c| c.2 > 0).collect())
    }
}

/// EER of weighted comparisons `(distance, genuine, weight)` by the module's convention.
pub fn eer_of(mut cmp: Vec<(f64, bool, u64)>) -> Option<(f64, f64)> {
    let n_gen: u64 = cmp.iter().filter(|c| c.1).map(|c| c.2).sum();
    let n_imp: u64 = cmp.iter().filter(|c| !c.1).map(|c| c.2).sum();
    if n_gen == 0 || n_imp == 0 {
        return None;
    }
    cmp.sort_by(|a, b| a.0.total_cmp(&b.0));
    // At candidate t: FMR = impostors with d < t, FNMR = genuine with d >= t.
    let (mut imp_below, mut gen_below) = (0u64, 0u64);
    let rates =
        |imp_below: u64, gen_below: u64| (imp_below as f64 / n_imp as f64, (n_gen - gen_below) as f64 / n_gen as f64);
    let mut prev = rates(0, 0); // below the smallest distance: FMR 0, FNMR 1
    let mut k = 0;
    while k <= cmp.len() {
        let t = if k < cmp.len() { cmp[k].0 } else { f64::INFINITY };
        let now = rates(imp_below, gen_below);
        if now.0 >= now.1 {
            // Crossing between prev (FMR < FNMR) and now: where the two straight lines meet.
            let (d0, d1) = (prev.1 - prev.0, now.1 - now.0);
            let a = if d0 - d1 != 0.0 { d0 / (d0 - d1) } else { 0.0 };
            let eer = prev.0 + a * (now.0 - prev.0);
            return Some((eer, t));
        }
        prev = now;
        if k == cmp.len() {
            break;
        }
        // Every comparison at this distance moves below the next candidate together.
        while k < cmp.len() && cmp[k].0 == t {
            if cmp[k].1 {
                gen_below += cmp[k].2
            } else {
                imp_below += cmp[k].2
            }
            k += 1;
        }
    }
    None
}

/// Per-species rates of `(species, counted)` pairs.
fn species_rates<'a>(items: impl Iterator<Item = (&'a str, bool)>) -> SpeciesRates {
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (s, hit) in items {
        let e = by.entry(s.to_string()).or_default();
        e.0 += u64::from(hit);
        e.1 += 1;
    }
    let per_species: BTreeMap<String, Rate> = by.iter().map(|(s, &(k, n))| (s.clone(), Rate::of(k, n))).collect();
    let (k, n) = by.values().fold((0, 0), |(a, b), &(k, n)| (a + k, b + n));
    let worst = per_species
        .iter()
        .max_by(|a, b| a.1.value.unwrap_or(0.0).total_cmp(&b.1.value.unwrap_or(0.0)).then(b.0.cmp(a.0)))
        .map(|(s, r)| Worst { species: s.clone(), rate: *r });
    SpeciesRates { per_species, pooled: Rate::of(k, n), worst }
}

#[cfg(test)]
mod tests {
    //! A hand-built case whose every rate is counted on paper, and a property test against brute-force
    //! recomputation of the rates from the per-presentation rows.

    use proptest::prelude::*;

    use super::*;

    fn p(
        path: &str,
        subject: &str,
        session: &str,
        species: &str,
        score: Option<f64>,
        d: Option<[f32; 1]>,
    ) -> MatchInput {
        MatchInput {
            path: path.into(),
            bona_fide: species.is_empty(),
            species: species.into(),
            subject: subject.into(),
            session: session.into(),
            pad_score: score,
            descriptor: d.map(|v| v.to_vec()),
        }
    }

    fn opts(pad: f64, m: f64) -> FullSystemOptions {
        FullSystemOptions {
            pad_threshold: pad,
            match_threshold: m,
            rule: EnrolRule::FirstSession { frames: 1 },
            bootstrap: None,
        }
    }

    /// Subjects A (enrolled at 0.0) and B (enrolled at 10.0) on a 1-D "descriptor".
    fn hand_case() -> Vec<MatchInput> {
        vec![
            // A: session s1 has 3 frames, the middle one (a2, at 0.0) enrols; s2 is another session.
            p("a1", "A", "s1", "", Some(0.9), Some([0.2])),
            p("a2", "A", "s1", "", Some(0.9), Some([0.0])),
            p("a3", "A", "s1", "", Some(0.3), Some([0.4])), // genuine, PAD rejects
            p("a4", "A", "s2", "", Some(0.8), Some([0.7])), // genuine, no match at 0.6
            p("a5", "A", "s2", "", None, None),             // genuine non-response
            p("b1", "B", "s1", "", Some(0.9), Some([10.0])),
            p("b2", "B", "s1", "", Some(0.9), Some([10.1])),
            // Attacks: print of A accepted by PAD and matched; print of A rejected by PAD; replay of B matched
            // but rejected by PAD; replay of B not matched.
            p("pa1", "A", "x", "print", Some(0.7), Some([0.1])),
            p("pa2", "A", "x", "print", Some(0.2), Some([0.5])),
            p("rb1", "B", "x", "replay", Some(0.1), Some([10.3])),
            p("rb2", "B", "x", "replay", Some(0.9), Some([12.0])),
            // C has only attacks: named as not enrolled, left out.
            p("pc1", "C", "x", "print", Some(0.9), Some([5.0])),
        ]
    }

    fn rate(r: &Rate) -> (u64, u64) {
        (r.errors, r.n)
    }

    #[test]
    fn hand_built_case_counted_on_paper() {
        let mut c = compare(&hand_case(), EnrolRule::FirstSession { frames: 1 });
        let r = c.evaluate(&opts(0.5, 0.6));
        assert_eq!(r.unenrolled.get("C").map(String::as_str), Some("no bona fide presentation"));
        assert_eq!((r.enrolled_subjects, r.enrolment_presentations), (2, 2));
        // A's s1 has 3 frames: floor(1 * 3 / 2) = the 2nd (a2); B's has 2: floor(1 * 2 / 2) = the 2nd (b2).
        let role = |path: &str| c.rows.iter().find(|r| r.path == path).unwrap().role;
        assert_eq!(
            [role("a2"), role("b2"), role("a1"), role("pc1")],
            [Role::Enrolment, Role::Enrolment, Role::Genuine, Role::Unenrolled]
        );
        let v = &r.verification;
        // Genuine with a descriptor: a1 0.2, a3 0.4, a4 0.7 (no match), b1 0.1; a5 failed to acquire.
        assert_eq!((v.genuine_comparisons, v.impostor_comparisons, v.genuine_failed_to_acquire), (4, 4, 1));
        assert_eq!((rate(&v.fnmr), rate(&v.fmr)), ((1, 4), (0, 4)));
        // Separated scores: the crossing is at the smallest impostor distance (9.4 = |0.7 - 10.1|), EER 0.
        let eer = v.eer.as_ref().unwrap();
        assert_eq!(eer.value, 0.0);
        assert!((eer.threshold - 9.4).abs() < 1e-6, "{eer:?}");
        // Matcher alone: both prints of A match (0.1, 0.5); one replay of B matches (0.2), one not (1.9).
        assert_eq!(rate(&r.iapmr.per_species["print"]), (2, 2));
        assert_eq!(rate(&r.iapmr.per_species["replay"]), (1, 2));
        assert_eq!(rate(&r.iapmr.pooled), (3, 4));
        // PAD alone: pa1 (0.7) and rb2 (0.9) pass PAD; genuine a3 (0.3) and a5 (non-response) do not.
        assert_eq!(rate(&r.pad_apcer.per_species["print"]), (1, 2));
        assert_eq!(rate(&r.pad_apcer.per_species["replay"]), (1, 2));
        assert_eq!(rate(&r.pad_bpcer), (2, 5));
        // Combined: only pa1 is accepted AND matched; a3, a4, a5 of the 5 genuine are rejected.
        assert_eq!(rate(&r.attack_acceptance.per_species["print"]), (1, 2));
        assert_eq!(rate(&r.attack_acceptance.per_species["replay"]), (0, 2));
        let worst = r.attack_acceptance.worst.as_ref().unwrap();
        assert_eq!((worst.species.as_str(), rate(&worst.rate)), ("print", (1, 2)));
        assert_eq!(rate(&r.bona_fide_rejection), (3, 5));
        // A matcher at 0.15 still matches pa1 (0.1); at 0.05 nothing matches, so every genuine is rejected.
        let r = c.evaluate(&opts(0.5, 0.15));
        assert_eq!((rate(&r.attack_acceptance.pooled), rate(&r.bona_fide_rejection)), ((1, 4), (4, 5)));
        let r = c.evaluate(&opts(0.5, 0.05));
        assert_eq!((rate(&r.attack_acceptance.pooled), rate(&r.bona_fide_rejection)), ((0, 4), (5, 5)));
    }

    #[test]
    fn sweep_cells_equal_the_evaluation_at_their_thresholds() {
        let mut c = compare(&hand_case(), EnrolRule::FirstSession { frames: 1 });
        let (pads, matches) = ([0.0, 0.5, 0.8], [0.05, 0.15, 0.6, 2.0]);
        let grid = sweep::sweep(&c.rows, &pads, &matches);
        for (i, &pt) in pads.iter().enumerate() {
            for (j, &mt) in matches.iter().enumerate() {
                let r = c.evaluate(&opts(pt, mt));
                let cell = grid.cell(i, j);
                assert_eq!((cell.pad_threshold, cell.match_threshold), (pt, mt));
                assert_eq!(
                    Some(cell.attack_acceptance_max),
                    r.attack_acceptance.worst.as_ref().and_then(|w| w.rate.value)
                );
                assert_eq!(Some(cell.attack_acceptance_pooled), r.attack_acceptance.pooled.value);
                assert_eq!(Some(cell.bona_fide_rejection), r.bona_fide_rejection.value);
            }
        }
        // At PAD 0 and match 2.0 everything passes: all attacks accepted, no genuine rejected but a5 (no face).
        assert_eq!((grid.cell(0, 3).attack_acceptance_pooled, grid.cell(0, 3).bona_fide_rejection), (1.0, 0.2));
    }

    #[test]
    fn eer_crossings_by_hand() {
        let cmp = |g: &[f64], i: &[f64]| {
            eer_of(g.iter().map(|&d| (d, true, 1)).chain(i.iter().map(|&d| (d, false, 1))).collect()).unwrap()
        };
        // t = 3: FMR 1/3 (2.5 < 3), FNMR 1/3 (3 >= 3): equal at a candidate.
        assert_eq!(cmp(&[1.0, 2.0, 3.0], &[2.5, 4.0, 5.0]), (1.0 / 3.0, 3.0));
        // t = 2.5: (0, 1/2); t = 3: (1, 1/2): the lines cross half way, at 1/2.
        assert_eq!(cmp(&[1.0, 2.0, 3.0, 4.0], &[2.5]), (0.5, 3.0));
        // Weights count a comparison several times: a doubled genuine 1.0 moves the crossing.
        let w = eer_of(vec![(1.0, true, 2), (3.0, true, 1), (2.0, false, 1), (4.0, false, 1)]).unwrap();
        assert_eq!(w, (1.0 / 3.0, 3.0), "t = 3: FMR 1/2, FNMR 1/3 after t = 2: (0, 1/3)");
        assert_eq!(eer_of(vec![(1.0, true, 1)]), None);
    }

    #[test]
    fn enrolment_rule_parses_and_names_subjects_without_live_faces() {
        assert_eq!("first-session:3".parse::<EnrolRule>(), Ok(EnrolRule::FirstSession { frames: 3 }));
        assert!("first-session:0".parse::<EnrolRule>().is_err());
        assert!("manifest".parse::<EnrolRule>().unwrap_err().contains("first-session:K"));
        let inputs = vec![p("d1", "D", "s1", "", Some(0.1), None), p("d2", "D", "s1", "print", Some(0.1), Some([1.0]))];
        let (chosen, missing) = enrol::choose(&inputs, EnrolRule::FirstSession { frames: 3 });
        assert!(chosen.is_empty());
        assert_eq!(missing["D"], "none of its 1 bona fide presentation(s) gave a face descriptor");
        // K = 3 of 12 frames: numbers 3, 6 and 9 (evenly spaced inside).
        let many: Vec<MatchInput> = (0..12).map(|i| p(&format!("f{i:02}"), "E", "s", "", None, Some([0.0]))).collect();
        let (chosen, _) = enrol::choose(&many, EnrolRule::FirstSession { frames: 3 });
        assert_eq!(chosen["E"], [3, 6, 9]);
    }

    fn arb_input() -> impl Strategy<Value = MatchInput> {
        (
            0..3usize,
            0..2usize,
            0..3usize,
            proptest::option::weighted(0.9, 0.0..1.0f64),
            proptest::option::weighted(0.9, 0.0..2.0f32),
        )
            .prop_map(|(subject, session, kind, score, x)| {
                let species = ["", "print", "replay"][kind];
                p("", &format!("S{subject}"), &format!("s{session}"), species, score, x.map(|v| [v]))
            })
    }

    proptest! {
        /// Every rate equals a brute-force recount from the rows, and every row's decisions follow from its
        /// score and from a distance recomputed from the enrolment rows.
        #[test]
        fn rates_equal_brute_force_recounts_from_the_rows(
            mut inputs in proptest::collection::vec(arb_input(), 1..40),
            pad_t in 0.0..1.0f64,
            match_t in 0.0..1.5f64,
        ) {
            for (i, x) in inputs.iter_mut().enumerate() {
                x.path = format!("p{i:03}");
            }
            let mut c = compare(&inputs, EnrolRule::FirstSession { frames: 2 });
            let r = c.evaluate(&opts(pad_t, match_t));
            let rows = &c.rows;
            for (row, input) in rows.iter().zip(&inputs) {
                let enrolled: Vec<f32> = rows.iter().zip(&inputs)
                    .filter(|(o, _)| o.role == Role::Enrolment && o.subject == row.subject)
                    .map(|(_, x)| x.descriptor.as_ref().unwrap()[0]).collect();
                let want = match (&input.descriptor, row.role) {
                    (Some(d), Role::Genuine | Role::Attack) => Some(
                        enrolled.iter().map(|e| f64::from((d[0] - e).abs())).sum::<f64>() / enrolled.len() as f64),
                    _ => None,
                };
                prop_assert_eq!(row.distance.is_some(), want.is_some());
                if let (Some(a), Some(b)) = (row.distance, want) { prop_assert!((a - b).abs() < 1e-5); }
                prop_assert_eq!(row.pad_accept, input.pad_score.is_some_and(|s| s >= pad_t));
                prop_assert_eq!(row.accepted, row.pad_accept && row.distance.is_some_and(|d| d < match_t));
            }
            for species in ["print", "replay"] {
                let of: Vec<&Row> = rows.iter().filter(|x| x.role == Role::Attack && x.species == species).collect();
                let got = r.attack_acceptance.per_species.get(species).map(rate);
                let want = (!of.is_empty()).then(|| (of.iter().filter(|x| x.accepted).count() as u64, of.len() as u64));
                prop_assert_eq!(got, want);
                let got = r.iapmr.per_species.get(species).map(rate);
                let want = (!of.is_empty()).then(|| (of.iter().filter(|x| x.matched).count() as u64, of.len() as u64));
                prop_assert_eq!(got, want);
            }
            let worst = r.attack_acceptance.per_species.values().filter_map(|x| x.value).fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            prop_assert_eq!(r.attack_acceptance.worst.as_ref().and_then(|w| w.rate.value), worst);
            let genuine: Vec<&Row> = rows.iter().filter(|x| x.role == Role::Genuine).collect();
            prop_assert_eq!(rate(&r.bona_fide_rejection), (genuine.iter().filter(|x| !x.accepted).count() as u64, genuine.len() as u64));
        }
    }
}
