//! `liveness calibrate`: scores of a calibration split -> threshold and retry band, and (`--probability`)
//! a map to calibrated probabilities (`probability`) -> policy TOML.

mod probability;

use std::process::ExitCode;

use anyhow::{Context as _, Result, bail, ensure};

use super::Context;
use crate::calibrate::{
    BandEdges, Calibrated, Calibration, FaceCalibrated, Figure, Figures, ModelFile, Reached, Target, calibrate,
    calibrate_face,
};
use crate::cli::CalibrateArgs;
use crate::metrics::format::{typed_rate, typed_threshold};
use crate::metrics::full_system::run_folder::{MatchRecipe, comparisons_of};
use crate::model::descriptor;
use crate::policy::{self, Bands, Policy};
use crate::run::manifest::Manifest;
use crate::run::utc_now_iso;
use crate::schema::policy::{MatchCalibration, MatchTarget};
use crate::scoreset::ScoreSet;

pub fn run(ctx: &Context, args: &CalibrateArgs) -> Result<ExitCode> {
    let set = ScoreSet::load(super::score_selector(&args.scores, &args.select))?;
    super::note_column(&set);
    let coverage_note = set.coverage.check(args.select.allow_incomplete)?;
    crate::escape::say!(
        "calibration set: {} ({} presentations, fingerprint {})",
        set.describe(),
        set.presentations.len(),
        set.fingerprint()
    );
    if let Some(note) = &coverage_note {
        crate::escape::say!("coverage: {note}");
    }
    let threshold = args.target.map(|target| threshold_part(args, &set, target)).transpose()?;
    let probability = args.probability.map(|method| probability::fit_on(ctx, args, &set, method)).transpose()?;
    let Some(name) = &args.name else { return Ok(ExitCode::SUCCESS) };
    let mut policy = policy_of(ctx, args, &set, threshold.as_ref().map(|t| &t.pad), name)?;
    policy.probability = probability;
    if let Some(ThresholdPart { face: Some((f, m)), .. }) = &threshold
        && let Some(c) = policy.calibration.as_mut()
    {
        ensure!(f.match_threshold.is_finite(), "only matching everyone meets the match target: tighten it");
        policy.match_threshold = Some(f.match_threshold);
        c.face_match = Some(match_calibration(f, m, args.match_target)?);
    }
    let path = args.out.clone().unwrap_or_else(|| ["configs", "policies", &format!("{name}.toml")].iter().collect());
    if path.exists() && !args.force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    let what = match (args.target, args.probability) {
        (Some(t), Some(m)) => format!("{t}, probability {}", m.as_str()),
        (Some(t), None) => t.to_string(),
        (None, Some(m)) => format!("probability {}; threshold and bands of policy {}", m.as_str(), args.base_policy),
        (None, None) => unreachable!("clap requires --target or --probability"),
    };
    let text = format!(
        "# Written by `liveness calibrate` ({what}): bona fide iff score >= threshold.\n{}",
        toml::to_string(&policy).context("serializing the policy")?
    );
    // Read back through the ordinary parser: a policy this command writes must load.
    Policy::parse(&text, &path.display().to_string())?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    crate::escape::say!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// The threshold side of a calibration: the PAD outcome, and with a face target the match side too.
struct ThresholdPart {
    pad: Calibrated,
    face: Option<(FaceCalibrated, FaceRun)>,
}

/// Chooses (and prints) the threshold and band meeting `target`, and the match threshold when asked.
fn threshold_part(args: &CalibrateArgs, set: &ScoreSet, target: Target) -> Result<ThresholdPart> {
    for (name, v) in [("--pass-apcer", args.pass_apcer), ("--retry-bpcer", args.retry_bpcer)] {
        ensure!((0.0..=1.0).contains(&v), "{name} must be within 0..1, got {v}");
    }
    let edges = BandEdges { pass_apcer: args.pass_apcer, retry_bpcer: args.retry_bpcer };
    let face = (matches!(target, Target::FullSystem(_)) || args.match_target.is_some())
        .then(|| face_calibration(args, set, target, edges))
        .transpose()
        .with_context(|| format!("calibrating {target} on {}", set.describe()))?;
    let out = match &face {
        Some((f, _)) => f.pad.clone(),
        None => calibrate(&set.presentations, target, args.bound, edges)
            .with_context(|| format!("calibrating {target} on {}", set.describe()))?,
    };
    crate::escape::say!(
        "target {target} on the {} estimate",
        if args.bound == crate::calibrate::Bound::Upper { "upper 95%" } else { "point" }
    );
    print_figures("threshold", &out.threshold);
    print_figures(&format!("pass edge (APCER_max <= {})", args.pass_apcer), &out.pass);
    print_figures(&format!("retry edge (BPCER <= {})", args.retry_bpcer), &out.retry);
    if let Some((f, m)) = &face {
        crate::escape::say!("{}", face_figures(f, m));
        if args.match_target.is_none() {
            crate::escape::say!(
                "note: the joint target limits attacks, not impostors: FMR is {} at this match threshold; \
                 add --match-target fnmr@fmr=X to bound it",
                f.system.verification.fmr.value.map_or("n/a".into(), |v| format!("{:.2}%", 100.0 * v))
            );
        }
    }
    Ok(ThresholdPart { pad: out, face })
}

/// What a face calibration read from the run folder beside the outcome.
struct FaceRun {
    recipe: MatchRecipe,
    recognizer_sha256: String,
}

/// PAD and face match together, on an `eval --match` run folder (its scores, descriptors and recipe).
fn face_calibration(
    args: &CalibrateArgs,
    set: &ScoreSet,
    target: Target,
    edges: BandEdges,
) -> Result<(FaceCalibrated, FaceRun)> {
    let dir =
        if args.scores.is_dir() { args.scores.clone() } else { set.file.parent().map(Into::into).unwrap_or_default() };
    let manifest = Manifest::load(&dir)?;
    let recipe: MatchRecipe = match manifest.evaluation.get("matching") {
        Some(m) if !m.is_null() => serde_json::from_value(m.clone()).context("run.json: evaluation.matching")?,
        _ => bail!(
            "{} is not an `eval --match` run (no face descriptors): {} and --match-target need one; run \
             `liveness eval DATASET --match`",
            dir.display(),
            target
        ),
    };
    let recognizer_sha256 = manifest.decides["recognizer"]["embedding"]["sha256"]
        .as_str()
        .context("run.json: decides.recognizer.embedding.sha256")?
        .to_owned();
    let (mut comparisons, rule) = comparisons_of(&dir, &set.presentations, &recipe)?;
    let out = calibrate_face(&set.presentations, &mut comparisons, rule, target, args.match_target, args.bound, edges)?;
    Ok((out, FaceRun { recipe, recognizer_sha256 }))
}

fn face_figures(f: &FaceCalibrated, run: &FaceRun) -> String {
    let s = &f.system;
    let fig = |r: &crate::metrics::full_system::Rate| rate_of(r, "").map_or_else(|_| "n/a".into(), |r| typed_rate(&r));
    let worst = s.attack_acceptance.worst.as_ref();
    let mut text = format!(
        "match threshold: {:.4} ({}, enrolment {}; match iff distance < threshold)
",
        f.match_threshold, run.recipe.recognizer, s.enrolment_rule
    );
    text += &format!(
        "  {:<22} {}
",
        "FMR",
        fig(&s.verification.fmr)
    );
    text += &format!(
        "  {:<22} {}
",
        "FNMR",
        fig(&s.verification.fnmr)
    );
    text += &format!(
        "full system at (PAD {}, match {:.4}):
  {:<22} {}
",
        typed_threshold(f.pad.threshold.threshold),
        f.match_threshold,
        format!("accepted, {}", worst.map_or("n/a", |w| w.species.as_str())),
        worst.map_or("n/a".into(), |w| fig(&w.rate))
    );
    text += &format!("  {:<22} {}", "genuine rejected", fig(&s.bona_fide_rejection));
    text
}

/// A full-system rate as the PAD figures are printed and recorded; an error naming `what` when n = 0.
fn rate_of(r: &crate::metrics::full_system::Rate, what: &str) -> Result<crate::metrics::Rate> {
    crate::metrics::Rate::of(r.errors, r.n, "")
        .value()
        .cloned()
        .with_context(|| format!("no {what} to record a rate of"))
}

fn match_calibration(f: &FaceCalibrated, run: &FaceRun, target: Option<MatchTarget>) -> Result<MatchCalibration> {
    let s = &f.system;
    let w = s.attack_acceptance.worst.as_ref().context("no attacks of enrolled subjects")?;
    let mut worst = rate_of(&w.rate, "attacks")?;
    worst.species = Some(w.species.clone());
    Ok(MatchCalibration {
        recognizer: run.recipe.recognizer.clone(),
        recognizer_sha256: run.recognizer_sha256.clone(),
        enrolment: s.enrolment_rule.clone(),
        match_target: target,
        match_threshold: f.match_threshold,
        fmr: Figure::from(&rate_of(&s.verification.fmr, "impostor comparisons")?),
        fnmr: Figure::from(&rate_of(&s.verification.fnmr, "genuine comparisons")?),
        attack_acceptance_max: Figure::from(&worst),
        bona_fide_rejection: Figure::from(&rate_of(&s.bona_fide_rejection, "genuine presentations")?),
    })
}

fn print_figures(what: &str, f: &Figures) {
    crate::escape::say!("{what}: {}", typed_threshold(f.threshold));
    crate::escape::say!("  {:<22} {}", "BPCER", typed_rate(&f.bpcer));
    let worst = format!("APCER_max ({})", f.apcer_max.species.as_deref().unwrap_or("?"));
    crate::escape::say!("  {worst:<22} {}", typed_rate(&f.apcer_max));
    crate::escape::say!("  {:<22} {}", "APCER pooled", typed_rate(&f.apcer_pooled));
}

/// The descriptor of the model whose scores `set` holds (a policy records its ONNX sha256s).
pub(super) fn model_of(ctx: &Context, set: &ScoreSet) -> Result<crate::model::descriptor::Descriptor> {
    let model =
        set.model().context("name the model with --model: the policy records its descriptor and ONNX sha256s")?;
    descriptor::resolve(model, &ctx.catalog()?)
}

/// The descriptor's ONNX files, as a policy records them.
pub(super) fn model_files(d: &crate::model::descriptor::Descriptor) -> Vec<ModelFile> {
    d.members.iter().map(|m| ModelFile { file: m.file.clone(), sha256: m.sha256.clone() }).collect()
}

/// The written policy: the base policy's quality gates, and the calibrated threshold and band with their
/// provenance (`out`), or without a threshold target the base policy's own threshold and bands.
fn policy_of(
    ctx: &Context,
    args: &CalibrateArgs,
    set: &ScoreSet,
    out: Option<&Calibrated>,
    name: &str,
) -> Result<Policy> {
    let descriptor = model_of(ctx, set)?;
    let base = policy::resolve(&args.base_policy, &ctx.config_dirs)?;
    let description = |what: String| {
        args.description
            .clone()
            .unwrap_or_else(|| format!("{} calibrated for {what} on {}", descriptor.name, set.describe()))
    };
    let (Some(out), Some(target)) = (out, args.target) else {
        let method = args.probability.map_or("?", |m| m.as_str());
        return Ok(Policy {
            name: name.to_owned(),
            description: description(format!("a probability map ({method})")),
            calibration: None,
            probability: None,
            ..base
        });
    };
    let finite = |what: &str, f: &Figures| {
        let t = f.threshold.0;
        ensure!(t != f64::INFINITY, "only rejecting everyone meets the {what}'s target: relax it");
        ensure!(
            (0.0..=1.0).contains(&t),
            "the {what} is {t}, outside 0..1: a policy holds live probabilities (flipped or other scores cannot be written as one)"
        );
        Ok(t)
    };
    let calibration = Calibration {
        target,
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
        model_files: model_files(&descriptor),
        reached: Reached {
            bpcer: Figure::from(&out.threshold.bpcer),
            apcer_max: Figure::from(&out.threshold.apcer_max),
            apcer_pooled: Figure::from(&out.threshold.apcer_pooled),
            pass_apcer_max: Figure::from(&out.pass.apcer_max),
            retry_bpcer: Figure::from(&out.retry.bpcer),
        },
        face_match: None,
    };
    Ok(Policy {
        name: name.to_owned(),
        description: description(target.to_string()),
        threshold: finite("threshold", &out.threshold)?,
        bands: Bands { pass: finite("pass edge", &out.pass)?, retry: finite("retry edge", &out.retry)? },
        quality: base.quality,
        match_threshold: base.match_threshold,
        calibration: Some(calibration),
        probability: None,
    })
}
