//! The networks: shapes, the sparse first layers against the dense ones (values and gradients),
//! the frozen critic, BatchNorm1d against hand-computed numbers, PyTorch's default init, and the
//! contrastive pairs of each variant, and (module `gradients`) every network's autograd gradients
//! against finite differences.
use candle_core::{DType, Device, ModuleT, Tensor, Var};
use candle_nn::VarMap;
use gcatm::corpus::SparseBatch;
use gcatm::model::{
    seeded_var_builder, sparse_matmul, trainable_vars, BatchNorm1d, Bow, Critic, DirichletPrior,
    Encoder, Generator, Variant,
};
use gcatm::train::{TrainConfig, Trainer};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const V: usize = 50;
const K: usize = 6;
const H: usize = 32;

fn var(vm: &VarMap, name: &str) -> Var {
    vm.data()
        .lock()
        .unwrap()
        .get(name)
        .unwrap_or_else(|| panic!("no variable `{name}`"))
        .clone()
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    assert_eq!(a.dims(), b.dims());
    flat(a)
        .iter()
        .zip(flat(b))
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max)
}

/// A random sparse batch (about `density` of the entries non-zero, rows L1-normalised unless
/// `normalise` is false, one row left empty when `rows > 2`) and its dense twin.
fn random_batch(rows: usize, cols: usize, density: f64, seed: u64) -> (SparseBatch, Tensor) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut offsets = vec![0];
    let mut word_ids = Vec::new();
    let mut values = Vec::new();
    for r in 0..rows {
        let mut row: Vec<(u32, f32)> = Vec::new();
        for c in 0..cols {
            if rng.random::<f64>() < density {
                row.push((c as u32, 1.0 + rng.random_range(0..5) as f32));
            }
        }
        if row.is_empty() {
            row.push((rng.random_range(0..cols) as u32, 1.0));
        }
        if rows > 2 && r == 1 {
            row.clear();
        }
        let s: f32 = row.iter().map(|x| x.1).sum();
        for (c, v) in row {
            word_ids.push(c);
            values.push(v / s);
        }
        offsets.push(word_ids.len());
    }
    let sb = SparseBatch {
        offsets,
        word_ids,
        values,
        cols,
    };
    let dense = sb.to_dense(&Device::Cpu).unwrap();
    (sb, dense)
}

fn random_tensor(shape: (usize, usize), seed: u64) -> Tensor {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = shape.0 * shape.1;
    let v: Vec<f32> = (0..n).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
}

fn theta_batch(b: usize, seed: u64) -> Tensor {
    DirichletPrior::symmetric(K, 0.3, seed)
        .unwrap()
        .sample(b, &Device::Cpu)
        .unwrap()
}

fn encoder(seed: u64) -> (VarMap, Encoder) {
    let vm = VarMap::new();
    let e = Encoder::new(seeded_var_builder(&vm, seed, &Device::Cpu), V, K, H).unwrap();
    (vm, e)
}

fn critic(seed: u64) -> (VarMap, Critic) {
    let vm = VarMap::new();
    let d = Critic::new(seeded_var_builder(&vm, seed, &Device::Cpu), V, K, H).unwrap();
    (vm, d)
}

fn generator(variant: Variant, seed: u64) -> (VarMap, Generator) {
    let vm = VarMap::new();
    let g = Generator::new(
        seeded_var_builder(&vm, seed, &Device::Cpu),
        V,
        K,
        H,
        variant,
        16,
        12,
    )
    .unwrap();
    (vm, g)
}

