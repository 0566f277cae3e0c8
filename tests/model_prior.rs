//! The Dirichlet prior, statistically: finite rows on the simplex even for very sparse alpha = 1/K,
//! component means and second moments within a few standard errors of the Dirichlet's, and
//! determinism of the seeded streams.
use candle_core::Device;
use gcatm::model::DirichletPrior;

const DRAWS: usize = 20_000;

/// Draws `DRAWS` rows (in chunks, through the f32 tensor path) and checks every row; returns the
/// per-component sums of x and x^2, and the sum of x_0 x_1 (f64).
fn draw_and_check(prior: &mut DirichletPrior, k: usize) -> (Vec<f64>, Vec<f64>, f64) {
    let mut sum = vec![0f64; k];
    let mut sum_sq = vec![0f64; k];
    let mut cross = 0f64;
    let chunk = 1000;
    for _ in 0..DRAWS / chunk {
        let t = prior.sample(chunk, &Device::Cpu).unwrap();
        assert_eq!(t.dims(), &[chunk, k]);
        for row in t.to_vec2::<f32>().unwrap() {
            let s: f64 = row.iter().map(|&x| x as f64).sum();
            assert!((s - 1.0).abs() < 1e-5, "row sums to {s}");
            for (j, &x) in row.iter().enumerate() {
                assert!(x.is_finite() && x >= 0.0, "entry {x}");
                sum[j] += x as f64;
                sum_sq[j] += (x as f64) * (x as f64);
            }
            cross += row[0] as f64 * row[1] as f64;
        }
    }
    (sum, sum_sq, cross)
}

/// Var of component k of Dirichlet(alpha): a (a0 - a) / (a0^2 (a0 + 1)).
fn dirichlet_var(a: f64, a0: f64) -> f64 {
    a * (a0 - a) / (a0 * a0 * (a0 + 1.0))
}

#[test]
fn sparse_prior_stays_on_the_simplex_with_the_right_means() {
    for k in [100usize, 500] {
        let a = 1.0 / k as f64;
        let mut prior = DirichletPrior::symmetric(k, a, 42).unwrap();
        assert_eq!(prior.alpha(), vec![a; k].as_slice());
        let (sum, _, _) = draw_and_check(&mut prior, k);
        // Standard error of a component's sample mean; 5 of them bound all K means (the chance
        // of any |z| > 5 among K = 500 components is ~3e-4 under the normal approximation).
        let se = (dirichlet_var(a, 1.0) / DRAWS as f64).sqrt();
        let worst = sum
            .iter()
            .map(|s| (s / DRAWS as f64 - a).abs())
            .fold(0f64, f64::max);
        assert!(
            worst < 5.0 * se,
            "K = {k}: max |mean_k - 1/K| = {worst}, bound 5 SE = {}",
            5.0 * se
        );
        // Sparse draws: with alpha = 1/K, a row's largest component carries most of the mass on
        // average (E[max] is well above 1/2), which a uniform-ish sampler would not give.
        let t = prior.sample(2000, &Device::Cpu).unwrap();
        let max_mean = t
            .max(1)
            .unwrap()
            .mean_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(max_mean > 0.5, "K = {k}: mean of the row maxima {max_mean}");
    }
}

