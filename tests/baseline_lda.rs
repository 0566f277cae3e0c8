//! LDA (`gcatm::baseline::Lda`): planted topics recovered, determinism across seeds and thread
//! counts, `transform` against the fitted proportions, bad input, and the CLI.
//!
//! The 20ng-1883 quality and speed figures are not timed here: `cargo bench --bench lda` and the
//! ignored test `lda_20ng_quality` (`cargo test --release --test baseline_lda -- --ignored`).
use gcatm::baseline::{random_floor, BaselineError, FloorOptions, Lda, LdaConfig};
use gcatm::corpus::{Corpus, PlantedCorpus, Vocab};
use gcatm::eval::{CoherenceOptions, Evaluator, ReferenceIndex};
use std::path::PathBuf;
use std::process::Command;

fn fit_in_pool(threads: usize, lda: &Lda, corpus: &Corpus) -> gcatm::baseline::LdaModel {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| lda.fit(corpus).unwrap())
}

#[test]
fn batch_lda_recovers_the_planted_topics() {
    let planted = PlantedCorpus::builder().topics(12).seed(0).build();
    let model = Lda::new(12).seed(0).fit(&planted.corpus).unwrap();
    let found = planted.recovered(&model.top_words(10));
    assert!(found >= 11, "recovered {found} of 12 planted topics");
    // Scored like the GAN: the planted topics' words co-occur, so NPMI is high, and the
    // documents cluster by their dominant topic.
    let evaluator = Evaluator::new(&planted.corpus, Some(&planted.corpus)).unwrap();
    let e = model.evaluate(&evaluator).unwrap();
    assert_eq!(e.topics.len(), 12);
    assert!(e.npmi.mean > 0.3, "NPMI {}", e.npmi.mean);
    let c = e.clustering.unwrap();
    assert!(c.purity > 0.8 && c.nmi > 0.7, "{c:?}");
    // Each topic-word row is a distribution.
    for row in model.topic_word().rows() {
        assert!((row.sum() - 1.0).abs() < 1e-9);
        assert!(row.iter().all(|&x| x > 0.0));
    }
}

#[test]
fn online_lda_recovers_the_planted_topics() {
    let planted = PlantedCorpus::builder().topics(12).seed(0).build();
    let model = Lda::new(12)
        .online(true)
        .iterations(10)
        .seed(0)
        .fit(&planted.corpus)
        .unwrap();
    let found = planted.recovered(&model.top_words(10));
    assert!(
        found >= 11,
        "online: recovered {found} of 12 planted topics"
    );
}

#[test]
fn same_seed_same_model_on_any_number_of_threads() {
    let planted = PlantedCorpus::builder()
        .topics(5)
        .docs(3000)
        .seed(3)
        .build();
    for lda in [
        Lda::new(5).iterations(5).seed(11),
        Lda::new(5).online(true).iterations(2).seed(11),
    ] {
        let a = fit_in_pool(1, &lda, &planted.corpus);
        let b = fit_in_pool(3, &lda, &planted.corpus);
        let c = fit_in_pool(2, &lda, &planted.corpus);
        // Bit for bit: the pieces and the order of the reduction do not depend on the threads.
        assert_eq!(a.lambda(), b.lambda());
        assert_eq!(a.lambda(), c.lambda());
        assert_eq!(a.doc_topic(), b.doc_topic());
        assert_eq!(a.top_words(10), c.top_words(10));
        let other = fit_in_pool(2, &lda.clone().seed(12), &planted.corpus);
        assert_ne!(a.lambda(), other.lambda());
    }
}

#[test]
fn transform_agrees_with_the_fitted_proportions() {
    let planted = PlantedCorpus::builder().topics(6).docs(800).seed(5).build();
    let model = Lda::new(6)
        .iterations(30)
        .seed(1)
        .fit(&planted.corpus)
        .unwrap();
    let fitted = model.doc_topic();
    let theta = model.transform(&planted.corpus).unwrap();
    assert_eq!(theta.dim(), fitted.dim());
    let n = theta.nrows();
    let mut same_argmax = 0;
    let mut l1 = 0.0;
    let assigned = model.assign(&planted.corpus).unwrap();
    assert_eq!(assigned.len(), n);
    for (d, &cluster) in assigned.iter().enumerate() {
        let (a, b) = (theta.row(d), fitted.row(d));
        assert!((a.sum() - 1.0).abs() < 1e-9);
        l1 += a
            .iter()
            .zip(b.iter())
            .map(|(x, y)| (x - y).abs())
            .sum::<f64>();
        let argmax = |r: ndarray::ArrayView1<f64>| {
            (0..r.len()).max_by(|&i, &j| r[i].total_cmp(&r[j])).unwrap()
        };
        same_argmax += usize::from(argmax(a) == argmax(b));
        assert_eq!(cluster as usize, argmax(a));
    }
    // The last E-step ran under the topics before the last M-step and from a random start; at
    // convergence that moves the proportions very little.
    assert!(
        same_argmax as f64 >= 0.98 * n as f64,
        "{same_argmax} of {n}"
    );
    assert!(l1 / (n as f64) < 0.02, "mean L1 distance {}", l1 / n as f64);
}

