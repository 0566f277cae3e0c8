//! [`LineChart`] (what to draw) and [`Figure`] (the drawn chart, shown by evcxr, saved as files).
use super::{atomic_write, ensure_fonts, PlotError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

// Text sizes in plotters' units: its line height, 1.24 times the em size written as the SVG
// font-size. 18 gives a 14.5 px em, the floor for legibility in an ~800 px notebook column.
/// Title: 21 px em.
const TITLE_PX: u32 = 26;
/// Axis descriptions ("epoch", "NPMI"): 16 px em.
const AXIS_PX: u32 = 20;
/// Tick labels: 14.5 px em.
const TICK_PX: u32 = 18;
/// Legend entries: 14.5 px em.
const LEGEND_PX: u32 = 18;

/// Tableau 10 without its yellow, which is hard to see on white.
const PALETTE: [RGBColor; 9] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x79, 0x70, 0x6E),
];

/// Where a chart's legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Top right corner of the plotting area.
    UpperRight,
    /// Top left corner.
    UpperLeft,
    /// Bottom right corner.
    LowerRight,
    /// Bottom left corner.
    LowerLeft,
    /// Under the plot, outside the data: the default, because a legend inside the plotting area
    /// can cover a line wherever it goes.
    #[default]
    Below,
    /// No legend.
    Hidden,
}

/// A horizontal band across a [`LineChart`] (for example the random-topic floor, mean ± sd).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The legend text.
    pub name: String,
    /// Lower edge (y).
    pub low: f64,
    /// Upper edge (y).
    pub high: f64,
}

/// A dashed horizontal line across a [`LineChart`] (for example a baseline's score).
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The legend text.
    pub name: String,
    /// Its height (y).
    pub y: f64,
    /// Which pattern (colour and dashes, cycled) it is drawn in: lines of one baseline share one.
    pub pattern: usize,
}

/// One named line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend text.
    pub name: String,
    /// `(x, y)` points in drawing order. Non-finite points are left out when drawing.
    pub points: Vec<(f64, f64)>,
    /// A shaded band around the line, `(x, low, high)` in x order (e.g. ± one standard deviation
    /// over seeds); empty for none.
    pub band: Vec<(f64, f64, f64)>,
}

impl Series {
    /// The finite points, in order.
    fn finite(&self) -> Vec<(f64, f64)> {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect()
    }

    /// The point with the largest finite y (the first one on ties).
    pub fn best(&self) -> Option<(f64, f64)> {
        self.finite()
            .into_iter()
            .fold(None, |best: Option<(f64, f64)>, p| match best {
                Some(b) if b.1 >= p.1 => Some(b),
                _ => Some(p),
            })
    }
}

/// A line chart description: title, axis names, series and options. [`LineChart::build`] draws
/// it into a [`Figure`]. The chart functions of [`crate::plot`] are presets of this builder.
///
/// ```
/// use gcatm::plot::{LineChart, Legend};
/// let fig = LineChart::new("Topic diversity")
///     .x_label("epoch")
///     .y_label("diversity")
///     .series("K=50", vec![(1.0, 0.4), (2.0, 0.55), (3.0, 0.61)])
///     .legend(Legend::LowerRight)
///     .build()
///     .unwrap();
/// assert!(fig.svg().contains("Topic diversity"));
/// assert_eq!((fig.width(), fig.height()), (800, 480));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title drawn above the plot (none when empty).
    pub title: String,
    /// Name of the x axis.
    pub x_label: String,
    /// Name of the y axis.
    pub y_label: String,
    /// The lines, drawn in order with a fixed palette.
    pub series: Vec<Series>,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Draw a dot at every point (always done for a series of one point).
    pub markers: bool,
    /// Mark each series' maximum with a ringed dot and give its value in the legend.
    pub mark_best: bool,
    /// Where the legend goes.
    pub legend: Legend,
    /// Shaded horizontal bands, drawn under the lines.
    pub bands: Vec<Band>,
    /// Dashed horizontal lines, each in a pattern of its own (a dark colour and dashes: in order
    /// charcoal dashes, dark red dots, navy long dashes, olive short dashes) so that several
    /// baselines stay apart.
    pub references: Vec<Reference>,
    /// The y range; `None` fits the data, bands and references.
    pub y_range: Option<(f64, f64)>,
    /// Points with a smaller x are left out (e.g. the first iterations' spike of a loss), and the
    /// x axis says so.
    pub x_from: Option<f64>,
}

