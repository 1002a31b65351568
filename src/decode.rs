//! Image files to RGB [`Frame`]s, pixel-identical to the Python reference's `cv2.imread(path, cv2.IMREAD_COLOR)`.
//!
//! * JPEG goes through libjpeg-turbo (the decoder OpenCV bundles) with its default ISLOW IDCT and fancy chroma
//!   upsampling: pure-Rust decoders differ by a few levels on many pixels, enough to move scores in the 2nd decimal.
//! * PNG, WebP and BMP go through the `image` crate (PNG and BMP are lossless, so any correct decoder agrees).
//! * The EXIF orientation is applied, as `IMREAD_COLOR` does; boxes and crops of the reference live in that frame.
//! * Everything becomes 8-bit RGB the way OpenCV converts: grey is replicated, 16-bit samples keep their high byte
//!   (libpng's `png_set_strip_16`, which OpenCV uses), alpha is dropped, CMYK is converted with OpenCV's formula.
//!   Alpha is dropped rather than composited onto a background because OpenCV drops it too: compositing would feed
//!   the models pixels the reference never saw, and a PAD model has no meaningful "background" for transparency.
//! * The image size is read from the header and checked against [`DecodeLimits::max_pixels`] before any pixel
//!   buffer is allocated, so a tiny file claiming a huge image is refused at once.
//! * Only regular files are opened, and their size is checked against [`DecodeLimits::max_bytes`] before they are
//!   read, so a FIFO, `/dev/zero` or a 3 GB sparse file named `.jpg` is a non-response, never a hang.
//! * PNG metadata the pipeline never uses (ICC profile, text) is dropped before decoding: it is compressed, and a
//!   1 MB file can carry a 1 GiB profile, which `max_pixels` does not cover.

mod jpeg;
mod orient;
mod png_meta;

use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use image::{ColorType, DynamicImage, ImageDecoder, ImageError, ImageReader};

use crate::frame::Frame;

/// Limits that protect decoding from hostile or absurd files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted `width * height`; larger images are refused before their pixels are allocated.
    pub max_pixels: u64,
}

impl DecodeLimits {
    /// The largest file read: what an uncompressed image of `max_pixels` pixels can take (8 bytes per pixel, a
    /// 16-bit RGBA PNG stored without compression) plus 16 MiB of metadata. Tied to the pixel limit, so
    /// `--max-pixels` raises both and no run records a second limit.
    pub fn max_bytes(&self) -> u64 {
        self.max_pixels.saturating_mul(8).saturating_add(16 << 20)
    }
}

impl Default for DecodeLimits {
    /// 50 megapixels: above any camera image a liveness check needs, below what would exhaust memory (an RGB frame
    /// of 50 MP is 150 MB, and decoding briefly needs a second buffer).
    fn default() -> Self {
        DecodeLimits { max_pixels: 50_000_000 }
    }
}

/// Why a file could not be decoded, with the file it concerns.
#[derive(Debug)]
pub struct DecodeError {
    pub path: PathBuf,
    pub kind: DecodeErrorKind,
}

/// The reason part of a [`DecodeError`].
#[derive(Debug)]
pub enum DecodeErrorKind {
    /// The file has 0 bytes.
    Empty,
    /// The file could not be read (missing, a directory, no permission, ...).
    Io(std::io::Error),
    /// The path is a FIFO, a device or a folder, not a regular file (the message says which).
    NotAFile(String),
    /// The file is longer than [`DecodeLimits::max_bytes`] (it was not read).
    TooManyBytes(String),
    /// The bytes are not a JPEG, PNG, WebP or BMP file (for example a text file named `.jpg`).
    NotAnImage,
    /// A recognised image format or variant this program does not decode (GIF, TIFF, 12-bit JPEG, ...).
    Unsupported(String),
    /// The image data ends early (an interrupted download or copy).
    Truncated(String),
    /// The image data is damaged or inconsistent.
    Corrupt(String),
    /// The header announces more pixels than [`DecodeLimits::max_pixels`] allows.
    TooManyPixels { width: u64, height: u64, max_pixels: u64 },
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::Empty => write!(f, "empty file (0 bytes)"),
            DecodeErrorKind::Io(e) => write!(f, "cannot read file: {e}"),
            DecodeErrorKind::NotAFile(what) => write!(f, "{what}"),
            DecodeErrorKind::TooManyBytes(what) => {
                write!(f, "file {what}, so it is not read as an image (raise the limit with --max-pixels)")
            }
            DecodeErrorKind::NotAnImage => write!(f, "not an image (not a JPEG, PNG, WebP or BMP file)"),
            DecodeErrorKind::Unsupported(what) => write!(f, "unsupported image: {what}"),
            DecodeErrorKind::Truncated(detail) => write!(f, "truncated image data: {detail}"),
            DecodeErrorKind::Corrupt(detail) => write!(f, "corrupt image data: {detail}"),
            DecodeErrorKind::TooManyPixels { width, height, max_pixels } => write!(
                f,
                "image is {width}x{height} = {} pixels, above the limit of {max_pixels} pixels (raise it with --max-pixels)",
                width * height
            ),
        }
    }
}