#[test]
fn extremely_sparse_alpha_gives_no_nan() {
    // alpha = 1e-4 per component: naive Gamma(alpha) draws underflow to exactly 0 for nearly all
    // components; the log-space sampler must still give finite rows summing to one.
    let mut prior = DirichletPrior::symmetric(1000, 1e-4, 1).unwrap();
    for row in prior.sample_rows(200) {
        assert!(row.iter().all(|x| x.is_finite() && *x >= 0.0));
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

#[test]
fn flat_prior_k3_first_and_second_moments() {
    // Dirichlet(1, 1, 1): each component is Beta(1, 2): mean 1/3, Var = 1*2/(9*4) = 1/18,
    // E[x^2] = 1/18 + 1/9 = 1/6; E[x^4] = 1/15 so Var(x^2) = 1/15 - 1/36 = 7/180.
    // Cross moment E[x_0 x_1] = a_0 a_1 / (a0 (a0 + 1)) = 1/12.
    let k = 3;
    let mut prior = DirichletPrior::symmetric(k, 1.0, 7).unwrap();
    let (sum, sum_sq, cross) = draw_and_check(&mut prior, k);
    let n = DRAWS as f64;
    let se_mean = (1.0f64 / 18.0 / n).sqrt();
    let se_sq = (7.0f64 / 180.0 / n).sqrt();
    for j in 0..k {
        let mean = sum[j] / n;
        let m2 = sum_sq[j] / n;
        assert!(
            (mean - 1.0 / 3.0).abs() < 5.0 * se_mean,
            "mean_{j} = {mean}"
        );
        assert!((m2 - 1.0 / 6.0).abs() < 5.0 * se_sq, "E[x_{j}^2] = {m2}");
    }
    // Var(x_0 x_1) < E[x_0^2 x_1^2] = Γ(3)/Γ(7) * Γ(3)Γ(3) = 2/720 * 4 = 1/90 (Dirichlet
    // moments: E[prod x_i^n_i] = Γ(a0)/Γ(a0 + sum n) * prod Γ(a_i + n_i)/Γ(a_i)).
    let se_cross = (1.0f64 / 90.0 / n).sqrt();
    let c = cross / n;
    assert!((c - 1.0 / 12.0).abs() < 5.0 * se_cross, "E[x_0 x_1] = {c}");
}

#[test]
fn asymmetric_alpha_means() {
    // Dirichlet(0.5, 1.5, 3): means a_k / 5.
    let alpha = vec![0.5, 1.5, 3.0];
    let a0: f64 = alpha.iter().sum();
    let mut prior = DirichletPrior::new(alpha.clone(), 3).unwrap();
    let rows = prior.sample_rows(DRAWS);
    for (j, &a) in alpha.iter().enumerate() {
        let mean = rows.iter().map(|r| r[j]).sum::<f64>() / DRAWS as f64;
        let se = (dirichlet_var(a, a0) / DRAWS as f64).sqrt();
        assert!(
            (mean - a / a0).abs() < 5.0 * se,
            "component {j}: {mean} vs {}",
            a / a0
        );
    }
}

#[test]
fn invalid_concentrations_are_rejected() {
    assert!(DirichletPrior::new(vec![], 0).is_err());
    assert!(DirichletPrior::new(vec![1.0, 0.0], 0).is_err());
    assert!(DirichletPrior::new(vec![1.0, -1.0], 0).is_err());
    assert!(DirichletPrior::new(vec![f64::NAN, 1.0], 0).is_err());
    assert!(DirichletPrior::new(vec![f64::INFINITY, 1.0], 0).is_err());
}

#[test]
fn seeded_draws_are_reproducible() {
    let draw = |p: &mut DirichletPrior| {
        p.sample(16, &Device::Cpu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap()
    };
    let mut a = DirichletPrior::symmetric(20, 0.05, 5).unwrap();
    let mut b = DirichletPrior::symmetric(20, 0.05, 5).unwrap();
    let mut c = DirichletPrior::symmetric(20, 0.05, 6).unwrap();
    let (a1, b1, c1) = (draw(&mut a), draw(&mut b), draw(&mut c));
    assert_eq!(a1, b1, "same seed, same draws");
    assert_ne!(a1, c1, "another seed, other draws");
    let a2 = draw(&mut a);
    assert_ne!(a1, a2, "the stream moves on");

    // reseed(stream) restarts a stream: the same draws after any history.
    a.reseed(3);
    let s3 = draw(&mut a);
    let s3_next = draw(&mut a);
    draw(&mut a);
    a.reseed(3);
    assert_eq!(draw(&mut a), s3);
    assert_eq!(draw(&mut a), s3_next);
    // ... on a fresh prior with the same seed as well.
    let mut fresh = DirichletPrior::symmetric(20, 0.05, 5).unwrap();
    fresh.reseed(3);
    assert_eq!(draw(&mut fresh), s3);
    // Other streams differ from it and from each other.
    a.reseed(4);
    let s4 = draw(&mut a);
    assert_ne!(s3, s4);
    // A different seed with the same stream differs too.
    c.reseed(3);
    assert_ne!(draw(&mut c), s3);
}

#[test]
fn draws_below_the_smallest_normal_f32_become_zero() {
    // alpha = 1/50: about 5% of the draws fall in f32's subnormal range, which slows every product
    // that reads them; the tensor path sets them to 0 and keeps every other draw as cast.
    let (k, rows) = (50usize, 400usize);
    let mut prior = DirichletPrior::symmetric(k, 1.0 / k as f64, 7).unwrap();
    prior.reseed(3);
    let exact: Vec<f64> = prior.sample_rows(rows).into_iter().flatten().collect();
    prior.reseed(3);
    let theta = prior.sample(rows, &Device::Cpu).unwrap();
    let theta: Vec<f32> = theta.flatten_all().unwrap().to_vec1().unwrap();
    let subnormal = exact
        .iter()
        .filter(|&&x| (x as f32) > 0.0 && (x as f32) < f32::MIN_POSITIVE)
        .count();
    assert!(
        subnormal > rows * k / 100,
        "only {subnormal} subnormal draws of {}",
        rows * k
    );
    for (&x, &t) in exact.iter().zip(&theta) {
        if (x as f32) < f32::MIN_POSITIVE {
            assert_eq!(t, 0.0, "draw {x:e}");
        } else {
            assert_eq!(t, x as f32);
        }
    }
}
