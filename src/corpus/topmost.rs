use super::{Corpus, CorpusError, Split};
use std::path::Path;

/// Loads the TopMost layout (to be written).
pub fn load_topmost(dir: &Path, _split: Split) -> Result<Corpus, CorpusError> {
    Err(CorpusError::format(dir, "TopMost reader not written yet"))
}
