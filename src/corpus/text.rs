//! Raw text: a tokenizer, a gensim-like vocabulary filter, and the loader for one document per line
//! (a `.txt` file) or one document per file (a folder).
use super::{Corpus, CorpusError, Vocab};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// English stop words: the Glasgow Information Retrieval Group list as scikit-learn ships it
/// (`sklearn.feature_extraction.text.ENGLISH_STOP_WORDS`), less its entries that cannot be an
/// alphabetic token (`couldn't`, `hasn't`, `no one`): 314 lower-case words, sorted.
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "after",
    "afterwards",
    "again",
    "against",
    "all",
    "almost",
    "alone",
    "along",
    "already",
    "also",
    "although",
    "always",
    "am",
    "among",
    "amongst",
    "amount",
    "an",
    "and",
    "another",
    "any",
    "anyhow",
    "anyone",
    "anything",
    "anyway",
    "anywhere",
    "are",
    "around",
    "as",
    "at",
    "back",
    "be",
    "became",
    "because",
    "become",
    "becomes",
    "becoming",
    "been",
    "before",
    "beforehand",
    "behind",
    "being",
    "below",
    "beside",
    "besides",
    "between",
    "beyond",
    "bill",
    "both",
    "bottom",
    "but",
    "by",
    "call",
    "can",
    "cannot",
    "cant",
    "co",
    "con",
    "could",
    "cry",
    "de",
    "describe",
    "detail",
    "do",
    "done",
    "down",
    "due",
    "during",
    "each",
    "eg",
    "eight",
    "either",
    "eleven",
    "else",
    "elsewhere",
    "empty",
    "enough",
    "etc",
    "even",
    "ever",
    "every",
    "everyone",
    "everything",
    "everywhere",
    "except",
    "few",
    "fifteen",
    "fifty",
    "fill",
    "find",
    "fire",
    "first",
    "five",
    "for",
    "former",
    "formerly",
    "forty",
    "found",
    "four",
    "from",
    "front",
    "full",
    "further",
    "get",
    "give",
    "go",
    "had",
    "has",
    "have",
    "he",
    "hence",
    "her",
    "here",
    "hereafter",
    "hereby",
    "herein",
    "hereupon",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "hundred",
    "i",
    "ie",
    "if",
    "in",
    "inc",
    "indeed",
    "interest",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "keep",
    "last",
    "latter",
    "latterly",
    "least",
    "less",
    "ltd",
    "made",
    "many",
    "may",
    "me",
    "meanwhile",
    "might",
    "mill",
    "mine",
    "more",
    "moreover",
    "most",
    "mostly",
    "move",
    "much",
    "must",
    "my",
    "myself",
    "name",
    "namely",
    "neither",
    "never",
    "nevertheless",
    "next",
    "nine",
    "no",
    "nobody",
    "none",
    "nor",
    "not",
    "nothing",
    "now",
    "nowhere",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "onto",
    "or",
    "other",
    "others",
    "otherwise",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "part",
    "per",
    "perhaps",
    "please",
    "put",
    "rather",
    "re",
    "same",
    "see",
    "seem",
    "seemed",
    "seeming",
    "seems",
    "serious",
    "several",
    "she",
    "should",
    "show",
    "side",
    "since",
    "sincere",
    "six",
    "sixty",
    "so",
    "some",
    "somehow",
    "someone",
    "something",
    "sometime",
    "sometimes",
    "somewhere",
    "still",
    "such",
    "system",
    "take",
    "ten",
    "than",
    "that",
    "the",
    "their",
    "them",
    "themselves",
    "then",
    "thence",
    "there",
    "thereafter",
    "thereby",
    "therefore",
    "therein",
    "thereupon",
    "these",
    "they",
    "thick",
    "thin",
    "third",
    "this",
    "those",
    "though",
    "three",
    "through",
    "throughout",
    "thru",
    "thus",
    "to",
    "together",
    "too",
    "top",
    "toward",
    "towards",
    "twelve",
    "twenty",
    "two",
    "un",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "very",
    "via",
    "was",
    "we",
    "well",
    "were",
    "what",
    "whatever",
    "when",
    "whence",
    "whenever",
    "where",
    "whereafter",
    "whereas",
    "whereby",
    "wherein",
    "whereupon",
    "wherever",
    "whether",
    "which",
    "while",
    "whither",
    "who",
    "whoever",
    "whole",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Splits text into tokens: maximal runs of alphabetic characters (Unicode letters), lower-cased,
