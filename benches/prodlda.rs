//! ProdLDA on 20ng-1883 (11314 training documents, V = 1883) at TopMost's settings: criterion
//! measures one training epoch (57 batches of 200 documents, a step each) at K = 20 and 50, on
//! the threads rayon has (`RAYON_NUM_THREADS`). TopMost trains 200 such epochs; the side-by-side
//! fit times are in the README ("Baselines").
//!
//! `cargo bench --bench prodlda`; data from `$GCATM_DATA`, else the crate's `data/`.
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::baseline::{ProdLda, ProdLdaConfig};
use gcatm::corpus::load_20ng_1883;

fn bench(c: &mut Criterion) {
    let dir = gcatm::corpus::fetch::data_dir(None);
    let (train, _) = load_20ng_1883(&dir)
        .unwrap_or_else(|e| panic!("20ng-1883 not found under {}: {e}", dir.display()));
    let mut group = c.benchmark_group("prodlda");
    group.sample_size(10);
    for k in [20, 50] {
        let mut model = ProdLda::new(ProdLdaConfig::new(k), &train).unwrap();
        group.bench_function(format!("epoch/K={k}"), |b| {
            b.iter(|| model.train_epoch().unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
