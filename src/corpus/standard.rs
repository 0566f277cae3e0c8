//! The standard corpus of the experiment log's stand-in: 20NG restricted to the `20news_clean` words.
use super::{load_topmost, read_vocab_file, Corpus, CorpusError, Split};
use std::path::{Path, PathBuf};

/// The vocabulary file of `20news_clean` inside a data folder: `20news_clean/vocab.pkl` (the full
/// download) or `20news_clean_sample/vocab.pkl`.
pub fn news_clean_vocab_path(data_dir: &Path) -> Option<PathBuf> {
    ["20news_clean/vocab.pkl", "20news_clean_sample/vocab.pkl"]
        .iter()
        .map(|p| data_dir.join(p))
        .find(|p| p.exists())
}

/// 20ng-1883: the TopMost 20 Newsgroups in `data_dir/20ng` restricted to the 1883 words it shares
/// with the `20news_clean` vocabulary, in 20NG's column order, empty documents dropped. Returns
/// `(train, test)` (11314 and 7532 documents), labelled. This is the stand-in for `20news_clean`,
/// whose full files are not published with labels.
///
/// ```no_run
/// let (train, test) = gcatm::corpus::load_20ng_1883(std::path::Path::new("data")).unwrap();
/// assert_eq!(train.vocab_size(), 1883);
/// ```
pub fn load_20ng_1883(data_dir: &Path) -> Result<(Corpus, Corpus), CorpusError> {
    let vocab_path = news_clean_vocab_path(data_dir)
        .ok_or_else(|| CorpusError::Missing(data_dir.join("20news_clean/vocab.pkl")))?;
    let vocab = read_vocab_file(&vocab_path)?;
    let dir = data_dir.join("20ng");
    let train = load_topmost(&dir, Split::Train)?
        .restrict_to(&vocab)?
        .drop_empty()?
        .0;
    let test = load_topmost(&dir, Split::Test)?
        .restrict_to(&vocab)?
        .drop_empty()?
        .0;
    Ok((train, test))
}