/// `min_len..=max_len` characters long, stop words removed.
///
/// ```
/// use gcatm::corpus::Tokenizer;
/// let t = Tokenizer::default();
/// assert_eq!(t.tokenize("The ROCKET's orbit, 2 km/s: go!"), vec!["rocket", "orbit"]);
/// let t = Tokenizer::default().min_len(1).no_stop_words();
/// assert_eq!(t.tokenize("a b2c"), vec!["a", "b", "c"]);
/// ```
#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// Lower-case the tokens (default true).
    pub lowercase: bool,
    /// Shortest token kept, in characters (default 3).
    pub min_len: usize,
    /// Longest token kept, in characters (default 15, as gensim's `simple_preprocess`): longer
    /// alphabetic runs are mostly encoded attachments and signatures.
    pub max_len: usize,
    /// Words removed, compared in lower case (default [`ENGLISH_STOP_WORDS`]).
    pub stop_words: HashSet<String>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer {
            lowercase: true,
            min_len: 3,
            max_len: 15,
            stop_words: ENGLISH_STOP_WORDS.iter().map(|w| w.to_string()).collect(),
        }
    }
}

impl Tokenizer {
    /// The default tokenizer (lower case, 3 to 15 letters, English stop words removed).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the shortest token kept.
    pub fn min_len(mut self, n: usize) -> Self {
        self.min_len = n;
        self
    }

    /// Sets the longest token kept.
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = n;
        self
    }

    /// Whether to lower-case tokens.
    pub fn lowercase(mut self, yes: bool) -> Self {
        self.lowercase = yes;
        self
    }

    /// Replaces the stop-word list.
    pub fn stop_words<I, S>(mut self, words: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.stop_words = words
            .into_iter()
            .map(|w| w.as_ref().to_lowercase())
            .collect();
        self
    }

    /// Keeps stop words.
    pub fn no_stop_words(mut self) -> Self {
        self.stop_words.clear();
        self
    }

    /// The tokens of `text`, in order.
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphabetic())
            .filter(|run| !run.is_empty())
            .filter_map(|run| {
                let n = run.chars().count();
                if n < self.min_len || n > self.max_len {
                    return None;
                }
                let lower = run.to_lowercase();
                if self.stop_words.contains(&lower) {
                    return None;
                }
                Some(if self.lowercase {
                    lower
                } else {
                    run.to_string()
                })
            })
            .collect()
    }
}

/// How [`load_text`] turns text into a bag-of-words corpus: the tokenizer and the vocabulary filter.
///
/// The filter is gensim's `Dictionary.filter_extremes` with its defaults: keep the words that occur
/// in at least `no_below` = 5 documents and in at most `no_above` = 50% of them, then the `keep_n` =
/// 100 000 most frequent (by document count). Those thresholds would empty the vocabulary of a small
/// corpus, so the document-frequency filters only apply to corpora of at least `filter_min_docs` =
/// 20 documents; smaller ones keep every token (set `filter_min_docs` to 0 to always filter).
/// With a fixed `vocab` no filter runs: tokens outside it are dropped (for a test split that must
/// share the training vocabulary).
///
/// The vocabulary is sorted alphabetically.
///
/// ```
/// use gcatm::corpus::TextOptions;
/// let o = TextOptions::default().no_below(2).no_above(0.9).keep_n(None);
/// assert_eq!((o.no_below, o.keep_n), (2, None));
/// ```
#[derive(Debug, Clone)]
pub struct TextOptions {
    /// The tokenizer (default [`Tokenizer::default`]).
    pub tokenizer: Tokenizer,
    /// Drop words in fewer than this many documents (default 5).
    pub no_below: usize,
    /// Drop words in more than this fraction of the documents (default 0.5).
    pub no_above: f64,
    /// Keep at most this many words, the most frequent by document count (default 100 000).
    pub keep_n: Option<usize>,
    /// Corpora with fewer documents skip `no_below` and `no_above` (default 20).
    pub filter_min_docs: usize,
    /// A fixed vocabulary: no filtering, unknown tokens dropped (default none).
    pub vocab: Option<Vocab>,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            tokenizer: Tokenizer::default(),
            no_below: 5,
            no_above: 0.5,
            keep_n: Some(100_000),
            filter_min_docs: 20,
            vocab: None,
        }
    }
}

