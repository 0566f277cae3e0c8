use super::layers::{linear_t, BatchStats, Block, Bow, Linear};
use super::ops::CpuView;
use super::Critic;
use crate::kernels::{self, BlockSums, Mat};
use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Module, ModuleT, Result, Tensor, Var, D};
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
    /// The first layer's weight (`H x K`); its bias is the block's.
    fc1_weight: Tensor,
    /// The first layer's bias, BatchNorm and LeakyReLU.
    block: Block,
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
        let block = Block::new(fc1.bias, vb.pp("bn"))?;
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
            fc1_weight: fc1.weight,
            block,
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
        let hidden = self
            .block
            .forward_t(&linear_t(theta, &self.fc1_weight)?, train)?;
        let words = super::ops::softmax_rows(&self.fc2.forward(&hidden)?)?;
        Ok(GeneratorOutput { hidden, words })
    }

    /// The training-mode pass of the CPU steps, by hand on host buffers: the same values as
    /// [`Generator::forward_with_hidden`] (BatchNorm's running statistics moved), without
    /// recording an autograd graph, which the fused generator step does not use.
    pub(crate) fn forward_host(&self, theta: &Tensor) -> Result<GeneratorOutput> {
        let theta = theta.contiguous()?;
        let b = theta.dim(0)?;
        let (v, h) = self.fc2.weight.dims2()?;
        let (_, hidden) = self
            .block
            .forward_host(self.first_layer_host(&theta)?, b, true)?;
        let mut words = {
            let w2 = CpuView::new(&self.fc2.weight)?;
            kernels::gemm_nt_new((b, v, h), &hidden, w2.data())?
        };
        // The logits become the words' distributions in place.
        kernels::softmax_bias_inplace(&mut words, &self.fc2.bias.to_vec1::<f32>()?, v);
        let dev = Device::Cpu;
        Ok(GeneratorOutput {
            hidden: Tensor::from_vec(hidden, (b, h), &dev)?,
            words: Tensor::from_vec(words, (b, v), &dev)?,
        })
    }

    /// `theta W1^T` on host buffers (`B x H`), the first layer's product (the block adds the
    /// bias).
    fn first_layer_host(&self, theta: &Tensor) -> Result<Vec<f32>> {
        let (b, k) = theta.dims2()?;
        let (h, _) = self.fc1_weight.dims2()?;
        let tv = CpuView::new(theta)?;
        let w1 = CpuView::new(&self.fc1_weight)?;
        let tm = Mat {
            data: tv.data(),
            rs: k,
            cs: 1,
        };
        let w1t = Mat {
            data: w1.data(),
            rs: 1,
            cs: k,
        };
        Ok(kernels::gemm_new((b, h, k), tm, w1t)?)
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

/// How a generator step combines the gradients of its two terms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Terms {
    /// `adversarial + weight * InfoNCE`, in one backward pass (the log's).
    Summed(f64),
    /// The InfoNCE term's gradients (weight 1) kept apart from the adversarial ones, for
    /// [`balance_terms`]: a second backward pass through the generator's body.
    Apart,
}

/// A generator step's losses and gradients.
pub(crate) struct StepGradients {
    /// `-mean D(theta, G(theta))`.
    pub adversarial: f32,
    /// The InfoNCE value (none for the bat variant).
    pub info_nce: Option<f32>,
    /// The gradients of the loss, or of the adversarial term alone with [`Terms::Apart`].
    pub grads: GradStore,
    /// With [`Terms::Apart`], the gradients of InfoNCE alone.
    pub info_nce_grads: Option<GradStore>,
    /// The critic's batch statistics, which its running statistics have not yet moved towards
    /// ([`Critic::move_running`]).
    pub critic_stats: BatchStats,
}