impl LineChart {
    /// An empty chart with a title, 800 x 480 pixels.
    pub fn new(title: impl Into<String>) -> Self {
        LineChart {
            title: title.into(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            size: (800, 480),
            markers: false,
            mark_best: false,
            legend: Legend::default(),
            bands: Vec::new(),
            references: Vec::new(),
            y_range: None,
            x_from: None,
        }
    }

    /// Leaves out the points before `x` (the x axis name says from where it starts): a loss
    /// chart drawn without the first iterations' spike, which would set its scale.
    ///
    /// ```
    /// let fig = gcatm::plot::LineChart::new("loss")
    ///     .x_label("iteration")
    ///     .series("D", vec![(0.0, 900.0), (1.0, 0.5), (2.0, 0.4)])
    ///     .from_x(1.0)
    ///     .build()
    ///     .unwrap();
    /// assert!(fig.svg().contains("iteration (from 1 on: the first ones left out)"));
    /// ```
    pub fn from_x(mut self, x: f64) -> Self {
        self.x_from = Some(x);
        self
    }

    /// Adds a shaded band from `low` to `high` across the chart.
    pub fn band(mut self, name: impl Into<String>, low: f64, high: f64) -> Self {
        self.bands.push(Band {
            name: name.into(),
            low,
            high,
        });
        self
    }

    /// Adds a dashed horizontal line at `y`, in the next dash pattern.
    pub fn reference(self, name: impl Into<String>, y: f64) -> Self {
        let pattern = self.references.len();
        self.reference_in(name, y, pattern)
    }

    /// Adds a dashed horizontal line at `y` in dash pattern `pattern` (cycled; see
    /// [`LineChart::references`]), e.g. a baseline's NPMI and TD lines in one pattern.
    pub fn reference_in(mut self, name: impl Into<String>, y: f64, pattern: usize) -> Self {
        self.references.push(Reference {
            name: name.into(),
            y,
            pattern,
        });
        self
    }

    /// Fixes the y range (instead of fitting it to what is drawn).
    pub fn y_range(mut self, low: f64, high: f64) -> Self {
        self.y_range = Some((low, high));
        self
    }

    /// Sets the x axis name.
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// Sets the y axis name.
    pub fn y_label(mut self, label: impl Into<String>) -> Self {
        self.y_label = label.into();
        self
    }

    /// Adds a series.
    pub fn series(self, name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        self.series_with_band(name, points, Vec::new())
    }

    /// Adds a series with a shaded band around it, `(x, low, high)` (e.g. the mean over seeds
    /// with ± one standard deviation), in the series' colour.
    pub fn series_with_band(
        mut self,
        name: impl Into<String>,
        points: Vec<(f64, f64)>,
        band: Vec<(f64, f64, f64)>,
    ) -> Self {
        self.series.push(Series {
            name: name.into(),
            points,
            band,
        });
        self
    }

    /// Sets the size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }

    /// Draws a dot at every point.
    pub fn markers(mut self, on: bool) -> Self {
        self.markers = on;
        self
    }

    /// Marks each series' maximum.
    pub fn mark_best(mut self, on: bool) -> Self {
        self.mark_best = on;
        self
    }

    /// Sets the legend position.
    pub fn legend(mut self, legend: Legend) -> Self {
        self.legend = legend;
        self
    }

    /// Draws the chart as SVG.
    pub fn build(self) -> Result<Figure, PlotError> {
        ensure_fonts()?;
        let (w, h) = self.size;
        if w < 200 || h < 150 {
            return Err(PlotError::Input(format!(
                "a chart needs at least 200 x 150 pixels, got {w} x {h}"
            )));
        }
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, canvas(&self)).into_drawing_area();
            draw(&self, &root).map_err(|message| PlotError::Draw {
                target: "SVG".into(),
                message,
            })?;
        }
        Ok(Figure { chart: self, svg })
    }

    /// x and y ranges of the finite points (and of the bands and references for y), padded so
    /// that edge markers stay inside the plot; a fixed y range when one was set.
    fn ranges(&self) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
        let pts: Vec<(f64, f64)> = self.series.iter().flat_map(|s| self.shown(s)).collect();
        let xr = padded(pts.iter().map(|p| p.0), 0.03);
        let spread: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| self.shown_band(s))
            .flat_map(|b| [b.1, b.2])
            .collect();
        let ys = pts
            .iter()
            .map(|p| p.1)
            .chain(spread)
            .chain(self.bands.iter().flat_map(|b| [b.low, b.high]))
            .chain(self.references.iter().map(|r| r.y))
            .filter(|y| y.is_finite());
        let yr = match self.y_range {
            Some((lo, hi)) if lo < hi => lo..hi,
            _ => padded(ys, 0.08),
        };
        (xr, yr)
    }
}

