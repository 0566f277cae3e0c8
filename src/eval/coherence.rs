//! Topic coherence by document co-occurrence: NPMI, UCI, UMass and C_V.
//!
//! All four measures read the same statistics of a topic's words w_1 .. w_n (in rank order, w_1
//! the most probable) from a [`ReferenceIndex`]: N documents, D(w) documents containing w and
//! D(wi, wj) documents containing both. Probabilities are document ratios, P(w) = D(w) / N and
//! P(wi, wj) = D(wi, wj) / N (boolean documents: a whole document is one window). Logarithms are
//! natural. A topic's score is the arithmetic mean over its pairs (or segments); a model's score is
//! the mean over its topics.
use super::{EvalError, ReferenceIndex};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// gensim's smoothing constant (`EPSILON` in `gensim.topic_coherence.direct_confirmation_measure`).
pub const GENSIM_EPSILON: f64 = 1e-12;

/// How NPMI treats pairs at the edges of its range.
///
/// NPMI(wi, wj) = log(P(wi,wj) / (P(wi) P(wj))) / -log P(wi,wj) (Bouma 2009), in [-1, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub enum NpmiConvention {
    /// The plain formula with its limits: NPMI = -1 for a pair that never co-occurs
    /// (D(wi,wj) = 0, the limit as P(wi,wj) -> 0+, Bouma's "never together"), and +1 when
    /// P(wi,wj) = 1 (0/0 otherwise). No smoothing constant enters. The project's default.
    #[default]
    Bouma,
    /// gensim's `c_npmi`: log((P(wi,wj) + eps) / (P(wi) P(wj))) / -log(P(wi,wj) + eps), taken
    /// literally (a never co-occurring pair scores -1 + |log(P(wi)P(wj))| / -log(eps), not -1; a
    /// pair in every document scores -1). Use `Epsilon(GENSIM_EPSILON)` to reproduce gensim.
    Epsilon(f64),
}

impl NpmiConvention {
    /// gensim's convention, `Epsilon(1e-12)`.
    pub const GENSIM: NpmiConvention = NpmiConvention::Epsilon(GENSIM_EPSILON);
}

/// The constants of the coherence measures.
///
/// Words that never occur in the reference (D(w) = 0) make some probabilities zero; the documented
/// handling per measure is in [`TopicCounts`].
///
/// ```
/// use gcatm::eval::{CoherenceOptions, NpmiConvention};
/// let gensim_like = CoherenceOptions { npmi: NpmiConvention::GENSIM, ..Default::default() };
/// assert_eq!(gensim_like.uci_epsilon, 1e-12);
/// assert!(gensim_like.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CoherenceOptions {
    /// The NPMI convention (default [`NpmiConvention::Bouma`]).
    pub npmi: NpmiConvention,
    /// eps of UCI, log((P(wi,wj) + eps) / (P(wi) P(wj))) (default 1e-12, as gensim's `c_uci`).
    pub uci_epsilon: f64,
    /// Count added to D(wi,wj) in UMass, log((D(wi,wj) + s) / D(wj)) (default 1, Mimno et al.
    /// 2011; gensim's `u_mass` uses s = 1e-12 N instead).
    pub umass_smoothing: f64,
    /// eps of the NPMI entries of C_V's context vectors (default 1e-12, as gensim's `c_v`).
    pub cv_epsilon: f64,
}

impl Default for CoherenceOptions {
    fn default() -> Self {
        CoherenceOptions {
            npmi: NpmiConvention::Bouma,
            uci_epsilon: GENSIM_EPSILON,
            umass_smoothing: 1.0,
            cv_epsilon: GENSIM_EPSILON,
        }
    }
}

