//! The experiment log's entries as typed data, the compute [`Budget`] they are re-run at, and
//! [`reproduce`], the runner that trains them into run folders (what `gcatm reproduce` and the
//! notebooks call).
//!
//! The log (`InfoNCELoss_log`, August 2021; see `experiment-log.md` in the shared docs) holds twelve
//! entries in two sections: section 1 uses the hard topic label embedding ([`Variant::Hard`]),
//! section 2 the theta-weighted one ([`Variant::MeanWeighted`]). Entry 9 also reports a follow-up
//! run with batch size 1024; it is its own [`Entry`] (label `9b`), reachable from entry 9 through
//! [`Entry::follow_up`] and by [`entry`], but not one of the twelve of [`entries`].
//!
//! ```
//! use gcatm::experiments::{entry, Budget};
//! let e = entry("9").unwrap();
//! let follow_up = e.follow_up.unwrap();
//! assert_eq!(follow_up.batch_size, 1024);
//! assert_eq!(follow_up.reported_npmi, Some(0.03013));
//! let cfg = e.config(Budget::Full);
//! assert_eq!((cfg.topics, cfg.batch_size, cfg.temperature), (100, 256, 0.5));
//! ```
pub mod reproduce;
pub mod seeds;
pub mod stats;
pub mod sweep;

use crate::train::{TrainConfig, Variant};
use serde::Serialize;

/// The two sections of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Section {
    /// Section 1: "InfoNCE loss experiments", hard topic label embedding (argmax theta).
    HardLabel,
    /// Section 2: "使用平均加权的label Embedding", the theta-weighted (mean-weighted) label embedding.
    MeanWeightedLabel,
}

impl Section {
    /// The trainer variant the section's entries use.
    pub const fn variant(self) -> Variant {
        match self {
            Section::HardLabel => Variant::Hard,
            Section::MeanWeightedLabel => Variant::MeanWeighted,
        }
    }

    /// The section's number in the log (1 or 2).
    pub const fn number(self) -> u8 {
        match self {
            Section::HardLabel => 1,
            Section::MeanWeightedLabel => 2,
        }
    }
}

/// One logged run: its hyper-parameters as the log gives them (every other one is the log's
/// shared table, [`TrainConfig::default`]) and its remarks in English.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Position in the log, 1..=12 (9 for entry 9's follow-up too).
    pub number: u8,
    /// `"9"`, or `"9b"` for the follow-up of entry 9.
    pub label: &'static str,
    /// The run's time stamp `YYYY-MM-DD-HH-MM` (entry 12 has none: its figure's date is used).
    pub id: &'static str,
    /// The log's section.
    pub section: Section,
    /// Number of topics K.
    pub topics: usize,
    /// Generator learning rate as a multiple of `lr` (0.01 is the log's "lr/100").
    pub g_lr_scale: f64,
    /// InfoNCE temperature tau.
    pub temperature: f64,
    /// Documents per batch.
    pub batch_size: usize,
    /// Learning rate of the encoder and critic (1e-6 for all three networks in entry 12).
    pub lr: f64,
    /// The contrastive variant (follows from the section).
    pub variant: Variant,
    /// The log's remarks, translated, with the project's reading of any ambiguity.
    pub notes: &'static str,
    /// Best NPMI the log reports for this run (Palmetto, Wikipedia reference), if any.
    pub reported_npmi: Option<f64>,
    /// A follow-up run the log reports inside this entry (entry 9's batch-1024 run).
    #[serde(skip)]
    pub follow_up: Option<&'static Entry>,
}

