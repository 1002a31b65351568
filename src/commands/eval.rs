//! `liveness eval`: dataset (or score file) -> scores.csv -> metrics.json, sweep.csv and a summary.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use super::{Context, workers};
use crate::cli::EvalArgs;
use crate::dataset::{self, DatasetSpec, summary::summarize};
use crate::metrics::{BootstrapOptions, EvalOptions, Policy as BandPolicy, SegmentOptions, evaluate, write_sweep_csv};
use crate::report::terminal;
use crate::run::{default_folder, score_dataset, utc_now_iso};
use crate::schema::Presentation;
use crate::schema::RunInfo;
use crate::schema::run_folder::{METRICS_JSON, SWEEP_CSV};
use crate::scorefile::{ReadOptions, fingerprint, read_scores};

pub fn run(ctx: &Context, args: &EvalArgs) -> Result<ExitCode> {
    let (spec, settings) = ctx.scoring_setup(&args.model)?;
    let read = ReadOptions { flip: args.flip };
    let models: Vec<String> = spec.descriptors.iter().map(|d| d.name.clone()).collect();
    let (source, out, presentations) = match (&args.scores, &args.dataset) {
        (Some(file), _) => {
            let out = args.out.clone().unwrap_or_else(|| default_folder(&stem(file), "scores"));
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            (file.display().to_string(), out, read_scores(file, read)?)
        }
        (None, Some(root)) => {
            let ds = dataset::open(&DatasetSpec {
                root: root.clone(),
                kind: Some(args.kind.clone()),
                layout: args.layout.clone(),
                split: args.split.clone(),
            })?;
            let summary = summarize(&ds)?;
            eprintln!("{summary}");
            let out = args.out.clone().unwrap_or_else(|| default_folder(&ds.name, &models.join("+")));
            let (scores, _) = score_dataset(&ds, &spec, &settings, &out, args.resume, workers(args.model.workers))?;
            (root.display().to_string(), out, read_scores(&scores, read)?)
        }
        (None, None) => bail!("give a DATASET folder or manifest, or --scores FILE"),
    };

    let (threshold, threshold_source) = match &args.calibrate_on {
        Some(dev) => {
            let dev_pres = read_scores(dev, read)?;
            let t = crate::calibrate::threshold_for(&dev_pres, args.calibrate_target)
                .with_context(|| format!("calibrating on {}", dev.display()))?;
            (t, format!("{} on {}", args.calibrate_target, dev.display()))
        }
        None => (settings.policy.threshold, format!("policy {}", settings.policy.name)),
    };
    let options = EvalOptions {
        threshold,
        operating_rates: crate::metrics::DEFAULT_OPERATING_RATES.to_vec(),
        segments: Some(SegmentOptions {
            columns: Some(segment_columns(&args.segment_by, &presentations)),
            min_count: args.min_segment,
        }),
        bootstrap: (args.bootstrap > 0).then_some(BootstrapOptions { resamples: args.bootstrap, seed: args.seed }),
        policy: Some(BandPolicy {
            pass: settings.policy.bands.pass,
            retry: settings.policy.bands.retry,
            attempts: args.attempts.clone(),
        }),
    };
    let evaluation = evaluate(&presentations, &options)?;
    let run_info = RunInfo {
        tool: super::tool_name(),
        command: std::env::args().collect(),
        created_utc: utc_now_iso(),
        source,
        models: Some(spec.descriptors.iter().map(super::model_info).collect()),
        scored_with_models: Some(args.scores.is_none()),
        model: None,
        policy: settings.policy.clone(),
        threshold,
        threshold_source,
        gate: None,
        flip: Some(args.flip),
        presentations: presentations.len(),
        dataset_fingerprint: fingerprint(&presentations),
    };
    let mut doc = serde_json::to_value(&evaluation.report)?;
    doc["run"] = serde_json::to_value(&run_info)?;
    let metrics_path = out.join(METRICS_JSON);
    std::fs::write(&metrics_path, serde_json::to_string_pretty(&doc)?)
        .with_context(|| format!("cannot write {}", metrics_path.display()))?;
    let sweep_path = out.join(SWEEP_CSV);
    let sweep_file =
        std::fs::File::create(&sweep_path).with_context(|| format!("cannot write {}", sweep_path.display()))?;
    write_sweep_csv(&evaluation.sweep, std::io::BufWriter::new(sweep_file))?;
    println!("{}", terminal::summary(&doc));
    // The report reads the files just written, exactly as `liveness report` would later.
    let report = crate::report::write_report(&out, &out)
        .with_context(|| format!("metrics are in {}, but the report could not be written", out.display()))?;
    println!("run folder: {} (report: {})", out.display(), report.html.display());
    let non_responses = presentations.iter().filter(|p| p.score.is_none()).count();
    Ok(if non_responses > 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// Most distinct values a metadata column may have to be segmented by default: beyond that (an image id, a
/// timestamp) segments are single presentations and say nothing.
const MAX_DEFAULT_SEGMENTS: usize = 50;

/// `--segment-by` as given, else every metadata column with 2 to 50 distinct values.
fn segment_columns(asked: &[String], presentations: &[Presentation]) -> Vec<String> {
    if !asked.is_empty() {
        return asked.to_vec();
    }
    let mut values: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> = Default::default();
    for p in presentations {
        for (k, v) in &p.meta {
            values.entry(k).or_default().insert(v);
        }
    }
    values
        .into_iter()
        .filter(|(_, v)| (2..=MAX_DEFAULT_SEGMENTS).contains(&v.len()))
        .map(|(k, _)| k.to_string())
        .collect()
}

fn stem(p: &Path) -> String {
    p.file_stem().map_or_else(|| "scores".to_string(), |s| s.to_string_lossy().into_owned())
}
