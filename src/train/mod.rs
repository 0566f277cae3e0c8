//! Training: the configuration, the step API (critic, generator and encoder steps), the history,
//! checkpoints and run folders.
mod adam;
mod checkpoint;
mod config;
mod history;
mod run;
mod trainer;

pub use crate::model::Variant;
pub use adam::Adam;
pub use checkpoint::{load_checkpoint, save_checkpoint};
pub use config::{Optimizer, TrainConfig};
pub use history::{EpochRecord, History, IterationLosses};
pub use run::{evaluation_metrics, train_to_dir, write_atomic, write_json, RunSummary};
pub use trainer::{GeneratorLosses, Trainer};

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
}

impl TrainError {
    pub(crate) fn file(path: &std::path::Path, msg: impl std::fmt::Display) -> Self {
        TrainError::File {
            path: path.to_path_buf(),
            msg: msg.to_string(),
        }
    }
}
