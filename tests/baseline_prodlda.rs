//! ProdLDA (`gcatm::baseline::ProdLda`): planted topics recovered, the same run from the same
//! seed and from a checkpoint, gradients of the loss against central differences, bad input as
//! errors, the run folder and the CLI; and its quality on 20ng-1883 at a short budget.
//!
//! The 200-epoch comparison with TopMost (seeds 0-4, K = 20 and 50) and the side-by-side speed
//! are measured outside the tests (README, "Baselines").
use gcatm::baseline::{fit_to_folder, BaselineError, ProdLda, ProdLdaConfig};
use gcatm::corpus::{Corpus, PlantedCorpus};
use gcatm::eval::Evaluator;
use gcatm::train::RunFolder;
use std::process::Command;

fn small(topics: usize) -> ProdLdaConfig {
    ProdLdaConfig {
        hidden: 64,
        batch_size: 50,
        ..ProdLdaConfig::new(topics)
    }
}

#[test]
fn prodlda_recovers_the_planted_topics() {
    let planted = PlantedCorpus::builder()
        .topics(8)
        .docs(1500)
        .seed(0)
        .build();
    let mut model = ProdLda::new(small(8), &planted.corpus).unwrap();
    model.fit(60, |_| {}).unwrap();
    let found = planted.recovered(&model.top_words(10));
    assert!(found >= 7, "recovered {found} of 8 planted topics");
    let evaluator = Evaluator::new(&planted.corpus, Some(&planted.corpus)).unwrap();
    let e = model.evaluate(&evaluator).unwrap();
    let floor = evaluator.npmi_floor(8).unwrap();
    assert!(
        e.npmi.mean > floor.mean + 10.0 * floor.std,
        "NPMI {} vs floor {floor}",
        e.npmi.mean
    );
    let c = e.clustering.unwrap();
    assert!(c.purity > 0.6, "purity {}", c.purity);
    // The loss went down.
    let losses: Vec<f64> = model
        .history()
        .epochs
        .iter()
        .map(|r| r.loss.unwrap())
        .collect();
    assert!(losses.last().unwrap() < &(0.9 * losses[0]), "{losses:?}");
}

#[test]
fn same_seed_same_run_and_a_checkpoint_resumes_it_exactly() {
    let planted = PlantedCorpus::builder().topics(4).docs(300).seed(3).build();
    let run = |seed| {
        let mut m = ProdLda::new(ProdLdaConfig { seed, ..small(4) }, &planted.corpus).unwrap();
        m.fit(4, |_| {}).unwrap();
        m
    };
    let (a, b, c) = (run(1), run(1), run(2));
    assert_eq!(a.topic_word().unwrap(), b.topic_word().unwrap());
    assert_ne!(a.topic_word().unwrap(), c.topic_word().unwrap());
    // Two epochs, a checkpoint, two more: the same weights as four in one go.
    let dir = tempfile::tempdir().unwrap();
    let mut first = ProdLda::new(
        ProdLdaConfig {
            seed: 1,
            ..small(4)
        },
        &planted.corpus,
    )
    .unwrap();
    first.fit(2, |_| {}).unwrap();
    first
        .save_checkpoint(&dir.path().join("ck"), false)
        .unwrap();
    let mut resumed = ProdLda::load_checkpoint(&dir.path().join("ck"), &planted.corpus).unwrap();
    assert_eq!(resumed.epoch(), 2);
    resumed.fit(4, |_| {}).unwrap();
    assert_eq!(resumed.topic_word().unwrap(), a.topic_word().unwrap());
    assert_eq!(resumed.history().epochs.len(), 4);
    let theta = resumed.transform(&planted.corpus).unwrap();
    assert_eq!(theta, a.transform(&planted.corpus).unwrap());
    assert!(theta
        .rows()
        .into_iter()
        .all(|r| (r.sum() - 1.0).abs() < 1e-5));
    // A weights-only folder cannot continue the run.
    a.save_checkpoint(&dir.path().join("w"), true).unwrap();
    let w = ProdLda::load_checkpoint(&dir.path().join("w"), &planted.corpus).unwrap();
    assert_eq!(w.top_words(10), a.top_words(10));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let planted = PlantedCorpus::builder().topics(4).docs(100).seed(1).build();
    let c = &planted.corpus;
    let err = |config: ProdLdaConfig, corpus: &Corpus| match ProdLda::new(config, corpus) {
        Err(e) => e,
        Ok(_) => panic!("accepted"),
    };
    assert!(matches!(err(small(0), c), BaselineError::NoTopics));
    assert!(matches!(
        err(small(100_000), c),
        BaselineError::TooManyTopics { .. }
    ));
    for (config, needle) in [
        (
            ProdLdaConfig {
                dropout: 1.0,
                ..small(4)
            },
            "dropout",
        ),
        (
            ProdLdaConfig {
                batch_size: 1,
                ..small(4)
            },
            "batch_size",
        ),
        (
            ProdLdaConfig {
                learning_rate: f64::NAN,
                ..small(4)
            },
            "learning_rate",
        ),
        (
            ProdLdaConfig {
                device: "tpu".into(),
                ..small(4)
            },
            "device",
        ),
    ] {
        let e = err(config, c).to_string();
        assert!(e.contains(needle), "{e}");
    }
    // A checkpoint of another corpus, and a folder that holds none.
    let dir = tempfile::tempdir().unwrap();
    let mut m = ProdLda::new(small(4), c).unwrap();
    m.fit(1, |_| {}).unwrap();
    m.save_checkpoint(&dir.path().join("ck"), false).unwrap();
    let other = PlantedCorpus::builder()
        .topics(4)
        .docs(100)
        .vocab_size(77)
        .seed(1)
        .build();
    let e = ProdLda::load_checkpoint(&dir.path().join("ck"), &other.corpus)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("model.safetensors"), "{e}");
    let e = ProdLda::load_checkpoint(&dir.path().join("none"), c)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("state.json"), "{e}");
}

