//! Transformations, the batcher and the planted corpus.
mod corpus_common;

use candle_core::Device;
use corpus_common::data_root;
use gcatm::corpus::{Batcher, Corpus, PlantedCorpus, Split, Vocab};

/// Three documents over four words:
/// d0 = {a: 2, b: 1}, d1 = {b: 1, c: 3}, d2 = {a: 1, b: 1, d: 2}.
fn tiny() -> Corpus {
    let v = Vocab::new(["a", "b", "c", "d"].map(String::from).to_vec()).unwrap();
    Corpus::from_csr(
        vec![0, 2, 4, 7],
        vec![0, 1, 1, 2, 0, 1, 3],
        vec![2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 2.0],
        v,
        Some(vec![0, 1, 0]),
    )
    .unwrap()
}

fn close(a: f32, b: f64) -> bool {
    (a as f64 - b).abs() < 1e-6
}

#[test]
fn l1_normalized_by_hand() {
    let c = tiny().l1_normalized();
    assert_eq!(c.doc(0).1, &[2.0 / 3.0, 1.0 / 3.0]);
    assert_eq!(c.doc(1).1, &[0.25, 0.75]);
    assert_eq!(c.doc(2).1, &[0.25, 0.25, 0.5]);
    assert_eq!(c.doc(0).0, tiny().doc(0).0);
}

#[test]
fn tfidf_by_hand() {
    // df: a 2, b 3, c 1, d 1; N = 3; idf = ln(N / df).
    let c = tiny();
    assert_eq!(c.document_frequencies(), vec![2, 3, 1, 1]);
    let t = c.tfidf();
    let (ln32, ln3) = ((1.5f64).ln(), (3.0f64).ln());
    let (_, v0) = t.doc(0);
    assert!(close(v0[0], 2.0 * ln32) && close(v0[1], 0.0), "{v0:?}");
    let (_, v1) = t.doc(1);
    assert!(close(v1[0], 0.0) && close(v1[1], 3.0 * ln3), "{v1:?}");
    let (w2, v2) = t.doc(2);
    assert_eq!(w2, &[0, 1, 3]); // the zero weight of `b` stays an explicit entry
    assert!(close(v2[0], ln32) && close(v2[1], 0.0) && close(v2[2], 2.0 * ln3));
}

#[test]
fn select_concat_restrict_drop_empty() {
    let c = tiny();
    let s = c.select(&[2, 0]).unwrap();
    assert_eq!(s.doc(0), c.doc(2));
    assert_eq!(s.labels(), Some(&[0u32, 0][..]));
    let cc = c.concat(&s).unwrap();
    assert_eq!((cc.n_docs(), cc.tokens()), (5, c.tokens() + s.tokens()));
    let r = c.restrict_vocab(&["c", "d"]).unwrap();
    assert_eq!(r.vocab().words(), &["c", "d"]);
    let (r, dropped) = r.drop_empty().unwrap();
    assert_eq!((r.n_docs(), dropped), (2, 1));
    assert_eq!(r.labels(), Some(&[1u32, 0][..]));
    assert!(c.select(&[3]).is_err());
    assert!(c.restrict_vocab(&["zzz"]).is_err());
}

#[test]
fn split_is_reproducible() {
    let p = PlantedCorpus::builder().topics(3).docs(101).seed(5).build();
    let (tr1, te1) = p.corpus.split(0.2, 42).unwrap();
    let (tr2, te2) = p.corpus.split(0.2, 42).unwrap();
    assert_eq!((tr1.n_docs(), te1.n_docs()), (81, 20));
    assert_eq!(tr1, tr2);
    assert_eq!(te1, te2);
    let (_, te3) = p.corpus.split(0.2, 43).unwrap();
    assert_ne!(te1, te3);
    assert_eq!(tr1.tokens() + te1.tokens(), p.corpus.tokens());
    assert!(p.corpus.split(1.5, 0).is_err());
}

