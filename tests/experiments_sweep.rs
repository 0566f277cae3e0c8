//! The sweep over recipes (the log's settings and the departures from it) and the `--preset`
//! flag, on the planted corpus: which options each recipe sets, what a sweep writes and reuses,
//! and the command line's errors.
use gcatm::experiments::reproduce::{load_data, read_config};
use gcatm::experiments::sweep::{
    find_recipe, preset, read_sweep, recipe, run_sweep, Sweep, SweepProgress, RECIPES, SWEEP_FILE,
};
use gcatm::experiments::{entry, Budget};
use gcatm::train::{CriticConstraint, TrainConfig};
use std::process::Command;

/// Each recipe changes the three departures and nothing else; the log's recipe changes nothing.
#[test]
fn recipes_set_only_their_departures() {
    let base = entry("7").unwrap().config(Budget::Cpu);
    for r in RECIPES {
        let c = r.apply(base.clone());
        let back = TrainConfig {
            balance_contrastive: base.balance_contrastive,
            critic_constraint: base.critic_constraint,
            critic_lr_scale: base.critic_lr_scale,
            ..c.clone()
        };
        assert_eq!(back, base, "{} changes more than its departures", r.name);
        assert_eq!(c == base, r.is_log(), "{}", r.name);
    }
    let all = recipe("all").unwrap().apply(base);
    assert!(all.balance_contrastive);
    assert_eq!(all.critic_constraint, CriticConstraint::Spectral);
    assert_eq!(all.critic_lr_scale, 4.0);
    assert!(!preset().is_log());
    let err = find_recipe("fast").unwrap_err().to_string();
    assert!(
        err.contains("`fast`") && err.contains("spectral-ttur"),
        "{err}"
    );
}

/// A sweep trains every cell into its own folder with the cell's configuration, writes the rows
/// and the table, and a second call reuses every finished run without training.
#[test]
fn sweep_writes_every_cell_and_reuses_finished_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let data = load_data(Budget::Smoke, None).unwrap();
    let sweep = Sweep::new(entry("11").unwrap(), Budget::Smoke)
        .recipes(vec![
            recipe("log").unwrap(),
            recipe("spectral-ttur").unwrap(),
        ])
        .topics(vec![8])
        .seeds(vec![0, 1])
        .epochs(3)
        .eval_every(1);
    let mut trained = 0;
    let (rows, baselines) = run_sweep(&sweep, &data, &out, |p| {
        if let SweepProgress::Epoch(_) = p {
            trained += 1
        }
    })
    .unwrap();
    assert_eq!(trained, 4 * 3);
    assert_eq!(rows.len(), 4);
    assert_eq!(baselines.len(), 1);
    for (row, cell) in rows.iter().zip(sweep.cells()) {
        assert!(row.error.is_none());
        // Epoch 0 and every epoch after it.
        let epochs: Vec<usize> = row.curve.iter().map(|p| p.epoch).collect();
        assert_eq!(epochs, vec![0, 1, 2, 3]);
        let cfg = read_config(&out.join(&row.run_dir)).unwrap();
        assert_eq!(cfg, sweep.config(&cell));
        assert_eq!((cfg.seed, cfg.topics, cfg.epochs), (cell.seed, 8, 3));
    }
    // Different seeds give different runs; the two recipes start from the same networks (epoch 0).
    assert_ne!(rows[0].curve[3], rows[1].curve[3]);
    assert_eq!(rows[0].curve[0], rows[2].curve[0]);
    assert_ne!(rows[0].curve[3], rows[2].curve[3]);
    assert_eq!(read_sweep(&out.join(SWEEP_FILE)).unwrap(), rows);
    let table = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    assert!(
        table.contains("| 8 | log | 2 | 3 |") && table.contains("| 8 | spectral-ttur | 2 | 3 |"),
        "{table}"
    );
    assert!(
        table.contains("K = 8: random 10-word topics NPMI"),
        "{table}"
    );

    let mut again = 0;
    let (rows2, _) = run_sweep(&sweep, &data, &out, |p| {
        if let SweepProgress::Epoch(_) = p {
            again += 1
        }
    })
    .unwrap();
    assert_eq!(again, 0, "finished runs are reused");
    assert_eq!(rows2, rows);
}

