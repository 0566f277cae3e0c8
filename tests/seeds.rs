//! Three seeds of an entry: trained into their folders, read back from the evidence alone (no
//! checkpoint), the notebook's own run recorded as its seed, and who trained each run.
use gcatm::experiments::reproduce::{load_data, run_entry, Origin};
use gcatm::experiments::seeds::{
    read_seeds, results_table, run_seeds, seed_dir, SeedSummary, SEEDS,
};
use gcatm::experiments::{entry, Budget};
use gcatm::train::RunFolder;

#[test]
fn seeds_train_record_and_read_back_from_their_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let (runs_out, seeds_out) = (tmp.path().join("runs"), tmp.path().join("seeds"));
    let data = load_data(Budget::Smoke, None).unwrap();
    let evaluator = data.evaluator().unwrap();
    let e = entry("7").unwrap();
    let main = run_entry(e, Budget::Smoke, &data, &evaluator, &runs_out, |_| {}).unwrap();
    let mut seen = Vec::new();
    let runs = run_seeds(
        e,
        Budget::Smoke,
        &data,
        &evaluator,
        &seeds_out,
        Some(&main),
        &SEEDS,
        |s, _| {
            if !seen.contains(&s) {
                seen.push(s);
            }
        },
    )
    .unwrap();
    // Seed 0 is the notebook's run (not trained again); 1 and 2 were trained now.
    assert_eq!(seen, [1, 2]);
    let seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    assert_eq!(seeds, SEEDS);
    assert_eq!(runs[0].row.best_npmi, main.row.best_npmi);
    assert_eq!(runs[1].origin, Origin::Trained);
    // Other seeds train other networks.
    assert_ne!(runs[1].row.best_npmi, runs[2].row.best_npmi);

    // The evidence without checkpoints is enough to read every seed back, with the same numbers.
    for s in SEEDS {
        let dir = seed_dir(&seeds_out, e, s);
        for gone in ["checkpoint", "best"] {
            let _ = std::fs::remove_dir_all(dir.join(gone));
        }
        // Each run says which build trained it from epoch 0.
        let by = RunFolder::new(&dir).trained_by().unwrap();
        assert_eq!(by.len(), 1, "seed {s}");
        assert_eq!(by[0].from_epoch, 0);
        assert_eq!(by[0].build, gcatm::provenance::Build::current());
    }
    let back = read_seeds(e, Budget::Smoke, &data.description, &seeds_out, &SEEDS).unwrap();
    assert_eq!(back.len(), 3);
    for (a, b) in runs.iter().zip(&back) {
        assert_eq!(b.origin, Origin::Reused);
        assert_eq!(
            (a.row.best_npmi, a.row.td, a.row.final_npmi),
            (b.row.best_npmi, b.row.td, b.row.final_npmi)
        );
        assert_eq!(a.history.metric("npmi"), b.history.metric("npmi"));
    }
    let again = run_seeds(
        e,
        Budget::Smoke,
        &data,
        &evaluator,
        &seeds_out,
        None,
        &SEEDS,
        |s, _| panic!("seed {s} trained again"),
    )
    .unwrap();
    assert!(again.iter().all(|r| r.origin == Origin::Reused));

    // The results table: the mean over the seeds, one row per seed, every baseline, the floor.
    let s = SeedSummary::of(&runs);
    let bests: Vec<f64> = runs.iter().filter_map(|r| r.row.best_npmi).collect();
    assert!((s.best_npmi.mean - bests.iter().sum::<f64>() / 3.0).abs() < 1e-12);
    let baselines = data.baselines(&evaluator, e.topics).unwrap();
    let table = results_table(&runs, &baselines, None);
    assert_eq!(table.rows().len(), 1 + 3 + baselines.models().len() + 1);
    assert_eq!(table.rows()[0][1], s.best_npmi.format(3));
    assert!(table
        .note_text()
        .unwrap()
        .starts_with("Over seeds 0, 1 and 2: best NPMI "));

    // A changed configuration in a seed's folder is not read back as that seed.
    let cfg_path = RunFolder::new(seed_dir(&seeds_out, e, 1)).config();
    let text = std::fs::read_to_string(&cfg_path).unwrap();
    std::fs::write(&cfg_path, text.replace("\"seed\": 1", "\"seed\": 5")).unwrap();
    let back = read_seeds(e, Budget::Smoke, &data.description, &seeds_out, &SEEDS).unwrap();
    assert_eq!(back.iter().map(|r| r.seed).collect::<Vec<_>>(), [0, 2]);
}

/// The shipped seed runs (`notebooks/seeds/cpu/`) are what they say: each folder holds a finished
/// run of its entry's `cpu` configuration at its seed, with its provenance, and no checkpoint.
#[test]
fn shipped_seeds_are_finished_runs_of_their_configuration() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("notebooks/seeds/cpu");
    let (mut shipped, mut folders) = (0, 0);
    for e in gcatm::experiments::reproduce::all_entries() {
        for s in [0u64, 1, 2] {
            let dir = seed_dir(&out, e, s);
            if !dir.join("config.json").is_file() {
                continue;
            }
            folders += 1;
            // A folder with a checkpoint is being trained on this machine; a clone has none.
            if dir.join("checkpoint").exists() {
                continue;
            }
            shipped += 1;
            let runs = read_seeds(e, Budget::Cpu, "20ng-1883", &out, &[s]).unwrap();
            assert_eq!(
                runs.len(),
                1,
                "{} is not a finished run of entry {} at seed {s}",
                dir.display(),
                e.label
            );
            let r = &runs[0];
            assert_eq!(r.row.epochs, 200);
            assert!(
                r.row.best_npmi.is_some_and(|v| v > 0.0),
                "{}",
                dir.display()
            );
            let by = RunFolder::new(&dir).trained_by().unwrap();
            assert!(
                !by.is_empty() && by[0].from_epoch == 0,
                "{}: no provenance",
                dir.display()
            );
        }
    }
    // Seed 0 and seed 1 of every entry at least (seed 2 as it is trained), all checked in a clone.
    assert!(
        folders >= 26 && shipped >= 13,
        "{folders} seed folders, {shipped} checked"
    );
}

/// The README's results tables are the shipped evidence's (`cargo run --release --example
/// results` prints them): the text between its `<!-- results -->` markers.
#[test]
fn readme_results_are_the_shipped_evidence() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = gcatm::experiments::reproduce::load_data(Budget::Cpu, None).unwrap();
    let evidence = gcatm::experiments::seeds::read_evidence(
        Budget::Cpu,
        &data.description,
        &root.join("notebooks/seeds/cpu"),
    )
    .unwrap();
    assert_eq!(evidence.0.len(), 13, "every entry has shipped seeds");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let (start, end) = ("<!-- results -->\n", "<!-- /results -->");
    let from = readme.find(start).expect("the README's results marker") + start.len();
    let to = readme[from..].find(end).expect("the README's end marker") + from;
    assert_eq!(
        &readme[from..to],
        gcatm::experiments::seeds::results_markdown(&evidence),
        "README.md's results differ from the shipped evidence: run `cargo run --release --example results` and paste its output"
    );
}
