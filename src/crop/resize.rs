//! Resizing of 8-bit, 3-channel frames that reproduces OpenCV's `cv2.resize` to the bit.
//!
//! The reference pipelines resize with OpenCV; model scores move in the 2nd decimal when the resized pixels are off
//! by a single level (see SILENT_FACE_CONVERSION.md), so each function below follows OpenCV's own fixed-point or
//! float arithmetic, rounding and border rules, not a textbook formula. Channels are treated independently, so the
//! functions work for RGB and BGR alike.
//!
//! Shared conventions (OpenCV `cv::resize` / `cv::hal::resize`):
//! * same size in and out is a plain copy;
//! * the source step per output pixel is `1 / (out / in)` in `f64` (OpenCV's `1./inv_scale`), which can differ from
//!   `in / out` in the last bit;
//! * interpolation weights are `f32`, turned into 11-bit fixed point with round-half-to-even (`saturate_cast<short>`).
//!
//! An empty source has nothing to sample from, and OpenCV refuses it: here the result is a black frame of the
//! requested size, so no input can panic.
//!
//! Why hand-written rather than a resizing crate (issue 9): `image::imageops::resize` and `fast_image_resize`
//! resize by convolution, widening the filter's support with the scale when shrinking and with their own
//! weight precision and rounding, while `cv2.INTER_LINEAR` always samples the 2x2 neighbours with 11-bit
//! weights rounded half to even. Their pixels differ from OpenCV's by a level or more, which is exactly what
//! moves the reference scores; being bit-exact with cv2 is the whole point of this file.

use crate::frame::Frame;

const CHANNELS: usize = 3;

/// OpenCV's `INTER_RESIZE_COEF_SCALE`: interpolation weights carry 11 fractional bits.
const COEF_SCALE: f32 = 2048.0;

/// `cv2.resize(src, (out_w, out_h), interpolation=cv2.INTER_LINEAR)` on uint8, bit-exact.
///
/// Like OpenCV, an exact 2x downscale takes INTER_AREA's fast path: its `(a + b + c + d + 2) >> 2` is exactly what
/// the bilinear fixed-point arithmetic gives for weights 1/2, 1/2 (a test checks this), and it is several times
/// faster, which matters for the common 640x480 -> 320x240 detector input.
pub fn resize_linear(src: &Frame, out_w: usize, out_h: usize) -> Frame {
    resize_with(src, out_w, out_h, |src| {
        let (sx, sy) = (Step::new(src.width, out_w), Step::new(src.height, out_h));
        if (sx.integer(), sy.integer()) == (Some(2), Some(2)) {
            return area_half(src, out_w, out_h);
        }
        let cols = linear_cols(src.width, out_w, sx, Sampling::Centre);
        let rows = linear_rows(src.height, out_h, sy, Sampling::Centre);
        separable(src, &cols, &rows, vertical_linear)
    })
}

/// `cv2.resize(..., interpolation=cv2.INTER_AREA)` on uint8.
///
/// Shrinking (both factors >= 1) averages the source pixels each output pixel covers: integer factors use OpenCV's
/// integer "fast" path, other factors its fractional-coverage float path. Enlarging either axis falls back, as in
/// OpenCV, to a bilinear interpolation whose fractions follow pixel-cell edges instead of pixel centres.
pub fn resize_area(src: &Frame, out_w: usize, out_h: usize) -> Frame {
    resize_with(src, out_w, out_h, |src| {
        let (sx, sy) = (Step::new(src.width, out_w), Step::new(src.height, out_h));
        if sx.scale < 1.0 || sy.scale < 1.0 {
            let cols = linear_cols(src.width, out_w, sx, Sampling::CellEdges);
            let rows = linear_rows(src.height, out_h, sy, Sampling::CellEdges);
            return separable(src, &cols, &rows, vertical_linear);
        }
        match (sx.integer(), sy.integer()) {
            (Some(2), Some(2)) => area_half(src, out_w, out_h),
            (Some(fx), Some(fy)) => area_integer(src, out_w, out_h, fx, fy),
            _ => area_fractional(src, out_w, out_h, sx, sy),
        }
    })
}

