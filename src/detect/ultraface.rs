//! UltraFace RFB-320: whole image at 320x240 in, raw SSD regressions out, decoded against 4420 priors.
//!
//! Every constant and rounding step follows the upstream Python (`vision/ssd/config/fd_config.py`,
//! `box_utils_numpy.py`, `detect_imgs_onnx.py`) as transcribed by the reference pipeline, so that boxes are
//! the same integers; boxes feed the crop, and a one-pixel shift moves the score.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ort::session::Session;
use ort::value::TensorRef;

use super::Detection;
use crate::crop::resize_linear;
use crate::frame::{FaceBox, Frame};

const INPUT_W: usize = 320;
const INPUT_H: usize = 240;
const FEATURE_W: [usize; 4] = [40, 20, 10, 5];
const FEATURE_H: [usize; 4] = [30, 15, 8, 4];
const MIN_BOXES: [&[f64]; 4] = [&[10.0, 16.0, 24.0], &[32.0, 48.0], &[64.0, 96.0], &[128.0, 192.0, 256.0]];
const CENTER_VARIANCE: f32 = 0.1;
const SIZE_VARIANCE: f32 = 0.2;
/// Candidates kept if their face probability is strictly above this (upstream 0.7).
pub const PROB_THRESHOLD: f32 = 0.7;
const IOU_THRESHOLD: f32 = 0.3;
const CANDIDATES: usize = 200;
const IOU_EPS: f32 = 1e-5;

pub struct UltraFace {
    session: Session,
    priors: Vec<[f32; 4]>,
    tensor: Vec<f32>,
}

impl UltraFace {
    pub fn load(path: &Path) -> Result<UltraFace> {
        let session = super::super::model::session::open(path).context("face detector")?;
        Ok(UltraFace { session, priors: priors(), tensor: Vec::new() })
    }

    /// All faces with probability above the threshold, after hard NMS, best first.
    pub fn detect(&mut self, frame: &Frame) -> Result<Vec<Detection>> {
        input_tensor(frame, &mut self.tensor);
        let input = TensorRef::from_array_view(([1usize, 3, INPUT_H, INPUT_W], self.tensor.as_slice()))?;
        let outputs = self.session.run(ort::inputs!["input" => input]).context("running the face detector")?;
        let (_, scores) = outputs["scores"].try_extract_tensor::<f32>()?;
        let (_, boxes) = outputs["boxes"].try_extract_tensor::<f32>()?;
        if scores.len() != self.priors.len() * 2 || boxes.len() != self.priors.len() * 4 {
            bail!(
                "face detector returned {} scores and {} box values for {} priors",
                scores.len(),
                boxes.len(),
                self.priors.len()
            );
        }
        let mut candidates: Vec<(usize, [f32; 4], f32)> = (0..self.priors.len())
            .filter(|&i| scores[2 * i + 1] > PROB_THRESHOLD)
            .map(|i| (i, decode(&boxes[4 * i..4 * i + 4], &self.priors[i]), scores[2 * i + 1]))
            .collect();
        // Stable ascending sort by probability, best taken from the end: equal probabilities resolve to the
        // higher prior index, as the reference's stable argsort does.
        candidates.sort_by(|a, b| a.2.total_cmp(&b.2));
        let kept = hard_nms(candidates);
        let (w, h) = (frame.width as f32, frame.height as f32);
        Ok(kept
            .into_iter()
            .map(|(b, p)| Detection {
                face: FaceBox {
                    x1: (b[0] * w) as i32,
                    y1: (b[1] * h) as i32,
                    x2: (b[2] * w) as i32,
                    y2: (b[3] * h) as i32,
                },
                confidence: p,
            })
            .collect())
    }
}

/// The detector's input for `frame`: resized to 320x240 (aspect ratio not kept), `(pixel - 127) / 128`, RGB,
/// CHW, shape `[1, 3, 240, 320]`.
pub fn input_tensor(frame: &Frame, tensor: &mut Vec<f32>) {
    let small = resize_linear(frame, INPUT_W, INPUT_H);
    // One channel plane at a time, appended: no zero fill first and no index arithmetic per value.
    tensor.clear();
    for c in 0..3 {
        tensor.extend(small.pixels.chunks_exact(3).map(|px| (f32::from(px[c]) - 127.0) / 128.0));
    }
}

