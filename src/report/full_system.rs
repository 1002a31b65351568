//! The full-system section of an `eval --match` run's report: PAD alone, the matcher alone and the
//! whole system (PAD accept AND match) side by side per attack species, with 95% intervals, the
//! verification figures, and the 2-D sweep over both thresholds. Rendered from the `full_system` block
//! of `metrics.json`, read through its type ([`FullSystemReport`]), and from `full_system.csv`, so
//! `liveness report RUN` redraws it without rescoring.

use std::path::Path;

use anyhow::Result;

use super::charts::full_system::FullSystemChart;
use super::charts::{Rendered, render};
use super::document::Block;
use crate::metrics::format::json_number;
use crate::metrics::full_system::run_folder::read_rows;
use crate::metrics::full_system::sweep::{default_axes, sweep};
use crate::metrics::full_system::{Eer, FullSystemReport, Rate, Worst};
use crate::schema::run_folder::FULL_SYSTEM_CSV;

pub const CHART_STEM: &str = "full_system_sweep";

/// The 2-D sweep chart of a run folder whose metrics hold a `full_system` block (`None` otherwise).
pub fn chart(run_dir: &Path, fs: Option<&FullSystemReport>, charts_dir: &Path) -> Result<Option<Rendered>> {
    let Some(fs) = fs else { return Ok(None) };
    let rows = read_rows(&run_dir.join(FULL_SYSTEM_CSV))?;
    let (pads, matches) = default_axes();
    let title = format!(
        "Full system over both thresholds ({} subjects, enrolment {})",
        fs.enrolled_subjects, fs.enrolment_rule
    );
    let operating = (fs.pad_threshold, fs.match_threshold);
    let chart = FullSystemChart { grid: sweep(&rows, &pads, &matches), operating, title };
    let caption = "Full system over (PAD threshold, match threshold): left, the worst species' attacks that PAD \
                   accepts AND that match their subject; right, genuine users rejected (PAD reject OR no match); \
                   cross = operating point";
    Ok(Some(render(&chart, CHART_STEM, caption, charts_dir)?))
}

/// `12.34% [10.10, 14.80] (k/n)` of a full-system rate, `n/a` without one.
fn rate(r: Option<&Rate>) -> String {
    match r.and_then(|r| Some((r, r.value?, r.ci95?))) {
        Some((r, v, ci)) => {
            format!("{:.2}% [{:.2}, {:.2}] ({}/{})", 100.0 * v, 100.0 * ci.lower, 100.0 * ci.upper, r.errors, r.n)
        }
        None => "n/a".to_owned(),
    }
}

fn worst(w: Option<&Worst>) -> String {
    w.map_or_else(|| "n/a".to_owned(), |w| format!("{}: {}", w.species, rate(Some(&w.rate))))
}

/// The verification EER: `1.23% at distance 0.4567`, with its subject bootstrap interval when computed.
fn eer(e: Option<&Eer>) -> String {
    let Some(e) = e else { return "n/a".into() };
    let ci = e.ci95.map_or_else(String::new, |ci| {
        format!(", subject bootstrap 95% [{:.2}, {:.2}]", 100.0 * ci.lower, 100.0 * ci.upper)
    });
    format!("{:.2}% at distance {:.4}{ci}", 100.0 * e.value, e.threshold)
}

/// The section's blocks (empty when the run has no full-system evaluation).
pub fn blocks(fs: Option<&FullSystemReport>, chart: Option<Rendered>) -> Vec<Block> {
    let Some(fs) = fs else { return Vec::new() };
    let (pad_t, match_t) = (json_number(fs.pad_threshold), json_number(fs.match_threshold));
    let v = &fs.verification;
    let mut b = vec![Block::Heading("Full system: PAD and face match".into())];
    b.push(Block::Verdict(format!(
        "At PAD threshold {pad_t} and match threshold {match_t}, attacks of the worst species that pass PAD AND match \
         their subject: {}; genuine users rejected (PAD reject OR no match): {}. The matcher alone matches the worst \
         species' attacks (IAPMR): {}.",
        worst(fs.attack_acceptance.worst.as_ref()),
        rate(Some(&fs.bona_fide_rejection)),
        worst(fs.iapmr.worst.as_ref()),
    )));
    b.push(Block::Text(format!(
        "{} subjects enrolled by {} ({} enrolment presentations, in no rate); every other bona fide presentation is a \
         genuine comparison with its own subject, every attack is compared with the subject it shows. Rates with \
         exact 95% Clopper-Pearson intervals; a non-response or a missing face descriptor is a rejection.",
        fs.enrolled_subjects, fs.enrolment_rule, fs.enrolment_presentations,
    )));
    b.push(Block::Table {
        header: ["", "PAD alone", "matcher alone", "combined: PAD accept AND match"].map(String::from).to_vec(),
        rows: species_rows(fs),
    });
    b.push(Block::Table {
        header: ["verification (matcher alone)", "value"].map(String::from).to_vec(),
        rows: vec![
            vec![format!("FMR at match threshold {match_t}"), rate(Some(&v.fmr))],
            vec![format!("FNMR at match threshold {match_t}"), rate(Some(&v.fnmr))],
            vec!["EER".into(), eer(v.eer.as_ref())],
            vec!["genuine comparisons".into(), v.genuine_comparisons.to_string()],
            vec!["impostor comparisons".into(), v.impostor_comparisons.to_string()],
            vec!["genuine failed to acquire (no descriptor)".into(), v.genuine_failed_to_acquire.to_string()],
        ],
    });
    for (subject, why) in &fs.unenrolled {
        b.push(Block::Text(format!("Not enrolled: subject {subject}: {why}; its presentations are left out.")));
    }
    b.extend(chart.map(Block::Chart));
    b.push(Block::Text(
        "Per-presentation rows (every rate above can be recounted from them): full_system.csv; the grid of the \
         chart: full_system_sweep.csv; descriptors: descriptors.csv."
            .into(),
    ));
    b
}

/// PAD alone, the matcher alone and both, per species, pooled, worst species, and for genuine users.
fn species_rows(fs: &FullSystemReport) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for (species, combined) in &fs.attack_acceptance.per_species {
        rows.push(vec![
            format!("attacks accepted: {species}"),
            format!("APCER {}", rate(fs.pad_apcer.per_species.get(species))),
            format!("IAPMR {}", rate(fs.iapmr.per_species.get(species))),
            rate(Some(combined)),
        ]);
    }
    rows.push(vec![
        "attacks accepted: all species".into(),
        format!("APCER {}", rate(Some(&fs.pad_apcer.pooled))),
        format!("IAPMR {}", rate(Some(&fs.iapmr.pooled))),
        rate(Some(&fs.attack_acceptance.pooled)),
    ]);
    rows.push(vec![
        "attacks accepted: worst species".into(),
        format!("APCER {}", worst(fs.pad_apcer.worst.as_ref())),
        format!("IAPMR {}", worst(fs.iapmr.worst.as_ref())),
        worst(fs.attack_acceptance.worst.as_ref()),
    ]);
    rows.push(vec![
        "genuine users rejected".into(),
        format!("BPCER {}", rate(Some(&fs.pad_bpcer))),
        format!("FNMR {}", rate(Some(&fs.verification.fnmr))),
        rate(Some(&fs.bona_fide_rejection)),
    ]);
    rows
}
