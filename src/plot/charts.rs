//! The experiment log's charts, as presets of [`LineChart`].
use super::{Figure, Legend, LineChart, PlotError};

/// Adds every `(name, points)` pair to `chart`.
fn with_series<S: AsRef<str>>(chart: LineChart, series: &[(S, Vec<(f64, f64)>)]) -> LineChart {
    series.iter().fold(chart, |c, (name, points)| {
        c.series(name.as_ref(), points.clone())
    })
}

/// Training losses (critic D, generator G, encoder E, ...) against `x_label` (`"iteration"` or
/// `"epoch"`), one line per named series.
///
/// ```
/// let d = vec![(0.0, -0.02), (1.0, -0.05), (2.0, -0.04)];
/// let g = vec![(0.0, 0.01), (1.0, 0.03), (2.0, 0.02)];
/// let fig = gcatm::plot::losses(&[("D", d), ("G", g)], "epoch").unwrap();
/// assert!(fig.svg().contains("Training losses"));
/// ```
pub fn losses<S: AsRef<str>>(
    series: &[(S, Vec<(f64, f64)>)],
    x_label: &str,
) -> Result<Figure, PlotError> {
    with_series(
        LineChart::new("Training losses")
            .x_label(x_label)
            .y_label("loss"),
        series,
    )
    .build()
}

/// The generator's InfoNCE loss against `x_label` (`"iteration"` or `"epoch"`).
///
/// ```
/// let fig = gcatm::plot::info_nce(&[(0.0, 6.2), (100.0, 5.1), (200.0, 4.8)], "iteration").unwrap();
/// assert!(fig.svg().contains("InfoNCE loss"));
/// ```
pub fn info_nce(points: &[(f64, f64)], x_label: &str) -> Result<Figure, PlotError> {
    LineChart::new("InfoNCE loss")
        .x_label(x_label)
        .y_label("InfoNCE loss")
        .series("InfoNCE", points.to_vec())
        .legend(Legend::Hidden)
        .build()
}

/// Topic coherence (`metric`: NPMI, C_V, ...) over training epochs, one line per run; with
/// `mark_best` each run's maximum (the checkpoint the log kept) is ringed and its value and epoch
/// are given in the legend. This is the log's main picture.
///
/// ```
/// let a = vec![(250.0, 0.010), (500.0, 0.024), (750.0, 0.030), (1000.0, 0.026)];
/// let fig = gcatm::plot::coherence_curve("NPMI", &[("entry 9", a)], true).unwrap();
/// assert!(fig.svg().contains("max 0.03000 at 750"));
/// ```
pub fn coherence_curve<S: AsRef<str>>(
    metric: &str,
    series: &[(S, Vec<(f64, f64)>)],
    mark_best: bool,
) -> Result<Figure, PlotError> {
    with_series(
        LineChart::new(format!("{metric} over training"))
            .x_label("epoch")
            .y_label(metric)
            .mark_best(mark_best)
            .legend(Legend::LowerRight),
        series,
    )
    .build()
}

/// NPMI against the number of topics K, one line (with dots) per run; points are sorted by K.
///
/// ```
/// let july = vec![(20, 0.07203), (30, 0.06853), (50, 0.04457), (75, 0.03741), (100, 0.0265)];
/// let fig = gcatm::plot::npmi_vs_topics(&[("hard label, tau 0.1", july)]).unwrap();
/// assert!(fig.svg().contains("number of topics K"));
/// ```
pub fn npmi_vs_topics<S: AsRef<str>>(runs: &[(S, Vec<(usize, f64)>)]) -> Result<Figure, PlotError> {
    let chart = runs.iter().fold(
        LineChart::new("NPMI against the number of topics")
            .x_label("number of topics K")
            .y_label("NPMI")
            .markers(true),
        |c, (name, points)| {
            let mut pts: Vec<(f64, f64)> = points.iter().map(|&(k, v)| (k as f64, v)).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            c.series(name.as_ref(), pts)
        },
    );
    chart.build()
}

/// Two runs of one metric over epochs, each run's maximum marked: e.g. temperature 0.1 against
/// 0.5 (entries 1 and 2 of the log).
///
/// ```
/// let a = vec![(250.0, 0.020), (500.0, 0.026)];
/// let b = vec![(250.0, 0.018), (500.0, 0.029)];
/// let fig = gcatm::plot::compare_runs("tau 0.1", &a, "tau 0.5", &b, "NPMI").unwrap();
/// assert!(fig.svg().contains("NPMI: tau 0.1 vs tau 0.5"));
/// ```
pub fn compare_runs(
    a_name: &str,
    a_points: &[(f64, f64)],
    b_name: &str,
    b_points: &[(f64, f64)],
    metric_name: &str,
) -> Result<Figure, PlotError> {
    LineChart::new(format!("{metric_name}: {a_name} vs {b_name}"))
        .x_label("epoch")
        .y_label(metric_name)
        .series(a_name, a_points.to_vec())
        .series(b_name, b_points.to_vec())
        .mark_best(true)
        .legend(Legend::LowerRight)
        .build()
}
