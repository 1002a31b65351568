//! TEMPORARY stand-in until the exact implementation lands (not to be committed).
use std::path::Path;
use crate::frame::Frame;
#[derive(Clone, Debug)]
pub struct DecodeLimits { pub max_pixels: u64 }
impl Default for DecodeLimits { fn default() -> Self { DecodeLimits { max_pixels: 50_000_000 } } }
#[derive(Debug)]
pub struct DecodeError(pub String);
impl std::fmt::Display for DecodeError { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { f.write_str(&self.0) } }
impl DecodeError { pub fn reason(&self) -> &'static str { "decode_error" } }
pub fn decode_file(path: &Path, _l: &DecodeLimits) -> Result<Frame, DecodeError> {
    let img = image::open(path).map_err(|e| DecodeError(e.to_string()))?.to_rgb8();
    Ok(Frame::new(img.width() as usize, img.height() as usize, img.into_raw()))
}
