//! PNG metadata the pipeline never uses, dropped before decoding.
//!
//! The `png` crate inflates an ICC profile (`iCCP`) and text (`zTXt`, `iTXt`) as soon as it reads the header,
//! bounded only by its allocation cap, which has to admit a `max_pixels` image (hundreds of MB): a 1 MB file
//! holding a 1 GiB profile cost ~830 MB. OpenCV's `IMREAD_COLOR` ignores both (no colour management), so
//! removing them changes no pixel, and the orientation (`eXIf`) is kept.

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks never read: ICC profile and the three text chunks.
const DROPPED: [&[u8; 4]; 4] = [b"iCCP", b"zTXt", b"iTXt", b"tEXt"];

/// The PNG without its [`DROPPED`] chunks, or `None` when `bytes` is not a PNG or has none of them (decode
/// the original). A chunk list that does not parse is left from there on for the decoder to report.
pub fn strip(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(SIGNATURE) {
        return None;
    }
    let mut kept: Vec<&[u8]> = vec![SIGNATURE];
    let mut dropped = false;
    let mut at = SIGNATURE.len();
    while at < bytes.len() {
        let Some(end) = chunk_end(bytes, at) else {
            kept.push(&bytes[at..]);
            break;
        };
        let kind = &bytes[at + 4..at + 8];
        if DROPPED.iter().any(|d| kind == d.as_slice()) {
            dropped = true;
        } else {
            kept.push(&bytes[at..end]);
        }
        at = end;
    }
    dropped.then(|| kept.concat())
}

/// Where the chunk starting at `at` ends (length, type, data, CRC), if it lies inside `bytes`.
fn chunk_end(bytes: &[u8], at: usize) -> Option<usize> {
    let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
    let end = at.checked_add(12)?.checked_add(len)?;
    (end <= bytes.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }

    #[test]
    fn profile_and_text_chunks_go_and_the_rest_stays_in_order() {
        let (ihdr, exif, idat, iend) =
            (chunk(b"IHDR", &[1; 13]), chunk(b"eXIf", b"MM"), chunk(b"IDAT", &[7; 5]), chunk(b"IEND", b""));
        let png = [
            SIGNATURE.to_vec(),
            ihdr.clone(),
            chunk(b"iCCP", &[9; 40]),
            exif.clone(),
            chunk(b"zTXt", b"k\0\0x"),
            idat.clone(),
            chunk(b"tEXt", b"a\0b"),
            iend.clone(),
        ]
        .concat();
        assert_eq!(strip(&png).unwrap(), [SIGNATURE.to_vec(), ihdr.clone(), exif, idat.clone(), iend].concat());
        let clean = [SIGNATURE.to_vec(), ihdr.clone(), idat.clone()].concat();
        assert_eq!(strip(&clean), None, "nothing to drop: the original is decoded");
        assert_eq!(strip(b"\xff\xd8\xff"), None);
        // A length past the end: the tail is kept as is for the decoder to call truncated.
        let cut = [SIGNATURE.to_vec(), chunk(b"iTXt", b"x"), ihdr[..10].to_vec()].concat();
        assert_eq!(strip(&cut).unwrap(), [SIGNATURE.to_vec(), ihdr[..10].to_vec()].concat());
    }
}
