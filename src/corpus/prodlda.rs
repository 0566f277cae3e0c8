//! The ProdLDA `20news_clean` layout: `{train,test,valid}.txt.npy` (pickled NumPy object arrays of
//! per-document token-id arrays) and `vocab.pkl` (a pickled dict word -> id).
use super::pickle::{self, Value};
use super::{Corpus, CorpusError, Split, Vocab};
use std::path::{Path, PathBuf};

/// The split files of the layout, in the order [`Split::All`] concatenates them.
const SPLIT_FILES: [&str; 3] = ["train.txt.npy", "test.txt.npy", "valid.txt.npy"];

/// Loads the ProdLDA `20news_clean` layout from `dir`.
///
/// [`Split::Train`] reads `train.txt.npy`, [`Split::Test`] reads `test.txt.npy`, and [`Split::All`]
/// reads every one of `train.txt.npy`, `test.txt.npy` and `valid.txt.npy` that is present, in that
/// order. The vocabulary is `vocab.pkl`. Each document is a sequence of token ids; `None` entries
/// (out-of-vocabulary positions in some published files) are skipped, and a document with no
/// tokens is kept as an empty document (drop it with [`Corpus::drop_empty`]). There are no labels.
///
/// Both element encodings NumPy has used are read: inner integer arrays (`<i8`, `<i4`, ...) whose
/// data is raw bytes, and inner object arrays holding Python ints and `None`.
///
/// ```no_run
/// use gcatm::corpus::{load_prodlda, Split};
/// let c = load_prodlda("data/20news_clean".as_ref(), Split::Train)?;
/// println!("{} documents over {} words", c.n_docs(), c.vocab_size());
/// # Ok::<(), gcatm::corpus::CorpusError>(())
/// ```
pub fn load_prodlda(dir: &Path, split: Split) -> Result<Corpus, CorpusError> {
    if !dir.is_dir() {
        return Err(CorpusError::Missing(dir.to_path_buf()));
    }
    let present: Vec<&str> = SPLIT_FILES
        .iter()
        .copied()
        .filter(|f| dir.join(f).is_file())
        .collect();
    let wanted: Vec<&str> = match split {
        Split::Train => vec![SPLIT_FILES[0]],
        Split::Test => vec![SPLIT_FILES[1]],
        Split::All => present.clone(),
    };
    if wanted.is_empty() || wanted.iter().any(|f| !present.contains(f)) {
        let missing: Vec<PathBuf> = if wanted.is_empty() {
            SPLIT_FILES.iter().map(|f| dir.join(f)).collect()
        } else {
            wanted.iter().map(|f| dir.join(f)).collect()
        };
        let missing: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
        let has = if present.is_empty() {
            "none of train.txt.npy, test.txt.npy, valid.txt.npy".to_string()
        } else {
            present.join(", ")
        };
        let hint = if present.is_empty() {
            String::new()
        } else {
            " (use Split::All / --split all to load the splits present)".to_string()
        };
        return Err(CorpusError::Invalid(format!(
            "{}: no such file; the folder holds {has}{hint}",
            missing.join(", ")
        )));
    }
    let vocab = read_pickled_vocab(&dir.join("vocab.pkl"))?;
    let mut corpus: Option<Corpus> = None;
    for f in wanted {
        let c = read_token_file(&dir.join(f), &vocab)?;
        corpus = Some(match corpus {
            None => c,
            Some(prev) => prev.concat(&c)?,
        });
    }
    Ok(corpus.expect("at least one split file is read"))
}

/// Reads one `.npy` object array of token-id documents into a count corpus over `vocab`.
fn read_token_file(path: &Path, vocab: &Vocab) -> Result<Corpus, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    let (header, body) = npy_header(&bytes).map_err(|m| CorpusError::format(path, m))?;
    let descr = header_field(header, "descr").unwrap_or_default();
    if descr != "|O" {
        return Err(CorpusError::format(
            path,
            format!(
                "expected a NumPy object array (dtype '|O') of per-document token arrays, \
                 found dtype '{descr}'"
            ),
        ));
    }
    let value = pickle::load(body)
        .map_err(|m| CorpusError::format(path, format!("corrupt pickle: {m}")))?;
    let docs = match &value {
        Value::Array(a) => {
            let a = a.borrow();
            if a.dtype.as_ref().map(|d| d.kind) != Some('O') {
                return Err(CorpusError::format(
                    path,
                    format!(
                        "expected an object array of documents, found {}",
                        value.kind()
                    ),
                ));
            }
            if a.len() != Some(a.objects.len()) {
                return Err(CorpusError::format(
                    path,
                    format!(
                        "the array's shape {:?} does not match its {} elements",
                        a.shape,
                        a.objects.len()
                    ),
                ));
            }
            a.objects.clone()
        }
        Value::List(l) => l.borrow().clone(),
        other => {
            return Err(CorpusError::format(
                path,
                format!("expected an array of documents, found {}", other.kind()),
            ))
        }
    };
    let v = vocab.len();
    let mut rows: Vec<Vec<(u32, f32)>> = Vec::with_capacity(docs.len());
    let mut counts = vec![0f32; v];
    for (d, doc) in docs.iter().enumerate() {
        let ids = doc_token_ids(doc)
            .map_err(|m| CorpusError::format(path, format!("document {d}: {m}")))?;
        let mut touched: Vec<u32> = Vec::new();
        for id in ids.into_iter().flatten() {
            if id < 0 || id as usize >= v {
                return Err(CorpusError::format(
                    path,
                    format!(
                        "document {d}: word id {id} is out of range for the vocabulary of {v} \
                         words (vocab.pkl)"
                    ),
                ));
            }
            let id = id as usize;
            if counts[id] == 0.0 {
                touched.push(id as u32);
            }
            counts[id] += 1.0;
        }
        // Dense scratch counts, reset after each document: linear in the document's length.
        let row = touched
            .iter()
            .map(|&w| {
                let c = counts[w as usize];
                counts[w as usize] = 0.0;
                (w, c)
            })
            .collect();
        rows.push(row);
    }
    Corpus::from_docs(&rows, vocab.clone()).map_err(|e| CorpusError::format(path, e.to_string()))
}

