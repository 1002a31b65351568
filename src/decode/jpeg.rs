//! JPEG through libjpeg-turbo (TurboJPEG API), matching OpenCV's `imread`.

use image::metadata::Orientation;
use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};

use super::{DecodeErrorKind, DecodeLimits, check_pixels, orient};
use crate::frame::Frame;

/// Every JPEG starts with SOI (FFD8) followed by another marker.
pub(super) fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF])
}

pub(super) fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<Frame, DecodeErrorKind> {
    let mut decompressor = Decompressor::new().map_err(|e| DecodeErrorKind::Corrupt(format!("JPEG decoder: {e}")))?;
    let header = decompressor.read_header(bytes).map_err(|e| {
        if ends_in_header(bytes) {
            // libjpeg's own message for this case is misleading ("missing SOS marker", or a bogus size).
            DecodeErrorKind::Truncated("the file ends inside the JPEG header, before any image data".into())
        } else {
            classify(message(e))
        }
    })?;
    check_pixels(header.width as u64, header.height as u64, limits)?;
    let (width, height) = (header.width, header.height);
    let frame = if matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK) {
        let cmyk = decompress(&mut decompressor, bytes, width, height, PixelFormat::CMYK)?;
        Frame::new(width, height, cmyk_to_rgb(&cmyk))
    } else {
        Frame::new(width, height, decompress(&mut decompressor, bytes, width, height, PixelFormat::RGB)?)
    };
    Ok(orient::apply(frame, exif_orientation(bytes)))
}

/// Decodes the whole image into `format`. TurboJPEG reports libjpeg warnings as errors after finishing the image;
/// [`classify`] decides which of them still leave a correct image.
fn decompress(
    decompressor: &mut Decompressor,
    bytes: &[u8],
    width: usize,
    height: usize,
    format: PixelFormat,
) -> Result<Vec<u8>, DecodeErrorKind> {
    let pitch = width * format.size();
    let mut pixels = vec![0u8; pitch * height];
    let image = Image { pixels: pixels.as_mut_slice(), width, pitch, height, format };
    match decompressor.decompress(bytes, image) {
        Ok(()) => Ok(pixels),
        Err(e) => match classify(message(e)) {
            DecodeErrorKind::Corrupt(m) if is_benign_warning(&m) => Ok(pixels),
            kind => Err(kind),
        },
    }
}

fn message(e: turbojpeg::Error) -> String {
    match e {
        turbojpeg::Error::TurboJpegError(m) => m,
        other => other.to_string(),
    }
}

/// Sorts a libjpeg message into a reason.
///
/// Truncation: libjpeg warns "Premature end of JPEG file", fills the missing rows grey and finishes; OpenCV's
/// `imread` prints that warning and returns the partly grey image (checked with cv2 5.0 / libjpeg-turbo 3.1). Scoring
/// such an image would score an artefact, so it is an error here. The TurboJPEG crate exposes only the message, not
/// libjpeg's warning/error code, hence the text matching (the messages are libjpeg-turbo's fixed table).
fn classify(message: String) -> DecodeErrorKind {
    if message.contains("Premature end of JPEG file") {
        DecodeErrorKind::Truncated(message)
    } else if message.contains("Unsupported") {
        DecodeErrorKind::Unsupported(message)
    } else {
        DecodeErrorKind::Corrupt(message)
    }
}

/// libjpeg warnings that leave every pixel correctly decoded, so the image is used as OpenCV uses it. Warnings about
/// the entropy-coded data itself (bad Huffman code, premature end of a data segment, lost restart markers) are not
/// here: the pixels after them are garbage, and that is reported as corrupt.
fn is_benign_warning(message: &str) -> bool {
    const BENIGN: [&str; 6] = [
        "extraneous bytes before marker",
        "Unknown Adobe color transform",
        "unknown JFIF revision",
        "Invalid SOS parameters for sequential JPEG",
        "Inconsistent progression sequence",
        "bad ICC marker",
    ];
    BENIGN.iter().any(|b| message.contains(b))
}

