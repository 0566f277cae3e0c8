//! The autograd backend's gradients against finite differences: for each network on a small
//! size, the gradient candle's graph gives every parameter tensor (through the crate's CPU ops and
//! their hand-written backward passes) is compared with central differences of the same scalar.
use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use gcatm::loss::info_nce;
use gcatm::model::{
    seeded_var_builder, trainable_vars, Bow, Critic, DirichletPrior, Encoder, Generator, Variant,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const V: usize = 12;
const K: usize = 3;
const H: usize = 8;
const B: usize = 6;

fn random(shape: (usize, usize), seed: u64, lo: f32) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let v: Vec<f32> = (0..shape.0 * shape.1)
        .map(|_| lo + rng.random::<f32>() * (1.0 - lo))
        .collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

/// Documents as the networks see them: non-negative rows that sum to 1.
fn documents(seed: u64) -> Tensor {
    let x = random((B, V), seed, 0.0);
    x.broadcast_div(&x.sum_keepdim(1).unwrap()).unwrap()
}

fn theta(seed: u64) -> Tensor {
    DirichletPrior::symmetric(K, 0.5, seed)
        .unwrap()
        .sample(B, &Device::Cpu)
        .unwrap()
}

/// `sum(weights * output)`: a scalar that depends on every output value.
fn weighted(out: &Tensor, weights: &Tensor) -> Tensor {
    (out * weights).unwrap().sum_all().unwrap()
}

/// For every trainable tensor of `vm`, three coordinates: the autograd gradient of `loss()`
/// against a central difference with step 4e-3. In f32 each evaluation of a loss of order 10
/// rounds by about 1e-6, which a difference quotient turns into about 1e-4; the largest difference
/// measured is 3.2e-4, the test allows 1e-3 plus 0.5%. (LeakyReLU's kink could add more where a
/// pre-activation lies within the step of zero; the seeds used here avoid it.)
fn check(what: &str, vm: &VarMap, loss: impl Fn() -> Tensor) {
    let value = loss();
    let grads = value.backward().unwrap();
    let vars = trainable_vars(vm);
    assert!(!vars.is_empty());
    // Not a vacuous comparison: most checked gradients are far from zero (measured 0.02-2.8; the
    // bias before each BatchNorm is exactly zero, as it should be).
    let (mut checked, mut sizeable) = (0usize, 0usize);
    for (name, var) in vars {
        let g = grads
            .get(var.as_tensor())
            .unwrap_or_else(|| panic!("{what}: no gradient for {name}"))
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let base = var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let n = base.len();
        for i in [0, n / 2, n - 1] {
            let at = |delta: f32| -> f64 {
                let mut v = base.clone();
                v[i] += delta;
                set(&var, &v);
                let l = loss().to_scalar::<f32>().unwrap() as f64;
                set(&var, &base);
                l
            };
            let h = 4e-3f32;
            let numeric = (at(h) - at(-h)) / (2.0 * h as f64);
            let analytic = g[i] as f64;
            checked += 1;
            sizeable += usize::from(numeric.abs() > 1e-2);
            assert!(
                (numeric - analytic).abs() <= 1e-3 + 5e-3 * numeric.abs(),
                "{what}: {name}[{i}]: autograd {analytic:.6} vs finite difference {numeric:.6}"
            );
        }
    }
    assert!(
        2 * sizeable >= checked,
        "{what}: only {sizeable} of {checked} checked gradients exceed 1e-2"
    );
}

fn set(var: &Var, values: &[f32]) {
    let t = Tensor::from_slice(values, var.as_tensor().shape(), &Device::Cpu).unwrap();
    var.set(&t).unwrap();
}

#[test]
fn encoder_gradients_match_finite_differences() {
    let vm = VarMap::new();
    let e = Encoder::new(seeded_var_builder(&vm, 1, &Device::Cpu), V, K, H).unwrap();
    let (bow, w) = (documents(2), random((B, K), 3, -1.0));
    check("encoder", &vm, || {
        weighted(&e.theta(Bow::Dense(&bow), true).unwrap(), &w)
    });
}

#[test]
fn critic_gradients_match_finite_differences() {
    let vm = VarMap::new();
    let d = Critic::new(seeded_var_builder(&vm, 4, &Device::Cpu), V, K, H).unwrap();
    let (bow, t, w) = (documents(5), theta(6), random((B, 1), 7, -1.0));
    check("critic", &vm, || {
        weighted(&d.score(&t, Bow::Dense(&bow), true).unwrap(), &w)
    });
}

/// The generator's documents and, for each contrastive variant, its InfoNCE term: the scalar the
/// generator step differentiates, less the critic.
#[test]
fn generator_gradients_match_finite_differences() {
    for variant in [
        Variant::Bat,
        Variant::Hard,
        Variant::MeanWeighted,
        Variant::Word,
    ] {
        let vm = VarMap::new();
        let g = Generator::new(
            seeded_var_builder(&vm, 8, &Device::Cpu),
            V,
            K,
            H,
            variant,
            5,
            4,
        )
        .unwrap();
        let (t, w) = (theta(9), random((B, V), 10, -1.0));
        check(&format!("generator ({variant})"), &vm, || {
            let out = g.forward_with_hidden(&t, true).unwrap();
            // Scaled so that the documents' term is of the order of the InfoNCE term.
            let mut loss = (weighted(&out.words, &w) * V as f64).unwrap();
            if let Some(pair) = g.contrastive_pair(&t, &out).unwrap() {
                let nce = info_nce(&pair.documents, &pair.topics, 0.5).unwrap();
                loss = (loss + nce).unwrap();
            }
            loss
        });
    }
}
