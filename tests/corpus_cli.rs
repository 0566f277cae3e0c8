//! The `gcatm corpus` and `gcatm data` commands, run as the binary.
mod corpus_common;

use corpus_common::data_root;
use std::process::{Command, Output};

fn gcatm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args(args)
        .env_remove("GCATM_DATA")
        .output()
        .unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "gcatm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(
        text.trim().lines().count(),
        1,
        "not exactly one JSON line: {text}"
    );
    serde_json::from_str(text.trim()).unwrap()
}

#[test]
fn stats_20ng_train_json() {
    let dir = data_root().join("20ng");
    let j = stdout_json(&gcatm(&[
        "corpus",
        "stats",
        dir.to_str().unwrap(),
        "--split",
        "train",
        "--json",
    ]));
    let keys: Vec<&str> = j.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert_eq!(j["docs"], 11314);
    assert_eq!(j["vocab"], 5000);
    assert_eq!(j["labels"], 20);
    assert_eq!(j["dropped_empty"], 0);
    assert_eq!(j["tokens"].as_f64().unwrap(), 1_250_680.0);
    let mean = j["mean_len"].as_f64().unwrap();
    assert!((mean - 1_250_680.0 / 11314.0).abs() < 1e-9);
}

#[test]
fn stats_20ng_train_restricted_to_20news_clean_vocab() {
    let root = data_root();
    let j = stdout_json(&gcatm(&[
        "corpus",
        "stats",
        root.join("20ng").to_str().unwrap(),
        "--split",
        "train",
        "--restrict-vocab",
        root.join("20news_clean_sample/vocab.pkl").to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(j["vocab"], 1883);
    assert_eq!(j["docs"], 11314);
    assert_eq!(j["dropped_empty"], 0);
    assert_eq!(j["tokens"].as_f64().unwrap(), 854_534.0);
    assert_eq!(j["labels"], 20);
}

#[test]
fn stats_looks_names_up_in_the_data_dir() {
    let root = data_root();
    let j = stdout_json(&gcatm(&[
        "corpus",
        "stats",
        "20ng",
        "--data-dir",
        root.to_str().unwrap(),
        "--split",
        "test",
        "--json",
    ]));
    assert_eq!(j["docs"], 7532);
    // And through $GCATM_DATA.
    let out = Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args(["corpus", "stats", "20news_clean_sample", "--json"])
        .env("GCATM_DATA", &root)
        .output()
        .unwrap();
    let j = stdout_json(&out);
    assert_eq!(j["docs"], 98);
    assert_eq!(j["dropped_empty"], 4);
    assert_eq!(j["tokens"].as_f64().unwrap(), 3889.0);
}

#[test]
fn stats_human_readable_and_text_options() {
    let root = data_root();
    let out = gcatm(&[
        "corpus",
        "stats",
        root.join("20news_clean_sample").to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "documents      98",
        "vocabulary     1995",
        "dropped empty  4",
    ] {
        assert!(text.contains(want), "{text}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs.txt");
    std::fs::write(&docs, "orbit rocket\norbit moon\n".repeat(15)).unwrap();
    let j = stdout_json(&gcatm(&[
        "corpus",
        "stats",
        docs.to_str().unwrap(),
        "--no-above",
        "1.0",
        "--json",
    ]));
    assert_eq!(
        (j["docs"].as_u64(), j["vocab"].as_u64()),
        (Some(30), Some(3))
    );
}

#[test]
fn stats_errors_exit_nonzero_with_the_file() {
    let root = data_root();
    let out = gcatm(&[
        "corpus",
        "stats",
        root.join("20news_clean_sample").to_str().unwrap(),
        "--split",
        "train",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("train.txt.npy: no such file"), "{err}");
    assert!(err.contains("valid.txt.npy"), "{err}");
    let out = gcatm(&["corpus", "stats", "/no/such/corpus", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/corpus"));
    assert!(out.stdout.is_empty());
    let out = gcatm(&[
        "corpus",
        "stats",
        "no_such_corpus",
        "--data-dir",
        "/nowhere",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nowhere/no_such_corpus"), "{err}");
    assert!(err.contains("GCATM_DATA"), "{err}");
}

#[test]
fn data_dir_lookup_order() {
    let print = |args: &[&str], env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gcatm"));
        c.args(args).env_remove("GCATM_DATA");
        if let Some(v) = env {
            c.env("GCATM_DATA", v);
        }
        let out = c.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(print(&["data", "dir"], None), "data");
    assert_eq!(print(&["data", "dir"], Some("/env/data")), "/env/data");
    assert_eq!(
        print(&["data", "dir", "--dir", "/explicit"], Some("/env/data")),
        "/explicit"
    );
}

#[test]
fn data_verify_local_copies() {
    let root = data_root();
    let tmp = tempfile::tempdir().unwrap();
    let out = gcatm(&[
        "data",
        "verify",
        "20ng",
        "--dir",
        tmp.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("missing"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("gcatm data fetch 20ng"));
    // The data folder holds the 20ng files as published.
    let out = gcatm(&["data", "verify", "20ng", "--dir", root.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert_eq!(text.matches("ok ").count(), 5, "{text}");
    let out = gcatm(&["data", "fetch", "nips"]);
    assert!(!out.status.success());
}
