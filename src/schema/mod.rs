//! The data contracts every layer shares, in one place and importing only `std` and `serde`: what a
//! presentation is, the score-file columns and words, the run folder and its `run` block, and the
//! decision policy (threshold, bands, quality gates, calibration record, probability map).
//!
//! Why a layer of its own: scoring writes score files that evaluation reads back, `eval` writes a
//! metrics document that `gate`, `diff` and `report` read, `calibrate` writes policies that `score` and
//! `gate` apply. When each side spells these contracts itself they drift (two status words, two run
//! blocks, nine copies of the column list); here both sides take them from one definition, and nothing
//! in this layer can reach up into the code that uses it.
//!
//! Behaviour on top of the types (TOML parsing, hashing, CSV reading) stays with the layer that owns the
//! crate it needs: `policy` parses policies, `scorefile` reads score files and hashes fingerprints.

pub mod columns;
pub mod detector;
pub mod mapping;
pub mod model_file;
pub mod policy;
pub mod presentation;
pub mod probability;
pub mod run_folder;
pub mod score_columns;
pub mod vendor_decision;
pub mod vocabulary;

pub use columns::{ScoreFormat, is_reserved};
pub use detector::DETECTOR_FILE;
pub use policy::{
    Band, Bands, Bound, Calibration, Figure, ModelFile, MultiFace, Policy, QualityGates, Reached, TARGET_SYNTAX,
    Target, band, is_bona_fide,
};
pub use presentation::{Presentation, Presentations, UNKNOWN_SPECIES};
pub use probability::{FitFigures, IsotonicFit, PlattFit, Probability, ProbabilityMethod};
pub use run_folder::{MemberInfo, ModelInfo, RunInfo};
pub use score_columns::ScoreColumns;
pub use vendor_decision::{Decided, DecisionWord, VendorDecision};
pub use vocabulary::{Decision, Status};
