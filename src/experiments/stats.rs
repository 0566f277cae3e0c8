//! What several seeds say: a measure's mean and spread over seeds ([`Spread`]), and Welch's
//! two-sample t-test ([`welch`]) — the rule the notebooks' verdicts use to call one setting
//! better than another, or within the seeds' spread.
use serde::{Deserialize, Serialize};

/// The significance level of the notebooks' verdicts: a difference is called one when Welch's
/// two-sided p-value is below it.
pub const ALPHA: f64 = 0.05;

/// The values of one measure over seeds, with their mean and sample standard deviation.
///
/// ```
/// let s = gcatm::experiments::stats::Spread::of(&[0.10, 0.12, 0.14]);
/// assert!((s.mean - 0.12).abs() < 1e-12 && (s.sd - 0.02).abs() < 1e-12);
/// assert_eq!(s.to_string(), "0.120 ± 0.020");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// The values, one per seed (non-finite ones left out).
    pub values: Vec<f64>,
    /// Their mean (NaN when there is none).
    pub mean: f64,
    /// Their sample standard deviation (n − 1; 0 for one value, NaN for none).
    pub sd: f64,
}

impl Spread {
    /// The spread of `values` (non-finite values are left out).
    pub fn of(values: &[f64]) -> Spread {
        let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = match values.len() {
            0 => f64::NAN,
            1 => 0.0,
            _ => (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
        };
        Spread { values, mean, sd }
    }

    /// Number of values.
    pub fn n(&self) -> usize {
        self.values.len()
    }

    /// `mean ± sd` with `decimals` decimals.
    ///
    /// ```
    /// let s = gcatm::experiments::stats::Spread::of(&[0.5, 0.7]);
    /// assert_eq!(s.format(2), "0.60 ± 0.14");
    /// ```
    pub fn format(&self, decimals: usize) -> String {
        if self.values.is_empty() {
            return "–".into();
        }
        format!("{:.d$} ± {:.d$}", self.mean, self.sd, d = decimals)
    }
}

impl std::fmt::Display for Spread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.format(3))
    }
}

/// Welch's two-sample t-test (unequal variances): the statistic, its Welch–Satterthwaite degrees
/// of freedom and the two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Welch {
    /// mean(a) − mean(b).
    pub difference: f64,
    /// t = difference / sqrt(var(a)/n_a + var(b)/n_b).
    pub t: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// Two-sided p-value (1 when both samples have no spread and equal means).
    pub p: f64,
}

/// Welch's test of `a` against `b`; `None` when either has fewer than two values, or both have
/// no spread but different means (no test can be made: the difference is exact).
///
/// ```
/// use gcatm::experiments::stats::welch;
/// // scipy.stats.ttest_ind([1, 2, 3, 4], [3, 4, 5, 6, 7], equal_var=False): t = -2.6112, p = 0.03494
/// let w = welch(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0, 7.0]).unwrap();
/// assert!((w.t + 2.6112).abs() < 1e-4 && (w.p - 0.03494).abs() < 1e-4);
/// ```
pub fn welch(a: &[f64], b: &[f64]) -> Option<Welch> {
    let (sa, sb) = (Spread::of(a), Spread::of(b));
    if sa.n() < 2 || sb.n() < 2 {
        return None;
    }
    let (va, vb) = (sa.sd.powi(2) / sa.n() as f64, sb.sd.powi(2) / sb.n() as f64);
    let difference = sa.mean - sb.mean;
    let se2 = va + vb;
    if se2 == 0.0 {
        return (difference == 0.0).then_some(Welch {
            difference,
            t: 0.0,
            df: (sa.n() + sb.n() - 2) as f64,
            p: 1.0,
        });
    }
    let t = difference / se2.sqrt();
    let df =
        se2.powi(2) / (va.powi(2) / (sa.n() as f64 - 1.0) + vb.powi(2) / (sb.n() as f64 - 1.0));
    // Two-sided tail of Student's t: I_{df / (df + t^2)}(df / 2, 1 / 2).
    let p = incomplete_beta(df / 2.0, 0.5, df / (df + t * t)).clamp(0.0, 1.0);
    Some(Welch {
        difference,
        t,
        df,
        p,
    })
}

