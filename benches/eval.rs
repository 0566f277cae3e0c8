//! Evaluation speed on the 20ng-1883 reference corpus (20NG train + test restricted to the
//! 20news_clean vocabulary, 18846 documents): building the index, and scoring 100 topics x top-10
//! with NPMI, UCI, UMass and C_V;
//! and one full `Evaluator::evaluate` of a K = 50 model with clustering of the test documents.
//!
//! `cargo bench --bench eval`; data from `$GCATM_DATA` or the crate's `data/`.
use candle_core::Device;
use candle_nn::VarMap;
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::corpus::{load_topmost, read_vocab_file, Corpus, Split};
use gcatm::eval::{coherence, CoherenceOptions, Evaluator, Measures, ReferenceIndex};
use gcatm::model::{seeded_var_builder, Encoder, Generator, Variant};
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;

fn reference() -> Corpus {
    let dir = gcatm::corpus::fetch::data_dir(None);
    let corpus = load_topmost(&dir.join("20ng"), Split::All)
        .unwrap_or_else(|e| panic!("20ng not found under {}: {e}", dir.display()));
    let vocab = read_vocab_file(&dir.join("20news_clean_sample/vocab.pkl")).unwrap();
    corpus.restrict_to(&vocab).unwrap().drop_empty().unwrap().0
}

/// 100 topics of 10 words: half random words, half drawn from the 200 most frequent words (whose
/// long posting lists or bitsets make the intersections expensive), so neither case is favoured.
fn topics(index: &ReferenceIndex) -> Vec<Vec<u32>> {
    let v = index.vocab_size() as u32;
    let mut by_df: Vec<u32> = (0..v).collect();
    by_df.sort_by_key(|&w| std::cmp::Reverse(index.df(w)));
    let frequent = &by_df[..200];
    let all: Vec<u32> = (0..v).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    (0..100)
        .map(|k| {
            let pool = if k % 2 == 0 { &all[..] } else { frequent };
            pool.choose_multiple(&mut rng, 10).copied().collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let corpus = reference();
    let index = ReferenceIndex::new(&corpus);
    eprintln!(
        "20ng-1883: {} documents, {} words, nnz {}; index {:.2} MiB ({} bitsets), 4 x nnz = {:.2} MiB",
        corpus.n_docs(),
        corpus.vocab_size(),
        corpus.nnz(),
        index.memory_bytes() as f64 / (1 << 20) as f64,
        index.n_bitsets(),
        (4 * corpus.nnz()) as f64 / (1 << 20) as f64
    );
    let mut group = c.benchmark_group("eval");
    group.sample_size(20);
    group.bench_function("index_build_20ng_1883", |b| {
        b.iter(|| ReferenceIndex::new(black_box(&corpus)))
    });
    let t = topics(&index);
    let options = CoherenceOptions::default();
    group.bench_function("score_100_topics_top10_all_measures", |b| {
        b.iter(|| coherence(&index, black_box(&t), Measures::ALL, &options).unwrap())
    });
    group.bench_function("score_100_topics_top10_npmi", |b| {
        b.iter(|| coherence(&index, black_box(&t), Measures::NPMI, &options).unwrap())
    });

    // One full evaluation as the trainer runs it: K = 50, H = 1024 (freshly initialised), topic
    // words, all four measures, TD/TU, and argmax theta of the 7532 labelled test documents.
    let dir = gcatm::corpus::fetch::data_dir(None);
    let vocab = read_vocab_file(&dir.join("20news_clean_sample/vocab.pkl")).unwrap();
    let test = load_topmost(&dir.join("20ng"), Split::Test)
        .unwrap()
        .restrict_to(&vocab)
        .unwrap();
    let v = corpus.vocab_size();
    let (gv, ev) = (VarMap::new(), VarMap::new());
    let dev = Device::Cpu;
    let generator = Generator::new(
        seeded_var_builder(&gv, 0, &dev),
        v,
        50,
        1024,
        Variant::Hard,
        128,
        200,
    )
    .unwrap();
    let encoder = Encoder::new(seeded_var_builder(&ev, 1, &dev), v, 50, 1024).unwrap();
    let evaluator = Evaluator::new(&corpus, Some(&test))
        .unwrap()
        .measures(Measures::ALL);
    group.sample_size(10);
    group.bench_function(
        "evaluate_k50_h1024_all_measures_clustering_7532_docs",
        |b| b.iter(|| evaluator.evaluate(&generator, &encoder).unwrap()),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
