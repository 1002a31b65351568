//! `liveness eval`: dataset (or score file) -> scores.csv -> metrics.json, sweep.csv and a summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail, ensure};
use serde::{Deserialize, Serialize};

use super::{Context, workers};
use crate::cli::EvalArgs;
use crate::dataset::{self, DatasetSpec, summary::summarize};
use crate::metrics::aggregate::{Aggregation, GroupOptions, aggregate};
use crate::metrics::comparison::{Comparison, Scorer};
use crate::metrics::full_system::run_folder::MatchRecipe;
use crate::metrics::strata::{parse_segment_by, stratify};
use crate::metrics::{
    BootstrapOptions, EvalOptions, MetricsDocument, SegmentOptions, evaluate, evaluate_set, write_sweep_csv,
};
use crate::report::terminal;
use crate::run::coverage::{Coverage, count_rows as rows};
use crate::run::shard::{ShardArg, ShardSpec};
use crate::run::{Plan, default_folder, score_dataset};
use crate::schema::run_folder::{
    ApiRun, EPC_CSV, METRICS_JSON, ModelSweep, SCORES_PARQUET, SWEEP_CSV, ScoresFormat, model_sweep_csv,
};
use crate::schema::{Presentation, Presentations, RunInfo};
use crate::score::pipeline::{EngineSpec, Settings};
use crate::scorefile::{Mapping, ModelColumn, ReadOptions, fingerprint_set, read_scores};
use crate::scoreset::{ScoreSet, Selector};

/// The options that turn scores into metrics. Recorded in a run's manifest, so that `liveness merge`
/// computes a sharded run's figures exactly as one `eval` would.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub segment_by: Vec<String>,
    pub min_segment: u64,
    pub bootstrap: usize,
    pub seed: u64,
    pub attempts: Vec<usize>,
    pub flip: bool,
    pub calibrate_on: Option<PathBuf>,
    pub calibrate_target: crate::calibrate::Target,
    /// `--threshold`, when given over the policy's (absent otherwise, so other recipes are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// `--match`: the full-system evaluation (absent in other runs, so their recipes are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<MatchRecipe>,
    /// `--group-by`: frames aggregated into videos (absent in other runs, so their recipes are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub videos: Option<GroupOptions>,
    /// `--legacy-metrics`: ACER and HTER at the threshold (absent when off, so other recipes are unchanged).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub legacy_metrics: bool,
    /// `--folds`: cross-validated thresholds (absent when off, so other recipes are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folds: Option<String>,
}

impl Recipe {
    /// The columns `--segment-by COLUMN:BUCKETS` cuts, read as metadata even where reserved (`q_*`).
    pub fn strata_columns(&self) -> Result<Vec<String>> {
        Ok(parse_segment_by(&self.segment_by)?.1.into_iter().map(|s| s.column).collect())
    }

    fn of(args: &EvalArgs, matching: Option<MatchRecipe>) -> Recipe {
        Recipe {
            matching,
            segment_by: args.segment_by.clone(),
            min_segment: args.min_segment,
            bootstrap: args.bootstrap,
            seed: args.seed,
            attempts: args.attempts.clone(),
            flip: args.flip,
            calibrate_on: args.calibrate_on.clone(),
            calibrate_target: args.calibrate_target,
            threshold: args.model.threshold,
            videos: (!args.group_by.is_empty())
                .then(|| GroupOptions { columns: args.group_by.clone(), aggregate: args.aggregate }),
            legacy_metrics: args.legacy_metrics,
            folds: args.folds.as_ref().map(ToString::to_string),
        }
    }
}