impl TextOptions {
    /// The defaults (gensim's thresholds, see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Every token becomes a word: no frequency filter at all.
    pub fn unfiltered() -> Self {
        TextOptions {
            no_below: 1,
            no_above: 1.0,
            keep_n: None,
            ..Self::default()
        }
    }

    /// Sets the tokenizer.
    pub fn tokenizer(mut self, t: Tokenizer) -> Self {
        self.tokenizer = t;
        self
    }

    /// Sets the minimum number of documents a word must occur in.
    pub fn no_below(mut self, n: usize) -> Self {
        self.no_below = n;
        self
    }

    /// Sets the maximum fraction of documents a word may occur in.
    pub fn no_above(mut self, f: f64) -> Self {
        self.no_above = f;
        self
    }

    /// Sets the maximum vocabulary size (`None`: no limit).
    pub fn keep_n(mut self, n: Option<usize>) -> Self {
        self.keep_n = n;
        self
    }

    /// Sets the corpus size below which the document-frequency filters are skipped.
    pub fn filter_min_docs(mut self, n: usize) -> Self {
        self.filter_min_docs = n;
        self
    }

    /// Uses a fixed vocabulary (no filtering).
    pub fn vocab(mut self, v: Vocab) -> Self {
        self.vocab = Some(v);
        self
    }
}

/// Loads raw text: a file holds one document per line, a folder one document per file.
///
/// In a file, every line is a document (an empty line is an empty document, so that document `i`
/// is line `i + 1`; drop them with [`Corpus::drop_empty`]). In a folder, the regular files are the
/// documents, in name order (hidden files skipped). A folder that holds only sub-folders is a
/// labelled corpus, like the raw 20 Newsgroups: each sub-folder is a class (label names are the
/// sub-folder names, sorted) and every file below it is a document. Files must be UTF-8; an error
/// names the file that is not.
///
/// ```
/// use gcatm::corpus::{load_text, TextOptions};
/// let path = std::env::temp_dir().join(format!("gcatm-text-doc-{}.txt", std::process::id()));
/// std::fs::write(&path, "Rockets reach orbit.\nThe orbit of the moon.\n").unwrap();
/// let c = load_text(&path, &TextOptions::default()).unwrap();
/// assert_eq!(c.n_docs(), 2);
/// assert_eq!(c.vocab().words(), &["moon", "orbit", "reach", "rockets"]);
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn load_text(path: &Path, opts: &TextOptions) -> Result<Corpus, CorpusError> {
    if !path.exists() {
        return Err(CorpusError::Missing(path.to_path_buf()));
    }
    if path.is_file() {
        let text = read_utf8(path)?;
        let docs: Vec<&str> = text.lines().collect();
        return build(&docs, opts, None).map_err(|e| in_file(path, e));
    }
    let (files, labels) = list_documents(path)?;
    let texts = files
        .iter()
        .map(|f| read_utf8(f))
        .collect::<Result<Vec<String>, _>>()?;
    build(&texts, opts, labels).map_err(|e| in_file(path, e))
}

impl Corpus {
    /// Builds a corpus from in-memory documents, tokenized and filtered as [`load_text`] does.
    ///
    /// ```
    /// use gcatm::corpus::{Corpus, TextOptions};
    /// let c = Corpus::from_texts(&["orbit orbit rocket", "rocket fuel"], &TextOptions::default())
    ///     .unwrap();
    /// assert_eq!(c.vocab().words(), &["fuel", "orbit", "rocket"]);
    /// assert_eq!(c.doc(0), (&[1u32, 2][..], &[2.0f32, 1.0][..]));
    /// ```
    pub fn from_texts<S: AsRef<str>>(
        texts: &[S],
        opts: &TextOptions,
    ) -> Result<Corpus, CorpusError> {
        build(texts, opts, None)
    }
}

/// Attaches the path to an error that does not name a file.
fn in_file(path: &Path, e: CorpusError) -> CorpusError {
    match e {
        CorpusError::Invalid(m) => CorpusError::format(path, m),
        e => e,
    }
}