#[test]
fn an_empty_document_gets_uniform_proportions() {
    let planted = PlantedCorpus::builder().topics(3).docs(200).seed(0).build();
    let model = Lda::new(3).iterations(5).fit(&planted.corpus).unwrap();
    let docs = vec![vec![], vec![(0u32, 2.0f32)]];
    let c = Corpus::from_docs(&docs, planted.corpus.vocab().clone()).unwrap();
    let theta = model.transform(&c).unwrap();
    for t in 0..3 {
        assert!((theta[[0, t]] - 1.0 / 3.0).abs() < 1e-12);
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let planted = PlantedCorpus::builder().topics(3).docs(100).seed(0).build();
    let c = &planted.corpus;
    let v = c.vocab_size();
    assert!(matches!(Lda::new(0).fit(c), Err(BaselineError::NoTopics)));
    match Lda::new(v + 1).fit(c) {
        Err(BaselineError::TooManyTopics { topics, vocab }) => {
            assert_eq!((topics, vocab), (v + 1, v))
        }
        other => panic!("expected TooManyTopics, got {other:?}"),
    }
    for (lda, name) in [
        (Lda::new(3).alpha(f64::NAN), "alpha"),
        (Lda::new(3).alpha(0.0), "alpha"),
        (Lda::new(3).eta(-1.0), "eta"),
        (Lda::new(3).eta(f64::INFINITY), "eta"),
    ] {
        match lda.fit(c) {
            Err(e @ BaselineError::InvalidPrior { .. }) => {
                assert!(e.to_string().contains(name), "{e}")
            }
            other => panic!("expected InvalidPrior, got {other:?}"),
        }
    }
    for lda in [
        Lda::new(3).iterations(0),
        Lda::new(3).online(true).batch_size(0),
        Lda::new(3).learning_decay(f64::NAN, 0.7),
        Lda::new(3).learning_decay(10.0, 1.5),
        Lda::new(3).e_step(0, 1e-3),
        Lda::new(3).e_step(100, f64::NAN),
        // numpy's RandomState takes seeds below 2^32.
        Lda::new(3).seed(1 << 32),
    ] {
        assert!(matches!(lda.fit(c), Err(BaselineError::InvalidOption(_))));
    }
    // An empty corpus: no documents, or documents without tokens.
    let vocab = c.vocab().clone();
    let none = Corpus::from_docs(&[], vocab.clone()).unwrap();
    assert!(matches!(
        Lda::new(3).fit(&none),
        Err(BaselineError::EmptyCorpus)
    ));
    let blank = Corpus::from_docs(&[vec![], vec![]], vocab).unwrap();
    assert!(matches!(
        Lda::new(3).fit(&blank),
        Err(BaselineError::EmptyCorpus)
    ));
    // transform needs the model's vocabulary.
    let model = Lda::new(3).iterations(2).fit(c).unwrap();
    let other = Corpus::from_docs(
        &[vec![(0, 1.0)]],
        Vocab::new(vec!["x".into(), "y".into()]).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        model.transform(&other),
        Err(BaselineError::VocabMismatch {
            expected: _,
            got: 2
        })
    ));
}

#[test]
fn config_round_trips_and_resolves_the_defaults() {
    let planted = PlantedCorpus::builder().topics(4).docs(100).seed(0).build();
    let model = Lda::from_config(LdaConfig::new(4))
        .iterations(2)
        .fit(&planted.corpus)
        .unwrap();
    let c = model.config();
    assert_eq!(
        (c.alpha, c.eta, c.iterations),
        (Some(0.25), Some(0.25), Some(2))
    );
    let json = serde_json::to_string(c).unwrap();
    let back: LdaConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, c);
    let online = Lda::new(4).online(true).fit(&planted.corpus).unwrap();
    assert_eq!(online.config().iterations, Some(10));
}

