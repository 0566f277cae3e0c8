//! What a trained model says: its topics' top words, and the topic mixtures of documents.
use super::EvalError;
use crate::corpus::{Corpus, SparseBatch, Vocab};
use crate::model::{Bow, Encoder, Generator};
use candle_core::{DType, Device, Tensor};
use candle_nn::ModuleT;
use serde::{Deserialize, Serialize};

/// One topic's most probable words, in decreasing order of probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicWords {
    /// Column ids in the model's vocabulary.
    pub ids: Vec<u32>,
    /// The words.
    pub words: Vec<String>,
    /// Their probabilities under the topic's word distribution.
    pub probs: Vec<f32>,
}

/// The top `top_n` words of each topic of `generator`: row k of G(I_K), the generator applied to
/// the one-hot topic mixtures, with `train = false` (BatchNorm uses its running statistics).
/// Ties are broken by the lower word id. Errors: `vocab` does not have the generator's size, or
/// the output holds a non-finite value (a diverged model).
///
/// ```
/// use candle_core::Device;
/// use candle_nn::VarMap;
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::eval::topic_words;
/// use gcatm::model::{seeded_var_builder, Generator, Variant};
/// let planted = PlantedCorpus::builder().topics(3).docs(10).seed(0).build();
/// let vocab = planted.corpus.vocab();
/// let vm = VarMap::new();
/// let vb = seeded_var_builder(&vm, 0, &Device::Cpu);
/// let g = Generator::new(vb, vocab.len(), 3, 16, Variant::Bat, 8, 8).unwrap();
/// let topics = topic_words(&g, vocab, 10).unwrap();
/// assert_eq!((topics.len(), topics[2].words.len()), (3, 10));
/// assert!(topics[0].probs[0] >= topics[0].probs[9]);
/// ```
pub fn topic_words(
    generator: &Generator,
    vocab: &Vocab,
    top_n: usize,
) -> Result<Vec<TopicWords>, EvalError> {
    topic_words_of(
        generator,
        generator.topics(),
        generator.device(),
        vocab,
        top_n,
    )
}

/// The top `top_n` words of each of `n_topics` topics of a generator: row k of G(I_K), the
/// generator applied to the one-hot topic mixtures, with `train = false` (BatchNorm uses its
/// running statistics). Any module mapping `B x K` topic mixtures to `B x V` word distributions.
///
/// Ties are broken by the lower word id. Errors: the output is not `K x V` with
/// `V = vocab.len()`, or holds a non-finite value (a diverged model).
///
/// ```
/// use candle_core::{Device, Tensor};
/// use gcatm::corpus::Vocab;
/// use gcatm::eval::topic_words_of;
/// // A "generator" that is a fixed 2 x 3 topic-word matrix: theta -> theta W.
/// struct Fixed(Tensor);
/// impl candle_nn::ModuleT for Fixed {
///     fn forward_t(&self, theta: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
///         theta.matmul(&self.0)
///     }
/// }
/// let w = Tensor::new(&[[0.5f32, 0.3, 0.2], [0.1, 0.1, 0.8]], &Device::Cpu).unwrap();
/// let vocab = Vocab::new(vec!["x".into(), "y".into(), "z".into()]).unwrap();
/// let topics = topic_words_of(&Fixed(w), 2, &Device::Cpu, &vocab, 2).unwrap();
/// assert_eq!(topics[0].words, ["x", "y"]);
/// assert_eq!(topics[1].words, ["z", "x"]); // tie 0.1/0.1 broken by the lower id
/// assert_eq!(topics[1].probs[0], 0.8);
/// ```
pub fn topic_words_of<M: ModuleT>(
    generator: &M,
    n_topics: usize,
    device: &Device,
    vocab: &Vocab,
    top_n: usize,
) -> Result<Vec<TopicWords>, EvalError> {
    if n_topics == 0 {
        return Err(EvalError::NoTopics);
    }
    let eye = Tensor::eye(n_topics, DType::F32, device)?;
    let out = generator.forward_t(&eye, false)?;
    let dims = out.dims().to_vec();
    if dims != [n_topics, vocab.len()] {
        return Err(EvalError::SizeMismatch {
            what: format!("generator output shape {dims:?} vs topics x vocabulary size"),
            expected: n_topics * vocab.len(),
            got: dims.iter().product(),
        });
    }
    let rows = out.to_dtype(DType::F32)?.to_vec2::<f32>()?;
    rows.iter()
        .enumerate()
        .map(|(k, p)| {
            if let Some(v) = p.iter().position(|x| !x.is_finite()) {
                return Err(EvalError::NonFinite(format!(
                    "generator output for topic {k}, word {v}: {}",
                    p[v]
                )));
            }
            let ids = top_ids(p, top_n);
            Ok(TopicWords {
                words: ids
                    .iter()
                    .map(|&i| vocab.word(i as usize).to_string())
                    .collect(),
                probs: ids.iter().map(|&i| p[i as usize]).collect(),
                ids,
            })
        })
        .collect()
}

