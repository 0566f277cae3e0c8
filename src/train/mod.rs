//! Training: the configuration, the step API (critic, generator and encoder steps), the history,
//! checkpoints and run folders.
mod adam;
pub(crate) mod checkpoint;
mod config;
pub(crate) mod files;
mod folder;
mod history;
mod run;
mod trainer;

pub use crate::corpus::InputTransform;
pub use crate::model::Variant;
pub use adam::Adam;
pub use checkpoint::{load_checkpoint, load_weights, save_checkpoint, save_weights};
pub use config::{Backend, CriticConstraint, Optimizer, TrainConfig};
pub use folder::{DiskUse, LockHolder, LockedRunFolder, RunFolder};
pub use history::{EpochRecord, History, IterationLosses};
pub use run::{
    evaluation_metrics, train_to_dir, train_to_folder, write_atomic, write_json, RunSummary,
};
pub use trainer::{CriticSensitivity, GeneratorLosses, Trainer};

use std::path::PathBuf;

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The configuration cannot be trained.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A loss became NaN or infinite.
    #[error("training diverged at epoch {epoch}, iteration {iteration}: {loss} = {value}")]
    Diverged {
        /// The epoch (from 1).
        epoch: usize,
        /// The iteration within the epoch (from 0).
        iteration: usize,
        /// Which loss.
        loss: String,
        /// Its value.
        value: f32,
    },
    /// The corpus could not be read or batched.
    #[error(transparent)]
    Corpus(#[from] crate::corpus::CorpusError),
    /// The device could not be had.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
    /// A tensor operation failed.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
    /// A file could not be read or written.
    #[error("{path}: {msg}")]
    File {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        msg: String,
    },
    /// Saving a checkpoint or a run folder's file failed (a full disk, a permission, a removed
    /// folder). The save's temporary files are removed and what was saved before is untouched;
    /// `checkpoint` and `epoch` say what a run can continue from.
    #[error("{path}: {msg}; {}", left(.checkpoint, .epoch))]
    Save {
        /// The file that could not be written.
        path: PathBuf,
        /// What went wrong.
        msg: String,
        /// The checkpoint folder concerned (a run folder's `checkpoint/`).
        checkpoint: PathBuf,
        /// The epoch of the checkpoint it still holds, `None` when it holds none.
        epoch: Option<usize>,
    },
    /// Another process (or another writer in this one) holds the run folder's lock.
    #[error(
        "{}: another process is writing this run folder ({}); wait for it to finish or use \
         another folder",
        .path.display(),
        .holder.as_ref().map_or("its holder has not said who it is yet".to_string(), |h| h.to_string())
    )]
    Locked {
        /// The run folder.
        path: PathBuf,
        /// Who holds it, as the holder wrote it into the lock file.
        holder: Option<LockHolder>,
    },
}

fn left(checkpoint: &std::path::Path, epoch: &Option<usize>) -> String {
    match epoch {
        Some(n) => format!(
            "temporary files removed; {} still holds the checkpoint of epoch {n}",
            checkpoint.display()
        ),
        None => format!(
            "temporary files removed; {} holds no checkpoint, so there is nothing to resume from",
            checkpoint.display()
        ),
    }
}

impl TrainError {
    pub(crate) fn file(path: &std::path::Path, msg: impl std::fmt::Display) -> Self {
        TrainError::File {
            path: path.to_path_buf(),
            msg: msg.to_string(),
        }
    }

    /// A failed write, restated as a [`TrainError::Save`] that says what `checkpoint` holds.
    pub(crate) fn while_saving(self, checkpoint: &std::path::Path, epoch: Option<usize>) -> Self {
        match self {
            TrainError::File { path, msg } | TrainError::Save { path, msg, .. } => {
                TrainError::Save {
                    path,
                    msg,
                    checkpoint: checkpoint.to_path_buf(),
                    epoch,
                }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod save_tests;