#[test]
fn shapes_and_simplex_outputs() {
    let b = 8;
    let (_, bow) = random_batch(b, V, 0.2, 1);
    let (_, e) = encoder(0);
    for train in [true, false] {
        let theta = e.forward_t(&bow, train).unwrap();
        assert_eq!(theta.dims(), &[b, K]);
        for row in theta.to_vec2::<f32>().unwrap() {
            assert!(row.iter().all(|&x| x >= 0.0 && x.is_finite()));
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
        }
    }
    let theta = theta_batch(b, 2);
    let (_, g) = generator(Variant::MeanWeighted, 0);
    assert_eq!((g.topics(), g.vocab_size()), (K, V));
    let out = g.forward_with_hidden(&theta, true).unwrap();
    assert_eq!(out.hidden.dims(), &[b, H]);
    assert_eq!(out.words.dims(), &[b, V]);
    for row in out.words.to_vec2::<f32>().unwrap() {
        assert!(row.iter().all(|&x| x >= 0.0));
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    // forward_t is the words of forward_with_hidden.
    assert!(max_abs_diff(&g.forward_t(&theta, true).unwrap(), &out.words) < 1e-7);
    // LeakyReLU(0.01) after BatchNorm: the hidden features take negative values too, but only
    // small ones relative to the positives (slope 0.01 on a unit-variance input).
    let h = flat(&out.hidden);
    let min = h.iter().cloned().fold(f32::INFINITY, f32::min);
    assert!(min < 0.0 && min > -0.1, "min hidden {min}");

    let (_, d) = critic(0);
    let score = d.score(&theta, Bow::Dense(&bow), true).unwrap();
    assert_eq!(score.dims(), &[b, 1]);
    // forward_t on concat(theta, bow) is score(theta, bow).
    let cat = Tensor::cat(&[&theta, &bow], 1).unwrap();
    let via_cat = d.forward_t(&cat, false).unwrap();
    let direct = d.score(&theta, Bow::Dense(&bow), false).unwrap();
    assert!(max_abs_diff(&via_cat, &direct) < 1e-6);
}

#[test]
fn batchnorm_needs_two_rows_in_training() {
    let (_, e) = encoder(0);
    let (_, bow) = random_batch(1, V, 0.2, 1);
    assert!(e.forward_t(&bow, true).is_err());
    // Inference mode works on a single row.
    assert_eq!(e.forward_t(&bow, false).unwrap().dims(), &[1, K]);
}

#[test]
fn sparse_matmul_matches_dense_matmul() {
    for (rows, cols, out, density, seed) in [
        (7usize, 50usize, 9usize, 0.1, 1u64),
        (16, 300, 33, 0.03, 2),
        (3, 10, 1, 0.9, 3),
    ] {
        let (sb, dense) = random_batch(rows, cols, density, seed);
        // Input-major weight (cols x out).
        let w = random_tensor((cols, out), seed + 100);
        let want = dense.matmul(&w).unwrap();
        let got = sparse_matmul(&sb, &w).unwrap();
        assert_eq!(got.dims(), &[rows, out]);
        assert!(max_abs_diff(&got, &want) < 1e-5);
        // A transposed (non-contiguous) weight view gives the same product.
        let wt = w.t().unwrap().contiguous().unwrap().t().unwrap();
        assert!(max_abs_diff(&sparse_matmul(&sb, &wt).unwrap(), &want) < 1e-5);
        // Gradient of sum(y * r) w.r.t. the weight: r^T x, sparse vs dense.
        let r = random_tensor((rows, out), seed + 200);
        let wv = Var::from_tensor(&w).unwrap();
        let gs = (sparse_matmul(&sb, wv.as_tensor()).unwrap() * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let gd = (dense.matmul(wv.as_tensor()).unwrap() * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let (gs, gd) = (gs.get(&wv).unwrap(), gd.get(&wv).unwrap());
        assert_eq!(gs.dims(), &[cols, out]);
        assert!(max_abs_diff(gs, gd) < 1e-5);
        assert!(flat(gd).iter().any(|x| x.abs() > 1e-3));
    }
    // Mismatched widths are an error, not a panic.
    let (sb, _) = random_batch(3, 10, 0.5, 0);
    assert!(sparse_matmul(&sb, &random_tensor((11, 4), 0)).is_err());
}

#[test]
fn encoder_sparse_path_equals_dense_path_values_and_gradients() {
    let (sb, dense) = random_batch(12, V, 0.15, 4);
    let (vm, e) = encoder(3);
    let r = random_tensor((12, K), 5);
    let w1 = var(&vm, "fc1.weight");
    let w2 = var(&vm, "fc2.weight");
    // Inference mode first: a training pass moves the running statistics.
    let eval_s = e.theta(Bow::Sparse(&sb), false).unwrap();
    let eval_d = e.theta(Bow::Dense(&dense), false).unwrap();
    assert!(max_abs_diff(&eval_s, &eval_d) < 1e-5, "theta (eval)");
    let mut results = Vec::new();
    for bow in [Bow::Sparse(&sb), Bow::Dense(&dense)] {
        let theta = e.theta(bow, true).unwrap();
        let grads = (&theta * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        results.push((
            theta,
            grads.get(&w1).expect("no gradient for fc1.weight").clone(),
            grads.get(&w2).expect("no gradient for fc2.weight").clone(),
        ));
    }
    let (s, d) = (&results[0], &results[1]);
    assert!(max_abs_diff(&s.0, &d.0) < 1e-5, "theta (train)");
    assert!(max_abs_diff(&s.1, &d.1) < 1e-5, "d/d fc1.weight");
    assert!(max_abs_diff(&s.2, &d.2) < 1e-5, "d/d fc2.weight");
    assert!(
        flat(&d.1).iter().any(|x| x.abs() > 1e-4),
        "gradient reaches fc1"
    );
    // forward_t is the dense path.
    assert!(max_abs_diff(&e.forward_t(&dense, true).unwrap(), &d.0) < 1e-6);
}

#[test]
fn critic_sparse_path_equals_dense_path_values_and_gradients() {
    let (sb, dense) = random_batch(10, V, 0.2, 6);
    let theta = theta_batch(10, 7);
    let (vm, d) = critic(8);
    let names = [
        "fc1.bow_weight",
        "fc1.theta_weight",
        "fc2.weight",
        "bn.weight",
    ];
    let eval_s = d.score(&theta, Bow::Sparse(&sb), false).unwrap();
    let eval_d = d.score(&theta, Bow::Dense(&dense), false).unwrap();
    assert!(max_abs_diff(&eval_s, &eval_d) < 1e-5);
    let mut results = Vec::new();
    for bow in [Bow::Sparse(&sb), Bow::Dense(&dense)] {
        let score = d.score(&theta, bow, true).unwrap();
        let grads = score.sqr().unwrap().sum_all().unwrap().backward().unwrap();
        let g: Vec<Tensor> = names
            .iter()
            .map(|n| grads.get(&var(&vm, n)).unwrap().clone())
            .collect();
        results.push((score, g));
    }
    let (s, dn) = (&results[0], &results[1]);
    assert!(max_abs_diff(&s.0, &dn.0) < 1e-5);
    for (i, n) in names.iter().enumerate() {
        assert!(max_abs_diff(&s.1[i], &dn.1[i]) < 1e-5, "gradient of {n}");
    }
    assert!(flat(&dn.1[0]).iter().any(|x| x.abs() > 1e-5));
}

#[test]
fn frozen_critic_same_scores_no_weight_gradients() {
    let (sb, dense) = random_batch(8, V, 0.2, 9);
    let (vm, d) = critic(1);
    let frozen = d.frozen();
    let theta = Var::from_tensor(&theta_batch(8, 3)).unwrap();
    for bow in [Bow::Sparse(&sb), Bow::Dense(&dense)] {
        for train in [true, false] {
            let a = d.score(theta.as_tensor(), bow, train).unwrap();
            let b = frozen.score(theta.as_tensor(), bow, train).unwrap();
            assert!(max_abs_diff(&a, &b) < 1e-7);
        }
        let grads = frozen
            .score(theta.as_tensor(), bow, true)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        for (name, v) in trainable_vars(&vm) {
            assert!(
                grads.get(&v).is_none(),
                "frozen critic has a gradient for {name}"
            );
        }
        let g = grads.get(&theta).expect("the gradient reaches theta");
        assert!(flat(g).iter().any(|x| x.abs() > 1e-7));
        // The unfrozen critic does give weight gradients for the same loss.
        let grads = d
            .score(theta.as_tensor(), bow, true)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert!(grads.get(&var(&vm, "fc1.bow_weight")).is_some());
        assert!(grads.get(&var(&vm, "bn.weight")).is_some());
    }
    // The frozen view reads the critic's current values (it is used after the critic's update).
    let w = var(&vm, "fc2.weight");
    w.set(&(w.as_tensor() * 2.0).unwrap()).unwrap();
    let a = d
        .score(theta.as_tensor(), Bow::Dense(&dense), false)
        .unwrap();
    let b = frozen
        .score(theta.as_tensor(), Bow::Dense(&dense), false)
        .unwrap();
    assert!(max_abs_diff(&a, &b) < 1e-6);
}

#[test]
fn batchnorm_train_and_eval_by_hand() {
    let vm = VarMap::new();
    let bn = BatchNorm1d::new(2, seeded_var_builder(&vm, 0, &Device::Cpu)).unwrap();
    // Defaults: scale 1, shift 0, running mean 0, running var 1.
    assert_eq!(flat(var(&vm, "weight").as_tensor()), vec![1.0, 1.0]);
    assert_eq!(flat(var(&vm, "bias").as_tensor()), vec![0.0, 0.0]);
    assert_eq!(flat(var(&vm, "running_mean").as_tensor()), vec![0.0, 0.0]);
    assert_eq!(flat(var(&vm, "running_var").as_tensor()), vec![1.0, 1.0]);
    let x = Tensor::new(&[[1f32, 2.0], [3.0, 6.0], [5.0, 10.0]], &Device::Cpu).unwrap();
    // Eval before any training: (x - 0) / sqrt(1 + 1e-5).
    let y = bn.forward_t(&x, false).unwrap().to_vec2::<f32>().unwrap();
    let s = (1.0f64 + 1e-5).sqrt();
    assert!((y[2][1] as f64 - 10.0 / s).abs() < 1e-5);
    // Scale (2, -1) and shift (0.5, 1) to see them applied.
    var(&vm, "weight")
        .set(&Tensor::new(&[2f32, -1.0], &Device::Cpu).unwrap())
        .unwrap();
    var(&vm, "bias")
        .set(&Tensor::new(&[0.5f32, 1.0], &Device::Cpu).unwrap())
        .unwrap();
    // Train: column 0 has mean 3, biased variance (4 + 0 + 4)/3 = 8/3, unbiased 8/2 = 4;
    // column 1 has mean 6, biased variance (16 + 0 + 16)/3 = 32/3, unbiased 16.
    // Normalised: column 0: (-2, 0, 2)/sqrt(8/3 + 1e-5); column 1: (-4, 0, 4)/sqrt(32/3 + 1e-5).
    let y = bn.forward_t(&x, true).unwrap().to_vec2::<f32>().unwrap();
    let n0 = 2.0 / (8.0f64 / 3.0 + 1e-5).sqrt(); // ≈ 1.224742
    let n1 = 4.0 / (32.0f64 / 3.0 + 1e-5).sqrt(); // ≈ 1.224744
    let want = [
        [2.0 * -n0 + 0.5, -(-n1) + 1.0],
        [0.5, 1.0],
        [2.0 * n0 + 0.5, -n1 + 1.0],
    ];
    for r in 0..3 {
        for c in 0..2 {
            assert!(
                (y[r][c] as f64 - want[r][c]).abs() < 1e-5,
                "train y[{r}][{c}] = {}",
                y[r][c]
            );
        }
    }
    // Running stats, momentum 0.1 and the unbiased variance:
    // mean = 0.9 * 0 + 0.1 * (3, 6) = (0.3, 0.6); var = 0.9 * 1 + 0.1 * (4, 16) = (1.3, 2.5).
    let rm = flat(var(&vm, "running_mean").as_tensor());
    let rv = flat(var(&vm, "running_var").as_tensor());
    assert!(
        (rm[0] - 0.3).abs() < 1e-6 && (rm[1] - 0.6).abs() < 1e-6,
        "{rm:?}"
    );
    assert!(
        (rv[0] - 1.3).abs() < 1e-6 && (rv[1] - 2.5).abs() < 1e-6,
        "{rv:?}"
    );
    // Eval uses them: y = (x - rm) / sqrt(rv + eps) * w + b, e.g. row 0:
    // (1 - 0.3)/sqrt(1.3 + 1e-5) * 2 + 0.5 and (2 - 0.6)/sqrt(2.5 + 1e-5) * -1 + 1.
    let y = bn.forward_t(&x, false).unwrap().to_vec2::<f32>().unwrap();
    for (r, row) in [[1.0f64, 2.0], [3.0, 6.0], [5.0, 10.0]].iter().enumerate() {
        let e0 = (row[0] - 0.3) / (1.3f64 + 1e-5).sqrt() * 2.0 + 0.5;
        let e1 = 1.0 - (row[1] - 0.6) / (2.5f64 + 1e-5).sqrt(); // scale -1, shift 1
        assert!(
            (y[r][0] as f64 - e0).abs() < 1e-5,
            "eval y[{r}][0] = {}",
            y[r][0]
        );
        assert!(
            (y[r][1] as f64 - e1).abs() < 1e-5,
            "eval y[{r}][1] = {}",
            y[r][1]
        );
    }
    // Eval leaves the running stats alone; a second training pass moves them again:
    // mean = 0.9 * 0.3 + 0.1 * 3 = 0.57, var = 0.9 * 1.3 + 0.1 * 4 = 1.57 (column 0).
    assert_eq!(flat(var(&vm, "running_mean").as_tensor()), rm);
    bn.forward_t(&x, true).unwrap();
    let rm = flat(var(&vm, "running_mean").as_tensor());
    let rv = flat(var(&vm, "running_var").as_tensor());
    assert!(
        (rm[0] - 0.57).abs() < 1e-6 && (rm[1] - 1.14).abs() < 1e-6,
        "{rm:?}"
    );
    assert!(
        (rv[0] - 1.57).abs() < 1e-6 && (rv[1] - 3.85).abs() < 1e-6,
        "{rv:?}"
    );
    // Running statistics are buffers: not trainable.
    let names: Vec<String> = trainable_vars(&vm).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["bias".to_string(), "weight".to_string()]);
}

/// Checks that every entry of `name` lies within ±bound and that the draws fill the range (the
/// largest is above 0.8 bound), i.e. uniform(-bound, bound) as PyTorch's default.
fn check_uniform(vm: &VarMap, name: &str, bound: f64) {
    let v = flat(var(vm, name).as_tensor());
    let max = v.iter().map(|x| x.abs()).fold(0f32, f32::max) as f64;
    assert!(
        max <= bound * (1.0 + 1e-6),
        "{name}: max |w| = {max} > {bound}"
    );
    if v.len() >= 20 {
        assert!(max > 0.8 * bound, "{name}: max |w| = {max}, bound {bound}");
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.2 * bound, "{name}: mean {mean}");
    }
}

fn check_standard_normal(vm: &VarMap, name: &str) {
    let v = flat(var(vm, name).as_tensor());
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let sd = (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    assert!(mean.abs() < 5.0 / n.sqrt(), "{name}: mean {mean}");
    assert!((sd - 1.0).abs() < 0.15, "{name}: sd {sd}");
}

#[test]
fn pytorch_default_initialisation() {
    let inv = |n: usize| 1.0 / (n as f64).sqrt();
    let (vm, _) = encoder(0);
    check_uniform(&vm, "fc1.weight", inv(V));
    check_uniform(&vm, "fc1.bias", inv(V));
    check_uniform(&vm, "fc2.weight", inv(H));
    check_uniform(&vm, "fc2.bias", inv(H));
    assert!(flat(var(&vm, "bn.weight").as_tensor())
        .iter()
        .all(|&x| x == 1.0));
    assert!(flat(var(&vm, "bn.bias").as_tensor())
        .iter()
        .all(|&x| x == 0.0));

    let (vm, _) = critic(0);
    check_uniform(&vm, "fc1.theta_weight", inv(K + V));
    check_uniform(&vm, "fc1.bow_weight", inv(K + V));
    check_uniform(&vm, "fc1.bias", inv(K + V));
    check_uniform(&vm, "fc2.weight", inv(H));
    check_uniform(&vm, "fc2.bias", inv(H));

    let (vm, _) = generator(Variant::Hard, 0);
    check_uniform(&vm, "fc1.weight", inv(K));
    check_uniform(&vm, "fc2.weight", inv(H));
    check_uniform(&vm, "proj1.weight", inv(H));
    check_uniform(&vm, "proj2.weight", inv(H));
    check_uniform(&vm, "proj2.bias", inv(H));
    check_standard_normal(&vm, "topic_embedding");

    let (vm, _) = generator(Variant::Word, 0);
    check_standard_normal(&vm, "word_embedding");
    check_standard_normal(&vm, "topic_embedding");
    assert_eq!(var(&vm, "word_embedding").dims(), &[V, 12]);
    assert_eq!(var(&vm, "topic_embedding").dims(), &[K, 12]);

    // BAT has no heads.
    let (vm, _) = generator(Variant::Bat, 0);
    let names: Vec<String> = trainable_vars(&vm).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "bn.bias",
            "bn.weight",
            "fc1.bias",
            "fc1.weight",
            "fc2.bias",
            "fc2.weight"
        ]
    );

    // Same seed, same networks; another seed, others.
    let (a, _) = encoder(5);
    let (b, _) = encoder(5);
    let (c, _) = encoder(6);
    let w = |vm: &VarMap| flat(var(vm, "fc1.weight").as_tensor());
    assert_eq!(w(&a), w(&b));
    assert_ne!(w(&a), w(&c));
}

#[test]
fn contrastive_pairs_of_each_variant() {
    let b = 10;
    let theta = theta_batch(b, 11);
    let rows = theta.to_vec2::<f32>().unwrap();
    let argmax: Vec<usize> = rows
        .iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap()
                .0
        })
        .collect();

    // Hard: the topic side is the embedding row of argmax theta.
    let (vm, g) = generator(Variant::Hard, 1);
    let out = g.forward_with_hidden(&theta, true).unwrap();
    let pair = g
        .contrastive_pair(&theta, &out)
        .unwrap()
        .expect("hard has a pair");
    assert_eq!(pair.documents.dims(), &[b, 16]);
    assert_eq!(pair.topics.dims(), &[b, 16]);
    let table = var(&vm, "topic_embedding")
        .as_tensor()
        .to_vec2::<f32>()
        .unwrap();
    let topics = pair.topics.to_vec2::<f32>().unwrap();
    for (i, &k) in argmax.iter().enumerate() {
        assert_eq!(topics[i], table[k], "row {i}: embedding of topic {k}");
    }
    // Document side: proj2(relu(proj1(h))).
    let lin = |x: &Tensor, name: &str| {
        x.matmul(&var(&vm, &format!("{name}.weight")).as_tensor().t().unwrap())
            .unwrap()
            .broadcast_add(var(&vm, &format!("{name}.bias")).as_tensor())
            .unwrap()
    };
    let want = lin(&lin(&out.hidden, "proj1").relu().unwrap(), "proj2");
    assert!(max_abs_diff(&pair.documents, &want) < 1e-5);

    // MeanWeighted: theta @ table.
    let (vm, g) = generator(Variant::MeanWeighted, 1);
    let out = g.forward_with_hidden(&theta, true).unwrap();
    let pair = g
        .contrastive_pair(&theta, &out)
        .unwrap()
        .expect("mean has a pair");
    assert_eq!(pair.documents.dims(), &[b, 16]);
    let want = theta
        .matmul(var(&vm, "topic_embedding").as_tensor())
        .unwrap();
    assert!(max_abs_diff(&pair.topics, &want) < 1e-5);
    // With one-hot theta the mean-weighted embedding is the hard one.
    let eye = Tensor::eye(K, DType::F32, &Device::Cpu).unwrap();
    let out_eye = g.forward_with_hidden(&eye, true).unwrap();
    let pair_eye = g.contrastive_pair(&eye, &out_eye).unwrap().unwrap();
    assert!(max_abs_diff(&pair_eye.topics, var(&vm, "topic_embedding").as_tensor()) < 1e-6);

    // Word: G(theta) @ E_word vs theta @ E_topic.
    let (vm, g) = generator(Variant::Word, 1);
    let out = g.forward_with_hidden(&theta, true).unwrap();
    let pair = g
        .contrastive_pair(&theta, &out)
        .unwrap()
        .expect("word has a pair");
    assert_eq!(pair.documents.dims(), &[b, 12]);
    let want_d = out
        .words
        .matmul(var(&vm, "word_embedding").as_tensor())
        .unwrap();
    let want_t = theta
        .matmul(var(&vm, "topic_embedding").as_tensor())
        .unwrap();
    assert!(max_abs_diff(&pair.documents, &want_d) < 1e-5);
    assert!(max_abs_diff(&pair.topics, &want_t) < 1e-5);

    // Bat: no pair.
    let (_, g) = generator(Variant::Bat, 1);
    let out = g.forward_with_hidden(&theta, true).unwrap();
    assert!(g.contrastive_pair(&theta, &out).unwrap().is_none());
}