#[test]
fn the_floor_matches_a_direct_computation() {
    // Every pair of V words shares exactly one document and every word is in V - 1 of the
    // V(V-1)/2 documents: all pairs have the same NPMI, so every random topic scores exactly it.
    let v = 8usize;
    let words: Vec<String> = (0..v).map(|i| format!("w{i}")).collect();
    let mut docs = Vec::new();
    for i in 0..v {
        for j in i + 1..v {
            docs.push(vec![(i as u32, 1.0f32), (j as u32, 1.0)]);
        }
    }
    let corpus = Corpus::from_docs(&docs, Vocab::new(words).unwrap()).unwrap();
    let n = docs.len() as f64;
    let (p_w, p_ij) = ((v - 1) as f64 / n, 1.0 / n);
    let npmi = (p_ij / (p_w * p_w)).ln() / -p_ij.ln();
    let index = ReferenceIndex::new(&corpus);
    let options = FloorOptions {
        words: 4,
        ..FloorOptions::new(3)
    };
    let floor = random_floor(&index, &options, &CoherenceOptions::default()).unwrap();
    assert!(
        (floor.mean - npmi).abs() < 1e-12,
        "{} vs {npmi}",
        floor.mean
    );
    assert!(floor.std < 1e-12);

    // Topics of every word: each draw is the whole vocabulary in some order, so the floor is
    // the score of that one topic, computed by the evaluator.
    let planted = PlantedCorpus::builder()
        .topics(2)
        .words_per_topic(3)
        .vocab_size(8)
        .docs(300)
        .seed(1)
        .build();
    let all: Vec<String> = (0..8)
        .map(|w| planted.corpus.vocab().word(w).to_string())
        .collect();
    let evaluator = Evaluator::new(&planted.corpus, None)
        .unwrap()
        .top_n(8)
        .unwrap();
    let direct = evaluator.evaluate_topics(&[all]).unwrap().npmi.mean;
    let floor = evaluator
        .floor(&FloorOptions {
            words: 8,
            draws: 5,
            ..FloorOptions::new(2)
        })
        .unwrap();
    assert!(
        (floor.mean - direct).abs() < 1e-12,
        "{} vs {direct}",
        floor.mean
    );
}

/// `$GCATM_DATA`, else the crate's `data/`.
fn data_dir() -> PathBuf {
    std::env::var_os("GCATM_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data"))
}

/// The full 20ng-1883 check of the issue (K = 20, 50 batch iterations): about 30 s in a release
/// build on this shared 2-core machine, too slow for a debug `cargo test`. Run it with
/// `cargo test --release --test baseline_lda -- --ignored --nocapture`.
///
/// scikit-learn's batch LDA at seed 0 scores NPMI 0.198, TD@25 0.666, purity 0.326 and NMI 0.340
/// here; this model starts from the same draws and scored the same to three decimals.
#[test]
#[ignore]
fn lda_20ng_quality() {
    let (train, test) = gcatm::corpus::load_20ng_1883(&data_dir()).unwrap();
    let reference = train.concat(&test).unwrap();
    let evaluator = Evaluator::new(&reference, Some(&test)).unwrap();
    let model = Lda::new(20).seed(0).fit(&train).unwrap();
    let e = model.evaluate(&evaluator).unwrap();
    let c = e.clustering.clone().unwrap();
    eprintln!(
        "K = 20: NPMI {:.4}, TD@25 {:.3}, purity {:.3}, NMI {:.3}",
        e.npmi.mean, e.td, c.purity, c.nmi
    );
    assert!((e.npmi.mean - 0.198).abs() <= 0.02);
    assert!(e.td >= 0.6);
    assert!((c.purity - 0.326).abs() <= 0.03);
    assert!((c.nmi - 0.340).abs() <= 0.03);
}

