//! Checkpoints: a resumed run is the uninterrupted run, bit for bit; bad checkpoints give errors
//! naming the file; saving over a checkpoint leaves a loadable one.
use candle_nn::VarMap;
use gcatm::corpus::PlantedCorpus;
use gcatm::train::{load_checkpoint, save_checkpoint, TrainConfig, TrainError, Trainer, Variant};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;

fn planted(vocab_size: usize) -> PlantedCorpus {
    PlantedCorpus::builder()
        .topics(4)
        .docs(200)
        .vocab_size(vocab_size)
        .seed(2)
        .build()
}

fn config(variant: Variant) -> TrainConfig {
    TrainConfig {
        topics: 4,
        hidden: 32,
        batch_size: 32,
        n_critic: 2,
        projection_dim: 16,
        word_embedding_dim: 12,
        variant,
        lr: 1e-3,
        seed: 3,
        device: "cpu".into(),
        ..TrainConfig::default()
    }
}

/// Every variable of a map (BatchNorm running statistics included), as bits, sorted by name.
fn values(vm: &VarMap) -> Vec<(String, Vec<u32>)> {
    let data = vm.data().lock().unwrap();
    let mut out: Vec<(String, Vec<u32>)> = data
        .iter()
        .map(|(n, v)| {
            let t = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            (n.clone(), t.iter().map(|x| x.to_bits()).collect())
        })
        .collect();
    out.sort();
    out
}

fn weights(t: &Trainer) -> Vec<Vec<(String, Vec<u32>)>> {
    let (e, g, d) = t.var_maps();
    vec![values(e), values(g), values(d)]
}

fn optimiser_state(t: &Trainer) -> Vec<(String, Vec<u32>, u64)> {
    let (e, g, d) = t.optimizers();
    let mut out = Vec::new();
    for (net, o) in [("e", e), ("g", g), ("d", d)] {
        let mut s: Vec<_> = o
            .state()
            .into_iter()
            .map(|(k, v)| {
                let bits = v.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                (
                    format!("{net}/{k}"),
                    bits.iter().map(|x| x.to_bits()).collect(),
                    o.steps(),
                )
            })
            .collect();
        s.sort();
        out.extend(s);
    }
    out
}

fn loss_bits(t: &Trainer) -> Vec<[Option<u32>; 4]> {
    t.history()
        .iterations
        .iter()
        .map(|l| {
            [
                Some(l.loss_d.to_bits()),
                l.loss_g.map(f32::to_bits),
                l.loss_e.map(f32::to_bits),
                l.info_nce.map(f32::to_bits),
            ]
        })
        .collect()
}

fn file_error_path(err: &TrainError) -> &Path {
    match err {
        TrainError::File { path, .. } => path,
        other => panic!("expected a file error, got {other:?}"),
    }
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    const N: usize = 2;
    let p = planted(60);
    // The last run has every departure from the log on: the spectral constraint's
    // power-iteration vector is saved and restored with the weights.
    let departures = TrainConfig {
        critic_constraint: gcatm::train::CriticConstraint::Spectral,
        balance_contrastive: true,
        critic_lr_scale: 2.0,
        ..config(Variant::MeanWeighted)
    };
    for cfg in [
        config(Variant::MeanWeighted),
        config(Variant::Hard),
        config(Variant::Bat),
        departures,
    ] {
        let variant = cfg.variant;
        let config = |_| cfg.clone();
        let dir = tempfile::tempdir().unwrap();
        let ckpt = dir.path().join("ckpt");

        let mut full = Trainer::new(config(variant), &p.corpus).unwrap();
        full.fit(2 * N, |_, _| Ok(())).unwrap();

        let mut first = Trainer::new(config(variant), &p.corpus).unwrap();
        first.fit(N, |_, _| Ok(())).unwrap();
        save_checkpoint(&first, &ckpt).unwrap();
        let first_weights = weights(&first);
        let first_history = first.history().clone();
        drop(first);

        let mut resumed = load_checkpoint(&ckpt, &p.corpus, None).unwrap();
        assert_eq!(resumed.epoch(), N);
        assert_eq!(resumed.config(), &config(variant));
        assert_eq!(resumed.history().iterations, first_history.iterations);
        assert_eq!(
            weights(&resumed),
            first_weights,
            "{variant}: loaded weights"
        );
        resumed.fit(2 * N, |_, _| Ok(())).unwrap();

        assert_eq!(resumed.epoch(), 2 * N);
        assert_eq!(resumed.history().iterations.len(), 2 * N * 6);
        assert_eq!(loss_bits(&resumed), loss_bits(&full), "{variant}: losses");
        // Epoch means agree too (to f64 rounding: see `saved_history_round_trips_exactly`).
        let (re, fe) = (&resumed.history().epochs, &full.history().epochs);
        assert_eq!(re.len(), fe.len());
        for (a, b) in re.iter().zip(fe) {
            assert_eq!(a.epoch, b.epoch);
            for (x, y) in [
                (a.loss_d, b.loss_d),
                (a.loss_g, b.loss_g),
                (a.loss_e, b.loss_e),
            ] {
                assert!(
                    (x - y).abs() <= 1e-12 * y.abs(),
                    "epoch {}: {x} vs {y}",
                    a.epoch
                );
            }
        }
        assert_eq!(
            weights(&resumed),
            weights(&full),
            "{variant}: final weights"
        );
        assert_eq!(optimiser_state(&resumed), optimiser_state(&full));
        // The resumed run went on: its weights are not those of the checkpoint.
        assert_ne!(weights(&resumed), first_weights);
    }
}