/// The token ids of one document: a NumPy array (integer or object), a list or a tuple.
fn doc_token_ids(doc: &Value) -> Result<Vec<Option<i64>>, String> {
    let flat = |items: &[Value]| -> Result<Vec<Option<i64>>, String> {
        items
            .iter()
            .map(|v| match v {
                Value::None => Ok(None),
                v => v
                    .as_int()
                    .map(Some)
                    .ok_or_else(|| format!("expected a token id, found {}", v.kind())),
            })
            .collect()
    };
    match doc {
        Value::Array(a) => {
            let a = a.borrow();
            if a.shape.len() > 1 {
                return Err(format!("a document array has shape {:?}", a.shape));
            }
            a.int_elements()
        }
        Value::List(l) => flat(&l.borrow()),
        Value::Tuple(t) => flat(t),
        Value::None => Ok(Vec::new()),
        other => Err(format!(
            "expected an array of token ids, found {}",
            other.kind()
        )),
    }
}

/// Splits an `.npy` file into its header dictionary text and its data.
fn npy_header(bytes: &[u8]) -> Result<(&str, &[u8]), String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err("not a NumPy .npy file (bad magic bytes)".into());
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("the .npy header is truncated".into());
            }
            (
                u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
                12,
            )
        }
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= bytes.len())
        .ok_or("the .npy header is truncated")?;
    let header =
        std::str::from_utf8(&bytes[start..end]).map_err(|_| "the .npy header is not text")?;
    Ok((header, &bytes[end..]))
}

/// The string value of `key` in an `.npy` header dictionary (`{'descr': '|O', ...}`).
fn header_field(header: &str, key: &str) -> Option<String> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let q = rest.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(q)?].to_string())
}

/// Reads a pickled vocabulary: a dict word -> id (as ProdLDA's `vocab.pkl`), a dict id -> word, or
/// a list of words. Ids must be exactly `0..n`.
///
/// ```no_run
/// use gcatm::corpus::read_pickled_vocab;
/// let v = read_pickled_vocab("data/20news_clean/vocab.pkl".as_ref())?;
/// assert_eq!(v.len(), 1995);
/// # Ok::<(), gcatm::corpus::CorpusError>(())
/// ```
pub fn read_pickled_vocab(path: &Path) -> Result<Vocab, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    let value = pickle::load(&bytes)
        .map_err(|m| CorpusError::format(path, format!("corrupt pickle: {m}")))?;
    let bad = |m: String| CorpusError::format(path, m);
    let words: Vec<String> = match &value {
        Value::Dict(d) => {
            let d = d.borrow();
            let n = d.len();
            let mut words: Vec<Option<String>> = vec![None; n];
            for (k, v) in d.iter() {
                // Either word -> id or id -> word.
                let (word, id) = match (k.as_text(), v.as_int(), k.as_int(), v.as_text()) {
                    (Some(w), Some(i), _, _) => (w, i),
                    (_, _, Some(i), Some(w)) => (w, i),
                    _ => {
                        return Err(bad(format!(
                            "expected a dict word -> id, found an entry {} -> {}",
                            k.kind(),
                            v.kind()
                        )))
                    }
                };
                let slot = usize::try_from(id)
                    .ok()
                    .and_then(|i| words.get_mut(i))
                    .ok_or_else(|| {
                        bad(format!(
                            "the id {id} of `{word}` is outside 0..{n} (ids must be 0..n-1)"
                        ))
                    })?;
                if let Some(prev) = slot {
                    return Err(bad(format!(
                        "the id {id} is given to both `{prev}` and `{word}`"
                    )));
                }
                *slot = Some(word);
            }
            words.into_iter().map(|w| w.unwrap_or_default()).collect()
        }
        Value::List(l) => l
            .borrow()
            .iter()
            .map(|w| {
                w.as_text()
                    .ok_or_else(|| bad(format!("expected a list of words, found {}", w.kind())))
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(bad(format!(
                "expected a pickled dict word -> id, found {}",
                other.kind()
            )))
        }
    };
    if words.is_empty() {
        return Err(bad("the vocabulary holds no words".into()));
    }
    Vocab::new(words).map_err(|e| bad(e.to_string()))
}
