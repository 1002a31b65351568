//! The one-screen summary `liveness eval` prints.

use std::fmt::Write;

use serde_json::Value;

use crate::metrics::format::{pct, rate, threshold};

/// Renders the headline metrics of a metrics document in about 25 lines.
pub fn summary(doc: &Value) -> String {
    if super::decisions::is_decision_only(doc) {
        return super::decisions::terminal(doc);
    }
    let mut s = String::new();
    let run = &doc["run"];
    let at = &doc["at_threshold"];
    let counts = &doc["counts"];
    let species: Vec<&String> = at["species"].as_object().map(|m| m.keys().collect()).unwrap_or_default();
    let _ = writeln!(
        s,
        "{} presentations: {} bona fide, {} attacks in {} species | threshold {} ({})",
        run["presentations"],
        counts["bona_fide"]["total"],
        species.iter().map(|sp| counts["species"][sp.as_str()]["total"].as_u64().unwrap_or(0)).sum::<u64>(),
        species.len(),
        threshold(&at["threshold"]),
        run["threshold_source"].as_str().unwrap_or("")
    );
    videos(&mut s, &doc["aggregation"]);
    let _ = writeln!(s, "  {:<28} {}", "BPCER", rate(&at["bona_fide"]["bpcer"]));
    for sp in &species {
        let _ = writeln!(s, "  {:<28} {}", format!("APCER {sp}"), rate(&at["species"][sp.as_str()]["apcer"]));
    }
    let worst = &at["attack"]["apcer_max"];
    let label = worst["species"].as_str().map_or("APCER worst species".to_string(), |w| format!("APCER worst ({w})"));
    let _ = writeln!(s, "  {label:<28} {}", rate(worst));
    let _ = writeln!(s, "  {:<28} {}", "APCER pooled", rate(&at["attack"]["apcer_pooled"]));
    let _ = writeln!(s, "  {:<28} {}", "BPNRR (no response)", rate(&at["bona_fide"]["bpnrr"]));
    let _ = writeln!(s, "  {:<28} {}", "APNRR worst species", rate(&at["attack"]["apnrr_max"]));
    let _ = writeln!(s, "  {:<28} {}", "BPCER system (NR = reject)", rate(&at["bona_fide"]["bpcer_sys"]));
    let reasons = non_response_reasons(counts);
    if !reasons.is_empty() {
        let _ = writeln!(s, "  non-responses by reason: {reasons}");
    }
    let tf = &doc["threshold_free"];
    let eer = &tf["eer_pooled"];
    let _ = writeln!(
        s,
        "  EER (pooled) {} at {} | AUC {}",
        pct(&eer["value"]),
        threshold(&eer["threshold"]),
        tf["auc_pooled"]["value"].as_f64().map_or("n/a".into(), |a| format!("{a:.5}"))
    );
    for (key, name, other) in
        [("bpcer_at_apcer", "BPCER @ APCER_max <=", "apcer_max"), ("apcer_at_bpcer", "APCER_max @ BPCER <=", "bpcer")]
    {
        let points: Vec<String> = tf[key]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(x, p)| {
                        let x = x.parse::<f64>().map_or(x.clone(), |v| format!("{}%", 100.0 * v));
                        if p["value"].is_null() {
                            format!("{x}: n/a")
                        } else {
                            format!(
                                "{x}: {} (t {}, {} {})",
                                pct(&p["value"]),
                                threshold(&p["threshold"]),
                                other,
                                pct(&p[other])
                            )
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let _ = writeln!(s, "  {name} {}", points.join(" | "));
    }
    segments(&mut s, &doc["segments"]);
    bands(&mut s, &doc["decision_bands"]);
    s += &super::decisions::terminal(doc);
    s
}

/// A `--group-by` run: how many frames made the videos, and the frame-level headline figures beside.
fn videos(s: &mut String, aggregation: &Value) {
    let summary = &aggregation["summary"];
    if summary.is_null() {
        return;
    }
    let _ = writeln!(
        s,
        "  videos: {} from {} frames ({} scored) by the {} over {}; {} videos without a scored frame",
        summary["videos"],
        summary["frames"],
        summary["frames_scored"],
        summary["aggregate"].as_str().unwrap_or("?"),
        summary["group_by"].as_array().into_iter().flatten().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
        summary["videos_without_scored_frame"],
    );
    let f = &aggregation["frame_level"];
    let _ = writeln!(
        s,
        "  frame level: BPCER {} | APCER worst {} | EER {}",
        rate(&f["at_threshold"]["bona_fide"]["bpcer"]),
        rate(&f["at_threshold"]["attack"]["apcer_max"]),
        pct(&f["threshold_free"]["eer_pooled"]["value"]),
    );
}

fn non_response_reasons(counts: &Value) -> String {
    let mut all = std::collections::BTreeMap::<String, u64>::new();
    let groups =
        std::iter::once(&counts["bona_fide"]).chain(counts["species"].as_object().into_iter().flat_map(|m| m.values()));
    for g in groups {
        for (reason, n) in g["non_response_reasons"].as_object().into_iter().flatten() {
            *all.entry(reason.clone()).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    all.iter().map(|(r, n)| format!("{r} {n}")).collect::<Vec<_>>().join(", ")
}

fn segments(s: &mut String, seg: &Value) {
    if seg["value"].is_null() && seg.get("reason").is_some() {
        return;
    }
    for (key, name) in [("worst_apcer_max", "APCER_max"), ("worst_bpcer", "BPCER")] {
        let w = &seg[key];
        if let Some(col) = w["column"].as_str() {
            let _ =
                writeln!(s, "  worst segment by {name}: {col}={} {}", w["segment"].as_str().unwrap_or("?"), rate(w));
        }
    }
}

fn bands(s: &mut String, b: &Value) {
    let bf = &b["bona_fide"];
    if bf.is_null() {
        return;
    }
    let share = |v: &Value| v["value"].as_f64().map_or_else(|| pct(v), |x| format!("{:.1}%", 100.0 * x));
    let _ = writeln!(
        s,
        "  bands (pass >= {}, retry >= {}): bona fide pass {} retry {} fail {}",
        b["pass"],
        b["retry"],
        share(&bf["pass"]),
        share(&bf["retry"]),
        share(&bf["fail"])
    );
}
