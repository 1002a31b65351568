//! The report's content, independent of its output format: a list of blocks that `html` and
//! `markdown` render. Deciding *what* the report says happens once, here, so index.html and
//! report.md cannot drift apart.

use std::collections::BTreeMap;

use serde_json::Value;

use super::charts::Rendered;
use super::gallery::Gallery;
use super::run_folder::RunFolder;
use crate::metrics::format::{pct, rate, threshold};

#[derive(Debug, Clone)]
pub enum Block {
    Heading(String),
    /// A short paragraph of plain text.
    Text(String),
    /// The one-sentence verdict shown first.
    Verdict(String),
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Chart(Rendered),
    Gallery {
        title: String,
        cases: Vec<super::gallery::Case>,
    },
    /// Preformatted text (command lines, hashes).
    Code(String),
}

/// The report of one run: headline, metrics, charts, tables, galleries, reproducibility.
pub fn run_report(
    run: &RunFolder,
    charts: Vec<Rendered>,
    sections: Vec<Block>,
    gallery: Option<Gallery>,
) -> (String, Vec<Block>) {
    let doc = &run.doc;
    let title = format!("PAD evaluation: {} on {}", run.models(), doc["run"]["source"].as_str().unwrap_or("?"));
    let mut b = Vec::new();
    if let Some(note) = doc["run"]["coverage"]["note"].as_str() {
        // An incomplete run (computed with --allow-incomplete): said before any figure.
        b.push(Block::Verdict(format!("Computed on an incomplete run: {note}. These figures are not the run's.")));
    }
    b.extend([Block::Verdict(verdict(doc)), Block::Heading("Metrics at the threshold".into()), metrics_table(doc)]);
    b.push(Block::Heading("Threshold-free metrics".into()));
    b.push(threshold_free_table(doc));
    // The optional sections: full system (`eval --match`, report::full_system) and calibration of the live
    // probability (report::probability), each built by its module from the run's files.
    b.extend(sections);
    b.push(Block::Heading("Charts".into()));
    b.extend(charts.into_iter().map(Block::Chart));
    b.push(Block::Heading("Per species".into()));
    b.push(species_table(doc));
    b.extend(segment_tables(doc));
    b.push(Block::Heading("Non-responses by reason".into()));
    b.push(non_responses(doc));
    b.push(Block::Heading("Worst errors".into()));
    match gallery {
        Some(g) => {
            b.push(Block::Text(format!(
                "Read from {}. Thumbnails are the face crops (1.5 x the detected box).",
                g.source.display()
            )));
            b.push(Block::Gallery {
                title: format!("False accepts: attacks scored >= the threshold ({} worst)", g.false_accepts.len()),
                cases: g.false_accepts,
            });
            b.push(Block::Gallery {
                title: format!("False rejects: bona fide scored < the threshold ({} worst)", g.false_rejects.len()),
                cases: g.false_rejects,
            });
        }
        None => b.push(Block::Text(
            "No score file in the run folder (scores.csv), so no gallery: re-run liveness eval to get one.".into(),
        )),
    }
    b.push(Block::Heading("Reproducibility".into()));
    b.extend(reproducibility(&doc["run"]));
    (title, b)
}

fn verdict(doc: &Value) -> String {
    let at = &doc["at_threshold"];
    let worst = &at["attack"]["apcer_max"];
    let eer = &doc["threshold_free"]["eer_pooled"];
    format!(
        "At threshold {} ({}): {} of bona fide presentations are rejected (BPCER) and {} of the worst species' attacks ({}) are accepted (APCER); EER {} (pooled).",
        threshold(&at["threshold"]),
        doc["run"]["threshold_source"].as_str().unwrap_or("?"),
        pct_ci(&at["bona_fide"]["bpcer"]),
        pct_ci(worst),
        worst["species"].as_str().unwrap_or("n/a"),
        pct(&eer["value"]),
    )
}

