//! The document co-occurrence index of a reference corpus.
use super::EvalError;
use crate::corpus::{Corpus, Vocab};

/// Where one word's documents are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Postings {
    /// Ascending document ids `lists[start..start + len]`.
    List { start: usize, len: usize },
    /// A bitset over all documents, `bits[start..start + words_per_set]`.
    Bits { start: usize },
}

/// Which documents contain each word of a reference corpus, for document frequencies of single
/// words and of word pairs.
///
/// A word occurs in a document when its value there is `> 0` (explicit zeros do not count, and a
/// word repeated within one CSR row counts once). Each word keeps the ids of its documents either
/// as an ascending `u32` posting list or, when that would take more memory, as a bitset over all
/// documents: a bitset is chosen only when `ceil(N / 64) * 8 <= 4 * df(w)` bytes, so the index
/// never takes more than the posting lists would (about `4 * nnz` bytes), never `V x V`.
/// Pair counts are intersections: merge or galloping search of two lists, bit probes of a list
/// into a bitset, or the popcount of two ANDed bitsets.
///
/// ```
/// use gcatm::corpus::{Corpus, Vocab};
/// use gcatm::eval::ReferenceIndex;
/// let vocab = Vocab::new(vec!["a".into(), "b".into(), "c".into()]).unwrap();
/// // documents: {a, b}, {a}, {b, c}
/// let corpus = Corpus::from_docs(
///     &[vec![(0, 1.0), (1, 2.0)], vec![(0, 1.0)], vec![(1, 1.0), (2, 1.0)]],
///     vocab,
/// )
/// .unwrap();
/// let index = ReferenceIndex::new(&corpus);
/// assert_eq!(index.n_docs(), 3);
/// assert_eq!(index.df(0), 2);
/// assert_eq!(index.co_df(0, 1), 1);
/// assert_eq!(index.co_df(0, 2), 0);
/// ```
#[derive(Debug, Clone)]
pub struct ReferenceIndex {
    vocab: Vocab,
    n_docs: u32,
    df: Vec<u32>,
    postings: Vec<Postings>,
    lists: Vec<u32>,
    bits: Vec<u64>,
    words_per_set: usize,
}

impl ReferenceIndex {
    /// Builds the index of `corpus` in two passes over its non-zeros (O(nnz + V)).
    ///
    /// # Panics
    /// If the corpus has more than `u32::MAX` documents (document ids are stored as `u32`).
    pub fn new(corpus: &Corpus) -> ReferenceIndex {
        let n_docs = u32::try_from(corpus.n_docs())
            .expect("a reference corpus may hold at most u32::MAX documents");
        let v = corpus.vocab_size();
        let (offsets, ids, values) = corpus.csr();

        // Pass 1: document frequencies. `last` guards against a word repeated within one row.
        let mut df = vec![0u32; v];
        let mut last = vec![u32::MAX; v];
        for d in 0..corpus.n_docs() {
            for i in offsets[d]..offsets[d + 1] {
                let w = ids[i] as usize;
                if values[i] > 0.0 && last[w] != d as u32 {
                    last[w] = d as u32;
                    df[w] += 1;
                }
            }
        }

        // Layout: a bitset only where it is no larger than the list it replaces.
        let words_per_set = corpus.n_docs().div_ceil(64);
        let mut postings = Vec::with_capacity(v);
        let (mut list_len, mut n_sets) = (0usize, 0usize);
        for &f in &df {
            let f = f as usize;
            if words_per_set > 0 && words_per_set * 8 <= 4 * f {
                postings.push(Postings::Bits {
                    start: n_sets * words_per_set,
                });
                n_sets += 1;
            } else {
                postings.push(Postings::List {
                    start: list_len,
                    len: f,
                });
                list_len += f;
            }
        }

        // Pass 2: fill. Documents are visited in order, so every list comes out ascending.
        let mut lists = vec![0u32; list_len];
        let mut bits = vec![0u64; n_sets * words_per_set];
        let mut fill = vec![0usize; v];
        last.fill(u32::MAX);
        for d in 0..corpus.n_docs() {
            let d32 = d as u32;
            for i in offsets[d]..offsets[d + 1] {
                let w = ids[i] as usize;
                if values[i] <= 0.0 || last[w] == d32 {
                    continue;
                }
                last[w] = d32;
                match postings[w] {
                    Postings::List { start, .. } => {
                        lists[start + fill[w]] = d32;
                        fill[w] += 1;
                    }
                    Postings::Bits { start } => bits[start + d / 64] |= 1u64 << (d % 64),
                }
            }
        }
        ReferenceIndex {
            vocab: corpus.vocab().clone(),
            n_docs,
            df,
            postings,
            lists,
            bits,
            words_per_set,
        }
    }

    /// Number of documents N of the reference corpus (empty ones included).
    pub fn n_docs(&self) -> u32 {
        self.n_docs
    }

    /// The reference corpus's vocabulary.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Vocabulary size V.
    pub fn vocab_size(&self) -> usize {
        self.df.len()
    }

    /// Number of documents containing `word`; 0 for an id outside the vocabulary.
    pub fn df(&self, word: u32) -> u32 {
        self.df.get(word as usize).copied().unwrap_or(0)
    }

