//! Fuzz harness (issue 10, beyond the list): proptest-driven, over image decode -> detect -> crop (with
//! the real UltraFace detector) and over the score-file and manifest parsers. A case passes when the code
//! returns, Ok or Err, without panicking; the parsers' Ok results must also be self-consistent (ids
//! round-trip through the tool's own CSV writer rule). Inside `cargo test` each target runs a small fixed
//! budget (`FUZZ_CASES`, default 32); `scripts/fuzz.sh` runs it long. A failing case is shrunk and kept
//! by proptest in `tests/fuzz.proptest-regressions`, which is replayed first on every run.

mod common;

use std::path::Path;
use std::sync::Mutex;

use liveness::crop::{CropRule, Resize, crop_face};
use liveness::dataset::{DatasetSpec, open};
use liveness::decode::{DecodeLimits, decode_bytes};
use liveness::detect::ultraface::UltraFace;
use liveness::frame::FaceBox;
use liveness::scorefile::{ReadOptions, parse_scores};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    ProptestConfig { cases, max_shrink_iters: 2000, ..ProptestConfig::default() }
}

/// Seeds the mutations start from: a real camera JPEG, and a PNG written here.
fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Some(models) = common::shared("models") {
        out.push(std::fs::read(models.join("samples/image_T1.jpg")).unwrap());
    }
    let img = image::RgbImage::from_fn(48, 40, |x, y| image::Rgb([x as u8 * 5, y as u8 * 6, 128]));
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    out.push(png);
    out
}

/// One detector for all cases (loading it per case would spend the budget on session creation).
fn detector() -> Option<&'static Mutex<UltraFace>> {
    static DETECTOR: std::sync::OnceLock<Option<Mutex<UltraFace>>> = std::sync::OnceLock::new();
    DETECTOR
        .get_or_init(|| {
            let models = common::shared("models")?;
            Some(Mutex::new(UltraFace::load(&models.join("ultraface_rfb_320.onnx")).expect("detector loads")))
        })
        .as_ref()
}

/// A seed with byte edits, an optional cut, or raw bytes.
fn image_bytes() -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..24);
    let seeded = (any::<prop::sample::Index>(), edits, prop::option::of(any::<prop::sample::Index>())).prop_map(
        |(which, edits, cut)| {
            let seeds = seeds();
            let mut b = seeds[which.index(seeds.len())].clone();
            for (at, v) in edits {
                let i = at.index(b.len());
                b[i] = v;
            }
            if let Some(c) = cut {
                b.truncate(c.index(b.len() + 1));
            }
            b
        },
    );
    prop_oneof![4 => seeded, 1 => prop::collection::vec(any::<u8>(), 0..512)]
}

fn face_box() -> impl Strategy<Value = FaceBox> {
    let coord = prop_oneof![-50i32..400, Just(i32::MIN), Just(i32::MAX), any::<i32>()];
    (coord.clone(), coord.clone(), coord.clone(), coord).prop_map(|(x1, y1, x2, y2)| FaceBox { x1, y1, x2, y2 })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn decode_detect_crop_never_panics(
        bytes in image_bytes(),
        given in face_box(),
        scale in prop_oneof![Just(0.0), 0.1f64..5.0, Just(f64::NAN), Just(f64::INFINITY), Just(-1.0)],
        (w, h) in (0usize..140, 0usize..140),
    ) {
        let limits = DecodeLimits { max_pixels: 4_000_000 };
        let Ok(frame) = decode_bytes(&bytes, Path::new("fuzz.jpg"), &limits) else { return Ok(()) };
        prop_assert_eq!(frame.pixels.len(), frame.width * frame.height * 3);
        let mut boxes = vec![given];
        if let Some(d) = detector() {
            let found = d.lock().unwrap().detect(&frame);
            boxes.extend(found.into_iter().flatten().map(|d| d.face));
        }
        for face in boxes {
            for rule in [CropRule::ShiftInside { scale }, CropRule::ReflectSquare { scale }] {
                for resize in [Resize::Linear, Resize::Letterbox] {
                    if let Ok(crop) = crop_face(&frame, &face, rule, resize, w, h) {
                        prop_assert_eq!((crop.width, crop.height), (w, h));
                        prop_assert_eq!(crop.pixels.len(), w * h * 3);
                    }
                }
            }
        }
    }
}

