use super::CorpusError;
use std::collections::HashMap;
use std::path::Path;

/// A vocabulary: word <-> id, ids `0..len()` in column order.
///
/// ```
/// use gcatm::corpus::Vocab;
/// let v = Vocab::new(vec!["space".into(), "orbit".into()]).unwrap();
/// assert_eq!(v.id("orbit"), Some(1));
/// assert_eq!(v.word(0), "space");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vocab {
    words: Vec<String>,
    index: HashMap<String, u32>,
}

impl Vocab {
    /// Builds a vocabulary; a repeated word is an error.
    pub fn new(words: Vec<String>) -> Result<Self, CorpusError> {
        let mut index = HashMap::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if index.insert(w.clone(), i as u32).is_some() {
                return Err(CorpusError::Invalid(format!(
                    "the word `{w}` appears twice in the vocabulary"
                )));
            }
        }
        Ok(Vocab { words, index })
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The word of column `id` (panics when out of range, like slice indexing).
    pub fn word(&self, id: usize) -> &str {
        &self.words[id]
    }

    /// The column of `word`, if present.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// All words in column order.
    pub fn words(&self) -> &[String] {
        &self.words
    }
}

/// Reads a vocabulary file: `vocab.pkl` (a pickled dict word -> id, as ProdLDA ships it) or a text
/// file with one word per line (line `i` is column `i`).
pub fn read_vocab_file(path: &Path) -> Result<Vocab, CorpusError> {
    if path.extension().and_then(|e| e.to_str()) == Some("pkl") {
        return super::read_pickled_vocab(path);
    }
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| CorpusError::format(path, format!("not valid UTF-8 text: {e}")))?;
    let words: Vec<String> = text
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    if words.is_empty() {
        return Err(CorpusError::format(
            path,
            "the vocabulary file holds no words",
        ));
    }
    Vocab::new(words).map_err(|e| CorpusError::format(path, e.to_string()))
}