impl CoherenceOptions {
    /// Checks that every constant is finite and positive (a zero eps would take log 0).
    pub fn validate(&self) -> Result<(), EvalError> {
        let positive = |name: &str, x: f64| {
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(EvalError::InvalidOption(format!(
                    "{name} must be finite and > 0, got {x}"
                )))
            }
        };
        if let NpmiConvention::Epsilon(e) = self.npmi {
            positive("the NPMI epsilon", e)?;
        }
        positive("uci_epsilon", self.uci_epsilon)?;
        positive("umass_smoothing", self.umass_smoothing)?;
        positive("cv_epsilon", self.cv_epsilon)
    }
}

/// Which coherence measures to compute.
///
/// Parses from a comma-separated list (`"npmi,uci,umass,cv"`; `c_v`, `u_mass`, `c_uci`, `c_npmi`
/// and `all` are accepted too).
///
/// ```
/// use gcatm::eval::Measures;
/// let m: Measures = "npmi,cv".parse().unwrap();
/// assert!(m.npmi && m.cv && !m.uci && !m.umass);
/// assert_eq!(Measures::default(), Measures::NPMI);
/// assert!("npmi,foo".parse::<Measures>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measures {
    /// NPMI (Bouma), pairs.
    pub npmi: bool,
    /// UCI (PMI, Newman et al. 2010), pairs.
    pub uci: bool,
    /// UMass (Mimno et al. 2011), ordered pairs.
    pub umass: bool,
    /// C_V (Röder et al. 2015).
    pub cv: bool,
}

impl Measures {
    /// Only NPMI (the default).
    pub const NPMI: Measures = Measures {
        npmi: true,
        uci: false,
        umass: false,
        cv: false,
    };
    /// All four measures.
    pub const ALL: Measures = Measures {
        npmi: true,
        uci: true,
        umass: true,
        cv: true,
    };
}

impl Default for Measures {
    fn default() -> Self {
        Measures::NPMI
    }
}

impl std::str::FromStr for Measures {
    type Err = EvalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut m = Measures {
            npmi: false,
            uci: false,
            umass: false,
            cv: false,
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.to_ascii_lowercase().as_str() {
                "npmi" | "c_npmi" => m.npmi = true,
                "uci" | "c_uci" | "pmi" => m.uci = true,
                "umass" | "u_mass" => m.umass = true,
                "cv" | "c_v" => m.cv = true,
                "all" => m = Measures::ALL,
                other => {
                    return Err(EvalError::InvalidOption(format!(
                        "unknown coherence measure `{other}` (expected npmi, uci, umass, cv or all)"
                    )))
                }
            }
        }
        if m == (Measures {
            npmi: false,
            uci: false,
            umass: false,
            cv: false,
        }) {
            return Err(EvalError::InvalidOption(
                "no coherence measure named".into(),
            ));
        }
        Ok(m)
    }
}

/// Per-topic values of one measure and their mean.
///
/// A per-topic value is NaN where the measure is undefined for that topic (see [`TopicCounts`]);
/// NaN is written as JSON `null` and read back as NaN. The mean is the plain mean (NaN if any
/// topic is NaN).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicScores {
    /// Mean over topics.
    #[serde(with = "nan_as_null")]
    pub mean: f64,
    /// One value per topic, in topic order.
    #[serde(with = "nan_as_null::vec")]
    pub per_topic: Vec<f64>,
}

impl TopicScores {
    /// Wraps per-topic values with their mean (NaN for no topics).
    pub fn new(per_topic: Vec<f64>) -> TopicScores {
        let mean = if per_topic.is_empty() {
            f64::NAN
        } else {
            per_topic.iter().sum::<f64>() / per_topic.len() as f64
        };
        TopicScores { mean, per_topic }
    }
}

/// The requested measures over a set of topics (`None` for those not requested).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoherenceScores {
    /// NPMI, under the convention of the options used.
    pub npmi: Option<TopicScores>,
    /// UCI.
    pub uci: Option<TopicScores>,
    /// UMass.
    pub umass: Option<TopicScores>,
    /// C_V.
    pub cv: Option<TopicScores>,
}

