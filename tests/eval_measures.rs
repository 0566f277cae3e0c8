//! Hand-worked values of every measure on tiny corpora.
use gcatm::corpus::{Corpus, PlantedCorpus, Vocab};
use gcatm::eval::{
    clustering_scores, coherence, nmi, purity, topic_diversity, topic_uniqueness, CoherenceOptions,
    EvalError, Evaluation, Evaluator, Measures, NpmiConvention, ReferenceIndex, TopicCounts,
};

const EPS: f64 = 1e-12;

/// Four documents over a, b, c, d (ids 0..3), N = 4:
/// d0 = {a, b, c}, d1 = {a, b}, d2 = {a, c}, d3 = {b, d}.
/// D(a) = 3, D(b) = 3, D(c) = 2, D(d) = 1;
/// D(a,b) = 2, D(a,c) = 2, D(b,c) = 1, D(b,d) = 1, D(a,d) = 0, D(c,d) = 0.
fn tiny() -> Corpus {
    let vocab = Vocab::new(["a", "b", "c", "d", "e"].map(String::from).to_vec()).unwrap();
    // e (id 4) is in the vocabulary but in no document; counts > 1 must not matter.
    let docs = vec![
        vec![(0, 2.0), (1, 1.0), (2, 5.0)],
        vec![(0, 1.0), (1, 1.0)],
        vec![(0, 1.0), (2, 1.0)],
        vec![(1, 3.0), (3, 1.0)],
    ];
    Corpus::from_docs(&docs, vocab).unwrap()
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
}

#[test]
fn eval_index_counts() {
    let index = ReferenceIndex::new(&tiny());
    assert_eq!(index.n_docs(), 4);
    let df: Vec<u32> = (0..5).map(|w| index.df(w)).collect();
    assert_eq!(df, [3, 3, 2, 1, 0]);
    assert_eq!(index.co_df(0, 1), 2);
    assert_eq!(index.co_df(1, 0), 2);
    assert_eq!(index.co_df(0, 2), 2);
    assert_eq!(index.co_df(1, 2), 1);
    assert_eq!(index.co_df(1, 3), 1);
    assert_eq!(index.co_df(0, 3), 0);
    assert_eq!(index.co_df(2, 2), 2);
    // Out-of-range ids count as absent words rather than panicking.
    assert_eq!(index.df(99), 0);
    assert_eq!(index.co_df(0, 99), 0);
}

#[test]
fn eval_index_ignores_explicit_zeros_and_repeats() {
    let vocab = Vocab::new(vec!["a".into(), "b".into()]).unwrap();
    // Row 0 holds `a` twice and an explicit zero for `b` (from_csr accepts both); row 1 holds b.
    let c = Corpus::from_csr(
        vec![0, 3, 4],
        vec![0, 0, 1, 1],
        vec![1.0, 1.0, 0.0, 2.0],
        vocab,
        None,
    )
    .unwrap();
    let index = ReferenceIndex::new(&c);
    assert_eq!(index.df(0), 1);
    assert_eq!(index.df(1), 1);
    assert_eq!(index.co_df(0, 1), 0);
}

/// Posting lists, bitsets and their mixes must all give the naive counts.
#[test]
fn eval_index_matches_naive_counts() {
    // Background words are frequent enough to be stored as bitsets, theme words as lists.
    let planted = PlantedCorpus::builder()
        .topics(5)
        .docs(3000)
        .doc_len(15.0)
        .seed(9)
        .build();
    let c = &planted.corpus;
    let index = ReferenceIndex::new(c);
    assert!(index.n_bitsets() > 0, "the test should exercise bitsets");
    assert!(index.n_bitsets() < c.vocab_size(), "and posting lists");
    let v = c.vocab_size();
    let mut sets = vec![std::collections::HashSet::new(); v];
    for d in 0..c.n_docs() {
        for (&w, &x) in c.doc(d).0.iter().zip(c.doc(d).1) {
            if x > 0.0 {
                sets[w as usize].insert(d);
            }
        }
    }
    for a in 0..v {
        assert_eq!(index.df(a as u32) as usize, sets[a].len());
        for b in (0..v).step_by(3) {
            let naive = sets[a].intersection(&sets[b]).count();
            assert_eq!(
                index.co_df(a as u32, b as u32) as usize,
                naive,
                "pair {a}, {b}"
            );
        }
    }
    // Never more memory than the posting lists would take (4 bytes per non-zero), plus tables.
    assert!(index.memory_bytes() <= 4 * c.nnz() + 20 * v);
}

