//! The full-system evaluation of an `eval --match` run folder: its presentations (scores.csv) joined with
//! their descriptors (descriptors.csv), the rows written to full_system.csv, the block of metrics.json.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::{Comparisons, EnrolRule, FullSystemOptions, FullSystemReport, MatchInput, Rate, Role, Row, compare};
use crate::recognition::identities;
use crate::schema::Presentation;
use crate::schema::run_folder::{DESCRIPTORS_CSV, FULL_SYSTEM_CSV};

/// What `eval --match` was asked, recorded in the run's recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchRecipe {
    /// The recognizer descriptor's name.
    pub recognizer: String,
    /// Match iff distance < this.
    pub match_threshold: f64,
    /// The enrolment rule, e.g. `first-session:3`.
    pub enrol: String,
}

/// Metadata columns that are not part of a session: the identity itself and the dataset split.
const NOT_SESSION: [&str; 2] = ["subject", "split"];

/// Joins `presentations` with the run folder's descriptors, evaluates at the two thresholds and writes
/// `full_system.csv`; returns the comparisons (for sweeps) and the report.
pub fn evaluate_run(
    out: &Path,
    presentations: &[Presentation],
    recipe: &MatchRecipe,
    pad_threshold: f64,
    bootstrap: Option<(usize, u64)>,
) -> Result<(Comparisons, FullSystemReport)> {
    let (mut comparisons, rule) = comparisons_of(out, presentations, recipe)?;
    let opts = FullSystemOptions { pad_threshold, match_threshold: recipe.match_threshold, rule, bootstrap };
    let report = comparisons.evaluate(&opts);
    write_rows(&out.join(FULL_SYSTEM_CSV), &comparisons)?;
    Ok((comparisons, report))
}

/// Enrolment and every comparison of `presentations` (a run folder's, or a subset of them), with the
/// descriptors of the run folder `out`; also the enrolment rule.
pub fn comparisons_of(
    out: &Path,
    presentations: &[Presentation],
    recipe: &MatchRecipe,
) -> Result<(Comparisons, EnrolRule)> {
    let rule: EnrolRule = recipe.enrol.parse().map_err(anyhow::Error::msg)?;
    let path = out.join(DESCRIPTORS_CSV);
    let stored = identities::read(&path)?;
    let mut inputs = Vec::with_capacity(presentations.len());
    let mut no_subject = Vec::new();
    for p in presentations {
        let Some(subject) = p.meta.get("subject").filter(|s| !s.is_empty()) else {
            no_subject.push(p.id.clone());
            continue;
        };
        let descriptor = match stored.get(&p.id) {
            Some(d) => d.as_ref().map(|d| d.descriptor.clone()),
            None => bail!("{}: no row for {} (the descriptors do not belong to these scores)", path.display(), p.id),
        };
        let session: Vec<&str> =
            p.meta.iter().filter(|(k, _)| !NOT_SESSION.contains(&k.as_str())).map(|(_, v)| v.as_str()).collect();
        inputs.push(MatchInput {
            path: p.id.clone(),
            bona_fide: p.bona_fide,
            species: p.species.clone(),
            subject: subject.clone(),
            session: session.join("/"),
            pad_score: p.score,
            descriptor,
        });
    }
    if !no_subject.is_empty() {
        bail!(
            "eval --match needs the claimed identity of every presentation (a `subject` column or the NUAA \
             file names); {} have none, e.g. {}",
            no_subject.len(),
            no_subject[0]
        );
    }
    Ok((compare(&inputs, rule), rule))
}

