//! The layering rules of issue 9, checked on the source itself so a new import cannot quietly break them:
//! the CLI stops at `cli.rs`, `commands/` and `lib.rs`; the schema layer imports only std and serde; and
//! the import graph (scripts/import-graph.py) has at most two circles, each inside one folder, and no
//! import going up the layers.

use std::path::{Path, PathBuf};
use std::process::Command;

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, as (path relative to src/, text).
fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                let rel = p.strip_prefix(src()).unwrap().to_string_lossy().replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Lines that name a module, comments left out.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.starts_with("//"))
}

#[test]
fn nothing_below_the_commands_names_the_cli_or_a_command() {
    let mut offenders = Vec::new();
    for (file, text) in sources(&src()) {
        if file == "cli.rs" || file == "lib.rs" || file == "main.rs" || file.starts_with("commands/") {
            continue;
        }
        for (line, code) in code_lines(&text) {
            // `clap` too: a domain type deriving `clap::ValueEnum` is CLI knowledge below the CLI (its
            // command-line spelling is declared in cli.rs, from the type's own names).
            if code.contains("crate::cli") || code.contains("crate::commands") || code.contains("clap::") {
                offenders.push(format!("src/{file}:{line}: {code}"));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "modules below commands/ must take domain options, not CLI types:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_schema_layer_imports_only_std_and_serde() {
    let mut offenders = Vec::new();
    let files = sources(&src().join("schema"));
    // The schema's own submodules, which `mod.rs` re-exports.
    let local: Vec<String> =
        files.iter().map(|(f, _)| f.trim_start_matches("schema/").trim_end_matches(".rs").to_owned()).collect();
    for (file, text) in &files {
        for (line, code) in code_lines(&text) {
            let Some(path) = code.strip_prefix("use ").or_else(|| code.strip_prefix("pub use ")) else { continue };
            let root = path.split([':', ';', ' ', '{']).next().unwrap_or("");
            if !matches!(root, "std" | "serde" | "super" | "self" | "crate") && !local.iter().any(|m| m == root) {
                offenders.push(format!("src/{file}:{line}: {code}"));
            }
            if root == "crate" && !path.starts_with("crate::schema") {
                offenders.push(format!("src/{file}:{line}: {code}"));
            }
        }
        for other in ["anyhow::", "serde_json::", "toml::", "clap::", "csv::", "sha2::"] {
            if let Some((line, code)) = code_lines(text).find(|(_, c)| c.contains(other)) {
                offenders.push(format!("src/{file}:{line}: {code}"));
            }
        }
    }
    assert!(offenders.is_empty(), "src/schema may use std and serde only:\n{}", offenders.join("\n"));
}

#[test]
fn import_graph_has_at_most_two_circles_each_in_one_folder_and_no_upward_import() {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/import-graph.py");
    let out = Command::new("python3").arg(&script).arg("--check").output().expect("python3 runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "scripts/import-graph.py --check failed:\n{text}");
    assert!(text.contains(" circle(s)") && text.contains(" upward import(s)"), "{text}");
}

/// One test layout: a file's unit tests sit at its end in `#[cfg(test)] mod tests { ... }`, never in a
/// sibling `tests.rs`; the folder-wide property and oracle suites of the metrics engine are the only
/// test-only files; test helpers live in `src/test_support.rs` (unit tests) and `tests/common/`
/// (integration tests), not in `pub(crate) mod tests` blocks other modules import.
#[test]
fn unit_tests_have_one_layout_and_helpers_one_home() {
    const SUITES: [&str; 3] = ["metrics/properties.rs", "metrics/bob_properties.rs", "metrics/oracle_tests.rs"];
    let mut offenders = Vec::new();
    for (file, text) in sources(&src()) {
        if file.ends_with("/tests.rs") || (file.ends_with("_tests.rs") && !SUITES.contains(&file.as_str())) {
            offenders.push(format!("src/{file}: a sibling test file (move its tests into the file they test)"));
        }
        for (line, code) in code_lines(&text) {
            if code == "mod tests;" || code.starts_with("pub(crate) mod tests") || code.contains("::tests::") {
                offenders.push(format!("src/{file}:{line}: {code}"));
            }
        }
    }
    let tests_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    for entry in std::fs::read_dir(&tests_dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() && !matches!(p.file_name().and_then(|n| n.to_str()), Some("common" | "data")) {
            offenders.push(format!("{}: integration-test helpers belong in tests/common/", p.display()));
        }
    }
    assert!(offenders.is_empty(), "one test layout, one home for helpers:\n{}", offenders.join("\n"));
}