/// NPMI of topic [a, b, c], the -1 convention:
/// NPMI(a,b) = ln((2/4) / (3/4 * 3/4)) / -ln(2/4) = ln(8/9) / ln 2 = -0.169925
/// NPMI(a,c) = ln((2/4) / (3/4 * 2/4)) / -ln(2/4) = ln(4/3) / ln 2 =  0.415037
/// NPMI(b,c) = ln((1/4) / (3/4 * 2/4)) / -ln(1/4) = ln(2/3) / ln 4 = -0.292481
/// mean = -0.015790 (gensim c_npmi on the same texts: -0.015789584171842425).
#[test]
fn eval_npmi_hand_worked() {
    let index = ReferenceIndex::new(&tiny());
    let t = TopicCounts::new(&index, &[0, 1, 2]).unwrap();
    let expected = ((8f64 / 9.0).ln() / 2f64.ln()
        + (4f64 / 3.0).ln() / 2f64.ln()
        + (2f64 / 3.0).ln() / 4f64.ln())
        / 3.0;
    close(t.npmi(NpmiConvention::Bouma), expected, 1e-15);
    close(t.npmi(NpmiConvention::GENSIM), -0.015789584171842425, 1e-12);
}

/// Topic [a, b, d]: D(a,d) = 0.
/// Ours: NPMI(a,d) = -1; NPMI(a,b) = ln(8/9)/ln 2; NPMI(b,d) = ln((1/4)/(3/4 * 1/4)) / ln 4
/// = ln(4/3)/ln 4. gensim: NPMI(a,d) = ln(1e-12 / (3/4 * 1/4)) / -ln(1e-12) = -0.939417.
#[test]
fn eval_npmi_conventions_for_never_cooccurring_pairs() {
    let index = ReferenceIndex::new(&tiny());
    let t = TopicCounts::new(&index, &[0, 1, 3]).unwrap();
    let ab = (8f64 / 9.0).ln() / 2f64.ln();
    let bd = (4f64 / 3.0).ln() / 4f64.ln();
    close(t.npmi(NpmiConvention::Bouma), (ab - 1.0 + bd) / 3.0, 1e-15);
    let ad_gensim = (EPS / (0.75 * 0.25)).ln() / -EPS.ln();
    close(ad_gensim, -0.939417, 1e-6);
    close(
        t.npmi(NpmiConvention::Epsilon(EPS)),
        (ab + ad_gensim + bd) / 3.0,
        1e-11,
    );
    // gensim c_npmi on the same texts (window = whole document):
    close(t.npmi(NpmiConvention::GENSIM), -0.3006076748229965, 1e-12);
}

/// A pair present in every document: P(wi,wj) = 1 gives 0/0; ours maps it to +1.
#[test]
fn eval_npmi_pair_in_every_document_is_plus_one() {
    let vocab = Vocab::new(vec!["x".into(), "y".into()]).unwrap();
    let c =
        Corpus::from_docs(&[vec![(0, 1.0), (1, 1.0)], vec![(0, 2.0), (1, 1.0)]], vocab).unwrap();
    let index = ReferenceIndex::new(&c);
    let t = TopicCounts::new(&index, &[0, 1]).unwrap();
    assert_eq!(t.npmi(NpmiConvention::Bouma), 1.0);
}

