//! The losses: InfoNCE (NT-Xent) against hand-computed values and an f64 re-implementation, and
//! the Wasserstein losses' signs and values.
use candle_core::{DType, Device, Tensor, Var};
use gcatm::loss::{critic_loss, encoder_loss, generator_loss, info_nce, l2_normalize};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn t2(rows: &[Vec<f64>]) -> Tensor {
    let (n, d) = (rows.len(), rows[0].len());
    let flat: Vec<f32> = rows.iter().flatten().map(|&x| x as f32).collect();
    Tensor::from_vec(flat, (n, d), &Device::Cpu).unwrap()
}

fn scalar(t: &Tensor) -> f64 {
    t.to_scalar::<f32>().unwrap() as f64
}

fn random_rows(rng: &mut ChaCha8Rng, n: usize, d: usize, scale: f64) -> Vec<Vec<f64>> {
    (0..n)
        .map(|_| {
            (0..d)
                .map(|_| scale * (rng.random::<f64>() * 2.0 - 1.0))
                .collect()
        })
        .collect()
}

/// NT-Xent written out in f64, straight from the spec: normalise each row, stack, similarities
/// over tau, for each row the cross-entropy of its partner among the 2B - 1 other rows.
fn info_nce_reference(z_i: &[Vec<f64>], z_j: &[Vec<f64>], tau: f64) -> f64 {
    let b = z_i.len();
    let norm = |r: &Vec<f64>| {
        let n = r.iter().map(|x| x * x).sum::<f64>().sqrt().max(1e-12);
        r.iter().map(|x| x / n).collect::<Vec<f64>>()
    };
    let z: Vec<Vec<f64>> = z_i.iter().chain(z_j).map(norm).collect();
    let n = 2 * b;
    let mut total = 0.0;
    for r in 0..n {
        let sim = |c: usize| z[r].iter().zip(&z[c]).map(|(a, b)| a * b).sum::<f64>() / tau;
        let partner = (r + b) % n;
        let log_denominator = (0..n)
            .filter(|&c| c != r)
            .map(|c| sim(c).exp())
            .sum::<f64>()
            .ln();
        total += log_denominator - sim(partner);
    }
    total / n as f64
}

#[test]
fn info_nce_identical_rows_is_ln_2b_minus_1() {
    // Every row is the same unit vector: all 2B - 1 candidates score 1/tau, so the positive has
    // probability 1/(2B - 1) whatever tau is.
    for (b, d) in [(2usize, 3usize), (4, 5), (16, 8)] {
        let row: Vec<f64> = (0..d).map(|k| 0.3 + k as f64).collect();
        let z = t2(&vec![row; b]);
        for tau in [0.1, 0.5, 2.0] {
            let l = scalar(&info_nce(&z, &z, tau).unwrap());
            let expected = ((2 * b - 1) as f64).ln();
            assert!(
                (l - expected).abs() < 1e-4,
                "B = {b}, tau = {tau}: {l} vs ln({}) = {expected}",
                2 * b - 1
            );
        }
    }
}

#[test]
fn info_nce_two_by_two_by_hand() {
    // z_i = z_j = [[1, 0], [0, 1]], tau = 0.5. Stacked z = e1, e2, e1, e2 (rows 0..4).
    // Row 0 (e1): candidates rows 1, 2, 3 with similarities 0, 1/0.5 = 2, 0; its positive is
    // row 2. Every row looks the same: positive at 2, the other two candidates at 0, so
    // loss = -ln(e^2 / (e^2 + e^0 + e^0)) = -ln(e^2 / (e^2 + 2)) = ln(1 + 2 e^-2) ≈ 0.2395448.
    let z = t2(&[vec![1.0, 0.0], vec![0.0, 1.0]]);
    let l = scalar(&info_nce(&z, &z, 0.5).unwrap());
    let e2 = 2f64.exp();
    let expected = -(e2 / (e2 + 2.0)).ln();
    assert!((expected - 0.239_544_8).abs() < 1e-6);
    assert!((l - expected).abs() < 1e-6, "{l} vs {expected}");

    // Same rows, partners swapped: z_j = [[0, 1], [1, 0]]. Stacked: e1, e2, e2, e1.
    // Row 0 (e1): candidates row 1 (e2, 0), row 2 (e2, 0, its positive), row 3 (e1, 2):
    // -ln(e^0 / (1 + 1 + e^2)) = ln(2 + e^2) ≈ 2.2395448. Each row is in the same situation.
    let zj = t2(&[vec![0.0, 1.0], vec![1.0, 0.0]]);
    let l = scalar(&info_nce(&z, &zj, 0.5).unwrap());
    let expected = (2.0 + e2).ln();
    assert!((l - expected).abs() < 1e-5, "{l} vs {expected}");
}