/// Ids of the `n` largest entries of `p`, largest first, ties to the lower id.
fn top_ids(p: &[f32], n: usize) -> Vec<u32> {
    let order = |a: &u32, b: &u32| p[*b as usize].total_cmp(&p[*a as usize]).then(a.cmp(b));
    let mut idx: Vec<u32> = (0..p.len() as u32).collect();
    let n = n.min(idx.len());
    if n == 0 {
        return Vec::new();
    }
    // Partial selection first: O(V) instead of sorting the whole vocabulary.
    idx.select_nth_unstable_by(n - 1, order);
    idx.truncate(n);
    idx.sort_unstable_by(order);
    idx
}

/// The encoder's topic mixtures theta (`N x K`, on `device`) of every document of `corpus`, in
/// corpus order, computed in batches of `batch_size` with `train = false`.
///
/// Each document is L1-normalised first, as in training; an empty document stays an all-zero row
/// (drop such documents with [`Corpus::drop_empty`] if that is not wanted).
///
/// ```
/// use candle_core::{Device, Tensor};
/// use gcatm::corpus::{Corpus, Vocab};
/// use gcatm::eval::{assign_topics, infer_theta};
/// // An "encoder" that is the identity on 2-word documents: theta = bow.
/// struct Id;
/// impl candle_nn::ModuleT for Id {
///     fn forward_t(&self, bow: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
///         Ok(bow.clone())
///     }
/// }
/// let vocab = Vocab::new(vec!["a".into(), "b".into()]).unwrap();
/// let corpus = Corpus::from_docs(&[vec![(0, 3.0), (1, 1.0)], vec![(1, 2.0)]], vocab).unwrap();
/// let theta = infer_theta(&Id, &corpus, &Device::Cpu, 1).unwrap();
/// assert_eq!(theta.to_vec2::<f32>().unwrap(), vec![vec![0.75, 0.25], vec![0.0, 1.0]]);
/// assert_eq!(assign_topics(&Id, &corpus, &Device::Cpu, 8).unwrap(), vec![0, 1]);
/// ```
pub fn infer_theta<M: ModuleT>(
    encoder: &M,
    corpus: &Corpus,
    device: &Device,
    batch_size: usize,
) -> Result<Tensor, EvalError> {
    let dense = |b: &SparseBatch| Ok(encoder.forward_t(&b.to_dense(device)?, false)?);
    collect_theta(map_batches(dense, corpus, batch_size, |t| Ok(t.clone()))?)
}

/// [`infer_theta`] for the crate's [`Encoder`], through its sparse first layer (the same values,
/// faster on the CPU); theta lives on the encoder's device.
///
/// ```
/// use candle_core::Device;
/// use candle_nn::VarMap;
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::eval::encoder_theta;
/// use gcatm::model::{seeded_var_builder, Encoder};
/// let planted = PlantedCorpus::builder().topics(3).docs(20).seed(0).build();
/// let vm = VarMap::new();
/// let v = planted.corpus.vocab_size();
/// let encoder = Encoder::new(seeded_var_builder(&vm, 0, &Device::Cpu), v, 3, 16).unwrap();
/// let theta = encoder_theta(&encoder, &planted.corpus, 8).unwrap();
/// assert_eq!(theta.dims(), &[20, 3]);
/// ```
pub fn encoder_theta(
    encoder: &Encoder,
    corpus: &Corpus,
    batch_size: usize,
) -> Result<Tensor, EvalError> {
    let sparse = |b: &SparseBatch| Ok(encoder.theta(Bow::Sparse(b), false)?);
    collect_theta(map_batches(sparse, corpus, batch_size, |t| Ok(t.clone()))?)
}