#[test]
fn trainer_defaults_give_128_and_200_dimensional_pairs() {
    // The log's sizes: projection head to 128, word variant 200-dimensional embeddings.
    let planted = gcatm::corpus::PlantedCorpus::builder()
        .topics(4)
        .docs(40)
        .vocab_size(V)
        .seed(0)
        .build();
    for (variant, dim) in [
        (Variant::Hard, 128),
        (Variant::MeanWeighted, 128),
        (Variant::Word, 200),
    ] {
        let cfg = TrainConfig {
            topics: 4,
            hidden: 16,
            batch_size: 8,
            variant,
            device: "cpu".into(),
            ..TrainConfig::default()
        };
        let t = Trainer::new(cfg, &planted.corpus).unwrap();
        let theta = DirichletPrior::symmetric(4, 0.25, 0)
            .unwrap()
            .sample(8, &Device::Cpu)
            .unwrap();
        let out = t.generator.forward_with_hidden(&theta, true).unwrap();
        let pair = t.generator.contrastive_pair(&theta, &out).unwrap().unwrap();
        assert_eq!(pair.documents.dims(), &[8, dim], "{variant}");
        assert_eq!(pair.topics.dims(), &[8, dim], "{variant}");
    }
}

#[test]
fn variant_names_round_trip() {
    for v in [
        Variant::Bat,
        Variant::Hard,
        Variant::MeanWeighted,
        Variant::Word,
    ] {
        assert_eq!(v.to_string().parse::<Variant>().unwrap(), v);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, format!("\"{v}\""));
        assert_eq!(serde_json::from_str::<Variant>(&json).unwrap(), v);
    }
    assert!("nope".parse::<Variant>().is_err());
}