/// The co-occurrence statistics of one topic's words: everything the measures need.
///
/// Built from word ids in rank order (the most probable word first; the order matters for UMass
/// only). Treatment of a word with D(w) = 0 (in the vocabulary but in no reference document, so
/// its probabilities are 0):
/// - NPMI: every pair with it scores -1 under both conventions (it never co-occurs; gensim's
///   formula would divide by zero there);
/// - UCI: pairs with it are left out of the mean;
/// - UMass: pairs that condition on it (it is the higher-ranked word) are left out;
/// - C_V: it is left out of the topic.
///
/// A measure with no pair left is NaN for that topic. [`TopicCounts::unseen`] lists such words.
///
/// ```
/// use gcatm::corpus::{Corpus, Vocab};
/// use gcatm::eval::{NpmiConvention, ReferenceIndex, TopicCounts};
/// let vocab = Vocab::new(vec!["a".into(), "b".into(), "c".into()]).unwrap();
/// // documents: {a, b}, {a, b}, {c}, {a}
/// let docs = [vec![(0, 1.0), (1, 1.0)], vec![(0, 1.0), (1, 1.0)], vec![(2, 1.0)], vec![(0, 1.0)]];
/// let index = ReferenceIndex::new(&Corpus::from_docs(&docs, vocab).unwrap());
/// let t = TopicCounts::new(&index, &[0, 1]).unwrap();
/// // P(a) = 3/4, P(b) = 1/2, P(a,b) = 1/2: log((1/2) / (3/8)) / -log(1/2) = log(4/3) / log 2
/// let expected = (4.0f64 / 3.0).ln() / 2f64.ln();
/// assert!((t.npmi(NpmiConvention::Bouma) - expected).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TopicCounts {
    ids: Vec<u32>,
    n: f64,
    df: Vec<u32>,
    /// `co[i * len + j]` = D(w_i, w_j); the diagonal is D(w_i).
    co: Vec<u32>,
}

impl TopicCounts {
    /// Counts the pairs of `ids` (at least two words, all in the index's vocabulary).
    pub fn new(index: &ReferenceIndex, ids: &[u32]) -> Result<TopicCounts, EvalError> {
        if ids.len() < 2 {
            return Err(EvalError::TooFewWords {
                topic: 0,
                words: ids.len(),
            });
        }
        if let Some(&id) = ids.iter().find(|&&id| id as usize >= index.vocab_size()) {
            return Err(EvalError::WordOutOfRange {
                id,
                vocab_size: index.vocab_size(),
            });
        }
        let k = ids.len();
        let df: Vec<u32> = ids.iter().map(|&w| index.df(w)).collect();
        let mut co = vec![0u32; k * k];
        for i in 0..k {
            co[i * k + i] = df[i];
            for j in i + 1..k {
                let c = index.co_df(ids[i], ids[j]);
                co[i * k + j] = c;
                co[j * k + i] = c;
            }
        }
        Ok(TopicCounts {
            ids: ids.to_vec(),
            n: index.n_docs() as f64,
            df,
            co,
        })
    }

    /// The word ids, in rank order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// D(w_i, w_j) (D(w_i) when i == j), by positions in the topic.
    pub fn co_df(&self, i: usize, j: usize) -> u32 {
        self.co[i * self.ids.len() + j]
    }

    /// The ids of the topic's words that occur in no reference document.
    pub fn unseen(&self) -> Vec<u32> {
        self.ids
            .iter()
            .zip(&self.df)
            .filter(|(_, &d)| d == 0)
            .map(|(&w, _)| w)
            .collect()
    }

    /// NPMI: the mean of NPMI(w_i, w_j) over the n(n-1)/2 unordered pairs i < j, with
    /// NPMI(wi, wj) = log(P(wi,wj) / (P(wi) P(wj))) / -log P(wi,wj) under `convention` (see
    /// [`NpmiConvention`]: -1 / +1 at the edges, or gensim's eps).
    pub fn npmi(&self, convention: NpmiConvention) -> f64 {
        let k = self.ids.len();
        let mut sum = 0.0;
        for i in 0..k {
            for j in i + 1..k {
                sum += npmi_pair(
                    self.n,
                    self.df[i],
                    self.df[j],
                    self.co[i * k + j],
                    convention,
                );
            }
        }
        sum / (k * (k - 1) / 2) as f64
    }

