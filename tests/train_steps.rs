//! Trainer semantics: which network each step touches, clipping, the n_critic schedule, the
//! generator's scaled learning rate, Adam against PyTorch's formula, and (module `backends`) the
//! autograd backend trained on the CPU beside the fused one.
use candle_core::{Device, Tensor, Var};
use candle_nn::VarMap;
use gcatm::corpus::{Batch, PlantedCorpus};
use gcatm::model::trainable_vars;
use gcatm::train::{Adam, TrainConfig, Trainer, Variant};

type Snapshot = Vec<(String, Vec<f32>)>;

fn snapshot(vm: &VarMap) -> Snapshot {
    trainable_vars(vm)
        .into_iter()
        .map(|(n, v)| (n, v.as_tensor().flatten_all().unwrap().to_vec1().unwrap()))
        .collect()
}

/// Names of the variables whose values differ between two snapshots.
fn changed(a: &Snapshot, b: &Snapshot) -> Vec<String> {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0.clone())
        .collect()
}

fn names(s: &Snapshot) -> Vec<String> {
    s.iter().map(|x| x.0.clone()).collect()
}

struct Snap {
    e: Snapshot,
    g: Snapshot,
    d: Snapshot,
}

fn snap(t: &Trainer) -> Snap {
    let (e, g, d) = t.var_maps();
    Snap {
        e: snapshot(e),
        g: snapshot(g),
        d: snapshot(d),
    }
}

fn planted(docs: usize) -> PlantedCorpus {
    PlantedCorpus::builder()
        .topics(4)
        .docs(docs)
        .vocab_size(60)
        .seed(0)
        .build()
}

fn config() -> TrainConfig {
    TrainConfig {
        topics: 4,
        hidden: 32,
        batch_size: 16,
        projection_dim: 16,
        variant: Variant::MeanWeighted,
        device: "cpu".into(),
        ..TrainConfig::default()
    }
}

fn first_batch(t: &Trainer) -> Batch {
    t.batcher().epoch(1).next().unwrap().unwrap()
}

#[test]
fn critic_step_clips_and_touches_only_the_critic() {
    let p = planted(64);
    let clip = 0.005;
    let mut t = Trainer::new(TrainConfig { clip, ..config() }, &p.corpus).unwrap();
    let before = snap(&t);
    // The clip binds: the initial weights (uniform ±1/sqrt(K + V) ≈ ±0.125, BN scale 1) exceed it.
    assert!(before
        .d
        .iter()
        .any(|(_, v)| v.iter().any(|x| x.abs() > 10.0 * clip as f32)));
    let batch = first_batch(&t);
    let loss = t.critic_step(&batch).unwrap();
    assert!(loss.is_finite());
    let after = snap(&t);
    assert!(changed(&before.e, &after.e).is_empty(), "encoder changed");
    assert!(changed(&before.g, &after.g).is_empty(), "generator changed");
    assert_eq!(
        changed(&before.d, &after.d),
        names(&before.d),
        "every critic var moves"
    );
    let c = clip as f32;
    let mut at_bound = 0;
    for (name, v) in &after.d {
        assert!(
            v.iter().all(|x| (-c..=c).contains(x)),
            "{name} outside ±clip"
        );
        at_bound += v.iter().filter(|x| x.abs() == c).count();
    }
    assert!(
        at_bound > 100,
        "the clip should bind on many weights: {at_bound}"
    );
    // BatchNorm's scale and shift are clipped too (scale 1 -> clip).
    let bn_w = &after.d.iter().find(|x| x.0 == "bn.weight").unwrap().1;
    assert!(bn_w.iter().all(|&x| x == c), "{bn_w:?}");
    // The running statistics are buffers: not clipped (running_var starts at 1).
    let (_, _, dvm) = t.var_maps();
    let rv: Vec<f32> = dvm.data().lock().unwrap()["bn.running_var"]
        .as_tensor()
        .to_vec1()
        .unwrap();
    assert!(
        rv.iter().any(|&x| x > 10.0 * c),
        "running_var was clipped: {rv:?}"
    );
    // Optimiser step counts: only the critic's moved.
    let (oe, og, od) = t.optimizers();
    assert_eq!((oe.steps(), og.steps(), od.steps()), (0, 0, 1));
}