/// `cv2.resize(..., interpolation=cv2.INTER_LANCZOS4)` on uint8: an 8x8 Lanczos window with 11-bit fixed-point
/// weights and edge pixels repeated beyond the border.
pub fn resize_lanczos4(src: &Frame, out_w: usize, out_h: usize) -> Frame {
    resize_with(src, out_w, out_h, |src| {
        let (sx, sy) = (Step::new(src.width, out_w), Step::new(src.height, out_h));
        let cols = lanczos_cols(src.width, out_w, sx);
        let rows = lanczos_rows(src.height, out_h, sy);
        separable(src, &cols, &rows, vertical_lanczos)
    })
}

/// Handles what every interpolation shares: the copy for equal sizes and the black frame for nothing to sample.
fn resize_with(src: &Frame, out_w: usize, out_h: usize, resize: impl FnOnce(&Frame) -> Frame) -> Frame {
    if (src.width, src.height) == (out_w, out_h) {
        src.clone()
    } else if src.width == 0 || src.height == 0 || out_w == 0 || out_h == 0 {
        Frame::new(out_w, out_h, vec![0; out_w * out_h * CHANNELS])
    } else {
        resize(src)
    }
}

/// Source pixels per output pixel along one axis, as OpenCV derives it.
#[derive(Clone, Copy)]
struct Step {
    /// `in / out`, computed as OpenCV does: `1 / (out / in)`.
    scale: f64,
    /// `out / in`.
    inv_scale: f64,
}

impl Step {
    fn new(src_len: usize, dst_len: usize) -> Step {
        let inv_scale = dst_len as f64 / src_len as f64;
        Step { scale: 1.0 / inv_scale, inv_scale }
    }

    /// The factor when it is a whole number (OpenCV's `is_area_fast` test, within `f64::EPSILON`).
    fn integer(self) -> Option<usize> {
        let rounded = self.scale.round();
        ((self.scale - rounded).abs() < f64::EPSILON).then_some(rounded as usize)
    }
}

/// Where an output sample sits in the source, for the two-tap (bilinear) filters.
#[derive(Clone, Copy)]
enum Sampling {
    /// INTER_LINEAR: output pixel centres mapped onto source pixel centres.
    Centre,
    /// INTER_AREA when enlarging: the fraction is how far the output cell's right edge reaches into the next source
    /// pixel.
    CellEdges,
}

impl Sampling {
    /// The integer source coordinate and the `f32` fraction for output sample `d`, with OpenCV's float/double mix.
    fn position(self, d: usize, step: Step) -> (i64, f32) {
        match self {
            Sampling::Centre => {
                let f = ((d as f64 + 0.5) * step.scale - 0.5) as f32;
                let s = f.floor();
                (s as i64, f - s)
            }
            Sampling::CellEdges => {
                let s = (d as f64 * step.scale).floor();
                let f = ((d + 1) as f64 - (s + 1.0) * step.inv_scale) as f32;
                (s as i64, if f <= 0.0 { 0.0 } else { f - f.floor() })
            }
        }
    }
}

/// One output column's sources. Its `K` source pixels are consecutive once the row is padded with `K` copies of
/// its edge pixels on each side ([`pad_row`]); reading past the border then gives the edge pixel, exactly as
/// OpenCV's clamped indices do, and each output pixel reads one contiguous window.
#[derive(Clone, Copy)]
struct ColTap<const K: usize> {
    /// Byte offset of the window in the padded row.
    start: usize,
    weight: [i32; K],
}

impl<const K: usize> ColTap<K> {
    /// The window whose first source pixel is `first` (may lie outside `0..src_len`). A window entirely outside
    /// stays inside the padding, where every pixel is the edge pixel, like the clamped taps it stands for.
    fn new(first: i64, src_len: usize, weight: [i32; K]) -> Self {
        let start = (first + K as i64).clamp(0, (src_len + K) as i64) as usize;
        ColTap { start: start * CHANNELS, weight }
    }
}

/// One output row's sources: `K` source row numbers, clamped into the image, and their weights.
#[derive(Clone, Copy)]
struct RowTap<const K: usize> {
    src: [usize; K],
    weight: [i32; K],
}

/// OpenCV's `saturate_cast<short>(w * INTER_RESIZE_COEF_SCALE)`: round half to even, saturate to `i16`.
fn fixed_weight(w: f32) -> i32 {
    (w * COEF_SCALE).round_ties_even().clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i32
}