impl LineChart {
    /// The finite points of `s` that are drawn (from [`LineChart::x_from`] on).
    fn shown(&self, s: &Series) -> Vec<(f64, f64)> {
        let from = self.x_from.unwrap_or(f64::NEG_INFINITY);
        s.finite().into_iter().filter(|p| p.0 >= from).collect()
    }

    /// The finite part of `s`'s band that is drawn.
    fn shown_band(&self, s: &Series) -> Vec<(f64, f64, f64)> {
        let from = self.x_from.unwrap_or(f64::NEG_INFINITY);
        s.band
            .iter()
            .copied()
            .filter(|b| b.0 >= from && b.0.is_finite() && b.1.is_finite() && b.2.is_finite())
            .collect()
    }

    /// The x axis name, with where it starts when points are left out.
    fn x_desc(&self) -> String {
        match self.x_from {
            Some(x) => format!(
                "{} (from {} on: the first ones left out)",
                self.x_label,
                fmt_num(x)
            ),
            None => self.x_label.clone(),
        }
    }
}

/// The whole picture's size: the chart's, with the rows of a legend below the plot added.
fn canvas(chart: &LineChart) -> (u32, u32) {
    let (w, h) = chart.size;
    if chart.legend != Legend::Below {
        return (w, h);
    }
    let rows = legend_rows(&legend_entries(chart));
    (w, h + if rows == 0 { 0 } else { 12 + rows * LEGEND_ROW })
}

/// Longest legend text (characters) that fits a column of a two-column legend on 800 pixels.
const TWO_COLUMN_CHARS: usize = 46;

/// Rows of a legend below the plot: in two columns beyond four entries whose texts are short
/// enough, else one.
fn legend_rows(keys: &[Key]) -> u32 {
    let n = keys.len() as u32;
    let longest = keys
        .iter()
        .map(|k| k.text().chars().count())
        .max()
        .unwrap_or(0);
    if n > 4 && longest <= TWO_COLUMN_CHARS {
        n.div_ceil(2)
    } else {
        n
    }
}

/// `[min, max]` of the values widened by `pad` of their span on each side; a single value gets a
/// small window around it and no value gives `0..1`, because plotters needs a non-empty range.
fn padded(values: impl Iterator<Item = f64>, pad: f64) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if lo > hi {
        return 0.0..1.0;
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(1.0) {
        let d = (hi.abs() * 0.1).max(1e-3);
        return (lo - d)..(hi + d);
    }
    (lo - pad * span)..(hi + pad * span)
}

/// A number for a legend: integers as integers, else about four significant digits.
pub(crate) fn fmt_num(v: f64) -> String {
    let a = v.abs();
    if v == v.trunc() && a < 1e9 {
        format!("{v:.0}")
    } else if !(1e-3..1e4).contains(&a) {
        format!("{v:.3e}")
    } else {
        let digits = (3 - a.log10().floor() as i32).max(0) as usize;
        format!("{v:.digits$}")
    }
}