/// UCI of [a, b, c], eps = 1e-12 (negligible here, every pair co-occurs):
/// PMI(a,b) = ln((2/4) / (9/16)) = ln(8/9), PMI(a,c) = ln((2/4) / (3/8)) = ln(4/3),
/// PMI(b,c) = ln((1/4) / (3/8)) = ln(2/3); mean = ln(64/81) / 3 = -0.078522
/// (gensim c_uci: -0.07852202376825568).
/// UCI of [a, b, d]: PMI(a,d) = ln((0 + 1e-12) / (3/16)) = -27.9572 dominates:
/// (ln(8/9) + ln(16e-12/3) + ln(4/3)) / 3 = -8.595715 (gensim c_uci: -8.59571521518516).
#[test]
fn eval_uci_hand_worked() {
    let index = ReferenceIndex::new(&tiny());
    let t = TopicCounts::new(&index, &[0, 1, 2]).unwrap();
    close(t.uci(EPS), (64f64 / 81.0).ln() / 3.0, 1e-11);
    close(t.uci(EPS), -0.07852202376825568, 1e-12);
    let t = TopicCounts::new(&index, &[0, 1, 3]).unwrap();
    let expected = ((8f64 / 9.0).ln() + (16e-12f64 / 3.0).ln() + (4f64 / 3.0).ln()) / 3.0;
    close(t.uci(EPS), expected, 1e-11);
    close(t.uci(EPS), -8.59571521518516, 1e-9);
}

/// UMass, s = 1, ordered pairs (lower-ranked | higher-ranked):
/// [a, b, c]: ln((D(b,a)+1)/D(a)) = ln(3/3) = 0; ln((D(c,a)+1)/D(a)) = ln(3/3) = 0;
///            ln((D(c,b)+1)/D(b)) = ln(2/3); mean = ln(2/3) / 3 = -0.135155.
/// [c, b, a]: ln((1+1)/D(c)=2) = 0; ln((2+1)/2) = ln(3/2); ln((2+1)/D(b)=3) = 0;
///            mean = ln(3/2) / 3 = 0.135155 (the order matters).
/// gensim u_mass smooths with s = 1e-12 N instead: [a, b, c] -> (2 ln(2/3) + ln(1/3)) / 3.
#[test]
fn eval_umass_hand_worked() {
    let index = ReferenceIndex::new(&tiny());
    let abc = TopicCounts::new(&index, &[0, 1, 2]).unwrap();
    close(abc.umass(1.0), (2f64 / 3.0).ln() / 3.0, 1e-15);
    let cba = TopicCounts::new(&index, &[2, 1, 0]).unwrap();
    close(cba.umass(1.0), 1.5f64.ln() / 3.0, 1e-15);
    let gensim = abc.umass(EPS * 4.0);
    close(
        gensim,
        (2.0 * (2f64 / 3.0).ln() + (1f64 / 3.0).ln()) / 3.0,
        1e-11,
    );
    close(gensim, -0.6365141682921461, 1e-11);
    close(cba.umass(EPS * 4.0), -0.3662040962200366, 1e-11);
}

/// C_V of [a, b, c]. NPMI_eps context vectors over (a, b, c); the diagonal is
/// NPMI(w,w) = ln(P(w)/P(w)^2) / -ln P(w) = 1, off-diagonal x = ln(8/9)/ln 2, y = ln(4/3)/ln 2,
/// z = ln(2/3)/ln 4 as in the NPMI test:
/// v(a) = (1, x, y), v(b) = (x, 1, z), v(c) = (y, z, 1), v(W) = v(a) + v(b) + v(c).
/// C_V = mean of cos(v(w), v(W)) = 0.529608390669 (eps = 0); gensim c_v on the same texts
/// (window = whole document): 0.5296083906723917 (eps = 1e-12 shifts the 12th digit).
#[test]
fn eval_cv_hand_worked() {
    let index = ReferenceIndex::new(&tiny());
    let t = TopicCounts::new(&index, &[0, 1, 2]).unwrap();
    let (x, y, z) = (
        (8f64 / 9.0).ln() / 2f64.ln(),
        (4f64 / 3.0).ln() / 2f64.ln(),
        (2f64 / 3.0).ln() / 4f64.ln(),
    );
    let v = [[1.0, x, y], [x, 1.0, z], [y, z, 1.0]];
    let u: Vec<f64> = (0..3).map(|j| v.iter().map(|r| r[j]).sum()).collect();
    let norm = |r: &[f64]| r.iter().map(|a| a * a).sum::<f64>().sqrt();
    let cos =
        |r: &[f64; 3]| r.iter().zip(&u).map(|(a, b)| a * b).sum::<f64>() / (norm(r) * norm(&u));
    let expected = (cos(&v[0]) + cos(&v[1]) + cos(&v[2])) / 3.0;
    close(expected, 0.529608390669, 1e-12);
    close(t.c_v(EPS), expected, 1e-10);
    close(t.c_v(EPS), 0.5296083906723917, 1e-13);
    // gensim c_v of [a, b, d] (a never co-occurring pair inside):
    let t = TopicCounts::new(&index, &[0, 1, 3]).unwrap();
    close(t.c_v(EPS), 0.34268635836857636, 1e-12);
}