/// Cells a hostile score file or manifest is made of.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        prop::sample::select(vec![
            "a.jpg",
            "live",
            "attack",
            "spoof",
            "bona fide",
            "print",
            "replay",
            "0",
            "1",
            "true",
            "False",
            "ok",
            "non_response",
            "no_face",
            "0.5",
            "-0.25",
            "1e308",
            "-1e-320",
            "nan",
            "inf",
            "-inf",
            "NaN",
            "+0.1",
            "0x10",
            "1,5",
            "../x.jpg",
            "/etc/passwd",
            "'=1",
            "''",
            "=cmd",
            "@x",
            "\t=1",
            "\"",
            "\"\"",
            "a\nb",
            "a\rb",
            "é",
            "\u{0}",
            "\u{1b}[2J",
            "9999999999999999999999",
        ])
        .prop_map(str::to_owned),
        "[ -~]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn column() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "path",
            "label",
            "attack_type",
            "score",
            "status",
            "reason",
            "face_found",
            "is_bonafide",
            "claimed_id",
            "test_label",
            "x1",
            "y1",
            "x2",
            "y2",
            "subject",
            "id",
            "species",
            "silentface_score",
            "q_face_px",
        ])
        .prop_map(str::to_owned),
        cell(),
    ]
}

/// Delimited text from header and row cells, each quoted as a CSV writer would or written raw.
fn table_text() -> impl Strategy<Value = Vec<u8>> {
    let delimiter = prop::sample::select(vec![',', ';', '\t', '|']);
    let header = prop::collection::vec(column(), 1..9);
    let rows = prop::collection::vec(prop::collection::vec(cell(), 0..10), 0..8);
    let text = (delimiter, header, rows, any::<bool>()).prop_map(|(d, header, rows, quote)| {
        let line = |cells: &[String]| {
            let q = |c: &String| if quote { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() };
            cells.iter().map(q).collect::<Vec<_>>().join(&d.to_string())
        };
        let mut t = line(&header) + "\n";
        for r in &rows {
            t += &(line(r) + "\n");
        }
        t.into_bytes()
    });
    prop_oneof![8 => text, 1 => prop::collection::vec(any::<u8>(), 0..256)]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_score_file_parser_never_panics(text in table_text(), flip in any::<bool>()) {
        if let Ok(rows) = parse_scores(&text[..], "fuzz.csv", ReadOptions::flip(flip)) {
            for p in &rows {
                prop_assert!(p.score.is_none_or(f64::is_finite), "{:?}", p);
                prop_assert!(p.score.is_some() || p.reason.is_some(), "{:?}", p);
            }
            let _ = liveness::scorefile::fingerprint(&rows);
        }
    }

    #[test]
    fn ids_round_trip_through_the_csv_rule(id in "[^\\s]([^\\n\\r]{0,20}[^\\s])?", species in "[^\\s]{1,12}") {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["path", "label", "attack_type", "score", "status", "reason"]).unwrap();
        let (id_cell, species_cell) = (liveness::escape::csv(&id), liveness::escape::csv(&species));
        w.write_record([id_cell.as_ref(), "attack", species_cell.as_ref(), "-0.5", "ok", ""]).unwrap();
        let bytes = w.into_inner().unwrap();
        let rows = parse_scores(&bytes[..], "rt.csv", ReadOptions::default()).unwrap();
        prop_assert_eq!(&rows[0].id, &id);
        prop_assert_eq!(&rows[0].species, &species);
        prop_assert_eq!(rows[0].score, Some(-0.5));
    }

    #[test]
    fn the_manifest_loader_never_panics(text in table_text(), jsonl in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let name = if jsonl { "m.jsonl" } else { "m.csv" };
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        std::fs::write(dir.path().join("a.jpg"), b"not an image").unwrap();
        if let Ok(ds) = open(&DatasetSpec { root: path, ..DatasetSpec::default() }) {
            for s in &ds.samples {
                prop_assert!(!s.rel_path.is_empty() && !s.rel_path.starts_with('/') && !s.rel_path.split('/').any(|c| c == ".."), "{:?}", s.rel_path);
            }
        }
    }
}
