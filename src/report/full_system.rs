//! The full-system section of an `eval --match` run's report: PAD alone, the matcher alone and the
//! whole system (PAD accept AND match) side by side per attack species, with 95% intervals, the
//! verification figures, and the 2-D sweep over both thresholds. Rendered from the `full_system` block
//! of `metrics.json` and from `full_system.csv`, so `liveness report RUN` redraws it without rescoring.

use std::path::Path;

use anyhow::Result;
use serde_json::Value;

use super::charts::full_system::FullSystemChart;
use super::charts::{Rendered, render};
use super::document::Block;
use crate::metrics::full_system::run_folder::read_rows;
use crate::metrics::full_system::sweep::{default_axes, sweep};
use crate::schema::run_folder::FULL_SYSTEM_CSV;

pub const CHART_STEM: &str = "full_system_sweep";

/// The 2-D sweep chart of a run folder whose metrics hold a `full_system` block (`None` otherwise).
pub fn chart(run_dir: &Path, doc: &Value, charts_dir: &Path) -> Result<Option<Rendered>> {
    let fs = &doc["full_system"];
    let (Some(pad), Some(matcher)) = (fs["pad_threshold"].as_f64(), fs["match_threshold"].as_f64()) else {
        return Ok(None);
    };
    let rows = read_rows(&run_dir.join(FULL_SYSTEM_CSV))?;
    let (pads, matches) = default_axes();
    let title = format!(
        "Full system over both thresholds ({} subjects, enrolment {})",
        fs["enrolled_subjects"],
        fs["enrolment_rule"].as_str().unwrap_or("?")
    );
    let chart = FullSystemChart { grid: sweep(&rows, &pads, &matches), operating: (pad, matcher), title };
    let caption = "Full system over (PAD threshold, match threshold): left, the worst species' attacks that PAD \
                   accepts AND that match their subject; right, genuine users rejected (PAD reject OR no match); \
                   cross = operating point";
    Ok(Some(render(&chart, CHART_STEM, caption, charts_dir)?))
}

/// `12.34% [10.10, 14.80] (k/n)` of a full-system rate (`errors`, `n`, `value`, `ci95`).
fn rate(r: &Value) -> String {
    match (r["value"].as_f64(), r["ci95"]["lower"].as_f64(), r["ci95"]["upper"].as_f64()) {
        (Some(v), Some(lo), Some(hi)) => {
            format!("{:.2}% [{:.2}, {:.2}] ({}/{})", 100.0 * v, 100.0 * lo, 100.0 * hi, r["errors"], r["n"])
        }
        _ => "n/a".to_owned(),
    }
}

fn worst(w: &Value) -> String {
    match w["species"].as_str() {
        Some(s) => format!("{s}: {}", rate(&w["rate"])),
        None => "n/a".to_owned(),
    }
}

/// The section's blocks (empty when the run has no full-system evaluation).
pub fn blocks(doc: &Value, chart: Option<Rendered>) -> Vec<Block> {
    let fs = &doc["full_system"];
    if !fs.is_object() {
        return Vec::new();
    }
    let (pad_t, match_t) = (&fs["pad_threshold"], &fs["match_threshold"]);
    let v = &fs["verification"];
    let mut b = vec![Block::Heading("Full system: PAD and face match".into())];
    b.push(Block::Verdict(format!(
        "At PAD threshold {pad_t} and match threshold {match_t}, attacks of the worst species that pass PAD AND match \
         their subject: {}; genuine users rejected (PAD reject OR no match): {}. The matcher alone matches the worst \
         species' attacks (IAPMR): {}.",
        worst(&fs["attack_acceptance"]["worst"]),
        rate(&fs["bona_fide_rejection"]),
        worst(&fs["iapmr"]["worst"]),
    )));
    b.push(Block::Text(format!(
        "{} subjects enrolled by {} ({} enrolment presentations, in no rate); every other bona fide presentation is a \
         genuine comparison with its own subject, every attack is compared with the subject it shows. Rates with \
         exact 95% Clopper-Pearson intervals; a non-response or a missing face descriptor is a rejection.",
        fs["enrolled_subjects"],
        fs["enrolment_rule"].as_str().unwrap_or("?"),
        fs["enrolment_presentations"],
    )));
    let mut rows = Vec::new();
    for (species, combined) in fs["attack_acceptance"]["per_species"].as_object().into_iter().flatten() {
        rows.push(vec![
            format!("attacks accepted: {species}"),
            format!("APCER {}", rate(&fs["pad_apcer"]["per_species"][species])),
            format!("IAPMR {}", rate(&fs["iapmr"]["per_species"][species])),
            rate(combined),
        ]);
    }
    rows.push(vec![
        "attacks accepted: all species".into(),
        format!("APCER {}", rate(&fs["pad_apcer"]["pooled"])),
        format!("IAPMR {}", rate(&fs["iapmr"]["pooled"])),
        rate(&fs["attack_acceptance"]["pooled"]),
    ]);
    rows.push(vec![
        "attacks accepted: worst species".into(),
        format!("APCER {}", worst(&fs["pad_apcer"]["worst"])),
        format!("IAPMR {}", worst(&fs["iapmr"]["worst"])),
        worst(&fs["attack_acceptance"]["worst"]),
    ]);
    rows.push(vec![
        "genuine users rejected".into(),
        format!("BPCER {}", rate(&fs["pad_bpcer"])),
        format!("FNMR {}", rate(&v["fnmr"])),
        rate(&fs["bona_fide_rejection"]),
    ]);
    b.push(Block::Table {
        header: ["", "PAD alone", "matcher alone", "combined: PAD accept AND match"].map(String::from).to_vec(),
        rows,
    });
    let eer = match (v["eer"]["value"].as_f64(), v["eer"]["threshold"].as_f64()) {
        (Some(e), Some(t)) => {
            let ci = match (v["eer"]["ci95"]["lower"].as_f64(), v["eer"]["ci95"]["upper"].as_f64()) {
                (Some(lo), Some(hi)) => format!(", subject bootstrap 95% [{:.2}, {:.2}]", 100.0 * lo, 100.0 * hi),
                _ => String::new(),
            };
            format!("{:.2}% at distance {t:.4}{ci}", 100.0 * e)
        }
        _ => "n/a".into(),
    };
    b.push(Block::Table {
        header: ["verification (matcher alone)", "value"].map(String::from).to_vec(),
        rows: vec![
            vec![format!("FMR at match threshold {match_t}"), rate(&v["fmr"])],
            vec![format!("FNMR at match threshold {match_t}"), rate(&v["fnmr"])],
            vec!["EER".into(), eer],
            vec!["genuine comparisons".into(), v["genuine_comparisons"].to_string()],
            vec!["impostor comparisons".into(), v["impostor_comparisons"].to_string()],
            vec!["genuine failed to acquire (no descriptor)".into(), v["genuine_failed_to_acquire"].to_string()],
        ],
    });
    for (subject, why) in fs["unenrolled"].as_object().into_iter().flatten() {
        b.push(Block::Text(format!(
            "Not enrolled: subject {subject}: {}; its presentations are left out.",
            why.as_str().unwrap_or("?")
        )));
    }
    b.extend(chart.map(Block::Chart));
    b.push(Block::Text(
        "Per-presentation rows (every rate above can be recounted from them): full_system.csv; the grid of the \
         chart: full_system_sweep.csv; descriptors: descriptors.csv."
            .into(),
    ));
    b
}