#[test]
fn planted_corpus_is_deterministic() {
    let build = |seed| {
        PlantedCorpus::builder()
            .topics(4)
            .docs(60)
            .vocab_size(80)
            .seed(seed)
            .build()
    };
    let (a, b, c) = (build(9), build(9), build(10));
    assert_eq!(a.corpus, b.corpus);
    assert_eq!(a.theta, b.theta);
    assert_eq!(a.topics, b.topics);
    assert_ne!(a.corpus, c.corpus);
    assert_eq!(a.corpus.vocab_size(), 80);
    assert_eq!(a.corpus.n_labels(), 4);
    for t in &a.topics {
        let s: f32 = t.iter().sum();
        assert!((s - 1.0).abs() < 1e-4);
    }
}

#[test]
fn batcher_shapes_rows_and_order() {
    let p = PlantedCorpus::builder()
        .topics(3)
        .docs(23)
        .vocab_size(40)
        .seed(1)
        .build();
    let b = Batcher::new(&p.corpus, 5, &Device::Cpu).unwrap().seed(3);
    assert_eq!(b.n_batches(), 4); // drop_last: 23 / 5
    let batches: Vec<_> = b.epoch(0).collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.len(), 4);
    let mut seen = Vec::new();
    for batch in &batches {
        assert_eq!(batch.bow.dims(), &[5, 40]);
        assert_eq!(batch.sparse.rows(), 5);
        let rows: Vec<f32> = batch.bow.sum(1).unwrap().to_vec1().unwrap();
        assert!(rows.iter().all(|s| (s - 1.0).abs() < 1e-5), "{rows:?}");
        // The dense tensor and the sparse rows agree.
        let dense = batch.sparse.to_dense(&Device::Cpu).unwrap();
        let diff: f32 = (&dense - &batch.bow)
            .unwrap()
            .abs()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar()
            .unwrap();
        assert_eq!(diff, 0.0);
        seen.extend(batch.docs.iter().copied());
    }
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 20);
    // Same seed, same order; another epoch or seed, another order.
    let again = Batcher::new(&p.corpus, 5, &Device::Cpu).unwrap().seed(3);
    assert_eq!(b.order(0), again.order(0));
    assert_ne!(b.order(0), b.order(1));
    assert_ne!(b.order(0), again.clone().seed(4).order(0));
    // Without drop_last the last batch holds the rest.
    let all: Vec<_> = b
        .clone()
        .drop_last(false)
        .epoch(0)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[4].bow.dims(), &[3, 40]);
    assert_eq!(b.clone().in_order().order(7), (0..23).collect::<Vec<_>>());
}

#[test]
fn batcher_refuses_empty_documents_and_zero_batch() {
    let c = tiny().restrict_vocab(&["c"]).unwrap();
    let msg = Batcher::new(&c, 2, &Device::Cpu).unwrap_err().to_string();
    assert!(msg.contains("drop_empty"), "{msg}");
    assert!(Batcher::new(&tiny(), 0, &Device::Cpu).is_err());
}

#[test]
fn batcher_on_restricted_20ng() {
    let root = data_root();
    let vocab =
        gcatm::corpus::read_vocab_file(&root.join("20news_clean_sample/vocab.pkl")).unwrap();
    let c = gcatm::corpus::load_topmost(&root.join("20ng"), Split::Test)
        .unwrap()
        .restrict_to(&vocab)
        .unwrap();
    let (c, _) = c.drop_empty().unwrap();
    let b = Batcher::new(&c, 200, &Device::Cpu).unwrap();
    assert_eq!(b.n_batches(), c.n_docs() / 200);
    let first = b.epoch(0).next().unwrap().unwrap();
    assert_eq!(first.bow.dims(), &[200, 1883]);
    let rows: Vec<f32> = first.bow.sum(1).unwrap().to_vec1().unwrap();
    assert!(rows.iter().all(|s| (s - 1.0).abs() < 1e-4));
}