#[test]
fn every_parameter_gets_a_gradient() {
    // A loss on a network's output must reach every trainable parameter: theta = E(bow) through
    // the encoder's softmax, G(theta) through the generator's.
    let b = 8;
    let (sb, dense) = random_batch(b, V, 0.2, 12);
    let theta = theta_batch(b, 13);
    let r_k = random_tensor((b, K), 14);
    let r_v = random_tensor((b, V), 15);
    let missing = |vm: &VarMap, grads: &candle_core::backprop::GradStore| -> Vec<String> {
        trainable_vars(vm)
            .into_iter()
            .filter(|(_, v)| grads.get(v).is_none())
            .map(|(n, _)| n)
            .collect()
    };

    let (vm, e) = encoder(0);
    for bow in [Bow::Sparse(&sb), Bow::Dense(&dense)] {
        let loss = (e.theta(bow, true).unwrap() * &r_k)
            .unwrap()
            .sum_all()
            .unwrap();
        let grads = loss.backward().unwrap();
        assert_eq!(missing(&vm, &grads), Vec::<String>::new(), "encoder");
    }

    for variant in [
        Variant::Bat,
        Variant::MeanWeighted,
        Variant::Hard,
        Variant::Word,
    ] {
        let (vm, g) = generator(variant, 0);
        let out = g.forward_with_hidden(&theta, true).unwrap();
        // The words alone reach the generator's trunk and output layer.
        let grads = (&out.words * &r_v)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let trunk: Vec<String> = missing(&vm, &grads)
            .into_iter()
            .filter(|n| n.starts_with("fc") || n.starts_with("bn"))
            .collect();
        assert_eq!(trunk, Vec::<String>::new(), "{variant}: words -> trunk");
        // With the contrastive term, everything.
        let mut loss = (&out.words * &r_v).unwrap().sum_all().unwrap();
        if let Some(pair) = g.contrastive_pair(&theta, &out).unwrap() {
            loss = (loss + gcatm::loss::info_nce(&pair.documents, &pair.topics, 0.5).unwrap())
                .unwrap();
        }
        let grads = loss.backward().unwrap();
        assert_eq!(missing(&vm, &grads), Vec::<String>::new(), "{variant}");
    }

    let (vm, d) = critic(0);
    for bow in [Bow::Sparse(&sb), Bow::Dense(&dense)] {
        let grads = d
            .score(&theta, bow, true)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        assert_eq!(missing(&vm, &grads), Vec::<String>::new(), "critic");
    }
}