/// `12.34% (95% CI 10.1-14.8%)`.
fn pct_ci(r: &Value) -> String {
    match (r["ci95"]["lower"].as_f64(), r["ci95"]["upper"].as_f64()) {
        (Some(lo), Some(hi)) => format!("{} (95% CI {:.2}-{:.2}%)", pct(&r["value"]), 100.0 * lo, 100.0 * hi),
        _ => pct(&r["value"]),
    }
}

pub(super) fn table(header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table { header: header.iter().map(|h| (*h).to_owned()).collect(), rows }
}

fn metrics_table(doc: &Value) -> Block {
    let at = &doc["at_threshold"];
    let mut rows = vec![vec!["BPCER".into(), rate(&at["bona_fide"]["bpcer"])]];
    for (name, s) in at["species"].as_object().into_iter().flatten() {
        rows.push(vec![format!("APCER {name}"), rate(&s["apcer"])]);
    }
    let worst = at["attack"]["apcer_max"]["species"].as_str().map_or(String::new(), |s| format!(" ({s})"));
    rows.push(vec![format!("APCER worst species{worst}"), rate(&at["attack"]["apcer_max"])]);
    for (label, r) in [
        ("APCER pooled", &at["attack"]["apcer_pooled"]),
        ("BPNRR (bona fide non-response)", &at["bona_fide"]["bpnrr"]),
        ("APNRR worst species", &at["attack"]["apnrr_max"]),
        ("BPCER system (non-response = reject)", &at["bona_fide"]["bpcer_sys"]),
        ("APCER system, worst species", &at["attack"]["apcer_sys_max"]),
    ] {
        rows.push(vec![label.to_owned(), rate(r)]);
    }
    table(&["metric", "value (errors/scored) [95% Clopper-Pearson]"], rows)
}

fn threshold_free_table(doc: &Value) -> Block {
    let tf = &doc["threshold_free"];
    let eer = &tf["eer_pooled"];
    let mut rows = vec![
        vec!["EER (pooled)".into(), pct(&eer["value"]), threshold(&eer["threshold"]), String::new()],
        vec![
            "AUC (pooled)".into(),
            tf["auc_pooled"]["value"].as_f64().map_or("n/a".into(), |a| format!("{a:.5}")),
            String::new(),
            String::new(),
        ],
    ];
    for (key, name) in [("bpcer_at_apcer", "BPCER @ APCER_max <= "), ("apcer_at_bpcer", "APCER_max @ BPCER <= ")] {
        for (x, p) in tf[key].as_object().into_iter().flatten() {
            let flag = resolution_flag(doc, key, x);
            let x = x.parse::<f64>().map_or(x.clone(), |v| format!("{}%", 100.0 * v));
            rows.push(vec![format!("{name}{x}"), pct(&p["value"]), threshold(&p["threshold"]), flag]);
        }
    }
    table(&["metric", "value", "threshold", "resolved by the counts (rule of three)"], rows)
}

fn species_table(doc: &Value) -> Block {
    let at = &doc["at_threshold"];
    let counts = &doc["counts"];
    let bands = &doc["decision_bands"];
    let band = |g: &Value| {
        ["pass", "retry", "fail"]
            .map(|o| g[o]["value"].as_f64().map_or("n/a".into(), |v| format!("{:.1}%", 100.0 * v)))
            .join(" / ")
    };
    let mut rows = vec![vec![
        "bona fide".into(),
        counts["bona_fide"]["total"].to_string(),
        counts["bona_fide"]["scored"].to_string(),
        format!("BPCER {}", rate(&at["bona_fide"]["bpcer"])),
        pct(&at["bona_fide"]["bpnrr"]["value"]),
        band(&bands["bona_fide"]),
    ]];
    for (name, s) in at["species"].as_object().into_iter().flatten() {
        let c = &counts["species"][name];
        rows.push(vec![
            name.clone(),
            c["total"].to_string(),
            c["scored"].to_string(),
            format!("APCER {}", rate(&s["apcer"])),
            pct(&s["apnrr"]["value"]),
            band(&bands["species"][name]),
        ]);
    }
    table(
        &["class", "total", "scored", "error rate at the threshold", "non-response rate", "pass / retry / fail"],
        rows,
    )
}

