use super::{save_checkpoint, EpochRecord, TrainError, Trainer};
use crate::eval::{Evaluation, Evaluator};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
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

/// Trains `trainer` up to `epochs` epochs in total, writing a run folder `out`:
/// - `config.json` — the [`super::TrainConfig`];
/// - `history.jsonl` — one JSON object per epoch ([`EpochRecord`]: `epoch`, `loss_d`, `loss_g`,
///   `loss_e`, `info_nce`, `seconds`, and `npmi`, `td`, ... on evaluated epochs);
/// - `topics.txt` — one topic per line, its top-10 words space-separated;
/// - `metrics.json` — a [`RunSummary`];
/// - `checkpoint/` — the latest checkpoint (every evaluation and at the end), `best/` — the one
///   with the best NPMI, as the log kept it.
///
/// With an `evaluator` the networks are scored every `eval_every` epochs and at the end. When a
/// loss diverges the error is returned and the last good checkpoint stays. A folder that already
/// holds a run continues it (its history is rewritten from the trainer's, so a resumed run has
/// no duplicated lines). `on_epoch` sees every record (a CLI shows progress with it).
pub fn train_to_dir<F>(
    trainer: &mut Trainer,
    epochs: usize,
    out: &Path,
    evaluator: Option<&Evaluator>,
    mut on_epoch: F,
) -> Result<RunSummary, TrainError>
where
    F: FnMut(&EpochRecord),
{
    let start = Instant::now();
    std::fs::create_dir_all(out).map_err(|e| TrainError::file(out, e))?;
    write_json(&out.join("config.json"), trainer.config())?;
    let history_path = out.join("history.jsonl");
    let mut lines = String::new();
    for r in &trainer.history().epochs {
        lines.push_str(&serde_json::to_string(r).map_err(|e| TrainError::file(&history_path, e))?);
        lines.push('\n');
    }
    write_atomic(&history_path, lines.as_bytes())?;
    let eval_every = trainer.config().eval_every;
    let mut best = trainer.history().best("npmi");
    let mut last_eval: Option<Evaluation> = None;
    while trainer.epoch() < epochs {
        let mut record = trainer.train_epoch()?;
        let due = eval_every > 0 && record.epoch % eval_every == 0;
        if let (Some(ev), true) = (evaluator, due || record.epoch == epochs) {
            let e = ev
                .evaluate(&trainer.generator, &trainer.encoder)
                .map_err(|e| TrainError::file(out, format!("evaluation failed: {e}")))?;
            record.metrics = evaluation_metrics(&e);
            if let Some(last) = trainer.history_mut().epochs.last_mut() {
                last.metrics = record.metrics.clone();
            }
            if !e.npmi.mean.is_nan() && best.is_none_or(|(_, b)| e.npmi.mean > b) {
                best = Some((record.epoch, e.npmi.mean));
                save_checkpoint(trainer, &out.join("best"))?;
            }
            write_topics(&out.join("topics.txt"), &e.topics)?;
            last_eval = Some(e);
        }
        append_line(&history_path, &record)?;
        if due || record.epoch == epochs {
            save_checkpoint(trainer, &out.join("checkpoint"))?;
        }
        on_epoch(&record);
    }
    if last_eval.is_none() {
        // No evaluator: the topic words still go to topics.txt.
        let words = crate::eval::topic_words(&trainer.generator, trainer.batcher().vocab(), 10)
            .map_err(|e| TrainError::file(out, e))?;
        let words: Vec<Vec<String>> = words.into_iter().map(|t| t.words).collect();
        write_topics(&out.join("topics.txt"), &words)?;
    }
    let mut secs: Vec<f64> = trainer.history().epochs.iter().map(|e| e.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let summary = RunSummary {
        epochs: trainer.epoch(),
        best_npmi: best,
        final_evaluation: last_eval,
        wall_seconds: start.elapsed().as_secs_f64(),
        median_epoch_seconds: secs.get(secs.len() / 2).copied().unwrap_or(0.0),
        device: crate::device::name(trainer.device()),
    };
    write_json(&out.join("metrics.json"), &summary)?;
    Ok(summary)
}

fn write_topics(path: &Path, topics: &[Vec<String>]) -> Result<(), TrainError> {
    let text: String = topics
        .iter()
        .map(|t| t.iter().take(10).cloned().collect::<Vec<_>>().join(" ") + "\n")
        .collect();
    write_atomic(path, text.as_bytes())
}

fn append_line<T: Serialize>(path: &Path, value: &T) -> Result<(), TrainError> {
    let mut line = serde_json::to_string(value).map_err(|e| TrainError::file(path, e))?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| TrainError::file(path, e))?;
    f.write_all(line.as_bytes())
        .map_err(|e| TrainError::file(path, e))
}

/// Writes `value` as pretty JSON to `path` atomically.
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), TrainError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| TrainError::file(path, e))?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place: a reader never
/// sees half a file and an interrupted write leaves the old one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| TrainError::file(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| TrainError::file(path, e))
}