    /// Number of documents containing both `a` and `b` (`df(a)` when `a == b`); 0 when either
    /// id is outside the vocabulary.
    pub fn co_df(&self, a: u32, b: u32) -> u32 {
        let (Some(&pa), Some(&pb)) = (self.postings.get(a as usize), self.postings.get(b as usize))
        else {
            return 0;
        };
        if a == b {
            return self.df[a as usize];
        }
        match (pa, pb) {
            (Postings::Bits { start: sa }, Postings::Bits { start: sb }) => {
                let (x, y) = (self.set(sa), self.set(sb));
                x.iter().zip(y).map(|(p, q)| (p & q).count_ones()).sum()
            }
            (Postings::Bits { start }, Postings::List { start: ls, len })
            | (Postings::List { start: ls, len }, Postings::Bits { start }) => {
                let set = self.set(start);
                self.lists[ls..ls + len]
                    .iter()
                    .map(|&d| ((set[d as usize / 64] >> (d % 64)) & 1) as u32)
                    .sum()
            }
            (Postings::List { start: s1, len: l1 }, Postings::List { start: s2, len: l2 }) => {
                intersect_count(&self.lists[s1..s1 + l1], &self.lists[s2..s2 + l2])
            }
        }
    }

    /// The ids of `words` in the reference vocabulary; every word it lacks is reported in
    /// [`EvalError::MissingWords`].
    ///
    /// ```
    /// # use gcatm::corpus::{Corpus, Vocab};
    /// # use gcatm::eval::ReferenceIndex;
    /// # let vocab = Vocab::new(vec!["a".into(), "b".into()]).unwrap();
    /// # let index = ReferenceIndex::new(&Corpus::from_docs(&[vec![(0, 1.0)]], vocab).unwrap());
    /// assert_eq!(index.ids(&["b", "a"]).unwrap(), vec![1, 0]);
    /// assert!(index.ids(&["a", "zebra"]).is_err());
    /// ```
    pub fn ids<S: AsRef<str>>(&self, words: &[S]) -> Result<Vec<u32>, EvalError> {
        let (ids, missing) = self.ids_partial(words);
        if missing.is_empty() {
            Ok(ids)
        } else {
            Err(EvalError::MissingWords(missing))
        }
    }

    /// The ids of the words the vocabulary has (in order), and the words it lacks.
    ///
    /// ```
    /// # use gcatm::corpus::{Corpus, Vocab};
    /// # use gcatm::eval::ReferenceIndex;
    /// # let vocab = Vocab::new(vec!["a".into(), "b".into()]).unwrap();
    /// # let index = ReferenceIndex::new(&Corpus::from_docs(&[vec![(0, 1.0)]], vocab).unwrap());
    /// assert_eq!(index.ids_partial(&["zebra", "b"]), (vec![1], vec!["zebra".to_string()]));
    /// ```
    pub fn ids_partial<S: AsRef<str>>(&self, words: &[S]) -> (Vec<u32>, Vec<String>) {
        let mut ids = Vec::with_capacity(words.len());
        let mut missing = Vec::new();
        for w in words {
            match self.vocab.id(w.as_ref()) {
                Some(id) => ids.push(id),
                None => missing.push(w.as_ref().to_string()),
            }
        }
        (ids, missing)
    }

    /// Bytes held by the index's tables (posting lists, bitsets, frequencies; not the vocabulary).
    pub fn memory_bytes(&self) -> usize {
        self.lists.len() * 4
            + self.bits.len() * 8
            + self.df.len() * 4
            + self.postings.len() * std::mem::size_of::<Postings>()
    }

    /// Number of words stored as bitsets rather than posting lists (for diagnostics).
    pub fn n_bitsets(&self) -> usize {
        self.bits.len().checked_div(self.words_per_set).unwrap_or(0)
    }

    fn set(&self, start: usize) -> &[u64] {
        &self.bits[start..start + self.words_per_set]
    }
}

/// Size of the intersection of two ascending, duplicate-free lists.
fn intersect_count(a: &[u32], b: &[u32]) -> u32 {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() {
        return 0;
    }
    // Galloping pays off once one list is much longer than the other.
    if large.len() / small.len() >= 16 {
        return gallop_count(small, large);
    }
    let (mut i, mut j, mut c) = (0usize, 0usize, 0u32);
    while i < small.len() && j < large.len() {
        let (x, y) = (small[i], large[j]);
        // Branch-free steps: the comparison outcomes are unpredictable.
        c += (x == y) as u32;
        i += (x <= y) as usize;
        j += (y <= x) as usize;
    }
    c
}

/// Intersection size by exponential search of each element of `small` in `large`.
fn gallop_count(small: &[u32], large: &[u32]) -> u32 {
    let mut base = 0usize;
    let mut c = 0u32;
    for &x in small {
        let rest = &large[base..];
        let mut step = 1usize;
        while step < rest.len() && rest[step] < x {
            step *= 2;
        }
        let hi = (step + 1).min(rest.len());
        let lo = step / 2;
        match rest[lo..hi].binary_search(&x) {
            Ok(p) => {
                c += 1;
                base += lo + p + 1;
            }
            Err(p) => base += lo + p,
        }
        if base >= large.len() {
            break;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersections_agree() {
        let a: Vec<u32> = (0..1000).filter(|x| x % 3 == 0).collect();
        let b: Vec<u32> = (0..1000).filter(|x| x % 5 == 0).collect();
        let c: Vec<u32> = vec![0, 15, 16, 999];
        let naive = |x: &[u32], y: &[u32]| x.iter().filter(|v| y.contains(v)).count() as u32;
        assert_eq!(intersect_count(&a, &b), naive(&a, &b));
        assert_eq!(intersect_count(&c, &a), naive(&c, &a));
        assert_eq!(gallop_count(&c, &b), naive(&c, &b));
        assert_eq!(gallop_count(&[999], &a), 1);
        assert_eq!(gallop_count(&[1000], &a), 0);
        assert_eq!(intersect_count(&[], &a), 0);
    }
}