/// The same seed starts from scikit-learn's starting point (numpy's `RandomState`), so two batch
/// passes on 20ng-1883 give scikit-learn's topics and held-out proportions
/// (`tests/data/lda_golden.json`) up to summation order. Its last-bit differences pass through two
/// E-steps whose per-document stopping test (mean change < 1e-3) is a threshold, and reach about
/// 1e-9 relative on `lambda` (measured 1.3e-9); 1e-7 still fails on any real change of the method
/// (a different start moves `lambda` by whole units).
#[test]
fn seed_for_seed_equal_to_scikit_learn() {
    let (train, test) = gcatm::corpus::load_20ng_1883(&data_dir()).unwrap();
    let golden: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/lda_golden.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let model = Lda::new(20).iterations(2).seed(0).fit(&train).unwrap();
    let lambda = model.lambda();
    let words = model.top_words(10);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-7 * b.abs().max(1.0);
    for (t, g) in golden["topics"].as_array().unwrap().iter().enumerate() {
        let want: Vec<&str> = g["top_words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert_eq!(words[t], want, "topic {t}");
        let sum = lambda.row(t).sum();
        assert!(
            close(sum, g["lambda_sum"].as_f64().unwrap()),
            "topic {t}: sum {sum}"
        );
        for (w, value) in want.iter().zip(g["top_lambda"].as_array().unwrap()) {
            let id = model.vocab().id(w).unwrap() as usize;
            let (got, want) = (lambda[[t, id]], value.as_f64().unwrap());
            assert!(close(got, want), "topic {t}, {w}: {got} vs {want}");
        }
    }
    let theta = model.transform(&test).unwrap();
    for (d, row) in golden["transform_first_4_test_docs"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (t, x) in row.as_array().unwrap().iter().enumerate() {
            let (got, want) = (theta[[d, t]], x.as_f64().unwrap());
            assert!(
                (got - want).abs() <= 1e-7,
                "doc {d}, topic {t}: {got} vs {want}"
            );
        }
    }
}

fn gcatm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args(args)
        .env("GCATM_DATA", "/nonexistent-gcatm-data")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A planted corpus written as text, one document per line.
fn planted_text(dir: &tempfile::TempDir) -> PathBuf {
    let planted = PlantedCorpus::builder().topics(4).docs(400).seed(2).build();
    let c = &planted.corpus;
    let mut text = String::new();
    for d in 0..c.n_docs() {
        let (ids, counts) = c.doc(d);
        let mut words = Vec::new();
        for (&w, &n) in ids.iter().zip(counts) {
            for _ in 0..n as usize {
                words.push(c.vocab().word(w as usize));
            }
        }
        text.push_str(&words.join(" "));
        text.push('\n');
    }
    let path = dir.path().join("planted.txt");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn cli_writes_a_run_folder_and_prints_the_floor() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = planted_text(&dir);
    let out = dir.path().join("run");
    let (ok, stdout, stderr) = gcatm(&[
        "baseline",
        "lda",
        "--topics",
        "4",
        "--corpus",
        corpus.to_str().unwrap(),
        "--iterations",
        "20",
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let npmi = summary["npmi"].as_f64().unwrap();
    let floor = summary["floor_npmi_mean"].as_f64().unwrap();
    assert!(npmi > floor + 0.1, "NPMI {npmi} vs floor {floor}");
    for f in ["config.json", "corpus.json", "topics.txt", "metrics.json"] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let topics = std::fs::read_to_string(out.join("topics.txt")).unwrap();
    assert_eq!(topics.lines().count(), 4);
    assert!(topics.lines().all(|l| l.split(' ').count() == 10));
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(
        metrics["final_evaluation"]["npmi"]["mean"].as_f64(),
        Some(npmi)
    );
    assert!(metrics["floor"]["mean"].is_number());
    let config: LdaConfig =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    assert_eq!((config.topics, config.alpha), (4, Some(0.25)));

    let (ok, stdout, stderr) = gcatm(&[
        "baseline",
        "floor",
        "--topics",
        "4",
        "--corpus",
        corpus.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let f: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(f["mean"].as_f64(), Some(floor));
    assert_eq!(f["measure"], "npmi");
}

#[test]
fn cli_rejects_bad_settings_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = planted_text(&dir);
    let corpus = corpus.to_str().unwrap();
    for (args, needle) in [
        (vec!["--topics", "0"], "at least 1"),
        (vec!["--topics", "100000"], "must not exceed the vocabulary"),
        (vec!["--topics", "3", "--alpha", "NaN"], "alpha"),
    ] {
        let out = dir.path().join("bad");
        let mut all = vec!["baseline", "lda", "--corpus", corpus];
        all.extend(args.iter().copied());
        all.extend(["--out", out.to_str().unwrap()]);
        let (ok, _, stderr) = gcatm(&all);
        assert!(!ok);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