/// The verdict on `a` against `b` by [`welch`] at [`ALPHA`], as a phrase: "higher (p = 0.012)",
/// "lower (p = …)", "within the seeds' spread (p = …)", or why no test could be made.
///
/// ```
/// use gcatm::experiments::stats::verdict;
/// assert_eq!(verdict(&[0.10, 0.11, 0.12], &[0.10, 0.12, 0.11]), "within the seeds' spread (Welch's t-test, p = 1.00)");
/// assert!(verdict(&[0.20, 0.21, 0.22], &[0.10, 0.11, 0.12]).starts_with("higher (Welch's t-test, p < 0.001"));
/// ```
pub fn verdict(a: &[f64], b: &[f64]) -> String {
    match welch(a, b) {
        None => format!(
            "not tested ({} and {} seeds; Welch's t-test needs two each, with some spread)",
            Spread::of(a).n(),
            Spread::of(b).n()
        ),
        Some(w) if w.p < ALPHA => format!(
            "{} (Welch's t-test, {})",
            if w.difference > 0.0 {
                "higher"
            } else {
                "lower"
            },
            fmt_p(w.p)
        ),
        Some(w) => format!("within the seeds' spread (Welch's t-test, {})", fmt_p(w.p)),
    }
}

/// `p = 0.034` with two significant digits, `p < 0.001` below that.
pub fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else if p < 0.01 {
        format!("p = {p:.4}")
    } else if p < 0.1 {
        format!("p = {p:.3}")
    } else {
        format!("p = {p:.2}")
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function I_x(a, b), by its continued fraction (modified
/// Lentz), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where that converges faster.
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(b, a, 1.0 - x);
    }
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = m as f64;
        for step in 0..2 {
            let num = if step == 0 {
                m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
            } else {
                -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
            };
            d = 1.0 + num * d;
            if d.abs() < TINY {
                d = TINY;
            }
            c = 1.0 + num / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            h *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    front * h / a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_match_scipy() {
        // scipy.stats.ttest_ind(a, b, equal_var=False).pvalue
        let cases: [(&[f64], &[f64], f64, f64); 3] = [
            (
                &[0.140, 0.151, 0.133],
                &[0.142, 0.129, 0.160],
                0.83602,
                -0.2243,
            ),
            (&[0.20, 0.21, 0.25], &[0.10, 0.11, 0.12], 0.01082, 6.7361),
            (
                &[1.0, 1.1, 0.9, 1.05, 0.95],
                &[2.0, 2.5, 1.5],
                0.07208,
                -3.4384,
            ),
        ];
        for (a, b, p, t) in cases {
            let w = welch(a, b).unwrap();
            assert!((w.p - p).abs() < 5e-4, "p {} vs scipy {p}", w.p);
            assert!((w.t - t).abs() < 5e-4, "t {} vs scipy {t}", w.t);
        }
    }

    #[test]
    fn gamma_and_beta() {
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        // I_0.5(2, 2) = 0.5 by symmetry; I_0.3(1, 1) = 0.3.
        assert!((incomplete_beta(2.0, 2.0, 0.5) - 0.5).abs() < 1e-12);
        assert!((incomplete_beta(1.0, 1.0, 0.3) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn no_test_without_two_values() {
        assert!(welch(&[0.1], &[0.2, 0.3]).is_none());
        assert!(welch(&[0.1, 0.1], &[0.2, 0.2]).is_none());
        assert_eq!(welch(&[0.1, 0.1], &[0.1, 0.1]).unwrap().p, 1.0);
        assert!(verdict(&[0.1], &[0.2, 0.3]).starts_with("not tested (1 and 2 seeds"));
    }
}