#[test]
fn info_nce_matches_f64_reference_on_random_asymmetric_inputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (b, d, tau) in [
        (3usize, 4usize, 0.5),
        (8, 16, 0.1),
        (5, 7, 1.0),
        (32, 128, 0.5),
    ] {
        // Different scales for the two sides (normalisation must remove them).
        let zi = random_rows(&mut rng, b, d, 3.0);
        let zj = random_rows(&mut rng, b, d, 0.2);
        let got = scalar(&info_nce(&t2(&zi), &t2(&zj), tau).unwrap());
        let want = info_nce_reference(&zi, &zj, tau);
        assert!(
            (got - want).abs() < 1e-4 * want.abs().max(1.0),
            "B = {b}, d = {d}, tau = {tau}: {got} vs {want}"
        );
        // The loss is not symmetric in its arguments row-wise, but swapping the two sides only
        // relabels the rows of z: the mean stays the same.
        let swapped = scalar(&info_nce(&t2(&zj), &t2(&zi), tau).unwrap());
        assert!((swapped - got).abs() < 1e-4 * got.abs().max(1.0));
    }
}

#[test]
fn info_nce_rows_are_normalised() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let zi = t2(&random_rows(&mut rng, 6, 5, 1.0));
    let zj = t2(&random_rows(&mut rng, 6, 5, 1.0));
    let base = scalar(&info_nce(&zi, &zj, 0.5).unwrap());
    let scaled = scalar(&info_nce(&(&zi * 100.0).unwrap(), &(&zj * 0.01).unwrap(), 0.5).unwrap());
    assert!((base - scaled).abs() < 1e-4, "{base} vs {scaled}");
    // l2_normalize gives unit rows.
    let norms = l2_normalize(&zi)
        .unwrap()
        .sqr()
        .unwrap()
        .sum(1)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert!(norms.iter().all(|n| (n - 1.0).abs() < 1e-5), "{norms:?}");
}

#[test]
fn info_nce_temperature_scaling() {
    // Aligned pairs (z_j = z_i, distinct rows): lowering tau sharpens the softmax around the
    // positive (similarity 1, the largest), so the loss decreases towards 0; raising it flattens
    // it towards chance ln(2B - 1).
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let b = 6;
    let rows = random_rows(&mut rng, b, 8, 1.0);
    let z = t2(&rows);
    let taus = [100.0, 2.0, 1.0, 0.5, 0.1, 0.05, 0.01];
    let losses: Vec<f64> = taus
        .iter()
        .map(|&tau| scalar(&info_nce(&z, &z, tau).unwrap()))
        .collect();
    for (w, tau) in losses.windows(2).zip(&taus[1..]) {
        assert!(
            w[1] < w[0],
            "loss must fall as tau falls to {tau}: {losses:?}"
        );
    }
    let chance = ((2 * b - 1) as f64).ln();
    assert!(
        (losses[0] - chance).abs() < 0.05,
        "{} vs {chance}",
        losses[0]
    );
    assert!(
        losses[6] < 1e-3,
        "tau = 0.01 should make the loss ~0: {}",
        losses[6]
    );
    for (&tau, &l) in taus.iter().zip(&losses) {
        let want = info_nce_reference(&rows, &rows, tau);
        assert!(
            (l - want).abs() < 1e-4 * want.max(1.0),
            "tau {tau}: {l} vs {want}"
        );
    }

    // Anti-aligned pairs (z_j = -z_i): the positive has the lowest similarity (-1/tau), and for
    // every other row o one of z_i[o], -z_i[o] has similarity >= 0, so each row's loss is at
    // least ln(e^0) + 1/tau: lowering tau makes it grow, past 10 at tau = 0.1.
    let neg = (&z * -1.0).unwrap();
    let l1 = scalar(&info_nce(&z, &neg, 1.0).unwrap());
    let l01 = scalar(&info_nce(&z, &neg, 0.1).unwrap());
    assert!(l01 > l1 && l01 > 10.0, "{l1} {l01}");
    let want = info_nce_reference(
        &rows,
        &rows
            .iter()
            .map(|r| r.iter().map(|x| -x).collect())
            .collect::<Vec<_>>(),
        0.1,
    );
    assert!((l01 - want).abs() < 1e-3 * want, "{l01} vs {want}");
}

#[test]
fn info_nce_rejects_bad_shapes() {
    let a = Tensor::ones((3, 4), DType::F32, &Device::Cpu).unwrap();
    let b = Tensor::ones((2, 4), DType::F32, &Device::Cpu).unwrap();
    assert!(info_nce(&a, &b, 0.5).is_err());
    let one = Tensor::ones((1, 4), DType::F32, &Device::Cpu).unwrap();
    assert!(info_nce(&one, &one, 0.5).is_err());
}