/// argmax of [`encoder_theta`] per document.
pub(crate) fn encoder_assignments(
    encoder: &Encoder,
    corpus: &Corpus,
    batch_size: usize,
) -> Result<Vec<u32>, EvalError> {
    let sparse = |b: &SparseBatch| Ok(encoder.theta(Bow::Sparse(b), false)?);
    let parts = map_batches(sparse, corpus, batch_size, argmax_rows)?;
    Ok(parts.into_iter().flatten().collect())
}

fn collect_theta(parts: Vec<Tensor>) -> Result<Tensor, EvalError> {
    if parts.is_empty() {
        return Err(EvalError::NoDocuments);
    }
    Ok(Tensor::cat(&parts, 0)?)
}

fn argmax_rows(theta: &Tensor) -> Result<Vec<u32>, EvalError> {
    Ok(theta.argmax(1)?.to_vec1::<u32>()?)
}

/// argmax theta of every document of `corpus` (its most probable topic), as for clustering;
/// see [`infer_theta`]. Only one batch of theta is held at a time.
pub fn assign_topics<M: ModuleT>(
    encoder: &M,
    corpus: &Corpus,
    device: &Device,
    batch_size: usize,
) -> Result<Vec<u32>, EvalError> {
    let dense = |b: &SparseBatch| Ok(encoder.forward_t(&b.to_dense(device)?, false)?);
    let parts = map_batches(dense, corpus, batch_size, argmax_rows)?;
    Ok(parts.into_iter().flatten().collect())
}

/// Runs `forward` over L1-normalised batches of `corpus` and maps each output with `f`.
fn map_batches<T>(
    forward: impl Fn(&SparseBatch) -> Result<Tensor, EvalError>,
    corpus: &Corpus,
    batch_size: usize,
    f: impl Fn(&Tensor) -> Result<T, EvalError>,
) -> Result<Vec<T>, EvalError> {
    if batch_size == 0 {
        return Err(EvalError::InvalidOption(
            "batch size must be at least 1".into(),
        ));
    }
    let n = corpus.n_docs();
    let mut out = Vec::with_capacity(n.div_ceil(batch_size));
    for start in (0..n).step_by(batch_size) {
        let end = (start + batch_size).min(n);
        let theta = forward(&l1_batch(corpus, start, end))?;
        if theta.dims().first() != Some(&(end - start)) || theta.rank() != 2 {
            return Err(EvalError::SizeMismatch {
                what: format!("encoder output shape {:?} vs batch rows", theta.dims()),
                expected: end - start,
                got: theta.dims().first().copied().unwrap_or(0),
            });
        }
        out.push(f(&theta)?);
    }
    Ok(out)
}

/// Documents `start..end` of `corpus`, each row divided by its sum (empty rows stay empty).
fn l1_batch(corpus: &Corpus, start: usize, end: usize) -> SparseBatch {
    let mut offsets = Vec::with_capacity(end - start + 1);
    offsets.push(0);
    let mut word_ids = Vec::new();
    let mut values = Vec::new();
    for d in start..end {
        let (w, v) = corpus.doc(d);
        let sum: f64 = v.iter().map(|&x| x as f64).sum();
        word_ids.extend_from_slice(w);
        values.extend(v.iter().map(|&x| {
            if sum > 0.0 {
                (x as f64 / sum) as f32
            } else {
                0.0
            }
        }));
        offsets.push(word_ids.len());
    }
    SparseBatch {
        offsets,
        word_ids,
        values,
        cols: corpus.vocab_size(),
    }
}
