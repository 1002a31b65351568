//! The font PNG charts are drawn with.
//!
//! The bitmap backend rasterizes text itself, from a TrueType file read at run time (SVG only names a
//! font family and lets the viewer pick). Without the file, plotters would draw charts with no text at
//! all, which reads as a broken chart rather than a missing package; so the file is checked before the
//! first PNG and its absence is an error that says how to fix it.

use std::path::PathBuf;
use std::sync::OnceLock;

use anyhow::{Result, anyhow};
use plotters::style::FontStyle;

/// DejaVu Sans, as installed by `fonts-dejavu-core` (scripts/setup.sh installs it).
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
/// Environment variable naming another TrueType file to draw PNG text with.
pub const FONT_ENV: &str = "LIVENESS_FONT";
/// The family charts ask for; the loaded file is registered under this name.
pub const FAMILY: &str = "sans-serif";

/// Loads and registers the font once per process; later calls return the first outcome.
pub fn ensure() -> Result<()> {
    static LOADED: OnceLock<Result<(), String>> = OnceLock::new();
    LOADED.get_or_init(load).clone().map_err(|e| anyhow!(e))
}

fn font_path() -> PathBuf {
    std::env::var_os(FONT_ENV).filter(|v| !v.is_empty()).map_or_else(|| PathBuf::from(DEFAULT_FONT), PathBuf::from)
}

fn load() -> Result<(), String> {
    let path = font_path();
    let bytes = std::fs::read(&path).map_err(|e| {
        format!(
            "PNG charts need a TrueType font and {} cannot be read ({e}): install fonts-dejavu-core \
             (apt-get install fonts-dejavu-core, or run scripts/setup.sh), or set {FONT_ENV} to a .ttf file",
            path.display()
        )
    })?;
    // plotters keeps registered fonts for the life of the process; leaking the one copy is that lifetime.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    for style in [FontStyle::Normal, FontStyle::Bold] {
        plotters::style::register_font(FAMILY, style, bytes)
            .map_err(|_| format!("{} is not a usable TrueType font", path.display()))?;
    }
    Ok(())
}
