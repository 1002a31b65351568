//! Command-line definitions (clap). Behaviour lives in `commands/`; this file only says what can be asked.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::schema::{Bound, MultiFace, Target};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  every input was scored
  1  fatal error (model or ONNX Runtime missing, unreadable configuration); nothing was scored
  2  usage error (unknown option, bad value)
  3  some inputs could not be scored (each is listed with its reason); the others were";

pub const CONVENTIONS: &str = "\
Scores: the live (bona fide) probability in 0..1, and the same x100 as `score`. A presentation is
classified bona fide iff score >= threshold (ties go to bona fide). Bands: pass if score >= bands.pass,
retry if score >= bands.retry, else fail (configs/policies/*.toml).";

pub const METRIC_CONVENTIONS: &str = "\
Metric conventions (ISO/IEC 30107-3; in full in docs/metrics.md of the source repository):
  - bona fide iff score >= t; APCER_s(t) = share of scored attacks of species s with score >= t;
    APCER_max = worst species; APCER_pooled over all attacks; BPCER(t) = share of scored bona fide < t.
  - a missing score is a non-response: counted in BPNRR / APNRR (with reasons), left out of APCER/BPCER;
    the *_sys rates count a bona fide non-response as a rejection.
  - a vendor's own decisions (--decision-column): APCER/BPCER over the decided presentations; a retry or
    no_response is neither an accepted attack nor a rejected bona fide: it counts in APNRR/BPNRR (and
    BPCER_sys), with each class's retry share; no curves without scores.
  - candidate thresholds: every distinct score, plus +inf.
  - BPCER@APCER<=x (BPCER10/20/100 for x = 10/5/1%): lowest BPCER among candidates with APCER_max <= x,
    ties to the highest threshold. APCER@BPCER<=x: lowest APCER_max with BPCER <= x, ties to the lowest.
  - EER (pooled): from the highest threshold down, the first candidate i with APCER_pooled >= BPCER;
    linear interpolation between candidates i-1 and i; the threshold reported is candidate i's.
  - AUC = P(bona fide score > attack score) + 1/2 P(equal).
  - 95% intervals: exact Clopper-Pearson (zero errors: upper bound, rule of three 3/n noted); with a
    `subject` column also a subject-clustered bootstrap (seeded).";

pub const EVAL_EXIT_CODES: &str = "\
Exit codes: 0 metrics computed; 1 fatal error; 2 usage error; 3 metrics computed but some presentations
were not scored (non-responses are in the metrics).";

#[derive(Debug, Parser)]
#[command(
    name = "liveness",
    version,
    about = "Face liveness (presentation attack detection): score images and evaluate PAD models the ISO/IEC 30107-3 way"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Folder holding the ONNX files [default: $LIVENESS_MODELS, else ./models]
    #[arg(long, global = true, value_name = "DIR")]
    pub models_dir: Option<PathBuf>,
    /// Extra configuration folder with models/, policies/ and sessions/ *.toml [default: ./configs and $LIVENESS_CONFIG]
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score face images: live probability, decision, band and quality measures
    #[command(after_help = format!("{CONVENTIONS}\n\n{EXIT_CODES}"))]
    Score(ScoreArgs),
    /// Score a labelled dataset (or read a score file) and compute ISO/IEC 30107-3 metrics
    #[command(after_help = format!("{METRIC_CONVENTIONS}\n\n{EVAL_EXIT_CODES}"))]
    Eval(EvalArgs),
    /// List, verify or download model files
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Measure images/s and the time split decode / detect / classify, and ONNX Runtime's own floor
    Bench(BenchArgs),
    /// Regenerate a run folder's report (index.html, report.md, charts) without rescoring, or compare runs
    Report(ReportArgs),
    /// Choose the threshold and retry band meeting a target on a calibration split; write a policy
    #[command(after_help = METRIC_CONVENTIONS)]
    Calibrate(CalibrateArgs),
    /// Check a score set against declarative criteria (TOML) at a policy's threshold; for CI
    #[command(after_help = GATE_EXIT_CODES)]
    Gate(GateArgs),
    /// What changed between two runs on the same presentations: rate changes, flipped decisions,
    /// McNemar, score distribution shift (KS), calibrated threshold movement
    Diff(DiffArgs),
    /// Fuse several PAD models: fit a rule (logistic, mean, max) on a dev split of a multi-model score
    /// file and write a descriptor usable as --model; optionally compare it with each member on an eval split
    Fuse(FuseArgs),
    /// Active liveness: score sessions (frame sequences, with or without challenges), draw challenges
    #[command(subcommand)]
    Session(SessionCommand),
    /// Merge the run folders of `eval --shard I/N` into the run one `eval` would have written
    #[command(after_help = MERGE_NOTES)]
    Merge(MergeArgs),
    /// Serve scoring and sessions over HTTP: POST /v1/liveness, /v1/sessions; /healthz, /readyz, /metrics
    #[command(after_help = SERVE_NOTES)]
    Serve(ServeArgs),
    /// Face compare 1:1 with liveness: distance of a probe to a gallery identity, match, the probe's
    /// liveness, and the combined decision (match AND live)
    #[command(after_help = MATCH_CONVENTIONS)]
    Compare(CompareArgs),
    /// The persons gallery (SQLite): enrol identities after a liveness check, list them
    #[command(subcommand)]
    Persons(PersonsCommand),
    /// Face search 1:N with liveness: the nearest enrolled identities, or unknown past the threshold
    #[command(after_help = MATCH_CONVENTIONS)]
    Search(SearchArgs),
}

pub const MATCH_CONVENTIONS: &str = "\
Matching conventions (face-api.js FaceMatcher; ../shared/models/FACE_RECOGNITION.md):
  - distance = Euclidean distance between 128-D descriptors; against several images of one identity,
    the mean of the distances. Same person iff distance < match threshold (strict).
  - liveness: the probe's PAD score, live iff score >= the policy threshold (see `liveness score`).
  - combined decision: accepted iff match AND live; a probe with no usable face is rejected with a reason.
  - the 0.6 default is face-api's; on NUAA it lets 71-79% of impostors match: calibrate it.
Exit codes: 0 decided (accepted or not); 1 fatal error; 2 usage error; 3 the probe could not be
analysed (no face, several faces under --multi-face reject, unreadable): rejected, with its reason.";

/// The face-recognition model and the match threshold.
#[derive(Debug, Args)]
pub struct MatchOptions {
    /// Face-recognition (embedding) model descriptor, name or .toml path
    #[arg(long, default_value = crate::model::descriptor::DEFAULT_RECOGNIZER)]
    pub recognizer: String,
    /// Match iff distance < this [default: the recognizer's, 0.6 for face_recognition_128]
    #[arg(long, value_name = "DISTANCE")]
    pub match_threshold: Option<f64>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The probe image (the person presenting now)
    pub probe: PathBuf,
    /// Reference images of the claimed identity (the mean distance over them decides)
    #[arg(required = true)]
    pub gallery: Vec<PathBuf>,
    #[command(flatten)]
    pub model: ModelOptions,
    #[command(flatten)]
    pub matching: MatchOptions,
    /// Output one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PersonsCommand {
    /// Enrol NAME from IMAGES: every image must show a face that passes the liveness check, else
    /// nothing is written; a name already enrolled is refused
    Add(PersonsAddArgs),
    /// List the enrolled identities with their image counts
    List {
        /// Gallery folder (holds gallery.sqlite)
        #[arg(long, value_name = "DIR")]
        db: PathBuf,
        #[command(flatten)]
        matching: MatchOptions,
    },
}

#[derive(Debug, Args)]
pub struct PersonsAddArgs {
    /// Gallery folder (holds gallery.sqlite; created by the first enrolment)
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// The identity's name (unique in the gallery)
    pub name: String,
    /// Enrolment images of NAME
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    #[command(flatten)]
    pub model: ModelOptions,
    #[command(flatten)]
    pub matching: MatchOptions,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The probe image
    pub probe: PathBuf,
    /// Gallery folder (holds gallery.sqlite)
    #[arg(long, value_name = "DIR")]
    pub db: PathBuf,
    /// Identities to list, nearest first
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    #[command(flatten)]
    pub model: ModelOptions,
    #[command(flatten)]
    pub matching: MatchOptions,
    /// Output one JSON object
    #[arg(long)]
    pub json: bool,
}

pub const MERGE_NOTES: &str = "\
The shards must be of one run: same dataset fingerprint, models (descriptor and file sha256s), policy,
metric options and shard count, each shard exactly once and complete. The merged scores.csv, metrics.json,
sweep.csv and report equal one `eval` of the whole dataset, except metrics.json's run.command and
run.created_utc. Exit codes: 0 merged; 1 the shards do not make one run (the difference or the missing
shard is named); 2 usage error; 3 merged, some presentations not scored (non-responses).";

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Run folders written by `liveness eval DATASET --shard I/N`
    #[arg(required = true, value_name = "SHARD_RUN")]
    pub shards: Vec<PathBuf>,
    /// The merged run folder
    #[arg(long, short)]
    pub out: PathBuf,
    /// Merge although shards are missing or incomplete: the run is marked incomplete with its coverage
    #[arg(long)]
    pub partial: bool,
    /// Replace a run already in --out
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct FuseArgs {
    /// Dev split: a run folder (its scores.csv) or a score file holding each member's `<model>_score` column
    /// (e.g. from `liveness eval DATASET --model silentface,minifas128`)
    #[arg(long)]
    pub dev: PathBuf,
    /// The member models, comma-separated: descriptor names or .toml paths, each with a column in DEV
    #[arg(long, value_delimiter = ',', required = true)]
    pub models: Vec<String>,
    /// logistic: P(live) = sigmoid(b + sum w_i logit(p_i)), p_i clipped to [1e-12, 1 - 1e-12], fitted by
    /// unregularised maximum likelihood; mean: the mean of the member probabilities; max: the largest
    #[arg(long, value_enum, default_value = "logistic")]
    pub method: crate::model::fusion::FusionMethod,
    /// Fit on the presentations whose metadata COLUMN has one of these values or lies in LO..HI, e.g.
    /// subject=0001..0004
    #[arg(long = "where", value_name = "COLUMN=V1,V2|COLUMN=LO..HI")]
    pub filter: Option<crate::scoreset::Filter>,
    /// The fused model's name
    #[arg(long)]
    pub name: String,
    /// Where to write the descriptor [default: configs/models/<name>.toml, where the catalog finds it by name]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Overwrite --out if it exists
    #[arg(long)]
    pub force: bool,
    /// Also compare the fusion with each member on these presentations of DEV (disjoint from --where):
    /// McNemar on decisions at each model's own threshold (chosen on the dev split by --target) and a
    /// paired subject-clustered bootstrap of the AUC, EER and BPCER differences
    #[arg(long, value_name = "COLUMN=V1,V2|COLUMN=LO..HI")]
    pub compare_on: Option<crate::scoreset::Filter>,
    /// With --compare-on: how each model's threshold is chosen on the dev split (as `calibrate --target`)
    #[arg(long, default_value = "eer")]
    pub target: Target,
    /// Write the fusion report (rule, dev split, and with --compare-on the tables against each member) as
    /// Markdown to this file
    #[arg(long, value_name = "FILE.md")]
    pub report: Option<PathBuf>,
    /// Write the fusion and its comparison as JSON to this file
    #[arg(long, value_name = "FILE.json")]
    pub json: Option<PathBuf>,
    /// With --compare-on: bootstrap resamples and seed
    #[arg(long, default_value_t = 1000)]
    pub resamples: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
#[command(mut_arg("filter", |a| {
    a.help("Keep only presentations whose metadata COLUMN matches (both runs), e.g. subject=0005..0009")
}))]
pub struct DiffArgs {
    /// Run folder or score file of the base run
    pub base: PathBuf,
    /// Run folder or score file of the current run (may be the same file with another --current-model)
    pub current: PathBuf,
    /// Model column of BASE [default: its first model]
    #[arg(long)]
    pub base_model: Option<String>,
    /// Model column of CURRENT [default: its first model]
    #[arg(long)]
    pub current_model: Option<String>,
    #[command(flatten)]
    pub subset: Subset,
    /// Policy (threshold) of both runs: name in configs/policies, or a .toml path
    #[arg(long, default_value = "default")]
    pub policy: String,
    /// Policy of BASE, overriding --policy
    #[arg(long)]
    pub base_policy: Option<String>,
    /// Policy of CURRENT, overriding --policy
    #[arg(long)]
    pub current_policy: Option<String>,
    /// Calibration target whose threshold movement is shown
    #[arg(long, default_value = "bpcer20")]
    pub target: Target,
    /// Metadata columns to break rates down by (default: all)
    #[arg(long, value_delimiter = ',')]
    pub segment_by: Vec<String>,
    /// Flipped decisions to print (all are in --json)
    #[arg(long, default_value_t = 20)]
    pub show_flips: usize,
    /// Write the whole diff as JSON here
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Compare runs that are not complete (killed, or a partial merge); the output says so
    #[arg(long)]
    pub allow_incomplete: bool,
}

pub const GATE_EXIT_CODES: &str = "\
Exit codes:
  0  every criterion passed (or was optional and skipped)
  1  some criterion failed
  2  the gate could not be evaluated: usage error, invalid gate or policy file, a policy calibrated
     for another model, a baseline of other presentations";

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Run folder (its scores.csv) or score file to gate
    pub scores: PathBuf,
    #[command(flatten)]
    pub select: ScoreSelection,
    /// The criteria (TOML: name, [[criterion]] metric, max/min/max_regression, bound, optional)
    #[arg(long, value_name = "FILE")]
    pub criteria: PathBuf,
    /// Policy giving the threshold and bands: name in configs/policies, or a .toml path
    #[arg(long)]
    pub policy: String,
    /// metrics.json (or a run folder holding one) of the same presentations, for max_regression
    #[arg(long, value_name = "METRICS")]
    pub baseline: Option<PathBuf>,
    /// Write JUnit XML here (one test case per criterion)
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Write the metrics document of the gated set here (a baseline for later gates)
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
}

/// Which scores to read: a run folder or score file, one model's column, optionally a subset.
#[derive(Debug, Args)]
pub struct ScoreSelection {
    /// The model whose scores to read: its `<model>_score` column in a multi-model scores.csv [default:
    /// the first model]; also the descriptor recorded with a calibration
    #[arg(long, short)]
    pub model: Option<String>,
    #[command(flatten)]
    pub subset: Subset,
    /// Scores mean "spoof" (higher = attack): use 1 - score (an attack probability becomes a live one)
    #[arg(long)]
    pub flip: bool,
    /// Compute on a run that is not complete (killed, or a partial merge); every output then says so
    #[arg(long)]
    pub allow_incomplete: bool,
}

/// `--where`, declared once for the commands that read a subset of a score file; a command whose subset
/// needs other words (diff's applies to both runs) rewords the help, not the option.
#[derive(Debug, Args)]
pub struct Subset {
    /// Keep only presentations whose metadata COLUMN has one of these values or lies in LO..HI
    /// (inclusive, compared as text), e.g. subject=0001..0004
    #[arg(long = "where", value_name = "COLUMN=V1,V2|COLUMN=LO..HI")]
    pub filter: Option<crate::scoreset::Filter>,
}

#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Run folder (its scores.csv) or score file of the calibration split
    pub scores: PathBuf,
    #[command(flatten)]
    pub select: ScoreSelection,
    /// eer, bpcerN (BPCER at APCER_max <= 1/N), bpcer@apcer=X, apcer@bpcer=X, fixed=T, cost:apcer=A,bpcer=B;
    /// on an `eval --match` run, full-system:bpcer@apcer=X picks the PAD and match thresholds together
    /// (lowest genuine rejection by PAD OR matcher, with every species' attacks accepted AND matched <= X)
    /// (without it, with --probability: the base policy's threshold and bands are kept)
    #[arg(long, required_unless_present = "probability")]
    pub target: Option<Target>,
    /// Also fit a map from raw score to a calibrated P(bona fide): platt (logistic regression on the logit
    /// of the score) or isotonic (pool-adjacent-violators). Written as the policy's [probability]; score,
    /// eval and serve then report it beside the raw score (decisions stay on the raw score). Needs >= 10
    /// scored presentations of each class, scores within 0..1
    #[arg(long, value_name = "METHOD")]
    pub probability: Option<crate::schema::ProbabilityMethod>,
    /// With --probability: the deployment share of attacks (0 < X < 1) the calibrated probability is stated
    /// at [default: the dev split's own share]
    #[arg(long, value_name = "X", requires = "probability")]
    pub prior_attack: Option<f64>,
    /// With --probability: draw the dev split's reliability diagram (raw and calibrated) into this folder as
    /// reliability.svg and reliability.png
    #[arg(long, value_name = "DIR", requires = "probability")]
    pub reliability: Option<PathBuf>,
    /// On an `eval --match` run: the match threshold's own limit, fnmr@fmr=X (lowest FNMR with FMR <= X);
    /// with full-system:... it bounds the match thresholds the pair may use. Written as the policy's
    /// match_threshold, which compare, search and persons use
    #[arg(long, value_name = "TARGET")]
    pub match_target: Option<crate::schema::policy::MatchTarget>,
    /// Meet rate limits on the point estimate or on the upper end of the 95% Clopper-Pearson interval
    #[arg(long, value_enum, default_value = "point")]
    pub bound: Bound,
    /// Retry band, pass edge: worst-species APCER allowed among scores accepted outright
    #[arg(long, default_value_t = 0.01)]
    pub pass_apcer: f64,
    /// Retry band, retry edge: BPCER allowed among scores rejected outright
    #[arg(long, default_value_t = 0.01)]
    pub retry_bpcer: f64,
    /// Write the policy under this name (to configs/policies/<name>.toml unless --out is given)
    #[arg(long)]
    pub name: Option<String>,
    /// Policy file to write
    #[arg(long, requires = "name")]
    pub out: Option<PathBuf>,
    /// Description of the written policy
    #[arg(long, requires = "name")]
    pub description: Option<String>,
    /// Policy whose quality gates the written policy keeps
    #[arg(long, default_value = "default")]
    pub base_policy: String,
    /// Overwrite an existing policy file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ModelOptions {
    /// Model descriptor name(s) or .toml path(s), comma-separated; the first gives the primary score
    /// [default: silentface; with `eval --scores`: the file's primary model, see docs/score-files.md]
    #[arg(long, short, value_delimiter = ',')]
    pub model: Vec<String>,
    /// Decision policy: name in configs/policies, or a .toml path
    #[arg(long, default_value = "default")]
    pub policy: String,
    /// Override the policy's decision threshold (bona fide iff score >= threshold), within 0..1
    #[arg(long, value_parser = parse_unit)]
    pub threshold: Option<f64>,
    /// Override the policy's rule for images with several faces
    #[arg(long, value_enum)]
    pub multi_face: Option<MultiFace>,
    /// Refuse images with more pixels than this (decompression-bomb guard)
    #[arg(long, default_value_t = crate::decode::DecodeLimits::default().max_pixels)]
    pub max_pixels: u64,
    /// Worker threads [default: number of cores]
    #[arg(long, short = 'j')]
    pub workers: Option<usize>,
    /// Runtime for the PAD classifiers (the face detector always runs on ONNX Runtime): `openvino` runs
    /// the ONNX files with OpenVINO's CPU kernels, faster, within float rounding of the reference (mean
    /// |dp| 8.5e-8 on NUAA train, every decision equal); `ort` is the reference path (the Python reference's
    /// exact scores). See README, Speed
    #[arg(long, value_enum, default_value_t = crate::model::backend::Backend::default())]
    pub backend: crate::model::backend::Backend,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Image files or folders (searched recursively); `-` reads paths from standard input, one per line
    #[arg(required = true)]
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub model: ModelOptions,
    /// Use this face box instead of detecting: x1,y1,x2,y2 in pixels of the (EXIF-rotated) image
    #[arg(long = "box", value_name = "X1,Y1,X2,Y2", value_parser = parse_box)]
    pub face_box: Option<crate::frame::FaceBox>,
    /// Output JSON Lines, one object per image
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Output CSV
    #[arg(long)]
    pub csv: bool,
    /// Score only shard I of N of the inputs (a stable hash of each path as printed decides its shard);
    /// `auto/N` takes I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID
    #[arg(long, value_name = "I/N|auto/N")]
    pub shard: Option<crate::run::shard::ShardArg>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Dataset: a folder (live/ + spoof/<attack_type>/, or the NUAA layout) or a manifest .csv/.jsonl
    #[arg(required_unless_present_any = ["scores", "responses"], conflicts_with = "scores")]
    pub dataset: Option<PathBuf>,
    /// Compute metrics from this score file instead of scoring (liveness scores.csv, the reference
    /// pipeline's CSV, or bob.pad's claimed_id,test_label,is_bonafide,attack_type,score)
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,
    /// With --scores: labels, species and metadata from this dataset (NUAA folder, live/ spoof/ folders or
    /// a manifest; --kind, --layout, --split apply), joined on the id for a file of ids and scores only.
    /// An id joins as the dataset-relative path, a path ending in one, or a file name one sample has;
    /// rows matching no sample and samples without a row are counted, named and left out
    #[arg(long, value_name = "DATASET", requires = "scores")]
    pub labels: Option<PathBuf>,
    /// With --scores: keep only presentations whose metadata COLUMN has one of these values or lies in
    /// LO..HI (inclusive, compared as text), e.g. subject=0005..0009 (the held-out split of a calibration)
    #[arg(long = "where", value_name = "COLUMN=V1,V2|COLUMN=LO..HI", requires = "scores")]
    pub filter: Option<crate::scoreset::Filter>,
    /// Dataset layout: auto, folders, manifest, nuaa
    #[arg(long, default_value = "auto")]
    pub kind: String,
    /// Folder layout pattern, e.g. '{label}/{attack_type}/{device}/**' (deeper folders become metadata)
    #[arg(long)]
    pub layout: Option<String>,
    /// Dataset split where the layout has several (NUAA: train, test)
    #[arg(long)]
    pub split: Option<String>,
    #[command(flatten)]
    pub model: ModelOptions,
    /// Run folder for scores.csv, metrics.json, sweep.csv [default: reports/<dataset>-<model>-<timestamp>]
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Continue a stopped run in --out: keep its scores.csv rows and score the rest (refused when the
    /// models' files, the policy or the dataset differ from the run's run.json)
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Replace the run already in --out (without it, an existing run is refused)
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Score only shard I of N (a stable hash of each presentation's path decides its shard); `auto/N`
    /// takes I from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm). See `liveness merge`
    #[arg(long, value_name = "I/N|auto/N", conflicts_with = "scores")]
    pub shard: Option<crate::run::shard::ShardArg>,
    /// With --scores: compute on a run's scores.csv although the run is incomplete (outputs say so)
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Score files the run leaves: csv (scores.csv), parquet (scores.parquet, typed columns, instead of
    /// the CSV once the run is complete) or both. With --scores FILE.csv, parquet or both also writes
    /// the file read as <out>/scores.parquet. Every reader takes either (--scores FILE.parquet too)
    #[arg(long, value_name = "csv|parquet|both", default_value = "csv")]
    pub scores_format: crate::schema::run_folder::ScoresFormat,
    #[command(flatten)]
    pub mapping: ScoreMappingArgs,
    /// Metadata columns to break every metric down by (default: all). COLUMN:quartiles, :deciles,
    /// :quantiles=N or :bins=E0,E1,...,inf cuts a numeric column (a quality measure such as q_sharpness,
    /// q_brightness, q_face_px, or numeric metadata) into buckets: numpy linear-quantile edges over every
    /// presentation with a value, buckets (lower, upper] with the first closed, `missing` and `outside`
    /// buckets (docs/metrics.md, "Quality strata")
    #[arg(long, value_delimiter = ',', value_name = "COLUMN[:BUCKETS]")]
    pub segment_by: Vec<String>,
    /// Segments with fewer scored bona fide or attack presentations are shown but never named worst
    #[arg(long, default_value_t = 30)]
    pub min_segment: u64,
    /// Scores mean "spoof" (higher = attack): use 1 - score, so that bona fide iff 1 - score >= threshold
    #[arg(long)]
    pub flip: bool,
    /// Choose the threshold on this score file (a dev split) and apply it here (not with --threshold)
    #[arg(long, value_name = "SCORES", conflicts_with = "threshold")]
    pub calibrate_on: Option<PathBuf>,
    /// Target of --calibrate-on: eer, bpcerN (BPCER at APCER_max <= 1/N, e.g. bpcer20), or any target of
    /// `liveness calibrate --target`
    #[arg(long, default_value = "eer")]
    pub calibrate_target: Target,
    /// Bootstrap resamples for subject-clustered intervals (0 to skip)
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Seed of the bootstrap
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// k of "completion within k attempts" (comma-separated)
    #[arg(long, value_delimiter = ',', default_value = "1,3")]
    pub attempts: Vec<usize>,
    /// Also report ACER = (APCER_max + BPCER)/2 and bob's HTER = (APCER pooled + BPCER)/2 at the threshold
    /// (metrics.json `legacy`, labelled everywhere as NOT ISO/IEC 30107-3 metrics). bob's other criteria
    /// are always computed (`bob`: eer_rocch, eer_interval, d_prime, min-hter, epc; docs/metrics.md)
    #[arg(long)]
    pub legacy_metrics: bool,
    /// Cross-validated thresholds (bob's multi-metrics): subject:K (sorted subjects round-robin into K folds)
    /// or column:NAME (a column naming the fold). Each fold's threshold is calibrated on the other folds by
    /// --calibrate-target and applied to it; metrics.json `folds` has every fold and mean ± std
    #[arg(long, value_name = "SPEC")]
    pub folds: Option<crate::metrics::folds::FoldSpec>,
    /// Frames -> videos: the columns naming a video (e.g. video_id, or subject,session,pos on NUAA). Its
    /// scored frames make one presentation (--aggregate); a video with no scored frame is a non-response
    /// (no_scored_frame). Frame-level figures are kept beside the video-level ones (docs/metrics.md,
    /// "Frames and videos")
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS", conflicts_with = "face_match")]
    pub group_by: Vec<String>,
    /// Video score from its scored frames: mean, median (numpy), min, max, trimmed (scipy trim_mean, 10%
    /// cut from each end) or trimmed:P
    #[arg(long, default_value = "mean", requires = "group_by")]
    pub aggregate: crate::metrics::aggregate::Aggregate,
    /// Full-system evaluation: face descriptors in the same pass as PAD, subjects enrolled by --enrol,
    /// genuine/impostor/attack comparisons, FMR, FNMR, verification EER, IAPMR per species, and attacks
    /// accepted by PAD AND matched (docs/face-match.md); needs a `subject` per presentation. Resumes
    /// (--resume) and shards (--shard, then `liveness merge`) like any run: descriptors are rows of
    /// descriptors.csv
    #[arg(long = "match", conflicts_with = "scores")]
    pub face_match: bool,
    /// Enrolment rule of --match: first-session:K (K evenly spaced frames of each subject's first live
    /// session, as FACE_RECOGNITION.md measured)
    #[arg(long, default_value = "first-session:3", requires = "face_match")]
    pub enrol: crate::metrics::full_system::EnrolRule,
    #[command(flatten)]
    pub matching: MatchOptions,
    #[command(flatten)]
    pub api: ApiArgs,
}

/// `eval DATASET --api URL`: score with a liveness REST API instead of a local model (docs/api-eval.md).
/// The score is read at `--score-column POINTER` on the `--score-scale`, as score files are.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Remote API (eval --api, docs/api-eval.md)")]
pub struct ApiArgs {
    /// Score the dataset with this API endpoint (a URL without a path takes the preset's path)
    #[arg(long, value_name = "URL", conflicts_with_all = ["scores", "shard", "face_match"])]
    pub api: Option<String>,
    /// Read the scores again from an API run's stored answers (run/responses.jsonl), sending nothing
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scores", "api", "dataset", "shard", "face_match"])]
    pub responses: Option<PathBuf>,
    /// Request and response preset: serve, spoofsense, spoofsense-antispoofing, verifik, generic
    #[arg(long, value_name = "NAME", default_value = "generic")]
    pub api_format: String,
    /// JSON body with the base64 image in this field [default: the preset's]
    #[arg(long, value_name = "FIELD", conflicts_with_all = ["api_multipart", "api_raw"])]
    pub api_field: Option<String>,
    /// JSON body: send the image as a data URL (data:image/jpeg;base64,...)
    #[arg(long, conflicts_with_all = ["api_multipart", "api_raw"])]
    pub api_data_url: bool,
    /// multipart/form-data body with the image as this file part
    #[arg(long, value_name = "FIELD", conflicts_with = "api_raw")]
    pub api_multipart: Option<String>,
    /// The image bytes as the whole body (Content-Type from the image)
    #[arg(long)]
    pub api_raw: bool,
    /// Extra body field NAME=VALUE (JSON when it parses, else a string; $VAR from the environment)
    #[arg(long, value_name = "NAME=VALUE")]
    pub api_extra: Vec<String>,
    /// Extra header 'Name: value'; $VAR and ${VAR} are read from the environment (never recorded)
    #[arg(long, value_name = "HEADER")]
    pub api_header: Vec<String>,
    /// JSON pointer of the API's own decision (kept in responses.jsonl) [default: the preset's]
    #[arg(long, value_name = "POINTER")]
    pub api_decision: Option<String>,
    /// JSON pointer of the error code in error answers [default: the preset's]
    #[arg(long, value_name = "POINTER")]
    pub api_error_code: Option<String>,
    /// Non-response reason of an error answer: STATUS[:CODE]=REASON, e.g. 422:FACE_NOT_DETECTED=no_face
    #[arg(long, value_name = "RULE")]
    pub api_reason: Vec<String>,
    /// Seconds one request may take
    #[arg(long, value_name = "S", default_value_t = 30.0)]
    pub api_timeout: f64,
    /// Retries of one request (429, 5xx, timeouts, dropped connections, non-JSON 2xx)
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub api_retries: u32,
    /// Retries of the whole run, as a share of its requests (at least 10)
    #[arg(long, value_name = "SHARE", default_value_t = 0.2)]
    pub api_retry_budget: f64,
    /// First backoff in seconds (doubled each retry, with jitter)
    #[arg(long, value_name = "S", default_value_t = 0.5)]
    pub api_backoff: f64,
    /// Longest Retry-After waited for, seconds; a longer one stops the run (resume later)
    #[arg(long, value_name = "S", default_value_t = 120.0)]
    pub api_max_wait: f64,
    /// At most this many requests per second
    #[arg(long, value_name = "N")]
    pub rps: Option<f64>,
}

/// How `eval --scores` reads a score file of no known format: any delimited file or JSON Lines
/// (docs/score-files.md). Columns of JSON Lines are keys or JSON pointers (`/model_output/prob_real`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Score-file mapping (eval --scores)")]
pub struct ScoreMappingArgs {
    /// A preset for a known export: aws-liveness, spoofsense, verifik, liveness-json (score --json), pyeer
    /// (genuine/impostor files of one score a line: --scores GENUINE --attack-scores IMPOSTOR)
    #[arg(long = "format", value_name = "NAME")]
    pub preset: Option<String>,
    /// Column of the presentation id [default: path, id, file, filename, image or sample_id]
    #[arg(long, value_name = "COLUMN")]
    pub id_column: Option<String>,
    /// Column of the label [default: label]
    #[arg(long, value_name = "COLUMN")]
    pub label_column: Option<String>,
    /// Column of the score [default: score]
    #[arg(long, value_name = "COLUMN")]
    pub score_column: Option<String>,
    /// Column of the attack species (PAI) [default: attack_type or species; none: species `unknown`]
    #[arg(long, value_name = "COLUMN")]
    pub species_column: Option<String>,
    /// Metadata columns to keep and segment on [default: every other column]
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub segment_columns: Vec<String>,
    /// Error or status column: its value is the reason of a row without a score (a non-response)
    #[arg(long, value_name = "COLUMN")]
    pub reason_column: Option<String>,
    /// Label words of bona fide presentations, e.g. True,1 or real (with --attack-labels; never guessed)
    #[arg(long, value_delimiter = ',', value_name = "WORDS")]
    pub live_labels: Vec<String>,
    /// Label words of attack presentations, e.g. False,0 or spoof
    #[arg(long, value_delimiter = ',', value_name = "WORDS")]
    pub attack_labels: Vec<String>,
    /// Divide scores by this: 100 for 0–100 confidences (without it, scores must lie in 0..1)
    #[arg(long, value_name = "S")]
    pub score_scale: Option<f64>,
    /// Scores are attack (spoof) confidences: the live score is 1 - score/scale; thresholds are also
    /// printed on the file's scale
    #[arg(long)]
    pub higher_is_attack: bool,
    /// Column of the vendor's own decision, for APIs that return no score (Azure, Acuant); needs
    /// --decision-map. Without a score column eval reports APCER/BPCER at the vendor's operating point and
    /// no curves (EER, DET, ROC, AUC need scores); with one, the vendor's figures beside the threshold's
    #[arg(long, value_name = "COLUMN", requires = "decision_map")]
    pub decision_column: Option<String>,
    /// What the vendor's words mean, stated (never guessed): WORD=bona_fide|attack|retry|no_response,...,
    /// e.g. realface=bona_fide,spoofface=attack,uncertain=retry. Words compare without case; a word not in
    /// the map is refused with its line; an empty cell is a no_response. APCER/BPCER are over the decided
    /// presentations: a retry or no_response is neither an accepted attack nor a rejected bona fide, it is
    /// a non-response (APNRR/BPNRR; a rejection in BPCER_sys), and each class's retry share is reported
    #[arg(long, value_delimiter = ',', value_name = "WORD=DECISION", requires = "decision_column")]
    pub decision_map: Vec<crate::schema::DecisionWord>,
    /// With --format pyeer: pyeer's impostor score file (attacks, species `unknown`), one score a line;
    /// --scores is the genuine (bona fide) file. Ids are FILE:LINE; blank lines are skipped
    #[arg(long, value_name = "FILE", visible_alias = "impostor-scores", requires = "scores")]
    pub attack_scores: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Show the model descriptors and whether their files are present
    List,
    /// Check files exist, sha256 match and ONNX input/output shapes agree with the descriptors
    Verify {
        /// Descriptor names (default: all)
        names: Vec<String>,
    },
    /// Download a model's files from their upstream URLs and check their sha256
    Fetch { name: String },
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Image files or folders
    #[arg(required = true)]
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub model: ModelOptions,
    /// Use at most this many images
    #[arg(long)]
    pub limit: Option<usize>,
    /// Passes over the images (the best pass is reported)
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Measure the pipeline only, not the floor (what scripts/compare-reference.sh uses)
    #[arg(long)]
    pub no_floor: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run folder(s) written by `liveness eval`; two or more make a comparison: their table (and their DET
    /// curves overlaid when they hold different presentations), and their models compared on the
    /// presentations all of them hold (matched by id; the counts are
    /// stated, runs sharing none are refused), each at its run's threshold, with paired tests, as a
    /// multi-model `eval` compares its models (comparison.json)
    #[arg(required = true, value_name = "RUN_DIR")]
    pub runs: Vec<PathBuf>,
    /// Where to write the report [default: the run folder itself; required to compare runs or models]
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Compare these models (comma-separated) of the runs' score files: each run enters with each listed
    /// model it scored and evaluated; with one multi-model run, a comparison of some of its models
    #[arg(long, value_delimiter = ',', value_name = "MODELS")]
    pub models: Option<Vec<String>>,
    /// Bootstrap resamples of the paired differences between compared models (at least 200)
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(200..))]
    pub bootstrap: u64,
    /// Seed of that bootstrap
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Report a run that is not complete (killed, or a partial merge); the report says so in a banner
    #[arg(long)]
    pub allow_incomplete: bool,
    /// A model × dataset matrix of EER, AUC and BPCER @ APCER_max <= 5% (bob's `cross`), one run folder per
    /// model and dataset (the dataset is the run's source); needs --out
    #[arg(long, requires = "out")]
    pub cross: bool,
    /// With --cross: choose each model's threshold on its run of this run folder's dataset (by
    /// --calibrate-target) and apply it to its runs of every dataset: APCER and BPCER at that threshold
    /// in two more matrices (the run joins the matrix if not listed)
    #[arg(long, value_name = "RUN_DIR", requires = "cross")]
    pub calibrate_on: Option<PathBuf>,
    /// Target of --calibrate-on: eer, bpcerN (BPCER at APCER_max <= 1/N, e.g. bpcer20), or any target of
    /// `liveness calibrate --target`
    #[arg(long, default_value = "eer", requires = "calibrate_on")]
    pub calibrate_target: Target,
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Score sessions: pose and expression variation, challenges completed, passive PAD, decision
    #[command(after_help = format!("{SESSION_NOTES}\n\n{EXIT_CODES}"))]
    Score(SessionScoreArgs),
    /// Print a random challenge sequence for a capture app (JSON array)
    Challenge(ChallengeArgs),
    /// Per-frame face geometry of one session (landmarks, head angles, eye and mouth measures)
    Frames(SessionFramesArgs),
    /// Time sessions end to end and per stage (decode, detect, landmarks, passive PAD)
    Bench(SessionBenchArgs),
}

pub const SESSION_NOTES: &str = "\
A session is a folder of frames (ordered by name, numbers as numbers), or a folder
with a session.json listing frames, timestamps and the challenges asked (head_left,
head_right, blink, smile). With --dataset, sessions are grouped from a dataset:
live/<session>/..., spoof/<attack_type>/<session>/..., a manifest with a `session`
column, or NUAA (subject + glasses + pos + session). --csv and --scores-out write the
evaluation's score-file format, with score = liveness_score / 100.";

#[derive(Debug, Args)]
pub struct SessionScoreArgs {
    /// Session folders
    #[arg(required_unless_present = "dataset")]
    pub sessions: Vec<std::path::PathBuf>,
    /// Score every session of this dataset (folder or manifest) instead
    #[arg(long, conflicts_with = "sessions")]
    pub dataset: Option<std::path::PathBuf>,
    /// Dataset kind: auto, folders, manifest, nuaa
    #[arg(long)]
    pub kind: Option<String>,
    /// Folder layout pattern (folders datasets), e.g. '{label}/{attack_type}/{session}/**'
    #[arg(long)]
    pub layout: Option<String>,
    /// Official split to read (NUAA: train or test)
    #[arg(long)]
    pub split: Option<String>,
    /// Session policy: name in configs/sessions, or a .toml path
    #[arg(long, default_value = "default")]
    pub session_policy: String,
    /// Override the policy's frames per session (0 = every frame)
    #[arg(long)]
    pub frames: Option<usize>,
    /// Skip passive PAD: the decision is active liveness alone
    #[arg(long)]
    pub no_passive: bool,
    #[command(flatten)]
    pub model: ModelOptions,
    /// Output JSON Lines, one object per session (with every frame)
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Output CSV (the evaluation's score-file format)
    #[arg(long)]
    pub csv: bool,
    /// Also write the score file (CSV) here
    #[arg(long, value_name = "FILE")]
    pub scores_out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ChallengeArgs {
    /// Number of challenges
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub count: u16,
    /// Seed (the same seed gives the same sequence) [default: from the clock]
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct SessionFramesArgs {
    /// A session folder
    pub session: std::path::PathBuf,
    /// Include the 468 landmarks of each frame (image pixels)
    #[arg(long)]
    pub points: bool,
    /// Analyse at most this many frames (0 = every frame)
    #[arg(long, default_value_t = 0)]
    pub frames: usize,
    #[command(flatten)]
    pub model: ModelOptions,
}

#[derive(Debug, Args)]
pub struct SessionBenchArgs {
    /// Session folders
    #[arg(required = true)]
    pub sessions: Vec<std::path::PathBuf>,
    /// Frames per session (sampled evenly)
    #[arg(long, default_value_t = 12)]
    pub frames: usize,
    /// Passes (the best is reported)
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    #[command(flatten)]
    pub model: ModelOptions,
}

/// A live probability: NaN and values outside 0..1 are usage errors (exit 2), told at parse time.
fn parse_unit(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} is not within 0..1 (a threshold is a live probability)")),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

fn parse_box(s: &str) -> Result<crate::frame::FaceBox, String> {
    let v: Vec<i32> = s
        .split(',')
        .map(|p| p.trim().parse::<i32>().map_err(|_| format!("`{p}` is not an integer")))
        .collect::<Result<_, _>>()?;
    match v[..] {
        [x1, y1, x2, y2] if x2 > x1 && y2 > y1 => Ok(crate::frame::FaceBox { x1, y1, x2, y2 }),
        [_, _, _, _] => Err("x2 must exceed x1 and y2 must exceed y1".into()),
        _ => Err(format!("expected 4 integers x1,y1,x2,y2, got {}", v.len())),
    }
}

// Policy and calibration words are contracts (`crate::schema`, which knows no clap); their command-line
// spelling is declared here, from the same `as_str` the files use.
impl clap::ValueEnum for MultiFace {
    fn value_variants<'a>() -> &'a [Self] {
        &MultiFace::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.help()))
    }
}

impl clap::ValueEnum for crate::model::backend::Backend {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

impl clap::ValueEnum for crate::schema::ProbabilityMethod {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl clap::ValueEnum for crate::model::fusion::FusionMethod {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl clap::ValueEnum for Bound {
    fn value_variants<'a>() -> &'a [Self] {
        &Bound::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn box_parsing() {
        assert_eq!(parse_box("1,2,30,40").unwrap(), crate::frame::FaceBox { x1: 1, y1: 2, x2: 30, y2: 40 });
        assert!(parse_box("1,2,3").unwrap_err().contains("4 integers"));
        assert!(parse_box("10,2,3,40").unwrap_err().contains("x2 must exceed"));
        assert!(parse_box("a,2,3,4").unwrap_err().contains("`a`"));
    }
}

pub const SERVE_NOTES: &str = "\
Endpoints: POST /v1/liveness (JSON {\"image\": base64 | data URL}, multipart `file`, or a raw image/jpeg|png|webp
body; ?policy=NAME), POST /v1/sessions, POST /v1/sessions/{id}/frames, GET /v1/sessions/{id}, GET /healthz,
/readyz, /metrics (Prometheus text), /openapi.json. Scores equal `liveness score --json` on the same bytes.
GET / is the capture page (passive and active liveness from a browser's camera; docs/capture.md): with
--token-file it needs a link from POST /v1/page-tokens (short-lived; the API token never reaches the page).
Errors are JSON {\"error\": {\"code\", \"message\"}}: capture faults and undecodable images 422 (the code is
the score file's reason), bad requests 400, auth 401, oversized bodies 413, overload 503 with Retry-After.
Without --token-file the server binds loopback addresses only (unless --insecure-bind-any). SIGTERM drains
in-flight requests before exiting. Logs: JSON lines on standard error. See docs/serve.md.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// Model descriptor name(s) or .toml path(s), comma-separated; the first gives the score
    #[arg(long, short, default_value = crate::model::descriptor::DEFAULT_MODEL, value_delimiter = ',')]
    pub model: Vec<String>,
    /// Policy to serve (name in configs/policies, or a .toml path); repeat for several, the first is the
    /// default of requests naming none
    #[arg(long = "policy", default_value = "default")]
    pub policies: Vec<String>,
    /// Let requests override thresholds (`threshold` of /v1/liveness; `threshold` and
    /// `liveness_threshold` of /v1/compare and /v1/search)
    #[arg(long)]
    pub allow_threshold_override: bool,
    /// Refuse images with more pixels than this (decompression-bomb guard)
    #[arg(long, default_value_t = 50_000_000)]
    pub max_pixels: u64,
    /// Inference worker threads, one engine each [default: number of cores]
    #[arg(long, short = 'j')]
    pub workers: Option<usize>,
    /// Runtime for the PAD classifiers (see `liveness score --help`)
    #[arg(long, value_enum, default_value_t = crate::model::backend::Backend::default())]
    pub backend: crate::model::backend::Backend,
    /// Session policy: name in configs/sessions, or a .toml path
    #[arg(long, default_value = "default")]
    pub session_policy: String,
    /// Seconds a session may wait for its frames before it expires
    #[arg(long, default_value_t = 300)]
    pub session_ttl: u64,
    /// Sessions held at once
    #[arg(long, default_value_t = 1000)]
    pub max_sessions: usize,
    /// Skip passive PAD on session frames: the session decision is active liveness alone
    #[arg(long)]
    pub no_passive: bool,
    /// File holding the bearer token that /v1/* and /metrics require
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Allow listening on a non-loopback address without a token
    #[arg(long)]
    pub insecure_bind_any: bool,
    /// Largest request body, bytes
    #[arg(long, default_value_t = 10_000_000)]
    pub max_body: usize,
    /// Requests on /v1 handled at once; more get 503 with Retry-After
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// Open connections at once; more wait in the listen backlog
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a request may take before it is answered 503 `timeout`
    #[arg(long, default_value_t = 30)]
    pub request_timeout: u64,
    /// Seconds a client may take to send a request's headers (slow clients are disconnected)
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds SIGTERM waits for in-flight requests
    #[arg(long, default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Append every decision to this JSON Lines file (request id, time, policy, score, decision, model)
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Serve POST /v1/compare (face match 1:1 with liveness); loads the recognizer beside the PAD models
    #[arg(long)]
    pub face_match: bool,
    /// Gallery folder (from `liveness persons add`) for POST /v1/search and /v1/compare by person name;
    /// implies --face-match
    #[arg(long, value_name = "DIR")]
    pub gallery_db: Option<PathBuf>,
    #[command(flatten)]
    pub matching: MatchOptions,
    /// Show raw scores on the capture page at / (by default it shows pass, retry or fail only)
    #[arg(long)]
    pub show_scores: bool,
    /// Challenges the capture page asks for, comma-separated (head_left, head_right, blink, smile); the
    /// server shuffles them per session [default: two drawn by the server]
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub capture_challenges: Option<Vec<String>>,
    /// Collection mode: the capture page asks the operator for labels and stores every capture in DIR as a
    /// dataset (DIR/manifest.csv, frames under live/ and spoof/<attack_type>/) for `liveness eval`
    #[arg(long, value_name = "DIR")]
    pub collect: Option<PathBuf>,
    /// Seconds a page token (POST /v1/page-tokens) stays valid
    #[arg(long, default_value_t = 900)]
    pub page_token_ttl: u64,
}
