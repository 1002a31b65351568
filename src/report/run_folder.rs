//! A run folder read back: `metrics.json` (the document every table is rendered from) and the thinned
//! `sweep.csv` (the curves). The folder is the report's only input, so `liveness report DIR` gives the
//! same report as the end of `liveness eval` without rescoring.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::sweep_table::SweepTable;
use crate::metrics::MetricsDocument;
use crate::schema::run_folder::{METRICS_JSON, SWEEP_CSV};

#[derive(Debug, Clone)]
pub struct RunFolder {
    pub dir: PathBuf,
    pub doc: MetricsDocument,
    pub sweep: SweepTable,
}

/// A run folder's `metrics.json` document, checked to be one (the error names the file and, when a
/// block does not read, what is wrong with it).
pub fn read_metrics(dir: &Path) -> Result<MetricsDocument> {
    let metrics = dir.join(METRICS_JSON);
    let text = std::fs::read_to_string(&metrics)
        .with_context(|| format!("{} is not a run folder: cannot read {METRICS_JSON}", dir.display()))?;
    MetricsDocument::parse(&text, &metrics.display().to_string())
}

impl RunFolder {
    pub fn load(dir: &Path) -> Result<RunFolder> {
        RunFolder::from_metrics(dir, read_metrics(dir)?)
    }

    /// The run folder around an already read `metrics.json` document (reads and thins `sweep.csv`).
    pub fn from_metrics(dir: &Path, doc: MetricsDocument) -> Result<RunFolder> {
        crate::run::sweep_check::verify_record(&dir.join(SWEEP_CSV), doc.run.sweep_csv.as_ref())?;
        let sweep = SweepTable::read(&dir.join(SWEEP_CSV))?;
        Ok(RunFolder { dir: dir.to_path_buf(), doc, sweep })
    }

    /// The model whose score was evaluated (the first one given; others were only scored alongside),
    /// or `scores` when the run read a score file without a model.
    pub fn models(&self) -> String {
        let run = &self.doc.run;
        let names: Vec<&str> = run.models.iter().flatten().map(|m| m.name.as_str()).collect();
        match names[..] {
            _ if run.scored_with_models == Some(false) => run.model.as_deref().unwrap_or("scores").to_owned(),
            [] => "scores".to_owned(),
            [one] => one.to_owned(),
            [first, ..] => format!("{first}, also scored: {}", names[1..].join(", ")),
        }
    }

    /// A name for legends and headings: the folder name and the model.
    pub fn label(&self) -> String {
        let folder =
            self.dir.file_name().map_or_else(|| self.dir.display().to_string(), |n| n.to_string_lossy().into_owned());
        format!("{folder} ({})", self.models())
    }

    /// The decision threshold the run was evaluated at, when finite.
    pub fn threshold(&self) -> Option<f64> {
        self.doc.at_threshold.as_ref()?.threshold.finite()
    }

    /// Scored presentations of the bona fide class.
    pub fn bona_fide_scored(&self) -> u64 {
        self.doc.counts.as_ref().map_or(0, |c| c.bona_fide.scored)
    }

    /// Scored presentations of one species.
    pub fn species_scored(&self, species: &str) -> u64 {
        self.doc.counts.as_ref().and_then(|c| c.species.get(species)).map_or(0, |c| c.scored)
    }

    /// The policy's band limits (pass, retry), when the run had a policy.
    pub fn bands(&self) -> Option<(f64, f64)> {
        let b = self.doc.decision_bands.as_ref()?.value()?;
        Some((b.pass.finite()?, b.retry.finite()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ModelInfo;
    use crate::test_support::sample_folder;

    #[test]
    fn loads_and_answers() {
        let dir = sample_folder();
        let run = RunFolder::load(dir.path()).unwrap();
        assert_eq!(run.models(), "silentface");
        let mut two = run.clone();
        let model =
            |name: &str| ModelInfo { name: name.into(), origin: format!("builtin:{name}"), members: Vec::new() };
        two.doc.run.models = Some(vec![model("silentface"), model("minifas128")]);
        assert_eq!(two.models(), "silentface, also scored: minifas128");
        two.doc.run.scored_with_models = Some(false);
        assert_eq!(two.models(), "scores");
        two.doc.run.model = Some("minifas128".into());
        assert_eq!(two.models(), "minifas128");
        assert_eq!((run.threshold(), run.bona_fide_scored(), run.species_scored("print")), (Some(0.5), 4, 2));
        assert_eq!(run.bands(), Some((0.75, 0.5)));
        assert_eq!(run.sweep.rows.len(), 5);
        let err = RunFolder::load(&dir.path().join("missing")).unwrap_err();
        assert!(format!("{err:#}").contains("not a run folder"), "{err:#}");
    }
}
