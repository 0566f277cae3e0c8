//! One training iteration on the fused CPU path: a critic step alone (four of every five
//! iterations) and a critic step followed by the generator and encoder steps (every n_critic-th),
//! on 20ng-1883 with the log's shared table (K = 20, H = 1024, batch 256, section-2 variant).
//!
//! `cargo bench --bench train`; data from `$GCATM_DATA` or the crate's `data/`. An epoch is 44
//! iterations (9 of them with generator and encoder steps); `gcatm bench` times whole epochs.
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::corpus::load_20ng_1883;
use gcatm::train::{TrainConfig, Trainer, Variant};

fn bench(c: &mut Criterion) {
    let dir = gcatm::corpus::fetch::data_dir(None);
    let (train, _) = load_20ng_1883(&dir)
        .unwrap_or_else(|e| panic!("20ng-1883 not found under {}: {e}", dir.display()));
    let config = TrainConfig {
        variant: Variant::MeanWeighted,
        device: "cpu".into(),
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(config, &train).expect("a trainer");
    let batches: Vec<_> = trainer
        .batcher()
        .epoch(1)
        .take(8)
        .collect::<Result<_, _>>()
        .expect("batches");
    let mut group = c.benchmark_group("iteration_20ng1883_k20");
    group.sample_size(20);
    let mut i = 0usize;
    // index 1: not a multiple of n_critic, so only the critic steps.
    group.bench_function("critic_only", |b| {
        b.iter(|| {
            i += 1;
            trainer.iteration(&batches[i % batches.len()], 1).unwrap()
        })
    });
    // index 0: the critic step, then the generator and encoder steps.
    group.bench_function("critic_generator_encoder", |b| {
        b.iter(|| {
            i += 1;
            trainer.iteration(&batches[i % batches.len()], 0).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
