//! One module per subcommand.
pub mod bench;
pub mod common;
pub mod coherence;
pub mod corpus;
pub mod data;
pub mod log;
pub mod reproduce;
pub mod train;