fn clamp_index(i: i64, len: usize) -> usize {
    i.clamp(0, len as i64 - 1) as usize
}

/// Bilinear column taps. Beyond either border OpenCV resets the fraction to 0, so the edge pixel is copied with full
/// weight.
fn linear_cols(src_len: usize, dst_len: usize, step: Step, sampling: Sampling) -> Vec<ColTap<2>> {
    (0..dst_len)
        .map(|d| {
            let (mut s, mut f) = sampling.position(d, step);
            if s < 0 {
                (s, f) = (0, 0.0);
            }
            if s >= src_len as i64 - 1 {
                (s, f) = (src_len as i64 - 1, 0.0);
            }
            ColTap::new(s, src_len, [fixed_weight(1.0 - f), fixed_weight(f)])
        })
        .collect()
}

/// Bilinear row taps (row numbers). Unlike columns, OpenCV keeps the fraction at the borders and only clamps the
/// two row indices, which matters for the first and last output rows.
fn linear_rows(src_len: usize, dst_len: usize, step: Step, sampling: Sampling) -> Vec<RowTap<2>> {
    (0..dst_len)
        .map(|d| {
            let (s, f) = sampling.position(d, step);
            RowTap {
                src: [clamp_index(s, src_len), clamp_index(s + 1, src_len)],
                weight: [fixed_weight(1.0 - f), fixed_weight(f)],
            }
        })
        .collect()
}

/// Lanczos-4 taps for output sample `d`: the first source index `s - 3` of its window `s-3 ..= s+4`, and the
/// window's fixed-point weights.
fn lanczos_window(d: usize, step: Step) -> (i64, [i32; 8]) {
    let (s, f) = Sampling::Centre.position(d, step);
    (s - 3, lanczos4_coefficients(f).map(fixed_weight))
}

fn lanczos_cols(src_len: usize, dst_len: usize, step: Step) -> Vec<ColTap<8>> {
    (0..dst_len).map(|d| lanczos_window(d, step)).map(|(first, weight)| ColTap::new(first, src_len, weight)).collect()
}

/// Rows `s-3 ..= s+4`, clamped into the image (edge rows repeat).
fn lanczos_rows(src_len: usize, dst_len: usize, step: Step) -> Vec<RowTap<8>> {
    (0..dst_len)
        .map(|d| lanczos_window(d, step))
        .map(|(first, weight)| RowTap { src: std::array::from_fn(|k| clamp_index(first + k as i64, src_len)), weight })
        .collect()
}

/// OpenCV's `interpolateLanczos4`, operation for operation (f32 sum, f64 sine/cosine, the 1e30 stand-in for the
/// 0/0 at an exact sample position), so that the rounded fixed-point weights come out identical.
fn lanczos4_coefficients(x: f32) -> [f32; 8] {
    const S45: f64 = std::f64::consts::FRAC_1_SQRT_2;
    const CS: [[f64; 2]; 8] =
        [[1.0, 0.0], [-S45, -S45], [0.0, 1.0], [S45, -S45], [-1.0, 0.0], [S45, S45], [0.0, -1.0], [-S45, S45]];
    let y0 = -f64::from(x + 3.0) * std::f64::consts::PI * 0.25;
    let (s0, c0) = (y0.sin(), y0.cos());
    let mut coeffs = [0f32; 8];
    let mut sum = 0f32;
    for (i, (c, cs)) in coeffs.iter_mut().zip(CS).enumerate() {
        let yi = x + 3.0 - i as f32;
        *c = if yi.abs() >= 1e-6 {
            let y = -f64::from(yi) * std::f64::consts::PI * 0.25;
            ((cs[0] * s0 + cs[1] * c0) / (y * y)) as f32
        } else {
            1e30
        };
        sum += *c;
    }
    let inv = 1.0 / sum;
    coeffs.map(|c| c * inv)
}

