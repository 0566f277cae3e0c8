//! A disk that fills up while a run folder is written (through the write seam of `files`): the
//! error names the file and says truthfully which checkpoint is left, no temporary file remains,
//! what was saved before is untouched, and the run resumes from it exactly.
use super::files::fault;
use super::*;
use crate::corpus::PlantedCorpus;
use crate::eval::Evaluator;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EPOCHS: usize = 6;

fn planted() -> PlantedCorpus {
    PlantedCorpus::builder()
        .topics(4)
        .docs(200)
        .vocab_size(60)
        .seed(2)
        .build()
}

fn config() -> TrainConfig {
    TrainConfig {
        topics: 4,
        hidden: 32,
        batch_size: 32,
        n_critic: 2,
        projection_dim: 16,
        word_embedding_dim: 12,
        variant: Variant::MeanWeighted,
        lr: 1e-3,
        seed: 3,
        eval_every: 2,
        device: "cpu".into(),
        ..TrainConfig::default()
    }
}

/// Every file under `dir` (relative name -> bytes); empty when `dir` does not exist.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if p.is_dir() {
            for (k, v) in files(&p) {
                out.insert(format!("{name}/{k}"), v);
            }
        } else {
            out.insert(name, std::fs::read(&p).unwrap());
        }
    }
    out
}

fn weight_bits(t: &Trainer) -> Vec<(String, Vec<u32>)> {
    let (e, g, d) = t.var_maps();
    let mut out = Vec::new();
    for (net, vm) in [("e", e), ("g", g), ("d", d)] {
        for (name, v) in vm.data().lock().unwrap().iter() {
            let values = v
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap();
            out.push((
                format!("{net}/{name}"),
                values.iter().map(|x| x.to_bits()).collect(),
            ));
        }
    }
    out.sort();
    out
}

/// The history file's records with the timings (which differ between runs) zeroed.
fn records(dir: &Path) -> Vec<EpochRecord> {
    let text = std::fs::read_to_string(dir.join("history.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| {
            let mut r: EpochRecord = serde_json::from_str(l).expect("a whole history line");
            r.seconds = 0.0;
            r
        })
        .collect()
}

fn state_epoch(files: &BTreeMap<String, Vec<u8>>) -> Option<usize> {
    let v: serde_json::Value = serde_json::from_slice(files.get("state.json")?).ok()?;
    v["epoch"].as_u64().map(|e| e as usize)
}

struct Reference {
    weights: Vec<(String, Vec<u32>)>,
    records: Vec<EpochRecord>,
    /// Bytes written by the end of each epoch, and the size of the checkpoint saved in it.
    epochs: Vec<(u64, u64)>,
    total: u64,
}

fn reference(p: &PlantedCorpus, ev: &Evaluator) -> Reference {
    let dir = tempfile::tempdir().unwrap();
    fault::space_left(None);
    let start = fault::written();
    let mut epochs = Vec::new();
    let mut t = Trainer::new(config(), &p.corpus).unwrap();
    train_to_dir(&mut t, EPOCHS, dir.path(), Some(ev), |_| {
        let ckpt: u64 = files(&dir.path().join("checkpoint"))
            .values()
            .map(|v| v.len() as u64)
            .sum();
        epochs.push((fault::written() - start, ckpt));
    })
    .unwrap();
    Reference {
        weights: weight_bits(&t),
        records: records(dir.path()),
        epochs,
        total: fault::written() - start,
    }
}

fn assert_close(a: &[EpochRecord], b: &[EpochRecord]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.epoch, y.epoch);
        assert_eq!(
            x.metrics.keys().collect::<Vec<_>>(),
            y.metrics.keys().collect::<Vec<_>>()
        );
        let pairs = [
            (x.loss_d, y.loss_d),
            (x.loss_g, y.loss_g),
            (x.loss_e, y.loss_e),
        ];
        for (u, v) in pairs
            .into_iter()
            .chain(x.metrics.values().copied().zip(y.metrics.values().copied()))
        {
            assert!(
                (u - v).abs() <= 1e-12 * v.abs(),
                "epoch {}: {u} vs {v}",
                x.epoch
            );
        }
    }
}