/// The log author's balancing of the generator's two terms (October 2021, after the log; off
/// by default): the InfoNCE gradients scaled by `weight * ||dL_adv/dW1|| / ||dL_nce/dW1||`, W1
/// the first Linear(K, H) weight, a constant for this step, then added to the adversarial
/// ones, so that neither term drowns the other. Returns the gradients and that scale (0 when
/// InfoNCE has no gradient at W1). Both backends call this.
pub(crate) fn balance_terms(
    generator: &Generator,
    vars: &[Var],
    adversarial: GradStore,
    info_nce: &GradStore,
    weight: f64,
) -> Result<(GradStore, f64)> {
    let norm = |g: &GradStore| -> Result<f64> {
        g.get(&generator.fc1_weight)
            .map_or(Ok(0.0), super::ops::l2_norm)
    };
    let (adv, nce) = (norm(&adversarial)?, norm(info_nce)?);
    let scale = if nce > 0.0 && nce.is_finite() {
        weight * adv / nce
    } else {
        0.0
    };
    let mut out = adversarial;
    for var in vars {
        let var = var.as_tensor();
        if let Some(c) = info_nce.get(var) {
            let c = (c * scale)?;
            let sum = match out.get(var) {
                Some(a) => (a + c)?,
                None => c,
            };
            out.insert(var, sum);
        }
    }
    Ok((out, scale))
}

impl Generator {
    /// The generator step's losses and the gradient of `loss_G = -mean D(theta, G(theta)) +
    /// weight * InfoNCE` for every generator parameter ([`Terms::Summed`]), or of the two terms
    /// apart ([`Terms::Apart`]), on the CPU, from the forward pass `out` of `theta` (BatchNorm in
    /// training mode).
    ///
    /// The large products and per-element passes (the critic's input gradient, softmax, the
    /// output layer and the block) are computed by hand in place; only the small contrastive
    /// head goes through candle's autograd, from leaves cut at the hidden features and the
    /// generated documents. The values are those of the autograd path up to summation order.
    /// The critic's running statistics are left alone: its batch statistics come back in
    /// [`StepGradients::critic_stats`].
    pub(crate) fn step_gradients(
        &self,
        critic: &Critic,
        theta: &Tensor,
        out: &GeneratorOutput,
        temperature: f64,
        terms: Terms,
    ) -> Result<StepGradients> {
        let theta = theta.contiguous()?;
        let b = theta.dims2()?.0;
        let (v, h) = self.fc2.weight.dims2()?;
        let words = out.words.contiguous()?;
        let hidden = out.hidden.contiguous()?;
        if words.dims2()? != (b, v) || hidden.dims2()? != (b, h) {
            candle_core::bail!("generator step: the forward pass does not match theta");
        }
        // The contrastive term needs nothing of the critic: it runs beside the critic's pass.
        // InfoNCE and its gradient by hand on the B x d sides; the projection head and the topic
        // embedding (small) through autograd, from a leaf at the hidden features, driven by
        // those gradients. The word head's gradient at the documents is added below.
        let weight = match terms {
            Terms::Summed(w) => w,
            Terms::Apart => 1.0,
        };
        let contrastive = || -> Result<HeadTerms> {
            match &self.head {
                Head::None => Ok(HeadTerms::default()),
                Head::Word {
                    word_embedding,
                    topic_embedding,
                } => {
                    let embeddings = (word_embedding, topic_embedding);
                    let (value, grads, d_docs) =
                        word_head(&theta, &words, embeddings, temperature, weight)?;
                    Ok(HeadTerms {
                        grads,
                        value: Some(value),
                        d_hidden: None,
                        d_docs,
                    })
                }
                Head::Projection { .. } => {
                    let hidden_leaf = Var::from_tensor(&hidden.detach())?;
                    let leaves = GeneratorOutput {
                        hidden: hidden_leaf.as_tensor().clone(),
                        words: words.detach(),
                    };
                    let Some(pair) = self.contrastive_pair(&theta, &leaves)? else {
                        candle_core::bail!("generator step: no contrastive pair")
                    };
                    let (value, mut grads) = backward_info_nce(&pair, temperature, weight)?;
                    let d_hidden = grads.remove(hidden_leaf.as_tensor());
                    Ok(HeadTerms {
                        grads,
                        value: Some(value),
                        d_hidden,
                        d_docs: Vec::new(),
                    })
                }
            }
        };
        // -mean D: every score's gradient is -1/B.
        let (critic_side, head_side) = rayon::join(
            || critic.input_gradients(&theta, Bow::Dense(&words), -1.0 / b as f32, true),
            contrastive,
        );
        let (critic_side, head_side) = (critic_side?, head_side?);
        let mut d_words = critic_side.d_bow.unwrap_or_default();
        let HeadTerms {
            grads: mut head_grads,
            value: info_nce,
            d_hidden,
            d_docs,
        } = head_side;
        // Apart, the contrastive head writes into a buffer of its own, at weight 1.
        let mut d_nce_words = match terms {
            Terms::Summed(_) => Vec::new(),
            Terms::Apart => vec![0f32; b * v],
        };
        if let Head::Word { word_embedding, .. } = &self.head {
            let d_head_words = match terms {
                Terms::Summed(_) => &mut d_words,
                Terms::Apart => &mut d_nce_words,
            };
            add_word_gradient(d_head_words, &d_docs, word_embedding, b)?;
        }
        let (grads, info_nce_grads) = match terms {
            Terms::Summed(_) => {
                self.body_gradients(
                    &theta,
                    &words,
                    &hidden,
                    Some(&d_words),
                    d_hidden,
                    &mut head_grads,
                )?;
                (head_grads, None)
            }
            Terms::Apart => {
                let mut adv = GradStore::default();
                self.body_gradients(&theta, &words, &hidden, Some(&d_words), None, &mut adv)?;
                // The projection heads reach the generator only through the hidden features.
                let d_nce = matches!(self.head, Head::Word { .. }).then_some(&d_nce_words[..]);
                if info_nce.is_some() {
                    self.body_gradients(&theta, &words, &hidden, d_nce, d_hidden, &mut head_grads)?;
                }
                (adv, Some(head_grads))
            }
        };
        Ok(StepGradients {
            adversarial: (-critic_side.mean) as f32,
            info_nce,
            grads,
            info_nce_grads,
            critic_stats: critic_side.stats,
        })
    }