/// The compute a re-run gets, read from the `GCATM_BUDGET` environment variable.
///
/// | | Smoke | Cpu | Long | Full |
/// |---|---|---|---|---|
/// | corpus | planted: 512 docs, 300 words, 8 topics, seed 0 | 20NG restricted to the 1883 words shared with `20news_clean` | same as Cpu | same as Cpu |
/// | epochs | 2 | 200 | 10 000 | 20 000 |
/// | eval every (epochs) | 1 | 10 | 50 | 250 (the log's) |
/// | hidden width H | 64 | 1024 | 1024 | 1024 |
/// | batch size | entry's, at most 64 | entry's | entry's | entry's |
/// | device | cpu | cpu | cpu | auto |
///
/// Smoke takes seconds (CI, notebooks' smoke run); Cpu about 6 minutes per entry on a 2-core
/// AVX-512 machine (measured 347 to 366 s for entries 1 to 4 with nothing else running, training
/// and evaluation), long enough for NPMI to leave the random floor; Long is the late phase the
/// log's author reached (about 10 000 epochs), hours on a CPU; Full is the log's scale for a GPU
/// (its latest checkpoint mentioned is epoch 16 500).
///
/// ```
/// use gcatm::experiments::Budget;
/// assert_eq!("smoke".parse::<Budget>().unwrap(), Budget::Smoke);
/// assert_eq!(Budget::Full.eval_every(), 250);
/// assert_eq!(Budget::default(), Budget::Cpu);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// Seconds: a planted corpus, 2 epochs, a small network.
    Smoke,
    /// Minutes on a laptop CPU: the 20ng-1883 corpus, 200 epochs, evaluation every 10.
    #[default]
    Cpu,
    /// Hours on a CPU: the 20ng-1883 corpus, 10 000 epochs, evaluation every 50.
    Long,
    /// The log's scale: 20 000 epochs, evaluation every 250.
    Full,
}

/// The corpus a [`Budget`] trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CorpusChoice {
    /// A planted corpus ([`crate::corpus::PlantedCorpus`]) built with these parameters.
    Planted {
        /// Number of documents.
        docs: usize,
        /// Vocabulary size.
        vocab: usize,
        /// Number of planted topics.
        topics: usize,
        /// Random seed.
        seed: u64,
    },
    /// 20 Newsgroups (TopMost layout, `shared/data/20ng`) restricted to the 1883 words it shares
    /// with the `20news_clean` vocabulary: the stand-in for the log's `20news_clean`.
    TwentyNg1883,
}

/// Errors of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExperimentError {
    /// A budget name other than smoke, cpu, long or full.
    #[error("unknown budget `{0}` (expected smoke, cpu, long or full)")]
    UnknownBudget(String),
}

impl Budget {
    /// The environment variable [`Budget::from_env`] reads.
    pub const ENV: &'static str = "GCATM_BUDGET";

    /// Reads `GCATM_BUDGET` (case-insensitive; unset or empty means [`Budget::Cpu`]).
    pub fn from_env() -> Result<Budget, ExperimentError> {
        match std::env::var(Self::ENV) {
            Ok(v) if !v.trim().is_empty() => v.parse(),
            _ => Ok(Budget::default()),
        }
    }

    /// Number of training epochs.
    pub fn epochs(self) -> usize {
        match self {
            Budget::Smoke => 2,
            Budget::Cpu => 200,
            Budget::Long => 10_000,
            Budget::Full => 20_000,
        }
    }

    /// Coherence is evaluated every this many epochs.
    pub fn eval_every(self) -> usize {
        match self {
            Budget::Smoke => 1,
            Budget::Cpu => 10,
            Budget::Long => 50,
            Budget::Full => 250,
        }
    }

    /// Hidden width H of every network.
    pub fn hidden(self) -> usize {
        match self {
            Budget::Smoke => 64,
            Budget::Cpu | Budget::Long | Budget::Full => 1024,
        }
    }

    /// Largest batch size; a smoke corpus of 512 documents must still give several batches
    /// (incomplete last batches are dropped, so batch 1024 would train nothing).
    pub fn max_batch_size(self) -> Option<usize> {
        match self {
            Budget::Smoke => Some(64),
            Budget::Cpu | Budget::Long | Budget::Full => None,
        }
    }

    /// The device string of [`TrainConfig::device`].
    pub fn device(self) -> &'static str {
        match self {
            Budget::Smoke | Budget::Cpu | Budget::Long => "cpu",
            Budget::Full => "auto",
        }
    }

    /// Which corpus to train on.
    pub fn corpus(self) -> CorpusChoice {
        match self {
            Budget::Smoke => CorpusChoice::Planted {
                docs: 512,
                vocab: 300,
                topics: 8,
                seed: 0,
            },
            Budget::Cpu | Budget::Long | Budget::Full => CorpusChoice::TwentyNg1883,
        }
    }
}