/// A tick label on an axis spanning `span`: as many decimals as the tick spacing (about span/8)
/// needs, trailing zeros cut (plotters' default writes `1000.0`, and `-2.78e-17` for a zero
/// reached by adding float steps); scientific notation for extreme magnitudes.
fn fmt_tick(v: f64, span: f64) -> String {
    if v.abs() <= span * 1e-6 {
        return "0".into();
    }
    if v.abs() >= 1e7 || span < 1e-6 {
        return format!("{v:.2e}");
    }
    let step = span / 8.0;
    // One decimal more than the spacing needs: plotters may pick a step finer than span/8.
    let decimals = (2 - step.log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    s.to_string()
}

/// Draws `chart` on any plotters backend (SVG for display, bitmap for PNG).
fn draw<DB: DrawingBackend>(
    chart: &LineChart,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let entries = legend_entries(chart);
    let (root, below) = if chart.legend == Legend::Below && !entries.is_empty() {
        let (top, bottom) = root.split_vertically(chart.size.1);
        (top, Some(bottom))
    } else {
        (root.clone(), None)
    };
    let root = &root;
    let (xr, yr) = chart.ranges();
    let (xspan, yspan) = (xr.end - xr.start, yr.end - yr.start);
    let mut builder = ChartBuilder::on(root);
    builder
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(88);
    if !chart.title.is_empty() {
        builder.caption(&chart.title, ("sans-serif", TITLE_PX));
    }
    let mut ctx = builder.build_cartesian_2d(xr, yr).map_err(e)?;
    ctx.configure_mesh()
        .x_desc(chart.x_desc())
        .y_desc(chart.y_label.as_str())
        .axis_desc_style(("sans-serif", AXIS_PX))
        .label_style(("sans-serif", TICK_PX))
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&|v| fmt_tick(*v, xspan))
        .y_label_formatter(&|v| fmt_tick(*v, yspan))
        .bold_line_style(RGBColor(225, 225, 225))
        .light_line_style(RGBColor(245, 245, 245))
        .draw()
        .map_err(e)?;

    let (x0, x1) = (ctx.x_range().start, ctx.x_range().end);
    for b in &chart.bands {
        let band = Rectangle::new([(x0, b.low), (x1, b.high)], BAND.mix(0.35).filled());
        let label = if chart.legend == Legend::Below {
            String::new()
        } else {
            b.name.clone()
        };
        let drawn = ctx.draw_series([band]).map_err(e)?;
        if !label.is_empty() {
            drawn.label(label).legend(|(x, y)| {
                Rectangle::new([(x, y - 6), (x + 24, y + 6)], BAND.mix(0.35).filled())
            });
        }
    }
    for r in &chart.references {
        let i = r.pattern;
        let (color, (dash, gap)) = REFERENCES[i % REFERENCES.len()];
        let line = DashedLineSeries::new([(x0, r.y), (x1, r.y)], dash, gap, color.stroke_width(2));
        let drawn = ctx.draw_series(line).map_err(e)?;
        if chart.legend != Legend::Below {
            drawn.label(r.name.clone()).legend(move |(x, y)| {
                let d = key_dashes(i);
                let dash = |k: usize| {
                    PathElement::new(vec![(d[k].0, 0), (d[k].1, 0)], color.stroke_width(2))
                };
                EmptyElement::at((x, y)) + dash(0) + dash(1) + dash(2) + dash(3)
            });
        }
    }
    // Series bands first, under every line.
    for (i, s) in chart.series.iter().enumerate() {
        let band = chart.shown_band(s);
        if band.len() >= 2 && band.iter().any(|b| b.2 > b.1) {
            let color = PALETTE[i % PALETTE.len()];
            let outline: Vec<(f64, f64)> = band
                .iter()
                .map(|b| (b.0, b.2))
                .chain(band.iter().rev().map(|b| (b.0, b.1)))
                .collect();
            ctx.draw_series([Polygon::new(outline, color.mix(0.2).filled())])
                .map_err(e)?;
        }
    }
    for (i, s) in chart.series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts = chart.shown(s);
        let best = if chart.mark_best { s.best() } else { None };
        let label = series_label(s, best);
        ctx.draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(e)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
            });
        if chart.markers || pts.len() < 2 {
            ctx.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))
                .map_err(e)?;
        }
        if let Some(b) = best {
            ctx.draw_series([
                Circle::new(b, 8, color.filled()),
                Circle::new(b, 8, BLACK.stroke_width(2)),
            ])
            .map_err(e)?;
        }
    }

    let position = match chart.legend {
        Legend::UpperRight => Some(SeriesLabelPosition::UpperRight),
        Legend::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
        Legend::LowerRight => Some(SeriesLabelPosition::LowerRight),
        Legend::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
        Legend::Below | Legend::Hidden => None,
    };
    if let Some(area) = below {
        draw_legend_below(&area, &entries).map_err(e)?;
    }
    if let (Some(position), false) = (position, chart.series.is_empty()) {
        ctx.configure_series_labels()
            .position(position)
            .label_font(("sans-serif", LEGEND_PX))
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(190, 190, 190))
            .draw()
            .map_err(e)?;
    }
    root.present().map_err(e)
}