impl DecodeError {
    /// The non-response reason code reported for this failure in score files and output.
    pub fn reason(&self) -> &'static str {
        match &self.kind {
            DecodeErrorKind::Empty => "empty_file",
            DecodeErrorKind::Io(e) if e.kind() == std::io::ErrorKind::NotFound => "missing_file",
            DecodeErrorKind::Io(_) => "unreadable",
            DecodeErrorKind::NotAFile(_) => "not_a_file",
            DecodeErrorKind::TooManyBytes(_) => "too_large",
            DecodeErrorKind::NotAnImage => "not_an_image",
            DecodeErrorKind::Unsupported(_) => "unsupported_image",
            DecodeErrorKind::Truncated(_) => "truncated",
            DecodeErrorKind::Corrupt(_) => "corrupt",
            DecodeErrorKind::TooManyPixels { .. } => "too_large",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.kind)
    }
}

impl std::error::Error for DecodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            DecodeErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads and decodes the image file at `path` (see the module documentation for what "decode" guarantees).
pub fn decode_file(path: &Path, limits: &DecodeLimits) -> Result<Frame, DecodeError> {
    let bytes = crate::input::read_regular(path, limits.max_bytes()).map_err(|e| {
        let kind = if crate::input::is_not_regular(&e) {
            DecodeErrorKind::NotAFile(e.to_string())
        } else if crate::input::is_too_long(&e) {
            DecodeErrorKind::TooManyBytes(e.to_string())
        } else {
            DecodeErrorKind::Io(e)
        };
        DecodeError { path: path.to_path_buf(), kind }
    })?;
    decode_bytes(&bytes, path, limits)
}

/// Decodes an image held in memory; `name` only labels error messages (a path, or e.g. `<stdin>`).
pub fn decode_bytes(bytes: &[u8], name: &Path, limits: &DecodeLimits) -> Result<Frame, DecodeError> {
    decode(bytes, limits).map_err(|kind| DecodeError { path: name.to_path_buf(), kind })
}

fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Frame, DecodeErrorKind> {
    if bytes.is_empty() {
        Err(DecodeErrorKind::Empty)
    } else if jpeg::is_jpeg(bytes) {
        jpeg::decode(bytes, limits)
    } else {
        decode_with_image_crate(bytes, limits)
    }
}

/// Refuses an image whose header announces more than `limits.max_pixels` pixels.
fn check_pixels(width: u64, height: u64, limits: &DecodeLimits) -> Result<(), DecodeErrorKind> {
    if width.saturating_mul(height) > limits.max_pixels {
        return Err(DecodeErrorKind::TooManyPixels { width, height, max_pixels: limits.max_pixels });
    }
    Ok(())
}

/// PNG, WebP and BMP. The format is recognised from the content, not the file name.
fn decode_with_image_crate(bytes: &[u8], limits: &DecodeLimits) -> Result<Frame, DecodeErrorKind> {
    let stripped = png_meta::strip(bytes);
    let bytes = stripped.as_deref().unwrap_or(bytes);
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| DecodeErrorKind::Corrupt(e.to_string()))?;
    if reader.format().is_none() {
        return Err(DecodeErrorKind::NotAnImage);
    }
    // Our pixel limit is the policy; the crate's own allocation cap (512 MiB) must not refuse what it allows.
    let mut crate_limits = image::Limits::default();
    crate_limits.max_alloc = crate_limits.max_alloc.map(|cap| cap.max(limits.max_pixels.saturating_mul(16)));
    reader.limits(crate_limits);
    let mut decoder = reader.into_decoder().map_err(image_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(u64::from(width), u64::from(height), limits)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(image_error)?;
    Ok(orient::apply(to_rgb_frame(image), orientation))
}

/// 8-bit RGB as OpenCV's `IMREAD_COLOR` makes it: 16-bit samples keep their high byte (`v >> 8`, not a rounded
/// `v / 257`), grey is replicated, alpha is dropped.
fn to_rgb_frame(image: DynamicImage) -> Frame {
    let (width, height) = (image.width() as usize, image.height() as usize);
    let pixels = match image.color() {
        ColorType::L16 | ColorType::La16 | ColorType::Rgb16 | ColorType::Rgba16 => {
            image.into_rgb16().into_raw().into_iter().map(|v| (v >> 8) as u8).collect()
        }
        _ => image.into_rgb8().into_raw(),
    };
    Frame::new(width, height, pixels)
}

fn image_error(e: ImageError) -> DecodeErrorKind {
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            DecodeErrorKind::Truncated(io.to_string())
        }
        ImageError::Unsupported(u) => DecodeErrorKind::Unsupported(u.to_string()),
        ImageError::Limits(l) => DecodeErrorKind::Unsupported(l.to_string()),
        other => DecodeErrorKind::Corrupt(other.to_string()),
    }
}

#[cfg(test)]
mod tests;