#[test]
fn checkpoint_holds_topics_and_theta() {
    // What a notebook reads off a loaded model is what the saved model gave.
    let p = planted(60);
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trainer::new(config(Variant::MeanWeighted), &p.corpus).unwrap();
    t.fit(1, |_, _| Ok(())).unwrap();
    save_checkpoint(&t, dir.path()).unwrap();
    let loaded = load_checkpoint(dir.path(), &p.corpus, Some("cpu")).unwrap();
    let a = t
        .topic_word_distributions()
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let b = loaded
        .topic_word_distributions()
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(
        t.theta(&p.corpus).unwrap(),
        loaded.theta(&p.corpus).unwrap()
    );
}

#[test]
fn loading_into_another_vocabulary_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    let p = planted(60);
    let mut t = Trainer::new(config(Variant::MeanWeighted), &p.corpus).unwrap();
    t.fit(1, |_, _| Ok(())).unwrap();
    save_checkpoint(&t, &ckpt).unwrap();
    let other = planted(70);
    let err = load_checkpoint(&ckpt, &other.corpus, None)
        .err()
        .expect("a checkpoint for V = 60 must not load over V = 70");
    // The run's idf (TF-IDF input, the default) holds its vocabulary size: state.json says it.
    let path = file_error_path(&err);
    assert_eq!(path, ckpt.join("state.json"));
    let msg = err.to_string();
    assert!(
        msg.contains("state.json") && msg.contains("60 words") && msg.contains("has 70"),
        "{msg}"
    );
    // With raw counts there is no idf: the encoder's weights are the first to disagree.
    let counts = gcatm::train::TrainConfig {
        input: gcatm::corpus::InputTransform::Counts,
        ..config(Variant::MeanWeighted)
    };
    let mut t = Trainer::new(counts, &p.corpus).unwrap();
    t.fit(1, |_, _| Ok(())).unwrap();
    save_checkpoint(&t, &ckpt).unwrap();
    let err = load_checkpoint(&ckpt, &other.corpus, None).err().unwrap();
    assert_eq!(file_error_path(&err), ckpt.join("encoder.safetensors"));
    assert!(err.to_string().contains("encoder.safetensors"));
}

#[test]
fn corrupt_or_missing_state_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("ckpt");
    let p = planted(60);
    let t = Trainer::new(config(Variant::Bat), &p.corpus).unwrap();
    save_checkpoint(&t, &ckpt).unwrap();
    for name in [
        "state.json",
        "encoder.safetensors",
        "generator.safetensors",
        "critic.safetensors",
        "optimizer.safetensors",
    ] {
        assert!(ckpt.join(name).is_file(), "{name} missing");
    }
    // Corrupt state.json.
    std::fs::write(ckpt.join("state.json"), b"{\"config\": {\"topics\": 4,").unwrap();
    let err = load_checkpoint(&ckpt, &p.corpus, None).err().unwrap();
    assert_eq!(file_error_path(&err), ckpt.join("state.json"));
    assert!(err.to_string().contains("state.json"), "{err}");
    // Valid JSON but not a state.
    std::fs::write(ckpt.join("state.json"), b"[1, 2, 3]").unwrap();
    let err = load_checkpoint(&ckpt, &p.corpus, None).err().unwrap();
    assert_eq!(file_error_path(&err), ckpt.join("state.json"));
    // A folder with no checkpoint at all.
    let empty = dir.path().join("nothing-here");
    let err = load_checkpoint(&empty, &p.corpus, None).err().unwrap();
    assert_eq!(file_error_path(&err), empty.join("state.json"));
    // A truncated weights file is named too.
    save_checkpoint(&t, &ckpt).unwrap();
    std::fs::write(ckpt.join("critic.safetensors"), b"garbage").unwrap();
    let err = load_checkpoint(&ckpt, &p.corpus, None).err().unwrap();
    assert_eq!(file_error_path(&err), ckpt.join("critic.safetensors"));
}