#[test]
fn generator_step_touches_only_the_generator() {
    let p = planted(64);
    for variant in [
        Variant::MeanWeighted,
        Variant::Hard,
        Variant::Word,
        Variant::Bat,
    ] {
        let mut t = Trainer::new(
            TrainConfig {
                variant,
                word_embedding_dim: 12,
                ..config()
            },
            &p.corpus,
        )
        .unwrap();
        // Without a preceding critic step (a fresh prior draw), then after one (its theta_fake).
        for with_critic in [false, true] {
            if with_critic {
                let b = first_batch(&t);
                t.critic_step(&b).unwrap();
            }
            let before = snap(&t);
            let losses = t.generator_step().unwrap();
            assert!(losses.adversarial.is_finite());
            assert_eq!(
                losses.info_nce.is_some(),
                variant != Variant::Bat,
                "{variant}"
            );
            let after = snap(&t);
            assert!(
                changed(&before.e, &after.e).is_empty(),
                "{variant}: encoder changed"
            );
            assert!(
                changed(&before.d, &after.d).is_empty(),
                "{variant}: critic changed"
            );
            // Every generator parameter learns, the contrastive heads and embedding tables
            // included (they belong to the generator's optimiser). With Hard, only the rows of
            // the argmax topics of the batch get a gradient, but some do.
            assert_eq!(
                changed(&before.g, &after.g),
                names(&before.g),
                "{variant}: not every generator var moved"
            );
        }
        let (oe, og, od) = t.optimizers();
        assert_eq!((oe.steps(), og.steps(), od.steps()), (0, 2, 1));
    }
}

#[test]
fn encoder_step_touches_only_the_encoder() {
    let p = planted(64);
    let mut t = Trainer::new(config(), &p.corpus).unwrap();
    let batch = first_batch(&t);
    for with_critic in [false, true] {
        if with_critic {
            t.critic_step(&batch).unwrap();
        }
        let before = snap(&t);
        let loss = t.encoder_step(&batch).unwrap();
        assert!(loss.is_finite());
        let after = snap(&t);
        assert!(changed(&before.g, &after.g).is_empty(), "generator changed");
        assert!(changed(&before.d, &after.d).is_empty(), "critic changed");
        assert_eq!(changed(&before.e, &after.e), names(&before.e));
    }
    let (oe, og, od) = t.optimizers();
    assert_eq!((oe.steps(), og.steps(), od.steps()), (2, 0, 1));
}

#[test]
fn n_critic_schedule_over_an_epoch() {
    let p = planted(160); // 10 batches of 16
    for (variant, n_critic, expected) in [
        (Variant::MeanWeighted, 5, vec![0usize, 5]),
        (Variant::Bat, 3, vec![0, 3, 6, 9]),
        (Variant::Hard, 1, (0..10).collect()),
        (Variant::MeanWeighted, 20, vec![0]),
    ] {
        let cfg = TrainConfig {
            variant,
            n_critic,
            ..config()
        };
        let mut t = Trainer::new(cfg, &p.corpus).unwrap();
        assert_eq!(t.batcher().n_batches(), 10);
        let record = t.train_epoch().unwrap();
        let it = &t.history().iterations;
        assert_eq!(it.len(), 10);
        let with_g: Vec<usize> = (0..10).filter(|&i| it[i].loss_g.is_some()).collect();
        let with_e: Vec<usize> = (0..10).filter(|&i| it[i].loss_e.is_some()).collect();
        let with_nce: Vec<usize> = (0..10).filter(|&i| it[i].info_nce.is_some()).collect();
        assert_eq!(with_g, expected, "{variant} n_critic {n_critic}");
        assert_eq!(with_e, expected);
        if variant == Variant::Bat {
            assert!(with_nce.is_empty());
            assert_eq!(record.info_nce, None);
        } else {
            assert_eq!(with_nce, expected);
        }
        assert!(it.iter().all(|l| l.loss_d.is_finite()));
        // The epoch record holds the means of the iterations' losses.
        let mean = |xs: Vec<f32>| xs.iter().map(|&x| x as f64).sum::<f64>() / xs.len() as f64;
        let ld = mean(it.iter().map(|l| l.loss_d).collect());
        let lg = mean(it.iter().filter_map(|l| l.loss_g).collect());
        let le = mean(it.iter().filter_map(|l| l.loss_e).collect());
        assert!((record.loss_d - ld).abs() < 1e-6);
        assert!((record.loss_g - lg).abs() < 1e-6);
        assert!((record.loss_e - le).abs() < 1e-6);
        assert_eq!(record.epoch, 1);
        assert_eq!(t.epoch(), 1);
        let (oe, og, od) = t.optimizers();
        let n = expected.len() as u64;
        assert_eq!((oe.steps(), og.steps(), od.steps()), (n, n, 10));
    }
}

