//! The TopMost / ECRTM layout: `{train,test}_bow.npz` (scipy CSR matrices), `vocab.txt` and
//! optional `{train,test}_labels.txt`.
use super::{read_vocab_file, Corpus, CorpusError, Split, Vocab};
use ndarray::Array1;
use ndarray_npy::{NpzReader, ReadNpyError, ReadNpzError, ReadableElement};
use std::io::Cursor;
use std::path::Path;

/// Loads the TopMost / ECRTM layout from `dir`: [`Split::Train`] reads `train_bow.npz` (and
/// `train_labels.txt` when present), [`Split::Test`] the `test_*` files, [`Split::All`] both, train
/// first.
///
/// The `.npz` files are what `scipy.sparse.save_npz` writes for a CSR matrix (compressed or not):
/// arrays `data`, `indices`, `indptr` and `shape`, any integer width (floats are accepted for
/// `data`). The matrix must have one column per line of `vocab.txt`. Labels are optional: without
/// a label file the corpus has no labels, but a label file must have one integer per document.
///
/// ```no_run
/// use gcatm::corpus::{load_topmost, Split};
/// let train = load_topmost("data/20ng".as_ref(), Split::Train)?;
/// assert_eq!((train.n_docs(), train.vocab_size(), train.n_labels()), (11314, 5000, 20));
/// # Ok::<(), gcatm::corpus::CorpusError>(())
/// ```
pub fn load_topmost(dir: &Path, split: Split) -> Result<Corpus, CorpusError> {
    if !dir.is_dir() {
        return Err(CorpusError::Missing(dir.to_path_buf()));
    }
    let vocab = read_vocab_file(&dir.join("vocab.txt"))?;
    match split {
        Split::Train => load_part(dir, "train", &vocab),
        Split::Test => load_part(dir, "test", &vocab),
        Split::All => load_part(dir, "train", &vocab)?.concat(&load_part(dir, "test", &vocab)?),
    }
}

/// One split: `{part}_bow.npz` plus its labels when present.
fn load_part(dir: &Path, part: &str, vocab: &Vocab) -> Result<Corpus, CorpusError> {
    let path = dir.join(format!("{part}_bow.npz"));
    let corpus = read_csr_npz(&path, vocab)?;
    let label_path = dir.join(format!("{part}_labels.txt"));
    if !label_path.exists() {
        return Ok(corpus);
    }
    let labels = read_labels(&label_path, corpus.n_docs())?;
    corpus
        .with_labels(labels, None)
        .map_err(|e| CorpusError::format(&label_path, e.to_string()))
}

/// Reads a scipy CSR `.npz` whose columns are the words of `vocab`.
pub(crate) fn read_csr_npz(path: &Path, vocab: &Vocab) -> Result<Corpus, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    let mut npz = NpzReader::new(Cursor::new(bytes)).map_err(|e| {
        CorpusError::format(path, format!("not a readable .npz (zip) archive: {e}"))
    })?;
    let names = npz
        .names()
        .map_err(|e| CorpusError::format(path, format!("corrupt .npz archive: {e}")))?;
    for needed in ["data", "indices", "indptr", "shape"] {
        if !names.iter().any(|n| n == needed) {
            return Err(CorpusError::format(
                path,
                format!(
                    "no array `{needed}` in the archive (found {}): expected a scipy CSR matrix \
                     saved with scipy.sparse.save_npz",
                    names.join(", ")
                ),
            ));
        }
    }
    let shape = read_ints(&mut npz, path, "shape")?;
    let indptr = read_ints(&mut npz, path, "indptr")?;
    let indices = read_ints(&mut npz, path, "indices")?;
    let data = read_floats(&mut npz, path, "data")?;
    let bad = |m: String| CorpusError::format(path, m);
    let (rows, cols) = match shape[..] {
        [r, c] if r >= 0 && c >= 0 => (r as usize, c as usize),
        _ => {
            return Err(bad(format!(
                "`shape` is {shape:?}, expected two non-negative numbers"
            )))
        }
    };
    if cols != vocab.len() {
        return Err(bad(format!(
            "the matrix has {cols} columns but the vocabulary (vocab.txt) has {} words",
            vocab.len()
        )));
    }
    if indptr.len() != rows + 1 {
        return Err(bad(format!(
            "`indptr` has {} entries but `shape` says {rows} rows (expected {}; is it a CSR matrix?)",
            indptr.len(),
            rows + 1
        )));
    }
    if indices.len() != data.len() {
        return Err(bad(format!(
            "`indices` has {} entries but `data` has {}",
            indices.len(),
            data.len()
        )));
    }
    if indptr[0] != 0 {
        return Err(bad(format!("`indptr` starts at {}, not 0", indptr[0])));
    }
    if let Some(r) = indptr.windows(2).position(|w| w[0] > w[1]) {
        return Err(bad(format!("`indptr` decreases at row {r}")));
    }
    if indptr[rows] as usize != indices.len() {
        return Err(bad(format!(
            "`indptr` ends at {} but there are {} stored entries",
            indptr[rows],
            indices.len()
        )));
    }
    if let Some(i) = indices.iter().position(|&c| c < 0 || c as usize >= cols) {
        return Err(bad(format!(
            "column index {} (entry {i}) is out of range for {cols} columns",
            indices[i]
        )));
    }
    if let Some(i) = data.iter().position(|v| !v.is_finite() || *v < 0.0) {
        return Err(bad(format!(
            "value {} (entry {i}) is negative or not finite",
            data[i]
        )));
    }
    let offsets: Vec<usize> = indptr.iter().map(|&o| o as usize).collect();
    let mut word_ids: Vec<u32> = indices.iter().map(|&c| c as u32).collect();
    let mut values: Vec<f32> = data.iter().map(|&v| v as f32).collect();
    // scipy allows unsorted and duplicate column indices; a Corpus keeps each row sorted and unique.
    let canonical = (0..rows).all(|r| {
        word_ids[offsets[r]..offsets[r + 1]]
            .windows(2)
            .all(|w| w[0] < w[1])
    });
    let corpus = if canonical {
        Corpus::from_csr(offsets, word_ids, values, vocab.clone(), None)
    } else {
        let docs: Vec<Vec<(u32, f32)>> = (0..rows)
            .map(|r| {
                let (s, e) = (offsets[r], offsets[r + 1]);
                word_ids[s..e]
                    .iter()
                    .copied()
                    .zip(values[s..e].iter().copied())
                    .collect()
            })
            .collect();
        word_ids.clear();
        values.clear();
        Corpus::from_docs(&docs, vocab.clone())
    };
    corpus.map_err(|e| bad(e.to_string()))
}

