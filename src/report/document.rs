//! The report's content, independent of its output format: a list of blocks that `html` and
//! `markdown` render. Deciding *what* the report says happens once, here, so index.html and
//! report.md cannot drift apart.

use std::collections::BTreeMap;

use crate::metrics::resolution::{Resolution, TargetResolution};
use crate::metrics::strata::StratumReport;

use super::charts::Rendered;
use super::gallery::Gallery;
use super::run_folder::RunFolder;
use crate::metrics::format::{metric_rate, percent, typed_rate, typed_threshold};
use crate::metrics::{BandShares, Counts, Metric, Rate, RateSet, Scored, SegmentsReport, ThresholdFree};
use crate::schema::RunInfo;

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
    scored: Scored<'_>,
    charts: Vec<Rendered>,
    sections: Vec<Block>,
    gallery: Option<Gallery>,
) -> (String, Vec<Block>) {
    let doc = &run.doc;
    let title = format!("PAD evaluation: {} on {}", run.models(), doc.run.source);
    let mut b = Vec::new();
    if let Some(coverage) = &doc.run.coverage {
        // An incomplete run (computed with --allow-incomplete): said before any figure.
        b.push(Block::Verdict(format!(
            "Computed on an incomplete run: {}. These figures are not the run's.",
            coverage.note
        )));
    }
    b.extend([
        Block::Verdict(verdict(&scored, &doc.run)),
        Block::Heading("Metrics at the threshold".into()),
        metrics_table(scored.at_threshold),
    ]);
    b.push(Block::Heading("Threshold-free metrics".into()));
    b.push(threshold_free_table(scored.threshold_free, doc.resolution.as_ref()));
    // The optional sections: full system (`eval --match`, report::full_system) and calibration of the live
    // probability (report::probability), each built by its module from the run's files.
    b.extend(sections);
    b.push(Block::Heading("Charts".into()));
    b.extend(charts.into_iter().map(Block::Chart));
    b.push(Block::Heading("Per species".into()));
    b.push(species_table(&scored));
    b.extend(segment_tables(scored.segments, doc.strata.as_deref()));
    b.push(Block::Heading("Non-responses by reason".into()));
    b.push(non_responses(scored.counts));
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
    b.extend(run_reproducibility(&doc.run));
    (title, b)
}

fn verdict(scored: &Scored<'_>, run: &RunInfo) -> String {
    let at = scored.at_threshold;
    let worst = &at.attack.apcer_max;
    format!(
        "At threshold {} ({}): {} of bona fide presentations are rejected (BPCER) and {} of the worst species' attacks ({}) are accepted (APCER); EER {} (pooled).",
        typed_threshold(at.threshold),
        run.threshold_source,
        pct_ci(&at.bona_fide.bpcer),
        pct_ci(worst),
        worst.value().and_then(|r| r.species.as_deref()).unwrap_or("n/a"),
        percent(scored.threshold_free.eer_pooled.value().map(|e| e.value)),
    )
}

/// `12.34% (95% CI 10.1-14.8%)`.
fn pct_ci(r: &Metric<Rate>) -> String {
    match r.value() {
        Some(r) => {
            format!("{} (95% CI {:.2}-{:.2}%)", percent(Some(r.value)), 100.0 * r.ci95.lower, 100.0 * r.ci95.upper)
        }
        None => percent(None),
    }
}

pub(super) fn table(header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table { header: header.iter().map(|h| (*h).to_owned()).collect(), rows }
}

fn metrics_table(at: &RateSet) -> Block {
    let mut rows = vec![vec!["BPCER".into(), metric_rate(&at.bona_fide.bpcer)]];
    for (name, s) in &at.species {
        rows.push(vec![format!("APCER {name}"), metric_rate(&s.apcer)]);
    }
    let worst =
        at.attack.apcer_max.value().and_then(|r| r.species.as_deref()).map_or(String::new(), |s| format!(" ({s})"));
    rows.push(vec![format!("APCER worst species{worst}"), metric_rate(&at.attack.apcer_max)]);
    for (label, r) in [
        ("APCER pooled", &at.attack.apcer_pooled),
        ("BPNRR (bona fide non-response)", &at.bona_fide.bpnrr),
        ("APNRR worst species", &at.attack.apnrr_max),
        ("BPCER system (non-response = reject)", &at.bona_fide.bpcer_sys),
        ("APCER system, worst species", &at.attack.apcer_sys_max),
    ] {
        rows.push(vec![label.to_owned(), metric_rate(r)]);
    }
    table(&["metric", "value (errors/scored) [95% Clopper-Pearson]"], rows)
}

/// The pooled AUC with 5 decimals, or `n/a`.
pub(super) fn auc_text(tf: &ThresholdFree) -> String {
    tf.auc_pooled.value().map_or("n/a".into(), |a| format!("{:.5}", a.value))
}