#[test]
fn info_nce_gradients_flow_to_both_inputs() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (b, d, tau) = (4, 5, 0.5);
    let zi0 = random_rows(&mut rng, b, d, 1.0);
    let zj0 = random_rows(&mut rng, b, d, 1.0);
    let zi = Var::from_tensor(&t2(&zi0)).unwrap();
    let zj = Var::from_tensor(&t2(&zj0)).unwrap();
    let loss = info_nce(zi.as_tensor(), zj.as_tensor(), tau).unwrap();
    let grads = loss.backward().unwrap();
    for (name, var, rows) in [("z_i", &zi, &zi0), ("z_j", &zj, &zj0)] {
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("no gradient for {name}"))
            .to_vec2::<f32>()
            .unwrap();
        assert!(g.iter().flatten().all(|x| x.is_finite()), "{name}: {g:?}");
        // Every row gets a gradient (each row enters the loss).
        for row in &g {
            assert!(row.iter().any(|x| x.abs() > 1e-6), "{name}: {g:?}");
        }
        // Against central differences of the f64 reference, on a few coordinates.
        for (r, c) in [(0usize, 0usize), (1, 3), (3, 4)] {
            let h = 1e-4;
            let mut plus = rows.clone();
            plus[r][c] += h;
            let mut minus = rows.clone();
            minus[r][c] -= h;
            let (fp, fm) = if name == "z_i" {
                (
                    info_nce_reference(&plus, &zj0, tau),
                    info_nce_reference(&minus, &zj0, tau),
                )
            } else {
                (
                    info_nce_reference(&zi0, &plus, tau),
                    info_nce_reference(&zi0, &minus, tau),
                )
            };
            let numeric = (fp - fm) / (2.0 * h);
            let analytic = g[r][c] as f64;
            assert!(
                (numeric - analytic).abs() < 1e-3 + 1e-2 * numeric.abs(),
                "{name}[{r}][{c}]: autograd {analytic} vs finite difference {numeric}"
            );
        }
    }
}

#[test]
fn wasserstein_losses_signs_and_values() {
    let dev = Device::Cpu;
    // Scores as the critic gives them: B x 1.
    let real = Tensor::new(&[[2f32], [4.0], [-1.0]], &dev).unwrap(); // mean 5/3
    let fake = Tensor::new(&[[0.5f32], [-0.5], [-3.0]], &dev).unwrap(); // mean -1
                                                                        // critic: -mean(real) + mean(fake) = -5/3 - 1 = -8/3: negative when the critic separates
                                                                        // real (high) from fake (low).
    let l = scalar(&critic_loss(&real, &fake).unwrap());
    assert!((l - (-8.0 / 3.0)).abs() < 1e-6, "{l}");
    // Swapped sides: positive, the same magnitude.
    let l = scalar(&critic_loss(&fake, &real).unwrap());
    assert!((l - 8.0 / 3.0).abs() < 1e-6, "{l}");
    // generator: -mean(fake) = 1.
    let l = scalar(&generator_loss(&fake).unwrap());
    assert!((l - 1.0).abs() < 1e-6, "{l}");
    // encoder: mean(real) = 5/3.
    let l = scalar(&encoder_loss(&real).unwrap());
    assert!((l - 5.0 / 3.0).abs() < 1e-6, "{l}");
    // 1-D scores give the same values; equal sides give 0.
    let r1 = real.flatten_all().unwrap();
    let f1 = fake.flatten_all().unwrap();
    assert!((scalar(&critic_loss(&r1, &f1).unwrap()) + 8.0 / 3.0).abs() < 1e-6);
    assert_eq!(scalar(&critic_loss(&r1, &r1).unwrap()), 0.0);
    // Sides of different batch sizes are allowed (means are taken separately).
    let f2 = Tensor::new(&[1f32, 3.0], &dev).unwrap();
    assert!((scalar(&critic_loss(&r1, &f2).unwrap()) - (2.0 - 5.0 / 3.0)).abs() < 1e-6);
}

#[test]
fn wasserstein_losses_gradients() {
    // d loss_D / d real_i = -1/B, d loss_D / d fake_i = +1/B; generator: -1/B; encoder: +1/B.
    let dev = Device::Cpu;
    let real = Var::new(&[1f32, 2.0, 3.0, 4.0], &dev).unwrap();
    let fake = Var::new(&[0f32, 0.5], &dev).unwrap();
    let g = critic_loss(real.as_tensor(), fake.as_tensor())
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(
        g.get(&real).unwrap().to_vec1::<f32>().unwrap(),
        vec![-0.25; 4]
    );
    assert_eq!(
        g.get(&fake).unwrap().to_vec1::<f32>().unwrap(),
        vec![0.5; 2]
    );
    let g = generator_loss(fake.as_tensor())
        .unwrap()
        .backward()
        .unwrap();
    assert_eq!(
        g.get(&fake).unwrap().to_vec1::<f32>().unwrap(),
        vec![-0.5; 2]
    );
    let g = encoder_loss(real.as_tensor()).unwrap().backward().unwrap();
    assert_eq!(
        g.get(&real).unwrap().to_vec1::<f32>().unwrap(),
        vec![0.25; 4]
    );
}
