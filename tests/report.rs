//! `liveness eval --scores` writes the report; `liveness report` regenerates it from the run folder and
//! compares runs. These tests need no model: score files are made here.

mod common;

use std::collections::HashSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use common::liveness;
use liveness::report::charts::det::DetChart;
use liveness::report::charts::sweep::SweepChart;
use liveness::report::run_folder::RunFolder;

/// A Reference-format score file with `n` rows: bona fide scores spread high, three species spread low,
/// overlapping enough that every curve has thousands of distinct points; plus `extra` rows verbatim.
fn score_file(dir: &Path, n: usize, extra: &str) -> PathBuf {
    let mut s = String::from("path,label,attack_type,subject,session,score,face_found,x1,y1,x2,y2\n");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let u = (x >> 11) as f64 / (1u64 << 53) as f64;
        let (label, species, score) = match i % 4 {
            0 | 1 => ("live", "", 0.35 + 0.65 * u),
            2 => ("attack", "print", 0.7 * u * u),
            _ => ("attack", if i % 8 == 3 { "replay" } else { "mask" }, 0.55 * u),
        };
        let _ = writeln!(s, "img/{i}.jpg,{label},{species},{:04},{:02},{score},1,10,10,50,50", i % 37, i % 3);
    }
    s += extra;
    let path = dir.join("scores.csv");
    std::fs::write(&path, s).unwrap();
    path
}

fn eval(scores: &Path, out: &Path) {
    let run = liveness()
        .args(["eval", "--bootstrap", "0", "--segment-by", "session", "--scores"])
        .arg(scores)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}\n{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
}

/// Every `src`/`href` attribute value and CSS `url(` in the page.
fn references(page: &str) -> Vec<String> {
    let mut refs = Vec::new();
    for key in ["src=\"", "href=\"", "url("] {
        for (i, _) in page.match_indices(key) {
            let rest = &page[i + key.len()..];
            refs.push(rest[..rest.find(['"', ')']).unwrap_or(rest.len())].chars().take(80).collect());
        }
    }
    refs
}

#[test]
fn the_page_is_self_contained_and_escapes_file_names() {
    let dir = tempfile::tempdir().unwrap();
    // An attack scored 0.99 (a false accept, so it is in the gallery) with a hostile file name.
    let scores =
        score_file(dir.path(), 400, "img/<script>alert(1)</script>&x.jpg,attack,print,0001,01,0.99,1,10,10,50,50\n");
    let out = dir.path().join("run");
    eval(&scores, &out);
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!page.contains("<script"), "a script element or unescaped file name in the page");
    assert!(page.contains("img/&lt;script&gt;alert(1)&lt;/script&gt;&amp;x.jpg"), "the file name is not shown escaped");
    let refs = references(&page);
    assert!(refs.iter().any(|r| r.starts_with("charts/")), "the PNG/SVG links are there: {refs:?}");
    for r in &refs {
        assert!(r.starts_with("data:") || (!r.contains("://") && !r.starts_with("//")), "external reference {r:?}");
    }
    assert!(page.matches("<svg").count() >= 6, "every chart inline");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("![") && md.contains("charts/det.png") && md.contains("&lt;script&gt;"), "{md}");
    for png in ["det", "roc", "distribution", "sweep", "segments-session", "bands"] {
        let bytes = std::fs::read(out.join("charts").join(format!("{png}.png"))).unwrap();
        assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "{png}.png");
    }
}

