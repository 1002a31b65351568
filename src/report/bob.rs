//! The report's sections for the rest of bob and pyeer (`bob` block: EER on the ROC convex hull,
//! pyeer's EER interval, d′, ZeroFMR-style points, min-HTER, the EPC chart), the resolution of every
//! operating point (`resolution`), and the opt-in legacy averages (`legacy`). Rendered from metrics.json,
//! each block read through the type its writer serialized; the terminal gets the same facts in a few lines.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::charts::epc::{EpcChart, EpcLine};
use super::charts::{Rendered, render, style};
use super::document::{Block, table};
use crate::metrics::bob::BobMetrics;
use crate::metrics::epc::EpcPoint;
use crate::metrics::format::{self, typed_threshold};
use crate::metrics::format::{figure, pct, percent};
use crate::metrics::legacy::Legacy;
use crate::metrics::resolution::{ClassResolution, Resolution};
use crate::metrics::{Eer, Metric, MetricsDocument, OperatingPoint};

pub const CHART_STEM: &str = "epc";

/// The blocks of this module in a metrics document (each `None` where the run has none).
#[derive(Debug, Clone, Copy)]
pub struct Measures<'a> {
    pub bob: Option<&'a BobMetrics>,
    pub resolution: Option<&'a Resolution>,
    pub legacy: Option<&'a Legacy>,
}

impl Measures<'_> {
    pub fn of(doc: &MetricsDocument) -> Measures<'_> {
        Measures { bob: doc.bob.as_ref(), resolution: doc.resolution.as_ref(), legacy: doc.legacy.as_ref() }
    }
}

/// `10%` for an operating-point key such as "0.1".
fn target(x: &str) -> String {
    x.parse::<f64>().map_or(x.to_owned(), |v| format!("{}%", 100.0 * v))
}

/// The EPC chart of a `bob` block with a defined, non-empty EPC (`None` otherwise).
pub fn chart(bob: Option<&BobMetrics>, charts_dir: &Path) -> Result<Option<Rendered>> {
    let Some(epc) = bob.and_then(|b| b.epc.value()).filter(|e| !e.points.is_empty()) else { return Ok(None) };
    let line = |label: &str, y: fn(&EpcPoint) -> f64, color, dashed| EpcLine {
        label: label.into(),
        color,
        dashed,
        points: epc.points.iter().map(|p| (p.alpha, y(p))).collect(),
    };
    let chart = EpcChart {
        title: "Expected performance curve (bob's EPC)".into(),
        lines: vec![
            line("HTER (APCER pooled + BPCER) / 2", |p| p.hter, style::THRESHOLD, false),
            line("APCER pooled", |p| p.apcer_pooled, style::ATTACK, false),
            line("APCER worst species", |p| p.apcer_max, style::ATTACK, true),
            line("BPCER", |p| p.bpcer, style::BONA_FIDE, false),
        ],
    };
    let caption = format!(
        "EPC: for each α, the threshold minimising α·APCER pooled + (1 − α)·BPCER, chosen on {}, and the error \
         rates there",
        epc.dev
    );
    Ok(Some(render(&chart, CHART_STEM, &caption, charts_dir)?))
}

/// The operating point's threshold, blank where it is n/a.
fn at(m: &Metric<OperatingPoint>) -> String {
    m.value().map_or_else(String::new, |p| typed_threshold(p.threshold))
}

/// An operating point's value with the other rate there (`BPCER` or `APCER_max`).
fn point(other: &'static str) -> impl Fn(&OperatingPoint) -> String {
    move |p| format!("{} ({other} {})", pct(p.value), pct(if other == "BPCER" { p.bpcer } else { p.apcer_max }))
}

