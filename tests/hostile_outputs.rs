//! Hostile names in outputs (issue 10, findings 14-18), each built here at test time: names that start
//! like spreadsheet formulas in every CSV, control characters on the terminal, CR and raw HTML in the
//! Markdown report and gate summary, control characters in JUnit XML, score-file rows that point outside
//! the dataset, and a manifest dataset's gallery.

mod common;

use std::path::{Path, PathBuf};

use common::{liveness, shared};

/// The formula starts OWASP lists; a text cell of a CSV the tool writes never begins with one.
const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn copy_sample(models: &Path, name: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(models.join("samples").join(name), to).unwrap();
}

fn records(p: &Path) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_path(p).unwrap();
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn metrics(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap()
}

/// Bytes that must never reach a terminal or a document raw.
fn assert_no_controls(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    let bad: Vec<char> = text.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\t')).collect();
    assert!(bad.is_empty(), "{what} holds raw control characters {bad:?}:\n{text}");
}

/// A manifest dataset (ids relative to its folder, so a name can start the cell) whose file names,
/// species, metadata column and values start like formulas.
fn formula_dataset(models: &Path, root: &Path) -> PathBuf {
    let rows = [
        ("=HYPERLINK(\"http:x\").jpg", "image_T1.jpg", "live", "", "-1"),
        ("-2+3.jpg", "image_T1.jpg", "live", "", "=2"),
        ("@x.jpg", "image_F1.jpg", "attack", "=cmd|' /C calc'!A0", "0003"),
        ("'=q.jpg", "image_F2.jpg", "attack", "+print", "'"),
    ];
    let manifest = root.join("m.csv");
    std::fs::create_dir_all(root).unwrap();
    let mut w = csv::Writer::from_path(&manifest).unwrap();
    w.write_record(["path", "label", "attack_type", "@subject"]).unwrap();
    for (name, sample, label, species, subject) in rows {
        copy_sample(models, sample, &root.join(name));
        w.write_record([name, label, species, subject]).unwrap();
    }
    w.flush().unwrap();
    manifest
}

