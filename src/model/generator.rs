use super::layers::{block_tail, BatchNorm1d, Linear};
use candle_core::{DType, Device, Module, ModuleT, Result, Tensor, D};
use candle_nn::{Init, VarBuilder};
use serde::{Deserialize, Serialize};

/// Which contrastive term the generator adds to its adversarial loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Plain bidirectional adversarial training: no contrastive term.
    Bat,
    /// Projection head vs the embedding row of argmax theta (log section 1).
    Hard,
    /// Projection head vs the theta-weighted sum of topic embeddings (log section 2).
    #[serde(rename = "mean")]
    MeanWeighted,
    /// Word-embedding document (sum_v G(theta)_v E_word[v]) vs the theta-weighted topic embedding
    /// (the later variant, 200-dimensional embeddings).
    Word,
}

impl std::str::FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "bat" => Ok(Variant::Bat),
            "hard" => Ok(Variant::Hard),
            "mean" => Ok(Variant::MeanWeighted),
            "word" => Ok(Variant::Word),
            o => Err(format!(
                "unknown variant `{o}` (expected bat, hard, mean or word)"
            )),
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Variant::Bat => "bat",
            Variant::Hard => "hard",
            Variant::MeanWeighted => "mean",
            Variant::Word => "word",
        })
    }
}

#[derive(Debug, Clone)]
enum Head {
    None,
    Projection {
        proj1: Linear,
        proj2: Linear,
        topic_embedding: Tensor,
        hard: bool,
    },
    Word {
        word_embedding: Tensor,
        topic_embedding: Tensor,
    },
}

/// What one generator pass gives: the hidden features h and the generated word distribution.
#[derive(Debug, Clone)]
pub struct GeneratorOutput {
    /// Hidden features h = block(K, H)(theta), `B x H`.
    pub hidden: Tensor,
    /// Generated documents G(theta), `B x V`, rows on the simplex.
    pub words: Tensor,
}

/// The two sides of the InfoNCE term for a batch: document embeddings and topic embeddings.
#[derive(Debug, Clone)]
pub struct ContrastivePair {
    /// Document side, `B x d` (projection of h, or the word-embedding bag of G(theta)).
    pub documents: Tensor,
    /// Topic side, `B x d` (the embedding of argmax theta, or the theta-weighted embedding).
    pub topics: Tensor,
}

/// The generator G: theta (K) -> block(K, H) = h -> Linear(H, V) -> softmax, with its contrastive
/// heads (projection head and topic-embedding table, or word and topic embedding tables), which
/// belong to the generator and learn at its learning rate.
///
/// ```
/// use candle_core::{Device, ModuleT, Tensor};
/// use candle_nn::VarMap;
/// use gcatm::model::{seeded_var_builder, Generator, Variant};
/// let vm = VarMap::new();
/// let g = Generator::new(seeded_var_builder(&vm, 0, &Device::Cpu), 30, 4, 16, Variant::Hard, 8, 10).unwrap();
/// let theta = Tensor::eye(4, candle_core::DType::F32, &Device::Cpu).unwrap();
/// let words = g.forward_t(&theta, false).unwrap();
/// assert_eq!(words.dims(), &[4, 30]);
/// let out = g.forward_with_hidden(&theta, true).unwrap();
/// let pair = g.contrastive_pair(&theta, &out).unwrap().unwrap();
/// assert_eq!(pair.documents.dims(), &[4, 8]);
/// ```
#[derive(Debug, Clone)]
pub struct Generator {
    fc1: Linear,
    bn: BatchNorm1d,
    fc2: Linear,
    head: Head,
    topics: usize,
    vocab_size: usize,
    device: Device,
}

impl Generator {
    /// A generator for `topics` topics over `vocab_size` words with hidden width `hidden`.
    /// `projection_dim` sizes the projection head (hard and mean variants, 128 in the log) and
    /// `word_embedding_dim` the embeddings of the word variant (200).
    pub fn new(
        vb: VarBuilder,
        vocab_size: usize,
        topics: usize,
        hidden: usize,
        variant: Variant,
        projection_dim: usize,
        word_embedding_dim: usize,
    ) -> Result<Self> {
        let fc1 = Linear::new(topics, hidden, vb.pp("fc1"))?;
        let bn = BatchNorm1d::new(hidden, vb.pp("bn"))?;
        let fc2 = Linear::new(hidden, vocab_size, vb.pp("fc2"))?;
        // nn.Embedding's default: a standard normal.
        let randn = Init::Randn {
            mean: 0.0,
            stdev: 1.0,
        };
        let head = match variant {
            Variant::Bat => Head::None,
            Variant::Hard | Variant::MeanWeighted => Head::Projection {
                proj1: Linear::new(hidden, hidden, vb.pp("proj1"))?,
                proj2: Linear::new(hidden, projection_dim, vb.pp("proj2"))?,
                topic_embedding: vb.get_with_hints(
                    (topics, projection_dim),
                    "topic_embedding",
                    randn,
                )?,
                hard: variant == Variant::Hard,
            },
            Variant::Word => Head::Word {
                word_embedding: vb.get_with_hints(
                    (vocab_size, word_embedding_dim),
                    "word_embedding",
                    randn,
                )?,
                topic_embedding: vb.get_with_hints(
                    (topics, word_embedding_dim),
                    "topic_embedding",
                    randn,
                )?,
            },
        };
        Ok(Generator {
            fc1,
            bn,
            fc2,
            head,
            topics,
            vocab_size,
            device: vb.device().clone(),
        })
    }

    /// Number of topics K.
    pub fn topics(&self) -> usize {
        self.topics
    }

    /// Vocabulary size V.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// The device the parameters live on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// One pass keeping the hidden features, which the projection head needs.
    pub fn forward_with_hidden(&self, theta: &Tensor, train: bool) -> Result<GeneratorOutput> {
        let hidden = block_tail(&self.fc1.forward(theta)?, &self.bn, train)?;
        let words = super::kernels::softmax_rows(&self.fc2.forward(&hidden)?)?;
        Ok(GeneratorOutput { hidden, words })
    }

    /// The InfoNCE inputs for `theta` and its generator pass; `None` for [`Variant::Bat`].
    pub fn contrastive_pair(
        &self,
        theta: &Tensor,
        out: &GeneratorOutput,
    ) -> Result<Option<ContrastivePair>> {
        Ok(match &self.head {
            Head::None => None,
            Head::Projection {
                proj1,
                proj2,
                topic_embedding,
                hard,
            } => {
                let documents = proj2.forward(&proj1.forward(&out.hidden)?.relu()?)?;
                let topics = if *hard {
                    let ids = theta.argmax(D::Minus1)?.to_dtype(DType::U32)?;
                    topic_embedding.index_select(&ids, 0)?
                } else {
                    theta.matmul(topic_embedding)?
                };
                Some(ContrastivePair { documents, topics })
            }
            Head::Word {
                word_embedding,
                topic_embedding,
            } => Some(ContrastivePair {
                documents: out.words.matmul(word_embedding)?,
                topics: theta.matmul(topic_embedding)?,
            }),
        })
    }
}

impl ModuleT for Generator {
    fn forward_t(&self, theta: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.forward_with_hidden(theta, train)?.words)
    }
}
