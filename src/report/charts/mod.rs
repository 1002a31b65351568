//! Charts of a run folder, each drawn once per backend: SVG (inlined in index.html) and PNG (linked
//! from report.md, where inline SVG does not render).
//!
//! Text is laid out with DejaVu Sans (see `font`), which the SVG also names first, so both look alike.
//!
//! One chart per file; every chart implements [`Chart`] generically over the plotters backend so that
//! the SVG and the PNG come from the same drawing code and cannot disagree.

pub mod bands;
pub mod category;
pub mod det;
pub mod distribution;
pub mod epc;
pub mod font;
pub mod frame;
pub mod full_system;
pub mod probit;
pub mod reliability;
pub mod roc;
pub mod segments;
pub mod series;
pub mod style;
pub mod sweep;

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Result of drawing on a backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any plotters backend.
pub trait Chart {
    /// Pixel size (width, height).
    fn size(&self) -> (u32, u32) {
        style::SIZE
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// A chart written to disk: `<dir>/<stem>.svg` and `.png`, with the SVG text kept for inlining.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub stem: String,
    pub title: String,
    pub svg: String,
}

/// Draws `chart` as SVG and PNG into `dir` (created if needed).
pub fn render(chart: &impl Chart, stem: &str, title: &str, dir: &Path) -> Result<Rendered> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Both backends lay text out with the font's metrics, so it is needed for the SVG too.
    font::ensure()?;
    let (w, h) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        chart.draw(&root).map_err(|e| anyhow!("drawing {stem}.svg: {e:?}"))?;
        root.present().map_err(|e| anyhow!("drawing {stem}.svg: {e:?}"))?;
    }
    let svg = scalable(&svg, w, h);
    std::fs::write(dir.join(format!("{stem}.svg")), &svg).with_context(|| format!("cannot write {stem}.svg"))?;
    let mut pixels = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
        chart.draw(&root).map_err(|e| anyhow!("drawing {stem}.png: {e:?}"))?;
        root.present().map_err(|e| anyhow!("drawing {stem}.png: {e:?}"))?;
    }
    let png = dir.join(format!("{stem}.png"));
    let image = image::RgbImage::from_raw(w, h, pixels).context("PNG buffer size")?;
    image.save_with_format(&png, image::ImageFormat::Png).with_context(|| format!("cannot write {}", png.display()))?;
    Ok(Rendered { stem: stem.to_owned(), title: title.to_owned(), svg })
}

/// Adds a viewBox to plotters' fixed-size SVG so that CSS can scale it to the page width.
fn scalable(svg: &str, w: u32, h: u32) -> String {
    match svg.find("<svg ") {
        Some(i) => format!("{}<svg viewBox=\"0 0 {w} {h}\" {}", &svg[..i], &svg[i + 5..]),
        None => svg.to_owned(),
    }
}

/// A file stem safe on every file system and in URLs: letters, digits, `-` and `_`.
pub fn stem(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| {
            p.chars()
                .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c.to_ascii_lowercase() } else { '_' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_and_svgs_scalable() {
        assert_eq!(stem(&["segments", "Light <&> 2"]), "segments-light_____2");
        assert_eq!(
            scalable("<?xml?>\n<svg width=\"10\" height=\"5\">", 10, 5),
            "<?xml?>\n<svg viewBox=\"0 0 10 5\" width=\"10\" height=\"5\">"
        );
    }
}
