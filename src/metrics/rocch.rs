//! bob.measure's `eer_rocch`: the EER on the ROC convex hull (ROCCH), beside the interpolated EER.
//!
//! The DET points (APCER pooled, BPCER) of every candidate threshold are reduced to their lower-left
//! convex hull, the operating points a randomised mix of two thresholds can reach. bob (after BOSARIS's
//! `rocch2eer`) then takes, over the hull's segments, the largest crossing of a segment's line with the
//! diagonal APCER = BPCER; a horizontal or vertical segment counts 0. On a convex hull that is the
//! hull's own crossing, so `eer_rocch <= eer_pooled` up to the interpolation of the latter.

use serde::{Deserialize, Serialize};

use super::metric::Metric;
use super::operating::{Curve, with_curve};
use super::sweep::Sweep;

/// A bare rate without a count (a value read off a curve).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub value: f64,
}

/// The lower-left convex hull of the (APCER pooled, BPCER) points, from (0, 1) to (1, 0).
fn hull(c: &Curve) -> Vec<(f64, f64)> {
    // Sweep order: APCER non-decreasing, BPCER non-increasing, so the points are already sorted for
    // Andrew's monotone chain; collinear points are dropped (cross <= 0).
    let mut h: Vec<(f64, f64)> = Vec::new();
    for i in 0..c.len() {
        let p = (c.apcer_pooled(i), c.bpcer(i));
        while h.len() >= 2 && cross(h[h.len() - 2], h[h.len() - 1], p) <= 0.0 {
            h.pop();
        }
        h.push(p);
    }
    h
}

fn cross(o: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0)
}

/// bob's `eer_rocch` (pooled attacks); n/a without both classes.
pub fn eer_rocch(sweep: &Sweep) -> Metric<Value> {
    with_curve(sweep, |c| {
        let h = hull(c);
        let value = h.windows(2).map(|w| segment_eer(w[0], w[1])).fold(0.0, f64::max);
        Metric::Value(Value { value })
    })
}

/// Where the line through a hull segment meets APCER = BPCER: solving [x1 y1; x2 y2] s = [1; 1],
/// the crossing is 1 / (s1 + s2). A segment parallel to an axis (or through the origin) gives 0.
fn segment_eer((x1, y1): (f64, f64), (x2, y2): (f64, f64)) -> f64 {
    let det = x1 * y2 - x2 * y1;
    if x1 == x2 || y1 == y2 || det == 0.0 {
        return 0.0;
    }
    det / ((y2 - y1) + (x1 - x2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pres;

    #[test]
    fn hand_computed_hull_and_eer() {
        // live 0.9 0.6 0.4 | attack 0.7 0.3.
        // Points (APCER, BPCER): +inf (0,1); 0.9 (0,2/3); 0.7 (1/2,2/3); 0.6 (1/2,1/3); 0.4 (1/2,0);
        // 0.3 (1,0). Hull: (0,1) (0,2/3) (1/2,0) (1,0). The segment (0,2/3)-(1/2,0) is y = 2/3 - 4x/3,
        // meeting y = x at x = 2/7. The interpolated EER crosses at 1/2 (between 0.7 and 0.6).
        let ps: Vec<_> =
            [("", 0.9), ("", 0.6), ("", 0.4), ("a", 0.7), ("a", 0.3)].iter().map(|&(s, v)| pres(s, Some(v))).collect();
        let sweep = Sweep::build(&ps).unwrap();
        let h = with_curve(&sweep, |c| Metric::Value(hull(c)));
        assert_eq!(h.value().unwrap(), &[(0.0, 1.0), (0.0, 2.0 / 3.0), (0.5, 0.0), (1.0, 0.0)]);
        let eer = eer_rocch(&sweep).value().unwrap().value;
        assert!((eer - 2.0 / 7.0).abs() < 1e-15, "{eer}");
        assert_eq!(eer_rocch(&Sweep::build(&ps[..3]).unwrap()).reason(), Some("no scored attack presentations"));
    }

    #[test]
    fn separable_scores_have_zero_eer() {
        let ps = [pres("", Some(0.9)), pres("", Some(0.8)), pres("a", Some(0.1))];
        assert_eq!(eer_rocch(&Sweep::build(&ps).unwrap()).value().unwrap().value, 0.0);
    }
}
