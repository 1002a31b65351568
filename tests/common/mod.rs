//! Shared by the integration tests: where the real models and data live, and the built binary.
#![allow(dead_code)] // each test file uses a different subset

use std::path::PathBuf;

/// `../shared/<sub>` beside the checkout, or `None` after printing why the test is skipped.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared").join(sub);
    if p.exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (the reference models and data live in ../shared beside the checkout)",
            p.display()
        );
        None
    }
}

/// The `liveness` binary, pointed at the shared models.
pub fn liveness() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("liveness").expect("binary built");
    if let Some(m) = shared("models") {
        cmd.env("LIVENESS_MODELS", m);
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}
