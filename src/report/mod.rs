//! Presenting an evaluation. Everything here renders from a run folder's `metrics.json` document (and the
//! files beside it), never from in-memory state, so a report can be regenerated without rescoring.
//!
//! `write_report` turns a run folder into index.html, report.md, charts/ (SVG + PNG) and thumbs/;
//! `write_comparison` overlays several runs. What the report says is decided once in `document`;
//! `html` and `markdown` only render it.

pub mod aggregation;
pub mod bob;
pub mod charts;
pub mod comparison;
pub mod cross;
pub mod decisions;
pub mod document;
pub mod folds;
pub mod full_system;

pub mod gallery;
pub mod html;
pub mod markdown;
pub mod probability;
pub mod run_folder;
pub mod runs_compared;
pub mod sweep_table;
pub mod terminal;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, ensure};

use charts::bands::BandsChart;
use charts::det::DetChart;
use charts::distribution::DistributionChart;
use charts::roc::RocChart;
use charts::segments::SegmentsChart;
use charts::sweep::SweepChart;
use charts::{Rendered, render, stem};
use run_folder::RunFolder;

pub use crate::schema::run_folder::{CHARTS_DIR, COMPARISON_JSON, INDEX_HTML, REPORT_MD, THUMBS_DIR};

/// What a report wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub html: PathBuf,
    pub markdown: PathBuf,
    pub charts: usize,
}

/// Writes the report of the run folder `run_dir` into `out` (usually the same folder).
pub fn write_report(run_dir: &Path, out: &Path) -> Result<Written> {
    let doc = run_folder::read_metrics(run_dir)?;
    fresh_dir(&out.join(CHARTS_DIR))?;
    fresh_dir(&out.join(THUMBS_DIR))?;
    // A vendor's decisions without scores: no sweep, so no chart or gallery, and the report says why.
    let Some(scored) = doc.scored() else {
        let vendor = decisions::Vendor::of(&doc)
            .ok_or_else(|| anyhow!("{}: the metrics document has neither figures nor decisions", run_dir.display()))?;
        let (title, blocks) = decisions::decision_only_report(&vendor, &doc.run);
        return write_pages(out, &title, &blocks, 0);
    };
    // The gallery scans the score file while the sweep is read and the charts drawn: on a large run
    // these are the two long passes, over two different files.
    let (charts, gallery) = std::thread::scope(|s| {
        let gallery = s.spawn(|| gallery::build(run_dir, &doc));
        let charts = RunFolder::from_metrics(run_dir, doc.clone())
            .and_then(|run| run_charts(&run, &out.join(CHARTS_DIR)).map(|charts| (run, charts)));
        (charts, gallery.join().map_err(|_| anyhow!("the gallery thread panicked")))
    });
    let (run, charts) = charts?;
    let full_system = full_system::chart(run_dir, doc.full_system.as_ref(), &out.join(CHARTS_DIR))?;
    let mut gallery = gallery??;
    if let Some(g) = &mut gallery {
        write_thumbnails(&mut g.false_accepts, "false-accept", out)?;
        write_thumbnails(&mut g.false_rejects, "false-reject", out)?;
    }
    let calibration = doc.probability.as_ref().and_then(crate::metrics::Metric::value);
    let reliability = probability::chart(calibration, &out.join(CHARTS_DIR))?;
    let measures = bob::Measures::of(&doc);
    let epc = bob::chart(measures.bob, &out.join(CHARTS_DIR))?;
    let models = comparison::charts(&run.dir, doc.comparison.as_ref(), &out.join(CHARTS_DIR))?;
    let n = charts.len()
        + models.len()
        + usize::from(full_system.is_some())
        + usize::from(reliability.is_some())
        + usize::from(epc.is_some());
    // The optional sections, each built by its own module from the run's files.
    let mut sections = comparison::blocks(doc.comparison.as_ref(), models);
    sections.extend(aggregation::blocks(doc.aggregation.as_ref(), &scored));
    sections.extend(decisions::blocks(decisions::Vendor::of(&doc).as_ref()));
    sections.extend(full_system::blocks(doc.full_system.as_ref(), full_system));
    sections.extend(probability::blocks(calibration, reliability));
    sections.extend(bob::blocks(&measures, &scored.threshold_free.eer_pooled, epc));
    sections.extend(folds::blocks(doc.folds.as_ref()));
    let (title, blocks) = document::run_report(&run, scored, charts, sections, gallery);
    write_pages(out, &title, &blocks, n)
}

