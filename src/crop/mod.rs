//! TEMPORARY stand-in until the exact implementation lands (not to be committed).
use crate::frame::{FaceBox, Frame};
#[derive(Clone, Copy, Debug)]
pub enum CropRule { ShiftInside { scale: f64 }, ReflectSquare { scale: f64 } }
#[derive(Clone, Copy, Debug)]
pub enum Resize { Linear, Letterbox }
#[derive(Debug)]
pub struct CropError(pub String);
impl std::fmt::Display for CropError { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str(&self.0) } }
pub fn resize_linear(src: &Frame, w: usize, h: usize) -> Frame {
    let mut p = Vec::with_capacity(w * h * 3);
    for y in 0..h { for x in 0..w { let sx = x * src.width / w; let sy = y * src.height / h; p.extend_from_slice(&src.pixel(sx, sy)); } }
    Frame::new(w, h, p)
}
pub fn crop_face(frame: &Frame, face: &FaceBox, _rule: CropRule, _r: Resize, w: usize, h: usize) -> Result<Frame, CropError> {
    let x1 = face.x1.max(0) as usize; let y1 = face.y1.max(0) as usize;
    let x2 = (face.x2 as usize).min(frame.width); let y2 = (face.y2 as usize).min(frame.height);
    if x2 <= x1 || y2 <= y1 { return Err(CropError("empty".into())); }
    let mut p = Vec::new(); for y in y1..y2 { p.extend_from_slice(&frame.row(y)[x1*3..x2*3]); }
    Ok(resize_linear(&Frame::new(x2-x1, y2-y1, p), w, h))
}
