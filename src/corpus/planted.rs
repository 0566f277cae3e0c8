use super::{Corpus, Vocab};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, Poisson};

/// Twenty themes of ten real words each: the first words of the planted topics, so that a
/// recovered topic can be read at a glance.
#[rustfmt::skip]
const THEMES: [[&str; 10]; 20] = [
    [
        "orbit",
        "rocket",
        "launch",
        "nasa",
        "moon",
        "shuttle",
        "satellite",
        "planet",
        "mission",
        "astronaut",
    ],
    [
        "hockey", "goal", "season", "team", "player", "league", "coach", "score", "playoff", "puck",
    ],
    [
        "church", "faith", "prayer", "bible", "gospel", "priest", "heaven", "sin", "belief",
        "worship",
    ],
    [
        "engine", "wheel", "brake", "tire", "clutch", "gear", "sedan", "fuel", "driver", "dealer",
    ],
    [
        "disk",
        "drive",
        "memory",
        "chip",
        "cpu",
        "cache",
        "motherboard",
        "bios",
        "controller",
        "jumper",
    ],
    [
        "doctor", "patient", "disease", "vaccine", "clinic", "symptom", "therapy", "nurse", "dose",
        "cancer",
    ],
    [
        "court", "judge", "lawyer", "trial", "verdict", "jury", "appeal", "statute", "lawsuit",
        "witness",
    ],
    [
        "bread", "butter", "cheese", "recipe", "oven", "flour", "sugar", "salad", "soup", "spice",
    ],
    [
        "guitar", "melody", "chord", "drum", "concert", "album", "singer", "rhythm", "piano",
        "tempo",
    ],
    [
        "rain", "storm", "cloud", "thunder", "forecast", "humidity", "breeze", "snow", "frost",
        "drought",
    ],
    [
        "garden", "seed", "soil", "flower", "compost", "tulip", "shrub", "weed", "harvest",
        "pruning",
    ],
    [
        "ocean", "wave", "coral", "reef", "whale", "tide", "shark", "sailor", "harbor", "anchor",
    ],
    [
        "bank", "loan", "interest", "mortgage", "credit", "deposit", "savings", "debt", "lender",
        "equity",
    ],
    [
        "school",
        "teacher",
        "pupil",
        "lesson",
        "exam",
        "classroom",
        "homework",
        "grade",
        "tutor",
        "syllabus",
    ],
    [
        "film",
        "actor",
        "director",
        "scene",
        "camera",
        "studio",
        "premiere",
        "screenplay",
        "cinema",
        "sequel",
    ],
    [
        "farm", "tractor", "barn", "cattle", "wheat", "plough", "silo", "hay", "orchard", "dairy",
    ],
    [
        "paint",
        "canvas",
        "brush",
        "gallery",
        "sculpture",
        "portrait",
        "easel",
        "palette",
        "mural",
        "sketch",
    ],
    [
        "encryption",
        "key",
        "cipher",
        "privacy",
        "escrow",
        "clipper",
        "algorithm",
        "secure",
        "wiretap",
        "crypto",
    ],
    [
        "train",
        "railway",
        "station",
        "platform",
        "ticket",
        "locomotive",
        "carriage",
        "track",
        "conductor",
        "timetable",
    ],
    [
        "mountain", "summit", "climber", "rope", "glacier", "ridge", "trail", "altitude", "peak",
        "valley",
    ],
];

/// Words every topic shares a little of: the background noise of a real corpus.
#[rustfmt::skip]
const BACKGROUND: [&str; 40] = [
    "thing", "people", "time", "year", "way", "day", "work", "part", "place", "case", "point",
    "fact", "group", "number", "problem", "world", "question", "idea", "reason", "result", "area",
    "kind", "side", "line", "end", "state", "example", "level", "order", "course", "matter",
    "sense", "issue", "view", "form", "rest", "change", "detail", "week", "word",
];

#[rustfmt::skip]
const SYLLABLES: [&str; 16] = [
    "ba", "ko", "mi", "ru", "te", "lo", "na", "vi", "su", "de", "ga", "po", "ri", "fe", "zu", "ha",
];