/// The rows (name, bob/pyeer name, value, threshold) of the `bob` block; `eer_pooled` is the engine's
/// interpolated EER (`threshold_free.eer_pooled`), the first row.
fn rows(b: &BobMetrics, eer_pooled: &Metric<Eer>) -> Vec<Vec<String>> {
    let eer = eer_pooled.value();
    let eer_at = eer.map_or_else(String::new, |e| format::typed_threshold(e.threshold));
    vec![
        vec!["EER (interpolated, pooled)".into(), "eer".into(), format::percent(eer.map(|e| e.value)), eer_at],
        vec![
            "EER on the ROC convex hull".into(),
            "bob eer_rocch".into(),
            figure(&b.eer_rocch, |m| pct(m.value)),
            String::new(),
        ],
        vec![
            "EER and its interval [EER_low - EER_high]".into(),
            "pyeer eer, eer_low, eer_high".into(),
            figure(&b.eer_interval, |m| format!("{} [{} - {}]", pct(m.value), pct(m.low), pct(m.high))),
            b.eer_interval.value().map_or_else(String::new, |m| typed_threshold(m.threshold)),
        ],
        vec![
            "decidability d′".into(),
            "pyeer d'".into(),
            figure(&b.d_prime, |m| format!("{:.4}", m.value)),
            String::new(),
        ],
        vec![
            "BPCER at APCER_max = 0".into(),
            "pyeer ZeroFMR".into(),
            figure(&b.bpcer_at_zero_apcer, point("APCER_max")),
            at(&b.bpcer_at_zero_apcer),
        ],
        vec![
            "APCER_max at BPCER = 0".into(),
            "pyeer ZeroFNMR".into(),
            figure(&b.apcer_at_zero_bpcer, point("BPCER")),
            at(&b.apcer_at_zero_bpcer),
        ],
        vec![
            "min-HTER (APCER pooled + BPCER)/2, not an ISO/IEC 30107-3 metric".into(),
            "bob min-hter".into(),
            figure(&b.min_hter, |m| pct(m.value)),
            at(&b.min_hter),
        ],
    ]
}

/// The resolution rows of the operating points: (point, constrains, needed, short classes).
fn target_rows(r: &Resolution) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (targets, name) in [(&r.bpcer_at_apcer, "BPCER @ APCER_max <= "), (&r.apcer_at_bpcer, "APCER_max @ BPCER <= ")]
    {
        for (x, t) in targets {
            rows.push(vec![
                format!("{name}{}", target(x)),
                t.constrains.clone(),
                t.needed.map_or("none resolves 0".into(), |n| n.to_string()),
                if t.resolved { "resolved".into() } else { format!("NOT RESOLVED: too few in {}", t.short.join(", ")) },
            ]);
        }
    }
    rows
}

fn class_rows(r: &Resolution) -> (Vec<String>, Vec<Vec<String>>) {
    let targets: Vec<&String> = r.bona_fide.needed.keys().collect();
    let mut header =
        vec!["class".to_owned(), "scored".into(), "resolves (1/n)".into(), "zero errors bound (3/n)".into()];
    header.extend(targets.iter().map(|x| format!("needed for {}", target(x))));
    let mut classes: Vec<(String, &ClassResolution)> = vec![("bona fide".to_owned(), &r.bona_fide)];
    classes.extend(r.species.iter().map(|(k, v)| (k.clone(), v)));
    let rows = classes
        .into_iter()
        .map(|(name, c)| {
            let mut row = vec![name, c.scored.to_string(), percent(c.resolvable_rate), percent(c.rule_of_three)];
            row.extend(
                targets.iter().map(|x| c.needed.get(*x).copied().flatten().map_or("-".into(), |n| n.to_string())),
            );
            row
        })
        .collect();
    (header, rows)
}