    /// UCI (Newman et al. 2010, by document co-occurrence): the mean over unordered pairs of
    /// PMI(wi, wj) = log((P(wi,wj) + eps) / (P(wi) P(wj))), eps smoothing the never co-occurring
    /// pairs as gensim's `c_uci` does (eps = 1e-12 by default). Pairs with an unseen word are
    /// left out.
    pub fn uci(&self, eps: f64) -> f64 {
        let k = self.ids.len();
        let (mut sum, mut pairs) = (0.0, 0usize);
        for i in 0..k {
            for j in i + 1..k {
                if self.df[i] == 0 || self.df[j] == 0 {
                    continue;
                }
                let pi = self.df[i] as f64 / self.n;
                let pj = self.df[j] as f64 / self.n;
                let pij = self.co[i * k + j] as f64 / self.n;
                sum += ((pij + eps) / (pi * pj)).ln();
                pairs += 1;
            }
        }
        sum / pairs as f64
    }

    /// UMass (Mimno et al. 2011): the mean over the n(n-1)/2 ordered pairs (w_m, w_l), l < m
    /// (w_l the higher-ranked word), of log((D(w_m, w_l) + s) / D(w_l)); s = 1 in Mimno et al.
    /// Mimno et al. sum the pairs; the mean (gensim's aggregation) is that sum / (n(n-1)/2).
    /// gensim's `u_mass` pairs the words the same way (`s_one_pre`) but smooths with
    /// s = 1e-12 N. Pairs whose conditioning word w_l is unseen are left out.
    pub fn umass(&self, smoothing: f64) -> f64 {
        let k = self.ids.len();
        let (mut sum, mut pairs) = (0.0, 0usize);
        for m in 1..k {
            for l in 0..m {
                if self.df[l] == 0 {
                    continue;
                }
                sum += ((self.co[m * k + l] as f64 + smoothing) / self.df[l] as f64).ln();
                pairs += 1;
            }
        }
        sum / pairs as f64
    }

    /// C_V (Röder et al. 2015) with boolean-document probabilities, as gensim's `c_v` computes it
    /// when every document is one window:
    /// - segmentation S_one_set: pairs (W' = {w_i}, W* = W) for each topic word w_i;
    /// - confirmation: context vectors over the topic's words, v(w_i)_j = NPMI_eps(w_i, w_j)^gamma
    ///   with gamma = 1 and NPMI_eps = log((P(wi,wj) + eps) / (P(wi)P(wj))) / -log(P(wi,wj) + eps)
    ///   (gensim's eps = 1e-12, the diagonal j = i included with D(w_i, w_i) = D(w_i));
    ///   v(W*) = sum_i v(w_i); the indirect confirmation is cos(v(w_i), v(W*));
    /// - aggregation: the arithmetic mean over i.
    ///
    /// Unseen words are left out of W first (their NPMI_eps is infinite).
    pub fn c_v(&self, eps: f64) -> f64 {
        let k = self.ids.len();
        let seen: Vec<usize> = (0..k).filter(|&i| self.df[i] > 0).collect();
        let s = seen.len();
        if s == 0 {
            return f64::NAN;
        }
        let mut v = vec![0.0f64; s * s];
        for (a, &i) in seen.iter().enumerate() {
            for (b, &j) in seen.iter().enumerate() {
                v[a * s + b] = npmi_pair(
                    self.n,
                    self.df[i],
                    self.df[j],
                    self.co[i * k + j],
                    NpmiConvention::Epsilon(eps),
                );
            }
        }
        let mut total = vec![0.0f64; s];
        for a in 0..s {
            for b in 0..s {
                total[b] += v[a * s + b];
            }
        }
        let total_norm = total.iter().map(|x| x * x).sum::<f64>().sqrt();
        let mut sum = 0.0;
        for a in 0..s {
            let row = &v[a * s..(a + 1) * s];
            let dot: f64 = row.iter().zip(&total).map(|(x, y)| x * y).sum();
            let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
            sum += dot / (norm * total_norm);
        }
        sum / s as f64
    }
}