/// `gcatm train --preset` applies the recipe before the flags; an unknown name is one clear error.
#[test]
fn preset_flag_applies_the_recipe_and_names_bad_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let gcatm = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_gcatm"))
            .args(args)
            .env_remove("GCATM_DATA")
            .current_dir(tmp.path())
            .output()
            .unwrap()
    };
    let d = dir.to_str().unwrap();
    let ok = gcatm(&[
        "train",
        "--preset",
        "all",
        "--critic-lr-scale",
        "2",
        "--epochs",
        "1",
        "--out",
        d,
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let cfg = read_config(&dir).unwrap();
    assert!(cfg.balance_contrastive);
    assert_eq!(cfg.critic_constraint, CriticConstraint::Spectral);
    assert_eq!(cfg.critic_lr_scale, 2.0, "a flag overrides the preset");
    let bad = gcatm(&[
        "train",
        "--preset",
        "fastest",
        "--epochs",
        "1",
        "--out",
        "elsewhere",
    ]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(
        err.contains("no recipe `fastest`") && !err.contains("panicked"),
        "{err}"
    );
    assert!(!tmp.path().join("elsewhere").join("checkpoint").exists());
}

/// The sweeps shipped for notebook 14 read back whole: every recipe at every K with three seeds,
/// evaluated from epoch 0 every 10 (20ng-1883) or 100 (planted) epochs to the end, and the
/// baselines of each K kept for the same corpus.
#[test]
fn shipped_sweeps_are_complete() {
    use gcatm::experiments::sweep::{read_sweep_dir, table};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks/sweeps");
    for (dir, ks, recipes, epochs, every) in [
        (
            "20ng-entry11",
            &[20, 50][..],
            &["log", "balance", "spectral", "ttur", "all"][..],
            100,
            10,
        ),
        (
            "planted",
            &[8][..],
            &["log", "balance", "spectral", "ttur", "spectral-ttur", "all"][..],
            1000,
            100,
        ),
    ] {
        let (rows, baselines) = read_sweep_dir(&root.join(dir)).unwrap();
        assert_eq!(
            baselines.iter().map(|b| b.topics).collect::<Vec<_>>(),
            ks,
            "{dir}"
        );
        for &k in ks {
            for &recipe in recipes {
                let mut seeds: Vec<u64> = rows
                    .iter()
                    .filter(|r| r.topics == k && r.recipe == recipe && r.error.is_none())
                    .map(|r| r.seed)
                    .collect();
                seeds.sort();
                assert_eq!(seeds, [0, 1, 2], "{dir}: K = {k}, {recipe}");
            }
        }
        for r in &rows {
            let at: Vec<usize> = r.curve.iter().map(|p| p.epoch).collect();
            let want: Vec<usize> = (0..=epochs).step_by(every).collect();
            assert_eq!(at, want, "{dir}: {}", r.run_dir.display());
            assert!(r
                .curve
                .iter()
                .all(|p| p.npmi.is_finite() && (0.0..=1.0).contains(&p.td)));
        }
        let t = table(&rows, &baselines);
        for &k in ks {
            for &recipe in recipes {
                let line = format!("| {k} | {recipe} | 3 | {epochs} | ");
                assert!(t.contains(&line), "{dir}: no `{line}` in\n{t}");
            }
        }
        // The table carries the four baselines of every K: the floor and the three models.
        for b in &baselines {
            assert_eq!(b.models().len(), 3, "{dir}: K = {}", b.topics);
            let line = t
                .lines()
                .find(|l| l.starts_with(&format!("K = {}: random 10-word topics", b.topics)))
                .unwrap_or_else(|| panic!("{dir}: no baselines line for K = {} in\n{t}", b.topics));
            for name in [
                gcatm::experiments::reproduce::LDA_NAME,
                gcatm::experiments::reproduce::GIBBS_NAME,
                gcatm::experiments::reproduce::PRODLDA_NAME,
            ] {
                assert!(line.contains(name), "{dir}: {name} missing from {line}");
            }
        }
    }
}