/// A word in no reference document (e, id 4): NPMI counts its pairs as -1 under both
/// conventions; UCI leaves its pairs out; UMass leaves out pairs conditioned on it; C_V drops it.
#[test]
fn eval_unseen_words() {
    let index = ReferenceIndex::new(&tiny());
    let t = TopicCounts::new(&index, &[0, 1, 4]).unwrap();
    assert_eq!(t.unseen(), vec![4]);
    let ab = (8f64 / 9.0).ln() / 2f64.ln();
    close(t.npmi(NpmiConvention::Bouma), (ab - 2.0) / 3.0, 1e-15);
    close(t.npmi(NpmiConvention::GENSIM), (ab - 2.0) / 3.0, 1e-11);
    close(t.uci(EPS), (8f64 / 9.0).ln(), 1e-11);
    // (b|a) = ln(3/3) = 0, (e|a) = ln(1/3), (e|b) = ln(1/3): all conditioned on seen words.
    close(t.umass(1.0), 2.0 * (1f64 / 3.0).ln() / 3.0, 1e-15);
    let ab_only = TopicCounts::new(&index, &[0, 1]).unwrap();
    close(t.c_v(EPS), ab_only.c_v(EPS), 1e-15);
    // e first: UMass pairs conditioned on e are undefined and left out.
    let t = TopicCounts::new(&index, &[4, 0]).unwrap();
    assert!(t.umass(1.0).is_nan());
    assert!(t.uci(EPS).is_nan());
    assert_eq!(t.npmi(NpmiConvention::Bouma), -1.0);
}

#[test]
fn eval_coherence_over_topics_and_errors() {
    let index = ReferenceIndex::new(&tiny());
    let topics = vec![vec![0, 1, 2], vec![2, 1, 0]];
    let s = coherence(&index, &topics, Measures::ALL, &CoherenceOptions::default()).unwrap();
    let umass = s.umass.unwrap();
    close(umass.per_topic[0], (2f64 / 3.0).ln() / 3.0, 1e-15);
    close(umass.mean, 0.0, 1e-15); // ln(2/3)/3 and ln(3/2)/3 cancel
    let npmi = s.npmi.unwrap();
    close(npmi.per_topic[0], npmi.per_topic[1], 1e-15); // symmetric measure
    assert_eq!(s.cv.unwrap().per_topic.len(), 2);

    let only: Measures = "umass".parse().unwrap();
    let s = coherence(&index, &topics, only, &CoherenceOptions::default()).unwrap();
    assert!(s.npmi.is_none() && s.umass.is_some());

    match coherence(
        &index,
        &[vec![0, 1], vec![2]],
        Measures::NPMI,
        &Default::default(),
    ) {
        Err(EvalError::TooFewWords { topic: 1, words: 1 }) => {}
        other => panic!("expected TooFewWords for topic 1, got {other:?}"),
    }
    assert!(matches!(
        coherence(&index, &[vec![0, 77]], Measures::NPMI, &Default::default()),
        Err(EvalError::WordOutOfRange { id: 77, .. })
    ));
    let bad = CoherenceOptions {
        npmi: NpmiConvention::Epsilon(0.0),
        ..Default::default()
    };
    assert!(matches!(
        coherence(&index, &topics, Measures::NPMI, &bad),
        Err(EvalError::InvalidOption(_))
    ));
    match index.ids(&["a", "zebra", "b", "yak"]) {
        Err(EvalError::MissingWords(w)) => assert_eq!(w, ["zebra", "yak"]),
        other => panic!("expected MissingWords, got {other:?}"),
    }
}