/// |change| of every entry of the generator's trainable vars after one generator step.
fn generator_step_changes(g_lr_scale: f64, lr: f64) -> (f64, Vec<f64>) {
    let p = planted(64);
    let cfg = TrainConfig {
        lr,
        g_lr_scale,
        ..config()
    };
    let mut t = Trainer::new(cfg, &p.corpus).unwrap();
    let (oe, og, od) = t.optimizers();
    assert_eq!(oe.lr(), lr);
    assert_eq!(od.lr(), lr);
    let g_lr = og.lr();
    let before = snap(&t);
    t.generator_step().unwrap();
    let after = snap(&t);
    let deltas = moves(&before.g, &after.g);
    (g_lr, deltas)
}

/// How far each value that moved between two snapshots moved.
fn moves(before: &Snapshot, after: &Snapshot) -> Vec<f64> {
    before
        .iter()
        .zip(after)
        .flat_map(|(a, b)| {
            a.1.iter()
                .zip(&b.1)
                .map(|(x, y)| (*y as f64 - *x as f64).abs())
                .collect::<Vec<_>>()
        })
        .filter(|&d| d > 0.0)
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn generator_learning_rate_is_scaled() {
    let lr = 1e-3;
    for scale in [1.0, 0.01] {
        let (g_lr, deltas) = generator_step_changes(scale, lr);
        assert!((g_lr - lr * scale).abs() < 1e-15, "generator lr {g_lr}");
        // Adam's first step: m_hat = g, v_hat = g^2, so each weight moves by lr * g/(|g| + eps),
        // i.e. by the generator's lr wherever |g| >> eps.
        let step = lr * scale;
        let max = deltas.iter().cloned().fold(0f64, f64::max);
        let med = median(deltas.clone());
        assert!(
            max < step * 1.02,
            "scale {scale}: max change {max} vs lr {step}"
        );
        assert!(
            (med - step).abs() < 0.02 * step,
            "scale {scale}: median change {med}"
        );
    }
}

/// Two time-scale updates (off by default): the critic's Adam runs at `lr * critic_lr_scale` and
/// its first step moves each weight by that rate; the encoder and generator keep `lr`.
#[test]
fn critic_learning_rate_is_scaled() {
    let p = planted(64);
    let lr = 1e-3;
    for scale in [1.0, 3.0] {
        let cfg = TrainConfig {
            lr,
            critic_lr_scale: scale,
            clip: 1.0,
            ..config()
        };
        let mut t = Trainer::new(cfg, &p.corpus).unwrap();
        let (oe, og, od) = t.optimizers();
        assert_eq!((oe.lr(), og.lr()), (lr, lr));
        assert!(
            (od.lr() - lr * scale).abs() < 1e-15,
            "critic lr {}",
            od.lr()
        );
        let batch = first_batch(&t);
        let before = snap(&t);
        t.critic_step(&batch).unwrap();
        let after = snap(&t);
        let deltas = moves(&before.d, &after.d);
        let step = lr * scale;
        let med = median(deltas);
        assert!(
            (med - step).abs() < 0.02 * step,
            "scale {scale}: median change {med}"
        );
    }
    let bad = TrainConfig {
        critic_lr_scale: 0.0,
        ..config()
    };
    assert!(bad.validate().unwrap_err().contains("critic_lr_scale"));
}

#[test]
fn adam_matches_pytorch_formula_for_three_steps() {
    let (lr, b1, b2, eps) = (0.01f64, 0.9f64, 0.999f64, 1e-8f64);
    let w0 = [0.5f64, -1.5, 2.0, 0.1, -0.3];
    // loss = sum(c * w^2 + d * w): the gradient 2 c w + d changes between steps. The last two
    // entries have gradients ~1e-9, where eps = 1e-8 dominates the denominator.
    let c = [1.0f64, 0.5, -0.25, 1e-9, 3e-9];
    let d = [0.0f64, 1.0, 0.3, 0.0, 0.0];
    let w = Var::new(&w0.map(|x| x as f32), &Device::Cpu).unwrap();
    let untouched = Var::new(&[1f32, 2.0], &Device::Cpu).unwrap();
    let mut adam = Adam::new(
        vec![("w".into(), w.clone()), ("u".into(), untouched.clone())],
        lr,
        b1,
        b2,
    )
    .unwrap();
    assert_eq!(adam.lr(), lr);
    let ct = Tensor::new(&c.map(|x| x as f32), &Device::Cpu).unwrap();
    let dt = Tensor::new(&d.map(|x| x as f32), &Device::Cpu).unwrap();
    // PyTorch (torch.optim.Adam, no weight decay, no amsgrad), in f64:
    //   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    //   w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    let (mut wr, mut m, mut v) = (w0, [0f64; 5], [0f64; 5]);
    for step in 1..=3i32 {
        let loss = ((w.as_tensor().sqr().unwrap() * &ct).unwrap() + (w.as_tensor() * &dt).unwrap())
            .unwrap()
            .sum_all()
            .unwrap();
        adam.step(&loss.backward().unwrap()).unwrap();
        let t = step;
        for i in 0..5 {
            let g = 2.0 * c[i] * wr[i] + d[i];
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let denom = v[i].sqrt() / (1.0 - b2.powi(t)).sqrt() + eps;
            wr[i] -= lr / (1.0 - b1.powi(t)) * m[i] / denom;
        }
        let got = w.as_tensor().to_vec1::<f32>().unwrap();
        for i in 0..5 {
            assert!(
                (got[i] as f64 - wr[i]).abs() < 1e-6,
                "step {step}, w[{i}]: {} vs {}",
                got[i],
                wr[i]
            );
        }
        assert_eq!(adam.steps(), step as u64);
    }
    // The eps-dominated entries moved by much less than lr per step (~lr * |g| / eps).
    let got = w.as_tensor().to_vec1::<f32>().unwrap();
    assert!((got[3] as f64 - w0[3]).abs() < 0.5 * 3.0 * lr);
    assert!((got[3] as f64 - w0[3]).abs() > 1e-4);
    // A variable without a gradient is left alone.
    assert_eq!(
        untouched.as_tensor().to_vec1::<f32>().unwrap(),
        vec![1.0, 2.0]
    );
    // The moments are exposed for checkpoints.
    let state = adam.state();
    let m_saved: Vec<f32> = state["m.w"].to_vec1().unwrap();
    let v_saved: Vec<f32> = state["v.w"].to_vec1().unwrap();
    for i in 0..5 {
        assert!((m_saved[i] as f64 - m[i]).abs() < 1e-6 * m[i].abs().max(1e-3));
        // beta_2 = 0.999 in f32 is 0.99900001: v carries a relative error ~1e-5.
        assert!((v_saved[i] as f64 - v[i]).abs() < 1e-4 * v[i].abs());
    }
}

#[test]
fn invalid_configs_are_rejected() {
    let p = planted(64);
    for cfg in [
        TrainConfig {
            lr: 0.0,
            ..config()
        },
        TrainConfig {
            clip: -1.0,
            ..config()
        },
        TrainConfig {
            beta_1: 1.0,
            ..config()
        },
        TrainConfig {
            n_critic: 0,
            ..config()
        },
        TrainConfig {
            temperature: f64::NAN,
            ..config()
        },
        TrainConfig {
            batch_size: 1,
            ..config()
        },
        TrainConfig {
            batch_size: 65,
            ..config()
        }, // no full batch
    ] {
        assert!(Trainer::new(cfg.clone(), &p.corpus).is_err(), "{cfg:?}");
    }
}

#[test]
fn theta_and_topic_word_distributions() {
    let p = planted(100);
    let mut t = Trainer::new(config(), &p.corpus).unwrap();
    t.train_epoch().unwrap();
    // theta: one row per document, in corpus order, on the simplex; the same as the encoder's
    // inference-mode output on the dense documents.
    let theta = t.theta(&p.corpus).unwrap();
    assert_eq!(theta.len(), 100);
    for row in &theta {
        assert_eq!(row.len(), 4);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }
    // The encoder sees the run's input (TF-IDF with the run's idf, then L1).
    let batch = gcatm::corpus::Batcher::new(&t.input(&p.corpus).unwrap(), 100, &Device::Cpu)
        .unwrap()
        .in_order()
        .epoch(0)
        .next()
        .unwrap()
        .unwrap();
    let dense = candle_core::ModuleT::forward_t(&t.encoder, &batch.bow, false)
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    for (a, b) in theta.iter().zip(&dense) {
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5);
        }
    }
    // Topics: K x V rows on the simplex, whose top words are eval::topic_words'.
    let topics = t
        .topic_word_distributions()
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_eq!((topics.len(), topics[0].len()), (4, 60));
    let words = gcatm::eval::topic_words(&t.generator, p.corpus.vocab(), 3).unwrap();
    for (k, row) in topics.iter().enumerate() {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        let best = (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap();
        assert_eq!(words[k].ids[0] as usize, best);
        assert_eq!(words[k].probs[0], row[best]);
    }
}

