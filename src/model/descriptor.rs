//! Model descriptors: everything needed to run a PAD model (or a face-recognition embedding model), in a TOML
//! file instead of code.
//!
//! Colour order, value scaling, crop rule and live class index differ between model families, and getting
//! any of them wrong silently inverts or ruins scores; so each is stated explicitly, and unknown keys are an
//! error rather than ignored. A user adds a model by writing one of these files, without recompiling.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::fusion::Fusion;
use crate::crop::{CropRule, Resize};

/// Descriptors shipped with the tool (also found in `configs/models/`).
const BUILTIN: &[(&str, &str)] = &[
    ("silentface", include_str!("../../configs/models/silentface.toml")),
    ("minifas128", include_str!("../../configs/models/minifas128.toml")),
    ("minifas128-int8", include_str!("../../configs/models/minifas128-int8.toml")),
    ("face_recognition_128", include_str!("../../configs/models/face_recognition_128.toml")),
];

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "silentface";
/// The face-recognition model used when none is named.
pub const DEFAULT_RECOGNIZER: &str = "face_recognition_128";

/// A PAD model: one or more member networks whose softmax outputs are combined into a live probability; or,
/// with `kind = "embedding"`, a face-recognition network described by its `[embedding]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    pub name: String,
    #[serde(default)]
    pub kind: Kind,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub combine: Combine,
    #[serde(rename = "member", default)]
    pub members: Vec<Member>,
    /// The recognition network of an `embedding` descriptor.
    #[serde(default)]
    pub embedding: Option<Embedding>,
    /// How the member models of a fused descriptor (`combine = "fusion"`) are combined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fusion: Option<Fusion>,
    /// Where the descriptor was read from (`builtin` or a path); filled in when loading.
    #[serde(skip)]
    pub origin: String,
}

/// What a descriptor's model does.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Presentation attack detection: `[[member]]` classifiers giving a live probability.
    #[default]
    Pad,
    /// Face recognition: one network giving a descriptor vector per face chip (`[embedding]`).
    Embedding,
}

/// A face-recognition network: face chip in, descriptor vector out, compared by Euclidean distance.
///
/// The chip pixels go in as raw RGB 0..255 in the given layout: any normalisation must be inside the graph (as
/// in `face_recognition_128.onnx`), so there is no scaling to get wrong here.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Embedding {
    pub file: String,
    /// Checked when the model is loaded: descriptors from another file are not comparable with a stored gallery.
    pub sha256: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub source: String,
    pub input: Input,
    pub output: EmbeddingOutput,
    pub chip: Chip,
    /// Default match threshold: same person iff distance < threshold (strict, as face-api's FaceMatcher).
    pub threshold: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingOutput {
    pub name: String,
    pub dim: usize,
}

/// How the face chip is cut (see `recognition::chip`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Chip {
    pub rule: ChipRule,
    /// dlib's `padding` of `get_face_chip_details` (0.25 for the dlib ResNet).
    pub padding: f64,
    /// Below this face-mesh presence the landmarks are not trusted and the `box` rule is used instead.
    pub min_presence: f32,
}

/// The crop rule of a face chip; descriptors made with different rules are not comparable.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum ChipRule {
    /// dlib's 5-point similarity chip from face-mesh points, falling back to `box` when the mesh is unsure.
    Dlib5,
    /// A square of the detector box's longer side, no landmarks.
    Box,
}

impl ChipRule {
    pub fn as_str(self) -> &'static str {
        match self {
            ChipRule::Dlib5 => "dlib5",
            ChipRule::Box => "box",
        }
    }
}

/// How member outputs are combined. Upstream Silent-Face averages the softmax vectors (`mean_softmax`);
/// a fused descriptor (`fusion`, written by `liveness fuse`) groups its networks into member models, each
/// the mean softmax of its own networks, and combines those by its `[fusion]` table.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    #[default]
    MeanSoftmax,
    Fusion,
}

