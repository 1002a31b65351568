//! A hand-built case whose every rate is counted on paper, and a property test against brute-force
//! recomputation of the rates from the per-presentation rows.

use proptest::prelude::*;

use super::*;

fn p(path: &str, subject: &str, session: &str, species: &str, score: Option<f64>, d: Option<[f32; 1]>) -> MatchInput {
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
            assert_eq!(Some(cell.attack_acceptance_max), r.attack_acceptance.worst.as_ref().and_then(|w| w.rate.value));
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
