use super::{Corpus, CorpusError};
use candle_core::{Device, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A batch of documents in CSR form, rows L1-normalised: what the sparse first layers consume.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseBatch {
    /// Row offsets, `rows + 1` entries.
    pub offsets: Vec<usize>,
    /// Column (word) ids of the stored entries.
    pub word_ids: Vec<u32>,
    /// Values of the stored entries.
    pub values: Vec<f32>,
    /// Number of columns (the vocabulary size V).
    pub cols: usize,
}

impl SparseBatch {
    /// Number of rows (documents).
    pub fn rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The dense `rows x cols` tensor of this batch on `device`.
    pub fn to_dense(&self, device: &Device) -> Result<Tensor, CorpusError> {
        let mut dense = vec![0f32; self.rows() * self.cols];
        for r in 0..self.rows() {
            for i in self.offsets[r]..self.offsets[r + 1] {
                dense[r * self.cols + self.word_ids[i] as usize] = self.values[i];
            }
        }
        Ok(Tensor::from_vec(dense, (self.rows(), self.cols), device)?)
    }
}

/// One batch: the dense `B x V` tensor of L1-normalised documents, the same rows in CSR form, and
/// which documents of the corpus they are.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Dense `B x V` f32 tensor on the batcher's device; each row sums to 1.
    pub bow: Tensor,
    /// The same rows, sparse.
    pub sparse: SparseBatch,
    /// Indices of the documents in the corpus.
    pub docs: Vec<usize>,
}

/// Yields batches of L1-normalised documents as dense tensors, shuffled per epoch from a seed.
///
/// The order of epoch `e` depends only on the seed and `e`, so a resumed run sees the same batches
/// as an uninterrupted one. Empty documents cannot be normalised: drop them first
/// ([`Corpus::drop_empty`]).
///
/// ```
/// use gcatm::corpus::{Batcher, PlantedCorpus};
/// use candle_core::Device;
/// let planted = PlantedCorpus::builder().topics(3).docs(10).vocab_size(30).seed(0).build();
/// let batcher = Batcher::new(&planted.corpus, 4, &Device::Cpu).unwrap().seed(7);
/// let batches: Vec<_> = batcher.epoch(0).collect::<Result<_, _>>().unwrap();
/// assert_eq!(batches.len(), 2); // 10 documents, batch 4, the last incomplete batch dropped
/// assert_eq!(batches[0].bow.dims(), &[4, 30]);
/// ```
#[derive(Debug, Clone)]
pub struct Batcher {
    corpus: Corpus,
    batch_size: usize,
    device: Device,
    seed: Option<u64>,
    drop_last: bool,
}

impl Batcher {
    /// A batcher over `corpus` (copied and L1-normalised) with batches of `batch_size` on `device`;
    /// shuffling with seed 0 and `drop_last` on, as the log trained.
    pub fn new(corpus: &Corpus, batch_size: usize, device: &Device) -> Result<Self, CorpusError> {
        if batch_size == 0 {
            return Err(CorpusError::Invalid("batch size must be at least 1".into()));
        }
        if let Some(d) = (0..corpus.n_docs()).find(|&d| corpus.doc_len(d) <= 0.0) {
            return Err(CorpusError::Invalid(format!(
                "document {d} is empty and cannot be L1-normalised: call drop_empty() first"
            )));
        }
        Ok(Batcher {
            corpus: corpus.l1_normalized(),
            batch_size,
            device: device.clone(),
            seed: Some(0),
            drop_last: true,
        })
    }

    /// Shuffles every epoch from this seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Keeps the corpus order (for evaluation passes).
    pub fn in_order(mut self) -> Self {
        self.seed = None;
        self
    }

    /// Whether to drop the last incomplete batch (default true).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The vocabulary of the documents.
    pub fn vocab(&self) -> &super::Vocab {
        self.corpus.vocab()
    }

    /// The documents, L1-normalised.
    pub fn corpus(&self) -> &Corpus {
        &self.corpus
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of batches per epoch.
    pub fn n_batches(&self) -> usize {
        let n = self.corpus.n_docs();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// The document order of epoch `epoch`.
    pub fn order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.corpus.n_docs()).collect();
        if let Some(seed) = self.seed {
            // One stream per (seed, epoch): resuming at epoch e reproduces the same order.
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(epoch);
            order.shuffle(&mut rng);
        }
        order
    }

    /// The batches of epoch `epoch`.
    pub fn epoch(&self, epoch: u64) -> impl Iterator<Item = Result<Batch, CorpusError>> + '_ {
        let order = self.order(epoch);
        let n = self.n_batches();
        (0..n).map(move |b| {
            let s = b * self.batch_size;
            let e = (s + self.batch_size).min(order.len());
            self.batch(&order[s..e])
        })
    }

    /// The batch made of documents `docs` (in that order).
    pub fn batch(&self, docs: &[usize]) -> Result<Batch, CorpusError> {
        let mut offsets = Vec::with_capacity(docs.len() + 1);
        offsets.push(0);
        let mut word_ids = Vec::new();
        let mut values = Vec::new();
        for &d in docs {
            if d >= self.corpus.n_docs() {
                return Err(CorpusError::Invalid(format!(
                    "document {d} is out of range for a corpus of {} documents",
                    self.corpus.n_docs()
                )));
            }
            let (w, v) = self.corpus.doc(d);
            word_ids.extend_from_slice(w);
            values.extend_from_slice(v);
            offsets.push(word_ids.len());
        }
        let sparse = SparseBatch {
            offsets,
            word_ids,
            values,
            cols: self.corpus.vocab_size(),
        };
        Ok(Batch {
            bow: sparse.to_dense(&self.device)?,
            sparse,
            docs: docs.to_vec(),
        })
    }
}