#[test]
fn the_run_folder_holds_what_a_training_run_holds() {
    let planted = PlantedCorpus::builder().topics(4).docs(300).seed(2).build();
    let dir = tempfile::tempdir().unwrap();
    let folder = RunFolder::new(dir.path()).lock().unwrap();
    let mut model = ProdLda::new(
        ProdLdaConfig {
            eval_every: 2,
            ..small(4)
        },
        &planted.corpus,
    )
    .unwrap();
    let evaluator = Evaluator::new(&planted.corpus, None).unwrap();
    let summary = fit_to_folder(&mut model, 4, &folder, Some(&evaluator), |_| {}).unwrap();
    assert_eq!(summary.epochs, 4);
    assert_eq!(folder.checkpoint_epoch(), Some(4));
    let history = gcatm::experiments::reproduce::read_history(folder.path()).unwrap();
    assert_eq!(history.epochs.len(), 4);
    assert_eq!(history.metric("npmi").len(), 2);
    assert!(history.epochs.iter().all(|r| r.loss.is_some()));
    let topics = std::fs::read_to_string(folder.topics()).unwrap();
    assert_eq!(topics.lines().count(), 4);
    let best = summary.best_npmi.unwrap();
    assert!(folder.best().join("model.safetensors").exists());
    assert!(!folder.best().join("optimizer.safetensors").exists());
    assert_eq!(
        summary.final_evaluation.unwrap().npmi.mean,
        history.metric("npmi").last().unwrap().1
    );
    assert!(best.1 >= history.metric("npmi")[0].1);
}

/// A short run on 20ng-1883 (K = 20, 40 of TopMost's 200 epochs): already well above the
/// random floor and variational LDA's coherence. Bounds from seeds 0-2 of this budget.
#[test]
fn prodlda_20ng_quality_at_40_epochs() {
    let data =
        gcatm::experiments::reproduce::load_data(gcatm::experiments::Budget::Cpu, None).unwrap();
    let evaluator = data.evaluator().unwrap();
    let mut model = ProdLda::new(ProdLdaConfig::new(20), &data.train).unwrap();
    model.fit(40, |_| {}).unwrap();
    let e = model.evaluate(&evaluator).unwrap();
    eprintln!("NPMI {:.4} TD@25 {:.3}", e.npmi.mean, e.td);
    assert!(e.npmi.mean > 0.20, "NPMI {}", e.npmi.mean);
    assert!(e.td > 0.6, "TD@25 {}", e.td);
}

/// A planted corpus written as text, one document per line.
fn planted_text(dir: &std::path::Path) -> String {
    let planted = PlantedCorpus::builder().topics(8).docs(400).seed(2).build();
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
    let path = dir.join("planted.txt");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
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

#[test]
fn cli_trains_resumes_and_refuses_a_taken_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = out.to_str().unwrap();
    let corpus = planted_text(dir.path());
    let base = [
        "baseline",
        "prodlda",
        "--corpus",
        &corpus,
        "--topics",
        "8",
        "--hidden",
        "32",
        "--batch-size",
        "64",
    ];
    let (ok, stdout, stderr) =
        gcatm(&[&base[..], &["--epochs", "3", "--out", o, "--json"]].concat());
    assert!(ok, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["epochs"], 3);
    assert!(summary["npmi"].as_f64().unwrap() > summary["floor_npmi_mean"].as_f64().unwrap());
    for f in [
        "config.json",
        "corpus.json",
        "topics.txt",
        "metrics.json",
        "history.jsonl",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // The same folder again is refused, naming the way to continue it.
    let (ok, _, stderr) = gcatm(&[&base[..], &["--epochs", "3", "--out", o]].concat());
    assert!(!ok && stderr.contains("--resume"), "{stderr}");
    let (ok, stdout, stderr) = gcatm(&[
        "baseline", "prodlda", "--resume", o, "--epochs", "5", "--json",
    ]);
    assert!(ok, "{stderr}");
    let resumed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(resumed["epochs"], 5);
    // Five epochs in one go give the same topics.
    let other = dir.path().join("other");
    let (ok, stdout, stderr) = gcatm(
        &[
            &base[..],
            &["--epochs", "5", "--out", other.to_str().unwrap(), "--json"],
        ]
        .concat(),
    );
    assert!(ok, "{stderr}");
    let straight: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(straight["npmi"], resumed["npmi"]);
    assert_eq!(
        std::fs::read_to_string(out.join("topics.txt")).unwrap(),
        std::fs::read_to_string(other.join("topics.txt")).unwrap()
    );
    let (ok, _, stderr) = gcatm(&[
        "baseline",
        "prodlda",
        "--topics",
        "4",
        "--dropout",
        "1.5",
        "--out",
        o,
    ]);
    assert!(
        !ok && stderr.contains("dropout") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
