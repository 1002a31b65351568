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
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use image::{ImageBuffer, Luma, Rgb, Rgba};

    use super::*;
    use crate::test_support::{bgr_sha256, reference_json, shared_models};

    /// Small committed test files (made with Pillow/cv2, see the report); expected hashes are of cv2.imread's BGR output.
    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
    }

    fn decode_path(path: &Path) -> Result<Frame, DecodeError> {
        decode_file(path, &DecodeLimits::default())
    }

    /// Writes `bytes` to `name` in a fresh temporary folder and decodes it.
    fn decode_written(name: &str, bytes: &[u8]) -> (Result<Frame, DecodeError>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write test file");
        (decode_path(&path), dir)
    }

    fn kind_of(result: Result<Frame, DecodeError>) -> DecodeErrorKind {
        result.expect_err("decoding should fail").kind
    }

    #[test]
    fn samples_decode_exactly_like_opencv() {
        let Some(models) = shared_models("samples_decode_exactly_like_opencv") else { return };
        let json = reference_json(&models);
        for (name, image) in json["images"].as_object().expect("images") {
            let frame = decode_path(&models.join("samples").join(name)).expect("decode sample");
            let hw = [frame.height as u64, frame.width as u64];
            assert_eq!(
                hw.to_vec(),
                image["decoded_hw"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect::<Vec<_>>(),
                "{name}"
            );
            assert_eq!(bgr_sha256(&frame), image["decoded_bgr_hwc_uint8_sha256"].as_str().unwrap(), "{name}");
        }
    }

    #[test]
    fn committed_jpegs_decode_exactly_like_opencv() {
        for (name, (w, h), sha) in [
            ("cmyk.jpg", (40, 24), "0687e29b24c5192fd6897596046b30d8079b6cedbb2c3e2adf9b7f8cda3280f6"),
            ("gray.jpg", (40, 24), "ea644959f32919bb90513cc034e86f909ffa851fcca0551fd6d43677f9fadfc3"),
            ("orientation8.jpg", (24, 40), "c255904ba262451feb6218fee03a00836320c98e0135827d678ab472102d1e6e"),
            ("orientation8.png", (24, 40), "431fa92a7e6fd40fdcd16367b6231a26dd1fc62f2410aad2c0b01877305fd026"),
        ] {
            let frame = decode_path(&data(name)).expect(name);
            assert_eq!(((frame.width, frame.height), bgr_sha256(&frame).as_str()), ((w, h), sha), "{name}");
        }
    }

    #[test]
    fn empty_file() {
        let (result, _dir) = decode_written("empty.jpg", b"");
        let err = result.expect_err("empty");
        assert!(matches!(err.kind, DecodeErrorKind::Empty));
        assert!(err.to_string().contains("empty.jpg") && err.to_string().contains("empty file"), "{err}");
    }

    #[test]
    fn unreadable_paths_are_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.jpg");
        let err = decode_path(&missing).expect_err("unreadable");
        assert!(matches!(err.kind, DecodeErrorKind::Io(_)), "{err}");
        assert!(err.to_string().starts_with(&missing.display().to_string()), "{err}");
        assert_eq!(err.reason(), "missing_file");
        // A folder is refused by its type before any read (like a FIFO or a device).
        let err = decode_path(dir.path()).expect_err("a folder");
        assert!(matches!(err.kind, DecodeErrorKind::NotAFile(_)), "{err}");
        assert!(err.to_string().starts_with(&dir.path().display().to_string()) && err.to_string().contains("a folder"));
        assert_eq!(err.reason(), "not_a_file");
    }

    #[test]
    fn text_named_jpg_is_not_an_image() {
        let (result, _dir) = decode_written("notes.jpg", b"just some text, not a picture\n");
        let err = result.expect_err("text");
        assert!(matches!(err.kind, DecodeErrorKind::NotAnImage), "{err}");
        assert!(err.to_string().contains("notes.jpg: not an image"), "{err}");
    }

    #[test]
    fn gif_is_unsupported() {
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        let (result, _dir) = decode_written("anim.gif", gif);
        assert!(matches!(kind_of(result), DecodeErrorKind::Unsupported(_)));
    }

    /// cv2.imread returns such a file with its missing part grey (libjpeg's "Premature end of JPEG file" warning);
    /// here it is an error, wherever the cut falls.
    #[test]
    fn truncated_jpeg_is_an_error() {
        let full = std::fs::read(data("orientation8.jpg")).unwrap();
        for keep in [full.len() * 3 / 5, full.len() - 2, 300] {
            let (result, _dir) = decode_written("cut.jpg", &full[..keep]);
            let err = result.expect_err("truncated");
            assert!(matches!(err.kind, DecodeErrorKind::Truncated(_)), "cut at {keep}: {err}");
            assert!(err.to_string().contains("cut.jpg: truncated image data"), "{err}");
        }
    }

    /// An end-of-image marker in the middle of the scan: libjpeg warns, OpenCV would return garbage rows.
    #[test]
    fn damaged_jpeg_scan_is_an_error() {
        let mut bytes = std::fs::read(data("orientation8.jpg")).unwrap();
        let middle = bytes.len() * 3 / 4;
        bytes[middle..middle + 2].copy_from_slice(&[0xFF, 0xD9]);
        let (result, _dir) = decode_written("damaged.jpg", &bytes);
        assert!(matches!(kind_of(result), DecodeErrorKind::Corrupt(_) | DecodeErrorKind::Truncated(_)));
    }

    /// Junk between the scan and the end marker makes libjpeg warn ("62 extraneous bytes before marker 0xd9", as cv2
    /// prints too) but every pixel is intact: the image is accepted, identical to the clean file.
    #[test]
    fn harmless_jpeg_warning_is_accepted() {
        let clean = std::fs::read(data("gray.jpg")).unwrap();
        let mut junk = clean[..clean.len() - 2].to_vec();
        junk.extend(1..=64u8);
        junk.extend([0xFF, 0xD9]);
        let (result, _dir) = decode_written("junk.jpg", &junk);
        assert_eq!(result.expect("accepted"), decode_path(&data("gray.jpg")).unwrap());
    }

    #[test]
    fn truncated_png_is_truncated() {
        let full = std::fs::read(data("orientation8.png")).unwrap();
        let (result, _dir) = decode_written("cut.png", &full[..full.len() / 2]);
        assert!(matches!(kind_of(result), DecodeErrorKind::Truncated(_)));
    }

    /// CRC-32 (ISO-HDLC) of a PNG chunk's type and data, to hand-craft PNG files.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend(kind);
        out.extend(data);
        let crc = crc32(&out[start..]);
        out.extend(crc.to_be_bytes());
    }

    /// A valid PNG signature and IHDR for a 30000x30000 RGB image, followed by a few KB of IDAT: the file is tiny but
    /// its pixels would need 2.7 GB. Built by hand so that making it allocates nothing.
    fn huge_png() -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend(30_000u32.to_be_bytes());
        ihdr.extend(30_000u32.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]); // 8-bit, RGB, deflate, adaptive filtering, no interlace
        png_chunk(&mut png, b"IHDR", &ihdr);
        png_chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00].repeat(800));
        png_chunk(&mut png, b"IEND", &[]);
        png
    }

    fn assert_too_many_pixels(result: Result<Frame, DecodeError>, file: &str, started: Instant) {
        let err = result.expect_err("too many pixels");
        assert!(started.elapsed() < Duration::from_secs(1), "refusal took {:?}", started.elapsed());
        assert!(
            matches!(
                err.kind,
                DecodeErrorKind::TooManyPixels { width: 30_000, height: 30_000, max_pixels: 50_000_000 }
            ),
            "{err}"
        );
        let message = err.to_string();
        for part in [file, "30000x30000", "50000000", "--max-pixels"] {
            assert!(message.contains(part), "{message}");
        }
    }

    #[test]
    fn huge_png_is_refused_before_allocating() {
        let png = huge_png();
        assert!(png.len() < 8_000, "{} bytes", png.len());
        let started = Instant::now();
        let (result, _dir) = decode_written("bomb.png", &png);
        assert_too_many_pixels(result, "bomb.png", started);
    }

    #[test]
    fn huge_jpeg_is_refused_before_allocating() {
        let mut jpeg = std::fs::read(data("gray.jpg")).unwrap();
        let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2]).expect("SOF marker");
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0x75, 0x30, 0x75, 0x30]); // height, width = 30000
        let started = Instant::now();
        let (result, _dir) = decode_written("bomb.jpg", &jpeg);
        assert_too_many_pixels(result, "bomb.jpg", started);
    }

    #[test]
    fn max_pixels_is_inclusive() {
        let path = data("gray.jpg");
        assert!(decode_file(&path, &DecodeLimits { max_pixels: 40 * 24 }).is_ok());
        let err = decode_file(&path, &DecodeLimits { max_pixels: 40 * 24 - 1 }).expect_err("over the limit");
        assert!(matches!(err.kind, DecodeErrorKind::TooManyPixels { width: 40, height: 24, max_pixels: 959 }));
    }

    /// Encodes `image` as PNG in a temporary folder and decodes it back.
    fn png_round_trip<P: image::PixelWithColorType>(image: ImageBuffer<P, Vec<P::Subpixel>>) -> Frame
    where
        [P::Subpixel]: image::EncodableLayout,
    {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.png");
        image.save(&path).expect("encode PNG");
        decode_path(&path).expect("decode PNG")
    }

    /// OpenCV (libpng `png_set_strip_16`) keeps the high byte of 16-bit samples; `image`'s own conversion would round.
    #[test]
    fn sixteen_bit_png_keeps_the_high_byte() {
        let rgb = ImageBuffer::from_fn(2, 1, |x, _| {
            if x == 0 { Rgb([0x12FFu16, 0x0180, 0xFFFF]) } else { Rgb([0x0000, 0x7F80, 0x8000]) }
        });
        assert_eq!(png_round_trip(rgb).pixels, [0x12, 0x01, 0xFF, 0x00, 0x7F, 0x80]);
        let grey = ImageBuffer::from_fn(1, 1, |_, _| Luma([0xABFFu16]));
        assert_eq!(png_round_trip(grey).pixels, [0xAB; 3]);
    }

    #[test]
    fn grey_png_is_replicated() {
        let grey = ImageBuffer::from_fn(2, 1, |x, _| Luma([if x == 0 { 9u8 } else { 250 }]));
        assert_eq!(png_round_trip(grey).pixels, [9, 9, 9, 250, 250, 250]);
    }

    /// Alpha is dropped, not composited: a fully transparent pixel keeps its stored colour, as in cv2.imread.
    #[test]
    fn rgba_png_drops_alpha() {
        let rgba =
            ImageBuffer::from_fn(2, 1, |x, _| if x == 0 { Rgba([10u8, 20, 30, 0]) } else { Rgba([200, 100, 50, 128]) });
        assert_eq!(png_round_trip(rgba).pixels, [10, 20, 30, 200, 100, 50]);
    }
}
