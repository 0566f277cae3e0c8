//! Collapsed Gibbs LDA on 20ng-1883 (11314 training documents, V = 1883, about 854,000 tokens) at
//! tomotopy's settings: criterion measures 20 iterations from the start at K = 20, 50 and 100 on
//! two workers (the first iterations are the slowest: the word-topic lists are full). tomotopy runs
//! 1,000; the side-by-side fit times are in the README ("Baselines").
//!
//! `cargo bench --bench gibbs`; data from `$GCATM_DATA`, else the crate's `data/`.
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::baseline::GibbsLda;
use gcatm::corpus::load_20ng_1883;

fn bench(c: &mut Criterion) {
    let dir = gcatm::corpus::fetch::data_dir(None);
    let (train, _) = load_20ng_1883(&dir)
        .unwrap_or_else(|e| panic!("20ng-1883 not found under {}: {e}", dir.display()));
    let mut group = c.benchmark_group("gibbs");
    group.sample_size(10);
    for k in [20, 50, 100] {
        let fit = GibbsLda::new(k).iterations(20).workers(2);
        group.bench_function(format!("20-iterations/K={k}"), |b| {
            b.iter(|| fit.fit(&train).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