    /// Backward through the output layer and the block, from the gradients at the generated
    /// documents (`d_words`, before softmax; none: zero) and at the hidden features
    /// (`d_hidden`), adding the gradients of W1, the block, W2 and b2 into `grads`.
    fn body_gradients(
        &self,
        theta: &Tensor,
        words: &Tensor,
        hidden: &Tensor,
        d_words: Option<&[f32]>,
        d_hidden: Option<Tensor>,
        grads: &mut GradStore,
    ) -> Result<()> {
        let (b, k) = theta.dims2()?;
        let (v, h) = self.fc2.weight.dims2()?;
        let dev = Device::Cpu;
        let mut dh = match d_words {
            None => vec![0f32; b * h],
            Some(d_words) => {
                // Softmax, then the output layer.
                let wv = CpuView::new(words)?;
                let dlogits = kernels::softmax_backward(wv.data(), d_words, v);
                drop(wv);
                let hv = CpuView::new(hidden)?;
                self.fc2.backward_host(hv.data(), &dlogits, b, grads)?
            }
        };
        if let Some(g) = d_hidden {
            add_into(&mut dh, &g)?;
        }
        // The block: its first layer recomputed from theta (the same values as the forward
        // pass), its statistics from this batch; the running statistics are not moved again.
        let xw = self.first_layer_host(theta)?;
        let tv = CpuView::new(theta)?;
        let tm = Mat {
            data: tv.data(),
            rs: k,
            cs: 1,
        };
        let block = self.block.cache_host(xw, b, false)?;
        let mut sums = BlockSums::new(h);
        let dpre = self.block.backward_host(block, &dh, &mut sums)?;
        let g_w1 = kernels::gemm_new(
            (h, k, b),
            Mat {
                data: &dpre,
                rs: 1,
                cs: h,
            },
            tm,
        )?;
        drop(tv);
        grads.insert(&self.fc1_weight, Tensor::from_vec(g_w1, (h, k), &dev)?);
        self.block.insert_grads(sums, grads)?;
        Ok(())
    }
}

/// What the contrastive head contributes to a generator step: the gradients of its own
/// parameters, the InfoNCE value, and its gradient at the hidden features (projection heads) or
/// at the document embeddings (the word head).
#[derive(Default)]
struct HeadTerms {
    grads: GradStore,
    value: Option<f32>,
    d_hidden: Option<Tensor>,
    d_docs: Vec<f32>,
}