pub fn run(ctx: &Context, args: &EvalArgs) -> Result<ExitCode> {
    let matching = super::compare::match_recipe(ctx, args)?;
    let recipe = Recipe::of(args, matching.as_ref().map(|(m, _)| m.clone()));
    // Parsed before anything is scored, so a bad bucket spec stops the run at once.
    let strata_columns = recipe.strata_columns()?;
    match (&args.scores, &args.dataset) {
        (Some(file), _) => {
            // A descriptor given by path must load; none is recorded (below).
            let (named, _) = scores_model(ctx, &args.model.model)?;
            let mapping = super::mapping_of(&args.mapping)?;
            ensure!(
                mapping.decision.is_none() || args.group_by.is_empty(),
                "--group-by makes videos of scored frames: a vendor's decisions (--decision-column) are per presentation"
            );
            let labels = args.labels.as_ref().map(|root| labels_of(root, args)).transpose()?;
            let selector = Selector {
                path: file,
                model: named.as_deref(),
                filter: args.filter.as_ref(),
                flip: args.flip,
                mapping: Some(&mapping),
                keep: &strata_columns,
                labels: labels.as_ref().map(|(ds, name)| (ds, name.as_str())),
            };
            // A file read whole goes into columns (issue 11: no record and metadata map per row); filtered,
            // labelled and decision files are read as records.
            let (set, columns) = match args.filter.is_none() && labels.is_none() && mapping.decision.is_none() {
                true => {
                    let (set, columns) = ScoreSet::load_columns(selector)?;
                    (set, Some(columns))
                }
                false => (ScoreSet::load(selector)?, None),
            };
            if let Some(join) = &set.join {
                crate::escape::tell!("{}", join.line());
            }
            set.coverage.check(args.allow_incomplete)?;
            super::note_column(&set);
            // No model ran: the run names the model whose column was read (`run.model`), from the file,
            // and records no descriptor or sha256 (`run.models` is empty) that would say a model scored.
            let (spec, settings) = ctx.setup_with(&args.model, Vec::new())?;
            let out = args.out.clone().unwrap_or_else(|| default_folder(&stem(file), "scores"));
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            let source_labels = labels.as_ref().map(|(ds, name)| (ds, name.as_str()));
            // `--model M` asks for one model's figures; a multi-model file read whole compares them all.
            let others = other_models(&set.column)
                .filter(|_| !mapping.is_given() && !set.column.named)
                .map(|m| {
                    let other = ScoreSet::load(Selector {
                        path: file,
                        model: Some(m),
                        filter: args.filter.as_ref(),
                        flip: args.flip,
                        mapping: Some(&mapping),
                        keep: &strata_columns,
                        labels: source_labels,
                    })?;
                    Ok((m.to_owned(), other.presentations))
                })
                .collect::<Result<_>>()?;
            let source = Source {
                text: format!(
                    "{}{}{}",
                    file.display(),
                    labels.as_ref().map_or(String::new(), |(_, name)| format!(" labelled by {name}")),
                    args.filter.as_ref().map_or(String::new(), |f| format!(" where {f}")),
                ),
                labels: labels.zip(set.join.clone()).map(|((dataset, name), report)| Labels { dataset, name, report }),
                scored_with_models: false,
                shard: None,
                file: Some(file.to_path_buf()),
                filter: args.filter.as_ref().map(ToString::to_string),
                column: Some(set.column.clone()),
                mapping: set.mapping.clone(),
                api: None,
                others,
            };
            let code = match &columns {
                Some(columns) => finish(&out, &source, columns, &recipe, &spec, &settings, &set.coverage)?,
                None => finish(&out, &source, &set.presentations, &recipe, &spec, &settings, &set.coverage)?,
            };
            if args.scores_format != ScoresFormat::Csv {
                ensure!(
                    !crate::scorefile::parquet::is_parquet(file),
                    "--scores-format: {} is Parquet already",
                    file.display()
                );
                let parquet = out.join(SCORES_PARQUET);
                crate::run::parquet_from_csv(file, &parquet)?;
                crate::escape::tell!("wrote {}", parquet.display());
            }
            Ok(code)
        }
        (None, dataset) if dataset.is_some() || args.api.responses.is_some() => {
            // clap's `requires = "scores"` does not hold against the DATASET positional: said here.
            ensure!(
                args.labels.is_none() && args.filter.is_none(),
                "--labels and --where apply to a score file: give --scores FILE (a DATASET is labelled and read whole)"
            );
            // `--api`, `--responses`: a remote scorer in the local engine's place (src/api).
            let mut api = super::eval_api::setup(ctx, args)?;
            let (mut spec, settings) = match &api {
                Some(a) => ctx.setup_with(&args.model, a.descriptors.clone())?,
                None => ctx.scoring_setup(&args.model)?,
            };
            // `--match`: the recognizer rides in the PAD engine, descriptors in the same pass.
            spec.recognizer = matching.map(|(_, d)| d);
            let models: Vec<String> = match &api {
                Some(a) => a.remote.models(),
                None => crate::model::descriptor::score_models(&spec.descriptors),
            };
            let (ds, source) = match (api.as_mut().and_then(|a| a.replayed.take()), dataset) {
                (Some((ds, file)), _) => (ds, file.display().to_string()),
                (None, Some(root)) => {
                    let spec = DatasetSpec {
                        root: root.clone(),
                        kind: Some(args.kind.clone()),
                        layout: args.layout.clone(),
                        split: args.split.clone(),
                    };
                    (dataset::open(&spec)?, root.display().to_string())
                }
                (None, None) => bail!("give a DATASET folder or manifest"),
            };
            let summary = summarize(&ds)?;
            crate::escape::tell!("{summary}");
            let shard = args.shard.as_ref().map(ShardArg::resolve).transpose()?;
            let out = args.out.clone().unwrap_or_else(|| {
                let name =
                    shard.map_or_else(|| ds.name.clone(), |s| format!("{}-shard{}of{}", ds.name, s.index, s.count));
                default_folder(&name, &models.join("+"))
            });
            let plan = Plan {
                out: &out,
                resume: args.resume,
                force: args.force,
                workers: workers(args.model.workers),
                source: source.clone(),
                shard,
                evaluation: serde_json::to_value(&recipe)?,
                command: std::env::args().collect(),
                remote: api.as_ref().map(|a| a.remote.as_ref()),
            };
            let (scores, _, _lock) = score_dataset(&ds, &spec, &settings, &plan)?;
            if let Some(s) = shard {
                crate::escape::tell!(
                    "shard {s}: {} of {} presentations; merge the shards with `liveness merge`",
                    rows(&scores),
                    ds.samples.len()
                );
            }
            let column = ModelColumn::of_file(&scores, None, &Mapping::default())?;
            if column.models.len() > 1 {
                crate::escape::tell!(
                    "note: the metrics are {}'s (the first --model); for another model's: liveness eval --scores {} --model {}",
                    column.model.as_deref().unwrap_or("?"),
                    scores.display(),
                    column.models[1]
                );
            }
            let read = ReadOptions::column(args.flip, &column, &Mapping::default()).keeping(&strata_columns);
            let presentations = read_scores(&scores, read)?;
            let others = other_models(&column)
                .map(|m| {
                    let c = ModelColumn::of_file(&scores, Some(m), &Mapping::default())?;
                    let read = ReadOptions::column(args.flip, &c, &Mapping::default()).keeping(&strata_columns);
                    Ok((m.to_owned(), read_scores(&scores, read)?))
                })
                .collect::<Result<_>>()?;
            if let (Some(s), true) = (shard, presentations.is_empty()) {
                // More tasks than presentations: a complete share of nothing, which merges; exit 0 so a
                // scheduler does not retry it. There are no figures of its own to compute.
                crate::escape::tell!(
                    "shard {s} holds none of the {} presentations: no metrics of its own",
                    ds.samples.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let source = Source {
                labels: None,
                text: source,
                scored_with_models: api.is_none(),
                shard,
                file: None,
                filter: None,
                column: Some(column),
                mapping: Mapping::default(),
                api: api.map(|a| a.run),
                others,
            };
            let code = finish(&out, &source, &presentations, &recipe, &spec, &settings, &Coverage::of(&out)?)?;
            crate::run::keep_scores_as(&out, args.scores_format)?;
            Ok(code)
        }
        (None, _) => bail!("give a DATASET folder or manifest, or --scores FILE"),
    }
}

/// The models of a multi-model score file other than the one read; none for a mapped file (one score
/// column) or a single-model file.
fn other_models(column: &ModelColumn) -> impl Iterator<Item = &str> {
    let read = column.model.as_deref();
    column.models.iter().map(String::as_str).filter(move |m| Some(*m) != read)
}

/// The model `eval --scores` reads (`--model`, one at most) and its descriptor: a descriptor file must
/// load, a name the catalog does not know is taken as the user's name for the scores (a vendor's).
pub(super) fn scores_model(
    ctx: &Context,
    given: &[String],
) -> Result<(Option<String>, Option<crate::model::descriptor::Descriptor>)> {
    ensure!(given.len() <= 1, "--scores reads one model's scores: give one --model, not {}", given.join(","));
    let Some(m) = given.first() else { return Ok((None, None)) };
    if m.ends_with(".toml") || m.contains('/') {
        let d = crate::model::descriptor::resolve(m, &ctx.catalog()?)?;
        return Ok((Some(d.name.clone()), Some(d)));
    }
    let catalog = ctx.catalog()?;
    let descriptor = catalog.contains_key(m).then(|| crate::model::descriptor::resolve(m, &catalog)).transpose()?;
    Ok((Some(m.clone()), descriptor))
}

/// Where a run's scores came from.
pub struct Source {
    /// The dataset or score file, as given.
    pub text: String,
    /// Scored here (`true`), or read from a file.
    pub scored_with_models: bool,
    pub shard: Option<ShardSpec>,
    /// The column the scores were read from and its model ([`ModelColumn`]); `None`: `score`, the
    /// first model's.
    pub column: Option<ModelColumn>,
    /// `eval --scores`: the file read and its `--where` filter (recorded in the run block).
    pub file: Option<PathBuf>,
    pub filter: Option<String>,
    /// How a score file of no known format was read (empty otherwise).
    pub mapping: Mapping,
    /// `eval --api` / `--responses`: the API that scored (no model ran here).
    pub api: Option<ApiRun>,
    /// `--labels`: the dataset whose labels were joined onto the score file.
    pub labels: Option<Labels>,
    /// The other models' scores of the same file (a multi-model run), primary excluded: they get a
    /// `comparison` block.
    pub others: Vec<(String, Vec<Presentation>)>,
}

/// `--labels`: the dataset, its name as given, and what the join did.
pub struct Labels {
    pub dataset: crate::dataset::Dataset,
    pub name: String,
    pub report: crate::scoreset::labels::JoinReport,
}

/// The `--labels` dataset, opened by the same loaders (and --kind, --layout, --split) as a DATASET.
fn labels_of(root: &Path, args: &EvalArgs) -> Result<(crate::dataset::Dataset, String)> {
    let spec = DatasetSpec {
        root: root.to_path_buf(),
        kind: Some(args.kind.clone()),
        layout: args.layout.clone(),
        split: args.split.clone(),
    };
    let ds = dataset::open(&spec).with_context(|| format!("--labels {}", root.display()))?;
    crate::escape::tell!("{}", summarize(&ds)?);
    Ok((ds, root.display().to_string()))
}

/// Scores -> metrics.json, sweep.csv, the summary and the report in `out`. Shared by `eval` and `merge`,
/// so that a merged run's files are the ones one `eval` writes. The frames may be records or a score
/// file's columns ([`crate::scorefile::columnar`]); what is made of records (vendor decisions, strata,
/// videos, folds, the full system, the model comparison) takes them as records.
pub fn finish<F: Presentations + ?Sized>(
    out: &Path,
    source: &Source,
    frames: &F,
    recipe: &Recipe,
    spec: &EngineSpec,
    settings: &Settings,
    coverage: &Coverage,
) -> Result<ExitCode> {
    let column = source.column.clone().unwrap_or_else(|| ModelColumn {
        model: spec.descriptors.first().map(|d| d.name.clone()),
        column: crate::schema::columns::SCORE.to_owned(),
        models: crate::model::descriptor::score_models(&spec.descriptors),
        named: false,
    });
    let vendor = match source.mapping.decision {
        Some(_) => super::eval_decisions::report(&frames.records(), &source.mapping)?,
        None => None,
    };
    if let Some(vendor) = vendor.as_ref().filter(|_| super::eval_decisions::only(frames)) {
        let frames = frames.records();
        return super::eval_decisions::finish(out, source, &frames, recipe, spec, settings, coverage, &column, vendor);
    }
    // `--segment-by COLUMN:BUCKETS`: the column's values become bucket labels (a copy only then).
    let (segment_columns, cuts) = parse_segment_by(&recipe.segment_by)?;
    let made = Made { column, vendor, segment_columns, strata: Vec::new(), videos: None };
    if cuts.is_empty() && recipe.videos.is_none() {
        return evaluated(out, source, frames, frames, recipe, spec, settings, coverage, &cuts, made);
    }
    let mut frames = frames.records().into_owned();
    let strata = match cuts.is_empty() {
        true => Vec::new(),
        false => stratify(&mut frames, &cuts)?,
    };
    // `--group-by`: the presentations are videos; the frames are kept for the frame-level figures.
    match &recipe.videos {
        Some(g) => {
            let (videos, summary) = aggregate(&frames, g)?;
            let made = Made { strata, videos: Some(summary), ..made };
            evaluated(out, source, &frames, &videos, recipe, spec, settings, coverage, &cuts, made)
        }
        None => {
            evaluated(out, source, &frames, &frames, recipe, spec, settings, coverage, &cuts, Made { strata, ..made })
        }
    }
}

/// What [`finish`] worked out before evaluating: the column read, the vendor's decisions, the segment
/// columns asked for, the strata cut and the videos made.
struct Made {
    column: ModelColumn,
    vendor: Option<crate::metrics::decisions::DecisionReport>,
    segment_columns: Vec<String>,
    strata: Vec<crate::metrics::strata::StratumReport>,
    videos: Option<crate::metrics::aggregate::Summary>,
}

/// [`finish`] once the frames are cut into strata and grouped into `presentations` (the frames
/// themselves when not grouped).
#[allow(clippy::too_many_arguments)]
fn evaluated<F: Presentations + ?Sized, P: Presentations + ?Sized>(
    out: &Path,
    source: &Source,
    frames: &F,
    presentations: &P,
    recipe: &Recipe,
    spec: &EngineSpec,
    settings: &Settings,
    coverage: &Coverage,
    cuts: &[crate::metrics::strata::Stratum],
    made: Made,
) -> Result<ExitCode> {
    let Made { column, vendor, segment_columns, strata, videos } = made;
    // Each model's threshold: calibrated on its own column of the dev file, else the run's.
    let threshold_of = |model: Option<&str>| -> Result<(f64, String)> {
        Ok(match &recipe.calibrate_on {
            Some(dev_file) => {
                // The same model's scores of the dev split, by the same rule (aggregated the same way).
                let dev = ScoreSet::load(Selector {
                    path: dev_file,
                    model,
                    filter: None,
                    flip: recipe.flip,
                    mapping: Some(&source.mapping),
                    keep: &[],
                    // A vendor's dev file holds ids only too: the same dataset labels it.
                    labels: source.labels.as_ref().map(|l| (&l.dataset, l.name.as_str())),
                })?
                .presentations;
                let dev = match &recipe.videos {
                    Some(g) => aggregate(&dev, g).with_context(|| format!("grouping {}", dev_file.display()))?.0,
                    None => dev,
                };
                let t = crate::calibrate::threshold_for(&dev, recipe.calibrate_target)
                    .with_context(|| format!("calibrating on {}", dev_file.display()))?;
                (t, format!("{} on {}", recipe.calibrate_target, dev_file.display()))
            }
            None => match recipe.threshold {
                Some(t) => (t, format!("--threshold {t} (over policy {})", settings.policy.name)),
                None => (settings.policy.threshold, format!("policy {}", settings.policy.name)),
            },
        })
    };
    let (threshold, threshold_source) = threshold_of(column.model.as_deref())?;
    let mapped_segments = source.mapping.segment_names();
    let options = EvalOptions {
        threshold,
        operating_rates: crate::metrics::DEFAULT_OPERATING_RATES.to_vec(),
        segments: Some(SegmentOptions {
            // --segment-by, else the columns a mapping kept (--segment-columns), else the engine's rule.
            columns: match (&segment_columns[..], &mapped_segments[..]) {
                ([], []) => None,
                ([], kept) => Some(kept.to_vec()),
                (asked, _) => Some(asked.to_vec()),
            },
            min_count: recipe.min_segment,
        }),
        bootstrap: (recipe.bootstrap > 0)
            .then_some(BootstrapOptions { resamples: recipe.bootstrap, seed: recipe.seed }),
        policy: Some(super::band_policy(&settings.policy, recipe.attempts.clone())),
    };
    let evaluation = evaluate_set(presentations, &options)?;
    let comparison = compare_models(presentations, &evaluation, &column, source, cuts, recipe, &options, threshold_of)?;
    let bootstrap = (recipe.bootstrap > 0).then_some((recipe.bootstrap, recipe.seed));
    // A shard's subjects are scattered over the shards: its enrolment would not be the whole run's, so
    // the full-system figures are the merged run's alone.
    let matching = recipe.matching.as_ref().filter(|_| source.shard.is_none());
    if let (Some(_), Some(s)) = (&recipe.matching, source.shard) {
        eprintln!("shard {s}: descriptors written; the full-system figures come from `liveness merge` of all shards");
    }
    let full_system = matching
        .map(|m| {
            crate::metrics::full_system::run_folder::evaluate_run(
                out,
                &presentations.records(),
                m,
                threshold,
                bootstrap,
            )
        })
        .transpose()?;
    let mut sweep = Vec::new();
    write_sweep_csv(&evaluation.sweep, &mut sweep)?;
    // Each compared model's sweep beside the run's (the report's overlaid curves), recorded in its row.
    let comparison = comparison.map(|(mut c, sweeps)| {
        for (i, row) in c.models.iter_mut().enumerate() {
            let bytes = if i == 0 { &sweep } else { &sweeps[i - 1] };
            row.sweep_csv =
                Some(ModelSweep { file: model_sweep_csv(i), record: crate::run::sweep_check::record(bytes) });
        }
        (c, sweeps)
    });
    let at = Applied { column: &column, threshold, threshold_source, sweep: Some(&sweep) };
    let run_info = run_info(source, presentations, recipe, spec, settings, coverage, at);
    if let Some(note) = coverage.note() {
        crate::escape::tell!("warning: {note}");
    }
    let mut doc = MetricsDocument::new(evaluation.report, run_info);
    doc.strata = (!strata.is_empty()).then_some(strata);
    doc.labels = source.labels.as_ref().map(|l| l.report.clone());
    // Scores and the vendor's own decisions: the vendor's figures beside the threshold's.
    doc.decisions = vendor;
    if let Some(summary) = videos {
        // The frame-level figures at the same threshold, beside the video-level ones.
        let frame_level = evaluate_set(frames, &options)?;
        doc.aggregation = Some(Aggregation { summary, frame_level: frame_level.report });
    }
    // The document keeps the full-system and comparison reports; the comparisons and sweeps stay here.
    let full_system = full_system.map(|(comparisons, fs)| {
        doc.full_system = Some(fs);
        comparisons
    });
    let model_sweeps = comparison.map(|(c, sweeps)| {
        doc.comparison = Some(c);
        sweeps
    });
    let epc_csv = super::eval_bob::add_blocks(&mut doc, &evaluation.sweep, &options, recipe.legacy_metrics)?;
    if let Some(spec) = &recipe.folds {
        doc.folds = Some(super::eval_bob::folds(&presentations.records(), spec, recipe.calibrate_target)?);
    }
    // How well the split's scores are calibrated, raw and after the policy's probability map.
    let probability = settings.policy.probability.as_ref();
    doc.probability = Some(crate::metrics::calibration::probability_report(presentations, probability));
    let sweep_path = out.join(SWEEP_CSV);
    crate::run::atomic::write(&sweep_path, &sweep)?;
    crate::run::atomic::write(&out.join(EPC_CSV), &epc_csv)?;
    for (i, bytes) in model_sweeps.iter().flatten().enumerate() {
        crate::run::atomic::write(&out.join(model_sweep_csv(i + 1)), bytes)?;
    }
    // Written last: a metrics.json on disk means the sweep beside it is whole.
    crate::run::atomic::write(&out.join(METRICS_JSON), doc.to_file_text()?)?;
    crate::escape::say!("{}", terminal::summary(&doc));
    if let Some(rule) = source.mapping.on_file_scale(threshold) {
        crate::escape::say!("threshold {threshold} on the live scale: {rule}");
    }
    if let Some(fs) = &doc.full_system {
        crate::escape::say!("{}", crate::metrics::full_system::run_folder::table(fs));
    }
    crate::escape::say!("{}", crate::report::bob::terminal(&crate::report::bob::Measures::of(&doc)));
    if let Some(folds) = &doc.folds {
        crate::escape::say!("{}", crate::report::folds::terminal(folds));
    }
    if let Some(c) = &doc.comparison {
        crate::escape::say!("{}", crate::report::comparison::terminal(c));
    }
    // The report reads the files just written, exactly as `liveness report` would later.
    let report = crate::report::write_report(out, out)
        .with_context(|| format!("metrics are in {}, but the report could not be written", out.display()))?;
    if let Some(comparisons) = &full_system {
        let chart = super::full_system::write(out, comparisons)?;
        crate::escape::say!("full-system sweep over both thresholds: {}", chart.display());
    }
    crate::escape::say!("run folder: {} (report: {})", out.display(), report.html.display());
    // Any frame without a score is worth the exit code, even when its video was scored by others.
    let non_responses = (0..frames.count()).filter(|&i| frames.score(i).is_none()).count();
    Ok(if non_responses > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// The `comparison` block of a multi-model run: every model's scores through the same strata, video
/// aggregation and evaluation options as the primary's, each at its own threshold (`threshold_of`). `cuts`
/// are the `--segment-by` strata the primary's frames were cut by, parsed once. Returned with the other
/// models' `sweep.csv` bytes, in the block's order.
#[allow(clippy::too_many_arguments)]
fn compare_models<P: Presentations + ?Sized>(
    presentations: &P,
    evaluation: &crate::metrics::Evaluation,
    column: &ModelColumn,
    source: &Source,
    cuts: &[crate::metrics::strata::Stratum],
    recipe: &Recipe,
    options: &EvalOptions,
    threshold_of: impl Fn(Option<&str>) -> Result<(f64, String)>,
) -> Result<Option<(Comparison, Vec<Vec<u8>>)>> {
    if source.others.is_empty() {
        return Ok(None);
    }
    let presentations = &presentations.records()[..];
    let mut prepared = Vec::new();
    for (model, frames) in &source.others {
        let mut frames = frames.clone();
        if !cuts.is_empty() {
            stratify(&mut frames, cuts)?;
        }
        let presentations = match &recipe.videos {
            Some(g) => aggregate(&frames, g)?.0,
            None => frames,
        };
        let (threshold, _) = threshold_of(Some(model))?;
        let evaluation = evaluate(&presentations, &EvalOptions { threshold, ..options.clone() })?;
        prepared.push((model.as_str(), presentations, threshold, evaluation));
    }
    let primary = column.model.as_deref().unwrap_or("primary");
    let mut scorers =
        vec![Scorer { model: primary, presentations, threshold: options.threshold, report: &evaluation.report }];
    scorers.extend(prepared.iter().map(|(model, presentations, threshold, evaluation)| Scorer {
        model,
        presentations,
        threshold: *threshold,
        report: &evaluation.report,
    }));
    let bootstrap = BootstrapOptions { resamples: recipe.bootstrap.max(200), seed: recipe.seed };
    let comparison = crate::metrics::comparison::compare(&scorers, bootstrap)?;
    let mut sweeps = Vec::new();
    for (_, _, _, evaluation) in &prepared {
        let mut bytes = Vec::new();
        write_sweep_csv(&evaluation.sweep, &mut bytes)?;
        sweeps.push(bytes);
    }
    Ok(Some((comparison, sweeps)))
}

/// What a run applied to its presentations: the column read, the threshold and where it came from, and
/// the sweep written (`None`: a decision-only run has no sweep).
pub(super) struct Applied<'a> {
    pub column: &'a ModelColumn,
    pub threshold: f64,
    pub threshold_source: String,
    pub sweep: Option<&'a [u8]>,
}

/// The `run` block of a run's metrics document.
pub(super) fn run_info<P: Presentations + ?Sized>(
    source: &Source,
    presentations: &P,
    recipe: &Recipe,
    spec: &EngineSpec,
    settings: &Settings,
    coverage: &Coverage,
    at: Applied,
) -> RunInfo {
    RunInfo {
        // An API run lists no local model: what the API reports of itself is in `api`.
        models: source.api.is_none().then(|| spec.descriptors.iter().map(super::model_info).collect()),
        scored_with_models: Some(source.scored_with_models),
        backend: source.scored_with_models.then(|| spec.backend.name().to_string()),
        model: at.column.model.clone(),
        score_column: Some(at.column.column.clone()),
        score_file: source.file.as_ref().map(|f| f.display().to_string()),
        filter: source.filter.clone(),
        mapping: source.mapping.is_given().then(|| source.mapping.clone()),
        flip: Some(recipe.flip),
        shard: source.shard.map(|s| s.to_string()),
        // Only an incomplete set carries the block, so complete runs stay byte-identical however made.
        coverage: (!coverage.is_complete()).then(|| coverage.info()).flatten(),
        // Recorded so that a sweep.csv cut or edited later is refused before charts are drawn from it.
        sweep_csv: at.sweep.map(crate::run::sweep_check::record),
        api: source.api.clone(),
        ..super::run_block(
            source.text.clone(),
            &settings.policy,
            (at.threshold, at.threshold_source),
            presentations.count(),
            fingerprint_set(presentations),
        )
    }
}

fn stem(p: &Path) -> String {
    p.file_stem().map_or_else(|| "scores".to_string(), |s| s.to_string_lossy().into_owned())
}
