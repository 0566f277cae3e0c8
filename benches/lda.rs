//! LDA on 20ng-1883 (11314 training documents, V = 1883, 572k non-zeros).
//!
//! First, for the record, one full fit per K (50 batch iterations, scikit-learn's settings;
//! `GCATM_LDA_BENCH_K`, default `20,50,100`), timed once and scored on the test documents
//! like a trained model:
//! `K, fit seconds, NPMI, TD@25, purity, NMI, threads`. Then criterion measures one batch pass
//! (an E-step over all documents and an M-step) at each K, and one online pass at K = 20.
//!
//! `cargo bench --bench lda`; data from `$GCATM_DATA`, else the crate's `data/`.
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::baseline::Lda;
use gcatm::corpus::{load_20ng_1883, Corpus};
use gcatm::eval::Evaluator;
use std::hint::black_box;
use std::time::Instant;

fn topics_to_run() -> Vec<usize> {
    std::env::var("GCATM_LDA_BENCH_K")
        .unwrap_or_else(|_| "20,50,100".into())
        .split(',')
        .filter_map(|k| k.trim().parse().ok())
        .collect()
}

/// One full fit per K, timed and scored (printed, not a criterion measurement: a fit takes
/// seconds to a minute).
fn full_fits(train: &Corpus, test: &Corpus, ks: &[usize]) {
    let reference = train.concat(test).unwrap();
    let evaluator = Evaluator::new(&reference, Some(test)).unwrap();
    eprintln!(
        "full fits, 50 batch iterations, seed 0, {} thread(s):",
        rayon::current_num_threads()
    );
    eprintln!("    K  fit s    NPMI   TD@25  purity     NMI");
    for &k in ks {
        let start = Instant::now();
        let model = Lda::new(k).seed(0).fit(train).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let e = model.evaluate(&evaluator).unwrap();
        let c = e.clustering.unwrap();
        eprintln!(
            "  {k:>3} {secs:>6.1}  {:.4}  {:.3}   {:.3}   {:.3}",
            e.npmi.mean, e.td, c.purity, c.nmi
        );
    }
}

fn bench(c: &mut Criterion) {
    let dir = gcatm::corpus::fetch::data_dir(None);
    let (train, test) = load_20ng_1883(&dir)
        .unwrap_or_else(|e| panic!("20ng-1883 not found under {}: {e}", dir.display()));
    let ks = topics_to_run();
    full_fits(&train, &test, &ks);
    let mut group = c.benchmark_group("lda");
    group.sample_size(10);
    for &k in &ks {
        group.bench_function(format!("batch_pass_k{k}_20ng_1883"), |b| {
            b.iter(|| Lda::new(k).iterations(1).fit(black_box(&train)).unwrap())
        });
    }
    group.bench_function("online_pass_k20_batch128_20ng_1883", |b| {
        b.iter(|| {
            Lda::new(20)
                .online(true)
                .iterations(1)
                .fit(black_box(&train))
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