/// One ONNX network and its pre- and post-processing contract.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub name: String,
    /// File name, looked up in the models folder.
    pub file: String,
    pub sha256: String,
    /// Direct download URL of exactly this file, used by `liveness models fetch`; absent for converted models.
    #[serde(default)]
    pub url: Option<String>,
    /// Human-readable provenance.
    #[serde(default)]
    pub source: String,
    pub input: Input,
    pub color: ColorOrder,
    pub normalize: Normalize,
    pub crop: Crop,
    pub resize: ResizeKind,
    pub output: Output,
    /// Inference precision. Anything but `f32` changes scores, so it runs only on OpenVINO and ships only as
    /// a descriptor of its own (`silentface-bf16`), never as a setting of an fp32 one.
    #[serde(default)]
    pub precision: Precision,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F32,
    Bf16,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: String,
    pub width: usize,
    pub height: usize,
    pub layout: Layout,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    Nchw,
    Nhwc,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ColorOrder {
    Rgb,
    Bgr,
}

/// Tensor value = (pixel * scale - mean[c]) / std[c], pixel in 0..255, channel c in the model's colour order.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Normalize {
    pub scale: f32,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    pub rule: CropRuleKind,
    pub scale: f64,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CropRuleKind {
    /// Silent-Face: box scaled around its centre, capped to the image, shifted (not shrunk) inside it.
    ShiftInside,
    /// MiniFAS-128: square of `scale * max(w, h)`, parts outside the image filled by reflection.
    ReflectSquare,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ResizeKind {
    /// OpenCV INTER_LINEAR to the input size.
    Linear,
    /// Keep the aspect ratio (INTER_AREA down, INTER_LANCZOS4 up) and pad by reflection.
    Letterbox,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    pub name: String,
    pub kind: OutputKind,
    pub classes: usize,
    pub live_index: usize,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// Raw scores; softmax is applied.
    Logits,
    /// Already a probability vector; used as is.
    Probabilities,
}

impl Member {
    pub fn crop_rule(&self) -> CropRule {
        match self.crop.rule {
            CropRuleKind::ShiftInside => CropRule::ShiftInside { scale: self.crop.scale },
            CropRuleKind::ReflectSquare => CropRule::ReflectSquare { scale: self.crop.scale },
        }
    }

    pub fn resize_method(&self) -> Resize {
        match self.resize {
            ResizeKind::Linear => Resize::Linear,
            ResizeKind::Letterbox => Resize::Letterbox,
        }
    }

    /// Expected input tensor shape (batch dimension 1).
    pub fn input_shape(&self) -> [i64; 4] {
        let (w, h) = (self.input.width as i64, self.input.height as i64);
        match self.input.layout {
            Layout::Nchw => [1, 3, h, w],
            Layout::Nhwc => [1, h, w, 3],
        }
    }
}

impl Descriptor {
    /// Parses and checks a descriptor; `origin` names the file in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Descriptor> {
        let mut d: Descriptor = toml::from_str(text).with_context(|| format!("invalid model descriptor {origin}"))?;
        d.origin = origin.to_string();
        d.validate().with_context(|| format!("invalid model descriptor {origin}"))?;
        Ok(d)
    }

    fn validate(&self) -> Result<()> {
        if self.kind == Kind::Embedding {
            return self.validate_embedding();
        }
        if self.embedding.is_some() {
            bail!("`{}` has an [embedding] table but is not `kind = \"embedding\"`", self.name);
        }
        if self.members.is_empty() {
            bail!("`{}` has no [[member]] model", self.name);
        }
        for m in &self.members {
            let ctx = || format!("member `{}`", m.name);
            if m.output.live_index >= m.output.classes {
                bail!("{}: live_index {} is not below classes {}", ctx(), m.output.live_index, m.output.classes);
            }
            if m.output.classes < 2 {
                bail!("{}: a classifier needs at least 2 classes, got {}", ctx(), m.output.classes);
            }
            if m.input.width == 0 || m.input.height == 0 {
                bail!("{}: input size must be positive", ctx());
            }
            if !(m.crop.scale.is_finite() && m.crop.scale > 0.0) {
                bail!("{}: crop scale must be a positive number, got {}", ctx(), m.crop.scale);
            }
            if m.normalize.std.contains(&0.0) || !m.normalize.scale.is_finite() {
                bail!("{}: normalize.std must be non-zero and scale finite", ctx());
            }
            check_sha256(&m.sha256).with_context(ctx)?;
        }
        match (self.combine, &self.fusion) {
            (Combine::Fusion, Some(f)) => f.validate(&self.networks()),
            (Combine::Fusion, None) => bail!("`{}` is `combine = \"fusion\"` but has no [fusion] table", self.name),
            (Combine::MeanSoftmax, Some(_)) => {
                bail!("`{}` has a [fusion] table but is not `combine = \"fusion\"`", self.name)
            }
            (Combine::MeanSoftmax, None) => Ok(()),
        }
    }

    fn validate_embedding(&self) -> Result<()> {
        let Some(e) = &self.embedding else {
            bail!("`{}` is `kind = \"embedding\"` but has no [embedding] table", self.name)
        };
        if !self.members.is_empty() || self.fusion.is_some() {
            bail!("`{}`: an embedding descriptor has no [[member]] classifiers and no [fusion]", self.name);
        }
        if e.output.dim == 0 || e.input.width == 0 || e.input.height == 0 {
            bail!("`{}`: input size and output dim must be positive", self.name);
        }
        if !(e.threshold.is_finite() && e.threshold > 0.0) {
            bail!("`{}`: threshold must be a positive distance, got {}", self.name, e.threshold);
        }
        if !(e.chip.padding.is_finite() && e.chip.padding >= 0.0) || !(0.0..=1.0).contains(&e.chip.min_presence) {
            bail!("`{}`: chip padding must be >= 0 and min_presence within 0..1", self.name);
        }
        check_sha256(&e.sha256).with_context(|| format!("`{}`", self.name))
    }

    /// Each `[[member]]` network's name and sha256, in order (what a `[fusion]` table refers to).
    pub fn networks(&self) -> Vec<(&str, &str)> {
        self.members.iter().map(|m| (m.name.as_str(), m.sha256.as_str())).collect()
    }

    /// The ONNX files the descriptor runs, in order.
    pub fn files(&self) -> Vec<&str> {
        let members = self.members.iter().map(|m| m.file.as_str());
        members.chain(self.embedding.iter().map(|e| e.file.as_str())).collect()
    }

    /// The models whose `<model>_score` columns a run of this descriptor writes: itself, then for a fused
    /// descriptor each member model (its own score is computed on the way).
    pub fn score_models(&self) -> Vec<String> {
        let members = self.fusion.iter().flat_map(|f| f.models.iter().map(|m| m.name.clone()));
        std::iter::once(self.name.clone()).chain(members).collect()
    }

    /// The PAD view of a descriptor: an error naming the fix for an embedding model given where a PAD model
    /// is wanted (`--model`).
    pub fn require_pad(self) -> Result<Descriptor> {
        if self.kind == Kind::Embedding {
            bail!(
                "`{}` is a face-recognition (embedding) model, not a liveness model; it is used by `compare`, \
                 `search`, `persons` and `eval --match` (option --recognizer). Fix: give a PAD model to --model",
                self.name
            );
        }
        Ok(self)
    }
}