/// Writes the comparison of several run folders, or of `models` of them, into `out`: with several runs
/// their table and DET overlay, then the models compared on the presentations they share
/// (`comparison.json`, each model's sweep, and the "Models compared" section of a multi-model `eval`).
pub fn write_comparison(
    run_dirs: &[PathBuf],
    models: Option<&[String]>,
    bootstrap: crate::metrics::BootstrapOptions,
    out: &Path,
) -> Result<Written> {
    let runs = run_dirs.iter().map(|d| RunFolder::load(d)).collect::<Result<Vec<_>>>()?;
    let here = std::fs::canonicalize(out).ok();
    for run in run_dirs {
        ensure!(
            here.is_none() || std::fs::canonicalize(run).ok() != here,
            "--out {} is one of the runs compared: give a folder of its own (the comparison writes sweep.csv and \
             index.html, which would overwrite the run's)",
            out.display()
        );
    }
    let (compared, sweeps) = runs_compared::compare_runs(&runs, models, bootstrap)?;
    fresh_dir(&out.join(CHARTS_DIR))?;
    for (i, bytes) in sweeps.iter().enumerate() {
        crate::run::atomic::write(&out.join(crate::schema::run_folder::model_sweep_csv(i)), bytes)?;
    }
    let doc = serde_json::to_value(&compared)?;
    crate::run::atomic::write(&out.join(COMPARISON_JSON), serde_json::to_string_pretty(&doc)?)?;
    let models = comparison::charts(out, Some(&compared.comparison), &out.join(CHARTS_DIR))?;
    // The runs' own curves differ from the models' only where the runs hold other presentations too.
    let differ = compared.entrants.iter().any(|e| e.presentations != compared.shared);
    let (title, mut blocks, mut n) = match runs.len() {
        1 => ("PAD evaluation: models compared".to_owned(), Vec::new(), 0),
        _ => {
            let series: Vec<_> = runs.iter().map(charts::series::Series::of_run).collect();
            let det = differ
                .then(|| {
                    render(
                        &DetChart::overlay(&series, "DET curves (pooled attacks), runs compared"),
                        "det-overlay",
                        "DET curves of the runs, each on all its presentations (pooled attacks): cross = EER, dot = \
                         each run's operating threshold",
                        &out.join(CHARTS_DIR),
                    )
                })
                .transpose()?;
            let drawn = usize::from(det.is_some());
            let (title, blocks) = document::comparison(&runs, det);
            (title, blocks, drawn)
        }
    };
    n += models.len();
    blocks.extend(runs_compared::blocks(&compared));
    blocks.extend(comparison::blocks(Some(&compared.comparison), models));
    write_pages(out, &title, &blocks, n)
}

fn run_charts(run: &RunFolder, dir: &Path) -> Result<Vec<Rendered>> {
    let mut out = vec![
        render(
            &DetChart::of_run(run),
            "det",
            "DET curve: APCER against BPCER per species and pooled (normal-deviate axes); cross = EER, dot = operating threshold, shading = 95% CI of BPCER",
            dir,
        )?,
        render(
            &RocChart::of_run(run),
            "roc",
            "ROC curve: bona fide acceptance against APCER (log scale), AUC in the legend",
            dir,
        )?,
        render(
            &DistributionChart::of_run(run),
            "distribution",
            "Score distributions of bona fide and each species over the pass / retry / fail bands",
            dir,
        )?,
        render(
            &SweepChart::of_run(run),
            "sweep",
            "Threshold sweep: APCER per species and worst species, and BPCER, against the threshold",
            dir,
        )?,
    ];
    for chart in SegmentsChart::of_run(run) {
        let caption =
            format!("APCER (worst species) and BPCER per {} with 95% intervals; outlined: worst segment", chart.column);
        out.push(render(&chart, &stem(&["segments", &chart.column]), &caption, dir)?);
    }
    if let Some(chart) = BandsChart::of_run(run) {
        out.push(render(&chart, "bands", "Band outcomes: share of each class in pass / retry / fail", dir)?);
    }
    Ok(out)
}

fn write_thumbnails(cases: &mut [gallery::Case], prefix: &str, out: &Path) -> Result<()> {
    for (i, case) in cases.iter_mut().enumerate() {
        if let Ok(jpeg) = &case.thumbnail {
            let name = format!("{THUMBS_DIR}/{prefix}-{:02}.jpg", i + 1);
            std::fs::write(out.join(&name), jpeg).with_context(|| format!("cannot write {name}"))?;
            case.thumbnail_file = Some(name);
        }
    }
    Ok(())
}

fn write_pages(out: &Path, title: &str, blocks: &[document::Block], charts: usize) -> Result<Written> {
    let html = out.join(INDEX_HTML);
    crate::run::atomic::write(&html, html::render(title, blocks))?;
    let markdown = out.join(REPORT_MD);
    crate::run::atomic::write(&markdown, markdown::render(title, blocks))?;
    Ok(Written { html, markdown, charts })
}

/// An empty folder owned by the report (its old charts or thumbnails would otherwise linger).
fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}
