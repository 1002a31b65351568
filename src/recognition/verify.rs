//! Compare 1:1 and search 1:N with liveness: the decisions of `liveness compare` and `liveness search`
//! and of the server's `POST /v1/compare` and `POST /v1/search`, written once so the four agree.
//!
//! A match says who the face is; liveness says whether it is really there. The combined decision is
//! match AND live: a printed photo of the right person matches, and must still be refused.

use serde::Serialize;

use super::ChipInfo;
use super::distance;
use super::matching::{is_match, mean_distance};
use crate::gallery::index::{Hit, Index};
use crate::policy::{Band, Policy};
use crate::score::record::{Outcome, ScoreRecord};

/// The probe's liveness as compare and search report it.
#[derive(Clone, Debug, Serialize)]
pub struct Liveness {
    /// Live probability 0..1 (absent for a non-response).
    pub score: Option<f64>,
    pub threshold: f64,
    /// `score >= threshold`; false for a non-response.
    pub passed: bool,
    pub band: Option<Band>,
    /// Why there is no score (`no_face`, `multiple_faces`, a quality gate, ...).
    pub reason: Option<String>,
    pub detail: Option<String>,
}

impl Liveness {
    pub fn of(rec: &ScoreRecord, policy: &Policy) -> Liveness {
        let score = rec.live();
        let (reason, detail) = match &rec.outcome {
            Outcome::Scored => (None, None),
            Outcome::NonResponse { reason, detail } => (Some(reason.clone()), Some(detail.clone())),
        };
        Liveness {
            score,
            threshold: policy.threshold,
            passed: score.is_some_and(|s| policy.is_live(s)),
            band: score.map(|s| policy.band(s)),
            reason,
            detail,
        }
    }
}

/// One reference the probe is compared with: an analysed image, or a descriptor enrolled in a gallery.
pub struct Reference<'a> {
    pub image: String,
    /// `None` when the image gave no usable face.
    pub descriptor: Option<&'a [f32]>,
    /// How the chip was cut (absent for a stored descriptor).
    pub chip: Option<ChipInfo>,
    /// Why there is no descriptor.
    pub reason: Option<String>,
}

impl<'a> Reference<'a> {
    /// An image analysed in the probe's pass (`ScoreRecord::identity`).
    pub fn of(rec: &'a ScoreRecord) -> Reference<'a> {
        let identity = rec.identity.as_ref();
        Reference {
            image: rec.path.clone(),
            descriptor: identity.map(|d| d.descriptor.as_slice()),
            chip: identity.map(|d| d.chip.clone()),
            reason: identity.is_none().then(|| rec.reason().unwrap_or("no_face").to_string()),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct GalleryImage {
    pub image: String,
    /// Distance from the probe (absent when the image gave no face, or the probe none).
    pub distance: Option<f64>,
    pub chip: Option<ChipInfo>,
    pub reason: Option<String>,
}

/// The 1:1 result.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub probe: String,
    pub chip: Option<ChipInfo>,
    pub liveness: Liveness,
    pub gallery: Vec<GalleryImage>,
    /// Mean distance over the gallery images that gave a face.
    pub distance: Option<f64>,
    pub match_threshold: f64,
    pub matched: bool,
    /// The combined decision: matched AND live.
    pub passed: bool,
    pub recognizer: String,
    pub pad_model: String,
}

/// No reference gave a usable face: each reference with its reason. Nothing can be compared.
#[derive(Debug)]
pub struct NoReferenceFace(pub Vec<(String, String)>);

impl std::fmt::Display for NoReferenceFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why: Vec<String> = self.0.iter().map(|(image, reason)| format!("{image}: {reason}")).collect();
        write!(
            f,
            "no gallery image gave a usable face ({}). Fix: give reference images showing one clear face",
            why.join("; ")
        )
    }
}

impl std::error::Error for NoReferenceFace {}

/// What a comparison is judged by and names.
pub struct Matcher<'a> {
    pub policy: &'a Policy,
    /// Match iff distance < this.
    pub threshold: f64,
    pub recognizer: &'a str,
    pub pad_model: &'a str,
}

impl Matcher<'_> {
    /// The probe against one identity's references: the mean distance over those with a face (as
    /// face-api.js's `FaceMatcher`), the match, the probe's liveness, and match AND live.
    pub fn compare(&self, probe: &ScoreRecord, gallery: &[Reference]) -> Result<Comparison, NoReferenceFace> {
        let usable: Vec<&[f32]> = gallery.iter().filter_map(|r| r.descriptor).collect();
        if usable.is_empty() {
            return Err(NoReferenceFace(
                gallery.iter().map(|r| (r.image.clone(), r.reason.clone().unwrap_or_else(|| "?".into()))).collect(),
            ));
        }
        let probe_d = probe.identity.as_ref().map(|d| d.descriptor.as_slice());
        let dist = probe_d.and_then(|p| mean_distance(p, usable.iter().copied()));
        let liveness = Liveness::of(probe, self.policy);
        let matched = dist.is_some_and(|d| is_match(d, self.threshold));
        Ok(Comparison {
            probe: probe.path.clone(),
            chip: probe.identity.as_ref().map(|d| d.chip.clone()),
            gallery: gallery
                .iter()
                .map(|r| GalleryImage {
                    image: r.image.clone(),
                    distance: probe_d.zip(r.descriptor).map(|(p, d)| distance(p, d)),
                    chip: r.chip.clone(),
                    reason: r.reason.clone(),
                })
                .collect(),
            distance: dist,
            match_threshold: self.threshold,
            matched,
            passed: matched && liveness.passed,
            liveness,
            recognizer: self.recognizer.to_string(),
            pad_model: self.pad_model.to_string(),
        })
    }

    /// The probe against every enrolled identity: the `top` nearest by mean distance, the nearest as the
    /// identity when it matches (else "unknown"), the probe's liveness, and identified AND live.
    pub fn search(&self, probe: &ScoreRecord, index: &Index, top: usize) -> Search {
        let liveness = Liveness::of(probe, self.policy);
        let candidates = probe.identity.as_ref().map(|d| index.search(&d.descriptor, top.max(1))).unwrap_or_default();
        let identity = candidates.first().filter(|h| is_match(h.distance, self.threshold)).map(|h| h.name.clone());
        Search {
            probe: probe.path.clone(),
            chip: probe.identity.as_ref().map(|d| d.chip.clone()),
            passed: identity.is_some() && liveness.passed,
            liveness,
            candidates,
            identity,
            match_threshold: self.threshold,
            gallery_persons: index.identities(),
            gallery_descriptors: index.descriptors(),
        }
    }
}

/// The 1:N result.
#[derive(Clone, Debug, Serialize)]
pub struct Search {
    pub probe: String,
    pub chip: Option<ChipInfo>,
    pub liveness: Liveness,
    /// Nearest identities by mean distance, nearest first.
    pub candidates: Vec<Hit>,
    /// The nearest identity if its distance is under the threshold, else absent ("unknown").
    pub identity: Option<String>,
    pub match_threshold: f64,
    /// Identified AND live.
    pub passed: bool,
    pub gallery_persons: usize,
    pub gallery_descriptors: usize,
}
