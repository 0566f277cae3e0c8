use super::{Corpus, CorpusError, Split, Vocab};
use std::path::Path;

/// Loads the ProdLDA `20news_clean` layout (to be written).
pub fn load_prodlda(dir: &Path, _split: Split) -> Result<Corpus, CorpusError> {
    Err(CorpusError::format(dir, "ProdLDA reader not written yet"))
}

/// Reads a pickled dict word -> id (to be written).
pub fn read_pickled_vocab(path: &Path) -> Result<Vocab, CorpusError> {
    Err(CorpusError::format(path, "pickle reader not written yet"))
}
