//! NPMI on the 20ng-1883 reference corpus against the numpy / gensim values of
//! `tests/data/npmi_golden.json`, under both conventions.
mod corpus_common;
use gcatm::corpus::{load_topmost, read_vocab_file, Corpus, Split};
use gcatm::eval::{
    coherence, CoherenceOptions, Evaluator, Measures, NpmiConvention, ReferenceIndex,
};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    corpus_common::data_root()
}

fn golden() -> serde_json::Value {
    let path = corpus_common::test_data("npmi_golden.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// 20NG train + test restricted to the 1883 words of 20news_clean's vocab.pkl.
fn reference_corpus() -> Corpus {
    let dir = data_dir();
    let corpus = load_topmost(&dir.join("20ng"), Split::All).unwrap();
    let vocab = read_vocab_file(&dir.join("20news_clean_sample/vocab.pkl")).unwrap();
    let (corpus, dropped) = corpus.restrict_to(&vocab).unwrap().drop_empty().unwrap();
    assert_eq!(dropped, 0);
    corpus
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[test]
fn eval_golden_npmi_both_conventions() {
    let g = golden();
    let corpus = reference_corpus();
    assert_eq!(corpus.n_docs() as u64, g["N_docs"].as_u64().unwrap());
    assert_eq!(corpus.vocab_size() as u64, g["V"].as_u64().unwrap());
    let index = ReferenceIndex::new(&corpus);
    let topics: Vec<Vec<u32>> = g["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let words: Vec<&str> = t
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_str().unwrap())
                .collect();
            index.ids(&words).unwrap()
        })
        .collect();

    let cases = [
        (NpmiConvention::Bouma, "npmi_ours_per_topic"),
        (NpmiConvention::GENSIM, "npmi_ours_eps1e-12_per_topic"),
        (NpmiConvention::GENSIM, "npmi_gensim_per_topic"),
    ];
    let mut worst = 0f64;
    for (convention, key) in cases {
        let options = CoherenceOptions {
            npmi: convention,
            ..Default::default()
        };
        let got = coherence(&index, &topics, Measures::NPMI, &options)
            .unwrap()
            .npmi
            .unwrap();
        let want = floats(&g[key]);
        assert_eq!(got.per_topic.len(), want.len());
        for (k, (a, b)) in got.per_topic.iter().zip(&want).enumerate() {
            let d = (a - b).abs();
            worst = worst.max(d);
            assert!(d <= 1e-6, "{key} topic {k}: {a} vs {b}");
        }
        eprintln!(
            "{key}: max |diff| per topic = {:.2e}",
            got.per_topic
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max)
        );
    }
    eprintln!("golden NPMI: max abs diff over all topics and conventions = {worst:.2e}");
    let mean = g["npmi_ours_mean"].as_f64().unwrap();
    let got = coherence(
        &index,
        &topics,
        Measures::NPMI,
        &CoherenceOptions::default(),
    )
    .unwrap()
    .npmi
    .unwrap()
    .mean;
    assert!((got - mean).abs() <= 1e-6, "{got} vs {mean}");

    // The zero co-occurrence pairs the golden file counts per topic.
    let zeros: Vec<u64> = g["zero_cooccurrence_pairs_per_topic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    for (t, z) in topics.iter().zip(zeros) {
        let mut n = 0;
        for i in 0..t.len() {
            for j in i + 1..t.len() {
                n += (index.co_df(t[i], t[j]) == 0) as u64;
            }
        }
        assert_eq!(n, z);
    }
}

/// The same values through the Evaluator, and TD of the golden topics (top 10).
#[test]
fn eval_golden_through_evaluator() {
    let g = golden();
    let topics: Vec<Vec<String>> = serde_json::from_value(g["topics"].clone()).unwrap();
    let evaluator = Evaluator::new(&reference_corpus(), None)
        .unwrap()
        .measures(Measures::ALL)
        .td_top_n(10)
        .unwrap();
    let e = evaluator.evaluate_topics(&topics).unwrap();
    for (a, b) in e
        .npmi
        .per_topic
        .iter()
        .zip(floats(&g["npmi_ours_per_topic"]))
    {
        assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
    }
    assert!((e.td - g["topic_diversity_top10"].as_f64().unwrap()).abs() < 1e-12);
    assert!(e.unseen_words.is_empty());
    // Sanity of the other measures on coherent vs. incoherent topics.
    let cv = e.cv.unwrap();
    assert!(cv.per_topic[..4].iter().all(|&v| v > cv.per_topic[4]));
    let umass = e.umass.unwrap();
    assert!(umass.per_topic[..4].iter().all(|&v| v > umass.per_topic[4]));
}

/// C_V, UCI and UMass of the golden topics against gensim 4.4.0 on the same corpus, computed by
/// `CoherenceModel(topics, texts, dictionary, coherence=..., window_size=3235, topn=10,
/// processes=1)` with texts = each BoW row expanded to `count` copies of each word (so every
/// document is one window, as for `npmi_golden.json`); u_mass from the BoW corpus. gensim's u_mass
/// smooths with 1e-12 N (not Mimno's +1), so it is compared with `umass_smoothing = 1e-12 N`.
#[test]
fn eval_golden_gensim_cv_uci_umass() {
    let g = golden();
    let corpus = reference_corpus();
    let index = ReferenceIndex::new(&corpus);
    let topics: Vec<Vec<String>> = serde_json::from_value(g["topics"].clone()).unwrap();
    let ids: Vec<Vec<u32>> = topics.iter().map(|t| index.ids(t).unwrap()).collect();
    let gensim_cv = [
        0.9377464254137564,
        0.9293010020804988,
        0.8019941087841242,
        0.9429354211422198,
        0.31848127897702716,
    ];
    let gensim_uci = [
        2.1245996186438507,
        2.0906673131128204,
        1.1426148970111727,
        2.6711054463879194,
        -4.874883594718171,
    ];
    let gensim_umass = [
        -1.5735422513677662,
        -1.6691389764992175,
        -1.8811856780478333,
        -1.9492672904833968,
        -8.611959631242863,
    ];
    let options = CoherenceOptions {
        umass_smoothing: 1e-12 * corpus.n_docs() as f64,
        ..Default::default()
    };
    let s = coherence(&index, &ids, Measures::ALL, &options).unwrap();
    let mut worst = 0f64;
    for (name, got, want) in [
        ("c_v", s.cv.unwrap().per_topic, gensim_cv),
        ("c_uci", s.uci.unwrap().per_topic, gensim_uci),
        ("u_mass", s.umass.unwrap().per_topic, gensim_umass),
    ] {
        for (k, (a, b)) in got.iter().zip(want).enumerate() {
            worst = worst.max((a - b).abs());
            assert!((a - b).abs() <= 1e-9, "{name} topic {k}: {a} vs gensim {b}");
        }
    }
    eprintln!("C_V / UCI / UMass vs gensim: max abs diff = {worst:.2e}");
}