/// A separable fixed-point filter as OpenCV's `resizeGeneric_` runs it: each needed source row is filtered
/// horizontally once into `i32` (cached while later output rows still use it), then `vertical` combines the `K`
/// filtered rows of each output row and rounds to `u8`.
fn separable<const K: usize>(
    src: &Frame,
    cols: &[ColTap<K>],
    rows: &[RowTap<K>],
    vertical: fn(&[&[i32]; K], &[i32; K], &mut [u8]),
) -> Frame {
    let row_len = cols.len() * CHANNELS;
    let mut cache = RowCache::<K>::new(row_len);
    let mut padded = Vec::with_capacity((src.width + 2 * K) * CHANNELS);
    let mut out = vec![0u8; row_len * rows.len()];
    for (tap, out_row) in rows.iter().zip(out.chunks_exact_mut(row_len)) {
        let filtered = cache.rows(&tap.src, |y, buf| {
            pad_row(src.row(y), K, &mut padded);
            horizontal(&padded, cols, buf);
        });
        vertical(&filtered, &tap.weight, out_row);
    }
    Frame::new(cols.len(), rows.len(), out)
}

/// Horizontally filtered source rows, `K` slots tagged with the source row they hold.
struct RowCache<const K: usize> {
    buffers: [Vec<i32>; K],
    held: [Option<usize>; K],
}

impl<const K: usize> RowCache<K> {
    fn new(row_len: usize) -> Self {
        RowCache { buffers: std::array::from_fn(|_| vec![0; row_len]), held: [None; K] }
    }

    /// The filtered rows for source rows `wanted` (non-decreasing, possibly repeated), filtering only those not
    /// already held. Slots holding rows no longer wanted are recycled; `K` slots always suffice for `K` rows.
    fn rows(&mut self, wanted: &[usize; K], mut filter: impl FnMut(usize, &mut [i32])) -> [&[i32]; K] {
        let mut slot_of = [usize::MAX; K];
        let mut in_use = [false; K];
        for (k, y) in wanted.iter().enumerate() {
            if let Some(slot) = self.held.iter().position(|h| *h == Some(*y)) {
                slot_of[k] = slot;
                in_use[slot] = true;
            }
        }
        for k in 0..K {
            if slot_of[k] != usize::MAX {
                continue;
            }
            let slot = match (0..k).find(|&j| wanted[j] == wanted[k]) {
                Some(j) => slot_of[j],
                None => {
                    let free = in_use.iter().position(|used| !used).unwrap_or(k);
                    filter(wanted[k], &mut self.buffers[free]);
                    self.held[free] = Some(wanted[k]);
                    in_use[free] = true;
                    free
                }
            };
            slot_of[k] = slot;
        }
        slot_of.map(|slot| self.buffers[slot].as_slice())
    }
}

/// `row` with `pad` copies of its first pixel before it and of its last pixel after it, into `out`.
fn pad_row(row: &[u8], pad: usize, out: &mut Vec<u8>) {
    out.clear();
    let (first, last) = (&row[..CHANNELS], &row[row.len() - CHANNELS..]);
    out.extend(first.iter().cycle().take(pad * CHANNELS));
    out.extend_from_slice(row);
    out.extend(last.iter().cycle().take(pad * CHANNELS));
}

/// One padded source row through the column taps, into `i32` sums scaled by 2048.
fn horizontal<const K: usize>(padded: &[u8], cols: &[ColTap<K>], out: &mut [i32]) {
    for (o, tap) in out.chunks_exact_mut(CHANNELS).zip(cols) {
        let window = &padded[tap.start..tap.start + K * CHANNELS];
        let mut acc = [0i32; CHANNELS];
        for (px, &w) in window.chunks_exact(CHANNELS).zip(&tap.weight) {
            for (a, &p) in acc.iter_mut().zip(px) {
                *a += i32::from(p) * w;
            }
        }
        o.copy_from_slice(&acc);
    }
}

/// OpenCV's uint8 bilinear vertical pass (`VResizeLinear` / `VResizeLinearVec_32s8u`): each horizontal sum drops 4
/// bits and is multiplied by its 11-bit weight keeping the high 16 bits, then `(t + 2) >> 2`.
fn vertical_linear(rows: &[&[i32]; 2], weight: &[i32; 2], out: &mut [u8]) {
    for ((o, &a), &b) in out.iter_mut().zip(rows[0]).zip(rows[1]) {
        let t = (((a >> 4) * weight[0]) >> 16) + (((b >> 4) * weight[1]) >> 16);
        *o = ((t + 2) >> 2).clamp(0, 255) as u8;
    }
}

