use super::{Corpus, CorpusError};
use std::path::Path;

/// Loads the UCI bag-of-words layout (to be written).
pub fn load_uci(path: &Path) -> Result<Corpus, CorpusError> {
    Err(CorpusError::format(path, "UCI reader not written yet"))
}
