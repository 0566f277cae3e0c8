use super::files::{write_file, write_safetensors};
use super::{History, TrainConfig, TrainError, Trainer};
use crate::corpus::{Corpus, Idf};
use candle_core::Tensor;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize)]
struct State {
    config: TrainConfig,
    epoch: usize,
    /// Adam step counts of encoder, generator, critic.
    steps: [u64; 3],
    history: History,
    /// Written by [`save_weights`]: the encoder's and generator's weights only.
    #[serde(default)]
    weights_only: bool,
    /// The run's idf (`input: tfidf`), reused on resume and for held-out documents.
    #[serde(default)]
    idf: Option<Idf>,
}

const NETS: [&str; 3] = ["encoder", "generator", "critic"];

/// Writes a checkpoint of `trainer` to the folder `dir`: each network's weights (BatchNorm running
/// statistics included) as safetensors, the optimisers' moments and step counts, the config and
/// the history: everything [`load_checkpoint`] needs to continue the run exactly.
///
/// The folder is written beside its final place (`.NAME.tmp`) and swapped in, so an interrupted
/// write never leaves a half checkpoint under `dir`. When writing fails (a full disk, a removed
/// folder) the temporary folder is removed and the error, [`TrainError::Save`], names the file
/// and says which checkpoint `dir` still holds: the previous one, untouched, or none.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::train::{load_checkpoint, save_checkpoint, TrainConfig, Trainer};
/// let p = PlantedCorpus::builder().topics(3).docs(40).vocab_size(30).build();
/// let config = TrainConfig { topics: 3, hidden: 16, batch_size: 20, device: "cpu".into(), ..TrainConfig::default() };
/// let mut trainer = Trainer::new(config, &p.corpus).unwrap();
/// trainer.fit(1, |_, _| Ok(())).unwrap();
/// let dir = std::env::temp_dir().join(format!("gcatm-doc-save-checkpoint-{}", std::process::id()));
/// save_checkpoint(&trainer, &dir).unwrap();
/// assert_eq!(load_checkpoint(&dir, &p.corpus, None).unwrap().epoch(), 1);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn save_checkpoint(trainer: &Trainer, dir: &Path) -> Result<(), TrainError> {
    create_parent(dir)?;
    save(trainer, dir, false)
}

/// Writes the weights of `trainer`'s encoder and generator (what topics, theta and coherence are
/// computed from) with its config, epoch and history to the folder `dir`: about a quarter of a
/// [`save_checkpoint`] (no critic, no optimiser moments), so it cannot be resumed. Read it back
/// with [`load_weights`]. A run folder's `best/` is such a folder. Written and swapped in like
/// [`save_checkpoint`], with the same errors.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::train::{load_checkpoint, load_weights, save_weights, TrainConfig, Trainer};
/// let p = PlantedCorpus::builder().topics(3).docs(40).vocab_size(30).build();
/// let config = TrainConfig { topics: 3, hidden: 16, batch_size: 20, device: "cpu".into(), ..TrainConfig::default() };
/// let mut trainer = Trainer::new(config, &p.corpus).unwrap();
/// trainer.fit(1, |_, _| Ok(())).unwrap();
/// let dir = std::env::temp_dir().join(format!("gcatm-doc-save-weights-{}", std::process::id()));
/// save_weights(&trainer, &dir).unwrap();
/// let loaded = load_weights(&dir, &p.corpus, None).unwrap();
/// assert_eq!(loaded.topic_word_distributions().unwrap().to_vec2::<f32>().unwrap(),
///            trainer.topic_word_distributions().unwrap().to_vec2::<f32>().unwrap());
/// assert!(load_checkpoint(&dir, &p.corpus, None).is_err()); // not resumable
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn save_weights(trainer: &Trainer, dir: &Path) -> Result<(), TrainError> {
    create_parent(dir)?;
    save(trainer, dir, true)
}

/// A checkpoint saved by hand (a notebook's `runs/x`) may go where no folder exists yet; a run
/// folder's own saves ([`save`], from `train_to_dir`) do not create it, so that a run folder
/// removed under a running process stays removed.
fn create_parent(dir: &Path) -> Result<(), TrainError> {
    match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => {
            std::fs::create_dir_all(p).map_err(|e| TrainError::file(p, e))
        }
        _ => Ok(()),
    }
}