/// OpenCV's uint8 Lanczos-4 vertical pass: an `i32` weighted sum of 8 rows (22 fractional bits), rounded half up.
/// Wrapping `i32` arithmetic as in OpenCV (it cannot overflow for Lanczos-4 weights on 8-bit input).
fn vertical_lanczos(rows: &[&[i32]; 8], weight: &[i32; 8], out: &mut [u8]) {
    for (x, o) in out.iter_mut().enumerate() {
        let sum = rows.iter().zip(weight).fold(0i32, |acc, (r, &w)| acc.wrapping_add(r[x].wrapping_mul(w)));
        *o = (sum.wrapping_add(1 << 21) >> 22).clamp(0, 255) as u8;
    }
}

/// INTER_AREA for whole-number factors (OpenCV's `resizeAreaFast_`): the plain block sum, divided as OpenCV does,
/// `(sum + 2) >> 2` for 2x2 blocks, otherwise `sum * (1/area)` in `f32` rounded half to even. The `fy` rows of a
/// block are summed first, element by element (which vectorises), then groups of `fx` pixels. Inlined so that the
/// 2x2 call from [`resize_linear`] compiles with constant factors (unrolled, about 4x faster).
#[inline(always)]
fn area_integer(src: &Frame, out_w: usize, out_h: usize, fx: usize, fy: usize) -> Frame {
    let scale = 1.0 / (fx * fy) as f32;
    let average = |sum: u32| -> u8 {
        if (fx, fy) == (2, 2) {
            ((sum + 2) >> 2) as u8
        } else {
            (sum as f32 * scale).round_ties_even().min(255.0) as u8
        }
    };
    let mut out = vec![0u8; out_w * out_h * CHANNELS];
    let mut column_sums = vec![0u32; src.width * CHANNELS];
    for (dy, out_row) in out.chunks_exact_mut(out_w * CHANNELS).enumerate() {
        column_sums.fill(0);
        for y in dy * fy..(dy + 1) * fy {
            for (s, &p) in column_sums.iter_mut().zip(src.row(y)) {
                *s += u32::from(p);
            }
        }
        for (o, block) in out_row.chunks_exact_mut(CHANNELS).zip(column_sums.chunks_exact(fx * CHANNELS)) {
            let mut sum = [0u32; CHANNELS];
            for px in block.chunks_exact(CHANNELS) {
                for (s, &p) in sum.iter_mut().zip(px) {
                    *s += p;
                }
            }
            for (o, s) in o.iter_mut().zip(sum) {
                *o = average(s);
            }
        }
    }
    Frame::new(out_w, out_h, out)
}

/// `area_integer` for factors 2 x 2, OpenCV's `(a + b + c + d + 2) >> 2`, written out so the compiler keeps it in
/// registers: the 640x480 -> 320x240 detector input of every image runs here, and the general loop (sums per
/// column, then per block, with the factor known only at run time) cost about 23 instructions per output byte
/// against about 5 here (callgrind, NUAA images). A test checks it equals the general loop.
fn area_half(src: &Frame, out_w: usize, out_h: usize) -> Frame {
    let mut out = vec![0u8; out_w * out_h * CHANNELS];
    let span = out_w * 2 * CHANNELS;
    for (dy, out_row) in out.chunks_exact_mut(out_w * CHANNELS).enumerate() {
        let (top, bottom) = (&src.row(2 * dy)[..span], &src.row(2 * dy + 1)[..span]);
        for ((o, a), b) in out_row.chunks_exact_mut(CHANNELS).zip(top.chunks_exact(6)).zip(bottom.chunks_exact(6)) {
            for c in 0..CHANNELS {
                let sum = u16::from(a[c]) + u16::from(a[c + 3]) + u16::from(b[c]) + u16::from(b[c + 3]);
                o[c] = ((sum + 2) >> 2) as u8;
            }
        }
    }
    Frame::new(out_w, out_h, out)
}

/// One entry of OpenCV's `computeResizeAreaTab`: source pixel `src` covers `alpha` of output pixel `dst`.
struct Coverage {
    dst: usize,
    src: usize,
    alpha: f32,
}

