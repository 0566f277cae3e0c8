use super::{History, TrainConfig, TrainError, Trainer};
use crate::corpus::Corpus;
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
}

const NETS: [&str; 3] = ["encoder", "generator", "critic"];

/// Writes a checkpoint of `trainer` to the folder `dir`: each network's weights (BatchNorm running
/// statistics included) as safetensors, the optimisers' moments and step counts, the config and
/// the history. The folder is written beside its final place and swapped in, so an interrupted
/// write never leaves a half checkpoint under `dir`.
pub fn save_checkpoint(trainer: &Trainer, dir: &Path) -> Result<(), TrainError> {
    let tmp = sibling(dir, "tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| TrainError::file(&tmp, e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| TrainError::file(&tmp, e))?;
    let (e, g, d) = trainer.var_maps();
    for (name, vm) in NETS.iter().zip([e, g, d]) {
        let path = tmp.join(format!("{name}.safetensors"));
        vm.save(&path).map_err(|err| TrainError::file(&path, err))?;
    }
    let (oe, og, od) = trainer.optimizers();
    let mut opt: HashMap<String, Tensor> = HashMap::new();
    for (name, o) in NETS.iter().zip([oe, og, od]) {
        for (k, t) in o.state() {
            opt.insert(format!("{name}/{k}"), t);
        }
    }
    let path = tmp.join("optimizer.safetensors");
    candle_core::safetensors::save(&opt, &path).map_err(|err| TrainError::file(&path, err))?;
    let state = State {
        config: trainer.config().clone(),
        epoch: trainer.epoch(),
        steps: [oe.steps(), og.steps(), od.steps()],
        history: trainer.history().clone(),
    };
    let path = tmp.join("state.json");
    let json = serde_json::to_vec(&state).map_err(|err| TrainError::file(&path, err))?;
    std::fs::write(&path, json).map_err(|err| TrainError::file(&path, err))?;
    // Swap: the old checkpoint is moved aside before the new one takes its name.
    let old = sibling(dir, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|err| TrainError::file(&old, err))?;
    }
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|err| TrainError::file(dir, err))?;
    }
    std::fs::rename(&tmp, dir).map_err(|err| TrainError::file(dir, err))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|err| TrainError::file(&old, err))?;
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
    // A crash between the two renames of a save leaves the previous checkpoint under `.old`.
    let dir = if !dir.join("state.json").exists() && sibling(dir, "old").join("state.json").exists()
    {
        sibling(dir, "old")
    } else {
        dir.to_path_buf()
    };
    let path = dir.join("state.json");
    let bytes = std::fs::read(&path).map_err(|e| TrainError::file(&path, e))?;
    let mut state: State = serde_json::from_slice(&bytes)
        .map_err(|e| TrainError::file(&path, format!("not a gcatm checkpoint state: {e}")))?;
    if let Some(d) = device {
        state.config.device = d.to_string();
    }
    let mut trainer = Trainer::new(state.config.clone(), train)?;
    {
        let (e, g, d) = trainer.var_maps();
        for (name, vm) in NETS.iter().zip([e, g, d]) {
            let path = dir.join(format!("{name}.safetensors"));
            let mut vm = vm.clone();
            vm.load(&path).map_err(|err| {
                TrainError::file(
                    &path,
                    format!("cannot load weights (does the corpus match the run?): {err}"),
                )
            })?;
        }
    }
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

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "checkpoint".into());
    dir.with_file_name(format!(".{name}.{suffix}"))
}
