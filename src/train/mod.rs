//! Training: the configuration, the step API, the history and checkpoints.
mod config;
pub use config::{Optimizer, TrainConfig, Variant};
