//! The UCI bag-of-words layout: `docword.NAME.txt[.gz]` and `vocab.NAME.txt`.
use super::{read_vocab_file, Corpus, CorpusError};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Loads a UCI bag-of-words corpus (the format of the UCI "Bag of Words" data sets: KOS, NIPS,
/// Enron, NYTimes, PubMed).
///
/// `path` is either the `docword.NAME.txt` / `docword.NAME.txt.gz` file or a folder holding exactly
/// one such file; the vocabulary is `vocab.NAME.txt` next to it (one word per line, line `i` is
/// word id `i + 1`). The docword file starts with three header lines — the number of documents D,
/// of words W and of non-zero entries NNZ — followed by NNZ lines `docID wordID count` with
/// 1-based ids. Everything is checked: ids in range, NNZ lines, W equal to the vocabulary size,
/// numeric fields; an error names the file and the line. Documents with no entry are kept as empty
/// documents (drop them with [`Corpus::drop_empty`]). The layout has no split and no labels.
///
/// ```
/// use gcatm::corpus::load_uci;
/// let dir = std::env::temp_dir().join(format!("gcatm-uci-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("docword.tiny.txt"), "2\n3\n3\n1 1 2\n1 3 1\n2 2 4\n").unwrap();
/// std::fs::write(dir.join("vocab.tiny.txt"), "apple\npear\nplum\n").unwrap();
/// let c = load_uci(&dir).unwrap();
/// assert_eq!((c.n_docs(), c.vocab_size(), c.tokens()), (2, 3, 7.0));
/// assert_eq!(c.doc(0), (&[0u32, 2][..], &[2.0f32, 1.0][..]));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn load_uci(path: &Path) -> Result<Corpus, CorpusError> {
    let docword = find_docword(path)?;
    let file_name = docword
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let name = file_name
        .strip_prefix("docword.")
        .and_then(|n| n.strip_suffix(".gz").or(Some(n)))
        .and_then(|n| n.strip_suffix(".txt"))
        .ok_or_else(|| {
            CorpusError::format(&docword, "expected a file named docword.NAME.txt[.gz]")
        })?;
    let vocab_path = docword.with_file_name(format!("vocab.{name}.txt"));
    let vocab = read_vocab_file(&vocab_path)?;

    let file = std::fs::File::open(&docword).map_err(|e| CorpusError::io(&docword, e))?;
    let reader: Box<dyn Read> = if file_name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut lines = BufReader::new(reader).lines();
    let bad = |line: usize, m: String| CorpusError::format(&docword, format!("line {line}: {m}"));
    let mut header = [0usize; 3];
    let what = [
        "the number of documents",
        "the number of words",
        "the number of entries",
    ];
    for (i, h) in header.iter_mut().enumerate() {
        let line = match lines.next() {
            Some(l) => l.map_err(|e| read_error(&docword, i + 1, e))?,
            None => {
                return Err(bad(
                    i + 1,
                    "the file ends inside its three header lines (D, W, NNZ)".into(),
                ))
            }
        };
        *h = line.trim().parse().map_err(|_| {
            bad(
                i + 1,
                format!(
                    "expected {} (a header line), found `{}`",
                    what[i],
                    line.trim()
                ),
            )
        })?;
    }
    let [n_docs, n_words, nnz] = header;
    if n_words != vocab.len() {
        return Err(CorpusError::format(
            &docword,
            format!(
                "the header says W = {n_words} words but {} has {} words",
                vocab_path.display(),
                vocab.len()
            ),
        ));
    }
    // A header is read before the data it describes: refuse absurd sizes instead of allocating.
    if n_docs > nnz.max(1).saturating_mul(1000) {
        return Err(bad(
            1,
            format!("D = {n_docs} documents for NNZ = {nnz} entries is not plausible"),
        ));
    }
    let mut docs: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_docs.min(1 << 24)];
    let mut seen = 0usize;
    for (i, line) in lines.enumerate() {
        let lineno = i + 4;
        let line = line.map_err(|e| read_error(&docword, lineno, e))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut fields = line.split_whitespace();
        let mut field = |what: &str| -> Result<u64, CorpusError> {
            let f = fields.next().ok_or_else(|| {
                bad(
                    lineno,
                    format!("expected `docID wordID count`, found `{line}`"),
                )
            })?;
            f.parse::<u64>().map_err(|_| {
                bad(
                    lineno,
                    format!("{what} `{f}` is not a non-negative integer"),
                )
            })
        };
        let (d, w, c) = (field("docID")?, field("wordID")?, field("count")?);
        if fields.next().is_some() {
            return Err(bad(
                lineno,
                format!("expected three fields, found `{line}`"),
            ));
        }
        if d == 0 || d as usize > n_docs {
            return Err(bad(
                lineno,
                format!("docID {d} is out of range 1..={n_docs} (header D)"),
            ));
        }
        if w == 0 || w as usize > n_words {
            return Err(bad(
                lineno,
                format!("wordID {w} is out of range 1..={n_words} (header W)"),
            ));
        }
        seen += 1;
        if seen > nnz {
            return Err(bad(
                lineno,
                format!("more entries than the header's NNZ = {nnz}"),
            ));
        }
        let d = d as usize - 1;
        if d >= docs.len() {
            docs.resize(d + 1, Vec::new());
        }
        docs[d].push((w as u32 - 1, c as f32));
    }
    if seen != nnz {
        return Err(CorpusError::format(
            &docword,
            format!("the header says NNZ = {nnz} entries but the file has {seen}"),
        ));
    }
    docs.resize(n_docs, Vec::new());
    Corpus::from_docs(&docs, vocab).map_err(|e| CorpusError::format(&docword, e.to_string()))
}

fn read_error(path: &Path, line: usize, e: std::io::Error) -> CorpusError {
    let msg = if e.kind() == std::io::ErrorKind::InvalidData {
        format!("line {line}: not valid UTF-8 text or corrupt gzip data ({e})")
    } else {
        format!("line {line}: read error ({e}; truncated gzip file?)")
    };
    CorpusError::format(path, msg)
}

/// The docword file: `path` itself, or the single `docword.*` file of the folder `path`.
fn find_docword(path: &Path) -> Result<PathBuf, CorpusError> {
    if !path.exists() {
        return Err(CorpusError::Missing(path.to_path_buf()));
    }
    if path.is_file() {
        return Ok(path.to_path_buf());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| CorpusError::io(path, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .map(|n| n.to_string_lossy().starts_with("docword."))
                    .unwrap_or(false)
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(CorpusError::format(
            path,
            "no docword.NAME.txt[.gz] file in this folder",
        )),
        _ => Err(CorpusError::format(
            path,
            format!(
                "several docword files ({}): pass the one to load",
                found
                    .iter()
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
