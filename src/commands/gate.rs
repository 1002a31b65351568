//! `liveness gate`: scores + policy + criteria -> verdicts, a table, JUnit XML, a Markdown summary and
//! an exit code CI can act on (0 pass, 1 fail, 2 the gate itself is broken).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::Context;
use crate::cli::GateArgs;
use crate::gate::{CriterionResult, Gate, GateVerdict, check, junit, markdown, table};
use crate::metrics::{DEFAULT_OPERATING_RATES, EvalOptions, MetricsDocument, SegmentOptions, evaluate};
use crate::policy::{self, Policy};
use crate::run::coverage::Coverage;
use crate::schema::RunInfo;
use crate::schema::run_folder::METRICS_JSON;
use crate::scoreset::ScoreSet;
use anyhow::{Context as _, Result, bail, ensure};

/// Runs the gate; any error is exit 2, so that exit 1 always means "a criterion failed".
pub fn run(ctx: &Context, args: &GateArgs) -> Result<ExitCode> {
    match gate(ctx, args) {
        Ok(code) => Ok(code),
        Err(e) => {
            crate::escape::tell!("liveness: error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn gate(ctx: &Context, args: &GateArgs) -> Result<ExitCode> {
    let gate = Gate::load(&args.criteria)?;
    let policy = policy::resolve(&args.policy, &ctx.config_dirs)?;
    let set = ScoreSet::load(super::score_selector(&args.scores, &args.select))?;
    super::note_column(&set);
    let coverage_note = match set.coverage.check(args.select.allow_incomplete) {
        Ok(note) => note,
        Err(refused) => {
            // A JUnit file left from an earlier gate must not keep claiming a pass for this one.
            if let Some(path) = &args.junit {
                let row = coverage_row(GateVerdict::Fail, &refused.to_string(), &set);
                write(path, &junit(&gate.name, &[row]), false)?;
            }
            return Err(refused);
        }
    };
    check_model(&policy, &set)?;
    let fingerprint = set.fingerprint();
    let baseline = args.baseline.as_deref().map(|b| load_baseline(b, &fingerprint)).transpose()?;
    ensure!(
        baseline.is_some() || !gate.needs_baseline(),
        "{}: max_regression criteria need --baseline METRICS",
        args.criteria.display()
    );
    if policy.calibration.as_ref().is_some_and(|c| c.dataset_fingerprint == fingerprint) {
        crate::escape::tell!(
            "warning: gating the presentations the policy was calibrated on: the figures are optimistic"
        );
    }

    let options = EvalOptions {
        threshold: policy.threshold,
        operating_rates: DEFAULT_OPERATING_RATES.to_vec(),
        segments: Some(SegmentOptions { columns: gate.segment_by.clone(), min_count: gate.min_segment }),
        bootstrap: None,
        policy: Some(super::band_policy(&policy, gate.attempts())),
    };
    let evaluation = evaluate(&set.presentations, &options)?;
    let run_info = RunInfo {
        model: set.column.model.clone(),
        score_column: Some(set.column.column.clone()),
        gate: Some(gate.name.clone()),
        coverage: coverage_note.as_ref().and(set.coverage.info()),
        ..super::run_block(
            set.describe(),
            &policy,
            (policy.threshold, format!("policy {}", policy.name)),
            set.presentations.len(),
            fingerprint.clone(),
        )
    };
    let doc = MetricsDocument::new(evaluation.report, run_info);
    let mut outcomes = check(&gate, &doc, baseline.as_ref().map(|(_, doc)| doc));
    if let Some(note) = &coverage_note {
        // A row of its own, so the table, JUnit and Markdown all carry the coverage; never a pass.
        outcomes.insert(0, coverage_row(GateVerdict::Skipped, note, &set));
    }
    outcomes.extend(degenerate_row(&set.presentations, policy.threshold));

    let mut context = vec![
        format!("scores: {} ({} presentations, fingerprint {fingerprint})", set.describe(), set.presentations.len()),
        format!(
            "policy {}: bona fide iff score >= {}, pass >= {}, retry >= {}",
            policy.name, policy.threshold, policy.bands.pass, policy.bands.retry
        ),
    ];
    context.extend(baseline.as_ref().map(|(path, _)| format!("baseline: {}", path.display())));
    context.extend(coverage_note.as_ref().map(|note| format!("coverage: {note}")));
    for line in &context {
        crate::escape::say!("{line}");
    }
    crate::escape::say!("{}", table(&gate.name, &outcomes));
    if let Some(path) = &args.junit {
        write(path, &junit(&gate.name, &outcomes), false)?;
    }
    if let Some(path) = &args.summary {
        // Appended: $GITHUB_STEP_SUMMARY collects the summaries of several steps.
        write(path, &markdown(&gate.name, &context, &outcomes), true)?;
    }
    if let Some(path) = &args.metrics {
        write(path, &doc.to_file_text()?, false)?;
    }
    let failed = outcomes.iter().any(|o| o.verdict == GateVerdict::Fail);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// A failed `operating point` row when the threshold gives every scored presentation of both classes the
/// same decision: then APCER (or BPCER) is 0 by construction, not by the model (scores on another scale,
/// a wrong `--flip`, a model with AUC 0 at the edge), and no criterion may pass on it unsaid.
fn degenerate_row(presentations: &[crate::schema::Presentation], threshold: f64) -> Option<CriterionResult> {
    let (mut bona_fide, mut attacks, mut accepted) = (0usize, 0usize, 0usize);
    for p in presentations {
        let Some(s) = p.score else { continue };
        if p.bona_fide {
            bona_fide += 1
        } else {
            attacks += 1
        }
        accepted += crate::schema::is_bona_fide(s, threshold) as usize;
    }
    let scored = bona_fide + attacks;
    let all = match accepted {
        _ if bona_fide == 0 || attacks == 0 => return None,
        0 => "attack (BPCER 100%)",
        n if n == scored => "bona fide (APCER 100%)",
        _ => return None,
    };
    Some(CriterionResult {
        criterion: "operating point".into(),
        limit: "both decisions occur".into(),
        measured: format!("all {scored} scored presentations are {all}"),
        verdict: GateVerdict::Fail,
        reason: Some(format!(
            "degenerate at threshold {threshold}: every presentation gets one decision, so the other class's error \
             rate is 0 by construction; check the score scale (--flip reads 1 - score) and the policy"
        )),
    })
}

/// The `coverage` row of an incomplete (or unknown) run.
fn coverage_row(verdict: GateVerdict, reason: &str, set: &ScoreSet) -> CriterionResult {
    let measured = match &set.coverage {
        Coverage::Incomplete { scored, expected, .. } => format!("{scored} of {expected} presentations"),
        Coverage::Unknown { scored, expected: Some(e), .. } => format!("{scored} of {e} presentations?"),
        _ => format!("{} presentations", set.presentations.len()),
    };
    CriterionResult {
        criterion: "coverage".into(),
        limit: "complete run".into(),
        measured,
        verdict,
        reason: Some(reason.into()),
    }
}

/// A calibrated threshold belongs to one model: applying it to another model's scores is an error.
fn check_model(policy: &Policy, set: &ScoreSet) -> Result<()> {
    let Some(cal) = &policy.calibration else { return Ok(()) };
    match set.model() {
        Some(m) if m == cal.model => Ok(()),
        Some(m) => bail!(
            "policy {} was calibrated for model {}, but the scores are {m}'s: calibrate a policy for {m}",
            policy.name,
            cal.model
        ),
        None => {
            bail!("policy {} was calibrated for model {}: name the scores' model with --model", policy.name, cal.model)
        }
    }
}

/// The baseline metrics document, which must describe the same presentations.
fn load_baseline(path: &Path, fingerprint: &str) -> Result<(PathBuf, MetricsDocument)> {
    let file = if path.is_dir() { path.join(METRICS_JSON) } else { path.to_path_buf() };
    let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read baseline {}", file.display()))?;
    let doc = MetricsDocument::parse(&text, &format!("baseline {}", file.display()))?;
    let theirs = &doc.run.dataset_fingerprint;
    ensure!(
        theirs == fingerprint,
        "baseline {} was computed on other presentations (dataset fingerprint {theirs}, gated set {fingerprint}); \
         a regression check needs the same presentations (same files, same --where)",
        file.display()
    );
    Ok((file, doc))
}

fn write(path: &Path, text: &str, append: bool) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(text.as_bytes()).with_context(|| format!("cannot write {}", path.display()))
}
