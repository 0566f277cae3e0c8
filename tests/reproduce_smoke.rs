//! `gcatm reproduce` and `gcatm::experiments::reproduce` at the smoke budget (planted corpus, seconds).
use gcatm::experiments::reproduce::{
    load_data, read_row, read_summary, run_all, write_summary, Progress, ReproduceError,
    SummaryRow, SUMMARY_FILE,
};
use gcatm::experiments::{entry, Budget};
use std::path::Path;
use std::process::Command;

/// The keys every object of summary.json carries.
const KEYS: [&str; 14] = [
    "entry",
    "id",
    "section",
    "K",
    "best_npmi",
    "best_epoch",
    "final_npmi",
    "td",
    "cv",
    "wall_seconds",
    "device",
    "budget",
    "machine",
    "error",
];

fn check_run_folder(dir: &Path) {
    for f in [
        "config.json",
        "history.jsonl",
        "topics.txt",
        "metrics.json",
        "reproduce.json",
    ] {
        assert!(
            dir.join(f).is_file(),
            "{} is missing",
            dir.join(f).display()
        );
    }
    for d in ["checkpoint", "best"] {
        assert!(dir.join(d).is_dir(), "{} is missing", dir.join(d).display());
    }
    // The evaluation before training (epoch 0), then one line per epoch.
    let history = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    assert_eq!(history.lines().count(), Budget::Smoke.epochs() + 1);
    let first: serde_json::Value = serde_json::from_str(history.lines().next().unwrap()).unwrap();
    assert_eq!(first["epoch"], 0);
    assert!(first["npmi"].as_f64().is_some_and(f64::is_finite));
}

fn check_keys(value: &serde_json::Value) {
    let obj = value.as_object().expect("a summary row is a JSON object");
    for k in KEYS {
        assert!(obj.contains_key(k), "key `{k}` missing from {value}");
    }
    assert_eq!(obj["budget"], "smoke");
    assert!(obj["best_npmi"].as_f64().is_some_and(f64::is_finite));
    assert!(obj["cv"].as_f64().is_some_and(f64::is_finite));
    assert!(obj["td"].as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)));
    assert!(obj["error"].is_null());
}

/// Rows equal up to the last bit of their floats (serde_json's default float parsing may be one
/// ulp off).
fn assert_same(a: &[SummaryRow], b: &[SummaryRow]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        let close = |p: Option<f64>, q: Option<f64>| match (p, q) {
            (Some(p), Some(q)) => (p - q).abs() <= 1e-12 * p.abs().max(1.0),
            (p, q) => p == q,
        };
        assert_eq!(
            (&x.entry, x.budget, x.best_epoch),
            (&y.entry, y.budget, y.best_epoch)
        );
        assert!(close(x.best_npmi, y.best_npmi) && close(x.final_npmi, y.final_npmi));
        assert!(close(x.cv, y.cv) && close(x.td, y.td), "{x:?} vs {y:?}");
    }
}

