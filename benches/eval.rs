//! Evaluation speed on the 20ng-1883 reference corpus (20NG train + test restricted to the
//! 20news_clean vocabulary, 18846 documents): building the index, and scoring 100 topics x top-10
//! with NPMI, UCI, UMass and C_V.
//!
//! `cargo bench --bench eval`; data from `$GCATM_DATA` or `<crate>/../shared/data`.
use criterion::{criterion_group, criterion_main, Criterion};
use gcatm::corpus::{load_topmost, read_vocab_file, Corpus, Split};
use gcatm::eval::{coherence, CoherenceOptions, Measures, ReferenceIndex};
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use std::path::PathBuf;

fn reference() -> Corpus {
    let fallback = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    let dir = std::env::var_os("GCATM_DATA")
        .map(PathBuf::from)
        .unwrap_or(fallback);
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
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
