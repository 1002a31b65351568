//! One module per subcommand; this file holds what they share: where models and configurations live.

pub mod bench;
pub mod calibrate;
pub mod compare;
pub mod diff;
pub mod eval;
pub mod eval_api;
pub mod eval_bob;
pub mod eval_decisions;
pub mod full_system;
pub mod fuse;
pub mod gate;
pub mod merge;
pub mod models;
pub mod persons;
pub mod report;
pub mod score;
pub mod search;
pub mod serve;
pub mod session;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::{Global, ModelOptions, ScoreSelection, Subset};
use crate::metrics::BandOptions;
use crate::model::descriptor::{self, Descriptor};
use crate::policy::{self, Policy};
use crate::schema::{MemberInfo, ModelInfo, RunInfo};
use crate::score::pipeline::{EngineSpec, Settings};
use crate::scoreset::Selector;

use crate::schema::DETECTOR_FILE;

/// Resolved global locations.
pub struct Context {
    pub models_dir: PathBuf,
    pub config_dirs: Vec<PathBuf>,
}

impl Context {
    pub fn new(g: &Global) -> Context {
        let models_dir = g
            .models_dir
            .clone()
            .or_else(|| std::env::var_os("LIVENESS_MODELS").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(default_models_dir);
        let mut config_dirs = vec![PathBuf::from("configs")];
        config_dirs.extend(std::env::var_os("LIVENESS_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from));
        config_dirs.extend(g.config_dir.clone());
        Context { models_dir, config_dirs }
    }

    pub fn catalog(&self) -> Result<BTreeMap<String, Descriptor>> {
        descriptor::catalog(&self.config_dirs)
    }

    /// The descriptors and policy named by the model options (no `--model`: the default model), and the
    /// engine and settings they make.
    pub fn scoring_setup(&self, opts: &ModelOptions) -> Result<(EngineSpec, Settings)> {
        let catalog = self.catalog()?;
        let names = if opts.model.is_empty() { &[descriptor::DEFAULT_MODEL.to_owned()][..] } else { &opts.model[..] };
        let descriptors = names.iter().map(|m| descriptor::resolve(m, &catalog)).collect::<Result<Vec<_>>>()?;
        self.setup_with(opts, descriptors)
    }

    /// [`Context::scoring_setup`] with the descriptors already chosen (`eval --scores`: the model whose
    /// column is read, or none).
    pub fn setup_with(&self, opts: &ModelOptions, descriptors: Vec<Descriptor>) -> Result<(EngineSpec, Settings)> {
        let mut policy: Policy = policy::resolve(&opts.policy, &self.config_dirs)?;
        if let Some(t) = opts.threshold {
            anyhow::ensure!((0.0..=1.0).contains(&t), "--threshold must be within 0..1, got {t}");
            policy.threshold = t;
        }
        if let Some(m) = opts.multi_face {
            policy.quality.multi_face = m;
        }
        if let (Some(map), Some(primary)) = (&policy.probability, descriptors.first()) {
            map_fits_model(&policy.name, map, primary)?;
        }
        let spec = EngineSpec {
            models_dir: self.models_dir.clone(),
            detector_file: DETECTOR_FILE.into(),
            descriptors,
            backend: opts.backend,
            recognizer: None,
        };
        let settings =
            Settings { policy, limits: crate::decode::DecodeLimits { max_pixels: opts.max_pixels }, given_box: None };
        Ok((spec, settings))
    }
}

/// A probability map holds for the raw scores of one model: refuse to report it for another (a calibrated
/// probability that is silently wrong is worse than none).
fn map_fits_model(policy: &str, map: &crate::schema::Probability, primary: &Descriptor) -> Result<()> {
    let fix = "calibrate this model's scores (liveness calibrate --probability) or pick a policy for it";
    anyhow::ensure!(
        map.model == primary.name,
        "policy {policy}'s probability map was fitted on {}'s scores, but the scores here are {}'s: {fix}",
        map.model,
        primary.name
    );
    for f in &map.model_files {
        if let Some(m) = primary.members.iter().find(|m| m.file == f.file).filter(|m| m.sha256 != f.sha256) {
            anyhow::bail!(
                "policy {policy}'s probability map was fitted on {} with sha256 {}, but {} is now {}: {fix}",
                f.file,
                f.sha256,
                m.file,
                m.sha256
            );
        }
    }
    Ok(())
}

/// `./models`, or a `models` folder beside an ancestor of the executable that holds the detector (so a
/// checkout's `target/release/liveness` finds the checkout's models from any working directory).
fn default_models_dir() -> PathBuf {
    let local = PathBuf::from("models");
    if local.join(DETECTOR_FILE).exists() {
        return local;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().skip(1).map(|a| a.join("models")).find(|m| m.join(DETECTOR_FILE).exists()))
        .unwrap_or(local)
}

/// What `--model`, `--where` and `--flip` select from `path` (a run folder or a score file).
pub fn score_selector<'a>(path: &'a Path, sel: &'a ScoreSelection) -> Selector<'a> {
    Selector { flip: sel.flip, ..subset_selector(path, sel.model.as_deref(), &sel.subset) }
}

/// `model`'s scores in `path` (`None`: its primary model's) as written, on the presentations `--where`
/// keeps: the one conversion of [`Subset`] into the domain's selector.
pub fn subset_selector<'a>(path: &'a Path, model: Option<&'a str>, subset: &'a Subset) -> Selector<'a> {
    Selector { path, model, filter: subset.filter.as_ref(), flip: false, mapping: None, keep: &[], labels: None }
}

/// Tells the user which model's scores were read when a score file holds several and none was named.
pub fn note_column(set: &crate::scoreset::ScoreSet) {
    if let Some(note) = set.column.note() {
        crate::escape::tell!("note: {}: {note}", set.file.display());
    }
    if let Some(used) = &set.columns_used {
        crate::escape::tell!("note: {}: read as a mapped score file: {used}", set.file.display());
    }
}

/// The mapping the options ask for: a preset (`--format`) with any column option given over it.
pub fn mapping_of(args: &crate::cli::ScoreMappingArgs) -> Result<crate::scorefile::Mapping> {
    let mut m = match &args.preset {
        Some(name) => crate::scorefile::mapping::preset(name)?,
        None => crate::scorefile::Mapping::default(),
    };
    let pyeer = args.preset.as_deref() == Some(crate::scorefile::mapping::PYEER);
    match (pyeer, &args.attack_scores) {
        (true, Some(impostors)) => m.pyeer_impostors = Some(impostors.clone()),
        (true, None) => anyhow::bail!(
            "--format pyeer reads two files: the genuine (bona fide) scores with --scores GENUINE and the \
             impostor (attack) scores with --attack-scores IMPOSTOR"
        ),
        (false, Some(_)) => anyhow::bail!("--attack-scores is pyeer's impostor file: give --format pyeer with it"),
        (false, None) => {}
    }
    mapping_over(m, args)
}

/// `base` (a preset's mapping) with every column option given over it.
pub fn mapping_over(
    mut m: crate::scorefile::Mapping,
    args: &crate::cli::ScoreMappingArgs,
) -> Result<crate::scorefile::Mapping> {
    let or = |given: &Option<String>, preset: &mut Option<String>| {
        if given.is_some() {
            preset.clone_from(given);
        }
    };
    or(&args.id_column, &mut m.id);
    or(&args.label_column, &mut m.label);
    or(&args.score_column, &mut m.score);
    or(&args.species_column, &mut m.species);
    or(&args.reason_column, &mut m.reason);
    if !args.segment_columns.is_empty() {
        m.segments = Some(args.segment_columns.clone());
    }
    if !args.live_labels.is_empty() || !args.attack_labels.is_empty() {
        m.live_labels.clone_from(&args.live_labels);
        m.attack_labels.clone_from(&args.attack_labels);
    }
    m.scale = args.score_scale.or(m.scale);
    m.higher_is_attack |= args.higher_is_attack;
    or(&args.decision_column, &mut m.decision);
    if !args.decision_map.is_empty() {
        m.decision_map.clone_from(&args.decision_map);
    }
    m.validate()?;
    Ok(m)
}

/// `liveness <version>`, as run blocks and calibration records name the tool.
pub fn tool_name() -> String {
    format!("liveness {}", env!("CARGO_PKG_VERSION"))
}

/// The `run` block's fields that every command writing a metrics document (`eval`, `gate --metrics`) fills
/// the same way: who wrote it, when and from what command line; the source; the policy and the threshold
/// applied; the presentations. The fields only one command knows are absent, for the caller to set
/// (`RunInfo { gate: …, ..run_block(…) }`).
pub fn run_block(
    source: String,
    policy: &Policy,
    (threshold, threshold_source): (f64, String),
    presentations: usize,
    dataset_fingerprint: String,
) -> RunInfo {
    RunInfo {
        tool: tool_name(),
        command: std::env::args().collect(),
        created_utc: crate::run::utc_now_iso(),
        source,
        models: None,
        scored_with_models: None,
        backend: None,
        model: None,
        score_column: None,
        score_file: None,
        filter: None,
        mapping: None,
        policy: policy.clone(),
        threshold,
        threshold_source,
        gate: None,
        flip: None,
        presentations,
        dataset_fingerprint,
        shard: None,
        coverage: None,
        sweep_csv: None,
        api: None,
    }
}

/// The metrics engine's band policy: `policy`'s pass and retry bands, completion within each of `attempts`.
pub fn band_policy(policy: &Policy, attempts: Vec<usize>) -> BandOptions {
    BandOptions { pass: policy.bands.pass, retry: policy.bands.retry, attempts }
}

/// A descriptor as the run block records it.
pub fn model_info(d: &Descriptor) -> ModelInfo {
    ModelInfo {
        name: d.name.clone(),
        origin: d.origin.clone(),
        members: d
            .members
            .iter()
            .map(|m| MemberInfo { name: m.name.clone(), file: m.file.clone(), sha256: m.sha256.clone() })
            .collect(),
    }
}

/// Worker count: the option, else one per core.
pub fn workers(opt: Option<usize>) -> usize {
    opt.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}