/// A corpus sampled from K known topics by LDA's generative process, with the truth kept.
///
/// Topic `k` puts most of its mass on its own `words_per_topic` words (Zipf-like weights) and the
/// rest on a shared background. Each document draws theta ~ Dirichlet(alpha), a length ~ Poisson,
/// then every token's topic from theta and its word from that topic.
///
/// ```
/// use gcatm::corpus::PlantedCorpus;
/// let p = PlantedCorpus::builder().topics(5).docs(200).seed(3).build();
/// assert_eq!(p.topics.len(), 5);
/// assert_eq!(p.top_words(0, 3), vec!["orbit", "rocket", "launch"]);
/// assert_eq!(p.corpus.n_docs(), 200);
/// ```
#[derive(Debug, Clone)]
pub struct PlantedCorpus {
    /// The sampled documents (labels: each document's dominant planted topic).
    pub corpus: Corpus,
    /// The planted topics: `K` word distributions over the vocabulary.
    pub topics: Vec<Vec<f32>>,
    /// Each document's topic proportions.
    pub theta: Vec<Vec<f32>>,
}

/// Settings of a [`PlantedCorpus`]; see [`PlantedCorpus::builder`].
#[derive(Debug, Clone)]
pub struct PlantedCorpusBuilder {
    topics: usize,
    words_per_topic: usize,
    background: usize,
    docs: usize,
    doc_len: f64,
    alpha: f64,
    background_mass: f64,
    vocab_size: Option<usize>,
    seed: u64,
}

impl Default for PlantedCorpusBuilder {
    fn default() -> Self {
        PlantedCorpusBuilder {
            topics: 10,
            words_per_topic: 20,
            background: 40,
            docs: 2000,
            doc_len: 80.0,
            alpha: 0.1,
            background_mass: 0.1,
            vocab_size: None,
            seed: 0,
        }
    }
}

impl PlantedCorpusBuilder {
    /// Number of planted topics K (default 10).
    pub fn topics(mut self, k: usize) -> Self {
        self.topics = k.max(1);
        self
    }
    /// Words private to each topic (default 20).
    pub fn words_per_topic(mut self, n: usize) -> Self {
        self.words_per_topic = n.max(1);
        self
    }
    /// Number of documents (default 2000).
    pub fn docs(mut self, n: usize) -> Self {
        self.docs = n;
        self
    }
    /// Mean document length in tokens (default 80).
    pub fn doc_len(mut self, len: f64) -> Self {
        self.doc_len = len.max(1.0);
        self
    }
    /// Document-topic Dirichlet concentration (default 0.1).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Share of each topic's mass on the background words (default 0.1).
    pub fn background_mass(mut self, m: f64) -> Self {
        self.background_mass = m.clamp(0.0, 0.99);
        self
    }
    /// Sets the vocabulary size V directly: background words fill what the topics leave.
    pub fn vocab_size(mut self, v: usize) -> Self {
        self.vocab_size = Some(v);
        self
    }
    /// The random seed (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Samples the corpus.
    pub fn build(self) -> PlantedCorpus {
        let k = self.topics;
        let mut wpt = self.words_per_topic;
        let mut background = self.background;
        if let Some(v) = self.vocab_size {
            wpt = wpt.min((v / k).max(1));
            background = v.saturating_sub(k * wpt);
        }
        let words = planted_words(k, wpt, background);
        let v = words.len();
        let vocab = Vocab::new(words).expect("planted words are unique by construction");
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let bg_mass = if background == 0 {
            0.0
        } else {
            self.background_mass
        };
        let zipf: Vec<f64> = (0..wpt).map(|i| 1.0 / (i as f64 + 2.0)).collect();
        let zsum: f64 = zipf.iter().sum();
        let topics: Vec<Vec<f32>> = (0..k)
            .map(|t| {
                let mut p = vec![0f32; v];
                for (i, z) in zipf.iter().enumerate() {
                    p[t * wpt + i] = ((1.0 - bg_mass) * z / zsum) as f32;
                }
                p[k * wpt..].fill((bg_mass / background as f64) as f32);
                p
            })
            .collect();
        let cumulative: Vec<Vec<f64>> = topics
            .iter()
            .map(|p| {
                p.iter()
                    .scan(0.0, |acc, &x| {
                        *acc += x as f64;
                        Some(*acc)
                    })
                    .collect()
            })
            .collect();
        let gamma = Gamma::new(self.alpha, 1.0).expect("alpha must be positive");
        let poisson = Poisson::new(self.doc_len).expect("doc_len must be positive");
        let mut docs = Vec::with_capacity(self.docs);
        let mut thetas = Vec::with_capacity(self.docs);
        let mut labels = Vec::with_capacity(self.docs);
        for _ in 0..self.docs {
            let theta = loop {
                let g: Vec<f64> = (0..k).map(|_| gamma.sample(&mut rng)).collect();
                let s: f64 = g.iter().sum();
                if s > 0.0 && s.is_finite() {
                    break g.iter().map(|x| x / s).collect::<Vec<f64>>();
                }
            };
            let len = (poisson.sample(&mut rng) as usize).max(5);
            let mut counts = vec![0f32; v];
            for _ in 0..len {
                let t = pick(&theta, rng.random::<f64>());
                let cum = &cumulative[t];
                let u = rng.random::<f64>() * cum[v - 1];
                let w = cum.partition_point(|&c| c < u).min(v - 1);
                counts[w] += 1.0;
            }
            let doc: Vec<(u32, f32)> = counts
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0.0)
                .map(|(w, &c)| (w as u32, c))
                .collect();
            let label = theta
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(i, _)| i as u32)
                .unwrap_or(0);
            docs.push(doc);
            labels.push(label);
            thetas.push(theta.iter().map(|&x| x as f32).collect());
        }
        let names = (0..k).map(|t| format!("topic{t}")).collect();
        let corpus = Corpus::from_docs(&docs, vocab)
            .and_then(|c| c.with_labels(labels, Some(names)))
            .expect("planted corpus is consistent by construction");
        PlantedCorpus {
            corpus,
            topics,
            theta: thetas,
        }
    }
}