/// NPMI of one pair from counts.
fn npmi_pair(n: f64, di: u32, dj: u32, dij: u32, convention: NpmiConvention) -> f64 {
    if di == 0 || dj == 0 {
        // An unseen word never co-occurs; gensim's formula would divide by zero.
        return -1.0;
    }
    let pi = di as f64 / n;
    let pj = dj as f64 / n;
    let pij = dij as f64 / n;
    match convention {
        NpmiConvention::Bouma => {
            if dij == 0 {
                -1.0
            } else if pij >= 1.0 {
                1.0
            } else {
                (pij / (pi * pj)).ln() / -pij.ln()
            }
        }
        NpmiConvention::Epsilon(eps) => ((pij + eps) / (pi * pj)).ln() / -(pij + eps).ln(),
    }
}

/// Scores topics (word ids in rank order) with the requested measures, topics in parallel.
///
/// Errors: a topic with fewer than 2 words, an id outside the vocabulary, invalid options.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// use gcatm::eval::{coherence, CoherenceOptions, Measures, ReferenceIndex};
/// let planted = PlantedCorpus::builder().topics(3).docs(300).seed(1).build();
/// let index = ReferenceIndex::new(&planted.corpus);
/// let topics: Vec<Vec<u32>> = (0..3)
///     .map(|k| index.ids(&planted.top_words(k, 10)).unwrap())
///     .collect();
/// let scores = coherence(&index, &topics, Measures::ALL, &CoherenceOptions::default()).unwrap();
/// assert!(scores.npmi.unwrap().mean > 0.0); // planted topics are coherent
/// assert_eq!(scores.cv.unwrap().per_topic.len(), 3);
/// ```
pub fn coherence(
    index: &ReferenceIndex,
    topics: &[Vec<u32>],
    measures: Measures,
    options: &CoherenceOptions,
) -> Result<CoherenceScores, EvalError> {
    options.validate()?;
    let rows: Vec<[f64; 4]> = topics
        .par_iter()
        .enumerate()
        .map(|(t, ids)| {
            let counts = TopicCounts::new(index, ids).map_err(|e| match e {
                EvalError::TooFewWords { words, .. } => EvalError::TooFewWords { topic: t, words },
                e => e,
            })?;
            let get = |on: bool, f: &dyn Fn() -> f64| if on { f() } else { f64::NAN };
            Ok([
                get(measures.npmi, &|| counts.npmi(options.npmi)),
                get(measures.uci, &|| counts.uci(options.uci_epsilon)),
                get(measures.umass, &|| counts.umass(options.umass_smoothing)),
                get(measures.cv, &|| counts.c_v(options.cv_epsilon)),
            ])
        })
        .collect::<Result<_, EvalError>>()?;
    let column =
        |on: bool, c: usize| on.then(|| TopicScores::new(rows.iter().map(|r| r[c]).collect()));
    Ok(CoherenceScores {
        npmi: column(measures.npmi, 0),
        uci: column(measures.uci, 1),
        umass: column(measures.umass, 2),
        cv: column(measures.cv, 3),
    })
}

/// Serde helpers writing NaN as `null` and reading `null` back as NaN (JSON has no NaN).
pub(crate) mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }

    pub mod vec {
        use serde::ser::SerializeSeq;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(xs: &[f64], s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(xs.len()))?;
            for x in xs {
                seq.serialize_element(&x.is_finite().then_some(*x))?;
            }
            seq.end()
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
            let v = Vec::<Option<f64>>::deserialize(d)?;
            Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
        }
    }
}