#[test]
fn cli_runs_one_entry_into_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    let output = Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args(["reproduce", "12", "--budget", "smoke", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir = out.join("12");
    check_run_folder(&dir);
    // stdout is the entry's summary row, with the summary's keys.
    let row: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    check_keys(&row);
    assert_eq!(row["entry"], "12");
    assert_eq!(row["K"], 50);
    assert_eq!(row["lr"], 1e-6);
    let saved = read_row(&dir).unwrap();
    assert_eq!(serde_json::to_value(&saved).unwrap(), row);
    // A single entry does not write the summary of --all.
    assert!(!out.join(SUMMARY_FILE).exists());
    // Running it again replaces the run instead of continuing it.
    let again = Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args([
            "reproduce",
            "2021-08-27-12-19",
            "--budget",
            "smoke",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(again.status.success());
    check_run_folder(&dir);
}

#[test]
fn summary_of_two_entries_has_the_right_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let data = load_data(Budget::Smoke, None).unwrap();
    let list = [entry("1").unwrap(), entry("9b").unwrap()];
    let mut events = Vec::new();
    let rows = run_all(&list, Budget::Smoke, &data, tmp.path(), |p| {
        events.push(match p {
            Progress::Start(e, i, n) => format!("start {} {i}/{n}", e.label),
            Progress::Epoch(e, r) => format!("epoch {} {}", e.label, r.epoch),
            Progress::Done(r) => format!("done {}", r.entry),
        })
    })
    .unwrap();
    assert_eq!(
        events,
        [
            "start 1 0/2",
            "epoch 1 1",
            "epoch 1 2",
            "done 1",
            "start 9b 1/2",
            "epoch 9b 1",
            "epoch 9b 2",
            "done 9b"
        ]
    );
    let path = tmp.path().join(SUMMARY_FILE);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let arr = json.as_array().expect("summary.json is a JSON array");
    assert_eq!(arr.len(), 2);
    arr.iter().for_each(check_keys);
    assert_eq!(
        (arr[0]["entry"].as_str(), arr[0]["section"].as_u64()),
        (Some("1"), Some(1))
    );
    assert_eq!(
        (arr[1]["entry"].as_str(), arr[1]["section"].as_u64()),
        (Some("9b"), Some(2))
    );
    assert_eq!(arr[0]["K"], 100);
    assert_eq!(arr[1]["reported_npmi"], 0.03013);
    // The smoke budget caps entry 9b's batch of 1024 at 64.
    assert_eq!(arr[1]["batch_size"], 64);
    for r in &rows {
        check_run_folder(&tmp.path().join(&r.entry));
        let (epoch, npmi) = (r.best_epoch.unwrap(), r.best_npmi.unwrap());
        // The best may be the evaluation before training (epoch 0) at this budget.
        assert!((0..=2).contains(&epoch) && npmi <= 1.0);
    }
    assert_same(&read_summary(&path).unwrap(), &rows);
    // No temporary file is left beside the summary.
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");

    // Finished runs of the same configuration are read back, not trained again.
    let mut trained = 0;
    let again = run_all(&list, Budget::Smoke, &data, tmp.path(), |p| {
        trained += matches!(p, Progress::Epoch(..)) as usize
    })
    .unwrap();
    assert_eq!(trained, 0);
    assert_same(&again, &rows);
}

#[test]
fn summary_writer_round_trips_and_replaces() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("nested").join(SUMMARY_FILE);
    let e = entry("4").unwrap();
    let mut row = SummaryRow::new(e, Budget::Cpu, &tmp.path().join("4"), "test corpus");
    assert!(!row.is_complete());
    row.best_npmi = Some(0.05);
    row.best_epoch = Some(3);
    write_summary(&path, std::slice::from_ref(&row)).unwrap();
    assert_eq!(read_summary(&path).unwrap(), vec![row.clone()]);
    let mut failed = SummaryRow::new(entry("5").unwrap(), Budget::Cpu, tmp.path(), "c");
    failed.error = Some("training diverged".into());
    write_summary(&path, &[row.clone(), failed.clone()]).unwrap();
    let back = read_summary(&path).unwrap();
    assert_eq!(back, vec![row, failed]);
    assert!(back[0].is_complete() && !back[1].is_complete());
    assert!(read_summary(&tmp.path().join("absent.json")).is_err());
}

#[test]
fn cpu_budget_without_data_says_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let err = load_data(Budget::Cpu, Some(tmp.path())).unwrap_err();
    assert!(matches!(err, ReproduceError::MissingData { .. }));
    let output = Command::new(env!("CARGO_BIN_EXE_gcatm"))
        .args(["reproduce", "1", "--budget", "cpu", "--data"])
        .arg(tmp.path())
        .arg("--out")
        .arg(tmp.path().join("runs"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("20ng-1883") && stderr.contains("gcatm data fetch 20ng"),
        "{stderr}"
    );
    assert!(!tmp.path().join("runs").exists());
}

#[test]
fn unknown_entry_and_bad_budget_are_refused() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gcatm"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "reproduce",
        "13",
        "--budget",
        "smoke",
        "--out",
        "/nonexistent/x",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no log entry `13`"));
    let out = run(&["reproduce", "1", "--budget", "huge"]);
    assert!(!out.status.success());
    let out = run(&["reproduce"]);
    assert!(!out.status.success());
}

