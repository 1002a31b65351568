use serde_json::{Value, json};

use super::*;
use crate::metrics::document::tests::completed;

fn rate(k: u64, n: u64, lower: f64, upper: f64) -> Value {
    json!({"value": k as f64 / n as f64, "k": k, "n": n, "ci95": {"lower": lower, "upper": upper}})
}

/// A metrics document as `evaluate` serializes it, with the figures the criteria below read.
fn doc(bpcer_k: u64) -> Value {
    completed(json!({
        "at_threshold": {
            "bona_fide": {"bpcer": rate(bpcer_k, 100, 0.01, 0.09)},
            "species": {"print": {"apcer": rate(2, 50, 0.005, 0.137)}},
            "attack": {"apcer_max": {"value": 0.04, "k": 2, "n": 50, "ci95": {"lower": 0.005, "upper": 0.137}, "species": "print"}}
        },
        "decision_bands": {"completion": {"value": null, "reason": "no subject column"}},
        "threshold_free": {"auc_pooled": {"value": 0.99}},
        "segments": {"worst_bpcer": {"value": 0.1, "k": 3, "n": 30, "ci95": {"lower": 0.02, "upper": 0.27}, "column": "session", "segment": "02"}},
    }))
}

/// The typed document of a JSON one.
fn typed(doc: &Value) -> MetricsDocument {
    serde_json::from_value(doc.clone()).expect("a whole metrics document")
}

fn gate(criteria: &str) -> Gate {
    Gate::parse(&format!("name = \"g\"\n{criteria}")).unwrap()
}

fn verdicts(g: &Gate, base: Option<&Value>) -> Vec<(Verdict, Option<String>)> {
    check(g, &typed(&doc(5)), base.map(typed).as_ref()).into_iter().map(|o| (o.verdict, o.reason)).collect()
}

#[test]
fn limits_on_value_and_upper_bound() {
    let g = gate(
        "[[criterion]]\nmetric = \"bpcer\"\nmax = 0.05\n\
         [[criterion]]\nmetric = \"bpcer\"\nmax = 0.049\n\
         [[criterion]]\nmetric = \"apcer_max\"\nmax = 0.05\nbound = \"upper\"\n\
         [[criterion]]\nmetric = \"auc\"\nmin = 0.98\n\
         [[criterion]]\nmetric = \"worst_segment_bpcer\"\nmax = 0.2\n",
    );
    let v = verdicts(&g, None);
    assert_eq!(v[0], (Verdict::Pass, None), "5/100 <= 0.05 exactly");
    assert_eq!(v[1].0, Verdict::Fail);
    assert_eq!(v[2], (Verdict::Fail, Some("upper 95% bound 13.70% is outside upper95 <= 5.00%".into())));
    assert_eq!((v[3].0, v[4].0), (Verdict::Pass, Verdict::Pass));
    let out = check(&g, &typed(&doc(5)), None);
    assert!(out[2].measured.ends_with("species print"), "{}", out[2].measured);
    assert!(out[4].measured.ends_with("segment session=02"), "{}", out[4].measured);
}

#[test]
fn unevaluable_criteria_fail_unless_optional() {
    let g = gate(
        "[[criterion]]\nmetric = \"apcer\"\nspecies = \"mask\"\nmax = 0.1\n\
         [[criterion]]\nmetric = \"apcer\"\nspecies = \"mask\"\nmax = 0.1\noptional = true\n\
         [[criterion]]\nmetric = \"completion\"\nattempts = 3\nmin = 0.9\n",
    );
    let v = verdicts(&g, None);
    let missing = "cannot be evaluated: no presentations of species \"mask\" (species present: print)";
    assert_eq!(v[0], (Verdict::Fail, Some(missing.into())));
    assert_eq!(v[1], (Verdict::Skipped, Some(missing.into())));
    assert_eq!(v[2], (Verdict::Fail, Some("cannot be evaluated: no subject column".into())));
}

#[test]
fn regression_against_a_baseline() {
    let g = gate(
        "[[criterion]]\nmetric = \"bpcer\"\nmax_regression = 0.01\n[[criterion]]\nmetric = \"auc\"\nmax_regression = 0.001\n",
    );
    // BPCER 5% now; baseline 4% -> worse by 1 point: allowed; baseline 3% -> 2 points: fails.
    assert_eq!(verdicts(&g, Some(&doc(4)))[0].0, Verdict::Pass);
    let v = verdicts(&g, Some(&doc(3)));
    assert_eq!(v[0].0, Verdict::Fail);
    assert_eq!(v[1].0, Verdict::Pass, "same AUC");
    let worse_auc = {
        let mut d = doc(5);
        d["threshold_free"]["auc_pooled"]["value"] = json!(0.995);
        d
    };
    assert_eq!(verdicts(&g, Some(&worse_auc))[1].0, Verdict::Fail, "AUC fell by 0.005");
    assert_eq!(verdicts(&g, None)[0], (Verdict::Fail, Some("no baseline given".into())));
}

/// Every metric a gate can name is found in a real `evaluate` document (not a hand-written one) and reads
/// the value at its path: a renamed report field fails here, not in a user's CI job as "no such metric".
#[test]
fn every_gate_metric_reads_a_real_evaluate_document() {
    use crate::metrics::{EvalOptions, Policy, SegmentOptions, evaluate};
    use crate::test_support::pres;
    let mut ps = Vec::new();
    for i in 0..24 {
        let (species, score) = match i % 3 {
            0 => ("", Some(0.55 + 0.02 * i as f64)),
            1 => ("print", Some(0.02 * i as f64)),
            _ => ("replay", if i == 5 { None } else { Some(0.03 * i as f64) }),
        };
        let mut p = pres(species, score);
        p.meta.insert("subject".into(), format!("s{}", i % 4));
        p.meta.insert("session".into(), format!("{}", i % 2));
        ps.push(p);
    }
    let options = EvalOptions {
        segments: Some(SegmentOptions { columns: None, min_count: 1 }),
        policy: Some(Policy { pass: 0.8, retry: 0.6, attempts: vec![1, 3] }),
        ..EvalOptions::new(0.5)
    };
    let report = evaluate(&ps, &options).unwrap().report;
    let typed = MetricsDocument::new(report, crate::metrics::document::tests::sample_run());
    let doc = typed.to_json().unwrap();
    for metric in crate::gate::spec::METRICS {
        let param = match metric.param {
            crate::gate::spec::Param::None => String::new(),
            crate::gate::spec::Param::Species => "species = \"print\"\n".into(),
            crate::gate::spec::Param::Attempts => "attempts = 3\n".into(),
        };
        let g = gate(&format!("[[criterion]]\nmetric = \"{}\"\n{param}max = 1.0\n", metric.name));
        let c = &g.criteria[0];
        let measured = measure(c, &typed).unwrap_or_else(|e| panic!("{}: {e}", metric.name));
        let mut node = &doc;
        for key in c.path() {
            node = &node[key.as_str()];
        }
        assert_eq!(Some(measured.value), node["value"].as_f64(), "{}", metric.name);
        assert_eq!(measured.ci.is_some(), metric.has_ci, "{}: interval", metric.name);
    }
}
