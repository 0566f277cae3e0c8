//! One module per subcommand.
pub mod baseline;
pub mod bench;
pub mod coherence;
pub mod common;
pub mod corpus;
pub mod data;
pub mod log;
pub mod reproduce;
pub mod sweep;
pub mod train;
