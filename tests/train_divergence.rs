//! Divergence: a NaN or infinite loss stops training with `TrainError::Diverged` naming the epoch
//! and iteration; a checkpoint saved before stays loadable.
use candle_core::Tensor;
use candle_nn::VarMap;
use gcatm::corpus::PlantedCorpus;
use gcatm::model::trainable_vars;
use gcatm::train::{load_checkpoint, save_checkpoint, TrainConfig, TrainError, Trainer, Variant};

fn planted(docs: usize) -> PlantedCorpus {
    PlantedCorpus::builder()
        .topics(4)
        .docs(docs)
        .vocab_size(60)
        .seed(5)
        .build()
}

fn config() -> TrainConfig {
    TrainConfig {
        topics: 4,
        hidden: 32,
        batch_size: 32,
        projection_dim: 16,
        variant: Variant::MeanWeighted,
        device: "cpu".into(),
        ..TrainConfig::default()
    }
}

fn trainable(vm: &VarMap) -> Vec<(String, Vec<f32>)> {
    trainable_vars(vm)
        .into_iter()
        .map(|(n, v)| (n, v.as_tensor().flatten_all().unwrap().to_vec1().unwrap()))
        .collect()
}

#[test]
fn huge_learning_rate_diverges_in_the_second_epoch() {
    // One batch per epoch. Epoch 1: the critic step is clipped back to ±clip, but the generator
    // and encoder steps with lr = 1e30 move every weight by ~1e30 (losses are computed before
    // the update, so epoch 1 itself is finite). Epoch 2, iteration 0: activations of ~1e30 weights
    // overflow (a BatchNorm variance of ~1e30 values is inf in f32, products of two ~1e30
    // factors are inf): some loss is NaN or infinite.
    let p = planted(32);
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    let cfg = TrainConfig {
        lr: 1e30,
        ..config()
    };
    let mut t = Trainer::new(cfg, &p.corpus).unwrap();
    assert_eq!(t.batcher().n_batches(), 1);
    let err = t
        .fit(10, |t, r| {
            assert!(r.loss_d.is_finite());
            save_checkpoint(t, &ckpt)
        })
        .err()
        .expect("lr = 1e30 must diverge");
    match &err {
        TrainError::Diverged {
            epoch,
            iteration,
            loss,
            value,
        } => {
            assert_eq!((*epoch, *iteration), (2, 0), "{err}");
            assert!(
                ["loss_d", "loss_g", "loss_e", "info_nce"].contains(&loss.as_str()),
                "{loss}"
            );
            assert!(!value.is_finite());
        }
        other => panic!("expected Diverged, got {other:?}"),
    }
    assert!(err.to_string().contains("epoch 2, iteration 0"), "{err}");
    // The failing epoch was not recorded.
    assert_eq!(t.epoch(), 1);
    assert_eq!(t.history().epochs.len(), 1);
    assert_eq!(t.history().iterations.len(), 1);
    // The checkpoint of epoch 1 loads (and diverges the same way when trained on).
    let mut loaded = load_checkpoint(&ckpt, &p.corpus, None).unwrap();
    assert_eq!(loaded.epoch(), 1);
    assert_eq!(loaded.history(), t.history());
    match loaded.train_epoch() {
        Err(TrainError::Diverged {
            epoch: 2,
            iteration: 0,
            ..
        }) => {}
        other => panic!("expected the same divergence, got {:?}", other.err()),
    }
}

#[test]
fn divergence_names_the_right_epoch_and_iteration() {
    // 4 batches per epoch, n_critic 2. After epoch 3 a generator weight is set to +inf: the
    // first critic step of epoch 4 sees G(theta_fake) = NaN.
    let p = planted(128);
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    let cfg = TrainConfig {
        n_critic: 2,
        ..config()
    };
    let mut t = Trainer::new(cfg, &p.corpus).unwrap();
    let mut before = None;
    let err = t
        .fit(6, |t, r| {
            if r.epoch == 3 {
                save_checkpoint(t, &ckpt)?;
                let (_, g, d) = t.var_maps();
                let w = g.data().lock().unwrap()["fc2.weight"].clone();
                let bad = (w.as_tensor().ones_like()? * f64::INFINITY)?;
                w.set(&bad)?;
                before = Some((trainable(g), trainable(d)));
            }
            Ok(())
        })
        .err()
        .expect("an infinite weight must diverge");
    match &err {
        TrainError::Diverged {
            epoch,
            iteration,
            loss,
            value,
        } => {
            assert_eq!((*epoch, *iteration), (4, 0), "{err}");
            // G(theta_fake) is NaN: the critic's score of it, hence loss_d, is the first.
            assert_eq!(loss, "loss_d");
            assert!(value.is_nan());
        }
        other => panic!("expected Diverged, got {other:?}"),
    }
    assert_eq!(t.epoch(), 3);
    assert_eq!(t.history().iterations.len(), 12);
    // The critic and the generator were not updated by the failing iteration.
    let (before_g, before_d) = before.unwrap();
    let (_, g, d) = t.var_maps();
    assert_eq!(trainable(d), before_d, "critic updated after a NaN loss");
    let gen_now = trainable(g);
    for ((n, a), (_, b)) in gen_now.iter().zip(&before_g) {
        let same = a
            .iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()));
        assert!(same, "generator var {n} updated after a NaN loss");
    }
    // The checkpoint saved before the damage loads, with finite weights and finite topics.
    let loaded = load_checkpoint(&ckpt, &p.corpus, None).unwrap();
    assert_eq!(loaded.epoch(), 3);
    let topics: Tensor = loaded.topic_word_distributions().unwrap();
    assert!(topics
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap()
        .iter()
        .all(|x| x.is_finite()));
}