fn threshold_free_table(tf: &ThresholdFree, resolution: Option<&Resolution>) -> Block {
    let eer = tf.eer_pooled.value();
    let mut rows = vec![
        vec![
            "EER (pooled)".into(),
            percent(eer.map(|e| e.value)),
            eer.map_or("n/a".into(), |e| typed_threshold(e.threshold)),
            String::new(),
        ],
        vec!["AUC (pooled)".into(), auc_text(tf), String::new(), String::new()],
    ];
    for (targets, name, points) in [
        (resolution.map(|r| &r.bpcer_at_apcer), "BPCER @ APCER_max <= ", &tf.bpcer_at_apcer),
        (resolution.map(|r| &r.apcer_at_bpcer), "APCER_max @ BPCER <= ", &tf.apcer_at_bpcer),
    ] {
        for (x, p) in points {
            let flag = resolution_flag(targets.and_then(|t| t.get(x)));
            let x = x.parse::<f64>().map_or(x.clone(), |v| format!("{}%", 100.0 * v));
            let p = p.value();
            let t = p.map_or("n/a".into(), |p| typed_threshold(p.threshold));
            rows.push(vec![format!("{name}{x}"), percent(p.map(|p| p.value)), t, flag]);
        }
    }
    table(&["metric", "value", "threshold", "resolved by the counts (rule of three)"], rows)
}

/// A class's pass / retry / fail shares, `n/a` for each the policy does not give.
fn band_shares(bands: Option<&BandShares>) -> String {
    let share = |m: Option<&Metric<Rate>>| {
        m.and_then(Metric::value).map_or("n/a".into(), |r| format!("{:.1}%", 100.0 * r.value))
    };
    [bands.map(|b| &b.pass), bands.map(|b| &b.retry), bands.map(|b| &b.fail)].map(share).join(" / ")
}

fn species_table(scored: &Scored<'_>) -> Block {
    let (at, counts) = (scored.at_threshold, scored.counts);
    let bands = scored.decision_bands.value();
    let count = |n: Option<u64>| n.map_or("n/a".into(), |n| n.to_string());
    let mut rows = vec![vec![
        "bona fide".into(),
        counts.bona_fide.total.to_string(),
        counts.bona_fide.scored.to_string(),
        format!("BPCER {}", metric_rate(&at.bona_fide.bpcer)),
        percent(at.bona_fide.bpnrr.value().map(|r| r.value)),
        band_shares(bands.map(|b| &b.bona_fide)),
    ]];
    for (name, s) in &at.species {
        let c = counts.species.get(name);
        rows.push(vec![
            name.clone(),
            count(c.map(|c| c.total)),
            count(c.map(|c| c.scored)),
            format!("APCER {}", metric_rate(&s.apcer)),
            percent(s.apnrr.value().map(|r| r.value)),
            band_shares(bands.and_then(|b| b.species.get(name))),
        ]);
    }
    table(
        &["class", "total", "scored", "error rate at the threshold", "non-response rate", "pass / retry / fail"],
        rows,
    )
}

/// For a bucketed column (`--segment-by COLUMN:BUCKETS`), how its buckets were cut (the `strata` block).
fn stratum_note(strata: Option<&[StratumReport]>, column: &str) -> Option<Block> {
    let s = strata?.iter().find(|s| s.column == column)?;
    let merged = match s.merged_edges {
        0 => String::new(),
        m => format!(" {m} repeated quantile edges were merged (many equal values), so fewer buckets."),
    };
    let spec = &s.spec;
    let edges = if spec.contains(":bins=") {
        "the edges are the given bins"
    } else {
        "the edges are numpy's linear quantiles over every presentation with a value"
    };
    Some(Block::Text(format!(
        "Buckets of {column} ({spec}): {edges}; each bucket is (lower, upper], the first also holds its lower \
         edge. {} presentations had no numeric value (missing), {} fell outside the edges.{merged}",
        s.missing, s.outside,
    )))
}

fn segment_tables(segments: &Metric<SegmentsReport>, strata: Option<&[StratumReport]>) -> Vec<Block> {
    let Some(seg) = segments.value() else { return Vec::new() };
    let mut out = Vec::new();
    for (column, values) in &seg.columns {
        out.push(Block::Heading(format!("Per segment: {column}")));
        out.extend(stratum_note(strata, column));
        let rows = values
            .iter()
            .map(|(value, s)| {
                let small =
                    if s.too_small { format!("too small ({})", s.small_classes.join(", ")) } else { String::new() };
                vec![
                    value.clone(),
                    s.counts.bona_fide.scored.to_string(),
                    s.counts.species.values().map(|c| c.scored).sum::<u64>().to_string(),
                    metric_rate(&s.at_threshold.attack.apcer_max),
                    metric_rate(&s.at_threshold.bona_fide.bpcer),
                    percent(s.eer_pooled.value().map(|e| e.value)),
                    small,
                ]
            })
            .collect();
        out.push(table(
            &["value", "bona fide scored", "attacks scored", "APCER worst species", "BPCER", "EER", "note"],
            rows,
        ));
    }
    for (worst, name) in [(&seg.worst_apcer_max, "APCER worst species"), (&seg.worst_bpcer, "BPCER")] {
        if let Some(w) = worst.value() {
            out.push(Block::Text(format!(
                "Worst segment by {name}: {}={} at {}.",
                w.column,
                w.segment,
                typed_rate(&w.rate)
            )));
        }
    }
    out
}