/// The sections' blocks (none for a document without these blocks, e.g. an older run); `eer_pooled` as
/// in [`rows`].
pub fn blocks(m: &Measures, eer_pooled: &Metric<Eer>, epc: Option<Rendered>) -> Vec<Block> {
    let mut b = Vec::new();
    if let Some(bob) = m.bob {
        b.push(Block::Heading("bob and pyeer measures".into()));
        b.push(table(&["measure", "bob / pyeer name", "value", "threshold"], rows(bob, eer_pooled)));
        b.push(Block::Text(format!(
            "On the same sweep as every other figure (attacks pooled, as bob's FAR). The EPC's thresholds were chosen on {}; its rows are in epc.csv.",
            epc_dev(bob)
        )));
        b.extend(epc.map(Block::Chart));
    }
    if let Some(r) = m.resolution {
        b.push(Block::Heading("What the data can resolve".into()));
        b.push(Block::Text(format!("Rule: {}.", r.rule)));
        b.push(table(
            &["operating point", "constrains", "presentations needed per class", "resolution"],
            target_rows(r),
        ));
        let (header, rows) = class_rows(r);
        b.push(Block::Table { header, rows });
    }
    if let Some(legacy) = m.legacy {
        b.extend(legacy_blocks(legacy));
    }
    b
}

/// Where the EPC's thresholds were chosen, `n/a` without an EPC.
fn epc_dev(bob: &BobMetrics) -> &str {
    bob.epc.value().map_or("n/a", |e| e.dev.as_str())
}

fn legacy_blocks(legacy: &Legacy) -> Vec<Block> {
    let row = |name: &str, m: &Metric<crate::metrics::legacy::Average>, apcer: &str| {
        vec![
            name.to_owned(),
            figure(m, |m| pct(m.value)),
            figure(m, |m| format!("{apcer} {}, BPCER {}", pct(m.apcer), pct(m.bpcer))),
        ]
    };
    vec![
        Block::Heading("Legacy averages (not ISO/IEC 30107-3 metrics)".into()),
        Block::Verdict(format!("{}.", legacy.note)),
        table(
            &[
                "legacy measure (NOT ISO/IEC 30107-3)",
                &format!("value at threshold {}", typed_threshold(legacy.threshold)),
                "from",
            ],
            vec![
                row("ACER (legacy)", &legacy.acer, "APCER_max"),
                row("HTER (legacy, bob)", &legacy.hter, "APCER pooled"),
            ],
        ),
    ]
}

/// The terminal lines: bob's figures, every unresolved operating point, and the legacy averages.
pub fn terminal(m: &Measures) -> String {
    let mut s = String::new();
    if let Some(b) = m.bob {
        let _ = writeln!(
            s,
            "  bob/pyeer: eer_rocch {} | EER interval {} | d' {} | min-hter {} (not ISO) | epc.csv ({})",
            figure(&b.eer_rocch, |m| pct(m.value)),
            figure(&b.eer_interval, |m| format!("[{} - {}]", pct(m.low), pct(m.high))),
            figure(&b.d_prime, |m| format!("{:.3}", m.value)),
            figure(&b.min_hter, |m| pct(m.value)),
            epc_dev(b),
        );
        let _ = writeln!(
            s,
            "  BPCER at APCER_max = 0 (ZeroFMR) {} | APCER_max at BPCER = 0 (ZeroFNMR) {}",
            figure(&b.bpcer_at_zero_apcer, |m| pct(m.value)),
            figure(&b.apcer_at_zero_bpcer, |m| pct(m.value)),
        );
    }
    if let Some(r) = m.resolution {
        for row in target_rows(r).into_iter().filter(|r| r[3] != "resolved") {
            let _ =
                writeln!(s, "  unresolved: {} needs {} scored per class; {}", row[0], row[2], row[3].to_lowercase());
        }
        for (name, c) in &r.species {
            let _ = writeln!(
                s,
                "  resolution {name}: {} scored resolves {} (3/n = {})",
                c.scored,
                percent(c.resolvable_rate),
                percent(c.rule_of_three)
            );
        }
    }
    if let Some(legacy) = m.legacy {
        let _ = writeln!(
            s,
            "  legacy (NOT ISO/IEC 30107-3): ACER {} | HTER {}",
            figure(&legacy.acer, |m| pct(m.value)),
            figure(&legacy.hter, |m| pct(m.value)),
        );
    }
    s.trim_end().to_owned()
}
