//! Shared look: size, fonts and a colour-blind-safe palette (Okabe-Ito), so every chart reads the same
//! way: bona fide is always blue, the pooled / worst attack red, species in a fixed order of colours.

use plotters::style::{Color, RGBAColor, RGBColor, ShapeStyle, TextStyle};

use super::font::FAMILY;

/// Default chart size in pixels: wide enough for a legend beside the curves, readable when scaled down.
pub const SIZE: (u32, u32) = (960, 600);

pub const BONA_FIDE: RGBColor = RGBColor(0, 114, 178);
pub const ATTACK: RGBColor = RGBColor(213, 94, 0);
pub const THRESHOLD: RGBColor = RGBColor(40, 40, 40);
pub const GRID: RGBColor = RGBColor(215, 215, 215);
/// Minor grid lines: barely there, so that they guide without hatching the chart.
pub const LIGHT_GRID: RGBColor = RGBColor(246, 246, 246);
/// Species colours (Okabe-Ito without blue and vermillion, which mean bona fide and pooled).
const SPECIES: [RGBColor; 6] = [
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(120, 94, 60),
    RGBColor(100, 100, 100),
];
/// Band colours: pass, retry, fail, no response.
pub const PASS: RGBColor = RGBColor(0, 158, 115);
pub const RETRY: RGBColor = RGBColor(240, 190, 40);
pub const FAIL: RGBColor = RGBColor(213, 94, 0);
pub const NO_RESPONSE: RGBColor = RGBColor(150, 150, 150);

/// The colour of the `i`-th species (cycling: past six species, colours repeat but line dashes differ).
pub fn species(i: usize) -> RGBColor {
    SPECIES[i % SPECIES.len()]
}

/// The colour of the `i`-th run in an overlay.
pub fn run(i: usize) -> RGBColor {
    [BONA_FIDE, ATTACK, SPECIES[1], SPECIES[2], SPECIES[0], SPECIES[3]][i % 6]
}

pub fn title() -> TextStyle<'static> {
    (FAMILY, 22).into()
}

pub fn label() -> TextStyle<'static> {
    (FAMILY, 16).into()
}

pub fn small() -> TextStyle<'static> {
    (FAMILY, 14).into()
}

pub fn line(color: RGBColor, width: u32) -> ShapeStyle {
    color.stroke_width(width)
}

pub fn shade(color: RGBColor, alpha: f64) -> RGBAColor {
    color.mix(alpha)
}