pub(super) fn save(trainer: &Trainer, dir: &Path, weights_only: bool) -> Result<(), TrainError> {
    save_folder(dir, |tmp| write_folder(trainer, tmp, weights_only))
}

/// Writes a checkpoint folder `dir` through `write`, which fills a fresh temporary folder beside
/// it; the finished folder is then swapped in ([`swap`]). On failure the temporary folder is
/// removed and the error says which checkpoint `dir` still holds. Every model's checkpoints (the
/// adversarial trainer's, ProdLDA's) are saved this way.
pub(crate) fn save_folder(
    dir: &Path,
    write: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let tmp = sibling(dir, "tmp");
    let result = fresh_dir(&tmp)
        .and_then(|()| write(&tmp))
        .and_then(|()| swap(&tmp, dir));
    result.map_err(|e| {
        // Best effort: removing frees the space a full disk needs; a removed folder has no tmp.
        let _ = std::fs::remove_dir_all(&tmp);
        e.while_saving(dir, checkpoint_epoch(dir))
    })
}

fn fresh_dir(tmp: &Path) -> Result<(), TrainError> {
    if tmp.exists() {
        // Left by a process killed while saving.
        std::fs::remove_dir_all(tmp).map_err(|e| TrainError::file(tmp, e))?;
    }
    // Not `create_dir_all`: a run folder removed under a running process stays removed.
    std::fs::create_dir(tmp).map_err(|e| TrainError::file(tmp, e))
}

fn write_folder(trainer: &Trainer, tmp: &Path, weights_only: bool) -> Result<(), TrainError> {
    let (e, g, d) = trainer.var_maps();
    let nets = if weights_only { 2 } else { 3 };
    for (name, vm) in NETS.iter().zip([e, g, d]).take(nets) {
        let tensors: Vec<(String, Tensor)> = vm
            .data()
            .lock()
            .expect("a VarMap lock is not poisoned")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        write_safetensors(&tmp.join(format!("{name}.safetensors")), tensors)?;
    }
    let (oe, og, od) = trainer.optimizers();
    if !weights_only {
        let mut opt = Vec::new();
        for (name, o) in NETS.iter().zip([oe, og, od]) {
            opt.extend(
                o.state()
                    .into_iter()
                    .map(|(k, t)| (format!("{name}/{k}"), t)),
            );
        }
        write_safetensors(&tmp.join("optimizer.safetensors"), opt)?;
    }
    let state = State {
        config: trainer.config().clone(),
        epoch: trainer.epoch(),
        steps: [oe.steps(), og.steps(), od.steps()],
        history: trainer.history().clone(),
        weights_only,
        idf: trainer.idf().cloned(),
    };
    let path = tmp.join("state.json");
    let json = serde_json::to_vec(&state).map_err(|err| TrainError::file(&path, err))?;
    write_file(&path, &json)
}

/// Moves the finished `tmp` to `dir`; the old checkpoint is moved aside before the new one takes
/// its name ([`load_checkpoint`] falls back to it should a crash come between the two renames).
fn swap(tmp: &Path, dir: &Path) -> Result<(), TrainError> {
    let old = sibling(dir, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|err| TrainError::file(&old, err))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|err| TrainError::file(dir, err))?;
    }
    if let Err(err) = std::fs::rename(tmp, dir) {
        // Put the previous checkpoint back under its name.
        let _ = std::fs::rename(&old, dir);
        return Err(TrainError::file(dir, err));
    }
    // The new checkpoint is in place; a leftover `.old` is removed by the next save.
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The epoch of the checkpoint [`load_checkpoint`] (or [`load_weights`]) would read from `dir`,
/// or `None` when it holds none.
pub(crate) fn checkpoint_epoch(dir: &Path) -> Option<usize> {
    #[derive(Deserialize)]
    struct Epoch {
        epoch: usize,
    }
    let bytes = std::fs::read(readable(dir).join("state.json")).ok()?;
    serde_json::from_slice::<Epoch>(&bytes)
        .ok()
        .map(|s| s.epoch)
}

/// `dir`, or the previous checkpoint a crash between the two renames of a save left under `.old`.
pub(crate) fn readable(dir: &Path) -> PathBuf {
    if !dir.join("state.json").exists() && sibling(dir, "old").join("state.json").exists() {
        sibling(dir, "old")
    } else {
        dir.to_path_buf()
    }
}