/// TD (top 4): topics [a, b] and [a, c, d, e] hold 5 distinct words among 2 + 4 = 6 -> 5/6.
/// TU: cnt(a) = 2, others 1; topic 1: (1/2 + 1) / 2 = 3/4; topic 2: (1/2 + 1 + 1 + 1) / 4 = 7/8;
/// TU = (3/4 + 7/8) / 2 = 13/16.
/// Three equal-length topics [a, b, c], [c, d, e], [a, b, f] (top 3): 6 distinct of 9 -> TD = 2/3,
/// and TU = (1/K L) sum over distinct words of cnt * (1/cnt) = 6/9 as well (TU equals TD when
/// all topics have L distinct words).
#[test]
fn eval_diversity_hand_worked() {
    let t = vec![vec!["a", "b"], vec!["a", "c", "d", "e"]];
    close(topic_diversity(&t, 4).unwrap(), 5.0 / 6.0, 1e-15);
    close(topic_uniqueness(&t, 4).unwrap(), 13.0 / 16.0, 1e-15);
    let t = vec![
        vec!["a", "b", "c"],
        vec!["c", "d", "e"],
        vec!["a", "b", "f"],
    ];
    close(topic_diversity(&t, 3).unwrap(), 2.0 / 3.0, 1e-15);
    close(topic_uniqueness(&t, 3).unwrap(), 2.0 / 3.0, 1e-15);
    // top_n truncates: first two words only -> {a, b, c, d} / 6.
    close(topic_diversity(&t, 2).unwrap(), 4.0 / 6.0, 1e-15);
    // TU on top 2: cnt a=2, b=2, c=1, d=1: (1/2+1/2)/2, (1+1)/2, (1/2+1/2)/2 -> (1/2 + 1 + 1/2)/3.
    close(topic_uniqueness(&t, 2).unwrap(), 2.0 / 3.0, 1e-15);
    // Identical topics: TD = TU = 1/K.
    let same = vec![vec![1u32, 2, 3]; 4];
    close(topic_diversity(&same, 3).unwrap(), 0.25, 1e-15);
    close(topic_uniqueness(&same, 3).unwrap(), 0.25, 1e-15);
    assert!(matches!(
        topic_diversity::<u32>(&[], 25),
        Err(EvalError::NoTopics)
    ));
    assert!(matches!(
        topic_uniqueness::<u32>(&[vec![]], 25),
        Err(EvalError::NoTopics)
    ));
}

