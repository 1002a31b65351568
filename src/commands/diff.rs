//! `liveness diff BASE CURRENT`: two score sets on the same presentations -> what changed.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::Context;
use crate::cli::DiffArgs;
use crate::diff::{DiffOptions, DiffReport, Ks, RateChange, diff};
use crate::metrics::Threshold;
use crate::policy;
use crate::scoreset::ScoreSet;

pub fn run(ctx: &Context, args: &DiffArgs) -> Result<ExitCode> {
    let load =
        |path, model: &Option<String>| ScoreSet::load(super::subset_selector(path, model.as_deref(), &args.subset));
    let (base, current) = (load(&args.base, &args.base_model)?, load(&args.current, &args.current_model)?);
    super::note_column(&base);
    super::note_column(&current);
    let notes = [&base, &current].map(|set| {
        set.coverage.check(args.allow_incomplete).map(|n| n.map(|n| format!("{}: {n}", set.file.display())))
    });
    for note in notes {
        if let Some(note) = note? {
            crate::escape::say!("coverage: {note}");
        }
    }
    let threshold = |side: &Option<String>| -> Result<f64> {
        Ok(policy::resolve(side.as_deref().unwrap_or(&args.policy), &ctx.config_dirs)?.threshold)
    };
    let options = DiffOptions {
        base_threshold: threshold(&args.base_policy)?,
        current_threshold: threshold(&args.current_policy)?,
        segment_by: (!args.segment_by.is_empty()).then(|| args.segment_by.clone()),
        target: args.target,
    };
    let report = diff(&base.presentations, &current.presentations, &options)?;
    crate::escape::say!("base:    {} (threshold {})", base.describe(), options.base_threshold);
    crate::escape::say!("current: {} (threshold {})", current.describe(), options.current_threshold);
    print!("{}", crate::escape::terminal_lines(&render(&report, args.show_flips)));
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn change_row(s: &mut String, label: &str, r: &RateChange) {
    let _ = writeln!(
        s,
        "  {label:<28} {:>8} ({}/{}) -> {:>8} ({}/{})  change {:+.2} points [{:+.2}, {:+.2}]  worse {} better {}  p {:.3}",
        pct(r.base.value),
        r.base.k,
        r.base.n,
        pct(r.current.value),
        r.current.k,
        r.current.n,
        100.0 * r.change,
        100.0 * r.change_ci95.0,
        100.0 * r.change_ci95.1,
        r.worse,
        r.better,
        r.p_value
    );
}

fn ks_line(s: &mut String, what: &str, ks: Option<&Ks>) {
    let _ = match ks {
        Some(k) => {
            writeln!(s, "  {what:<10} D = {:.4} (p {:.3}; {} vs {} scores)", k.d, k.p_value, k.n_base, k.n_current)
        }
        None => writeln!(s, "  {what:<10} n/a (no scores in one run)"),
    };
}

/// The text report.
pub fn render(r: &DiffReport, show_flips: usize) -> String {
    let mut s = String::new();
    let m = &r.mcnemar;
    let _ = writeln!(s, "{} presentations, {} scored in both runs", r.presentations, m.paired);
    let _ = writeln!(
        s,
        "decisions: {} flipped ({} now wrong, {} now right); McNemar p = {:.4} ({})",
        m.worse + m.better,
        m.worse,
        m.better,
        m.p_value,
        m.method
    );
    let _ =
        writeln!(s, "rates over presentations scored in both runs (change: 95% interval given the discordant pairs):");
    for rate in &r.rates {
        change_row(&mut s, &rate.rate, rate);
    }
    let changed: Vec<&RateChange> = r.segments.iter().filter(|x| x.worse + x.better > 0).collect();
    let _ = writeln!(s, "segments with changed decisions ({} of {}):", changed.len(), r.segments.len());
    for seg in changed {
        let label =
            format!("{}={} {}", seg.column.as_deref().unwrap_or(""), seg.segment.as_deref().unwrap_or(""), seg.rate);
        change_row(&mut s, &label, seg);
    }
    let _ = writeln!(s, "score distribution shift (two-sample Kolmogorov-Smirnov):");
    ks_line(&mut s, "bona fide", r.ks_bona_fide.as_ref());
    ks_line(&mut s, "attack", r.ks_attack.as_ref());
    let c = &r.calibrated;
    let side = |x: &Option<crate::diff::Calibrated>| {
        x.as_ref().map_or("n/a".into(), |x| {
            format!("{} (BPCER {}, APCER_max {})", fmt_t(x.threshold), pct(x.bpcer), pct(x.apcer_max))
        })
    };
    let _ = writeln!(s, "calibrated threshold for {}: {} -> {}", c.target, side(&c.base), side(&c.current));
    for reason in &c.reasons {
        let _ = writeln!(s, "  {reason}");
    }
    let _ = writeln!(s, "flipped decisions (first {} of {}):", show_flips.min(r.flips.len()), r.flips.len());
    for f in r.flips.iter().take(show_flips) {
        let score = |x: Option<f64>| x.map_or("-".into(), |v| format!("{v:.4}"));
        let _ = writeln!(
            s,
            "  {}  {}  {} {} -> {} {}  now {}",
            f.id,
            f.class,
            score(f.base_score),
            f.base_decision,
            score(f.current_score),
            f.current_decision,
            if f.now_correct { "right" } else { "wrong" }
        );
    }
    if !r.response_changes.is_empty() {
        let _ = writeln!(s, "scored in one run only: {}", r.response_changes.len());
        for f in r.response_changes.iter().take(show_flips) {
            let _ = writeln!(s, "  {}  {}  {} -> {}", f.id, f.class, f.base_decision, f.current_decision);
        }
    }
    s
}

fn fmt_t(t: Threshold) -> String {
    if t.0.is_finite() { format!("{:.4}", t.0) } else { t.to_string() }
}