/// Trains into a fresh folder with `budget` bytes of disk; checks what the failure leaves.
fn fail_at(
    budget: u64,
    p: &PlantedCorpus,
    ev: &Evaluator,
    reference: &Reference,
) -> (PathBuf, Option<usize>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let folder = RunFolder::new(&dir);
    let mut saved: Vec<BTreeMap<String, Vec<u8>>> = Vec::new();
    let mut t = Trainer::new(config(), &p.corpus).unwrap();
    fault::space_left(Some(budget));
    let result = train_to_dir(&mut t, EPOCHS, &dir, Some(ev), |_| {
        saved.push(files(&folder.checkpoint()));
    });
    fault::space_left(None);
    let err = result.expect_err("the disk fills up before the run ends");
    let msg = err.to_string();
    let TrainError::Save {
        path,
        msg: why,
        checkpoint,
        epoch,
    } = err
    else {
        panic!("budget {budget}: expected a save error, got {msg}");
    };
    // The error names the file and the cause.
    assert!(path.starts_with(&dir), "{msg}");
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(why.contains("No space left on device"), "{msg}");
    assert_eq!(checkpoint, folder.checkpoint());
    // What it says is left is what is left: the last checkpoint saved, untouched.
    let last = saved.last().cloned().unwrap_or_default();
    assert_eq!(epoch, state_epoch(&last), "budget {budget}: {msg}");
    assert_eq!(epoch, folder.checkpoint_epoch());
    assert_eq!(
        files(&folder.checkpoint()),
        last,
        "budget {budget}: checkpoint changed"
    );
    match epoch {
        Some(n) => assert!(
            msg.ends_with(&format!("still holds the checkpoint of epoch {n}")),
            "{msg}"
        ),
        None => assert!(msg.ends_with("holds no checkpoint, so there is nothing to resume from")),
    }
    // No temporary file or folder is left.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    for n in &names {
        assert!(
            [
                "config.json",
                "provenance.json",
                "history.jsonl",
                "topics.txt",
                "checkpoint",
                "best",
                ".lock"
            ]
            .contains(&n.as_str()),
            "budget {budget}: {n} left in the run folder ({msg})"
        );
    }
    // The history is whole lines of the uninterrupted run, at least up to the checkpoint.
    let written = records(&dir);
    assert!(written.len() >= epoch.unwrap_or(0));
    // (To 1e-12: TU is summed in hash order, so two identical runs may differ in its last bit.)
    assert_close(&written, &reference.records[..written.len()]);
    // best/ is whole where it was written.
    if folder.best().exists() {
        load_weights(&folder.best(), &p.corpus, None).unwrap();
    }
    // The lock went with the failed call.
    drop(folder.lock().unwrap());
    // Resuming from the checkpoint left ends as the uninterrupted run did.
    if epoch.is_some() {
        let mut resumed = load_checkpoint(&folder.checkpoint(), &p.corpus, None).unwrap();
        assert_eq!(Some(resumed.epoch()), epoch);
        train_to_dir(&mut resumed, EPOCHS, &dir, Some(ev), |_| {}).unwrap();
        assert_eq!(weight_bits(&resumed), reference.weights, "budget {budget}");
        assert_close(&records(&dir), &reference.records);
    }
    let within = path.strip_prefix(&dir).unwrap().to_path_buf();
    (within, epoch)
}

#[test]
fn a_full_disk_anywhere_in_a_run_leaves_the_last_checkpoint_and_a_truthful_error() {
    let p = planted();
    let ev = Evaluator::new(&p.corpus, None).unwrap();
    let r = reference(&p, &ev);
    assert_eq!(r.epochs.len(), EPOCHS);
    // Checkpoints are saved at epochs 2, 4 and 6: fail in the middle of the first and of a later
    // one, at the first byte of a run, and at points spread over the whole run.
    let middle = |epoch: usize| {
        let (end, size) = r.epochs[epoch - 1];
        end - size / 2
    };
    let in_checkpoint = Path::new(".checkpoint.tmp");
    let (path, epoch) = fail_at(0, &p, &ev, &r);
    assert!(path.to_string_lossy().starts_with(".config.json.tmp-") && epoch.is_none());
    for (at, before) in [(2, None), (4, Some(2)), (6, Some(4))] {
        let (path, epoch) = fail_at(middle(at), &p, &ev, &r);
        assert!(path.starts_with(in_checkpoint), "{}", path.display());
        assert_eq!(epoch, before);
    }
    let mut left = std::collections::BTreeSet::new();
    for i in 1..20 {
        left.insert(fail_at(r.total * i / 20 + i, &p, &ev, &r).1);
    }
    assert_eq!(left.len(), 3, "failures left {left:?}");
    // The last file, after the last checkpoint: the middle of what is written after epoch 6
    // (metrics.json). Not a fixed distance from the end: the files hold timings whose printed
    // length varies from run to run by tens of bytes.
    let after_last_epoch = r.epochs[EPOCHS - 1].0;
    let (path, epoch) = fail_at(
        after_last_epoch + (r.total - after_last_epoch) / 2,
        &p,
        &ev,
        &r,
    );
    assert!(path.to_string_lossy().starts_with(".metrics.json.tmp-") && epoch == Some(6));
}

#[test]
fn a_run_folder_removed_under_a_running_process_is_reported_truthfully() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let mut t = Trainer::new(config(), &p.corpus).unwrap();
    let err = train_to_dir(&mut t, EPOCHS, &dir, None, |r| {
        if r.epoch == 2 {
            std::fs::remove_dir_all(&dir).unwrap();
        }
    })
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, TrainError::Save { epoch: None, .. }), "{msg}");
    assert!(msg.contains("No such file or directory"), "{msg}");
    assert!(msg.ends_with("holds no checkpoint, so there is nothing to resume from"));
    assert!(!dir.exists(), "the removed folder stays removed");
}

#[test]
fn best_holds_weights_for_evaluation_only() {
    let p = planted();
    let ev = Evaluator::new(&p.corpus, None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut t = Trainer::new(config(), &p.corpus).unwrap();
    train_to_dir(&mut t, 2, tmp.path(), Some(&ev), |_| {}).unwrap();
    let folder = RunFolder::new(tmp.path());
    let mut names: Vec<String> = files(&folder.best()).into_keys().collect();
    names.sort();
    assert_eq!(
        names,
        ["encoder.safetensors", "generator.safetensors", "state.json"]
    );
    let best = load_weights(&folder.best(), &p.corpus, None).unwrap();
    assert_eq!(best.epoch(), 2);
    assert_eq!(
        best.topic_word_distributions()
            .unwrap()
            .to_vec2::<f32>()
            .unwrap(),
        t.topic_word_distributions()
            .unwrap()
            .to_vec2::<f32>()
            .unwrap()
    );
    let err = load_checkpoint(&folder.best(), &p.corpus, None)
        .err()
        .unwrap();
    assert!(err.to_string().contains("evaluation only"), "{err}");
    let used = folder.disk_use().unwrap();
    assert!(used.best * 2 < used.checkpoint, "{used}");
}
