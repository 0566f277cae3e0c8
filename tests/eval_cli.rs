//! `gcatm coherence` on the golden topics and on a tiny text corpus.
mod corpus_common;
use std::path::PathBuf;
use std::process::Command;

fn data_dir() -> PathBuf {
    corpus_common::data_root()
}

fn golden() -> serde_json::Value {
    let path = corpus_common::test_data("npmi_golden.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn gcatm(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn golden_topics_file(dir: &tempfile::TempDir, extra_line: Option<&str>) -> PathBuf {
    let g = golden();
    let mut text = String::new();
    for t in g["topics"].as_array().unwrap() {
        let words: Vec<&str> = t
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        text.push_str(&words.join(" "));
        text.push('\n');
    }
    if let Some(line) = extra_line {
        text.push_str(line);
        text.push('\n');
    }
    let path = dir.path().join("topics.txt");
    std::fs::write(&path, text).unwrap();
    path
}

fn per_topic(json: &serde_json::Value, key: &str) -> Vec<f64> {
    json["per_topic"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t[key].as_f64().unwrap())
        .collect()
}

#[test]
fn eval_cli_golden_topics_json() {
    let data = data_dir();
    let tmp = tempfile::tempdir().unwrap();
    let topics = golden_topics_file(&tmp, None);
    let reference = data.join("20ng");
    let vocab = data.join("20news_clean_sample/vocab.pkl");
    let g = golden();
    let base = [
        "coherence",
        "--topics",
        topics.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--restrict-vocab",
        vocab.to_str().unwrap(),
        "--measures",
        "npmi,uci,umass,cv",
        "--json",
    ];
    for (eps, key) in [
        (None, "npmi_ours_per_topic"),
        (Some("1e-12"), "npmi_gensim_per_topic"),
    ] {
        let mut args = base.to_vec();
        if let Some(e) = eps {
            args.extend(["--npmi-eps", e]);
        }
        let (ok, stdout, stderr) = gcatm(&args);
        assert!(ok, "gcatm coherence failed: {stderr}");
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let want: Vec<f64> = g[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let got = per_topic(&json, "npmi");
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-6, "{key}: {a} vs {b}");
        }
        let mean = json["npmi"].as_f64().unwrap();
        assert!((mean - want.iter().sum::<f64>() / 5.0).abs() <= 1e-6);
        for m in ["uci", "umass", "cv"] {
            assert!(json[m].is_f64(), "missing mean of {m}");
            assert_eq!(per_topic(&json, m).len(), 5);
        }
        assert_eq!(json["missing_words"], serde_json::json!([]));
        assert_eq!(json["reference"]["docs"], 18846);
        assert_eq!(json["reference"]["vocab_size"], 1883);
        assert_eq!(json["per_topic"][0]["words"][0], "god");
    }
}

/// Unknown words are reported (stderr and JSON), the topic is scored without them, and
/// `--strict` turns them into an error.
#[test]
fn eval_cli_reports_missing_words() {
    let data = data_dir();
    let tmp = tempfile::tempdir().unwrap();
    let topics = golden_topics_file(&tmp, Some("space nasa qwertyuiop orbit zxcvbnm"));
    let reference = data.join("20ng");
    let vocab = data.join("20news_clean_sample/vocab.pkl");
    let args = [
        "coherence",
        "--topics",
        topics.to_str().unwrap(),
        "--reference",
        reference.to_str().unwrap(),
        "--restrict-vocab",
        vocab.to_str().unwrap(),
        "--json",
    ];
    let (ok, stdout, stderr) = gcatm(&args);
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("qwertyuiop") && stderr.contains("zxcvbnm"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["missing_words"],
        serde_json::json!(["qwertyuiop", "zxcvbnm"])
    );
    let last = &json["per_topic"][5];
    assert_eq!(last["words"], serde_json::json!(["space", "nasa", "orbit"]));
    assert_eq!(
        last["missing"],
        serde_json::json!(["qwertyuiop", "zxcvbnm"])
    );
    assert!(last["npmi"].as_f64().unwrap() > 0.3);
    assert!(
        json.get("cv").is_none(),
        "only requested measures have keys"
    );

    let mut strict = args.to_vec();
    strict.push("--strict");
    let (ok, _, stderr) = gcatm(&strict);
    assert!(!ok);
    assert!(stderr.contains("qwertyuiop"), "{stderr}");
}

/// The table output, on a corpus of three text lines (no data files needed).
#[test]
fn eval_cli_table_on_text_corpus() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("docs.txt");
    std::fs::write(
        &corpus,
        "rocket orbit launch\nrocket orbit\nhockey goal puck\nhockey puck season\n",
    )
    .unwrap();
    let topics = tmp.path().join("topics.txt");
    std::fs::write(&topics, "rocket orbit\n\nhockey puck goal\n").unwrap();
    let (ok, stdout, stderr) = gcatm(&[
        "coherence",
        "--topics",
        topics.to_str().unwrap(),
        "--reference",
        corpus.to_str().unwrap(),
        "--measures",
        "npmi,umass",
    ]);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("npmi") && stdout.contains("umass"),
        "{stdout}"
    );
    assert!(stdout.contains("mean"), "{stdout}");
    // rocket and orbit are in the same 2 of 4 documents: P = 1/2 each and together,
    // NPMI = ln((1/2) / (1/4)) / -ln(1/2) = 1.
    assert!(stdout.contains("1.0000"), "{stdout}");

    let (ok, _, stderr) = gcatm(&[
        "coherence",
        "--topics",
        topics.to_str().unwrap(),
        "--reference",
        corpus.to_str().unwrap(),
        "--measures",
        "npmi,bogus",
    ]);
    assert!(!ok && stderr.contains("bogus"), "{stderr}");
}