/// OpenCV's `computeResizeAreaTab`: for each output pixel, the partially covered source pixel on its left, the fully
/// covered ones, and the partially covered one on its right, with weights relative to the cell width.
fn coverage(src_len: usize, dst_len: usize, scale: f64) -> Vec<Coverage> {
    let mut tab = Vec::with_capacity(src_len * 2);
    for d in 0..dst_len {
        let fsx1 = d as f64 * scale;
        let fsx2 = fsx1 + scale;
        let cell = scale.min(src_len as f64 - fsx1);
        let sx2 = (fsx2.floor() as i64).min(src_len as i64 - 1);
        let sx1 = (fsx1.ceil() as i64).min(sx2);
        if sx1 as f64 - fsx1 > 1e-3 {
            tab.push(Coverage { dst: d, src: (sx1 - 1) as usize, alpha: ((sx1 as f64 - fsx1) / cell) as f32 });
        }
        for s in sx1..sx2 {
            tab.push(Coverage { dst: d, src: s as usize, alpha: (1.0 / cell) as f32 });
        }
        if fsx2 - sx2 as f64 > 1e-3 {
            tab.push(Coverage {
                dst: d,
                src: sx2 as usize,
                alpha: ((fsx2 - sx2 as f64).min(1.0).min(cell) / cell) as f32,
            });
        }
    }
    tab
}

/// INTER_AREA for fractional factors (OpenCV's `ResizeArea_Invoker`), keeping its exact `f32` accumulation order:
/// each source row is reduced horizontally into `buf`, and rows are summed into the output row with their vertical
/// coverage; the result is rounded half to even.
fn area_fractional(src: &Frame, out_w: usize, out_h: usize, sx: Step, sy: Step) -> Frame {
    let xtab = coverage(src.width, out_w, sx.scale);
    let ytab = coverage(src.height, out_h, sy.scale);
    let row_len = out_w * CHANNELS;
    let mut out = vec![0u8; row_len * out_h];
    let mut buf = vec![0f32; row_len];
    let mut sum = vec![0f32; row_len];
    let mut current = 0;
    for y in &ytab {
        buf.fill(0.0);
        let row = src.row(y.src);
        for x in &xtab {
            let (b, s) = (&mut buf[x.dst * CHANNELS..][..CHANNELS], &row[x.src * CHANNELS..][..CHANNELS]);
            for (b, &p) in b.iter_mut().zip(s) {
                *b += f32::from(p) * x.alpha;
            }
        }
        if y.dst != current {
            store_rounded(&sum, &mut out[current * row_len..][..row_len]);
            sum.fill(0.0);
            current = y.dst;
        }
        for (s, &b) in sum.iter_mut().zip(&buf) {
            *s += y.alpha * b;
        }
    }
    store_rounded(&sum, &mut out[current * row_len..][..row_len]);
    Frame::new(out_w, out_h, out)
}