/// The word variant's InfoNCE term `weight * InfoNCE(G(theta) E_word, theta E_topic)` and its
/// gradients, with the two products on the vocabulary (`B x V` by `V x d`) by hand and only the
/// small `B x d` part through autograd: returns the InfoNCE value, the gradients of both
/// embedding tables and the gradient at the document embeddings (`B x d`), which
/// [`add_word_gradient`] carries to the generated documents.
fn word_head(
    theta: &Tensor,
    words: &Tensor,
    (e_word, e_topic): (&Tensor, &Tensor),
    temperature: f64,
    weight: f64,
) -> Result<(f32, GradStore, Vec<f32>)> {
    let dev = Device::Cpu;
    let (b, v) = words.dims2()?;
    let (_, d) = e_word.dims2()?;
    let wv = CpuView::new(words)?;
    let ew = CpuView::new(e_word)?;
    let wm = Mat {
        data: wv.data(),
        rs: v,
        cs: 1,
    };
    let docs = kernels::gemm_new(
        (b, d, v),
        wm,
        Mat {
            data: ew.data(),
            rs: d,
            cs: 1,
        },
    )?;
    drop(ew);
    let topics = theta.matmul(e_topic)?;
    let topics_host = topics.flatten_all()?.to_vec1::<f32>()?;
    let (value, d_docs, d_topics) =
        crate::loss::info_nce_host(&docs, &topics_host, d, temperature, weight)?;
    // The topic side through autograd: d(sum(topics * d_topics)) / d E_topic.
    let d_topics = Tensor::from_vec(d_topics, (b, d), &dev)?;
    let mut grads = (topics * d_topics)?.sum_all()?.backward()?;
    // d E_word = words^T d_docs.
    let dm = Mat {
        data: &d_docs,
        rs: d,
        cs: 1,
    };
    let wt = Mat {
        data: wv.data(),
        rs: 1,
        cs: v,
    };
    let g_ew = kernels::gemm_new((v, d, b), wt, dm)?;
    drop(wv);
    grads.insert(e_word, Tensor::from_vec(g_ew, (v, d), &dev)?);
    Ok((value, grads, d_docs))
}

/// The word head's gradient at the generated documents, `d_words += d_docs E_word^T`
/// (`B x V`), for the gradient `d_docs` (`B x d`) at the document embeddings.
fn add_word_gradient(d_words: &mut [f32], d_docs: &[f32], e_word: &Tensor, b: usize) -> Result<()> {
    let (v, d) = e_word.dims2()?;
    let ew = CpuView::new(e_word)?;
    let dm = Mat {
        data: d_docs,
        rs: d,
        cs: 1,
    };
    kernels::gemm_into(
        d_words,
        (b, v, d),
        dm,
        Mat {
            data: ew.data(),
            rs: 1,
            cs: d,
        },
        true,
    )?;
    Ok(())
}

/// InfoNCE between a contrastive pair by hand ([`crate::loss::info_nce_host`]), then autograd
/// from both sides with those gradients: returns the InfoNCE value and the gradients of
/// `weight * InfoNCE` for every tensor the pair was computed from.
fn backward_info_nce(
    pair: &ContrastivePair,
    temperature: f64,
    weight: f64,
) -> Result<(f32, GradStore)> {
    let (b, d) = pair.documents.dims2()?;
    let docs = pair.documents.flatten_all()?.to_vec1::<f32>()?;
    let topics = pair.topics.flatten_all()?.to_vec1::<f32>()?;
    let (value, g_docs, g_topics) =
        crate::loss::info_nce_host(&docs, &topics, d, temperature, weight)?;
    let dev = pair.documents.device();
    let g_docs = Tensor::from_vec(g_docs, (b, d), dev)?;
    let g_topics = Tensor::from_vec(g_topics, (b, d), dev)?;
    let surrogate =
        ((&pair.documents * g_docs)?.sum_all()? + (&pair.topics * g_topics)?.sum_all()?)?;
    Ok((value, surrogate.backward()?))
}