/// The points the DET and sweep charts are drawn from are rows of sweep.csv, to the last bit.
#[test]
fn det_and_sweep_charts_are_drawn_from_sweep_csv_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    eval(&score_file(dir.path(), 20_000, ""), &out);
    let mut reader = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let pairs = |x: usize, y: usize| -> HashSet<(String, String)> {
        rows.iter().map(|r| (r[x].clone(), r[y].clone())).collect()
    };
    let run = RunFolder::load(&out).unwrap();
    assert_eq!(run.sweep.total_rows, rows.len());
    assert!(run.sweep.rows.len() * 3 < rows.len(), "thinned for drawing: {} of {}", run.sweep.rows.len(), rows.len());

    let det = DetChart::of_run(&run);
    let (bpcer, pooled) = (col("bpcer"), col("apcer_pooled"));
    for curve in &det.curves {
        let x = match curve.label.split(" (").next().unwrap() {
            "all attacks" => pooled,
            species => col(&format!("apcer[{species}]")),
        };
        let file = pairs(x, bpcer);
        assert!(curve.points.len() > 50, "{}: {} points", curve.label, curve.points.len());
        for &(a, b) in &curve.points {
            assert!(
                file.contains(&(a.to_string(), b.to_string())),
                "{}: ({a}, {b}) is not a sweep.csv row",
                curve.label
            );
        }
        // Ends: everything rejected (+inf) and everything accepted.
        assert_eq!(curve.points.first(), Some(&(0.0, 1.0)));
        assert_eq!(curve.points.last().map(|p| p.1), Some(0.0));
    }

    let sweep = SweepChart::of_run(&run);
    for line in &sweep.lines {
        let (label, points) = (&line.label, &line.points);
        let y = match label.as_str() {
            "BPCER" => bpcer,
            "APCER worst species" => col("apcer_max"),
            l => col(&format!("apcer[{}]", l.trim_start_matches("APCER "))),
        };
        let file = pairs(col("threshold"), y);
        for &(t, r) in points {
            assert!(file.contains(&(t.to_string(), r.to_string())), "{label}: ({t}, {r}) is not a sweep.csv row");
        }
        // No gap between drawn points wider than the thinning tolerance plus one presentation of the
        // smallest class (2500 of 20000; scores have no ties, so a row moves a rate by 1/n at most).
        for w in points.windows(2) {
            assert!((w[0].1 - w[1].1).abs() <= 0.0005 + 1.0 / 2500.0 + 1e-12, "{label}: jump {:?}", w);
        }
    }
}

#[test]
fn report_regenerates_from_the_folder_alone_and_compares_runs() {
    let dir = tempfile::tempdir().unwrap();
    let scores = score_file(dir.path(), 2000, "");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    eval(&scores, &a);
    let first = std::fs::read_to_string(a.join("index.html")).unwrap();
    std::fs::remove_file(a.join("index.html")).unwrap();
    let again = liveness().arg("report").arg(&a).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert_eq!(std::fs::read_to_string(a.join("index.html")).unwrap(), first, "same files, same report");

    let run = liveness()
        .args(["eval", "--bootstrap", "0", "--threshold", "0.3", "--scores"])
        .arg(&scores)
        .arg("--out")
        .arg(&b)
        .output()
        .unwrap();
    assert!(run.status.success());
    let cmp = dir.path().join("cmp");
    let out = liveness().arg("report").arg(&a).arg(&b).arg("--out").arg(&cmp).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(cmp.join("index.html")).unwrap();
    assert!(
        page.contains("a (scores)") && page.contains("b (scores)") && page.contains("same presentations"),
        "{page}"
    );
    // Same presentations: the models' overlay is the runs' (no second copy of it).
    assert!(cmp.join("charts/models-det.png").is_file() && !cmp.join("charts/det-overlay.png").exists());

    let no_out = liveness().arg("report").arg(&a).arg(&b).output().unwrap();
    assert!(!no_out.status.success() && String::from_utf8_lossy(&no_out.stderr).contains("--out"));
    let not_a_run = liveness().arg("report").arg(dir.path()).output().unwrap();
    assert!(String::from_utf8_lossy(&not_a_run.stderr).contains("not a run folder"));
}

#[test]
fn a_missing_font_is_a_clear_error_not_blank_text() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    eval(&score_file(dir.path(), 200, ""), &run);
    let out = liveness().env("LIVENESS_FONT", dir.path().join("none.ttf")).arg("report").arg(&run).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("install fonts-dejavu-core") && err.contains("none.ttf"), "{err}");
}
