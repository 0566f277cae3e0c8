//! One writer per run folder: of two `gcatm train` on one folder exactly one trains and the other
//! fails at once, naming the folder and the holder; `--resume` of a folder being trained fails the
//! same way; a holder killed with SIGKILL does not block the next run.
use gcatm::train::{LockHolder, RunFolder, TrainConfig};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A small run on the built-in planted corpus (an empty data folder) lasting a few seconds.
fn config_file(dir: &Path, topics: usize, epochs: usize) -> std::path::PathBuf {
    let config = TrainConfig {
        topics,
        hidden: 64,
        batch_size: 200,
        projection_dim: 16,
        word_embedding_dim: 12,
        epochs,
        eval_every: 0,
        device: "cpu".into(),
        ..TrainConfig::default()
    };
    let path = dir.join(format!("config-{topics}-{epochs}.json"));
    std::fs::write(&path, serde_json::to_vec(&config).unwrap()).unwrap();
    path
}

fn gcatm(args: &[&str], data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gcatm"));
    c.args(args)
        .env("GCATM_DATA", data)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn train(config: &Path, out: &Path, data: &Path) -> Command {
    gcatm(
        &[
            "train",
            "--config",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        data,
    )
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// Waits until `child` holds the folder's lock (the lock file names it).
fn wait_for_lock(folder: &RunFolder, child: &mut Child) -> LockHolder {
    let start = Instant::now();
    loop {
        if let Some(h) = std::fs::read(folder.lock_file())
            .ok()
            .and_then(|b| serde_json::from_slice::<LockHolder>(&b).ok())
            .filter(|h| h.pid == child.id())
        {
            return h;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the first run ended before it was seen holding the lock"
        );
        assert!(start.elapsed() < Duration::from_secs(120), "no lock taken");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The second writer's error names the folder and the holder.
fn assert_refused(o: &Output, folder: &Path, holder_pid: u32) {
    let err = stderr(o);
    assert!(!o.status.success(), "the second writer must fail: {err}");
    assert!(
        err.contains(&format!(
            "{}: another process is writing this run folder",
            folder.display()
        )),
        "{err}"
    );
    assert!(err.contains(&format!("process {holder_pid} on ")), "{err}");
    assert!(err.contains(" UTC"), "{err}");
}

/// The folder holds the run of `topics` topics and `epochs` epochs, and nothing of another.
fn assert_one_run(folder: &RunFolder, topics: usize, epochs: usize) {
    let config: TrainConfig =
        serde_json::from_slice(&std::fs::read(folder.config()).unwrap()).unwrap();
    assert_eq!((config.topics, config.epochs), (topics, epochs));
    let lines = std::fs::read_to_string(folder.topics()).unwrap();
    assert_eq!(lines.lines().count(), topics);
    let history = std::fs::read_to_string(folder.history()).unwrap();
    let epochs_seen: Vec<u64> = history
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["epoch"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(epochs_seen, (1..=epochs as u64).collect::<Vec<_>>());
    assert_eq!(folder.checkpoint_epoch(), Some(epochs));
}

#[test]
fn a_second_writer_fails_at_once_naming_the_holder() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("no-data");
    std::fs::create_dir_all(&data).unwrap();
    let out = tmp.path().join("run");
    let folder = RunFolder::new(&out);
    let (long, other) = (
        config_file(tmp.path(), 4, 150),
        config_file(tmp.path(), 5, 2),
    );

    let mut first = train(&long, &out, &data).spawn().unwrap();
    let holder = wait_for_lock(&folder, &mut first);
    // Another run into the folder, and a resume of it, while the first trains.
    let start = Instant::now();
    let second = train(&other, &out, &data).output().unwrap();
    assert_refused(&second, &out, first.id());
    let resume = gcatm(&["train", "--resume", out.to_str().unwrap()], &data)
        .output()
        .unwrap();
    assert_refused(&resume, &out, first.id());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "refusals take no training time"
    );
    assert!(
        stderr(&second).contains(&holder.started),
        "{}",
        stderr(&second)
    );
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let err = stderr(&first);
    assert!(
        err.contains("run folder: ") && err.contains(" MB (checkpoint/ "),
        "{err}"
    );
    assert_one_run(&folder, 4, 150);
}

#[test]
fn of_two_runs_started_together_exactly_one_trains() {
    // As a user starting two experiments half a second apart would (here, 0.1 s).
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("no-data");
    std::fs::create_dir_all(&data).unwrap();
    let out = tmp.path().join("run");
    let (a, b) = (
        config_file(tmp.path(), 4, 100),
        config_file(tmp.path(), 5, 100),
    );
    let first = train(&a, &out, &data).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let second = train(&b, &out, &data).spawn().unwrap();
    let pids = (first.id(), second.id());
    let (oa, ob) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(
        oa.status.success() != ob.status.success(),
        "exactly one proceeds:\n{}\n{}",
        stderr(&oa),
        stderr(&ob)
    );
    let folder = RunFolder::new(&out);
    if oa.status.success() {
        assert_refused(&ob, &out, pids.0);
        assert_one_run(&folder, 4, 100);
    } else {
        assert_refused(&oa, &out, pids.1);
        assert_one_run(&folder, 5, 100);
    }
}

#[test]
fn a_holder_killed_with_sigkill_does_not_block_the_next_run() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("no-data");
    std::fs::create_dir_all(&data).unwrap();
    let out = tmp.path().join("run");
    let folder = RunFolder::new(&out);
    // No checkpoint before the end (eval_every 0), which the kill comes long before.
    let mut killed = train(&config_file(tmp.path(), 4, 10_000), &out, &data)
        .spawn()
        .unwrap();
    wait_for_lock(&folder, &mut killed);
    killed.kill().unwrap(); // SIGKILL: no destructor runs
    killed.wait().unwrap();
    // The lock file stays and still names the dead process; it blocks nothing.
    let stale: LockHolder =
        serde_json::from_slice(&std::fs::read(folder.lock_file()).unwrap()).unwrap();
    assert_eq!(stale.pid, killed.id());
    let start = Instant::now();
    let next = train(&config_file(tmp.path(), 4, 2), &out, &data)
        .output()
        .unwrap();
    assert!(next.status.success(), "{}", stderr(&next));
    assert_one_run(&folder, 4, 2);
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn reproduce_refuses_a_folder_another_writer_holds() {
    use gcatm::experiments::reproduce::{
        all_entries, load_data, run_all, run_entry, ReproduceError,
    };
    use gcatm::experiments::{entry, Budget};
    let tmp = tempfile::tempdir().unwrap();
    let data = load_data(Budget::Smoke, None).unwrap(); // the planted corpus
    let evaluator = data.evaluator().unwrap();
    let e = entry("6").unwrap();
    std::fs::create_dir_all(tmp.path().join(e.label)).unwrap();
    let held = RunFolder::new(tmp.path().join(e.label)).lock().unwrap();
    std::fs::write(tmp.path().join(e.label).join("history.jsonl"), "kept\n").unwrap();
    let err = run_entry(e, Budget::Smoke, &data, &evaluator, tmp.path(), |_| {})
        .err()
        .expect("the entry's folder is held");
    assert!(
        matches!(&err, ReproduceError::Train(gcatm::train::TrainError::Locked { holder: Some(h), .. }) if h.pid == std::process::id()),
        "{err}"
    );
    // Refused before clearing: the holder's files are untouched.
    let history = std::fs::read_to_string(tmp.path().join(e.label).join("history.jsonl"));
    assert_eq!(history.unwrap(), "kept\n");
    drop(held);
    // The folder of a whole re-run is held too: a second one fails before training anything.
    let _all = RunFolder::new(tmp.path()).lock().unwrap();
    let err = run_all(&all_entries(), Budget::Smoke, &data, tmp.path(), |_| {})
        .expect_err("the output folder is held");
    assert!(
        err.to_string().contains("another process is writing"),
        "{err}"
    );
    assert!(!tmp.path().join("summary.json").exists());
}
