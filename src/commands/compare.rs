//! `liveness compare`: probe vs the images of one claimed identity, with the probe's liveness. Also the
//! set-up `persons` and `search` share: PAD and recognition engines on one pass per image.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::{CompareArgs, MatchOptions, ModelOptions};
use crate::gallery::GalleryKey;
use crate::model::descriptor::{self, Descriptor};
use crate::recognition::ChipInfo;
use crate::recognition::verify::{Comparison, Liveness, Matcher, Reference};
use crate::score::parallel::score_all;
use crate::score::pipeline::{EngineSpec, Job, Settings};
use crate::score::record::ScoreRecord;

/// What compare, persons and search run with: the PAD engine spec and settings, the recognizer, and the
/// match threshold.
pub(super) struct FaceSetup {
    pub spec: EngineSpec,
    pub settings: Settings,
    pub recognizer: Descriptor,
    pub threshold: f64,
}

impl FaceSetup {
    pub fn new(ctx: &Context, model: &ModelOptions, matching: &MatchOptions) -> Result<FaceSetup> {
        let (mut spec, settings) = ctx.scoring_setup(model)?;
        let recognizer = recognizer(ctx, matching)?;
        let threshold =
            crate::recognition::matching::threshold(&recognizer, matching.match_threshold, Some(&settings.policy))?;
        spec.recognizer = Some(recognizer.clone());
        Ok(FaceSetup { spec, settings, recognizer, threshold })
    }

    /// Every image through one pass of decode, detect, PAD, chip and descriptor (`ScoreRecord::identity`).
    pub fn analyze(&self, images: &[PathBuf], workers: usize) -> Result<Vec<ScoreRecord>> {
        let jobs: Vec<Job> =
            images.iter().map(|f| Job { file: f.clone(), name: f.display().to_string(), given_box: None }).collect();
        let mut out = Vec::with_capacity(jobs.len());
        score_all(&jobs, &self.spec, &self.settings, workers, |rec| {
            out.push(rec);
            Ok(())
        })?;
        Ok(out)
    }

    /// The PAD model whose score decides liveness (the first given).
    pub fn pad_model(&self) -> &str {
        self.spec.descriptors.first().map_or("", |d| d.name.as_str())
    }

    /// What compare and search judge by: the policy, the match threshold, the model names.
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher {
            policy: &self.settings.policy,
            threshold: self.threshold,
            recognizer: &self.recognizer.name,
            pad_model: self.pad_model(),
        }
    }
}

/// The recognizer descriptor named by `--recognizer`.
pub(super) fn recognizer(ctx: &Context, matching: &MatchOptions) -> Result<Descriptor> {
    descriptor::resolve_embedding(&matching.recognizer, &ctx.catalog()?)
}

/// What a gallery made with `recognizer` records (checked against a gallery before it is used).
pub(super) fn gallery_key(recognizer: &Descriptor) -> Result<GalleryKey> {
    let Some(e) = &recognizer.embedding else { bail!("`{}` is not an embedding model", recognizer.name) };
    Ok(GalleryKey {
        model: recognizer.name.clone(),
        model_sha256: e.sha256.clone(),
        crop_rule: e.chip.rule.as_str().to_string(),
        dim: e.output.dim,
    })
}

/// `eval --match`: the recipe to record, and the recognizer to put in the PAD engine (same pass).
pub(super) fn match_recipe(
    ctx: &Context,
    args: &crate::cli::EvalArgs,
) -> Result<Option<(crate::metrics::full_system::run_folder::MatchRecipe, Descriptor)>> {
    if !args.face_match {
        return Ok(None);
    }
    let recognizer = recognizer(ctx, &args.matching)?;
    let policy = crate::policy::resolve(&args.model.policy, &ctx.config_dirs)?;
    let match_threshold =
        crate::recognition::matching::threshold(&recognizer, args.matching.match_threshold, Some(&policy))?;
    let recipe = crate::metrics::full_system::run_folder::MatchRecipe {
        recognizer: recognizer.name.clone(),
        match_threshold,
        enrol: args.enrol.to_string(),
    };
    Ok(Some((recipe, recognizer)))
}

/// The match threshold without a policy's (`serve`, whose policies are chosen per request): `--match-threshold`
/// or the recognizer's default.
pub(super) fn match_threshold(recognizer: &Descriptor, matching: &MatchOptions) -> Result<f64> {
    crate::recognition::matching::threshold(recognizer, matching.match_threshold, None)
}

/// A name made safe for a terminal: the one terminal escaper of `crate::escape`.
pub(super) use crate::escape::terminal as printable;

/// How the probe's chip was cut, as printed.
pub(super) fn chip_note(chip: &ChipInfo) -> String {
    match chip.presence {
        Some(p) => format!("chip {} (mesh presence {p:.2})", chip.rule.as_str()),
        None => format!("chip {}", chip.rule.as_str()),
    }
}

pub fn run(ctx: &Context, args: &CompareArgs) -> Result<ExitCode> {
    let setup = FaceSetup::new(ctx, &args.model, &args.matching)?;
    let mut images = vec![args.probe.clone()];
    images.extend(args.gallery.iter().cloned());
    let mut analyzed = setup.analyze(&images, super::workers(args.model.workers))?.into_iter();
    let probe = analyzed.next().expect("the probe was analysed");
    let gallery: Vec<ScoreRecord> = analyzed.collect();
    let references: Vec<Reference> = gallery.iter().map(Reference::of).collect();
    let result = setup.matcher().compare(&probe, &references)?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        print_text(&result);
    }
    Ok(if probe.identity.is_none() { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

fn print_text(c: &Comparison) {
    println!("probe     {}", printable(&c.probe));
    print_liveness(&c.liveness);
    for g in &c.gallery {
        match (g.distance, &g.reason) {
            (Some(d), _) => println!("gallery   {}  distance {d:.4}", printable(&g.image)),
            (None, Some(r)) => println!("gallery   {}  left out: {r}", printable(&g.image)),
            (None, None) => println!("gallery   {}", printable(&g.image)),
        }
    }
    match c.distance {
        Some(d) => println!(
            "match     {}  distance {d:.4} {} threshold {} ({}{})",
            yes_no(c.matched),
            if c.matched { "<" } else { ">=" },
            c.match_threshold,
            c.recognizer,
            c.chip.as_ref().map(|ch| format!(", {}", chip_note(ch))).unwrap_or_default()
        ),
        None => println!("match     no  (no usable face in the probe)"),
    }
    println!("decision  {}  (match AND live)", if c.passed { "ACCEPT" } else { "REJECT" });
}

/// The liveness line of compare and search.
pub(super) fn print_liveness(l: &Liveness) {
    match (l.score, &l.reason) {
        (Some(s), _) => println!(
            "liveness  {}  score {s:.4} ({:.1}) {} threshold {} (band {})",
            if l.passed { "live" } else { "attack" },
            s * 100.0,
            if l.passed { ">=" } else { "<" },
            l.threshold,
            l.band.map_or("-", |b| b.as_str())
        ),
        (None, r) => println!(
            "liveness  not scored: {} ({})",
            r.as_deref().unwrap_or("?"),
            printable(l.detail.as_deref().unwrap_or(""))
        ),
    }
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The file's sha256, recorded as an enrolment's provenance.
pub(super) fn file_sha256(p: &Path) -> Result<String> {
    crate::model::integrity::sha256_file(p)
}
