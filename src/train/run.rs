use super::files::write_file;
use super::{EpochRecord, LockedRunFolder, RunFolder, TrainError, Trainer};
use crate::eval::{Evaluation, Evaluator};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a finished (or stopped) run reports; written as `metrics.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    /// Epochs completed.
    pub epochs: usize,
    /// Best NPMI seen at an evaluation and its epoch.
    pub best_npmi: Option<(usize, f64)>,
    /// The last evaluation (of the final networks, when an evaluator was given).
    pub final_evaluation: Option<Evaluation>,
    /// Wall-clock seconds of this call (training and evaluation).
    pub wall_seconds: f64,
    /// Median seconds of a training epoch over the whole history.
    pub median_epoch_seconds: f64,
    /// The device, `cpu` or `cuda:N`.
    pub device: String,
}

/// The metrics of an evaluation as flat `name -> value` pairs for the history:
/// `npmi`, `td`, `tu`, and `uci`, `umass`, `cv`, `purity`, `nmi` when measured.
pub fn evaluation_metrics(e: &Evaluation) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    m.insert("npmi".to_string(), e.npmi.mean);
    m.insert("td".to_string(), e.td);
    m.insert("tu".to_string(), e.tu);
    for (name, s) in [("uci", &e.uci), ("umass", &e.umass), ("cv", &e.cv)] {
        if let Some(s) = s {
            m.insert(name.to_string(), s.mean);
        }
    }
    if let Some(c) = &e.clustering {
        m.insert("purity".to_string(), c.purity);
        m.insert("nmi".to_string(), c.nmi);
    }
    m
}

/// Trains `trainer` up to `epochs` epochs in total, writing the run folder `out` (created if
/// need be) while holding its lock ([`RunFolder::lock`]: a second writer fails at once with
/// [`TrainError::Locked`]); see [`train_to_folder`] for what is written. [`RunSummary`] is what it
/// reports.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::train::{train_to_dir, RunFolder, TrainConfig, Trainer};
/// let p = PlantedCorpus::builder().topics(3).docs(40).vocab_size(30).build();
/// let config = TrainConfig { topics: 3, hidden: 16, batch_size: 20, eval_every: 1, device: "cpu".into(), ..TrainConfig::default() };
/// let mut trainer = Trainer::new(config, &p.corpus).unwrap();
/// let out = std::env::temp_dir().join(format!("gcatm-doc-train-to-dir-{}", std::process::id()));
/// let summary = train_to_dir(&mut trainer, 2, &out, None, |_| {}).unwrap();
/// assert_eq!(summary.epochs, 2);
/// let folder = RunFolder::new(&out);
/// assert_eq!(folder.checkpoint_epoch(), Some(2));
/// assert!(folder.disk_use().unwrap().checkpoint > 0);
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn train_to_dir<F>(
    trainer: &mut Trainer,
    epochs: usize,
    out: &Path,
    evaluator: Option<&Evaluator>,
    on_epoch: F,
) -> Result<RunSummary, TrainError>
where
    F: FnMut(&EpochRecord),
{
    std::fs::create_dir_all(out).map_err(|e| TrainError::file(out, e))?;
    let folder = RunFolder::new(out).lock()?;
    train_to_folder(trainer, epochs, &folder, evaluator, on_epoch)
}

/// [`train_to_dir`] into a folder whose lock the caller holds already (to prepare the folder
/// before training, as `gcatm train` and [`crate::experiments::reproduce::run_entry`] do). It writes:
/// - `config.json` — the [`super::TrainConfig`];
/// - `history.jsonl` — one JSON object per epoch ([`EpochRecord`]: `epoch`, `loss_d`, `loss_g`,
///   `loss_e`, `info_nce`, `seconds`, and `npmi`, `td`, ... on evaluated epochs), after the
///   epoch-0 evaluation when there is one;
/// - `topics.txt` — one topic per line, its top-10 words space-separated;
/// - `metrics.json` — a [`RunSummary`];
/// - `checkpoint/` — the latest checkpoint ([`super::save_checkpoint`], every evaluation and at
///   the end), to resume from;
/// - `best/` — the weights with the best NPMI, as the log kept them ([`super::save_weights`]:
///   encoder and generator, for evaluation only).
///
/// With an `evaluator` (and `eval_every` > 0) the networks are scored before the first epoch (a
/// record with `epoch` 0, metrics and topics but no losses: the first point of every curve),
/// every `eval_every` epochs and at the end. A folder that already holds a run continues it (its
/// history is rewritten from the trainer's, so a resumed run has no duplicated lines).
/// `on_epoch` sees every trained epoch's record (a CLI shows progress with it).
///
/// When a loss diverges the error is returned and the last good checkpoint stays. When a file
/// cannot be written (a full disk, a removed folder) the error is a [`TrainError::Save`] naming
/// it and the epoch of the checkpoint left in `checkpoint/` (or none); temporary files are
/// removed, and the files written before are whole (each is written aside and renamed).
pub fn train_to_folder<F>(
    trainer: &mut Trainer,
    epochs: usize,
    folder: &LockedRunFolder,
    evaluator: Option<&Evaluator>,
    on_epoch: F,
) -> Result<RunSummary, TrainError>
where
    F: FnMut(&EpochRecord),
{
    train_locked(trainer, epochs, folder, evaluator, on_epoch).map_err(|e| match e {
        // Whichever file failed, what matters is what the run can resume from.
        e @ TrainError::Save { .. } => {
            e.while_saving(&folder.checkpoint(), folder.checkpoint_epoch())
        }
        e => e,
    })
}

fn train_locked<F>(
    trainer: &mut Trainer,
    epochs: usize,
    folder: &RunFolder,
    evaluator: Option<&Evaluator>,
    mut on_epoch: F,
) -> Result<RunSummary, TrainError>
where
    F: FnMut(&EpochRecord),
{
    let start = Instant::now();
    let saving = |e: TrainError| e.while_saving(&folder.checkpoint(), None);
    write_json(&folder.config(), trainer.config()).map_err(saving)?;
    // Who trained which epochs: this session appended to the earlier ones.
    let mut sessions = folder.trained_by()?;
    sessions.push(crate::provenance::TrainedBy::now(trainer.epoch()));
    write_json(&folder.provenance(), &sessions).map_err(saving)?;
    let history_path = folder.history();
    let mut lines = String::new();
    for r in &trainer.history().epochs {
        lines.push_str(&serde_json::to_string(r).map_err(|e| TrainError::file(&history_path, e))?);
        lines.push('\n');
    }
    write_atomic(&history_path, lines.as_bytes()).map_err(saving)?;
    let eval_every = trainer.config().eval_every;
    let mut best = trainer.history().best("npmi");
    let mut last_eval: Option<Evaluation> = None;
    // Epoch 0: the networks as initialised, the first point of every curve (what training moved
    // away from). Only for a run that starts here; a resumed run has it in its history already.
    if let (Some(ev), true) = (
        evaluator,
        eval_every > 0 && trainer.history().epochs.is_empty(),
    ) {
        let mut record = EpochRecord::default();
        last_eval = Some(evaluate(trainer, ev, folder, &mut record, &mut best)?);
        trainer.history_mut().epochs.push(record.clone());
        append_line(&mut lines, &record, folder)?;
    }
    while trainer.epoch() < epochs {
        let mut record = trainer.train_epoch()?;
        let due = eval_every > 0 && record.epoch % eval_every == 0;
        if let (Some(ev), true) = (evaluator, due || record.epoch == epochs) {
            last_eval = Some(evaluate(trainer, ev, folder, &mut record, &mut best)?);
            if let Some(last) = trainer.history_mut().epochs.last_mut() {
                last.metrics = record.metrics.clone();
                last.topics = record.topics.clone();
            }
        }
        append_line(&mut lines, &record, folder)?;
        if due || record.epoch == epochs {
            super::checkpoint::save(trainer, &folder.checkpoint(), false)?;
        }
        on_epoch(&record);
    }
    if last_eval.is_none() {
        // No evaluator: the topic words still go to topics.txt.
        let words = crate::eval::topic_words(&trainer.generator, trainer.batcher().vocab(), 10)
            .map_err(|e| TrainError::file(folder.path(), e))?;
        let words: Vec<Vec<String>> = words.into_iter().map(|t| t.words).collect();
        write_topics(&folder.topics(), &words).map_err(saving)?;
    }
    let mut secs: Vec<f64> = (trainer.history().epochs.iter())
        .filter(|e| e.epoch > 0)
        .map(|e| e.seconds)
        .collect();
    secs.sort_by(f64::total_cmp);
    let summary = RunSummary {
        epochs: trainer.epoch(),
        best_npmi: best,
        final_evaluation: last_eval,
        wall_seconds: start.elapsed().as_secs_f64(),
        median_epoch_seconds: secs.get(secs.len() / 2).copied().unwrap_or(0.0),
        device: crate::device::name(trainer.device()),
    };
    write_json(&folder.metrics(), &summary).map_err(saving)?;
    Ok(summary)
}

/// Scores the networks after `record`'s epoch (0: before training): the metrics and top words go
/// on `record`, `best/` is saved when NPMI beats `best`, and `topics.txt` is rewritten.
fn evaluate(
    trainer: &Trainer,
    ev: &Evaluator,
    folder: &RunFolder,
    record: &mut EpochRecord,
    best: &mut Option<(usize, f64)>,
) -> Result<Evaluation, TrainError> {
    let e = ev
        .evaluate_trainer(trainer)
        .map_err(|e| TrainError::file(folder.path(), format!("evaluation failed: {e}")))?;
    record.metrics = evaluation_metrics(&e);
    record.topics = Some(top_words(&e.topics));
    if !e.npmi.mean.is_nan() && best.is_none_or(|(_, b)| e.npmi.mean > b) {
        *best = Some((record.epoch, e.npmi.mean));
        super::checkpoint::save(trainer, &folder.best(), true)?;
    }
    write_topics(&folder.topics(), &e.topics)
        .map_err(|e| e.while_saving(&folder.checkpoint(), None))?;
    Ok(e)
}

/// Adds `record` to the history's lines and rewrites `history.jsonl` aside, then renames it (a
/// few hundred bytes an epoch): a full disk never leaves half a line.
fn append_line(
    lines: &mut String,
    record: &EpochRecord,
    folder: &RunFolder,
) -> Result<(), TrainError> {
    let path = folder.history();
    lines.push_str(&serde_json::to_string(record).map_err(|e| TrainError::file(&path, e))?);
    lines.push('\n');
    write_atomic(&path, lines.as_bytes()).map_err(|e| e.while_saving(&folder.checkpoint(), None))
}

/// The top 10 words of each topic, as the history keeps them.
fn top_words(topics: &[Vec<String>]) -> Vec<Vec<String>> {
    topics
        .iter()
        .map(|t| t.iter().take(10).cloned().collect())
        .collect()
}

fn write_topics(path: &Path, topics: &[Vec<String>]) -> Result<(), TrainError> {
    let text: String = topics
        .iter()
        .map(|t| t.iter().take(10).cloned().collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    write_atomic(path, text.as_bytes())
}

/// Writes `value` as pretty JSON to `path` atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), TrainError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| TrainError::file(path, e))?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place: a reader never
/// sees half a file, and a failed or interrupted write leaves the old one (a failed write removes
/// its temporary file).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = write_file(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| TrainError::file(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