fn read_utf8(path: &Path) -> Result<String, CorpusError> {
    let bytes = std::fs::read(path).map_err(|e| CorpusError::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| {
        CorpusError::format(
            path,
            format!(
                "not valid UTF-8 text (invalid byte at offset {}); convert it to UTF-8 first, \
                 e.g. `iconv -f latin1 -t utf-8`",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The document files of a folder and, for a folder of class sub-folders, their labels.
#[allow(clippy::type_complexity)]
fn list_documents(
    dir: &Path,
) -> Result<(Vec<PathBuf>, Option<(Vec<u32>, Vec<String>)>), CorpusError> {
    let (files, dirs) = entries(dir)?;
    if !files.is_empty() || dirs.is_empty() {
        if files.is_empty() {
            return Err(CorpusError::format(dir, "the folder holds no text files"));
        }
        return Ok((files, None));
    }
    let mut all = Vec::new();
    let mut labels = Vec::new();
    let mut names = Vec::new();
    for (label, sub) in dirs.iter().enumerate() {
        let mut found = Vec::new();
        collect_files(sub, &mut found, 0)?;
        labels.extend(std::iter::repeat_n(label as u32, found.len()));
        all.extend(found);
        names.push(
            sub.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
        );
    }
    if all.is_empty() {
        return Err(CorpusError::format(
            dir,
            "the class sub-folders hold no files",
        ));
    }
    Ok((all, Some((labels, names))))
}

/// Regular files and real (not symlinked) sub-folders of `dir`, hidden entries skipped, sorted.
fn entries(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), CorpusError> {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| CorpusError::io(dir, e))? {
        let entry = entry.map_err(|e| CorpusError::io(dir, e))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = entry
            .file_type()
            .map_err(|e| CorpusError::io(&entry.path(), e))?;
        let p = entry.path();
        if ft.is_dir() {
            dirs.push(p);
        } else if p.is_file() {
            files.push(p);
        }
    }
    files.sort();
    dirs.sort();
    Ok((files, dirs))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), CorpusError> {
    if depth > 16 {
        return Err(CorpusError::format(dir, "folders nested too deeply"));
    }
    let (files, dirs) = entries(dir)?;
    out.extend(files);
    for d in dirs {
        collect_files(&d, out, depth + 1)?;
    }
    Ok(())
}

/// Tokenizes `texts`, builds (or applies) the vocabulary and counts.
fn build<S: AsRef<str>>(
    texts: &[S],
    opts: &TextOptions,
    labels: Option<(Vec<u32>, Vec<String>)>,
) -> Result<Corpus, CorpusError> {
    let tokens: Vec<Vec<String>> = texts
        .iter()
        .map(|t| opts.tokenizer.tokenize(t.as_ref()))
        .collect();
    let vocab = match &opts.vocab {
        Some(v) => v.clone(),
        None => build_vocab(&tokens, opts)?,
    };
    let docs: Vec<Vec<(u32, f32)>> = tokens
        .iter()
        .map(|doc| {
            doc.iter()
                .filter_map(|w| vocab.id(w).map(|id| (id, 1.0)))
                .collect()
        })
        .collect();
    let corpus = Corpus::from_docs(&docs, vocab)?;
    match labels {
        Some((l, names)) => corpus.with_labels(l, Some(names)),
        None => Ok(corpus),
    }
}

/// gensim's `filter_extremes`, with the small-corpus exception of [`TextOptions`].
fn build_vocab(tokens: &[Vec<String>], opts: &TextOptions) -> Result<Vocab, CorpusError> {
    let n = tokens.len();
    // word -> (document frequency, first appearance): ties in keep_n go to the earlier word.
    let mut df: HashMap<&str, (usize, usize)> = HashMap::new();
    for doc in tokens {
        let unique: HashSet<&str> = doc.iter().map(String::as_str).collect();
        for w in unique {
            let next = df.len();
            df.entry(w).or_insert((0, next)).0 += 1;
        }
    }
    let filter = n >= opts.filter_min_docs;
    let max_df = (opts.no_above * n as f64) as usize;
    let mut kept: Vec<(&str, usize, usize)> = df
        .into_iter()
        .filter(|&(_, (d, _))| !filter || (d >= opts.no_below && d <= max_df))
        .map(|(w, (d, first))| (w, d, first))
        .collect();
    kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    if let Some(k) = opts.keep_n {
        kept.truncate(k);
    }
    let mut words: Vec<String> = kept.into_iter().map(|(w, _, _)| w.to_string()).collect();
    words.sort_unstable();
    if words.is_empty() {
        let why = if filter {
            format!(
                "no word occurs in at least {} and at most {} of the {n} documents \
                 (no_below = {}, no_above = {}); relax TextOptions::no_below / no_above",
                opts.no_below, max_df, opts.no_below, opts.no_above
            )
        } else {
            format!("the {n} documents hold no token the tokenizer keeps")
        };
        return Err(CorpusError::Invalid(why));
    }
    Vocab::new(words)
}