impl std::str::FromStr for Budget {
    type Err = ExperimentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "smoke" => Ok(Budget::Smoke),
            "cpu" => Ok(Budget::Cpu),
            "long" => Ok(Budget::Long),
            "full" => Ok(Budget::Full),
            _ => Err(ExperimentError::UnknownBudget(s.to_string())),
        }
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Budget::Smoke => "smoke",
            Budget::Cpu => "cpu",
            Budget::Long => "long",
            Budget::Full => "full",
        })
    }
}

impl Entry {
    /// The training configuration of this entry at `budget`: the entry's K, learning rates,
    /// temperature, batch size and variant over the log's shared table, with the budget's epochs,
    /// evaluation period, hidden width, device and batch cap.
    ///
    /// ```
    /// use gcatm::experiments::{entry, Budget};
    /// let cfg = entry("1").unwrap().config(Budget::Smoke);
    /// assert_eq!((cfg.topics, cfg.temperature, cfg.g_lr_scale), (100, 0.1, 0.01));
    /// assert_eq!((cfg.epochs, cfg.hidden, cfg.batch_size), (2, 64, 64));
    /// ```
    pub fn config(&self, budget: Budget) -> TrainConfig {
        let batch_size = match budget.max_batch_size() {
            Some(cap) => self.batch_size.min(cap),
            None => self.batch_size,
        };
        TrainConfig {
            topics: self.topics,
            hidden: budget.hidden(),
            batch_size,
            lr: self.lr,
            g_lr_scale: self.g_lr_scale,
            temperature: self.temperature,
            variant: self.variant,
            epochs: budget.epochs(),
            eval_every: budget.eval_every(),
            device: budget.device().to_string(),
            ..TrainConfig::default()
        }
    }

    /// The log's run folder, `gc_atm/20news_clean_<id>_topic<K>` (entry 12 names none).
    pub fn log_dir(&self) -> Option<String> {
        (self.number != 12).then(|| format!("gc_atm/20news_clean_{}_topic{}", self.id, self.topics))
    }

    /// The generator's learning rate (`lr * g_lr_scale`).
    pub fn generator_lr(&self) -> f64 {
        self.lr * self.g_lr_scale
    }

    /// True for the follow-up run of entry 9 (label `9b`).
    pub fn is_follow_up(&self) -> bool {
        self.label.ends_with('b')
    }
}

const LR: f64 = 1e-4;

/// Builds the common shape of an entry; `const` so that the table below can be `static`.
#[allow(clippy::too_many_arguments)]
const fn e(
    number: u8,
    label: &'static str,
    id: &'static str,
    section: Section,
    topics: usize,
    g_lr_scale: f64,
    temperature: f64,
    notes: &'static str,
) -> Entry {
    Entry {
        number,
        label,
        id,
        section,
        topics,
        g_lr_scale,
        temperature,
        batch_size: 256,
        lr: LR,
        variant: section.variant(),
        notes,
        reported_npmi: None,
        follow_up: None,
    }
}

use Section::{HardLabel as S1, MeanWeightedLabel as S2};

static ENTRY_9B: Entry = Entry {
    batch_size: 1024,
    reported_npmi: Some(0.03013),
    ..e(
        9,
        "9b",
        "2021-08-24-23-21",
        S2,
        100,
        1.0,
        0.5,
        "Follow-up of entry 9 with batch size 1024 (otherwise entry 9's settings); the log \
         reports a maximum of 0.03013 (it does not name the measure; read as NPMI).",
    )
};

