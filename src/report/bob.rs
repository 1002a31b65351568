//! The report's sections for the rest of bob and pyeer (`bob` block: EER on the ROC convex hull,
//! pyeer's EER interval, d′, ZeroFMR-style points, min-HTER, the EPC chart), the resolution of every
//! operating point (`resolution`), and the opt-in legacy averages (`legacy`). Rendered from metrics.json;
//! the terminal gets the same facts in a few lines.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::charts::epc::{EpcChart, EpcLine};
use super::charts::{Rendered, render, style};
use super::document::{Block, table};
use crate::metrics::format::{pct, threshold};

pub const CHART_STEM: &str = "epc";

/// `10%` for an operating-point key such as "0.1".
fn target(x: &str) -> String {
    x.parse::<f64>().map_or(x.to_owned(), |v| format!("{}%", 100.0 * v))
}

/// The EPC chart of a run whose metrics hold a defined `bob.epc` (`None` otherwise).
pub fn chart(doc: &Value, charts_dir: &Path) -> Result<Option<Rendered>> {
    let epc = &doc["bob"]["epc"];
    let Some(points) = epc["points"].as_array().filter(|p| !p.is_empty()) else { return Ok(None) };
    let line = |label: &str, key: &str, color, dashed| EpcLine {
        label: label.into(),
        color,
        dashed,
        points: points.iter().filter_map(|p| Some((p["alpha"].as_f64()?, p[key].as_f64()?))).collect(),
    };
    let chart = EpcChart {
        title: "Expected performance curve (bob's EPC)".into(),
        lines: vec![
            line("HTER (APCER pooled + BPCER) / 2", "hter", style::THRESHOLD, false),
            line("APCER pooled", "apcer_pooled", style::ATTACK, false),
            line("APCER worst species", "apcer_max", style::ATTACK, true),
            line("BPCER", "bpcer", style::BONA_FIDE, false),
        ],
    };
    let caption = format!(
        "EPC: for each α, the threshold minimising α·APCER pooled + (1 − α)·BPCER, chosen on {}, and the error \
         rates there",
        epc["dev"].as_str().unwrap_or("?")
    );
    Ok(Some(render(&chart, CHART_STEM, &caption, charts_dir)?))
}

fn number(v: &Value, digits: usize) -> String {
    v.as_f64().map_or_else(|| format!("n/a ({})", v.as_str().unwrap_or("undefined")), |x| format!("{x:.digits$}"))
}

/// A figure of the `bob` block: its value or `n/a (reason)`.
fn figure(m: &Value, show: impl Fn(&Value) -> String) -> String {
    if m["value"].is_null() { format!("n/a ({})", m["reason"].as_str().unwrap_or("undefined")) } else { show(m) }
}

/// The rows (name, bob/pyeer name, value, threshold) of the `bob` block.
fn rows(doc: &Value) -> Vec<Vec<String>> {
    let b = &doc["bob"];
    let t = |m: &Value| if m["value"].is_null() { String::new() } else { threshold(&m["threshold"]) };
    let interval = |m: &Value| format!("{} [{} - {}]", pct(&m["value"]), pct(&m["low"]), pct(&m["high"]));
    let point = |other: &'static str| {
        move |m: &Value| {
            format!("{} ({other} {})", pct(&m["value"]), pct(&m[if other == "BPCER" { "bpcer" } else { "apcer_max" }]))
        }
    };
    vec![
        vec![
            "EER (interpolated, pooled)".into(),
            "eer".into(),
            pct(&doc["threshold_free"]["eer_pooled"]["value"]),
            t(&doc["threshold_free"]["eer_pooled"]),
        ],
        vec![
            "EER on the ROC convex hull".into(),
            "bob eer_rocch".into(),
            figure(&b["eer_rocch"], |m| pct(&m["value"])),
            String::new(),
        ],
        vec![
            "EER and its interval [EER_low - EER_high]".into(),
            "pyeer eer, eer_low, eer_high".into(),
            figure(&b["eer_interval"], interval),
            t(&b["eer_interval"]),
        ],
        vec![
            "decidability d′".into(),
            "pyeer d'".into(),
            figure(&b["d_prime"], |m| number(&m["value"], 4)),
            String::new(),
        ],
        vec![
            "BPCER at APCER_max = 0".into(),
            "pyeer ZeroFMR".into(),
            figure(&b["bpcer_at_zero_apcer"], point("APCER_max")),
            t(&b["bpcer_at_zero_apcer"]),
        ],
        vec![
            "APCER_max at BPCER = 0".into(),
            "pyeer ZeroFNMR".into(),
            figure(&b["apcer_at_zero_bpcer"], point("BPCER")),
            t(&b["apcer_at_zero_bpcer"]),
        ],
        vec![
            "min-HTER (APCER pooled + BPCER)/2, not an ISO/IEC 30107-3 metric".into(),
            "bob min-hter".into(),
            figure(&b["min-hter"], |m| pct(&m["value"])),
            t(&b["min-hter"]),
        ],
    ]
}

/// The resolution rows of the operating points: (point, constrains, needed, short classes).
fn target_rows(doc: &Value) -> Vec<Vec<String>> {
    let r = &doc["resolution"];
    let mut rows = Vec::new();
    for (key, name) in [("bpcer_at_apcer", "BPCER @ APCER_max <= "), ("apcer_at_bpcer", "APCER_max @ BPCER <= ")] {
        for (x, t) in r[key].as_object().into_iter().flatten() {
            let short: Vec<String> =
                t["short"].as_array().into_iter().flatten().filter_map(|s| s.as_str().map(|s| s.to_owned())).collect();
            rows.push(vec![
                format!("{name}{}", target(x)),
                t["constrains"].as_str().unwrap_or("?").to_owned(),
                t["needed"].as_u64().map_or("none resolves 0".into(), |n| n.to_string()),
                if t["resolved"] == true {
                    "resolved".into()
                } else {
                    format!("NOT RESOLVED: too few in {}", short.join(", "))
                },
            ]);
        }
    }
    rows
}