/// For a bucketed column (`--segment-by COLUMN:BUCKETS`), how its buckets were cut.
fn stratum_note(doc: &Value, column: &str) -> Option<Block> {
    let s = doc["strata"].as_array()?.iter().find(|s| s["column"] == column)?;
    let merged = match s["merged_edges"].as_u64() {
        Some(0) | None => String::new(),
        Some(m) => format!(" {m} repeated quantile edges were merged (many equal values), so fewer buckets."),
    };
    let spec = s["spec"].as_str().unwrap_or("?");
    let edges = if spec.contains(":bins=") {
        "the edges are the given bins"
    } else {
        "the edges are numpy's linear quantiles over every presentation with a value"
    };
    Some(Block::Text(format!(
        "Buckets of {column} ({spec}): {edges}; each bucket is (lower, upper], the first also holds its lower \
         edge. {} presentations had no numeric value (missing), {} fell outside the edges.{merged}",
        s["missing"], s["outside"],
    )))
}

fn segment_tables(doc: &Value) -> Vec<Block> {
    let seg = &doc["segments"];
    let Some(columns) = seg["columns"].as_object() else { return Vec::new() };
    let mut out = Vec::new();
    for (column, values) in columns {
        out.push(Block::Heading(format!("Per segment: {column}")));
        out.extend(stratum_note(doc, column));
        let rows = values
            .as_object()
            .into_iter()
            .flatten()
            .map(|(value, s)| {
                let at = &s["at_threshold"];
                let small = if s["too_small"] == true {
                    format!(
                        "too small ({})",
                        s["small_classes"].as_array().map_or(String::new(), |a| a
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", "))
                    )
                } else {
                    String::new()
                };
                vec![
                    value.clone(),
                    s["counts"]["bona_fide"]["scored"].to_string(),
                    s["counts"]["species"]
                        .as_object()
                        .map_or(0, |m| m.values().filter_map(|c| c["scored"].as_u64()).sum::<u64>())
                        .to_string(),
                    rate(&at["attack"]["apcer_max"]),
                    rate(&at["bona_fide"]["bpcer"]),
                    pct(&s["eer_pooled"]["value"]),
                    small,
                ]
            })
            .collect();
        out.push(table(
            &["value", "bona fide scored", "attacks scored", "APCER worst species", "BPCER", "EER", "note"],
            rows,
        ));
    }
    for (key, name) in [("worst_apcer_max", "APCER worst species"), ("worst_bpcer", "BPCER")] {
        if let Some(col) = seg[key]["column"].as_str() {
            out.push(Block::Text(format!(
                "Worst segment by {name}: {col}={} at {}.",
                seg[key]["segment"].as_str().unwrap_or("?"),
                rate(&seg[key])
            )));
        }
    }
    out
}

fn non_responses(doc: &Value) -> Block {
    let counts = &doc["counts"];
    let mut classes = vec![("bona fide".to_owned(), &counts["bona_fide"])];
    classes.extend(counts["species"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v)));
    let mut by_reason: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (i, (_, c)) in classes.iter().enumerate() {
        for (reason, n) in c["non_response_reasons"].as_object().into_iter().flatten() {
            by_reason.entry(reason.clone()).or_insert_with(|| vec![0; classes.len()])[i] += n.as_u64().unwrap_or(0);
        }
    }
    if by_reason.is_empty() {
        return Block::Text("Every presentation was scored.".into());
    }
    let mut header = vec!["reason"];
    header.extend(classes.iter().map(|(n, _)| n.as_str()));
    let rows = by_reason
        .into_iter()
        .map(|(r, ns)| std::iter::once(r).chain(ns.iter().map(u64::to_string)).collect())
        .collect();
    table(&header, rows)
}

