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
            .legend(Legend::Below),
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
            .markers(true)
            // Lines may pass anywhere across K: the legend goes under the plot.
            .legend(Legend::Below),
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
        .legend(Legend::Below)
        .build()
}

/// A metric over epochs beside its baselines: each run's line (maximum marked), the random-topic
/// floor as a band (`floor`: mean and standard deviation, drawn as mean ± sd and labelled
/// "random"), and each model baseline's score as a dashed line of its own pattern (`baselines`:
/// name and value, e.g. every model of [`crate::experiments::reproduce::Baselines::lines`] at the
/// same K). The y range is fixed from the data and the baselines, rounded out to 0.05, and always
/// includes 0, so that noise is not blown up into a trend; the legend goes under the plot.
///
/// ```
/// let npmi = vec![(0.0, 0.04), (10.0, 0.09), (20.0, 0.12)];
/// let baselines = [("LDA, K = 20".to_string(), 0.20), ("ProdLDA, K = 20".to_string(), 0.26)];
/// let fig = gcatm::plot::coherence_vs_baselines(
///     "entry 6: NPMI", "NPMI", &[("K = 20", npmi)], Some((0.055, 0.010)), &baselines,
/// ).unwrap();
/// assert!(fig.svg().contains("random 10-word topics"));
/// assert!(fig.svg().contains("ProdLDA, K = 20: 0.260"));
/// assert_eq!(fig.chart().y_range, Some((0.0, 0.3)));
/// ```
pub fn coherence_vs_baselines<S: AsRef<str>>(
    title: &str,
    metric: &str,
    series: &[(S, Vec<(f64, f64)>)],
    floor: Option<(f64, f64)>,
    baselines: &[(String, f64)],
) -> Result<Figure, PlotError> {
    let mut chart = with_series(
        LineChart::new(title)
            .x_label("epoch")
            .y_label(metric)
            .mark_best(true)
            .legend(Legend::Below),
        series,
    );
    chart = floor_band(chart, "random 10-word topics", floor);
    for (name, v) in baselines {
        chart = chart.reference(format!("{name}: {v:.3}"), *v);
    }
    let ys: Vec<f64> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|q| q.1))
        .collect();
    let (lo, hi) = coherence_range(&ys, floor, baselines);
    chart.y_range(lo, hi).build()
}

/// A coherence chart's y range: from the data, the floor band and the baselines, widened to
/// multiples of 0.05 with 0 inside, and a step of headroom when the top value sits on the edge.
fn coherence_range(
    ys: &[f64],
    floor: Option<(f64, f64)>,
    baselines: &[(String, f64)],
) -> (f64, f64) {
    let ys: Vec<f64> = ys
        .iter()
        .copied()
        .chain(floor.into_iter().flat_map(|(m, s)| [m - s, m + s]))
        .chain(baselines.iter().map(|b| b.1))
        .filter(|y| y.is_finite())
        .collect();
    let lo = ys.iter().copied().fold(0.0f64, f64::min);
    let hi = ys.iter().copied().fold(0.0f64, f64::max);
    let step = 0.05;
    let (lo, hi) = (
        (lo / step + 1e-9).floor() * step,
        ((hi / step - 1e-9).ceil() * step).max(lo + step),
    );
    let hi = if ys.iter().any(|&y| y > hi - step * 0.2) {
        hi + step
    } else {
        hi
    };
    (round2(lo), round2(hi))
}

