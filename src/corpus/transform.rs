//! Transformations between corpora: every one returns a new [`Corpus`] and leaves the input as it was.
use super::{Corpus, CorpusError, Vocab};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

impl Corpus {
    /// The documents `docs` (in that order), with their labels.
    pub fn select(&self, docs: &[usize]) -> Result<Corpus, CorpusError> {
        let mut offsets = Vec::with_capacity(docs.len() + 1);
        offsets.push(0);
        let mut word_ids = Vec::new();
        let mut values = Vec::new();
        for &d in docs {
            if d >= self.n_docs() {
                return Err(CorpusError::Invalid(format!(
                    "document {d} is out of range for a corpus of {} documents",
                    self.n_docs()
                )));
            }
            let (w, v) = self.doc(d);
            word_ids.extend_from_slice(w);
            values.extend_from_slice(v);
            offsets.push(word_ids.len());
        }
        let labels = self.labels().map(|l| docs.iter().map(|&d| l[d]).collect());
        let mut c = Corpus::from_csr(offsets, word_ids, values, self.vocab().clone(), labels)?;
        c.label_names = self.label_names.clone();
        Ok(c)
    }

    /// Keeps only the words of `words` that this vocabulary has, in this corpus's column order
    /// (so 20NG restricted to the `20news_clean` words keeps 20NG's alphabetical order).
    /// Documents may become empty: follow with [`Corpus::drop_empty`].
    ///
    /// ```
    /// use gcatm::corpus::{Corpus, Vocab};
    /// let v = Vocab::new(vec!["a".into(), "b".into(), "c".into()]).unwrap();
    /// let c = Corpus::from_csr(vec![0, 2, 3], vec![0, 2, 1], vec![1.0, 4.0, 2.0], v, None).unwrap();
    /// let r = c.restrict_vocab(&["c", "a", "zzz"]).unwrap();
    /// assert_eq!(r.vocab().words(), &["a", "c"]);
    /// assert_eq!(r.doc(0), (&[0u32, 1][..], &[1.0f32, 4.0][..]));
    /// assert_eq!(r.doc(1).0.len(), 0);
    /// ```
    pub fn restrict_vocab<S: AsRef<str>>(&self, words: &[S]) -> Result<Corpus, CorpusError> {
        let wanted: std::collections::HashSet<&str> = words.iter().map(|w| w.as_ref()).collect();
        let mut new_id = vec![u32::MAX; self.vocab_size()];
        let mut kept = Vec::new();
        for (i, w) in self.vocab().words().iter().enumerate() {
            if wanted.contains(w.as_str()) {
                new_id[i] = kept.len() as u32;
                kept.push(w.clone());
            }
        }
        if kept.is_empty() {
            return Err(CorpusError::Invalid(
                "restricting the vocabulary would leave no word".into(),
            ));
        }
        let (offsets, ids, vals) = self.csr();
        let mut new_offsets = Vec::with_capacity(offsets.len());
        new_offsets.push(0);
        let mut word_ids = Vec::new();
        let mut values = Vec::new();
        for d in 0..self.n_docs() {
            for i in offsets[d]..offsets[d + 1] {
                let n = new_id[ids[i] as usize];
                if n != u32::MAX {
                    word_ids.push(n);
                    values.push(vals[i]);
                }
            }
            new_offsets.push(word_ids.len());
        }
        let mut c = Corpus::from_csr(
            new_offsets,
            word_ids,
            values,
            Vocab::new(kept)?,
            self.labels.clone(),
        )?;
        c.label_names = self.label_names.clone();
        Ok(c)
    }

    /// Restricts to another corpus's vocabulary (see [`Corpus::restrict_vocab`]).
    pub fn restrict_to(&self, vocab: &Vocab) -> Result<Corpus, CorpusError> {
        self.restrict_vocab(vocab.words())
    }

    /// Drops the documents with no tokens; returns the corpus left and how many were dropped.
    pub fn drop_empty(&self) -> Result<(Corpus, usize), CorpusError> {
        let keep: Vec<usize> = (0..self.n_docs())
            .filter(|&d| self.doc_len(d) > 0.0)
            .collect();
        let dropped = self.n_docs() - keep.len();
        Ok((self.select(&keep)?, dropped))
    }

    /// A seeded random split into `(train, test)` with `round(test_fraction * n)` test documents.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Corpus, Corpus), CorpusError> {
        if !(0.0..=1.0).contains(&test_fraction) {
            return Err(CorpusError::Invalid(format!(
                "test fraction must lie in [0, 1], got {test_fraction}"
            )));
        }
        let mut order: Vec<usize> = (0..self.n_docs()).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
        let n_test = (test_fraction * self.n_docs() as f64).round() as usize;
        let (test, train) = order.split_at(n_test);
        let (mut train, mut test) = (train.to_vec(), test.to_vec());
        train.sort_unstable();
        test.sort_unstable();
        Ok((self.select(&train)?, self.select(&test)?))
    }

    /// Appends another corpus over the same vocabulary (for example train + test as a reference).
    pub fn concat(&self, other: &Corpus) -> Result<Corpus, CorpusError> {
        if self.vocab() != other.vocab() {
            return Err(CorpusError::Invalid(
                "cannot concatenate corpora with different vocabularies".into(),
            ));
        }
        let (o2, w2, v2) = other.csr();
        let base = self.nnz();
        let mut offsets = self.offsets.clone();
        offsets.extend(o2[1..].iter().map(|&o| o + base));
        let mut word_ids = self.word_ids.clone();
        word_ids.extend_from_slice(w2);
        let mut values = self.values.clone();
        values.extend_from_slice(v2);
        let labels = match (&self.labels, &other.labels) {
            (Some(a), Some(b)) => Some(a.iter().chain(b).copied().collect()),
            _ => None,
        };
        let mut c = Corpus::from_csr(offsets, word_ids, values, self.vocab().clone(), labels)?;
        c.label_names = self.label_names.clone();
        Ok(c)
    }

    /// Each row divided by its sum (empty rows stay empty): a document becomes a distribution.
    pub fn l1_normalized(&self) -> Corpus {
        let mut c = self.clone();
        for d in 0..c.n_docs() {
            let (s, e) = (c.offsets[d], c.offsets[d + 1]);
            let sum: f64 = c.values[s..e].iter().map(|&v| v as f64).sum();
            if sum > 0.0 {
                for v in &mut c.values[s..e] {
                    *v = (*v as f64 / sum) as f32;
                }
            }
        }
        c
    }

    /// TF-IDF weights: `count * ln(N / df)` (the plain, unsmoothed idf; a word in every document
    /// gets weight 0 and is kept as an explicit zero).
    pub fn tfidf(&self) -> Corpus {
        let n = self.n_docs() as f64;
        let df = self.document_frequencies();
        let mut c = self.clone();
        for (w, v) in c.word_ids.iter().zip(c.values.iter_mut()) {
            let idf = (n / df[*w as usize] as f64).ln();
            *v = (*v as f64 * idf) as f32;
        }
        c
    }

    /// Number of documents in which each word has a positive value.
    pub fn document_frequencies(&self) -> Vec<u32> {
        let mut df = vec![0u32; self.vocab_size()];
        for (w, v) in self.word_ids.iter().zip(&self.values) {
            if *v > 0.0 {
                df[*w as usize] += 1;
            }
        }
        df
    }
}
