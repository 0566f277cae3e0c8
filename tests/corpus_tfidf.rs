//! The log's input transform (TF-IDF with scikit-learn's smoothed idf, then L1) against values
//! computed by scikit-learn on the shipped 20ng-1883 files (tests/data/tfidf_golden.json), and
//! the idf's way through a run: the trainer's batches, theta of held-out documents, checkpoints.
mod corpus_common;

use corpus_common::{data_root, test_data};
use gcatm::corpus::{load_20ng_1883, Corpus, Idf, InputTransform, PlantedCorpus};
use gcatm::train::{load_checkpoint, load_weights, save_checkpoint, TrainConfig, Trainer};
use serde_json::Value;

fn golden() -> Value {
    let text = std::fs::read_to_string(test_data("tfidf_golden.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Each golden row's words and L1 values against the same document of `corpus` after `idf` and L1.
fn assert_rows(rows: &Value, corpus: &Corpus, idf: &Idf) -> usize {
    let weighted = idf.apply(corpus).unwrap().l1_normalized();
    let words = corpus.vocab().words();
    let mut checked = 0;
    for row in rows.as_array().unwrap() {
        let d = row["doc"].as_u64().unwrap() as usize;
        let (ids, vals) = weighted.doc(d);
        let got: Vec<(&str, f32)> = ids
            .iter()
            .zip(vals)
            .map(|(&w, &v)| (words[w as usize].as_str(), v))
            .collect();
        let want_words = row["words"].as_array().unwrap();
        let want_vals = row["values"].as_array().unwrap();
        assert_eq!(got.len(), want_words.len(), "document {d}: number of words");
        for ((w, v), (ww, wv)) in got.iter().zip(want_words.iter().zip(want_vals)) {
            assert_eq!(*w, ww.as_str().unwrap(), "document {d}: word order");
            let wv = wv.as_f64().unwrap();
            assert!(
                (*v as f64 - wv).abs() < 1e-6,
                "document {d}, word {w}: {v} against scikit-learn's {wv}"
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn idf_and_rows_match_scikit_learn_on_20ng_1883() {
    let (train, test) = load_20ng_1883(&data_root()).unwrap();
    let g = golden();
    let vocab: Vec<&str> = g["vocab"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(train.vocab().words(), &vocab[..]);
    let idf = Idf::fit(&train);
    let want: Vec<f64> = g["idf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(idf.values().len(), 1883);
    for (w, (a, b)) in idf.values().iter().zip(&want).enumerate() {
        assert!(
            (a - b).abs() < 1e-9 * b,
            "idf of {}: {a} against {b}",
            vocab[w]
        );
    }
    // Six training documents and two held-out ones (weighted with the training idf).
    assert!(assert_rows(&g["train_rows_l1"], &train, &idf) > 100);
    assert!(assert_rows(&g["test_rows_l1"], &test, &idf) > 30);
    // The transform changes what a document looks like: frequent words weigh less than in counts.
    let counts = train.l1_normalized();
    let tfidf = idf.apply(&train).unwrap().l1_normalized();
    let subject = vocab.iter().position(|w| *w == "subject").unwrap() as u32;
    let weight = |c: &Corpus| {
        let (ids, vals) = c.doc(0);
        vals[ids.iter().position(|&w| w == subject).unwrap()]
    };
    assert!(weight(&tfidf) < 0.5 * weight(&counts));
}

#[test]
fn trainer_feeds_tfidf_by_default_and_counts_on_request() {
    let (train, _) = load_20ng_1883(&data_root()).unwrap();
    let g = golden();
    let idf = Idf::fit(&train);
    let config = TrainConfig {
        hidden: 8,
        batch_size: 64,
        device: "cpu".into(),
        ..TrainConfig::default()
    };
    assert_eq!(config.input, InputTransform::Tfidf);
    let t = Trainer::new(config.clone(), &train).unwrap();
    assert_eq!(t.idf(), Some(&idf));
    // The batcher holds the rows scikit-learn computed.
    let first = &g["train_rows_l1"][0];
    let (_, vals) = t
        .batcher()
        .corpus()
        .doc(first["doc"].as_u64().unwrap() as usize);
    for (v, w) in vals.iter().zip(first["values"].as_array().unwrap()) {
        assert!((*v as f64 - w.as_f64().unwrap()).abs() < 1e-6);
    }
    let counts = Trainer::new(
        TrainConfig {
            input: InputTransform::Counts,
            ..config
        },
        &train,
    )
    .unwrap();
    assert!(counts.idf().is_none());
    assert_eq!(counts.batcher().corpus(), &train.l1_normalized());
}

#[test]
fn idf_travels_with_checkpoints_and_old_configs_read_as_counts() {
    let p = PlantedCorpus::builder()
        .topics(3)
        .docs(60)
        .vocab_size(40)
        .seed(1)
        .build();
    let config = TrainConfig {
        topics: 3,
        hidden: 16,
        batch_size: 20,
        device: "cpu".into(),
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(config, &p.corpus).unwrap();
    t.fit(1, |_, _| Ok(())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    save_checkpoint(&t, &ck).unwrap();
    // Resumed over other documents, the run keeps the idf it was trained with.
    let other = p.corpus.select(&(0..30).collect::<Vec<_>>()).unwrap();
    assert_ne!(Idf::fit(&other), *t.idf().unwrap());
    let resumed = load_checkpoint(&ck, &other, None).unwrap();
    assert_eq!(resumed.idf(), t.idf());
    assert_eq!(load_weights(&ck, &other, None).unwrap().idf(), t.idf());
    // Held-out documents get the run's idf: theta by hand equals the trainer's.
    assert_eq!(
        resumed.theta(&other).unwrap(),
        t.theta(&other).unwrap(),
        "theta of the same documents differs between a run and its resumed copy"
    );
    // A state written before the input field existed trained on counts.
    let state_path = ck.join("state.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    state["config"].as_object_mut().unwrap().remove("input");
    state.as_object_mut().unwrap().remove("idf");
    std::fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    let old = load_checkpoint(&ck, &p.corpus, None).unwrap();
    assert_eq!(old.config().input, InputTransform::Counts);
    assert!(old.idf().is_none());
    // A saved idf that is not positive is refused with a message naming the file.
    state["config"]["input"] = "tfidf".into();
    state["idf"] = serde_json::json!(vec![-1.0; 40]);
    std::fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    let err = load_checkpoint(&ck, &p.corpus, None)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("state.json") && err.contains("idf"), "{err}");
}
