//! Loading 20NG (train + test, TopMost layout) and restricting it to the 1883 words it shares with
//! the `20news_clean` vocabulary: what every run on the stand-in corpus does first.
//!
//! Data: `$GCATM_DATA`, else the crate's `data/`.
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::corpus::{load_topmost, read_vocab_file, Split};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let root = gcatm::corpus::fetch::data_dir(None);
    let ng = root.join("20ng");
    let vocab_pkl = root.join("20news_clean_sample/vocab.pkl");
    assert!(
        ng.is_dir() && vocab_pkl.is_file(),
        "benchmark data not found under {}: set GCATM_DATA to the folder holding 20ng/ and \
         20news_clean_sample/",
        root.display()
    );
    let mut g = c.benchmark_group("corpus");
    g.sample_size(20);
    g.bench_function("load_20ng_train_test", |b| {
        b.iter(|| {
            let train = load_topmost(&ng, Split::Train).unwrap();
            let test = load_topmost(&ng, Split::Test).unwrap();
            black_box((train.nnz(), test.nnz()))
        })
    });
    g.bench_function("load_20ng_train_test_restrict_1883", |b| {
        b.iter(|| {
            let vocab = read_vocab_file(&vocab_pkl).unwrap();
            let train = load_topmost(&ng, Split::Train).unwrap();
            let test = load_topmost(&ng, Split::Test).unwrap();
            let (train, _) = train.restrict_to(&vocab).unwrap().drop_empty().unwrap();
            let (test, _) = test.restrict_to(&vocab).unwrap().drop_empty().unwrap();
            assert_eq!(train.vocab_size(), 1883);
            black_box((train.nnz(), test.nnz()))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