fn write_rows(path: &Path, c: &Comparisons) -> Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record([
        "path",
        "subject",
        "label",
        "attack_type",
        "role",
        "pad_score",
        "pad_accept",
        "distance",
        "matched",
        "accepted",
    ])?;
    for r in &c.rows {
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        w.write_record([
            crate::escape::csv(&r.path).as_ref(),
            &crate::escape::csv(&r.subject),
            if r.bona_fide { "bona_fide" } else { "attack" },
            &crate::escape::csv(&r.species),
            serde_json::to_value(r.role)?.as_str().unwrap_or(""),
            &opt(r.pad_score),
            &r.pad_accept.to_string(),
            &opt(r.distance),
            &r.matched.to_string(),
            &r.accepted.to_string(),
        ])?;
    }
    w.flush().with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The rows of a run folder's `full_system.csv` (what the report draws the 2-D sweep from).
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rows = Vec::new();
    for (line, rec) in r.deserialize::<CsvRow>().enumerate() {
        let c = rec.with_context(|| format!("{}: row {}", path.display(), line + 2))?;
        rows.push(Row {
            path: c.path,
            subject: c.subject,
            bona_fide: c.label == "bona_fide",
            species: c.attack_type,
            role: c.role,
            pad_score: c.pad_score,
            pad_accept: c.pad_accept,
            distance: c.distance,
            matched: c.matched,
            accepted: c.accepted,
        });
    }
    Ok(rows)
}

/// One line of `full_system.csv`, as `write_rows` writes it.
#[derive(Deserialize)]
struct CsvRow {
    path: String,
    subject: String,
    label: String,
    attack_type: String,
    role: Role,
    pad_score: Option<f64>,
    pad_accept: bool,
    distance: Option<f64>,
    matched: bool,
    accepted: bool,
}

/// The three-way table: PAD alone, matcher alone, the whole system, per species and worst (Markdown).
pub fn table(r: &FullSystemReport) -> String {
    let pct = |x: &Rate| match (x.value, x.ci95) {
        (Some(v), Some(ci)) => {
            format!("{:.2}% [{:.2}, {:.2}] ({}/{})", v * 100.0, ci.lower * 100.0, ci.upper * 100.0, x.errors, x.n)
        }
        _ => "n/a".to_string(),
    };
    let v = &r.verification;
    let mut s = format!(
        "Full system (enrolment {}, {} subjects; PAD threshold {}, match threshold {}):\n\n",
        r.enrolment_rule, r.enrolled_subjects, r.pad_threshold, r.match_threshold
    );
    s += "| attacks of species | PAD alone: APCER | matcher alone: IAPMR | combined: accepted AND matched |\n";
    s += "| --- | --- | --- | --- |\n";
    for (species, fs) in &r.attack_acceptance.per_species {
        s += &format!(
            "| {} | {} | {} | {} |\n",
            cell(species),
            pct(&r.pad_apcer.per_species[species]),
            pct(&r.iapmr.per_species[species]),
            pct(fs)
        );
    }
    s += &format!(
        "| all attacks | {} | {} | {} |\n",
        pct(&r.pad_apcer.pooled),
        pct(&r.iapmr.pooled),
        pct(&r.attack_acceptance.pooled)
    );
    let worst = |w: &Option<super::Worst>| {
        w.as_ref().map_or("n/a".into(), |w| format!("{} ({})", pct(&w.rate), cell(&w.species)))
    };
    s += &format!(
        "| worst species | {} | {} | {} |\n",
        worst(&r.pad_apcer.worst),
        worst(&r.iapmr.worst),
        worst(&r.attack_acceptance.worst)
    );
    s += &format!(
        "| bona fide (genuine) rejected | BPCER {} | FNMR {} | {} |\n",
        pct(&r.pad_bpcer),
        pct(&v.fnmr),
        pct(&r.bona_fide_rejection)
    );
    s += &format!("\nVerification: FMR {} over {} impostor comparisons; ", pct(&v.fmr), v.impostor_comparisons);
    match &v.eer {
        Some(e) => {
            s += &format!("EER {:.2}% at distance {:.4}", e.value * 100.0, e.threshold);
            if let Some(ci) = e.ci95 {
                s += &format!(" (subject bootstrap 95% [{:.2}, {:.2}])", ci.lower * 100.0, ci.upper * 100.0);
            }
        }
        None => s += "EER n/a",
    }
    s += &format!(
        "; {} genuine comparisons, {} failed to acquire.\n",
        v.genuine_comparisons, v.genuine_failed_to_acquire
    );
    for (subject, why) in &r.unenrolled {
        s += &format!("Not enrolled: subject {}: {why}; its presentations are left out.\n", cell(subject));
    }
    s
}

/// Text from file names made safe for a Markdown table cell and a terminal.
fn cell(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '|' => "\\|".to_string(),
            c if c.is_control() => c.escape_default().to_string(),
            c => c.to_string(),
        })
        .collect()
}
