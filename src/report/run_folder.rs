//! A run folder read back: `metrics.json` (the document every table is rendered from) and the thinned
//! `sweep.csv` (the curves). The folder is the report's only input, so `liveness report DIR` gives the
//! same report as the end of `liveness eval` without rescoring.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use super::sweep_table::SweepTable;
use crate::metrics::MetricsDocument;
use crate::schema::run_folder::{METRICS_JSON, SWEEP_CSV};

#[derive(Debug, Clone)]
pub struct RunFolder {
    pub dir: PathBuf,
    pub doc: MetricsDocument,
    /// `doc` as JSON, for the renderers of the blocks that are typed in the "typed-blocks" branch of issue 9
    /// (they read it by path until that merge, which removes this field).
    pub json: Value,
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
        let json = doc.to_json()?;
        Ok(RunFolder { dir: dir.to_path_buf(), doc, json, sweep })
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
pub(crate) mod tests {
    use super::*;
    use crate::schema::ModelInfo;

    /// A minimal run folder: two species, four bona fide, a threshold of 0.5 and bands 0.75 / 0.5 (the
    /// figures not stated here are a whole document's, see `completed`).
    pub fn sample_folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let ci = |k: u64, n: u64| serde_json::to_value(crate::metrics::clopper_pearson(k, n)).unwrap();
        let doc = crate::metrics::document::tests::completed(serde_json::json!({
            "schema_version": "1",
            "counts": {"bona_fide": {"scored": 4, "total": 4, "non_responses": 0, "non_response_reasons": {}},
                       "species": {"print": {"scored": 2, "total": 3, "non_responses": 1, "non_response_reasons": {"no_face": 1}},
                                   "replay": {"scored": 2, "total": 2, "non_responses": 0, "non_response_reasons": {}}}},
            "at_threshold": {"threshold": 0.5,
                "bona_fide": {"bpcer": {"value": 0.25, "k": 1, "n": 4, "ci95": ci(1, 4)}},
                "species": {"print": {"apcer": {"value": 0.5, "k": 1, "n": 2, "ci95": ci(1, 2)}},
                            "replay": {"apcer": {"value": 0.0, "k": 0, "n": 2, "ci95": ci(0, 2)},
                                       "apnrr": {"value": 0.0, "k": 0, "n": 2, "ci95": ci(0, 2)},
                                       "apcer_sys": {"value": 0.0, "k": 0, "n": 2, "ci95": ci(0, 2)}}},
                "attack": {"apcer_max": {"value": 0.5, "k": 1, "n": 2, "ci95": ci(1, 2), "species": "print"}, "apcer_pooled": {"value": 0.25, "k": 1, "n": 4, "ci95": ci(1, 4)}}},
            "threshold_free": {"eer_pooled": {"value": 0.25, "threshold": 0.6, "apcer_pooled": 0.25, "bpcer": 0.25}, "auc_pooled": {"value": 0.8}},
            "segments": {"value": null, "reason": "not requested"},
            "decision_bands": {"pass": 0.75, "retry": 0.5},
            "run": {"models": [{"name": "silentface", "origin": "builtin:silentface", "members": []}], "scored_with_models": true, "source": "data"}
        }));
        std::fs::write(dir.path().join(METRICS_JSON), doc.to_string()).unwrap();
        std::fs::write(
            dir.path().join(SWEEP_CSV),
            "threshold,apcer[print],apcer[replay],apcer_max,apcer_pooled,bpcer\n+inf,0,0,0,0,1\n0.9,0.5,0,0.5,0.25,0.75\n0.6,0.5,0,0.5,0.25,0.25\n0.4,0.5,0.5,0.5,0.5,0\n0.1,1,1,1,1,0\n",
        )
        .unwrap();
        dir
    }

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
