//! SVG output of the chart builders: a valid root, titles and axis names as text, series, sizes.
use gcatm::plot::{self, Legend, LineChart};

fn curve(n: usize, f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
    (0..n).map(|i| (i as f64 * 250.0, f(i as f64))).collect()
}

/// The document is one `<svg>` element with the SVG namespace and the figure's size.
fn assert_svg_root(svg: &str, w: u32, h: u32) {
    assert!(
        svg.starts_with("<svg"),
        "no svg root: {}",
        &svg[..60.min(svg.len())]
    );
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.contains(&format!("width=\"{w}\"")) && svg.contains(&format!("height=\"{h}\"")));
}

/// Every `<text ...>` element's content, trimmed, in order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

/// `(data lines, legend samples)`: the chart draws series 2 px wide and legend samples 3 px wide
/// (axes and ticks are 1 px polylines).
fn lines(svg: &str) -> (usize, usize) {
    let count = |w: &str| {
        svg.split("<polyline")
            .skip(1)
            .filter(|p| p[..p.find('>').unwrap()].contains(&format!("stroke-width=\"{w}\"")))
            .count()
    };
    (count("2"), count("3"))
}

#[test]
fn losses_has_title_axis_names_and_one_line_per_series() {
    let d = curve(20, |i| -0.1 + 0.01 * i);
    let g = curve(20, |i| 0.05 * (i / 3.0).sin());
    let e = curve(20, |i| 0.02 * i);
    let fig = plot::losses(&[("D", d), ("G", g), ("E", e)], "iteration").unwrap();
    let svg = fig.svg();
    // The plot's 800 x 480 and the legend's rows under it (the default: outside the data).
    assert!(fig.height() > 480);
    assert_svg_root(svg, 800, fig.height());
    let t = texts(svg);
    for want in ["Training losses", "iteration", "loss", "D", "G", "E"] {
        assert!(
            t.iter().any(|s| s == want),
            "missing text {want:?} in {t:?}"
        );
    }
    assert_eq!(lines(svg), (3, 3));
    assert_eq!(fig.chart().series.len(), 3);
}

#[test]
fn info_nce_has_one_line_and_no_legend() {
    let fig = plot::info_nce(&curve(10, |i| 6.0 - 0.2 * i), "epoch").unwrap();
    let t = texts(fig.svg());
    assert!(t.iter().any(|s| s == "InfoNCE loss"));
    assert!(t.iter().any(|s| s == "epoch"));
    assert!(!t.iter().any(|s| s == "InfoNCE"), "legend should be hidden");
    assert_eq!(lines(fig.svg()), (1, 0));
}

#[test]
fn coherence_curve_marks_each_best_point() {
    let a = vec![
        (250.0, 0.010),
        (500.0, 0.024),
        (750.0, 0.030),
        (1000.0, 0.026),
    ];
    let b = vec![
        (250.0, 0.005),
        (500.0, 0.012),
        (750.0, 0.011),
        (1000.0, 0.019),
    ];
    let fig = plot::coherence_curve("NPMI", &[("batch 256", a), ("batch 1024", b)], true).unwrap();
    let svg = fig.svg();
    let t = texts(svg);
    assert!(t.iter().any(|s| s == "NPMI over training"));
    assert!(
        t.iter().any(|s| s == "batch 256 (max 0.03000 at 750)"),
        "{t:?}"
    );
    assert!(
        t.iter().any(|s| s == "batch 1024 (max 0.01900 at 1000)"),
        "{t:?}"
    );
    assert_eq!(lines(svg), (2, 2));
    // The best point is ringed: a filled circle and a black outline of radius 8 per series.
    assert_eq!(svg.matches("r=\"8\"").count(), 4);
}

#[test]
fn coherence_curve_without_best_marks_nothing() {
    let fig = plot::coherence_curve("C_V", &[("run", curve(5, |i| i * 0.1))], false).unwrap();
    assert_eq!(fig.svg().matches("r=\"8\"").count(), 0);
    assert!(!fig.svg().contains("(max"));
}

#[test]
fn npmi_vs_topics_sorts_by_k_and_draws_dots() {
    let run = vec![(100, 0.0265), (20, 0.07203), (50, 0.04457)];
    let fig = plot::npmi_vs_topics(&[("July", run), ("August", vec![(100, 0.03013)])]).unwrap();
    let s = &fig.chart().series[0].points;
    assert_eq!(
        s.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![20.0, 50.0, 100.0]
    );
    let t = texts(fig.svg());
    assert!(t.iter().any(|s| s == "number of topics K"));
    assert!(t.iter().any(|s| s == "NPMI"));
    // Dots of radius 4 at every point: 3 + 1.
    assert_eq!(fig.svg().matches("r=\"4\"").count(), 4);
}

