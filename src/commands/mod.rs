//! One module per subcommand; this file holds what they share: where models and configurations live.

pub mod bench;
pub mod calibrate;
pub mod diff;
pub mod eval;
pub mod gate;
pub mod merge;
pub mod models;
pub mod report;
pub mod score;
pub mod session;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;

use crate::cli::{Global, ModelOptions};
use crate::model::descriptor::{self, Descriptor};
use crate::policy::{self, Policy};
use crate::score::pipeline::{EngineSpec, Settings};

/// The face detector's file; its sha256 and URL are in configs/detectors/ultraface.toml.
pub const DETECTOR_FILE: &str = "ultraface_rfb_320.onnx";

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

    /// The descriptors and policy named by the model options, and the engine and settings they make.
    pub fn scoring_setup(&self, opts: &ModelOptions) -> Result<(EngineSpec, Settings)> {
        let catalog = self.catalog()?;
        let descriptors = opts.model.iter().map(|m| descriptor::resolve(m, &catalog)).collect::<Result<Vec<_>>>()?;
        let mut policy: Policy = policy::resolve(&opts.policy, &self.config_dirs)?;
        if let Some(t) = opts.threshold {
            anyhow::ensure!((0.0..=1.0).contains(&t), "--threshold must be within 0..1, got {t}");
            policy.threshold = t;
        }
        if let Some(m) = opts.multi_face {
            policy.quality.multi_face = m;
        }
        let spec = EngineSpec { models_dir: self.models_dir.clone(), detector_file: DETECTOR_FILE.into(), descriptors };
        let settings =
            Settings { policy, limits: crate::decode::DecodeLimits { max_pixels: opts.max_pixels }, given_box: None };
        Ok((spec, settings))
    }
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

/// Worker count: the option, else one per core.
pub fn workers(opt: Option<usize>) -> usize {
    opt.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}