pub(super) fn reproducibility(run: &Value) -> Vec<Block> {
    let text = text_of;
    let mut rows = vec![
        vec!["tool".into(), text(&run["tool"])],
        vec!["created (UTC)".into(), text(&run["created_utc"])],
        vec!["source".into(), text(&run["source"])],
        vec!["dataset fingerprint".into(), text(&run["dataset_fingerprint"])],
        vec!["presentations".into(), text(&run["presentations"])],
        vec!["policy".into(), text(&run["policy"]["name"])],
        vec!["threshold".into(), format!("{} ({})", threshold(&run["threshold"]), text(&run["threshold_source"]))],
        vec!["scores flipped".into(), text(&run["flip"])],
    ];
    if !run["backend"].is_null() {
        rows.push(vec!["classifier runtime".into(), text(&run["backend"])]);
    }
    // An API run: the API scored; its model is the one it reports, not a local file.
    let api = &run["api"];
    if api.is_object() {
        rows.push(vec!["scored by API".into(), format!("{} ({} preset)", text(&api["url"]), text(&api["format"]))]);
        for (label, key) in [("API classifier runtime", "backend"), ("answers re-read from", "responses")] {
            if !api[key].is_null() {
                rows.push(vec![label.into(), text(&api[key])]);
            }
        }
    }
    let local = run["models"].as_array().into_iter().flatten().map(|m| ("model", m));
    for (kind, m) in local.chain(api["model"].is_object().then_some(("API model", &api["model"]))) {
        for member in m["members"].as_array().into_iter().flatten() {
            rows.push(vec![
                format!("{kind} {} / {}", text(&m["name"]), text(&member["name"])),
                format!("{} sha256 {}", text(&member["file"]), text(&member["sha256"])),
            ]);
        }
    }
    let command =
        run["command"].as_array().map(|a| a.iter().map(text).collect::<Vec<_>>().join(" ")).unwrap_or_default();
    vec![table(&["", ""], rows), Block::Code(command)]
}

/// The comparison of several runs: a table of headline metrics and the overlaid DET curves.
/// The runs' table, and their DET overlay (`det`) when they hold different presentations.
pub fn comparison(runs: &[RunFolder], det: Option<Rendered>) -> (String, Vec<Block>) {
    let rows = runs
        .iter()
        .map(|r| {
            let d = &r.doc;
            vec![
                r.label(),
                text_of(&d["run"]["dataset_fingerprint"]),
                threshold(&d["at_threshold"]["threshold"]),
                rate(&d["at_threshold"]["bona_fide"]["bpcer"]),
                rate(&d["at_threshold"]["attack"]["apcer_max"]),
                pct(&d["threshold_free"]["eer_pooled"]["value"]),
                d["threshold_free"]["auc_pooled"]["value"].as_f64().map_or("n/a".into(), |a| format!("{a:.5}")),
            ]
        })
        .collect::<Vec<_>>();
    let mut b = Vec::new();
    let prints: std::collections::BTreeSet<String> =
        runs.iter().map(|r| text_of(&r.doc["run"]["dataset_fingerprint"])).collect();
    b.push(Block::Verdict(if prints.len() == 1 {
        format!("{} runs on the same presentations (dataset fingerprint {}).", runs.len(), prints.iter().next().map_or("", String::as_str))
    } else {
        format!("Warning: the {} runs evaluated different presentations ({} dataset fingerprints): this table and the DET overlay show each run on all of its own; the models are compared below on the presentations they share.", runs.len(), prints.len())
    }));
    b.push(table(&["run", "dataset fingerprint", "threshold", "BPCER", "APCER worst species", "EER", "AUC"], rows));
    b.extend(det.map(Block::Chart));
    ("PAD evaluation: runs compared".into(), b)
}

fn text_of(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The resolution of operating point `key[x]` in a few words ("" for a run without a `resolution` block).
pub fn resolution_flag(doc: &Value, key: &str, x: &str) -> String {
    let t = &doc["resolution"][key][x];
    match (t["resolved"].as_bool(), t["needed"].as_u64()) {
        (Some(true), _) => "yes".into(),
        (Some(false), Some(n)) => format!("NOT RESOLVED: needs {n} per class"),
        (Some(false), None) => "NOT RESOLVED".into(),
        (None, _) => String::new(),
    }
}