/// `saturate_cast<uchar>(float)`: round half to even, clamp to 0..=255.
fn store_rounded(sum: &[f32], out: &mut [u8]) {
    for (o, &s) in out.iter_mut().zip(sum) {
        *o = s.round_ties_even().clamp(0.0, 255.0) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic test image: a smooth gradient plus a hash-like texture, so that both flat areas and edges
    /// are exercised.
    fn pattern(width: usize, height: usize, seed: u32) -> Frame {
        let mut pixels = Vec::with_capacity(width * height * CHANNELS);
        for y in 0..height {
            for x in 0..width {
                for c in 0..CHANNELS as u32 {
                    let h = (x as u32).wrapping_mul(73_856_093)
                        ^ (y as u32).wrapping_mul(19_349_663)
                        ^ (c + seed).wrapping_mul(83_492_791);
                    pixels.push(((x * 255 / width.max(1)) as u32 / 2 + (h >> 7) % 128) as u8);
                }
            }
        }
        Frame::new(width, height, pixels)
    }

    /// The shortcut `resize_linear` takes for exact 2x downscales gives what the bilinear taps give.
    #[test]
    fn exact_2x_area_fast_path_equals_bilinear() {
        for (w, h) in [(640, 480), (162, 98), (6, 4), (322, 2)] {
            let src = pattern(w, h, 7);
            let (sx, sy) = (Step::new(w, w / 2), Step::new(h, h / 2));
            let cols = linear_cols(w, w / 2, sx, Sampling::Centre);
            let rows = linear_rows(h, h / 2, sy, Sampling::Centre);
            let bilinear = separable(&src, &cols, &rows, vertical_linear);
            assert_eq!(resize_linear(&src, w / 2, h / 2), bilinear, "{w}x{h}");
        }
    }

    /// The written-out 2 x 2 average equals the general integer-factor loop, on even and odd sizes.
    #[test]
    fn area_half_equals_the_general_integer_loop() {
        for (w, h, seed) in [(640, 480, 1), (2, 2, 2), (162, 98, 3), (7, 5, 4), (1281, 721, 5)] {
            let src = pattern(w, h, seed);
            let (ow, oh) = (w / 2, h / 2);
            assert_eq!(area_half(&src, ow, oh), area_integer(&src, ow, oh, 2, 2), "{w}x{h}");
        }
    }

    #[test]
    fn same_size_is_a_copy_and_empty_source_gives_black() {
        let src = pattern(9, 7, 1);
        assert_eq!(resize_linear(&src, 9, 7), src);
        assert_eq!(resize_lanczos4(&src, 9, 7), src);
        let empty = Frame::new(0, 0, Vec::new());
        assert_eq!(resize_area(&empty, 2, 3), Frame::new(2, 3, vec![0; 18]));
        assert_eq!(resize_linear(&src, 0, 5).pixels.len(), 0);
    }

    #[test]
    fn flat_image_stays_flat() {
        let src = Frame::new(13, 11, vec![200; 13 * 11 * 3]);
        for out in [
            resize_linear(&src, 5, 29),
            resize_area(&src, 5, 4),
            resize_area(&src, 27, 3),
            resize_lanczos4(&src, 40, 41),
        ] {
            assert!(out.pixels.iter().all(|&p| p == 200));
        }
    }

    #[test]
    fn lanczos_weights_at_a_sample_position_are_the_identity() {
        let w = lanczos4_coefficients(0.0).map(fixed_weight);
        assert_eq!(w, [0, 0, 0, 2048, 0, 0, 0, 0]);
    }

    /// Compares with sha256 values recorded from cv2 5.0.0 (opencv-python-headless, IPP on) resizing the same
    /// `pattern(w, h, seed)` (tests/data/make_reference_values.py rebuilds it in numpy).
    fn check(
        resize: fn(&Frame, usize, usize) -> Frame,
        (w, h, seed): (usize, usize, u32),
        out: (usize, usize),
        sha: &str,
    ) {
        let got = crate::test_support::sha256_hex(&resize(&pattern(w, h, seed), out.0, out.1).pixels);
        assert_eq!(got, sha, "{w}x{h} -> {}x{}", out.0, out.1);
    }

    #[test]
    fn linear_matches_opencv() {
        check(
            resize_linear,
            (640, 480, 1),
            (320, 240),
            "5f1082316f959cb769a5a02a815e9c284930e096361952822b236ca037b27062",
        );
        check(
            resize_linear,
            (97, 113, 2),
            (80, 80),
            "2e06d7e2b85cc9408e1350902c1c5e7a21e14a210688301c7d16364c776fad4e",
        );
        check(resize_linear, (31, 17, 3), (80, 80), "0df1269c23745f916b0fc509228e91c22cf4055c5e1a00784f0214c484d1766e");
    }

    #[test]
    fn area_matches_opencv() {
        check(
            resize_area,
            (161, 161, 4),
            (127, 127),
            "7b08a7987d3ee3d5cbeed8b29c13db61a159aa30ef2b08ca358352b45fb35647",
        );
        check(
            resize_area,
            (300, 300, 5),
            (128, 128),
            "a1b13fd967a8eda0af1b480644bdd6c9fbd72c90b0ab7a2ddf2ae04d5273ace5",
        );
        check(
            resize_area,
            (384, 384, 6),
            (128, 128),
            "9690bf86f93fa20270cce790118be9746c9a982d5c7e337de37c1b74af03ed7d",
        );
        check(resize_area, (40, 90, 7), (64, 30), "1a933750ff498e18889b2e7a1cbf152e7807f51134c3ebb4109b62b63caed2a5");
    }

    #[test]
    fn lanczos4_matches_opencv() {
        check(
            resize_lanczos4,
            (100, 100, 8),
            (128, 128),
            "898c99c25b05a2791166224cd6d564827775578349f79c07a29fff2de94c63b8",
        );
        check(
            resize_lanczos4,
            (57, 57, 9),
            (128, 128),
            "f4abe7cf0410f159a903268a4be51621822da69b1501f7f7489cdab652d348f4",
        );
    }
}
