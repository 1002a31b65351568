//! What every chart shares around its data: the titled frame, the axis look, the legend box and the
//! small legend keys, so that charts differ only in what they plot.

use plotters::chart::{ChartBuilder, ChartContext, MeshStyle, SeriesLabelPosition};
use plotters::coord::{CoordTranslate, Shift, ranged1d::Ranged};
use plotters::element::{PathElement, Rectangle};
use plotters::prelude::{Cartesian2d, DashedLineSeries};
use plotters::prelude::{Color, DrawingArea, DrawingBackend, WHITE};
use plotters::style::{RGBColor, ShapeStyle};

use super::{DrawResult, style};

/// A white canvas and a builder with the title and room for axis labels.
pub fn builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label_width: u32,
) -> Result<ChartBuilder<'a, 'b, DB>, plotters::drawing::DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let mut builder = ChartBuilder::on(root);
    builder.caption(title, style::title()).margin(16).x_label_area_size(52).y_label_area_size(y_label_width);
    Ok(builder)
}

/// The common axis look: grid colours and label fonts.
pub fn axes<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.bold_line_style(style::GRID)
        .light_line_style(style::LIGHT_GRID)
        .label_style(style::small())
        .axis_desc_style(style::label())
}

/// The legend box at `position`.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(style::GRID)
        .label_font(style::small())
        .draw()
}

/// The operating threshold: a dashed vertical line from `y.0` to `y.1`, named in the legend.
pub fn threshold_line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    t: f64,
    y: (f64, f64),
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(DashedLineSeries::new(vec![(t, y.0), (t, y.1)], 8, 5, style::line(style::THRESHOLD, 2)))?
        .label(format!("operating threshold {t}"))
        .legend(line_key(style::THRESHOLD, 2));
    Ok(())
}

/// Legend key for a line.
pub fn line_key(color: RGBColor, width: u32) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style::line(color, width))
}

/// Legend key for a filled or outlined area.
pub fn box_key(fill: ShapeStyle) -> impl Fn((i32, i32)) -> Rectangle<(i32, i32)> {
    move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], fill)
}