fn check_sha256(sha: &str) -> Result<()> {
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("sha256 must be 64 hex digits, got `{sha}`");
    }
    Ok(())
}

/// The `<model>_score` columns of a run of `descriptors`: each one's [`Descriptor::score_models`], the
/// first occurrence of a name kept (`--model fused,silentface` writes `silentface_score` once).
pub fn score_models(descriptors: &[Descriptor]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in descriptors.iter().flat_map(Descriptor::score_models) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// All descriptors the tool knows: the built-in ones, then `*.toml` files in each config folder (a file
/// with a built-in's name replaces it).
pub fn catalog(config_dirs: &[PathBuf]) -> Result<BTreeMap<String, Descriptor>> {
    let mut out = BTreeMap::new();
    for (name, text) in BUILTIN {
        out.insert(name.to_string(), Descriptor::parse(text, &format!("builtin:{name}"))?);
    }
    for dir in config_dirs {
        let dir = dir.join("models");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "toml")) {
            let d = load_file(&path)?;
            out.insert(d.name.clone(), d);
        }
    }
    Ok(out)
}

fn load_file(path: &Path) -> Result<Descriptor> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read model descriptor {}", path.display()))?;
    Descriptor::parse(&text, &path.display().to_string())
}

/// Resolves `--model` values (PAD models): a descriptor name from the catalog, or a path to a `.toml` file.
pub fn resolve(spec: &str, catalog: &BTreeMap<String, Descriptor>) -> Result<Descriptor> {
    resolve_any(spec, catalog)?.require_pad()
}