fn non_responses(counts: &Counts) -> Block {
    let mut classes = vec![("bona fide".to_owned(), &counts.bona_fide)];
    classes.extend(counts.species.iter().map(|(k, v)| (k.clone(), v)));
    let mut by_reason: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for (i, (_, c)) in classes.iter().enumerate() {
        for (reason, n) in &c.non_response_reasons {
            by_reason.entry(reason.clone()).or_insert_with(|| vec![0; classes.len()])[i] += n;
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

/// The reproducibility table of a run block: the tool, the command line and what decided the figures.
pub(super) fn run_reproducibility(run: &RunInfo) -> Vec<Block> {
    let threshold = if run.threshold.is_finite() { format!("{:.4}", run.threshold) } else { "n/a".into() };
    let mut rows = vec![
        vec!["tool".into(), run.tool.clone()],
        vec!["created (UTC)".into(), run.created_utc.clone()],
        vec!["source".into(), run.source.clone()],
        vec!["dataset fingerprint".into(), run.dataset_fingerprint.clone()],
        vec!["presentations".into(), run.presentations.to_string()],
        vec!["policy".into(), run.policy.name.clone()],
        vec!["threshold".into(), format!("{threshold} ({})", run.threshold_source)],
        // As JSON shows it: `null` when the run did not say.
        vec!["scores flipped".into(), run.flip.map_or("null".into(), |f| f.to_string())],
    ];
    if let Some(backend) = &run.backend {
        rows.push(vec!["classifier runtime".into(), backend.clone()]);
    }
    // An API run: the API scored; its model is the one it reports, not a local file.
    if let Some(api) = &run.api {
        rows.push(vec!["scored by API".into(), format!("{} ({} preset)", api.url, api.format)]);
        for (label, value) in [("API classifier runtime", &api.backend), ("answers re-read from", &api.responses)] {
            if let Some(value) = value {
                rows.push(vec![label.into(), value.clone()]);
            }
        }
    }
    let local = run.models.iter().flatten().map(|m| ("model", m));
    for (kind, m) in local.chain(run.api.as_ref().and_then(|a| a.model.as_ref()).map(|m| ("API model", m))) {
        for member in &m.members {
            rows.push(vec![
                format!("{kind} {} / {}", m.name, member.name),
                format!("{} sha256 {}", member.file, member.sha256),
            ]);
        }
    }
    vec![table(&["", ""], rows), Block::Code(run.command.join(" "))]
}

/// The comparison of several runs: a table of headline metrics and the overlaid DET curves.
/// The runs' table, and their DET overlay (`det`) when they hold different presentations.
pub fn comparison(runs: &[RunFolder], det: Option<Rendered>) -> (String, Vec<Block>) {
    let rows = runs
        .iter()
        .map(|r| {
            let (at, tf) = (r.doc.at_threshold.as_ref(), r.doc.threshold_free.as_ref());
            let undefined = || "n/a (undefined)".to_owned();
            vec![
                r.label(),
                r.doc.run.dataset_fingerprint.clone(),
                at.map_or("n/a".into(), |a| typed_threshold(a.threshold)),
                at.map_or_else(undefined, |a| metric_rate(&a.bona_fide.bpcer)),
                at.map_or_else(undefined, |a| metric_rate(&a.attack.apcer_max)),
                percent(tf.and_then(|t| t.eer_pooled.value()).map(|e| e.value)),
                tf.map_or("n/a".into(), auc_text),
            ]
        })
        .collect::<Vec<_>>();
    let mut b = Vec::new();
    let prints: std::collections::BTreeSet<&str> =
        runs.iter().map(|r| r.doc.run.dataset_fingerprint.as_str()).collect();
    b.push(Block::Verdict(if prints.len() == 1 {
        format!("{} runs on the same presentations (dataset fingerprint {}).", runs.len(), prints.iter().next().copied().unwrap_or(""))
    } else {
        format!("Warning: the {} runs evaluated different presentations ({} dataset fingerprints): this table and the DET overlay show each run on all of its own; the models are compared below on the presentations they share.", runs.len(), prints.len())
    }));
    b.push(table(&["run", "dataset fingerprint", "threshold", "BPCER", "APCER worst species", "EER", "AUC"], rows));
    b.extend(det.map(Block::Chart));
    ("PAD evaluation: runs compared".into(), b)
}

/// The resolution of one operating point in a few words ("" for a run without a `resolution` block).
fn resolution_flag(target: Option<&TargetResolution>) -> String {
    match target {
        Some(t) if t.resolved => "yes".into(),
        Some(TargetResolution { needed: Some(n), .. }) => format!("NOT RESOLVED: needs {n} per class"),
        Some(_) => "NOT RESOLVED".into(),
        None => String::new(),
    }
}