fn read_state(dir: &Path) -> Result<State, TrainError> {
    let path = dir.join("state.json");
    let bytes = std::fs::read(&path).map_err(|e| TrainError::file(&path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| TrainError::file(&path, format!("not a gcatm checkpoint state: {e}")))
}

fn load_nets(trainer: &Trainer, dir: &Path, nets: usize) -> Result<(), TrainError> {
    let (e, g, d) = trainer.var_maps();
    for (name, vm) in NETS.iter().zip([e, g, d]).take(nets) {
        let path = dir.join(format!("{name}.safetensors"));
        let mut vm = vm.clone();
        vm.load(&path).map_err(|err| {
            TrainError::file(
                &path,
                format!("cannot load weights (does the corpus match the run?): {err}"),
            )
        })?;
    }
    Ok(())
}

/// Rebuilds a [`Trainer`] from a checkpoint folder written by [`save_checkpoint`], over the same
/// training corpus, so that training continues exactly where it stopped. `device` overrides the
/// configured device when given.
pub fn load_checkpoint(
    dir: &Path,
    train: &Corpus,
    device: Option<&str>,
) -> Result<Trainer, TrainError> {
    let (dir, state, mut trainer) = open(dir, train, device)?;
    if state.weights_only {
        return Err(TrainError::file(
            &dir,
            "holds weights for evaluation only (no critic, no optimiser moments), so a run cannot \
             continue from it: read it with load_weights, or resume from the run's checkpoint/",
        ));
    }
    load_nets(&trainer, &dir, 3)?;
    let path = dir.join("optimizer.safetensors");
    let device = trainer.device().clone();
    let all =
        candle_core::safetensors::load(&path, &device).map_err(|e| TrainError::file(&path, e))?;
    let mut per: [HashMap<String, Tensor>; 3] = Default::default();
    for (k, t) in all {
        if let Some((net, rest)) = k.split_once('/') {
            if let Some(i) = NETS.iter().position(|n| *n == net) {
                per[i].insert(rest.to_string(), t);
            }
        }
    }
    trainer
        .restore(
            state.epoch,
            state.history,
            [
                (&per[0], state.steps[0]),
                (&per[1], state.steps[1]),
                (&per[2], state.steps[2]),
            ],
        )
        .map_err(|e| TrainError::file(&path, e))?;
    Ok(trainer)
}

/// Reads the encoder's and generator's weights from a folder written by [`save_weights`] (a run
/// folder's `best/`) or [`save_checkpoint`], over the same training corpus, into a [`Trainer`]
/// for evaluation: topics, theta, coherence, with the saved epoch and history. Its critic and
/// optimisers are freshly initialised, so training it further does not continue the run (use
/// [`load_checkpoint`] for that). `device` overrides the configured device when given.
pub fn load_weights(
    dir: &Path,
    train: &Corpus,
    device: Option<&str>,
) -> Result<Trainer, TrainError> {
    let (dir, state, mut trainer) = open(dir, train, device)?;
    load_nets(&trainer, &dir, 2)?;
    trainer.set_progress(state.epoch, state.history);
    Ok(trainer)
}

/// What both loads start with: the folder to read (see [`readable`]), its state, and a fresh
/// trainer built from the saved config (with `device` overriding it) and the saved idf.
fn open(
    dir: &Path,
    train: &Corpus,
    device: Option<&str>,
) -> Result<(PathBuf, State, Trainer), TrainError> {
    let dir = readable(dir);
    let mut state = read_state(&dir)?;
    if let Some(d) = device {
        state.config.device = d.to_string();
    }
    if let Some(idf) = &state.idf {
        if idf.values().len() != train.vocab_size() {
            return Err(TrainError::file(
                &dir.join("state.json"),
                format!(
                    "the run was trained on {} words (its idf has {} values) but the corpus has \
                     {}: does the corpus match the run?",
                    idf.values().len(),
                    idf.values().len(),
                    train.vocab_size()
                ),
            ));
        }
    }
    let trainer = Trainer::with_idf(state.config.clone(), train, state.idf.clone())?;
    Ok((dir, state, trainer))
}

pub(crate) fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "checkpoint".into());
    dir.with_file_name(format!(".{name}.{suffix}"))
}