#[test]
fn compare_runs_names_both_runs_and_the_metric() {
    let a = curve(6, |i| 0.01 * i);
    let b = curve(6, |i| 0.012 * i - 0.001 * i * i);
    let fig = plot::compare_runs("tau 0.1", &a, "tau 0.5", &b, "NPMI").unwrap();
    let t = texts(fig.svg());
    assert!(t.iter().any(|s| s == "NPMI: tau 0.1 vs tau 0.5"));
    assert!(t.iter().any(|s| s.starts_with("tau 0.1 (max")));
    assert!(t.iter().any(|s| s.starts_with("tau 0.5 (max")));
    assert_eq!(lines(fig.svg()), (2, 2));
}

#[test]
fn text_is_escaped_and_at_least_14_px() {
    // SVG font-size is the em size (plotters writes its size / 1.24): that is what must be >= 14.
    let fig = LineChart::new("a < b & c")
        .x_label("x")
        .y_label("y")
        .series("s", vec![(0.0, 1.0), (1.0, 2.0)])
        .build()
        .unwrap();
    let svg = fig.svg();
    assert!(svg.contains("a &lt; b &amp; c"));
    let sizes: Vec<f64> = svg
        .split("font-size=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect();
    assert!(!sizes.is_empty());
    assert!(sizes.iter().all(|&s| s >= 14.0), "font sizes {sizes:?}");
}

#[test]
fn degenerate_inputs_still_draw() {
    // No series, an empty series, one point, a constant series, non-finite values.
    let empty: &[(&str, Vec<(f64, f64)>)] = &[];
    plot::losses(empty, "epoch").unwrap();
    plot::losses(&[("D", vec![])], "epoch").unwrap();
    let one = plot::info_nce(&[(3.0, 2.0)], "epoch").unwrap();
    assert_eq!(
        one.svg().matches("r=\"4\"").count(),
        1,
        "a lone point gets a dot"
    );
    plot::info_nce(&[(0.0, 2.0), (1.0, 2.0)], "epoch").unwrap();
    let nan = plot::coherence_curve(
        "NPMI",
        &[(
            "run",
            vec![
                (0.0, f64::NAN),
                (1.0, 0.02),
                (2.0, f64::INFINITY),
                (3.0, 0.01),
            ],
        )],
        true,
    )
    .unwrap();
    assert!(texts(nan.svg())
        .iter()
        .any(|s| s == "run (max 0.02000 at 1)"));
}

#[test]
fn custom_size_and_legend() {
    let fig = LineChart::new("t")
        .series("s", vec![(0.0, 0.0), (1.0, 1.0)])
        .size(640, 360)
        .legend(Legend::Hidden)
        .build()
        .unwrap();
    assert_svg_root(fig.svg(), 640, 360);
    assert_eq!((fig.width(), fig.height()), (640, 360));
    assert!(LineChart::new("t").size(10, 10).build().is_err());
}

#[test]
fn save_svg_writes_the_same_document_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let fig = plot::info_nce(&curve(4, |i| i), "epoch").unwrap();
    let path = dir.path().join("c.svg");
    fig.save_svg(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), fig.svg());
    // Overwriting leaves no temporary file behind.
    fig.save_svg(&path).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("c.svg")]);
}

#[test]
fn save_errors_name_the_file() {
    let fig = plot::info_nce(&curve(4, |i| i), "epoch").unwrap();
    let bad = std::path::Path::new("/nonexistent-gcatm-dir/x.svg");
    let err = fig.save_svg(bad).unwrap_err().to_string();
    assert!(err.contains("/nonexistent-gcatm-dir/x.svg"), "{err}");
    let err = fig
        .save_png("/nonexistent-gcatm-dir/x.png")
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent-gcatm-dir/x.png"), "{err}");
}

/// The y coordinate of the `<text>` element whose content is `content`.
fn text_y(svg: &str, content: &str) -> f64 {
    let at = svg
        .split("<text")
        .skip(1)
        .find(|t| {
            t[t.find('>').unwrap() + 1..]
                .trim_start()
                .starts_with(content)
        })
        .unwrap_or_else(|| panic!("no text starting with {content:?}"));
    let y = &at[at.find(" y=\"").unwrap() + 4..];
    y[..y.find('"').unwrap()].parse().unwrap()
}

