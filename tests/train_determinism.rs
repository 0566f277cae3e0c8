//! Determinism on the CPU: the same seed gives bit-identical runs, another seed another run.
use candle_nn::VarMap;
mod corpus_common;
use gcatm::corpus::PlantedCorpus;
use gcatm::train::{IterationLosses, TrainConfig, Trainer, Variant};

/// Every variable of a map as (name, bits), sorted by name.
type Values = Vec<(String, Vec<u32>)>;

fn all_values(vm: &VarMap) -> Values {
    let data = vm.data().lock().unwrap();
    let mut out: Values = data
        .iter()
        .map(|(n, v)| {
            let bits = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
                .iter()
                .map(|x| x.to_bits())
                .collect();
            (n.clone(), bits)
        })
        .collect();
    out.sort();
    out
}

fn run(seed: u64, variant: Variant) -> (Vec<IterationLosses>, Vec<Values>) {
    let planted = PlantedCorpus::builder()
        .topics(5)
        .docs(200)
        .vocab_size(80)
        .seed(1)
        .build();
    let cfg = TrainConfig {
        topics: 5,
        hidden: 48,
        batch_size: 32,
        n_critic: 2,
        projection_dim: 16,
        variant,
        seed,
        lr: 1e-3,
        device: "cpu".into(),
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(cfg, &planted.corpus).unwrap();
    t.fit(2, |_, _| Ok(())).unwrap();
    assert_eq!(t.history().iterations.len(), 2 * 6);
    let (e, g, d) = t.var_maps();
    (
        t.history().iterations.clone(),
        vec![all_values(e), all_values(g), all_values(d)],
    )
}

fn bits(losses: &[IterationLosses]) -> Vec<[u32; 4]> {
    losses
        .iter()
        .map(|l| {
            [
                l.loss_d.to_bits(),
                l.loss_g.map_or(0, f32::to_bits),
                l.loss_e.map_or(0, f32::to_bits),
                l.info_nce.map_or(0, f32::to_bits),
            ]
        })
        .collect()
}

#[test]
fn same_seed_is_bit_identical_other_seed_differs() {
    for variant in [Variant::MeanWeighted, Variant::Bat] {
        let (l1, w1) = run(7, variant);
        let (l2, w2) = run(7, variant);
        assert_eq!(
            bits(&l1),
            bits(&l2),
            "{variant}: losses differ for the same seed"
        );
        assert_eq!(w1, w2, "{variant}: weights differ for the same seed");
        assert!(l1.iter().all(|l| l.loss_d.is_finite()));

        let (l3, w3) = run(8, variant);
        assert_ne!(
            bits(&l1),
            bits(&l3),
            "{variant}: another seed gave the same losses"
        );
        // Every iteration's critic loss differs (different init, prior draws and batches).
        assert!(l1.iter().zip(&l3).all(|(a, b)| a.loss_d != b.loss_d));
        assert_ne!(w1, w3);
    }
}

/// The epoch loop overlaps work that the public steps do one after the other (on the fused
/// backend: the critic's Adam step of an iteration without generator step runs at the start of
/// the next critic step; the generator and encoder steps run side by side, the critic's running
/// statistics moved afterwards in their order). The result must be the sequential one, bit for
/// bit: 20NG (the shipped files), one epoch, against `Trainer::iteration` over the same batches.
#[test]
fn the_epoch_loop_equals_the_steps_one_after_the_other() {
    let data = corpus_common::data_root();
    let (train, _) = gcatm::corpus::load_20ng_1883(&data).unwrap();
    for (variant, balance) in [(Variant::Word, false), (Variant::MeanWeighted, true)] {
        let cfg = TrainConfig {
            topics: 20,
            hidden: 64,
            batch_size: 256,
            projection_dim: 16,
            word_embedding_dim: 24,
            variant,
            balance_contrastive: balance,
            device: "cpu".into(),
            ..TrainConfig::default()
        };
        let mut looped = Trainer::new(cfg.clone(), &train).unwrap();
        looped.train_epoch().unwrap();
        let mut stepped = Trainer::new(cfg, &train).unwrap();
        stepped.prior_mut().reseed(1);
        let batches: Vec<_> = stepped.batcher().epoch(1).map(|b| b.unwrap()).collect();
        assert_eq!(batches.len(), 44);
        let mut losses = Vec::new();
        for (i, batch) in batches.iter().enumerate() {
            losses.push(stepped.iteration(batch, i).unwrap());
        }
        assert_eq!(
            bits(&looped.history().iterations),
            bits(&losses),
            "{variant}"
        );
        let maps = |t: &Trainer| {
            let (e, g, d) = t.var_maps();
            [all_values(e), all_values(g), all_values(d)]
        };
        // Every variable, BatchNorm's running statistics included.
        let (a, b) = (maps(&looped), maps(&stepped));
        for (x, y) in a.iter().zip(&b) {
            assert!(x.iter().any(|(n, _)| n.contains("running_mean")));
            assert_eq!(x, y, "{variant}");
        }
    }
}