/// Reads a 1-D integer array of any width.
fn read_ints(
    npz: &mut NpzReader<Cursor<Vec<u8>>>,
    path: &Path,
    name: &str,
) -> Result<Vec<i64>, CorpusError> {
    macro_rules! try_as {
        ($($t:ty),*) => {$(
            if let Some(a) = try_read::<$t>(npz, path, name)? {
                return a
                    .iter()
                    .map(|&x| {
                        i64::try_from(x).map_err(|_| {
                            CorpusError::format(path, format!("`{name}` holds a value too large"))
                        })
                    })
                    .collect();
            }
        )*};
    }
    try_as!(i64, i32, u32, u64, i16, u16, i8, u8);
    Err(CorpusError::format(
        path,
        format!("`{name}` is not an integer array"),
    ))
}

/// Reads a 1-D numeric array (floats or integers) as `f64`.
fn read_floats(
    npz: &mut NpzReader<Cursor<Vec<u8>>>,
    path: &Path,
    name: &str,
) -> Result<Vec<f64>, CorpusError> {
    if let Some(a) = try_read::<f64>(npz, path, name)? {
        return Ok(a.to_vec());
    }
    if let Some(a) = try_read::<f32>(npz, path, name)? {
        return Ok(a.iter().map(|&x| x as f64).collect());
    }
    Ok(read_ints(npz, path, name)?
        .into_iter()
        .map(|x| x as f64)
        .collect())
}

/// Reads `name` as a 1-D array of `T`; `None` when the array holds another element type.
fn try_read<T: ReadableElement>(
    npz: &mut NpzReader<Cursor<Vec<u8>>>,
    path: &Path,
    name: &str,
) -> Result<Option<Array1<T>>, CorpusError> {
    match npz.by_name::<_, ndarray::Ix1>(name) {
        Ok(a) => Ok(Some(a)),
        Err(ReadNpzError::Npy(ReadNpyError::WrongDescriptor(_))) => Ok(None),
        Err(ReadNpzError::Npy(ReadNpyError::WrongNdim(_, n))) => Err(CorpusError::format(
            path,
            format!("`{name}` has {n} dimensions, expected 1"),
        )),
        Err(e) => Err(CorpusError::format(
            path,
            format!("cannot read the array `{name}` (truncated or corrupt?): {e}"),
        )),
    }
}

/// Reads a label file: one non-negative integer per line, `n_docs` lines.
pub(crate) fn read_labels(path: &Path, n_docs: usize) -> Result<Vec<u32>, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| CorpusError::format(path, format!("not valid UTF-8 text: {e}")))?;
    let mut labels = Vec::with_capacity(n_docs);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let l: u32 = line.parse().map_err(|_| {
            CorpusError::format(
                path,
                format!(
                    "line {}: `{line}` is not a non-negative integer label",
                    i + 1
                ),
            )
        })?;
        labels.push(l);
    }
    if labels.len() != n_docs {
        return Err(CorpusError::format(
            path,
            format!(
                "{} labels (non-empty lines) for {n_docs} documents in the matching _bow.npz",
                labels.len()
            ),
        ));
    }
    Ok(labels)
}