static ENTRIES: [Entry; 12] = [
    e(
        1,
        "1",
        "2021-08-18-23-12",
        S1,
        100,
        0.01,
        0.1,
        "Generator learning rate set separately to lr/100; temperature changed to 0.1.",
    ),
    e(
        2,
        "2",
        "2021-08-19-10-54",
        S1,
        100,
        1.0,
        0.5,
        "Generator learning rate set to lr; temperature changed to 0.5.",
    ),
    e(
        3,
        "3",
        "2021-08-19-23-12",
        S1,
        75,
        1.0,
        0.5,
        "Generator learning rate lr; temperature 0.5. The log writes the time as \
         \"021-08-19-23-12\" (a typo).",
    ),
    e(
        4,
        "4",
        "2021-08-20-10-08",
        S1,
        50,
        1.0,
        0.5,
        "Generator learning rate lr; temperature 0.5.",
    ),
    e(
        5,
        "5",
        "2021-08-21-11-08",
        S1,
        30,
        0.01,
        0.5,
        "Generator learning rate lr/100; temperature 0.5.",
    ),
    e(
        6,
        "6",
        "2021-08-21-22-51",
        S1,
        20,
        0.01,
        0.5,
        "Generator learning rate lr/100; temperature 0.5.",
    ),
    e(
        7,
        "7",
        "2021-08-23-12-04",
        S2,
        20,
        0.01,
        0.5,
        "Mean-weighted label embedding. Generator learning rate lr/100; temperature 0.5.",
    ),
    e(
        8,
        "8",
        "2021-08-27-12-28",
        S2,
        30,
        0.01,
        0.5,
        "Generator learning rate lr/100; temperature 0.5. The log folder says topic30 while its \
         text says \"Topic Num: 20\"; the folder name is taken as true.",
    ),
    Entry {
        follow_up: Some(&ENTRY_9B),
        ..e(
            9,
            "9",
            "2021-08-23-14-54",
            S2,
            100,
            1.0,
            0.5,
            "Generator learning rate lr; temperature 0.5. A follow-up with batch size 1024 \
             (log gc_atm/20news_clean_2021-08-24-23-21_topic100/) reached a maximum of 0.03013 \
             (the log does not name the measure; read as NPMI): entry 9b.",
        )
    },
    e(
        10,
        "10",
        "2021-08-26-10-09",
        S2,
        75,
        1.0,
        0.5,
        "Generator learning rate lr; temperature 0.5.",
    ),
    e(
        11,
        "11",
        "2021-08-26-22-19",
        S2,
        50,
        1.0,
        0.5,
        "Generator learning rate lr; temperature 0.5.",
    ),
    Entry {
        lr: 1e-6,
        ..e(
            12,
            "12",
            "2021-08-27-12-19",
            S2,
            50,
            1.0,
            0.5,
            "Learning rate 1e-6 for all three networks. The log gives no time stamp (the id is \
             its figure's date) and no number of topics (taken as 50, the entry before it). The \
             log says \"效果很差\": the results were very poor.",
        )
    },
];

/// The twelve entries of the log, in order (entry 9's follow-up is `entries()[8].follow_up`).
///
/// ```
/// let all = gcatm::experiments::entries();
/// assert_eq!(all.len(), 12);
/// assert_eq!(all[11].lr, 1e-6);
/// ```
pub fn entries() -> &'static [Entry] {
    &ENTRIES
}

/// Finds an entry by number (`"3"`), label (`"9b"`), time stamp id (`"2021-08-19-23-12"`) or log
/// folder (`"gc_atm/20news_clean_2021-08-19-23-12_topic75"`, with or without `gc_atm/`).
///
/// ```
/// use gcatm::experiments::entry;
/// assert_eq!(entry("2021-08-20-10-08").unwrap().number, 4);
/// assert_eq!(entry("9b").unwrap().batch_size, 1024);
/// assert!(entry("13").is_none());
/// ```
pub fn entry(id_or_number: &str) -> Option<&'static Entry> {
    let key = id_or_number.trim().trim_end_matches('/');
    let key = key.strip_prefix("gc_atm/").unwrap_or(key);
    ENTRIES.iter().chain(std::iter::once(&ENTRY_9B)).find(|e| {
        e.label.eq_ignore_ascii_case(key)
            || e.id == key
            || e.log_dir()
                .is_some_and(|d| d.strip_prefix("gc_atm/") == Some(key))
    })
}

/// Best NPMI per K that the author's earlier log (July 2021) reports for the hard-label InfoNCE
/// model with temperature 0.1 and generator lr/100 (Palmetto, Wikipedia reference): context for
/// charts, not a target an intrinsic NPMI can match digit by digit.
pub const JULY_2021_HARD_LABEL_NPMI: [(usize, f64); 5] = [
    (20, 0.07203),
    (30, 0.06853),
    (50, 0.04457),
    (75, 0.03741),
    (100, 0.0265),
];

/// Average NPMI over K in {20, 30, 50, 75, 100} of the plain bidirectional adversarial baseline in
/// the same earlier log (Palmetto, Wikipedia reference).
pub const JULY_2021_BAT_MEAN_NPMI: f64 = 0.058988;