/// Prior boxes `[cx, cy, w, h]`, normalised and clipped to 0..1; ordered by map, row, column, size.
fn priors() -> Vec<[f32; 4]> {
    let mut out = Vec::with_capacity(4420);
    for level in 0..4 {
        let (fw, fh) = (FEATURE_W[level] as f64, FEATURE_H[level] as f64);
        // Upstream: shrinkage = input / feature map, scale = input / shrinkage (== feature map size, in floats).
        let scale_w = INPUT_W as f64 / (INPUT_W as f64 / fw);
        let scale_h = INPUT_H as f64 / (INPUT_H as f64 / fh);
        for j in 0..FEATURE_H[level] {
            for i in 0..FEATURE_W[level] {
                for &size in MIN_BOXES[level] {
                    let p = [
                        (i as f64 + 0.5) / scale_w,
                        (j as f64 + 0.5) / scale_h,
                        size / INPUT_W as f64,
                        size / INPUT_H as f64,
                    ];
                    out.push(p.map(|v| v.clamp(0.0, 1.0) as f32));
                }
            }
        }
    }
    out
}

/// SSD decoding to normalised corners `[x1, y1, x2, y2]`, in f32 as the reference does.
fn decode(loc: &[f32], prior: &[f32; 4]) -> [f32; 4] {
    let cx = loc[0] * CENTER_VARIANCE * prior[2] + prior[0];
    let cy = loc[1] * CENTER_VARIANCE * prior[3] + prior[1];
    let w = (loc[2] * SIZE_VARIANCE).exp() * prior[2];
    let h = (loc[3] * SIZE_VARIANCE).exp() * prior[3];
    [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]
}

/// Upstream hard NMS on candidates sorted ascending by probability: only the best 200 are considered; the
/// best remaining is kept and every remaining box with IoU > 0.3 to it is dropped.
fn hard_nms(mut sorted: Vec<(usize, [f32; 4], f32)>) -> Vec<([f32; 4], f32)> {
    let start = sorted.len().saturating_sub(CANDIDATES);
    let mut rest: Vec<_> = sorted.drain(start..).collect();
    let mut kept = Vec::new();
    while let Some((_, best, p)) = rest.pop() {
        kept.push((best, p));
        rest.retain(|(_, b, _)| iou(b, &best) <= IOU_THRESHOLD);
    }
    kept
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let area = |x1: f32, y1: f32, x2: f32, y2: f32| (x2 - x1).max(0.0) * (y2 - y1).max(0.0);
    let overlap = area(a[0].max(b[0]), a[1].max(b[1]), a[2].min(b[2]), a[3].min(b[3]));
    overlap / (area(a[0], a[1], a[2], a[3]) + area(b[0], b[1], b[2], b[3]) - overlap + IOU_EPS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priors_follow_the_training_config() {
        let p = priors();
        assert_eq!(p.len(), 4420);
        // First prior: cell (0,0) of the 40x30 map, size 10 px.
        assert_eq!(p[0], [0.5 / 40.0, 0.5 / 30.0, 10.0 / 320.0, 10.0 / 240.0]);
        // Last prior: cell (4,3) of the 5x4 map, size 256 px: width 0.8, height clipped to 1.
        assert_eq!(p[4419], [4.5 / 5.0, 3.5 / 4.0, 0.8, 1.0]);
        // Level 2 starts after 40*30*3 + 20*15*2 priors; its map is 10x8 (y shrinkage 30 px).
        assert_eq!(p[3600 + 600], [0.05, 1.0 / 16.0, 64.0 / 320.0, 64.0 / 240.0]);
    }

    #[test]
    fn decoding_zero_regressions_gives_the_prior_corners() {
        let prior = [0.5, 0.5, 0.2, 0.4];
        assert_eq!(decode(&[0.0; 4], &prior), [0.4, 0.3, 0.6, 0.7]);
        let moved = decode(&[1.0, 0.0, 0.0, 0.0], &prior); // dx = 1 moves the centre by 0.1 * w
        assert!((moved[0] - 0.42).abs() < 1e-6 && (moved[2] - 0.62).abs() < 1e-6);
    }

    #[test]
    fn nms_keeps_the_best_of_overlapping_boxes_and_separate_faces() {
        let a = [0.1, 0.1, 0.3, 0.3];
        let a2 = [0.11, 0.1, 0.31, 0.3]; // IoU with a about 0.9
        let b = [0.6, 0.6, 0.8, 0.8];
        let kept = hard_nms(vec![(0, a2, 0.8), (1, b, 0.85), (2, a, 0.9)]);
        assert_eq!(kept, vec![(a, 0.9), (b, 0.85)]);
    }

    #[test]
    fn iou_of_identical_and_disjoint_boxes() {
        let a = [0.0, 0.0, 0.5, 0.5];
        assert!((iou(&a, &a) - 1.0).abs() < 1e-3);
        assert_eq!(iou(&a, &[0.6, 0.6, 0.9, 0.9]), 0.0);
    }
}
