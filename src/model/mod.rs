//! The networks of a bidirectional adversarial topic model, built the candle way (`new(vb, ...)`,
//! [`candle_nn::ModuleT`]), and the Dirichlet prior over topic proportions.
//!
//! A "block" is Linear -> BatchNorm1d -> LeakyReLU(0.01); H is the hidden width (1024 in the log).
//! - [`Encoder`]: bow (V) -> block(V, H) -> Linear(H, K) -> softmax = theta.
//! - [`Generator`]: theta (K) -> block(K, H) = h -> Linear(H, V) -> softmax, plus its contrastive heads.
//! - [`Critic`]: (theta, bow) -> block(K + V, H) -> Linear(H, 1), a Wasserstein critic (no sigmoid).
//!
//! Every network keeps its parameters in its own [`candle_nn::VarMap`]; [`seeded_var_builder`] fills
//! one deterministically from a seed (candle's CPU random generator cannot be seeded).

mod critic;
mod encoder;
mod generator;
mod init;
mod layers;
mod ops;
mod prior;

pub use critic::Critic;
pub(crate) use critic::{project_spectral, spectral_vector};
pub use encoder::Encoder;
pub(crate) use encoder::EncoderPass;
pub(crate) use generator::{balance_terms, Terms};
pub use generator::{ContrastivePair, Generator, GeneratorOutput, Variant};
pub use init::{seeded_var_builder, trainable_vars};
pub(crate) use layers::{linear_n, BatchStats, Linear};
pub use layers::{sparse_matmul, BatchNorm1d, Bow};
pub(crate) use ops::softmax_rows;
pub use prior::DirichletPrior;