/// Per x, the mean of the curves that have a finite value there and their sample standard
/// deviation (0 with one curve): `(mean points, (x, mean − sd, mean + sd))`.
///
/// ```
/// let (mean, band) = gcatm::plot::mean_and_band(&[vec![(0.0, 1.0), (1.0, 2.0)], vec![(0.0, 3.0), (1.0, 2.0)]]);
/// assert_eq!(mean, vec![(0.0, 2.0), (1.0, 2.0)]);
/// let sd = 2f64.sqrt();
/// assert_eq!(band, vec![(0.0, 2.0 - sd, 2.0 + sd), (1.0, 2.0, 2.0)]);
/// ```
pub fn mean_and_band(curves: &[Curve]) -> (Curve, Vec<(f64, f64, f64)>) {
    let mut by_x: std::collections::BTreeMap<u64, (f64, Vec<f64>)> = Default::default();
    for c in curves {
        for &(x, y) in c.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
            // f64's total order as an unsigned key (sign bit flipped, negatives inverted).
            by_x.entry(x.to_bits() ^ if x < 0.0 { u64::MAX } else { 1 << 63 })
                .or_insert((x, Vec::new()))
                .1
                .push(y);
        }
    }
    let mut mean = Vec::new();
    let mut band = Vec::new();
    for (x, ys) in by_x.into_values() {
        let n = ys.len() as f64;
        let m = ys.iter().sum::<f64>() / n;
        let sd = if ys.len() > 1 {
            (ys.iter().map(|y| (y - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        mean.push((x, m));
        band.push((x, m - sd, m + sd));
    }
    (mean, band)
}

/// A coherence measure over training for runs of several seeds each: per run its mean over the
/// seeds (the best mean point ringed) with a band of ± one standard deviation in its colour,
/// beside the random floor (a grey band, mean ± sd of random topics) and the model baselines
/// (dashed lines, one pattern each). The legend goes under the plot; say in the title that the
/// lines are means over seeds with ± sd bands.
///
/// ```
/// let seeds = vec![vec![(0.0, 0.02), (10.0, 0.10)], vec![(0.0, 0.03), (10.0, 0.14)]];
/// let fig = gcatm::plot::seeds_vs_baselines(
///     "entry 7: NPMI", "NPMI", &[("entry 7", seeds)], Some((0.03, 0.01)),
///     &[("ProdLDA".to_string(), 0.25)],
/// ).unwrap();
/// assert!(fig.svg().contains("entry 7, 2 seeds (max 0.1200 at 10)"));
/// ```
pub fn seeds_vs_baselines<S: AsRef<str>>(
    title: &str,
    metric: &str,
    runs: &[(S, Vec<Curve>)],
    floor: Option<(f64, f64)>,
    baselines: &[(String, f64)],
) -> Result<Figure, PlotError> {
    let mut chart = LineChart::new(title)
        .x_label("epoch")
        .y_label(metric)
        .mark_best(true)
        .legend(Legend::Below);
    let mut ys = Vec::new();
    for (name, curves) in runs {
        let (mean, band) = mean_and_band(curves);
        ys.extend(band.iter().flat_map(|b| [b.1, b.2]));
        let label = match curves.len() {
            1 => format!("{}, 1 seed", name.as_ref()),
            n => format!("{}, {n} seeds", name.as_ref()),
        };
        chart = chart.series_with_band(label, mean, band);
    }
    // Short legend texts, so that a legend of many entries fits two columns.
    if let Some((m, sd)) = floor {
        chart = chart.band(format!("random topics: {m:.3} ± {sd:.3}"), m - sd, m + sd);
    }
    for (name, v) in baselines {
        chart = chart.reference(format!("{name}: {v:.3}"), *v);
    }
    let (lo, hi) = coherence_range(&ys, floor, baselines);
    chart.y_range(lo, hi).build()
}

fn floor_band(chart: LineChart, what: &str, floor: Option<(f64, f64)>) -> LineChart {
    match floor {
        Some((mean, sd)) => chart.band(
            format!("{what} (mean ± sd: {mean:.3} ± {sd:.3})"),
            mean - sd,
            mean + sd,
        ),
        None => chart,
    }
}

/// The points `(x, y)` of one line of a chart, in order of x.
pub type Curve = Vec<(f64, f64)>;

/// Rounds away the float noise of multiplying by 0.05.
fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// NPMI and topic diversity over epochs on one chart (both on 0–1): how coherence and diversity
/// move together, as in a collapse where NPMI climbs while TD falls. `floor` is the random-topic
/// NPMI (mean, sd; a band) and `baselines` the model baselines at the same K, each a name with
/// its NPMI and TD (two dashed lines each, e.g. [`crate::experiments::reproduce::Baselines::lines`]
/// with `|m| (m.npmi, m.td)`). The y range runs from 0 (or below, for negative NPMI) to just above
/// the highest value drawn, in steps of 0.05 and at most 1, so that an NPMI of 0.1–0.3 is not
/// squeezed into the bottom of a 0–1 axis.
///
/// ```
/// let npmi = vec![(0.0, 0.04), (10.0, 0.12), (20.0, 0.15)];
/// let td = vec![(0.0, 0.6), (10.0, 0.3), (20.0, 0.2)];
/// let lda = [("LDA".to_string(), (0.2, 0.67))];
/// let fig = gcatm::plot::npmi_and_td("entry 7", npmi, td, Some((0.05, 0.016)), &lda).unwrap();
/// assert!(fig.svg().contains("LDA TD@25: 0.670"));
/// assert_eq!(fig.chart().y_range, Some((0.0, 0.7)));
/// ```
pub fn npmi_and_td(
    title: &str,
    npmi: Vec<(f64, f64)>,
    td: Vec<(f64, f64)>,
    floor: Option<(f64, f64)>,
    baselines: &[(String, (f64, f64))],
) -> Result<Figure, PlotError> {
    npmi_and_td_runs(title, &[("", npmi, td)], floor, baselines)
}

/// [`npmi_and_td`] for several runs on one chart, each given as `(name, npmi, td)`: for example
/// a long run beside the short run of the same entry. Its series are named "NPMI, name" and
/// "TD@25, name" (plain "NPMI" and "TD@25" for an empty name).
///
/// ```
/// let long = ("10 000 epochs", vec![(0.0, 0.04), (5000.0, 0.18), (10000.0, 0.2)], vec![(0.0, 0.6), (5000.0, 0.5), (10000.0, 0.7)]);
/// let short = ("200 epochs", vec![(0.0, 0.04), (200.0, 0.13)], vec![(0.0, 0.6), (200.0, 0.45)]);
/// let fig = gcatm::plot::npmi_and_td_runs("entry 7", &[long, short], Some((0.05, 0.016)), &[]).unwrap();
/// assert!(fig.svg().contains("TD@25, 200 epochs"));
/// assert_eq!(fig.chart().series.len(), 4);
/// ```
pub fn npmi_and_td_runs<S: AsRef<str>>(
    title: &str,
    runs: &[(S, Curve, Curve)],
    floor: Option<(f64, f64)>,
    baselines: &[(String, (f64, f64))],
) -> Result<Figure, PlotError> {
    let lo = runs
        .iter()
        .flat_map(|r| r.1.iter().map(|p| p.1))
        .chain(floor.map(|(m, s)| m - s))
        .filter(|y| y.is_finite())
        .fold(0.0f64, f64::min);
    let lo = round2((lo / 0.05 + 1e-9).floor() * 0.05);
    let mut chart = LineChart::new(format!("{title}: NPMI and topic diversity"))
        .x_label("epoch")
        .y_label("NPMI (top 10) / TD@25")
        .markers(true)
        .legend(Legend::Below);
    for (name, npmi, td) in runs {
        let name = name.as_ref();
        let named = |what: &str| match name {
            "" => what.to_string(),
            n => format!("{what}, {n}"),
        };
        chart = chart
            .series(named("NPMI"), npmi.clone())
            .series(named("TD@25"), td.clone());
    }
    chart = floor_band(chart, "random 10-word topics, NPMI", floor);
    // A baseline's two lines share its dash pattern.
    for (i, (name, (npmi, td))) in baselines.iter().enumerate() {
        chart = chart
            .reference_in(format!("{name} NPMI: {npmi:.3}"), *npmi, i)
            .reference_in(format!("{name} TD@25: {td:.3}"), *td, i);
    }
    let ys: Vec<f64> = runs
        .iter()
        .flat_map(|r| r.1.iter().chain(r.2.iter()).map(|p| p.1))
        .collect();
    let lines: Vec<(String, f64)> = baselines
        .iter()
        .flat_map(|(n, (a, b))| [(n.clone(), *a), (n.clone(), *b)])
        .collect();
    let (_, hi) = coherence_range(&ys, floor, &lines);
    chart.y_range(lo, hi.min(1.0)).build()
}