/// OpenCV's `icvCvt_CMYK2BGR_8u_C4C3R`: libjpeg hands out Adobe-style inverted CMYK (255 = no ink), and OpenCV
/// scales each inverted ink by the inverted black with `k - ((255 - c) * k >> 8)`.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = u32::from(p[3]);
            let ink = |c: u8| (k - (((255 - u32::from(c)) * k) >> 8)) as u8;
            [ink(p[0]), ink(p[1]), ink(p[2])]
        })
        .collect()
}

/// The orientation in the first APP1 segment that holds EXIF data (where OpenCV looks too); none, or unreadable
/// EXIF, means the pixels are shown as stored.
fn exif_orientation(bytes: &[u8]) -> Orientation {
    match walk_header(bytes, |marker, data| if marker == 0xE1 { data.strip_prefix(b"Exif\0\0") } else { None }) {
        HeaderEnd::Found(chunk) => Orientation::from_exif_chunk(chunk).unwrap_or(Orientation::NoTransforms),
        _ => Orientation::NoTransforms,
    }
}

/// Whether the file ends inside its header, before the first scan: libjpeg then reports a structural error
/// ("missing SOS marker"), but the honest reason is truncation.
fn ends_in_header(bytes: &[u8]) -> bool {
    matches!(walk_header(bytes, |_, _| None::<()>), HeaderEnd::Truncated)
}

/// How a walk over the marker segments before the first scan ended.
enum HeaderEnd<T> {
    /// `visit` returned a value.
    Found(T),
    /// Reached the start of scan (SOS).
    Scan,
    /// The bytes ran out.
    Truncated,
    /// Something that is not a well-formed marker segment.
    Malformed,
}

/// Calls `visit(marker, payload)` for each marker segment before the first scan until it returns a value. Never
/// reads out of bounds, whatever the bytes.
fn walk_header<'a, T>(bytes: &'a [u8], mut visit: impl FnMut(u8, &'a [u8]) -> Option<T>) -> HeaderEnd<T> {
    let mut pos = 2; // after SOI
    loop {
        let (Some(&prefix), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else { return HeaderEnd::Truncated };
        if prefix != 0xFF {
            return HeaderEnd::Malformed;
        }
        pos += if marker == 0xFF { 1 } else { 2 }; // 0xFF fill bytes may pad before a marker
        match marker {
            0xFF | 0x01 | 0xD0..=0xD8 => {} // fill byte, or a marker without payload
            0xDA => return HeaderEnd::Scan,
            0xD9 => return HeaderEnd::Malformed, // end of image before any scan
            _ => {
                let Some(len) = bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
                    return HeaderEnd::Truncated;
                };
                if len < 2 {
                    return HeaderEnd::Malformed; // the length counts its own 2 bytes
                }
                let Some(data) = bytes.get(pos + 2..pos + len) else { return HeaderEnd::Truncated };
                if let Some(found) = visit(marker, data) {
                    return HeaderEnd::Found(found);
                }
                pos += len;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmyk_conversion_is_opencvs() {
        // No ink (255 inverted) with no black -> white; full black -> black; a mid case worked by hand.
        assert_eq!(
            cmyk_to_rgb(&[255, 255, 255, 255, 0, 0, 0, 0, 128, 64, 255, 200]),
            [255, 255, 255, 0, 0, 0, 101, 51, 200]
        );
    }

    #[test]
    fn header_walk_survives_garbage() {
        for bytes in [
            &[0xFF, 0xD8][..],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x00],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0x00],
            &[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF],
        ] {
            assert_eq!(exif_orientation(bytes), Orientation::NoTransforms);
        }
        assert!(ends_in_header(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 0x00]));
        assert!(!ends_in_header(&[0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0x00]));
    }
}