fn pick(p: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (i, &x) in p.iter().enumerate() {
        acc += x;
        if u < acc {
            return i;
        }
    }
    p.len() - 1
}

/// The planted vocabulary: topic words (themes first, then made-up words), then background words.
fn planted_words(k: usize, wpt: usize, background: usize) -> Vec<String> {
    let mut words = Vec::with_capacity(k * wpt + background);
    for t in 0..k {
        for i in 0..wpt {
            let w = match (THEMES.get(t), i < 10) {
                (Some(theme), true) => theme[i].to_string(),
                (Some(theme), false) => format!("{}{}", theme[0], syllable_word(i - 10)),
                (None, _) => format!("{}{}", syllable_word(t), syllable_word(i)),
            };
            words.push(w);
        }
    }
    for i in 0..background {
        words.push(match BACKGROUND.get(i) {
            Some(w) => w.to_string(),
            None => format!("common{}", syllable_word(i)),
        });
    }
    words
}

/// A pronounceable made-up word for index `i` (two syllables, unique per index up to 256).
fn syllable_word(i: usize) -> String {
    let hi = (i / SYLLABLES.len()) % SYLLABLES.len();
    let lo = i % SYLLABLES.len();
    let mut w = format!("{}{}", SYLLABLES[hi], SYLLABLES[lo]);
    if i >= SYLLABLES.len() * SYLLABLES.len() {
        w.push_str(&(i / 256).to_string());
    }
    w
}

impl PlantedCorpus {
    /// Starts a builder with the defaults (10 topics x 20 words, 40 background words, 2000
    /// documents of about 80 tokens, alpha 0.1, seed 0).
    pub fn builder() -> PlantedCorpusBuilder {
        PlantedCorpusBuilder::default()
    }

    /// The `n` most probable words of planted topic `k`.
    pub fn top_words(&self, k: usize, n: usize) -> Vec<String> {
        let p = &self.topics[k];
        let mut idx: Vec<usize> = (0..p.len()).collect();
        idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        idx.iter()
            .take(n)
            .map(|&w| self.corpus.vocab().word(w).to_string())
            .collect()
    }

    /// How many planted topics a model recovered: planted topic `k` counts when some learned
    /// topic (its top words, most probable first) shares at least 5 of `k`'s top 10 words within
    /// its own top 10.
    ///
    /// ```
    /// use gcatm::corpus::PlantedCorpus;
    /// let p = PlantedCorpus::builder().topics(4).docs(100).seed(0).build();
    /// let exact: Vec<Vec<String>> = (0..4).map(|k| p.top_words(k, 10)).collect();
    /// assert_eq!(p.recovered(&exact), 4);
    /// assert_eq!(p.recovered(&exact[..1]), 1);
    /// ```
    pub fn recovered<S: AsRef<str>>(&self, learned: &[Vec<S>]) -> usize {
        let learned: Vec<std::collections::HashSet<&str>> = learned
            .iter()
            .map(|t| t.iter().take(10).map(AsRef::as_ref).collect())
            .collect();
        (0..self.topics.len())
            .filter(|&k| {
                let truth = self.top_words(k, 10);
                learned
                    .iter()
                    .any(|l| truth.iter().filter(|w| l.contains(w.as_str())).count() >= 5)
            })
            .count()
    }
}
