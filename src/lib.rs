//! # gcatm — adversarial neural topic models with a contrastive (InfoNCE) generator
//!
//! Building blocks for bidirectional adversarial topic models (an encoder, a generator and a
//! Wasserstein critic with weight clipping) whose generator also minimises an InfoNCE loss between
//! generated documents and topic-label embeddings, as in the experiment log this crate reproduces.
//!
//! The modules follow the data's path:
//! [`corpus`] → [`model`] (encoder, generator, critic, prior) → [`loss`] → [`train`] → [`eval`] →
//! [`plot`], with [`experiments`] holding the log's entries as typed data and the runner that
//! re-runs them ([`experiments::reproduce`]).
//!
//! ```
//! use gcatm::corpus::PlantedCorpus;
//! // The built-in default corpus: documents sampled from known topics, no files needed.
//! let planted = PlantedCorpus::builder().topics(4).docs(50).seed(1).build();
//! assert_eq!(planted.corpus.n_docs(), 50);
//! ```
#![warn(missing_docs)]

pub mod baseline;
pub mod corpus;
#[macro_use]
mod simd;
pub mod device;
pub mod eval;
pub mod experiments;
pub(crate) mod kernels;
pub mod loss;
pub mod model;
pub mod plot;
pub mod provenance;
pub mod train;