/// pred = [0, 0, 0, 1, 1, 2], truth = [0, 0, 1, 1, 1, 1].
/// Purity: cluster 0 = {0, 0, 1} -> 2, cluster 1 = {1, 1} -> 2, cluster 2 = {1} -> 1: 5/6.
/// NMI: row sums a = (3, 2, 1), column sums b = (2, 4), N = 6;
/// MI = 2/6 ln(6*2/(3*2)) + 1/6 ln(6*1/(3*4)) + 2/6 ln(6*2/(2*4)) + 1/6 ln(6*1/(1*4))
///    = (1/6) ln 2 + (1/2) ln(3/2);
/// H(pred) = (1/2) ln 2 + (1/3) ln 3 + (1/6) ln 6; H(truth) = (1/3) ln 3 + (2/3) ln(3/2);
/// NMI = MI / ((H(pred) + H(truth)) / 2) = 0.386253 (sklearn: 0.3862534428571302).
#[test]
fn eval_clustering_hand_worked() {
    let pred = [0, 0, 0, 1, 1, 2];
    let truth = [0, 0, 1, 1, 1, 1];
    close(purity(&pred, &truth).unwrap(), 5.0 / 6.0, 1e-15);
    let ln = f64::ln;
    let mi = ln(2.0) / 6.0 + ln(1.5) / 2.0;
    let hp = ln(2.0) / 2.0 + ln(3.0) / 3.0 + ln(6.0) / 6.0;
    let ht = ln(3.0) / 3.0 + 2.0 / 3.0 * ln(1.5);
    close(nmi(&pred, &truth).unwrap(), mi / ((hp + ht) / 2.0), 1e-15);
    close(nmi(&pred, &truth).unwrap(), 0.3862534428571302, 1e-14);
    // Label values are arbitrary ids; NMI is symmetric.
    close(
        nmi(&[7, 7, 7, 9, 9, 3], &truth).unwrap(),
        0.3862534428571302,
        1e-14,
    );
    close(nmi(&truth, &pred).unwrap(), 0.3862534428571302, 1e-14);
    // sklearn's edge cases: one class on both sides -> 1; independent -> 0.
    assert_eq!(nmi(&[4, 4, 4], &[1, 1, 1]).unwrap(), 1.0);
    assert_eq!(nmi(&[0, 0, 0, 0], &[0, 1, 0, 1]).unwrap(), 0.0);
    let s = clustering_scores(&pred, &truth).unwrap();
    assert_eq!((s.clusters_used, s.docs), (3, 6));
    assert!(matches!(
        purity(&[0, 1], &[0]),
        Err(EvalError::SizeMismatch { .. })
    ));
    assert!(matches!(nmi(&[], &[]), Err(EvalError::NoDocuments)));
}

#[test]
fn eval_evaluator_on_topic_words() {
    let evaluator = Evaluator::new(&tiny(), None)
        .unwrap()
        .measures(Measures::ALL)
        .top_n(3)
        .unwrap();
    let e = evaluator
        .evaluate_topics(&[vec!["a", "b", "c"], vec!["a", "b", "e"]])
        .unwrap();
    assert_eq!(e.topics, vec![vec!["a", "b", "c"], vec!["a", "b", "e"]]);
    close(
        e.umass.as_ref().unwrap().per_topic[0],
        (2f64 / 3.0).ln() / 3.0,
        1e-15,
    );
    assert_eq!(e.unseen_words, ["e"]);
    // TD over the 6 words given (topics shorter than 25): {a, b, c, e} / 6.
    close(e.td, 4.0 / 6.0, 1e-15);
    assert!(e.clustering.is_none());
    // JSON round trip (serde_json may round the last bit of a float).
    let json = serde_json::to_string(&e).unwrap();
    let back: Evaluation = serde_json::from_str(&json).unwrap();
    assert_eq!(back.topics, e.topics);
    close(back.cv.unwrap().mean, e.cv.as_ref().unwrap().mean, 1e-15);
    close(back.npmi.per_topic[1], e.npmi.per_topic[1], 1e-15);

    match evaluator.evaluate_topics(&[vec!["a", "zebra", "b"]]) {
        Err(EvalError::MissingWords(w)) => assert_eq!(w, ["zebra"]),
        other => panic!("expected MissingWords, got {other:?}"),
    }
    assert!(Evaluator::new(&tiny(), None).unwrap().top_n(1).is_err());
}

/// NaN per-topic values are written as null and read back as NaN.
#[test]
fn eval_nan_serialises_as_null() {
    let evaluator = Evaluator::new(&tiny(), None)
        .unwrap()
        .measures(Measures::ALL)
        .top_n(2)
        .unwrap();
    let e = evaluator.evaluate_topics(&[vec!["e", "a"]]).unwrap();
    assert!(e.umass.as_ref().unwrap().per_topic[0].is_nan());
    let json = serde_json::to_value(&e).unwrap();
    assert!(json["umass"]["per_topic"][0].is_null());
    let back: Evaluation = serde_json::from_value(json).unwrap();
    assert!(back.umass.unwrap().mean.is_nan());
}