/// Height of one row of a legend drawn below the plot.
const LEGEND_ROW: u32 = 26;
/// Fill of bands.
const BAND: RGBColor = RGBColor(0x8C, 0x8C, 0x8C);
/// Colour and dash and gap lengths (pixels) of the reference lines' patterns, cycled: dark
/// tones that the series' palette does not use, each with its own dashes, so that baselines are
/// told apart on screen and in grey print.
const REFERENCES: [(RGBColor, (u32, u32)); 4] = [
    (RGBColor(0x33, 0x33, 0x33), (8, 6)),
    (RGBColor(0x8B, 0x1A, 0x1A), (2, 4)),
    (RGBColor(0x1F, 0x4E, 0x79), (14, 4)),
    (RGBColor(0x5C, 0x4B, 0x12), (4, 8)),
];

/// The dashes of a 24-pixel legend key in the pattern of the `i`-th reference line: four
/// `(start, end)` offsets, the last repeated where fewer fit.
fn key_dashes(i: usize) -> [(i32, i32); 4] {
    let (dash, gap) = REFERENCES[i % REFERENCES.len()].1;
    let (dash, period) = (dash as i32, (dash + gap) as i32);
    let mut out = [(0, dash.min(24)); 4];
    for k in 1..4 {
        let start = k as i32 * period;
        out[k] = if start < 24 {
            (start, (start + dash).min(24))
        } else {
            out[k - 1]
        };
    }
    out
}

/// A series' legend text: its name, with its maximum when marked.
fn series_label(s: &Series, best: Option<(f64, f64)>) -> String {
    match best {
        Some((x, y)) => format!("{} (max {} at {})", s.name, fmt_num(y), fmt_num(x)),
        None => s.name.clone(),
    }
}

/// What a legend lists, in drawing order.
enum Key {
    Line(RGBColor, String),
    Band(String),
    Dashed(usize, String),
}

impl Key {
    fn text(&self) -> &str {
        match self {
            Key::Line(_, t) | Key::Band(t) | Key::Dashed(_, t) => t,
        }
    }
}

fn legend_entries(chart: &LineChart) -> Vec<Key> {
    let mut keys: Vec<Key> = chart
        .bands
        .iter()
        .map(|b| Key::Band(b.name.clone()))
        .collect();
    keys.extend(
        chart
            .references
            .iter()
            .map(|r| Key::Dashed(r.pattern, r.name.clone())),
    );
    for (i, s) in chart.series.iter().enumerate() {
        let best = if chart.mark_best { s.best() } else { None };
        keys.push(Key::Line(PALETTE[i % PALETTE.len()], series_label(s, best)));
    }
    keys
}

/// The legend under the plot, one entry per row, so that it never covers data.
fn draw_legend_below<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    keys: &[Key],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = ("sans-serif", LEGEND_PX).into_font().color(&BLACK);
    let rows = legend_rows(keys).max(1) as usize;
    let two = rows < keys.len();
    let left = if two { 24 } else { 104 };
    let column = (area.dim_in_pixel().0 as i32 - left) / 2;
    for (i, key) in keys.iter().enumerate() {
        // Column by column: the floor, then the baselines, then the runs read downwards.
        let (c, r) = (i / rows, i % rows);
        let (x, y) = (
            left + c as i32 * column,
            4 + r as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2,
        );
        let text = match key {
            Key::Line(color, t) => {
                area.draw(&PathElement::new(
                    vec![(x, y), (x + 24, y)],
                    color.stroke_width(3),
                ))?;
                t
            }
            Key::Band(t) => {
                area.draw(&Rectangle::new(
                    [(x, y - 7), (x + 24, y + 7)],
                    BAND.mix(0.35).filled(),
                ))?;
                t
            }
            Key::Dashed(i, t) => {
                let color = REFERENCES[i % REFERENCES.len()].0;
                for (a, b) in key_dashes(*i) {
                    area.draw(&PathElement::new(
                        vec![(x + a, y), (x + b, y)],
                        color.stroke_width(2),
                    ))?;
                }
                t
            }
        };
        area.draw(&Text::new(
            text.clone(),
            (x + 32, y - LEGEND_PX as i32 / 2),
            font.clone(),
        ))?;
    }
    Ok(())
}

