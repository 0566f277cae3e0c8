use super::{Corpus, CorpusError};
use std::path::Path;

/// English stop words (to be written).
pub const ENGLISH_STOP_WORDS: &[&str] = &[];

/// Tokenizer settings (to be written).
#[derive(Debug, Clone, Default)]
pub struct Tokenizer;

/// Text loading options (to be written).
#[derive(Debug, Clone, Default)]
pub struct TextOptions;

/// Loads raw text (to be written).
pub fn load_text(path: &Path, _opts: &TextOptions) -> Result<Corpus, CorpusError> {
    Err(CorpusError::format(path, "text reader not written yet"))
}