fn class_rows(doc: &Value) -> (Vec<String>, Vec<Vec<String>>) {
    let r = &doc["resolution"];
    let targets: Vec<String> =
        r["bona_fide"]["needed"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let mut header =
        vec!["class".to_owned(), "scored".into(), "resolves (1/n)".into(), "zero errors bound (3/n)".into()];
    header.extend(targets.iter().map(|x| format!("needed for {}", target(x))));
    let mut classes = vec![("bona fide".to_owned(), &r["bona_fide"])];
    classes.extend(r["species"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v)));
    let rows = classes
        .into_iter()
        .map(|(name, c)| {
            let mut row = vec![name, c["scored"].to_string(), pct(&c["resolvable_rate"]), pct(&c["rule_of_three"])];
            row.extend(targets.iter().map(|x| c["needed"][x].as_u64().map_or("-".into(), |n| n.to_string())));
            row
        })
        .collect();
    (header, rows)
}

/// The sections' blocks (empty for a metrics document without a `bob` block, e.g. an older run).
pub fn blocks(doc: &Value, epc: Option<Rendered>) -> Vec<Block> {
    let mut b = Vec::new();
    if doc["bob"].is_object() {
        b.push(Block::Heading("bob and pyeer measures".into()));
        b.push(table(&["measure", "bob / pyeer name", "value", "threshold"], rows(doc)));
        b.push(Block::Text(format!(
            "On the same sweep as every other figure (attacks pooled, as bob's FAR). The EPC's thresholds were chosen on {}; its rows are in epc.csv.",
            doc["bob"]["epc"]["dev"].as_str().unwrap_or("n/a")
        )));
        b.extend(epc.map(Block::Chart));
    }
    if doc["resolution"].is_object() {
        b.push(Block::Heading("What the data can resolve".into()));
        b.push(Block::Text(format!("Rule: {}.", doc["resolution"]["rule"].as_str().unwrap_or("?"))));
        b.push(table(
            &["operating point", "constrains", "presentations needed per class", "resolution"],
            target_rows(doc),
        ));
        let (header, rows) = class_rows(doc);
        b.push(Block::Table { header, rows });
    }
    let legacy = &doc["legacy"];
    if legacy.is_object() {
        b.push(Block::Heading("Legacy averages (not ISO/IEC 30107-3 metrics)".into()));
        b.push(Block::Verdict(format!("{}.", legacy["note"].as_str().unwrap_or("not ISO/IEC 30107-3 metrics"))));
        let row = |name: &str, m: &Value, apcer: &str| {
            vec![
                name.to_owned(),
                figure(m, |m| pct(&m["value"])),
                figure(m, |m| format!("{apcer} {}, BPCER {}", pct(&m["apcer"]), pct(&m["bpcer"]))),
            ]
        };
        b.push(table(
            &[
                "legacy measure (NOT ISO/IEC 30107-3)",
                &format!("value at threshold {}", threshold(&legacy["threshold"])),
                "from",
            ],
            vec![
                row("ACER (legacy)", &legacy["acer"], "APCER_max"),
                row("HTER (legacy, bob)", &legacy["hter"], "APCER pooled"),
            ],
        ));
    }
    b
}

/// The terminal lines: bob's figures, every unresolved operating point, and the legacy averages.
pub fn terminal(doc: &Value) -> String {
    let mut s = String::new();
    let b = &doc["bob"];
    if b.is_object() {
        let _ = writeln!(
            s,
            "  bob/pyeer: eer_rocch {} | EER interval {} | d' {} | min-hter {} (not ISO) | epc.csv ({})",
            figure(&b["eer_rocch"], |m| pct(&m["value"])),
            figure(&b["eer_interval"], |m| format!("[{} - {}]", pct(&m["low"]), pct(&m["high"]))),
            figure(&b["d_prime"], |m| number(&m["value"], 3)),
            figure(&b["min-hter"], |m| pct(&m["value"])),
            b["epc"]["dev"].as_str().unwrap_or("n/a"),
        );
        let _ = writeln!(
            s,
            "  BPCER at APCER_max = 0 (ZeroFMR) {} | APCER_max at BPCER = 0 (ZeroFNMR) {}",
            figure(&b["bpcer_at_zero_apcer"], |m| pct(&m["value"])),
            figure(&b["apcer_at_zero_bpcer"], |m| pct(&m["value"])),
        );
    }
    for row in target_rows(doc).into_iter().filter(|r| r[3] != "resolved") {
        let _ = writeln!(s, "  unresolved: {} needs {} scored per class; {}", row[0], row[2], row[3].to_lowercase());
    }
    let r = &doc["resolution"];
    for (name, c) in r["species"].as_object().into_iter().flatten() {
        let _ = writeln!(
            s,
            "  resolution {name}: {} scored resolves {} (3/n = {})",
            c["scored"],
            pct(&c["resolvable_rate"]),
            pct(&c["rule_of_three"])
        );
    }
    let legacy = &doc["legacy"];
    if legacy.is_object() {
        let _ = writeln!(
            s,
            "  legacy (NOT ISO/IEC 30107-3): ACER {} | HTER {}",
            figure(&legacy["acer"], |m| pct(&m["value"])),
            figure(&legacy["hter"], |m| pct(&m["value"])),
        );
    }
    s.trim_end().to_owned()
}
