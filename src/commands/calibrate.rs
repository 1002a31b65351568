//! `liveness calibrate`: scores of a calibration split -> threshold and retry band -> policy TOML.

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail, ensure};

use super::Context;
use crate::calibrate::{BandEdges, Calibration, Figure, Figures, ModelFile, Outcome, Reached, calibrate};
use crate::cli::CalibrateArgs;
use crate::metrics::format::{typed_rate, typed_threshold};
use crate::model::descriptor;
use crate::policy::{self, Bands, Policy};
use crate::run::utc_now_iso;
use crate::scoreset::ScoreSet;

pub fn run(ctx: &Context, args: &CalibrateArgs) -> Result<ExitCode> {
    let set = ScoreSet::load(super::score_selector(&args.scores, &args.select))?;
    super::note_column(&set);
    let coverage_note = set.coverage.check(args.select.allow_incomplete)?;
    for (name, v) in [("--pass-apcer", args.pass_apcer), ("--retry-bpcer", args.retry_bpcer)] {
        ensure!((0.0..=1.0).contains(&v), "{name} must be within 0..1, got {v}");
    }
    let edges = BandEdges { pass_apcer: args.pass_apcer, retry_bpcer: args.retry_bpcer };
    let out = calibrate(&set.presentations, args.target, args.bound, edges)
        .with_context(|| format!("calibrating {} on {}", args.target, set.describe()))?;
    println!(
        "calibration set: {} ({} presentations, fingerprint {})",
        set.describe(),
        set.presentations.len(),
        set.fingerprint()
    );
    println!(
        "target {} on the {} estimate",
        args.target,
        if args.bound == crate::calibrate::Bound::Upper { "upper 95%" } else { "point" }
    );
    if let Some(note) = &coverage_note {
        println!("coverage: {note}");
    }
    print_figures("threshold", &out.threshold);
    print_figures(&format!("pass edge (APCER_max <= {})", args.pass_apcer), &out.pass);
    print_figures(&format!("retry edge (BPCER <= {})", args.retry_bpcer), &out.retry);
    let Some(name) = &args.name else { return Ok(ExitCode::SUCCESS) };
    let policy = policy_of(ctx, args, &set, &out, name)?;
    let path = args.out.clone().unwrap_or_else(|| ["configs", "policies", &format!("{name}.toml")].iter().collect());
    if path.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    let text = format!(
        "# Written by `liveness calibrate` ({}): bona fide iff score >= threshold.\n{}",
        args.target,
        toml::to_string(&policy).context("serializing the policy")?
    );
    // Read back through the ordinary parser: a policy this command writes must load.
    Policy::parse(&text, &path.display().to_string())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn print_figures(what: &str, f: &Figures) {
    println!("{what}: {}", typed_threshold(f.threshold));
    println!("  {:<22} {}", "BPCER", typed_rate(&f.bpcer));
    let worst = format!("APCER_max ({})", f.apcer_max.species.as_deref().unwrap_or("?"));
    println!("  {worst:<22} {}", typed_rate(&f.apcer_max));
    println!("  {:<22} {}", "APCER pooled", typed_rate(&f.apcer_pooled));
}

/// The written policy: the base policy's quality gates, the calibrated threshold and band, provenance.
fn policy_of(ctx: &Context, args: &CalibrateArgs, set: &ScoreSet, out: &Outcome, name: &str) -> Result<Policy> {
    let model =
        set.model().context("name the model with --model: the policy records its descriptor and ONNX sha256s")?;
    let descriptor = descriptor::resolve(&model, &ctx.catalog()?)?;
    let finite = |what: &str, f: &Figures| {
        let t = f.threshold.0;
        ensure!(t != f64::INFINITY, "only rejecting everyone meets the {what}'s target: relax it");
        ensure!(
            (0.0..=1.0).contains(&t),
            "the {what} is {t}, outside 0..1: a policy holds live probabilities (flipped or other scores cannot be written as one)"
        );
        Ok(t)
    };
    let base = policy::resolve(&args.base_policy, &ctx.config_dirs)?;
    let calibration = Calibration {
        target: args.target,
        bound: args.bound,
        pass_apcer: args.pass_apcer,
        retry_bpcer: args.retry_bpcer,
        model: descriptor.name.clone(),
        scores: set.file.display().to_string(),
        score_column: Some(set.column.column.clone()),
        filter: set.filter.as_ref().map(ToString::to_string),
        dataset_fingerprint: set.fingerprint(),
        presentations: set.presentations.len() as u64,
        coverage: set.coverage.note(),
        date: utc_now_iso(),
        tool: super::tool_name(),
        model_files: descriptor
            .members
            .iter()
            .map(|m| ModelFile { file: m.file.clone(), sha256: m.sha256.clone() })
            .collect(),
        reached: Reached {
            bpcer: Figure::from(&out.threshold.bpcer),
            apcer_max: Figure::from(&out.threshold.apcer_max),
            apcer_pooled: Figure::from(&out.threshold.apcer_pooled),
            pass_apcer_max: Figure::from(&out.pass.apcer_max),
            retry_bpcer: Figure::from(&out.retry.bpcer),
        },
    };
    Ok(Policy {
        name: name.to_owned(),
        description: args
            .description
            .clone()
            .unwrap_or_else(|| format!("{} calibrated for {} on {}", model, args.target, set.describe())),
        threshold: finite("threshold", &out.threshold)?,
        bands: Bands { pass: finite("pass edge", &out.pass)?, retry: finite("retry edge", &out.retry)? },
        quality: base.quality,
        calibration: Some(calibration),
    })
}