/// An interrupted run of the same configuration is continued from its checkpoint and ends as an
/// uninterrupted one does; a finished one is reused; another configuration is trained afresh.
#[test]
fn run_entry_continues_reuses_or_replaces() {
    use gcatm::experiments::reproduce::{run_entry, Origin};
    use gcatm::train::{train_to_dir, Trainer};
    let data = load_data(Budget::Smoke, None).unwrap();
    let evaluator = data.evaluator().unwrap();
    let e = entry("5").unwrap();
    let straight = tempfile::tempdir().unwrap();
    let whole = run_entry(e, Budget::Smoke, &data, &evaluator, straight.path(), |_| {}).unwrap();
    assert_eq!((whole.origin, whole.row.epochs), (Origin::Trained, 2));
    assert!(whole.earlier_epochs().is_empty());

    // The same configuration stopped after its first epoch, in the entry's folder.
    let split = tempfile::tempdir().unwrap();
    let mut first = Trainer::new(e.config(Budget::Smoke), &data.train).unwrap();
    train_to_dir(
        &mut first,
        1,
        &split.path().join(e.label),
        Some(&evaluator),
        |_| {},
    )
    .unwrap();
    let mut trained_now = Vec::new();
    let resumed = run_entry(e, Budget::Smoke, &data, &evaluator, split.path(), |r| {
        trained_now.push(r.epoch)
    })
    .unwrap();
    assert_eq!(resumed.origin, Origin::Resumed(1));
    assert_eq!(trained_now, [2]);
    assert_eq!(
        resumed
            .earlier_epochs()
            .iter()
            .map(|r| r.epoch)
            .collect::<Vec<_>>(),
        [0, 1]
    );
    let losses = |h: &gcatm::train::History| -> Vec<(f64, f64, f64)> {
        h.epochs
            .iter()
            .map(|r| (r.loss_d, r.loss_g, r.loss_e))
            .collect()
    };
    assert_eq!(losses(resumed.history()), losses(whole.history()));
    assert_eq!(resumed.row.best_npmi, whole.row.best_npmi);
    assert_eq!(resumed.row.td, whole.row.td);

    // Finished: loaded, not trained.
    let mut trained = 0;
    let again = run_entry(e, Budget::Smoke, &data, &evaluator, split.path(), |_| {
        trained += 1
    })
    .unwrap();
    assert_eq!((again.origin, trained), (Origin::Reused, 0));
    assert_eq!(again.earlier_epochs().len(), again.history().epochs.len());
    assert_eq!(losses(again.history()), losses(whole.history()));

    // Another entry's configuration in the folder: cleared and trained from the start.
    let other = split.path().join(entry("6").unwrap().label);
    std::fs::rename(split.path().join(e.label), &other).unwrap();
    let e6 = entry("6").unwrap();
    let fresh = run_entry(e6, Budget::Smoke, &data, &evaluator, split.path(), |_| {}).unwrap();
    assert_eq!(fresh.origin, Origin::Trained);
    assert_eq!(*fresh.trainer.config(), e6.config(Budget::Smoke));
}

/// The long run shipped with the notebooks (issue 18) is entry 7 at the `long` budget, and its
/// history is whole: every epoch once, in order, evaluated every 50 with topics and finite
/// metrics.
#[test]
fn shipped_long_run_is_entry_7_at_the_long_budget() {
    use gcatm::experiments::reproduce::read_history;
    use gcatm::train::TrainConfig;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks/long-runs/7");
    let config: TrainConfig =
        serde_json::from_str(&std::fs::read_to_string(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config, entry("7").unwrap().config(Budget::Long));
    let history = read_history(&dir).unwrap();
    // Epochs 1, 2, ... (its binary predates the epoch-0 evaluation): each once, in order.
    let epochs: Vec<usize> = history.epochs.iter().map(|r| r.epoch).collect();
    let gap = epochs.iter().enumerate().find(|(i, e)| **e != i + 1);
    assert!(gap.is_none(), "epoch {:?} out of place", gap);
    assert!(epochs.len() > 800, "{} epochs", epochs.len());
    for r in &history.epochs {
        let evaluated = r.epoch % 50 == 0;
        assert_eq!(
            r.metrics.contains_key("npmi"),
            evaluated,
            "epoch {}",
            r.epoch
        );
        if evaluated {
            let topics = r.topics.as_ref().expect("topics at every evaluation");
            assert_eq!(topics.len(), 20);
            assert!(topics.iter().all(|t| t.len() == 10));
            for m in ["npmi", "td", "cv", "purity", "nmi"] {
                assert!(r.metrics[m].is_finite(), "{m} at epoch {}", r.epoch);
            }
        }
        if r.epoch > 0 {
            assert!(r.loss_d.is_finite() && r.seconds > 0.0, "epoch {}", r.epoch);
        }
    }
}