/// A drawn chart: an SVG picture plus the [`LineChart`] it came from (to draw it again as PNG).
///
/// In an evcxr notebook a `Figure` that is the last expression of a cell shows inline (its
/// inherent [`Figure::evcxr_display`] emits `image/svg+xml`). One chart per cell: evcxr keeps one
/// output per MIME type per cell.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let fig = gcatm::plot::info_nce(&[(0.0, 5.2), (1.0, 4.1), (2.0, 3.7)], "epoch").unwrap();
/// fig.save_svg(dir.path().join("info_nce.svg")).unwrap();
/// fig.save_png(dir.path().join("info_nce.png")).unwrap();
/// assert_eq!(fig.display_content(), ("image/svg+xml", fig.svg()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    chart: LineChart,
    svg: String,
}

impl Figure {
    /// The SVG document.
    pub fn svg(&self) -> &str {
        &self.svg
    }

    /// The chart description this figure was drawn from.
    pub fn chart(&self) -> &LineChart {
        &self.chart
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        canvas(&self.chart).0
    }

    /// Height in pixels: the chart's, plus the legend's rows when it is drawn below the plot.
    pub fn height(&self) -> u32 {
        canvas(&self.chart).1
    }

    /// Writes the SVG to `path` (atomically: a temporary file beside it, then a rename).
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        atomic_write(path, |tmp| {
            std::fs::write(tmp, &self.svg).map_err(|source| PlotError::Io {
                path: path.to_path_buf(),
                source,
            })
        })
    }

    /// Draws the chart again as an RGB PNG of the same size and writes it to `path` (atomically).
    /// Text is rasterised with the embedded font, so no system font is needed.
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        ensure_fonts()?;
        atomic_write(path, |tmp| {
            let root = BitMapBackend::new(tmp, canvas(&self.chart)).into_drawing_area();
            draw(&self.chart, &root).map_err(|message| PlotError::Draw {
                target: path.display().to_string(),
                message,
            })
        })
    }

    /// What [`Figure::evcxr_display`] shows: its MIME type and content (the SVG).
    pub fn display_content(&self) -> (&'static str, &str) {
        ("image/svg+xml", &self.svg)
    }

    /// Shows the chart inline in an evcxr notebook (called by evcxr on a cell's last value).
    pub fn evcxr_display(&self) {
        let (mime, content) = self.display_content();
        evcxr_runtime::mime_type(mime).text(content);
    }
}

#[cfg(test)]
mod tests {
    use super::{fmt_num, fmt_tick};

    #[test]
    fn tick_labels() {
        assert_eq!(fmt_tick(-2.78e-17, 0.3), "0");
        assert_eq!(fmt_tick(1000.0, 1000.0), "1000");
        assert_eq!(fmt_tick(0.025, 0.03), "0.025");
        assert_eq!(fmt_tick(0.05, 0.3), "0.05");
        assert_eq!(fmt_tick(-0.15, 0.3), "-0.15");
        assert_eq!(fmt_tick(2.5, 3.0), "2.5");
        assert_eq!(fmt_tick(3e8, 1e9), "3.00e8");
    }

    #[test]
    fn legend_numbers() {
        assert_eq!(fmt_num(0.03013), "0.03013");
        assert_eq!(fmt_num(750.0), "750");
        assert_eq!(fmt_num(12.345), "12.35");
        assert_eq!(fmt_num(1e-5), "1.000e-5");
    }
}