/// `acc += g` for a host buffer and a tensor of as many elements.
fn add_into(acc: &mut [f32], g: &Tensor) -> Result<()> {
    let g = g.contiguous()?;
    let gv = CpuView::new(&g)?;
    if gv.data().len() != acc.len() {
        candle_core::bail!("gradient of {} values for {}", gv.data().len(), acc.len());
    }
    for (a, &x) in acc.iter_mut().zip(gv.data()) {
        *a += x;
    }
    Ok(())
}

impl ModuleT for Generator {
    fn forward_t(&self, theta: &Tensor, train: bool) -> Result<Tensor> {
        Ok(self.forward_with_hidden(theta, train)?.words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{seeded_var_builder, trainable_vars};
    use candle_nn::VarMap;

    #[test]
    fn host_pass_matches_the_candle_pass() {
        let (v, k, h, b) = (41, 5, 24, 10);
        let dev = Device::Cpu;
        let (m1, m2) = (VarMap::new(), VarMap::new());
        let g1 = Generator::new(
            seeded_var_builder(&m1, 3, &dev),
            v,
            k,
            h,
            Variant::Word,
            8,
            6,
        );
        let g2 = Generator::new(
            seeded_var_builder(&m2, 3, &dev),
            v,
            k,
            h,
            Variant::Word,
            8,
            6,
        );
        let theta = crate::model::critic::tests::softmax_rows(b, k, 5);
        let a = g1.unwrap().forward_with_hidden(&theta, true).unwrap();
        let c = g2.unwrap().forward_host(&theta).unwrap();
        for (x, y) in [(&a.hidden, &c.hidden), (&a.words, &c.words)] {
            let d = (x - y).unwrap().abs().unwrap().flatten_all().unwrap();
            let d = d.max(0).unwrap().to_scalar::<f32>().unwrap();
            assert!(d < 1e-6, "largest difference {d}");
        }
        for name in ["bn.running_mean", "bn.running_var"] {
            let get = |vm: &VarMap| vm.data().lock().unwrap()[name].as_tensor().to_vec1::<f32>();
            assert_eq!(get(&m1).unwrap(), get(&m2).unwrap(), "{name}");
        }
    }

    /// A small generator of `variant` (V 41, K 5, H 24), a critic, a batch of 10 theta rows and
    /// the generator's training-mode pass on them: the set-up of the step-gradient tests.
    fn step_fixture(variant: Variant) -> (VarMap, Generator, Critic, Tensor, GeneratorOutput) {
        let (v, k, h, b) = (41, 5, 24, 10);
        let dev = Device::Cpu;
        let (gm, cm) = (VarMap::new(), VarMap::new());
        let g = Generator::new(seeded_var_builder(&gm, 3, &dev), v, k, h, variant, 8, 6).unwrap();
        let critic = Critic::new(seeded_var_builder(&cm, 4, &dev), v, k, h).unwrap();
        let theta = crate::model::critic::tests::softmax_rows(b, k, 11);
        let out = g.forward_with_hidden(&theta, true).unwrap();
        (gm, g, critic, theta, out)
    }

    #[test]
    fn fused_step_gradients_match_autograd() {
        for variant in [
            Variant::Bat,
            Variant::Hard,
            Variant::MeanWeighted,
            Variant::Word,
        ] {
            let (gm, g, critic, theta, out) = step_fixture(variant);
            let (tau, weight) = (0.5, 0.7);
            // Autograd.
            let fake = critic
                .frozen()
                .score(&theta, Bow::Dense(&out.words), true)
                .unwrap();
            let adv = crate::loss::generator_loss(&fake).unwrap();
            let mut total = adv.clone();
            let mut nce_want = None;
            if let Some(pair) = g.contrastive_pair(&theta, &out).unwrap() {
                let nce = crate::loss::info_nce(&pair.documents, &pair.topics, tau).unwrap();
                nce_want = Some(nce.to_scalar::<f32>().unwrap());
                total = (total + (nce * weight).unwrap()).unwrap();
            }
            let want = total.backward().unwrap();
            // Fused.
            let step = g
                .step_gradients(&critic, &theta, &out, tau, Terms::Summed(weight))
                .unwrap();
            let (adv_got, nce_got, got) = (step.adversarial, step.info_nce, step.grads);
            let adv_want = adv.to_scalar::<f32>().unwrap();
            assert!(
                (adv_got - adv_want).abs() < 1e-5,
                "{variant}: {adv_got} against {adv_want}"
            );
            assert_eq!(nce_got.is_some(), nce_want.is_some());
            if let (Some(a), Some(w)) = (nce_got, nce_want) {
                assert!((a - w).abs() < 1e-5, "{variant}: InfoNCE {a} against {w}");
            }
            let vars = trainable_vars(&gm);
            assert!(vars.len() >= 6);
            assert_same_gradients(&variant.to_string(), &vars, &want, &got);
        }
    }

    /// Every variable's gradient in `got` equals `want`'s within 1e-4 of its largest value. The
    /// first layer's bias feeds BatchNorm, so its gradient is zero up to rounding: an absolute
    /// floor covers that noise.
    fn assert_same_gradients(
        label: &str,
        vars: &[(String, Var)],
        want: &GradStore,
        got: &GradStore,
    ) {
        for (name, var) in vars {
            let want = want.get(var.as_tensor());
            let want = want.unwrap_or_else(|| panic!("{label}: no gradient for {name}"));
            let got = got.get(var.as_tensor());
            let got = got.unwrap_or_else(|| panic!("{label}: no computed gradient for {name}"));
            let (want, got) = (want.flatten_all().unwrap(), got.flatten_all().unwrap());
            let scale = want.abs().unwrap().max(0).unwrap();
            let scale = scale.to_scalar::<f32>().unwrap();
            let diff = (got - &want).unwrap().abs().unwrap().max(0).unwrap();
            let diff = diff.to_scalar::<f32>().unwrap();
            assert!(
                diff <= 1e-4 * scale.max(1e-2),
                "{label} {name}: max difference {diff} (largest gradient {scale})"
            );
        }
    }

    /// The balanced step (the log author's remedy): the fused and autograd backends give the
    /// same gradients; the InfoNCE part of the first layer's gradient has the adversarial part's
    /// norm times the weight; and the parameters InfoNCE does not reach keep their adversarial
    /// gradient.
    #[test]
    fn balanced_terms_match_across_backends() {
        let norm = |t: &Tensor| crate::model::ops::l2_norm(t).unwrap();
        for variant in [Variant::Hard, Variant::MeanWeighted, Variant::Word] {
            let (gm, g, critic, theta, out) = step_fixture(variant);
            let (tau, weight) = (0.5, 0.7);
            let vars = gm.all_vars();
            // Autograd: each term's own backward pass.
            let fake = critic
                .frozen()
                .score(&theta, Bow::Dense(&out.words), true)
                .unwrap();
            let adv = crate::loss::generator_loss(&fake).unwrap();
            let pair = g.contrastive_pair(&theta, &out).unwrap().unwrap();
            let nce = crate::loss::info_nce(&pair.documents, &pair.topics, tau).unwrap();
            let adv_grads = adv.backward().unwrap();
            let w1_adv = adv_grads.get(&g.fc1_weight).unwrap().clone();
            let (want, scale_want) =
                balance_terms(&g, &vars, adv_grads, &nce.backward().unwrap(), weight).unwrap();
            // Fused: the two terms apart.
            let step = g
                .step_gradients(&critic, &theta, &out, tau, Terms::Apart)
                .unwrap();
            let nce_grads = step.info_nce_grads.unwrap();
            let w1_nce = nce_grads.get(&g.fc1_weight).unwrap().clone();
            let (got, scale_got) =
                balance_terms(&g, &vars, step.grads, &nce_grads, weight).unwrap();
            assert!(
                (scale_got - scale_want).abs() <= 1e-4 * scale_want,
                "{variant}: scale {scale_got} against {scale_want}"
            );
            // The InfoNCE part of W1's gradient, rescaled, has the adversarial part's norm.
            let ratio = norm(&(w1_nce * scale_got).unwrap()) / norm(&w1_adv);
            assert!((ratio - weight).abs() < 1e-4, "{variant}: ratio {ratio}");
            assert_same_gradients(&variant.to_string(), &trainable_vars(&gm), &want, &got);
        }
    }
}