#[test]
fn coherence_beside_its_baselines_keeps_the_legend_off_the_data() {
    let npmi = curve(21, |i| 0.03 + 0.1 * (i / 20.0).sqrt());
    let fig = plot::coherence_vs_baselines(
        "entry 6: NPMI",
        "NPMI",
        &[("entry 6 (K = 20)", npmi.clone())],
        Some((0.055, 0.010)),
        &[
            ("LDA, K = 20".to_string(), 0.2036),
            ("ProdLDA, K = 20".to_string(), 0.2561),
        ],
    )
    .unwrap();
    let svg = fig.svg();
    // The legend's four rows are added under the 480-pixel chart, so the plot keeps its size.
    assert_eq!(fig.height(), 480 + 12 + 4 * 26);
    assert_svg_root(svg, 800, fig.height());
    // The range holds 0, the data, the band and the baselines, on 0.05 steps, with headroom.
    assert_eq!(fig.chart().y_range, Some((0.0, 0.3)));
    // Each baseline in a dash pattern of its own.
    let patterns: Vec<usize> = fig.chart().references.iter().map(|r| r.pattern).collect();
    assert_eq!(patterns, [0, 1]);
    let t = texts(svg);
    assert!(t
        .iter()
        .any(|s| s == "random 10-word topics (mean ± sd: 0.055 ± 0.010)"));
    assert!(t.iter().any(|s| s == "LDA, K = 20: 0.204"));
    assert!(t.iter().any(|s| s == "ProdLDA, K = 20: 0.256"));
    assert!(t
        .iter()
        .any(|s| s.starts_with("entry 6 (K = 20) (max 0.1300 at 5000)")));
    // Every legend entry sits under the x axis's name, outside the plot.
    let axis = text_y(svg, "epoch");
    for entry in [
        "random 10-word",
        "LDA, K = 20",
        "ProdLDA",
        "entry 6 (K = 20)",
    ] {
        assert!(text_y(svg, entry) > axis, "{entry} is not below the plot");
    }
    // The band is one filled rectangle in the band's grey; the baseline a dashed line.
    assert!(svg.contains("fill=\"#8C8C8C\"") || svg.contains("fill=\"#8c8c8c\""));
    // Without baselines the range still starts at 0 and fits the data.
    let bare = plot::coherence_vs_baselines("t", "NPMI", &[("a", npmi)], None, &[]).unwrap();
    assert_eq!(bare.chart().y_range, Some((0.0, 0.15)));
    if let Ok(dir) = std::env::var("GCATM_SAVE_CHARTS") {
        fig.save_png(std::path::Path::new(&dir).join("baselines.png"))
            .unwrap();
    }
}

#[test]
fn seeds_draw_a_mean_with_a_band_and_a_two_column_legend_below() {
    let seeds: Vec<Vec<(f64, f64)>> = (0..3)
        .map(|s| curve(11, |i| 0.03 + 0.01 * i + 0.005 * s as f64))
        .collect();
    let baselines = [
        ("LDA".to_string(), 0.19),
        ("Gibbs LDA".to_string(), 0.23),
        ("ProdLDA".to_string(), 0.25),
    ];
    let fig = plot::seeds_vs_baselines(
        "entry 7: NPMI",
        "NPMI",
        &[("entry 7", seeds.clone()), ("entry 6", seeds[..1].to_vec())],
        Some((0.05, 0.01)),
        &baselines,
    )
    .unwrap();
    let svg = fig.svg();
    // Six legend entries in two columns of three rows.
    assert_eq!(fig.height(), 480 + 12 + 3 * 26);
    assert_svg_root(svg, 800, fig.height());
    let t = texts(svg);
    assert!(
        t.iter()
            .any(|s| s == "entry 7, 3 seeds (max 0.1350 at 2500)"),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s.starts_with("entry 6, 1 seed")), "{t:?}");
    // The mean of the seeds, and its band from the seeds' standard deviation (0.005 here).
    let s0 = &fig.chart().series[0];
    assert!((s0.points[10].1 - 0.135).abs() < 1e-12);
    assert!((s0.band[10].2 - s0.band[10].1 - 0.01).abs() < 1e-12);
    // One filled polygon per series with a band of some width (entry 6's one seed has none).
    assert_eq!(svg.matches("<polygon").count(), 1);
    let axis = text_y(svg, "epoch");
    for entry in [
        "random topics: 0.050 ± 0.010",
        "LDA: 0.190",
        "ProdLDA",
        "entry 7, 3 seeds",
        "entry 6, 1 seed",
    ] {
        assert!(text_y(svg, entry) > axis, "{entry} is not below the plot");
    }
}

#[test]
fn from_x_leaves_the_first_points_out_of_the_scale() {
    let mut d = curve(20, |i| 0.1 * i);
    d[0].1 = 500.0;
    let fig = LineChart::new("losses")
        .x_label("iteration")
        .series("D", d)
        .from_x(250.0)
        .build()
        .unwrap();
    let (_, yr) = (fig.chart().x_from, fig.chart().y_range);
    assert_eq!(yr, None);
    assert!(texts(fig.svg())
        .iter()
        .any(|s| s == "iteration (from 250 on: the first ones left out)"));
    // The spike sets no tick: the largest tick label is below 2.
    let ticks: Vec<f64> = texts(fig.svg())
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    assert!(ticks.iter().all(|&v| v <= 2.5 || v >= 1000.0), "{ticks:?}");
}