/// d/d bias of sum(softmax(x W^T + b) * r) = sum over rows of y * (r - sum(y * r)).
fn softmax_bias_gradient(y: &Tensor, r: &Tensor) -> Vec<f64> {
    let (y, r) = (y.to_vec2::<f32>().unwrap(), r.to_vec2::<f32>().unwrap());
    let mut g = vec![0f64; y[0].len()];
    for (yr, rr) in y.iter().zip(&r) {
        let dot: f64 = yr.iter().zip(rr).map(|(&a, &b)| a as f64 * b as f64).sum();
        for (gj, (&yv, &rv)) in g.iter_mut().zip(yr.iter().zip(rr)) {
            *gj += yv as f64 * (rv as f64 - dot);
        }
    }
    g
}

#[test]
fn softmax_outputs_have_the_softmax_gradient() {
    // The output layers' bias gradient of a linear loss on theta = E(bow) and on G(theta),
    // against the closed form of the softmax's Jacobian.
    let b = 8;
    let (sb, _) = random_batch(b, V, 0.2, 21);
    let (vm, e) = encoder(4);
    let r = random_tensor((b, K), 22);
    for train in [true, false] {
        let theta = e.theta(Bow::Sparse(&sb), train).unwrap();
        let grads = (&theta * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let got = flat(grads.get(&var(&vm, "fc2.bias")).unwrap());
        let want = softmax_bias_gradient(&theta, &r);
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (*g as f64 - w).abs() < 1e-5,
                "encoder (train {train}): {got:?} vs {want:?}"
            );
        }
        assert!(want.iter().any(|w| w.abs() > 1e-3));
    }
    let (vm, g) = generator(Variant::Bat, 4);
    let theta = theta_batch(b, 23);
    let r = random_tensor((b, V), 24);
    for train in [true, false] {
        let words = g.forward_t(&theta, train).unwrap();
        let grads = (&words * &r)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let got = flat(grads.get(&var(&vm, "fc2.bias")).unwrap());
        let want = softmax_bias_gradient(&words, &r);
        for (gv, w) in got.iter().zip(&want) {
            assert!((*gv as f64 - w).abs() < 1e-5, "generator (train {train})");
        }
    }
}

/// The autograd backend's gradients against finite differences: for each network on a small
/// size, the gradient candle's graph gives every parameter tensor (through the crate's CPU ops and
/// their hand-written backward passes) is compared with central differences of the same scalar.
mod gradients {
    use candle_core::{Device, Tensor, Var};
    use candle_nn::VarMap;
    use gcatm::loss::info_nce;
    use gcatm::model::{
        seeded_var_builder, trainable_vars, Bow, Critic, DirichletPrior, Encoder, Generator,
        Variant,
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
}