/// The two backends side by side on the CPU: the autograd path (candle's graph over dense batches,
/// what a GPU runs) trains, and gives the fused path's losses and parameters for the same seed.
mod backends {
    use gcatm::corpus::PlantedCorpus;
    use gcatm::eval::topic_words;
    use gcatm::model::trainable_vars;
    use gcatm::train::{Backend, CriticConstraint, TrainConfig, Trainer, Variant};

    const VARIANTS: [Variant; 4] = [
        Variant::Bat,
        Variant::Hard,
        Variant::MeanWeighted,
        Variant::Word,
    ];

    /// 1,280 documents in batches of 64: one epoch is exactly 20 iterations (4 generator steps).
    fn small() -> PlantedCorpus {
        PlantedCorpus::builder()
            .topics(6)
            .docs(1280)
            .seed(0)
            .build()
    }

    fn config(variant: Variant, backend: Backend) -> TrainConfig {
        TrainConfig {
            topics: 6,
            hidden: 64,
            batch_size: 64,
            projection_dim: 16,
            word_embedding_dim: 16,
            lr: 1e-3,
            variant,
            backend: Some(backend),
            device: "cpu".into(),
            seed: 7,
            ..TrainConfig::default()
        }
    }

    /// Every trainable parameter of the three networks, by name.
    fn parameters(t: &Trainer) -> Vec<(String, Vec<f32>)> {
        let (e, g, d) = t.var_maps();
        [("E", e), ("G", g), ("D", d)]
            .into_iter()
            .flat_map(|(net, vm)| {
                trainable_vars(vm).into_iter().map(move |(n, v)| {
                    let values = v.as_tensor().flatten_all().unwrap().to_vec1().unwrap();
                    (format!("{net}/{n}"), values)
                })
            })
            .collect()
    }