/// Resolves `--recognizer` values: like [`resolve`], for face-recognition (`kind = "embedding"`) descriptors.
pub fn resolve_embedding(spec: &str, catalog: &BTreeMap<String, Descriptor>) -> Result<Descriptor> {
    let d = resolve_any(spec, catalog)?;
    if d.kind != Kind::Embedding {
        bail!(
            "`{}` is a liveness (PAD) model, not a face-recognition model. Fix: --recognizer {}",
            d.name,
            DEFAULT_RECOGNIZER
        );
    }
    Ok(d)
}

fn resolve_any(spec: &str, catalog: &BTreeMap<String, Descriptor>) -> Result<Descriptor> {
    if spec.ends_with(".toml") || spec.contains('/') {
        return load_file(Path::new(spec));
    }
    match catalog.get(spec) {
        Some(d) => Ok(d.clone()),
        None => bail!(
            "unknown model `{spec}`; known models: {} (see `liveness models list`), or give a path to a descriptor .toml",
            catalog.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_descriptors_parse_with_their_contracts() {
        let c = catalog(&[]).unwrap();
        let sf = &c["silentface"];
        assert_eq!(sf.members.len(), 2);
        assert_eq!(sf.members[0].color, ColorOrder::Bgr);
        assert_eq!(sf.members[0].output.live_index, 1);
        assert_eq!(sf.members[1].crop.scale, 4.0);
        let mf = &c["minifas128"];
        assert_eq!(mf.members[0].output.live_index, 0);
        assert_eq!(mf.members[0].color, ColorOrder::Rgb);
        assert_eq!(mf.members[0].input_shape(), [1, 3, 128, 128]);
        assert_eq!(c["minifas128-int8"].members[0].file, "minifas_v2se_128_int8.onnx");
    }

    #[test]
    fn unknown_keys_and_bad_indices_are_errors() {
        let good = include_str!("../../configs/models/minifas128.toml");
        let typo = good.replace("live_index", "live_idx");
        let err = format!("{:#}", Descriptor::parse(&typo, "t.toml").unwrap_err());
        assert!(err.contains("t.toml") && err.contains("live_idx"), "{err}");
        let bad = good.replace("live_index = 0", "live_index = 2");
        let err = format!("{:#}", Descriptor::parse(&bad, "t.toml").unwrap_err());
        assert!(err.contains("live_index 2 is not below classes 2"), "{err}");
    }

    #[test]
    fn embedding_descriptors_are_kept_apart_from_pad_models() {
        let c = catalog(&[]).unwrap();
        let fr = resolve_embedding(DEFAULT_RECOGNIZER, &c).unwrap();
        let e = fr.embedding.as_ref().unwrap();
        assert_eq!((fr.kind, e.output.dim, e.chip.rule, e.threshold), (Kind::Embedding, 128, ChipRule::Dlib5, 0.6));
        assert_eq!(fr.files(), ["face_recognition_128.onnx"]);
        let err = format!("{:#}", resolve(DEFAULT_RECOGNIZER, &c).unwrap_err());
        assert!(err.contains("not a liveness model") && err.contains("--model"), "{err}");
        let err = format!("{:#}", resolve_embedding("silentface", &c).unwrap_err());
        assert!(err.contains("--recognizer face_recognition_128"), "{err}");
        let text = include_str!("../../configs/models/face_recognition_128.toml");
        let err =
            format!("{:#}", Descriptor::parse(&text.replace("kind = \"embedding\"\n", ""), "f.toml").unwrap_err());
        assert!(err.contains("[embedding] table but is not"), "{err}");
        let err = format!("{:#}", Descriptor::parse(&text.replace("dim = 128", "dim = 0"), "f.toml").unwrap_err());
        assert!(err.contains("output dim must be positive"), "{err}");
    }

    #[test]
    fn unknown_model_names_list_the_known_ones() {
        let c = catalog(&[]).unwrap();
        let err = resolve("nope", &c).unwrap_err().to_string();
        assert!(err.contains("silentface") && err.contains("minifas128"), "{err}");
    }
}
