//! `gcatm train` as a user runs it: the README's main command on the shipped 20ng-1883, the
//! planted fallback, and a bad corpus file under `RUST_BACKTRACE=1`.
mod corpus_common;

use std::process::{Command, Output};

fn gcatm(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gcatm"));
    c.args(args).env_remove("GCATM_DATA");
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The README's main command (shortened to one epoch): real data, the entry's settings, and an
/// ending that puts NPMI and TD beside the random floor and the three model baselines for that K.
/// The baselines are read from a kept file beside the run folder (the K = 50 baselines shipped
/// with the notebooks' sweep, fitted on the same 20ng-1883 by the same code), so that the test
/// does not fit ProdLDA; the planted test below fits them.
#[test]
fn main_command_trains_an_entry_on_shipped_20ng_and_reports_the_baselines() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("first");
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let shipped: serde_json::Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/notebooks/sweeps/20ng-entry11/baselines-k50.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut kept = shipped.clone();
    kept["corpus"] =
        format!("20ng-1883 from {data} (11314 train, 7532 test documents, V = 1883)").into();
    std::fs::write(
        tmp.path().join("baselines-k50.json"),
        serde_json::to_vec(&kept).unwrap(),
    )
    .unwrap();
    let out = gcatm(
        &[
            "train",
            "--entry",
            "11",
            "--epochs",
            "1",
            "--out",
            out_dir.to_str().unwrap(),
        ],
        &[("GCATM_DATA", data)],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("20ng-1883"), "{stderr}");
    assert!(stderr.contains("K = 50, variant mean"), "{stderr}");
    // 50 topic lines, then NPMI with the floor for K = 50 and TD@25.
    let topic_lines = stderr
        .lines()
        .filter(|l| {
            l.trim_start()
                .split_once("  ")
                .is_some_and(|(i, _)| i.parse::<usize>().is_ok())
        })
        .count();
    assert_eq!(topic_lines, 50, "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("NPMI "))
        .unwrap_or_else(|| panic!("no NPMI line: {stderr}"));
    assert!(line.contains("random-topic floor"), "{line}");
    assert!(line.contains("K = 50, 20 draws"), "{line}");
    assert!(line.contains("TD@25"), "{line}");
    // Then the three model baselines, read back (not fitted: no notice) with their numbers.
    assert!(!stderr.contains("fitting the baselines"), "{stderr}");
    let b = &shipped["baselines"];
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("baseline "))
        .collect();
    let expected = [
        ("LDA (variational)", &b["lda_npmi"], &b["lda_td"]),
        (
            "LDA (Gibbs, tomotopy's settings)",
            &b["gibbs"]["npmi"],
            &b["gibbs"]["td"],
        ),
        (
            "ProdLDA (TopMost's settings)",
            &b["prodlda"]["npmi"],
            &b["prodlda"]["td"],
        ),
    ];
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, (name, npmi, td)) in lines.iter().zip(expected) {
        let (npmi, td) = (npmi.as_f64().unwrap(), td.as_f64().unwrap());
        assert!(
            line.starts_with(&format!(
                "baseline {name}, K = 50: NPMI {npmi:.3}, TD@25 {td:.3}"
            )),
            "{line}"
        );
    }
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["topics"], 50);
    assert_eq!(config["g_lr_scale"], 1.0);
    assert_eq!(config["eval_every"], 10);
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(summary["epochs"], 1);
}

/// Without corpora the planted corpus is used, K defaults to its 10 topics, and the run says how
/// many planted topics it recovered.
#[test]
fn planted_fallback_defaults_k_and_reports_recovered_topics() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("no-data");
    std::fs::create_dir(&empty).unwrap();
    let out_dir = tmp.path().join("run");
    let out = gcatm(
        &["train", "--epochs", "2", "--out", out_dir.to_str().unwrap()],
        &[("GCATM_DATA", empty.to_str().unwrap())],
    );
    let (_, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("planted corpus"), "{stderr}");
    assert!(stderr.contains("K = 10,"), "{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.starts_with("recovered "))
        .unwrap_or_else(|| panic!("no recovered line: {stderr}"));
    let n: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(
        line.contains(&format!("recovered {n} of 10 planted topics")),
        "{line}"
    );
    assert!(n <= 10);
    // The three model baselines for K = 10, fitted on the planted documents and kept beside the
    // run folder, each above the floor.
    assert!(
        stderr.contains("fitting the baselines for K = 10"),
        "{stderr}"
    );
    assert!(tmp.path().join("baselines-k10.json").exists());
    let baselines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("baseline "))
        .collect();
    assert_eq!(baselines.len(), 3, "{stderr}");
    for l in baselines {
        let npmi: f64 = l.split("NPMI ").nth(1).unwrap()[..5].parse().unwrap();
        assert!(npmi > 0.2, "{l}");
    }
}

/// A corrupt corpus file: one error naming the file, and no backtrace even when the user has
/// `RUST_BACKTRACE=1` set (backtraces are for panics).
#[test]
fn bad_corpus_prints_one_error_without_backtrace() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = tmp.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    let ng = corpus_common::data_root().join("20ng");
    for f in ["vocab.txt", "test_bow.npz"] {
        std::fs::copy(ng.join(f), corpus.join(f)).unwrap();
    }
    std::fs::write(
        corpus.join("train_bow.npz"),
        b"PK\x03\x04 this is not a zip archive",
    )
    .unwrap();
    let out = gcatm(
        &[
            "train",
            "--corpus",
            corpus.to_str().unwrap(),
            "--epochs",
            "1",
            "--out",
            tmp.path().join("run").to_str().unwrap(),
        ],
        &[("RUST_BACKTRACE", "1")],
    );
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(stderr.contains("train_bow.npz"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.to_lowercase().contains("backtrace"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}