    /// Losses may differ by float summation order only: relative 1e-4 of the loss's scale (the
    /// InfoNCE term is about 4.8, the adversarial terms about 1e-3, hence the absolute floor).
    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() <= 1e-4 * a.abs().max(b.abs()) + 1e-6
    }

    /// Twenty iterations (one epoch) from the same seed: the same losses at every iteration, the same
    /// parameters after them.
    ///
    /// Tolerance of the parameters. Where a gradient is a real signal the two paths differ by float
    /// summation order only: measured, at most 4e-6 after 20 iterations, except one critic input
    /// weight in 10,240 at 4e-5; the test asks for at most 1e-4, and 99.9% of each tensor within 1e-5.
    /// The bias of each network's first layer is the exception: BatchNorm follows it and subtracts the
    /// batch mean, so its true gradient is exactly zero and each path computes rounding noise
    /// (about 1e-9). Adam normalises that noise into steps of up to lr in either direction, so these
    /// biases differ by up to 2 lr per step taken (measured: up to 3.8e-3 for the critic's, 20 steps;
    /// 2.3e-3 for the generator's, 4 steps); the test bounds them so.
    #[test]
    fn fused_and_autograd_agree_for_twenty_iterations() {
        let p = small();
        for variant in VARIANTS {
            let mut fused = Trainer::new(config(variant, Backend::Fused), &p.corpus).unwrap();
            let mut graph = Trainer::new(config(variant, Backend::Autograd), &p.corpus).unwrap();
            assert_eq!(fused.backend(), Backend::Fused);
            assert_eq!(graph.backend(), Backend::Autograd);
            assert_eq!(fused.batcher().n_batches(), 20);
            assert_eq!(
                parameters(&fused),
                parameters(&graph),
                "{variant}: same start"
            );
            fused.train_epoch().unwrap();
            graph.train_epoch().unwrap();
            let (a, b) = (&fused.history().iterations, &graph.history().iterations);
            assert_eq!(a.len(), 20);
            assert_eq!(b.len(), 20);
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let pairs = [
                    ("loss_d", Some(x.loss_d), Some(y.loss_d)),
                    ("loss_g", x.loss_g, y.loss_g),
                    ("loss_e", x.loss_e, y.loss_e),
                    ("info_nce", x.info_nce, y.info_nce),
                ];
                for (name, u, v) in pairs {
                    match (u, v) {
                        (Some(u), Some(v)) => assert!(
                            close(u, v),
                            "{variant}, iteration {i}: {name} fused {u} vs autograd {v}"
                        ),
                        (None, None) => {}
                        _ => panic!("{variant}, iteration {i}: {name} is {u:?} vs {v:?}"),
                    }
                }
            }
            let lr = 1e-3f32;
            let (pa, pb) = (parameters(&fused), parameters(&graph));
            for ((name, u), (_, v)) in pa.iter().zip(&pb) {
                let diffs: Vec<f32> = u.iter().zip(v).map(|(x, y)| (x - y).abs()).collect();
                let worst = diffs.iter().cloned().fold(0f32, f32::max);
                if name.ends_with("fc1.bias") {
                    // The critic steps every iteration, the generator and encoder every fifth.
                    let steps = if name.starts_with("D/") { 20.0 } else { 4.0 };
                    assert!(
                        worst <= 2.0 * lr * steps,
                        "{variant}: {name} (zero true gradient) differs by {worst}"
                    );
                    continue;
                }
                let tight = diffs.iter().filter(|d| **d < 1e-5).count();
                assert!(
                    worst <= 1e-4,
                    "{variant}: {name} differs by {worst} after 20 iterations"
                );
                assert!(
                    tight as f64 >= 0.999 * diffs.len() as f64,
                    "{variant}: only {tight} of {} values of {name} within 1e-5",
                    diffs.len()
                );
            }
        }
    }

    /// The balanced generator step (`balance_contrastive`, off by default): both backends give the
    /// same losses for an epoch of 20 iterations, as without it, and the option changes the run.
    #[test]
    fn balanced_contrastive_term_agrees_across_backends() {
        let p = small();
        for variant in [Variant::MeanWeighted, Variant::Word] {
            let mut runs = Vec::new();
            for (backend, balance) in [
                (Backend::Fused, true),
                (Backend::Autograd, true),
                (Backend::Fused, false),
            ] {
                let cfg = TrainConfig {
                    balance_contrastive: balance,
                    ..config(variant, backend)
                };
                let mut t = Trainer::new(cfg, &p.corpus).unwrap();
                t.train_epoch().unwrap();
                runs.push(t.history().iterations.clone());
            }
            for (i, (x, y)) in runs[0].iter().zip(&runs[1]).enumerate() {
                for (name, u, v) in [
                    ("loss_d", Some(x.loss_d), Some(y.loss_d)),
                    ("loss_g", x.loss_g, y.loss_g),
                    ("info_nce", x.info_nce, y.info_nce),
                ] {
                    let (u, v) = (u.unwrap_or(0.0), v.unwrap_or(0.0));
                    assert!(close(u, v), "{variant}, iteration {i}: {name} {u} vs {v}");
                }
            }
            // The first generator step's losses are the same; the last one's (iteration 15)
            // differ, because the balanced generator moved differently.
            let last = |r: &Vec<gcatm::train::IterationLosses>| {
                r.iter().rev().find_map(|x| x.info_nce).unwrap()
            };
            assert_ne!(last(&runs[0]), last(&runs[2]), "{variant}: no effect");
        }
    }

    /// The spectral constraint (`critic_constraint: spectral`, off by default), on both
    /// backends: after three epochs the first layer's largest singular value, measured by 300
    /// power-iteration steps in f64, is 1 within 0.02 (the constraint's one step per critic step
    /// lags the true value slightly; it starts below 1), the output layer's norm at most 1,
    /// BatchNorm's scale within [-1, 1], and weights are not clipped to ±clip; the two backends
    /// print the same losses.
    #[test]
    fn spectral_constraint_on_both_backends() {
        let p = small();
        let mut runs = Vec::new();
        for backend in [Backend::Fused, Backend::Autograd] {
            let cfg = TrainConfig {
                critic_constraint: CriticConstraint::Spectral,
                ..config(Variant::MeanWeighted, backend)
            };
            let clip = cfg.clip as f32;
            let mut t = Trainer::new(cfg, &p.corpus).unwrap();
            t.train_epoch().unwrap();
            t.train_epoch().unwrap();
            t.train_epoch().unwrap();
            let d = t.var_maps().2.data().lock().unwrap().clone();
            let host = |name: &str| -> Vec<f64> {
                let v = d[name].as_tensor().flatten_all().unwrap();
                v.to_vec1::<f32>()
                    .unwrap()
                    .into_iter()
                    .map(f64::from)
                    .collect()
            };
            let (tw, bw) = (host("fc1.theta_weight"), host("fc1.bow_weight"));
            let (h, k) = d["fc1.theta_weight"].as_tensor().dims2().unwrap();
            let v = bw.len() / h;
            // W = [theta_weight (h x k) | bow_weight^T], bow_weight stored v x h.
            let mut u = vec![1.0f64; h];
            let mut sigma = 0.0;
            for _ in 0..300 {
                let mut x = vec![0.0f64; k + v];
                for r in 0..h {
                    for c in 0..k {
                        x[c] += tw[r * k + c] * u[r];
                    }
                    for w in 0..v {
                        x[k + w] += bw[w * h + r] * u[r];
                    }
                }
                let nx = x.iter().map(|a| a * a).sum::<f64>().sqrt();
                x.iter_mut().for_each(|a| *a /= nx);
                let mut y = vec![0.0f64; h];
                for (r, y) in y.iter_mut().enumerate() {
                    let a: f64 = (0..k).map(|c| tw[r * k + c] * x[c]).sum();
                    let b: f64 = (0..v).map(|w| bw[w * h + r] * x[k + w]).sum();
                    *y = a + b;
                }
                sigma = y.iter().map(|a| a * a).sum::<f64>().sqrt();
                u = y.into_iter().map(|a| a / sigma).collect();
            }
            // At the bound: the projection acted (the start is below 1).
            assert!(
                (0.98..=1.02).contains(&sigma),
                "{backend}: largest singular value {sigma}"
            );
            let w2 = host("fc2.weight");
            assert!(w2.iter().map(|a| a * a).sum::<f64>().sqrt() <= 1.0 + 1e-6);
            assert!(host("bn.weight").iter().all(|g| g.abs() <= 1.0));
            let largest = tw.iter().chain(&bw).fold(0f64, |m, a| m.max(a.abs()));
            assert!(
                largest > 2.0 * clip as f64,
                "{backend}: weights look clipped"
            );
            runs.push(t.history().iterations.clone());
        }
        // The first epoch agrees as in `fused_and_autograd_agree_for_twenty_iterations`. Unclipped,
        // the critic's gain grows (loss_d near -1 by the third epoch, against -0.01 clipped) and
        // the two summation orders drift apart with it: measured 2e-4 relative at iteration 21,
        // 1.4e-2 at iteration 60. The critic's gradients agree at any weights
        // (`model::critic` unit tests), so only the first epoch is compared.
        for (i, (x, y)) in runs[0].iter().zip(&runs[1]).take(20).enumerate() {
            assert!(
                close(x.loss_d, y.loss_d),
                "iteration {i}: {} vs {}",
                x.loss_d,
                y.loss_d
            );
        }
    }

    /// How many planted topics some learned topic matches on at least 5 of its top 10 words.
    fn recovered(p: &PlantedCorpus, t: &Trainer) -> usize {
        let learned = topic_words(&t.generator, p.corpus.vocab(), 10).unwrap();
        let learned: Vec<Vec<String>> = learned.into_iter().map(|t| t.words).collect();
        p.recovered(&learned)
    }

    /// The autograd backend trains on the CPU for every variant and recovers the planted topics as
    /// the fused one does (the same count, give or take one). The word variant recovers none of them
    /// on this corpus in 10 epochs on either path (nor in 30 with the fused one), so for it the test
    /// shows that training completes with the fused path's count.
    #[test]
    fn autograd_backend_trains_and_recovers_planted_topics() {
        let p = small();
        for variant in VARIANTS {
            let mut counts = Vec::new();
            for backend in [Backend::Fused, Backend::Autograd] {
                let mut t = Trainer::new(config(variant, backend), &p.corpus).unwrap();
                t.fit(EPOCHS, |_, _| Ok(())).unwrap();
                assert_eq!(t.epoch(), EPOCHS);
                counts.push(recovered(&p, &t));
            }
            eprintln!(
                "{variant}: recovered {} (fused) and {} (autograd) of 6",
                counts[0], counts[1]
            );
            assert!(
                variant == Variant::Word || counts[1] >= MIN_RECOVERED,
                "{variant}: autograd recovered {} of 6 planted topics after {EPOCHS} epochs",
                counts[1]
            );
            assert!(
                counts[0].abs_diff(counts[1]) <= 1,
                "{variant}: fused recovered {}, autograd {}",
                counts[0],
                counts[1]
            );
        }
    }

    /// Epochs of the recovery runs, and the planted topics (of 6) they must recover. Measured (seed
    /// 7): bat 5 fused / 4 autograd, hard 4 / 4, mean 4 / 4; a margin of one for other CPUs, whose
    /// vector units may round differently.
    const EPOCHS: usize = 10;
    const MIN_RECOVERED: usize = 3;

    #[test]
    fn the_device_default_and_a_fused_request_on_a_gpu() {
        let cpu = candle_core::Device::Cpu;
        assert_eq!(Backend::resolve(None, &cpu).unwrap(), Backend::Fused);
        assert_eq!(
            Backend::resolve(Some(Backend::Autograd), &cpu).unwrap(),
            Backend::Autograd
        );
        let json = serde_json::to_string(&config(Variant::Hard, Backend::Autograd)).unwrap();
        assert!(json.contains("\"backend\":\"autograd\""), "{json}");
        // A config written before the field existed reads back with the device's default.
        let old: TrainConfig = serde_json::from_str(r#"{"topics": 5}"#).unwrap();
        assert_eq!(old.backend, None);
        assert!("gpu"
            .parse::<Backend>()
            .unwrap_err()
            .contains("fused or autograd"));
    }
}