#[test]
fn saving_over_a_checkpoint_leaves_a_loadable_one() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("run");
    let p = planted(60);
    let mut t = Trainer::new(config(Variant::MeanWeighted), &p.corpus).unwrap();
    t.fit(1, |t, _| save_checkpoint(t, &ckpt)).unwrap();
    assert_eq!(load_checkpoint(&ckpt, &p.corpus, None).unwrap().epoch(), 1);
    // Save over it after every further epoch.
    t.fit(3, |t, _| save_checkpoint(t, &ckpt)).unwrap();
    let loaded = load_checkpoint(&ckpt, &p.corpus, None).unwrap();
    assert_eq!(loaded.epoch(), 3);
    assert_eq!(weights(&loaded), weights(&t));
    assert_eq!(loaded.history().iterations, t.history().iterations);
    // Only the checkpoint folder is left: no temporary or old copies beside it.
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(entries, vec!["run".to_string()]);

    // A save interrupted between its two renames leaves the previous checkpoint as `.run.old`:
    // loading `run` falls back to it.
    std::fs::rename(&ckpt, dir.path().join(".run.old")).unwrap();
    let recovered = load_checkpoint(&ckpt, &p.corpus, None).unwrap();
    assert_eq!(recovered.epoch(), 3);
    assert_eq!(weights(&recovered), weights(&t));
}

#[test]
fn saved_history_round_trips_exactly() {
    // The history in a checkpoint is the trainer's history, every f64 of the epoch records
    // included, so that a resumed run's history equals the uninterrupted run's. The values are
    // set by hand: 0.010249080136418344 is an epoch mean this suite's runs produced, which a
    // best-effort float parser reads back one ulp off; the rest are random doubles.
    let p = planted(60);
    let dir = tempfile::tempdir().unwrap();
    let mut t = Trainer::new(config(Variant::MeanWeighted), &p.corpus).unwrap();
    t.fit(2, |_, _| Ok(())).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    {
        let h = t.history_mut();
        h.epochs[0].loss_g = f64::from_bits(4_577_061_814_226_911_233);
        for e in &mut h.epochs {
            for i in 0..200 {
                let x: f64 = rng.random::<f64>() * 10f64.powi(rng.random_range(-8..8));
                e.metrics.insert(format!("m{i}"), x);
            }
        }
    }
    save_checkpoint(&t, dir.path()).unwrap();
    let loaded = load_checkpoint(dir.path(), &p.corpus, None).unwrap();
    assert_eq!(loaded.history().iterations, t.history().iterations);
    let mut differ = Vec::new();
    for (a, b) in loaded.history().epochs.iter().zip(&t.history().epochs) {
        for (name, x, y) in [
            ("loss_d", a.loss_d, b.loss_d),
            ("loss_g", a.loss_g, b.loss_g),
            ("loss_e", a.loss_e, b.loss_e),
        ] {
            if x.to_bits() != y.to_bits() {
                differ.push(format!(
                    "epoch {} {name}: saved {y:e}, loaded {x:e}",
                    a.epoch
                ));
            }
        }
        for (k, y) in &b.metrics {
            let x = a.metrics[k];
            if x.to_bits() != y.to_bits() {
                differ.push(format!("epoch {} {k}: saved {y:e}, loaded {x:e}", a.epoch));
            }
        }
    }
    assert!(
        differ.is_empty(),
        "{} values changed through state.json, e.g. {:?}",
        differ.len(),
        &differ[..differ.len().min(3)]
    );
}

/// A checkpoint saved by hand where no folder exists yet (a notebook's `runs/x` in a fresh clone)
/// creates its parent folders.
#[test]
fn save_checkpoint_creates_missing_parent_folders() {
    let p = gcatm::corpus::PlantedCorpus::builder()
        .topics(3)
        .docs(40)
        .vocab_size(30)
        .build();
    let config = TrainConfig {
        topics: 3,
        hidden: 16,
        batch_size: 20,
        device: "cpu".into(),
        ..TrainConfig::default()
    };
    let t = Trainer::new(config, &p.corpus).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("runs").join("nested").join("ckpt");
    save_checkpoint(&t, &dir).unwrap();
    assert_eq!(load_checkpoint(&dir, &p.corpus, None).unwrap().epoch(), 0);
    let best = tmp.path().join("other").join("best");
    gcatm::train::save_weights(&t, &best).unwrap();
    assert!(gcatm::train::load_weights(&best, &p.corpus, None).is_ok());
}