/// Finding 14: no text cell of scores.csv, sweep.csv or `score --csv` starts like a formula, numbers keep
/// their sign, and the escaped ids read back exactly (same fingerprint from the file, resume accepts them).
#[test]
fn formula_names_are_text_in_every_csv_and_read_back() {
    let Some(models) = shared("models") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let manifest = formula_dataset(&models, &data);
    let run = tmp.path().join("run");
    liveness().arg("eval").arg(&manifest).arg("--out").arg(&run).args(["--bootstrap", "0"]).assert().success();

    let rows = records(&run.join("scores.csv"));
    let header = &rows[0];
    assert!(header.iter().all(|c| !c.starts_with(FORMULA)), "scores.csv header {header:?}");
    assert!(header.contains(&"'@subject".to_owned()), "{header:?}");
    let numeric = ["score", "face_count", "x1", "y1", "x2", "y2"];
    for row in &rows[1..] {
        for (name, cell) in header.iter().zip(row) {
            if !numeric.contains(&name.as_str()) && !name.ends_with("_score") && !name.starts_with("q_") {
                assert!(!cell.starts_with(FORMULA), "scores.csv {name} cell {cell:?} starts like a formula");
            }
        }
    }
    let column = |k: usize| rows[1..].iter().map(|r| r[k].clone()).collect::<Vec<_>>();
    assert_eq!(column(0), ["'=HYPERLINK(\"http:x\").jpg", "'-2+3.jpg", "'@x.jpg", "''=q.jpg"].map(String::from));
    assert_eq!(column(2), ["", "", "'=cmd|' /C calc'!A0", "'+print"].map(String::from));
    assert_eq!(column(3), ["'-1", "'=2", "0003", "''"].map(String::from));
    let sweep = records(&run.join("sweep.csv"));
    assert!(sweep[0].iter().all(|c| !c.starts_with(FORMULA)), "sweep header {:?}", sweep[0]);

    // Read back: the score file gives the same presentations as the dataset did, species unescaped.
    let again = tmp.path().join("again");
    liveness()
        .args(["eval", "--bootstrap", "0", "--scores"])
        .arg(run.join("scores.csv"))
        .arg("--out")
        .arg(&again)
        .assert()
        .success();
    assert_eq!(metrics(&again)["run"]["dataset_fingerprint"], metrics(&run)["run"]["dataset_fingerprint"]);
    let species = metrics(&again)["at_threshold"]["species"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(species, ["+print", "=cmd|' /C calc'!A0"]);
    liveness()
        .arg("eval")
        .arg(&manifest)
        .arg("--out")
        .arg(&run)
        .args(["--bootstrap", "0", "--resume"])
        .assert()
        .success();

    // `score --csv` with a name as given: the path column is escaped too.
    let out = liveness()
        .current_dir(&data)
        .env("LIVENESS_CONFIG", Path::new(env!("CARGO_MANIFEST_DIR")).join("configs"))
        .args(["score", "--csv", "--", "-2+3.jpg", "@x.jpg"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cells: Vec<String> = records_of(&out.stdout).into_iter().skip(1).map(|r| r[0].clone()).collect();
    assert_eq!(cells, ["'-2+3.jpg", "'@x.jpg"]);
}

fn records_of(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
    r.records().map(|rec| rec.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// A score file (Liveness format) of `rows`: `(path, label, attack_type, score)`, each with a face box.
fn score_file(path: &Path, rows: &[(&str, &str, &str, f64)]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(["path", "label", "attack_type", "score", "status", "reason", "x1", "y1", "x2", "y2"]).unwrap();
    for (p, label, species, score) in rows {
        w.write_record([*p, label, species, &score.to_string(), "ok", "", "60", "40", "200", "220"]).unwrap();
    }
    w.flush().unwrap();
}

/// Findings 15 and 16: ESC, BEL and CR in file names and species reach neither the terminal (eval, gate)
/// nor report.md raw; a CR cannot start a heading; the gate summary shows the gate name's HTML as text;
/// the JUnit XML stays well-formed.
#[test]
fn control_characters_and_markup_in_names_are_escaped_in_every_human_output() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let evil_species = "pr\u{1b}[2Jint\u{7}\r# ALL GATES PASSED\u{1}";
    let scores = d.join("s.csv");
    score_file(
        &scores,
        &[
            ("live\u{1b}]0;pwned\u{7}.jpg", "live", "", 0.2),
            ("a.jpg\r# ALL GATES PASSED\r| fake | row |", "attack", evil_species, 0.9),
            ("b.jpg", "live", "", 0.8),
            ("c.jpg", "attack", "replay", 0.1),
        ],
    );
    let run = d.join("run");
    let out =
        liveness().args(["eval", "--bootstrap", "0", "--scores"]).arg(&scores).arg("--out").arg(&run).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_no_controls("eval stdout", &out.stdout);
    assert_no_controls("eval stderr", &out.stderr);
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert_no_controls("report.md", md.as_bytes());
    assert!(!md.lines().any(|l| l.starts_with("# ALL") || l.starts_with("| fake")), "{md}");
    assert!(md.contains("a.jpg \\# ALL GATES PASSED \\| fake \\| row \\|"), "{md}");

    let gate = d.join("g.toml");
    std::fs::write(
        &gate,
        "name = \"<img src=x onerror=alert(1)>\\u001b[31m\"\n[[criterion]]\nmetric = \"apcer_max\"\nmax = 0.05\n",
    )
    .unwrap();
    let (summary, junit) = (d.join("summary.md"), d.join("junit.xml"));
    let out = liveness()
        .arg("gate")
        .arg(&scores)
        .args(["--policy", "default", "--criteria"])
        .arg(&gate)
        .arg("--summary")
        .arg(&summary)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_no_controls("gate stdout", &out.stdout);
    assert_no_controls("gate stderr", &out.stderr);
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(!summary.contains("<img"), "{summary}");
    assert!(summary.contains("&lt;img src=x onerror=alert(1)&gt;"), "{summary}");
    assert_no_controls("gate summary", summary.as_bytes());
    let junit = std::fs::read_to_string(&junit).unwrap();
    let wellformed = std::process::Command::new("python3")
        .args(["-c", "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])"])
        .arg(d.join("junit.xml"))
        .status()
        .unwrap();
    assert!(wellformed.success(), "JUnit XML is not well-formed:\n{junit}");
    assert!(junit.contains("&lt;img"), "{junit}");
}

/// Finding 17: score-file rows naming `../x.jpg` or an absolute path are not read for thumbnails; the
/// gallery says why, and no thumbnail is made of them.
#[test]
fn thumbnails_come_only_from_inside_the_score_files_folder() {
    let Some(models) = shared("models") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let secret = d.join("secret.jpg");
    copy_sample(&models, "image_F1.jpg", &secret);
    let inner = d.join("inner");
    copy_sample(&models, "image_F2.jpg", &inner.join("ok.jpg"));
    let scores = inner.join("s.csv");
    let absolute = secret.to_str().unwrap().to_owned();
    score_file(
        &scores,
        &[
            ("../secret.jpg", "attack", "print", 0.95),
            (&absolute, "attack", "print", 0.9),
            ("ok.jpg", "attack", "print", 0.85),
            ("b.jpg", "live", "", 0.7),
        ],
    );
    let run = d.join("run");
    liveness().args(["eval", "--bootstrap", "0", "--scores"]).arg(&scores).arg("--out").arg(&run).assert().success();
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let line = |id: &str| md.lines().find(|l| l.contains(id)).unwrap_or_else(|| panic!("no gallery row {id}:\n{md}"));
    for id in ["../secret.jpg", absolute.as_str()] {
        assert!(line(id).contains("no thumbnail: outside\\_root"), "{}", line(id));
    }
    assert!(!line("| ok.jpg").contains("no thumbnail"), "{}", line("| ok.jpg"));
    let thumbs: Vec<PathBuf> =
        std::fs::read_dir(run.join("thumbs")).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
    assert_eq!(thumbs.len(), 1, "one thumbnail, of ok.jpg: {thumbs:?}");
}

/// Finding 18: a manifest dataset's gallery finds its images from the manifest's folder, wherever the
/// run folder is.
#[test]
fn a_manifest_datasets_gallery_reads_images_beside_the_manifest() {
    let Some(models) = shared("models") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    copy_sample(&models, "image_T1.jpg", &data.join("img/t1.jpg"));
    copy_sample(&models, "image_T1.jpg", &data.join("img/t2.jpg"));
    copy_sample(&models, "image_F1.jpg", &data.join("img/f1.jpg"));
    let manifest = data.join("m.csv");
    std::fs::write(&manifest, "path,label,attack_type\nimg/t1.jpg,live,\nimg/t2.jpg,live,\nimg/f1.jpg,attack,print\n")
        .unwrap();
    let run = tmp.path().join("elsewhere/run");
    // Threshold 1: every bona fide presentation is a false reject, so the gallery has rows.
    liveness()
        .arg("eval")
        .arg(&manifest)
        .arg("--out")
        .arg(&run)
        .args(["--bootstrap", "0", "--threshold", "1"])
        .assert()
        .success();
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    let rows: Vec<&str> = md.lines().filter(|l| l.contains("img/t")).collect();
    assert_eq!(rows.len(), 2, "{md}");
    assert!(rows.iter().all(|r| !r.contains("no thumbnail")), "{rows:?}");
}
