//! Re-running the experiment log's entries: one entry under a [`Budget`] into a run folder, all of
//! them with a `summary.json`, and reading that summary back.
//!
//! This is what `gcatm reproduce` and the notebooks share:
//! - [`load_data`]: the corpus a budget trains on ([`Budget::corpus`]): the planted corpus for
//!   smoke, 20ng-1883 from the data folder otherwise (a clear [`ReproduceError::MissingData`]
//!   when it is not there);
//! - [`Data::evaluator`]: NPMI and C_V against the reference corpus, TD, and clustering scores on
//!   the labelled test documents where there are some;
//! - [`run_entry`]: trains one entry into `out/<label>/`, the run folder of
//!   [`crate::train::train_to_dir`] plus `reproduce.json` (the entry's [`SummaryRow`]);
//! - [`run_all`]: every entry (the twelve and entry 9's follow-up `9b`), then `out/summary.json`;
//! - [`write_summary`] / [`read_summary`]: the summary file, written atomically.
//!
//! ```
//! use gcatm::experiments::{entry, Budget};
//! use gcatm::experiments::reproduce::{load_data, read_summary, run_entry, write_summary};
//! let out = std::env::temp_dir().join(format!("gcatm-doc-reproduce-{}", std::process::id()));
//! let data = load_data(Budget::Smoke, None).unwrap(); // the planted corpus, no files needed
//! let evaluator = data.evaluator().unwrap();
//! let run = run_entry(entry("6").unwrap(), Budget::Smoke, &data, &evaluator, &out, |_| {}).unwrap();
//! assert!(run.dir.join("metrics.json").exists() && run.dir.ends_with("6"));
//! assert_eq!(run.row.topics, 20);
//! write_summary(&out.join("summary.json"), &[run.row.clone()]).unwrap();
//! assert_eq!(read_summary(&out.join("summary.json")).unwrap()[0].entry, "6");
//! # std::fs::remove_dir_all(&out).unwrap();
//! ```
use crate::corpus::{fetch, Corpus, CorpusError, CorpusSource, PlantedCorpus};
use crate::eval::{EvalError, Evaluator, Measures};
use crate::experiments::{entries, entry, Budget, CorpusChoice, Entry, ExperimentError};
use crate::train::{
    load_checkpoint, train_to_folder, write_atomic, write_json, EpochRecord, History, RunFolder,
    RunSummary, TrainConfig, TrainError, Trainer,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The file [`run_all`] writes in its output folder.
pub const SUMMARY_FILE: &str = "summary.json";

/// What can stop a re-run.
#[derive(Debug, thiserror::Error)]
pub enum ReproduceError {
    /// No entry of the log matches the key.
    #[error("no log entry `{0}` (expected 1..12, 9b, a time stamp id such as 2021-08-20-10-08, or a log folder)")]
    UnknownEntry(String),
    /// No recipe of [`crate::experiments::sweep::RECIPES`] has this name.
    #[error("no recipe `{name}` (expected one of: {known})")]
    UnknownRecipe {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// A budget name could not be read (e.g. from `GCATM_BUDGET`).
    #[error(transparent)]
    Budget(#[from] ExperimentError),
    /// The budget needs 20ng-1883 and the data folder does not have it.
    #[error(
        "the {budget} budget trains on 20ng-1883, but {} lacks {what}: it needs `20ng/` (TopMost \
         20 Newsgroups) and `20news_clean/vocab.pkl`. Run `gcatm data fetch 20ng` and `gcatm data \
         fetch 20news_clean`, or set GCATM_DATA to a folder that holds them (or use --budget smoke, \
         which needs no files)",
        dir.display()
    )]
    MissingData {
        /// The budget asked for.
        budget: Budget,
        /// The data folder looked in.
        dir: PathBuf,
        /// What is missing there.
        what: String,
    },
    /// The corpus could not be read.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// The evaluator could not be built.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// Training failed (divergence, a file of the run folder, ...).
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The LDA baseline could not be fitted.
    #[error(transparent)]
    Baseline(#[from] crate::baseline::BaselineError),
    /// A summary or run file could not be read, written or parsed.
    #[error("{}: {msg}", path.display())]
    File {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        msg: String,
    },
}

impl ReproduceError {
    pub(crate) fn file(path: &Path, msg: impl std::fmt::Display) -> Self {
        ReproduceError::File {
            path: path.to_path_buf(),
            msg: msg.to_string(),
        }
    }
}

/// The training documents a budget uses, the held-out ones where there are some, and where they
/// came from.
#[derive(Debug, Clone)]
pub struct Data {
    /// Training documents.
    pub train: Corpus,
    /// Held-out, labelled documents (20ng-1883's test split); `None` for the planted corpus.
    pub test: Option<Corpus>,
    /// The choice of [`Budget::corpus`] this was loaded for.
    pub choice: CorpusChoice,
    /// Where the documents were read from (20ng-1883 only; absolute paths): what a run folder's
    /// `corpus.json` holds, so that `gcatm train --resume` reloads the same documents.
    pub source: Option<CorpusSource>,
    /// One line saying what the corpus is (without the folder it was read from).
    pub description: String,
}

impl Data {
    /// The coherence reference corpus: train and test together where both exist (as `gcatm
    /// train` does), else the training documents.
    pub fn reference(&self) -> Result<Corpus, ReproduceError> {
        Ok(match &self.test {
            Some(t) => self.train.concat(t)?,
            None => self.train.clone(),
        })
    }

    /// The evaluator every re-run uses: NPMI and C_V of the top-10 words against
    /// [`Data::reference`], TD of the top 25, and purity/NMI of the test documents' argmax theta
    /// where the corpus has a labelled test split.
    ///
    /// ```
    /// use gcatm::experiments::Budget;
    /// let data = gcatm::experiments::reproduce::load_data(Budget::Smoke, None).unwrap();
    /// let evaluator = data.evaluator().unwrap();
    /// let topics = vec![data.train.vocab().words()[..10].to_vec()];
    /// let e = evaluator.evaluate_topics(&topics).unwrap();
    /// assert!(e.cv.is_some() && e.uci.is_none());
    /// ```
    pub fn evaluator(&self) -> Result<Evaluator, ReproduceError> {
        Ok(Evaluator::new(&self.reference()?, self.test.as_ref())?.measures(MEASURES))
    }
}

/// What an entry's results stand beside: random topics, variational LDA, Gibbs LDA and ProdLDA at
/// the same K, on the same corpus and evaluator ([`Data::baselines`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    /// Number of topics K.
    pub topics: usize,
    /// NPMI of random 10-word topics (mean and standard deviation over 20 draws of K topics).
    pub floor: crate::eval::Floor,
    /// NPMI of LDA (batch variational Bayes, the crate's defaults, seed 0) fitted on the
    /// training documents.
    pub lda_npmi: f64,
    /// TD@25 of the same LDA.
    pub lda_td: f64,
    /// Seconds the LDA fit took.
    pub lda_seconds: f64,
    /// ProdLDA at TopMost's settings ([`crate::baseline::ProdLdaConfig::new`]: 200 epochs, seed
    /// 0) on the training documents; `None` in baselines kept before it was computed.
    #[serde(default)]
    pub prodlda: Option<BaselineScore>,
    /// LDA by collapsed Gibbs sampling at tomotopy's settings ([`crate::baseline::GibbsConfig::new`]:
    /// 1,000 iterations, alpha re-estimated every 10; seed 0, [`GIBBS_WORKERS`] workers) on the
    /// training documents; `None` in baselines kept before it was computed.
    #[serde(default)]
    pub gibbs: Option<BaselineScore>,
}

/// One baseline model's scores at a K: what it is, its NPMI (top 10) and TD@25, and its fit time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineScore {
    /// The model and its settings, as tables and charts name it.
    pub name: String,
    /// NPMI of the top 10 words, mean over topics.
    pub npmi: f64,
    /// TD@25.
    pub td: f64,
    /// Seconds of fitting (evaluation excluded).
    pub seconds: f64,
}

impl Baselines {
    /// Every model baseline at this K, variational LDA first, then Gibbs LDA and ProdLDA where
    /// computed: what tables list and charts draw
    /// as lines beside the random floor.
    ///
    /// ```
    /// use gcatm::experiments::reproduce::{BaselineScore, Baselines};
    /// use gcatm::eval::{Floor, FloorOptions};
    /// let b = Baselines {
    ///     topics: 20,
    ///     floor: Floor { mean: 0.055, std: 0.01, options: FloorOptions::new(20) },
    ///     lda_npmi: 0.20, lda_td: 0.67, lda_seconds: 16.0,
    ///     prodlda: Some(BaselineScore { name: "ProdLDA".into(), npmi: 0.26, td: 0.74, seconds: 100.0 }),
    ///     gibbs: Some(BaselineScore { name: "Gibbs LDA".into(), npmi: 0.24, td: 0.70, seconds: 25.0 }),
    /// };
    /// let names: Vec<_> = b.models().iter().map(|m| m.name.clone()).collect();
    /// assert_eq!(names[1..], ["Gibbs LDA", "ProdLDA"]);
    /// assert_eq!(b.strongest(|m| m.npmi).unwrap().name, "ProdLDA");
    /// ```
    pub fn models(&self) -> Vec<BaselineScore> {
        let mut out = vec![BaselineScore {
            name: LDA_NAME.into(),
            npmi: self.lda_npmi,
            td: self.lda_td,
            seconds: self.lda_seconds,
        }];
        out.extend(self.gibbs.clone());
        out.extend(self.prodlda.clone());
        out
    }

    /// Every model baseline's name (with K) and `value` of its scores, in [`Baselines::models`]'
    /// order: the dashed lines of [`crate::plot::coherence_vs_baselines`] (`|m| m.npmi`) and
    /// [`crate::plot::npmi_and_td`] (`|m| (m.npmi, m.td)`).
    ///
    /// ```
    /// use gcatm::experiments::reproduce::Baselines;
    /// use gcatm::eval::{Floor, FloorOptions};
    /// let b = Baselines {
    ///     topics: 20,
    ///     floor: Floor { mean: 0.055, std: 0.01, options: FloorOptions::new(20) },
    ///     lda_npmi: 0.20, lda_td: 0.67, lda_seconds: 16.0, prodlda: None, gibbs: None,
    /// };
    /// assert_eq!(b.lines(|m| m.npmi), [("LDA (variational)".to_string(), 0.20)]);
    /// ```
    pub fn lines<T>(&self, value: impl Fn(&BaselineScore) -> T) -> Vec<(String, T)> {
        self.models()
            .iter()
            .map(|m| (m.name.clone(), value(m)))
            .collect()
    }

    /// The model baseline with the highest value of `measure` (e.g. `|m| m.npmi`).
    pub fn strongest(&self, measure: impl Fn(&BaselineScore) -> f64) -> Option<BaselineScore> {
        self.models()
            .into_iter()
            .max_by(|a, b| measure(a).total_cmp(&measure(b)))
    }

    /// One sentence naming every model baseline's NPMI and TD@25 and the random floor.
    pub fn sentence(&self) -> String {
        let models: Vec<String> = self
            .models()
            .iter()
            .map(|m| format!("{} NPMI {:.3}, TD@25 {:.2}", m.name, m.npmi, m.td))
            .collect();
        format!(
            "At K = {}: {}; random 10-word topics NPMI {:.3} ± {:.3}.",
            self.topics,
            models.join("; "),
            self.floor.mean,
            self.floor.std
        )
    }
}

/// How tables and charts name the crate's variational LDA baseline.
pub const LDA_NAME: &str = "LDA (variational)";
/// How tables and charts name the ProdLDA baseline.
pub const PRODLDA_NAME: &str = "ProdLDA (TopMost's settings)";
/// How tables and charts name the collapsed Gibbs LDA baseline.
pub const GIBBS_NAME: &str = "LDA (Gibbs, tomotopy's settings)";
/// Workers of the Gibbs LDA baseline: fixed, so that its numbers do not depend on the machine.
pub const GIBBS_WORKERS: usize = 2;

impl Data {
    /// The random-topic floor, variational LDA (seed 0), Gibbs LDA and ProdLDA (both at the
    /// settings of the tools researchers use, seed 0) for `topics` topics on this corpus's
    /// training documents: [`Baselines::fit`].
    ///
    /// ```
    /// use gcatm::experiments::Budget;
    /// let data = gcatm::experiments::reproduce::load_data(Budget::Smoke, None).unwrap();
    /// let b = data.baselines(&data.evaluator().unwrap(), 8).unwrap();
    /// assert!(b.lda_npmi > b.floor.mean + 3.0 * b.floor.std);
    /// ```
    pub fn baselines(
        &self,
        evaluator: &Evaluator,
        topics: usize,
    ) -> Result<Baselines, ReproduceError> {
        Baselines::fit(&self.train, evaluator, topics)
    }
}

impl Baselines {
    /// The random-topic floor, variational LDA (seed 0), Gibbs LDA and ProdLDA (both at the
    /// settings of the tools researchers use, seed 0) for `topics` topics, fitted on `train` and
    /// scored by `evaluator` (seconds for the smoke corpus; about five minutes at K = 100 on
    /// 20ng-1883, mostly ProdLDA's).
    ///
    /// ```
    /// use gcatm::experiments::reproduce::Baselines;
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// let planted = PlantedCorpus::builder().topics(5).docs(300).seed(0).build();
    /// let evaluator = Evaluator::new(&planted.corpus, None).unwrap();
    /// let b = Baselines::fit(&planted.corpus, &evaluator, 5).unwrap();
    /// assert_eq!(b.models().len(), 3);
    /// assert!(b.models().iter().all(|m| m.npmi > b.floor.mean + 3.0 * b.floor.std));
    /// ```
    pub fn fit(
        train: &Corpus,
        evaluator: &Evaluator,
        topics: usize,
    ) -> Result<Baselines, ReproduceError> {
        let floor = evaluator.npmi_floor(topics)?;
        let start = Instant::now();
        let lda = crate::baseline::Lda::new(topics).seed(0).fit(train)?;
        let lda_seconds = start.elapsed().as_secs_f64();
        let e = lda.evaluate(evaluator)?;
        Ok(Baselines {
            topics,
            floor,
            lda_npmi: e.npmi.mean,
            lda_td: e.td,
            lda_seconds,
            prodlda: Some(prodlda_baseline(train, evaluator, topics)?),
            gibbs: Some(gibbs_baseline(train, evaluator, topics)?),
        })
    }

    /// [`Baselines::fit`], kept in [`baselines_file`]`(dir, topics)` with `corpus` (one line
    /// naming the documents, e.g. [`Data::description`]): read back when the file holds them for
    /// this corpus and K (a fit takes minutes on 20ng-1883, and a notebook re-executed, the
    /// summary or the next run needs the same numbers again), else computed and written (a
    /// temporary file renamed into place). A file kept before Gibbs LDA or ProdLDA was a baseline
    /// gets only the missing ones. Every fit is seeded, so the file holds what a new fit would
    /// give with the same code; delete it to fit again.
    ///
    /// ```
    /// use gcatm::experiments::reproduce::{baselines_file, Baselines};
    /// use gcatm::corpus::PlantedCorpus;
    /// use gcatm::eval::Evaluator;
    /// let dir = std::env::temp_dir().join(format!("gcatm-doc-cached-{}", std::process::id()));
    /// let planted = PlantedCorpus::builder().topics(5).docs(300).seed(0).build();
    /// let evaluator = Evaluator::new(&planted.corpus, None).unwrap();
    /// let first = Baselines::cached(&planted.corpus, "planted", &evaluator, 5, &dir).unwrap();
    /// assert!(baselines_file(&dir, 5).exists());
    /// assert_eq!(Baselines::cached(&planted.corpus, "planted", &evaluator, 5, &dir).unwrap(), first);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn cached(
        train: &Corpus,
        corpus: &str,
        evaluator: &Evaluator,
        topics: usize,
        dir: &Path,
    ) -> Result<Baselines, ReproduceError> {
        let path = baselines_file(dir, topics);
        let baselines = match read_baselines(dir, topics, corpus) {
            Ok(b) if b.prodlda.is_some() && b.gibbs.is_some() => return Ok(b),
            Ok(mut b) => {
                if b.prodlda.is_none() {
                    b.prodlda = Some(prodlda_baseline(train, evaluator, topics)?);
                }
                if b.gibbs.is_none() {
                    b.gibbs = Some(gibbs_baseline(train, evaluator, topics)?);
                }
                b
            }
            Err(_) => Baselines::fit(train, evaluator, topics)?,
        };
        std::fs::create_dir_all(dir).map_err(|e| ReproduceError::file(dir, e))?;
        let cached = CachedBaselines {
            corpus: corpus.to_string(),
            baselines,
        };
        write_json(&path, &cached)?;
        Ok(cached.baselines)
    }
}

/// ProdLDA's line of [`Baselines::fit`].
fn prodlda_baseline(
    train: &Corpus,
    evaluator: &Evaluator,
    topics: usize,
) -> Result<BaselineScore, ReproduceError> {
    let config = crate::baseline::ProdLdaConfig::new(topics);
    let mut prodlda = crate::baseline::ProdLda::new(config, train)?;
    prodlda.fit(PRODLDA_EPOCHS, |_| {})?;
    let p = prodlda.evaluate(evaluator)?;
    Ok(BaselineScore {
        name: PRODLDA_NAME.into(),
        npmi: p.npmi.mean,
        td: p.td,
        seconds: prodlda.fit_seconds(),
    })
}

/// Gibbs LDA's line of [`Baselines::fit`].
fn gibbs_baseline(
    train: &Corpus,
    evaluator: &Evaluator,
    topics: usize,
) -> Result<BaselineScore, ReproduceError> {
    let start = Instant::now();
    let gibbs = crate::baseline::GibbsLda::new(topics)
        .workers(GIBBS_WORKERS)
        .seed(0)
        .fit(train)?;
    let seconds = start.elapsed().as_secs_f64();
    let g = gibbs.evaluate(evaluator)?;
    Ok(BaselineScore {
        name: GIBBS_NAME.into(),
        npmi: g.npmi.mean,
        td: g.td,
        seconds,
    })
}

/// ProdLDA's epochs in [`Baselines::fit`]: TopMost's trainer default.
pub const PRODLDA_EPOCHS: usize = 200;

/// The file in which [`Baselines::cached`] keeps the baselines for `topics` topics in `dir`.
pub fn baselines_file(dir: &Path, topics: usize) -> PathBuf {
    dir.join(format!("baselines-k{topics}.json"))
}

/// What [`Baselines::cached`] writes: the baselines with the corpus they were computed on.
#[derive(Serialize, Deserialize)]
struct CachedBaselines {
    corpus: String,
    baselines: Baselines,
}

/// The baselines that [`Data::baselines_cached`] kept in [`baselines_file`]`(dir, topics)`, read
/// back without computing anything; an error names the file when it is missing, unreadable, or
/// holds another corpus (`corpus`: a [`Data::description`]) or another K.
///
/// ```
/// use gcatm::experiments::Budget;
/// use gcatm::experiments::reproduce::{load_data, read_baselines};
/// let dir = std::env::temp_dir().join(format!("gcatm-doc-read-baselines-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// assert!(read_baselines(&dir, 8, &data.description).is_err());
/// let kept = data.baselines_cached(&data.evaluator().unwrap(), 8, &dir).unwrap();
/// assert_eq!(read_baselines(&dir, 8, &data.description).unwrap(), kept);
/// let other = read_baselines(&dir, 8, "another corpus").unwrap_err().to_string();
/// assert!(other.contains("baselines-k8.json") && other.contains("another corpus"));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn read_baselines(
    dir: &Path,
    topics: usize,
    corpus: &str,
) -> Result<Baselines, ReproduceError> {
    let path = baselines_file(dir, topics);
    let c = read_json::<CachedBaselines>(&path)?;
    if c.corpus != corpus || c.baselines.topics != topics {
        return Err(ReproduceError::file(
            &path,
            format!(
                "holds the baselines of {} at K = {}, not of {corpus} at K = {topics}",
                c.corpus, c.baselines.topics
            ),
        ));
    }
    Ok(c.baselines)
}

impl Data {
    /// [`Data::baselines`], kept in [`baselines_file`]`(dir, topics)` with this corpus's
    /// description: [`Baselines::cached`].
    ///
    /// ```
    /// use gcatm::experiments::Budget;
    /// use gcatm::experiments::reproduce::{baselines_file, load_data};
    /// let dir = std::env::temp_dir().join(format!("gcatm-doc-baselines-{}", std::process::id()));
    /// let data = load_data(Budget::Smoke, None).unwrap();
    /// let evaluator = data.evaluator().unwrap();
    /// let first = data.baselines_cached(&evaluator, 8, &dir).unwrap();
    /// assert!(baselines_file(&dir, 8).exists());
    /// assert_eq!(data.baselines_cached(&evaluator, 8, &dir).unwrap(), first);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn baselines_cached(
        &self,
        evaluator: &Evaluator,
        topics: usize,
        dir: &Path,
    ) -> Result<Baselines, ReproduceError> {
        Baselines::cached(&self.train, &self.description, evaluator, topics, dir)
    }
}

/// A reading of one run computed from its numbers: where NPMI peaked against the random floor
/// and LDA, how it ended, and how topic diversity moved. One sentence per line; every number in
/// it comes from `history` and `baselines`.
///
/// ```
/// use gcatm::experiments::reproduce::{reading, Baselines};
/// use gcatm::eval::{Floor, FloorOptions};
/// use gcatm::train::{EpochRecord, History};
/// let rec = |epoch, npmi, td| EpochRecord {
///     epoch,
///     metrics: [("npmi".to_string(), npmi), ("td".to_string(), td)].into_iter().collect(),
///     ..Default::default()
/// };
/// let history = History { iterations: vec![], epochs: vec![rec(10, 0.05, 0.6), rec(20, 0.12, 0.3), rec(30, 0.10, 0.2)] };
/// let b = Baselines {
///     topics: 20,
///     floor: Floor { mean: 0.055, std: 0.01, options: FloorOptions::new(20) },
///     lda_npmi: 0.20, lda_td: 0.65, lda_seconds: 30.0, prodlda: None, gibbs: None,
/// };
/// let text = reading(&history, &b).join("\n");
/// assert!(text.contains("best NPMI 0.120 at epoch 20 of 30"));
/// assert!(text.contains("6.5 standard deviations above"));
/// assert!(text.contains("TD@25 went from 0.60 (epoch 10) to 0.20 (epoch 30)"));
/// ```
pub fn reading(history: &History, baselines: &Baselines) -> Vec<String> {
    let npmi = history.metric("npmi");
    let td = history.metric("td");
    let (Some((best_epoch, best)), Some(&(last_epoch, last))) = (history.best("npmi"), npmi.last())
    else {
        return vec!["The run was not evaluated: there is nothing to read.".into()];
    };
    let f = &baselines.floor;
    let z = (best - f.mean) / f.std.max(1e-12);
    let side = if z >= 3.0 {
        format!("{z:.1} standard deviations above the random floor")
    } else if z > -3.0 {
        format!("within 3 standard deviations of the random floor ({z:+.1})")
    } else {
        format!("{:.1} standard deviations below the random floor", -z)
    };
    let mut out = vec![format!(
        "The best NPMI {best:.3} at epoch {best_epoch} of {last_epoch} is {side} \
         ({:.3} ± {:.3} for K = {}).",
        f.mean, f.std, baselines.topics
    )];
    out.push(beside_models("best NPMI", best, baselines));
    out.push(if last_epoch == best_epoch {
        format!(
            "NPMI was highest at the last evaluation (epoch {last_epoch}), so a longer run may \
             go higher."
        )
    } else {
        format!(
            "At the last evaluation (epoch {last_epoch}) NPMI was {last:.3}, {:+.3} from its best.",
            last - best
        )
    });
    if let (Some(&(e0, t0)), Some(&(e1, t1))) = (td.first(), td.last()) {
        let at_best = td
            .iter()
            .find(|(e, _)| *e == best_epoch)
            .map_or(String::new(), |(_, t)| {
                format!(", {t:.2} at the best epoch")
            });
        let tds: Vec<String> = baselines
            .models()
            .iter()
            .map(|m| format!("{} {:.2}", m.name, m.td))
            .collect();
        out.push(format!(
            "TD@25 went from {t0:.2} (epoch {e0}) to {t1:.2} (epoch {e1}){at_best}; the model \
             baselines' TD@25: {}.",
            tds.join(", ")
        ));
    }
    out
}

/// One sentence placing `value` (an NPMI, named `what`) above or below each model baseline.
fn beside_models(what: &str, value: f64, baselines: &Baselines) -> String {
    let parts: Vec<String> = baselines
        .models()
        .iter()
        .map(|m| {
            let side = match value.total_cmp(&m.npmi) {
                std::cmp::Ordering::Greater => "above",
                std::cmp::Ordering::Less => "below",
                std::cmp::Ordering::Equal => "equal to",
            };
            format!("{side} {} (NPMI {:.3}, TD@25 {:.2})", m.name, m.npmi, m.td)
        })
        .collect();
    format!(
        "Against the model baselines at K = {}, the {what} {value:.3} is {}.",
        baselines.topics,
        parts.join(", ")
    )
}

/// A reading of a long run (the late phase the log's author reached after thousands of epochs),
/// computed from its history: how far topic diversity fell, whether and when it recovered (TD@25
/// back to LDA's), where NPMI peaked and whether it stayed up over the last quarter of the run.
/// With `short`, a shorter run of the same configuration (the `cpu` budget's), it also says
/// whether that run is the long run's beginning: the same losses at every epoch they share.
/// One sentence per line; every number comes from the histories and `baselines`.
///
/// ```
/// use gcatm::experiments::reproduce::{late_phase_reading, Baselines};
/// use gcatm::eval::{Floor, FloorOptions};
/// use gcatm::train::{EpochRecord, History};
/// let rec = |epoch, npmi, td| EpochRecord {
///     epoch,
///     metrics: [("npmi".to_string(), npmi), ("td".to_string(), td)].into_iter().collect(),
///     ..Default::default()
/// };
/// let long = History { iterations: vec![], epochs: vec![
///     rec(0, 0.04, 0.6), rec(100, 0.13, 0.5), rec(200, 0.11, 0.45), rec(300, 0.16, 0.66), rec(400, 0.2, 0.7),
/// ] };
/// let b = Baselines {
///     topics: 20,
///     floor: Floor { mean: 0.055, std: 0.01, options: FloorOptions::new(20) },
///     lda_npmi: 0.20, lda_td: 0.65, lda_seconds: 30.0, prodlda: None, gibbs: None,
/// };
/// let text = late_phase_reading(&long, None, &b).join("\n");
/// assert!(text.contains("fell from 0.60 (epoch 0) to its lowest, 0.45, at epoch 200"));
/// assert!(text.contains("first reached variational LDA's 0.65 at epoch 300"));
/// assert!(text.contains("NPMI peaked at 0.200 at epoch 400"));
/// ```
pub fn late_phase_reading(
    long: &History,
    short: Option<&History>,
    baselines: &Baselines,
) -> Vec<String> {
    let npmi = long.metric("npmi");
    let td = long.metric("td");
    let (Some(&(e0, td0)), Some(&(last_epoch, last_td)), Some((best_epoch, best))) =
        (td.first(), td.last(), long.best("npmi"))
    else {
        return vec!["The run was not evaluated: there is nothing to read.".into()];
    };
    let at = |series: &[(usize, f64)], epoch: usize| {
        series
            .iter()
            .find(|p| p.0 == epoch)
            .map_or("-".to_string(), |p| format!("{:.3}", p.1))
    };
    let lda_td = baselines.lda_td;
    let mut out = vec![format!(
        "The run was evaluated {} times, up to epoch {last_epoch}.",
        td.len()
    )];
    let &(min_epoch, min_td) = td
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("td is not empty");
    out.push(format!(
        "TD@25 fell from {td0:.2} (epoch {e0}) to its lowest, {min_td:.2}, at epoch {min_epoch} \
         (NPMI {} there).",
        at(&npmi, min_epoch)
    ));
    let after: Vec<(usize, f64)> = td.iter().copied().filter(|p| p.0 > min_epoch).collect();
    let crossed = after.iter().find(|p| p.1 >= lda_td);
    let top = after.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1));
    out.push(match (crossed, top) {
        (Some(&(e, t)), _) => format!(
            "Diversity recovered: TD@25 first reached variational LDA's {lda_td:.2} at epoch {e} ({t:.2}) \
             and was {last_td:.2} at the last evaluation."
        ),
        (None, Some((e, t))) if t >= min_td + 0.1 => format!(
            "Diversity recovered in part: TD@25 rose to {t:.2} (epoch {e}) but not to variational LDA's \
             {lda_td:.2}; {last_td:.2} at the last evaluation."
        ),
        _ => format!(
            "Diversity did not recover: TD@25 stayed within 0.1 of its lowest after epoch \
             {min_epoch} ({last_td:.2} at the last evaluation; variational LDA's {lda_td:.2})."
        ),
    });
    let f = &baselines.floor;
    out.push(format!(
        "NPMI peaked at {best:.3} at epoch {best_epoch} ({:.1} standard deviations above the \
         random floor {:.3}); at the last evaluation it was {}.",
        (best - f.mean) / f.std.max(1e-12),
        f.mean,
        at(&npmi, last_epoch)
    ));
    out.push(beside_models("peak NPMI", best, baselines));
    let from = last_epoch - last_epoch / 4;
    // (evaluations, lowest, highest) of a metric from epoch `from` on.
    let range = |series: &[(usize, f64)]| {
        series
            .iter()
            .filter(|p| p.0 >= from)
            .fold((0, f64::MAX, f64::MIN), |a, p| {
                (a.0 + 1, a.1.min(p.1), a.2.max(p.1))
            })
    };
    let ((n, lo, hi), (_, tlo, thi)) = (range(&npmi), range(&td));
    if n >= 2 {
        out.push(format!(
            "Over the last quarter of the run (epochs {from}–{last_epoch}, {} evaluations) NPMI \
             stayed between {lo:.3} and {hi:.3} and TD@25 between {tlo:.2} and {thi:.2}.",
            n
        ));
    }
    if let Some(short) = short {
        let long_by_epoch: std::collections::BTreeMap<usize, &EpochRecord> =
            long.epochs.iter().map(|r| (r.epoch, r)).collect();
        let shared: Vec<(&EpochRecord, &EpochRecord)> = short
            .epochs
            .iter()
            .filter(|r| r.epoch > 0)
            .filter_map(|r| long_by_epoch.get(&r.epoch).map(|l| (r, *l)))
            .collect();
        // Relative difference of the mean losses: exactly 0 for the same code; float summation
        // order (another commit, another thread count) gives about 1e-7 that training amplifies.
        let rel = |a: f64, b: f64| (a - b).abs() / a.abs().max(b.abs()).max(1e-12);
        let worst = shared
            .iter()
            .map(|(a, b)| {
                let d = [
                    rel(a.loss_d, b.loss_d),
                    rel(a.loss_g, b.loss_g),
                    rel(a.loss_e, b.loss_e),
                    rel(a.info_nce.unwrap_or(0.0), b.info_nce.unwrap_or(0.0)),
                ];
                (a.epoch, d.into_iter().fold(0.0, f64::max))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let short_end = short.epochs.last().map_or(0, |r| r.epoch);
        let scores = format!(
            "At epoch {short_end} the shorter run scored NPMI {} and TD@25 {}; this run {} and {}.",
            at(&short.metric("npmi"), short_end),
            at(&short.metric("td"), short_end),
            at(&npmi, short_end),
            at(&td, short_end)
        );
        out.push(match worst {
            None => "The shorter run shares no epoch with the long one.".to_string(),
            Some((_, 0.0)) => format!(
                "The {short_end}-epoch run is this run's beginning: the same mean losses at all \
                 {} epochs they share. {scores}",
                shared.len()
            ),
            Some((e, d)) => format!(
                "The {short_end}-epoch run starts from the same seed and settings; over the {} \
                 epochs they share their mean losses differ by up to {:.1e} (relative, epoch \
                 {e}). {scores}",
                shared.len(),
                d
            ),
        });
    }
    out
}

/// Best NPMI against K of the rows whose entry labels are in `labels`, sorted by K (for
/// [`crate::plot::npmi_vs_topics`]).
pub fn best_by_topics(rows: &[SummaryRow], labels: &[&str]) -> Vec<(usize, f64)> {
    let mut v: Vec<(usize, f64)> = rows
        .iter()
        .filter(|r| labels.contains(&r.entry.as_str()))
        .filter_map(|r| r.best_npmi.map(|b| (r.topics, b)))
        .collect();
    v.sort_by_key(|p| p.0);
    v
}

/// One sentence per pair of the log's entries (9b left out) whose settings differ in exactly
/// one ([`super::seeds::one_difference`]): what the one difference did to best NPMI and final
/// TD, from the rows' numbers (one seed each; [`super::seeds::sibling_verdicts`] tests seeds).
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{siblings, SummaryRow};
/// let row = |label: &str, best: f64, td: f64| {
///     let mut r = SummaryRow::new(entry(label).unwrap(), Budget::Cpu, std::path::Path::new("x"), "c");
///     r.best_npmi = Some(best);
///     r.td = Some(td);
///     r
/// };
/// let lines = siblings(&[row("6", 0.10, 0.5), row("7", 0.12, 0.4)]);
/// assert_eq!(lines.len(), 1);
/// assert!(lines[0].starts_with("Entries 6 and 7 differ only in the variant (hard vs mean)"));
/// assert!(lines[0].contains("best NPMI 0.100 vs 0.120"));
/// ```
pub fn siblings(rows: &[SummaryRow]) -> Vec<String> {
    let log: Vec<&SummaryRow> = rows.iter().filter(|r| r.entry != "9b").collect();
    let mut out = Vec::new();
    for (i, a) in log.iter().enumerate() {
        for b in &log[i + 1..] {
            if let Some((what, x, y)) = super::seeds::one_difference(a, b) {
                let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.3}"));
                out.push(format!(
                    "Entries {} and {} differ only in {what} ({x} vs {y}): best NPMI {} vs {}, \
                     final TD@25 {} vs {}.",
                    a.entry,
                    b.entry,
                    f(a.best_npmi),
                    f(b.best_npmi),
                    f(a.td),
                    f(b.td)
                ));
            }
        }
    }
    out
}

/// The coherence measures of every re-run: NPMI (the log's) and C_V.
pub const MEASURES: Measures = Measures {
    npmi: true,
    uci: false,
    umass: false,
    cv: true,
};

/// Loads the corpus `budget` trains on ([`Budget::corpus`]): the planted corpus it describes, or
/// 20ng-1883 from `data_dir` (`None`: `$GCATM_DATA`, else `./data`, see [`fetch::data_dir`]).
/// A missing 20ng-1883 is [`ReproduceError::MissingData`], never a silent fallback.
///
/// ```
/// use gcatm::experiments::Budget;
/// use gcatm::experiments::reproduce::{load_data, ReproduceError};
/// let smoke = load_data(Budget::Smoke, None).unwrap();
/// assert_eq!((smoke.train.n_docs(), smoke.train.vocab_size()), (512, 300));
/// let empty = std::env::temp_dir();
/// assert!(matches!(load_data(Budget::Cpu, Some(&empty)), Err(ReproduceError::MissingData { .. })));
/// ```
pub fn load_data(budget: Budget, data_dir: Option<&Path>) -> Result<Data, ReproduceError> {
    let choice = budget.corpus();
    match choice {
        CorpusChoice::Planted {
            docs,
            vocab,
            topics,
            seed,
        } => {
            let planted = PlantedCorpus::builder()
                .docs(docs)
                .vocab_size(vocab)
                .topics(topics)
                .seed(seed)
                .build();
            let description = format!(
                "planted corpus ({docs} documents, {topics} planted topics, V = {}, seed {seed})",
                planted.corpus.vocab_size()
            );
            Ok(Data {
                train: planted.corpus,
                test: None,
                choice,
                source: None,
                description,
            })
        }
        CorpusChoice::TwentyNg1883 => {
            let dir = fetch::data_dir(data_dir);
            let missing = |what: &str| ReproduceError::MissingData {
                budget,
                dir: dir.clone(),
                what: what.to_string(),
            };
            if !dir.join("20ng").join("train_bow.npz").exists() {
                return Err(missing("20ng/train_bow.npz"));
            }
            let dir = absolute(&dir);
            let source = CorpusSource::twenty_ng_1883(&dir)
                .ok_or_else(|| missing("20news_clean/vocab.pkl"))?;
            let loaded = source.load()?;
            let (train, test) = (loaded.train, loaded.test);
            // No folder in it: notebooks print it, and their outputs must not show the machine.
            let description = format!(
                "20ng-1883 ({} train, {} test documents, V = {})",
                train.n_docs(),
                test.as_ref().map_or(0, |t| t.n_docs()),
                train.vocab_size()
            );
            Ok(Data {
                train,
                test,
                choice,
                source: Some(source),
                description,
            })
        }
    }
}

/// Finds an entry like [`crate::experiments::entry`], with an error naming the key.
///
/// ```
/// assert_eq!(gcatm::experiments::reproduce::find_entry("9b").unwrap().batch_size, 1024);
/// assert!(gcatm::experiments::reproduce::find_entry("99").is_err());
/// ```
pub fn find_entry(key: &str) -> Result<&'static Entry, ReproduceError> {
    entry(key).ok_or_else(|| ReproduceError::UnknownEntry(key.to_string()))
}

/// Every entry `gcatm reproduce --all` runs: the twelve of the log in order, with entry 9's
/// batch-1024 follow-up (`9b`) right after entry 9.
///
/// ```
/// let all = gcatm::experiments::reproduce::all_entries();
/// assert_eq!(all.len(), 13);
/// assert_eq!(all[9].label, "9b");
/// ```
pub fn all_entries() -> Vec<&'static Entry> {
    entries()
        .iter()
        .flat_map(|e| std::iter::once(e).chain(e.follow_up))
        .collect()
}

/// One line of `summary.json`: what an entry is, and what its re-run measured.
///
/// Metrics are `None` where the run measured nothing (or failed: see `error`). `best_npmi` is the
/// maximum over the evaluations (the checkpoint the log kept), `final_*` the last evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The entry's label: `"1"` .. `"12"`, or `"9b"`.
    pub entry: String,
    /// The entry's time stamp id.
    pub id: String,
    /// The entry's number in the log (9 for `9b`).
    pub number: u8,
    /// The log's section, 1 (hard label embedding) or 2 (mean-weighted).
    pub section: u8,
    /// The contrastive variant (`hard`, `mean`).
    pub variant: String,
    /// Number of topics K.
    #[serde(rename = "K")]
    pub topics: usize,
    /// Documents per batch (after the budget's cap).
    pub batch_size: usize,
    /// Learning rate of encoder and critic.
    pub lr: f64,
    /// The generator's learning rate.
    pub generator_lr: f64,
    /// InfoNCE temperature.
    pub temperature: f64,
    /// The budget it ran at.
    pub budget: Budget,
    /// Epochs trained.
    pub epochs: usize,
    /// Best NPMI over the evaluations.
    pub best_npmi: Option<f64>,
    /// The epoch of `best_npmi`.
    pub best_epoch: Option<usize>,
    /// NPMI of the final networks.
    pub final_npmi: Option<f64>,
    /// Topic diversity (top 25) of the final networks.
    pub td: Option<f64>,
    /// C_V of the final networks.
    pub cv: Option<f64>,
    /// Purity of the test documents' clusters (argmax theta), where there is a labelled test split.
    pub purity: Option<f64>,
    /// NMI of the same clustering.
    pub nmi: Option<f64>,
    /// The InfoNCE term's mean over the last epoch.
    pub final_info_nce: Option<f64>,
    /// Wall-clock seconds of the run (training and evaluations).
    pub wall_seconds: f64,
    /// Median seconds of a training epoch.
    pub median_epoch_seconds: Option<f64>,
    /// The device (`cpu`, `cuda:0`).
    pub device: String,
    /// The machine ([`machine`]).
    pub machine: String,
    /// The corpus ([`Data::description`]).
    pub corpus: String,
    /// The run folder.
    pub run_dir: PathBuf,
    /// Best NPMI the log reports for this entry (Palmetto, Wikipedia reference), if any.
    pub reported_npmi: Option<f64>,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl SummaryRow {
    /// The row of `entry` at `budget` before any result: metrics `None`.
    pub fn new(entry: &Entry, budget: Budget, run_dir: &Path, corpus: &str) -> SummaryRow {
        let cfg = entry.config(budget);
        SummaryRow {
            entry: entry.label.to_string(),
            id: entry.id.to_string(),
            number: entry.number,
            section: entry.section.number(),
            variant: cfg.variant.to_string(),
            topics: cfg.topics,
            batch_size: cfg.batch_size,
            lr: cfg.lr,
            generator_lr: cfg.generator_lr(),
            temperature: cfg.temperature,
            budget,
            epochs: 0,
            best_npmi: None,
            best_epoch: None,
            final_npmi: None,
            td: None,
            cv: None,
            purity: None,
            nmi: None,
            final_info_nce: None,
            wall_seconds: 0.0,
            median_epoch_seconds: None,
            device: cfg.device.clone(),
            machine: machine(),
            corpus: corpus.to_string(),
            run_dir: run_dir.to_path_buf(),
            reported_npmi: entry.reported_npmi,
            error: None,
        }
    }

    /// Fills the results of a finished run in.
    pub fn with_results(mut self, summary: &RunSummary, history: &History) -> SummaryRow {
        self.epochs = summary.epochs;
        self.best_epoch = summary.best_npmi.map(|b| b.0);
        self.best_npmi = summary.best_npmi.and_then(|b| finite(b.1));
        if let Some(e) = &summary.final_evaluation {
            self.final_npmi = finite(e.npmi.mean);
            self.td = finite(e.td);
            self.cv = e.cv.as_ref().and_then(|s| finite(s.mean));
            self.purity = e.clustering.as_ref().and_then(|c| finite(c.purity));
            self.nmi = e.clustering.as_ref().and_then(|c| finite(c.nmi));
        }
        self.final_info_nce = history
            .epochs
            .last()
            .and_then(|r| r.info_nce)
            .and_then(finite);
        self.wall_seconds = summary.wall_seconds;
        self.median_epoch_seconds = finite(summary.median_epoch_seconds);
        self.device = summary.device.clone();
        self
    }

    /// True when the run finished without error and measured an NPMI.
    pub fn is_complete(&self) -> bool {
        self.error.is_none() && self.best_npmi.is_some()
    }
}

pub use crate::provenance::machine;

/// A finished re-run of one entry: the trained networks (in the trainer, with its [`History`]),
/// the run summary, and its [`SummaryRow`].
pub struct EntryRun {
    /// The entry.
    pub entry: Entry,
    /// The budget it ran at.
    pub budget: Budget,
    /// Its run folder.
    pub dir: PathBuf,
    /// What [`crate::train::train_to_dir`] reported.
    pub summary: RunSummary,
    /// Its line of `summary.json`.
    pub row: SummaryRow,
    /// The trained networks and their history.
    pub trainer: Trainer,
    /// Whether this call trained the run, continued it or found it finished.
    pub origin: Origin,
}

/// Where the run of [`run_entry`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Trained from the first epoch by this call.
    Trained,
    /// An interrupted run with the same configuration, continued from its checkpoint at this
    /// epoch.
    Resumed(usize),
    /// A finished run with the same entry, budget, corpus and configuration, loaded from its
    /// folder without training.
    Reused,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Trained => write!(f, "trained from the start"),
            Origin::Resumed(e) => write!(f, "continued from its checkpoint at epoch {e}"),
            Origin::Reused => write!(f, "a finished run with the same configuration, loaded"),
        }
    }
}

impl EntryRun {
    /// The run's history (losses per iteration and epoch, metrics per evaluation).
    pub fn history(&self) -> &History {
        self.trainer.history()
    }

    /// The epoch records this call did not train: none for [`Origin::Trained`], those up to the
    /// checkpoint for [`Origin::Resumed`], all of them for [`Origin::Reused`] (the epoch-0
    /// evaluation included). A notebook prints them so that a reused run shows its progress too.
    pub fn earlier_epochs(&self) -> &[EpochRecord] {
        let epochs = &self.history().epochs;
        let upto = match self.origin {
            Origin::Trained => return &[],
            Origin::Resumed(at) => at,
            Origin::Reused => usize::MAX,
        };
        let n = epochs.iter().take_while(|r| r.epoch <= upto).count();
        &epochs[..n]
    }
}

/// Trains `entry` at `budget` (its [`Entry::config`]) on `data`, evaluating with `evaluator`
/// every [`Budget::eval_every`] epochs, into the run folder `out/<label>`. The folder is the one
/// `gcatm train` writes (`config.json`, `history.jsonl`, `topics.txt`, `metrics.json`,
/// `checkpoint/`, `best/`; `corpus.json` for 20ng-1883, so that `gcatm train --resume` can
/// continue it) plus `reproduce.json` ([`RunFolder::row`]). `on_epoch` sees every epoch trained by this call.
///
/// What the folder already holds decides where training starts ([`EntryRun::origin`]):
/// - a finished run of the same entry, budget, corpus and configuration is loaded from its
///   checkpoint and not trained again ([`Origin::Reused`]): re-executing a notebook shows the
///   run it trained before instead of spending minutes on an identical one;
/// - an interrupted run with the same configuration continues from its last checkpoint
///   ([`Origin::Resumed`]; the run is the one an uninterrupted call gives, since resuming is
///   exact);
/// - anything else (another configuration, an older run, nothing) is cleared and trained from
///   the start ([`Origin::Trained`]). Delete the folder to force a fresh run.
///
/// The folder's lock ([`crate::train::RunFolder::lock`]) is held throughout: a second re-run
/// into the same folder fails at once with [`TrainError::Locked`]. A run that fails (e.g. a
/// diverging loss, a full disk) returns the error; its folder keeps the last good checkpoint.
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{load_data, run_entry, Origin};
/// let out = std::env::temp_dir().join(format!("gcatm-doc-run-entry-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let evaluator = data.evaluator().unwrap();
/// let first = run_entry(entry("3").unwrap(), Budget::Smoke, &data, &evaluator, &out, |_| {}).unwrap();
/// assert_eq!(first.origin, Origin::Trained);
/// let again = run_entry(entry("3").unwrap(), Budget::Smoke, &data, &evaluator, &out, |_| {}).unwrap();
/// assert_eq!(again.origin, Origin::Reused);
/// assert_eq!(again.row.best_npmi, first.row.best_npmi);
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn run_entry<F>(
    entry: &Entry,
    budget: Budget,
    data: &Data,
    evaluator: &Evaluator,
    out: &Path,
    on_epoch: F,
) -> Result<EntryRun, ReproduceError>
where
    F: FnMut(&EpochRecord),
{
    let dir = out.join(entry.label);
    let config = entry.config(budget);
    let run = run_config(
        &config,
        data,
        evaluator,
        &dir,
        || finished_run(entry, budget, data, out).is_some_and(|r| r.epochs == config.epochs),
        on_epoch,
    )?;
    let row = match run.origin {
        Origin::Reused => finished_run(entry, budget, data, out).ok_or_else(|| {
            ReproduceError::file(
                &RunFolder::new(&dir).row(),
                "the finished run's row is gone",
            )
        })?,
        _ => {
            let row = SummaryRow::new(entry, budget, &absolute(&dir), &data.description)
                .with_results(&run.summary, run.trainer.history());
            write_json(&RunFolder::new(&dir).row(), &row)?;
            row
        }
    };
    Ok(EntryRun {
        entry: entry.clone(),
        budget,
        dir,
        summary: run.summary,
        row,
        trainer: run.trainer,
        origin: run.origin,
    })
}

/// A configuration trained (or found trained) in its run folder by [`run_config`].
pub struct ConfigRun {
    /// The run folder.
    pub dir: PathBuf,
    /// What [`crate::train::train_to_dir`] reported (read back from `metrics.json` when reused).
    pub summary: RunSummary,
    /// The trained networks and their history.
    pub trainer: Trainer,
    /// Whether this call trained the run, continued it or found it finished.
    pub origin: Origin,
}

/// Trains `config` (its `epochs`, evaluated every `eval_every`) on `data` into the run folder
/// `dir`, with [`run_entry`]'s rules: a finished run of the same configuration is loaded
/// ([`Origin::Reused`]) when `finished()` also says so (the caller's record of it, e.g. its
/// corpus), an interrupted one continued ([`Origin::Resumed`]), anything else cleared and
/// trained from the start. The folder is locked throughout.
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{load_data, run_config, Origin};
/// let dir = std::env::temp_dir().join(format!("gcatm-doc-run-config-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let evaluator = data.evaluator().unwrap();
/// let config = gcatm::train::TrainConfig { seed: 3, ..entry("6").unwrap().config(Budget::Smoke) };
/// let first = run_config(&config, &data, &evaluator, &dir, || true, |_| {}).unwrap();
/// assert_eq!(first.origin, Origin::Trained);
/// let again = run_config(&config, &data, &evaluator, &dir, || true, |_| {}).unwrap();
/// assert_eq!((again.origin, again.trainer.epoch()), (Origin::Reused, config.epochs));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn run_config<F, R>(
    config: &TrainConfig,
    data: &Data,
    evaluator: &Evaluator,
    dir: &Path,
    finished: R,
    on_epoch: F,
) -> Result<ConfigRun, ReproduceError>
where
    F: FnMut(&EpochRecord),
    R: FnOnce() -> bool,
{
    std::fs::create_dir_all(dir).map_err(|e| ReproduceError::file(dir, e))?;
    // Locked before anything is read or cleared: another re-run may be writing this folder.
    let folder = RunFolder::new(dir).lock()?;
    let epochs = config.epochs;
    // A checkpoint of this very configuration, if the folder holds one that loads.
    let earlier = folder
        .checkpoint_epoch()
        .and_then(|_| load_checkpoint(&folder.checkpoint(), &data.train, None).ok())
        .filter(|t| t.config() == config && t.epoch() <= epochs);
    let done = earlier.as_ref().is_some_and(|t| t.epoch() == epochs)
        && folder.metrics().exists()
        && finished();
    let earlier = match earlier {
        Some(trainer) if done => {
            let summary: RunSummary = read_json(&folder.metrics())?;
            return Ok(ConfigRun {
                dir: dir.to_path_buf(),
                summary,
                trainer,
                origin: Origin::Reused,
            });
        }
        e => e,
    };
    let (mut trainer, origin) = match earlier.filter(|t| t.epoch() < epochs) {
        Some(t) => {
            let at = t.epoch();
            (t, Origin::Resumed(at))
        }
        None => {
            folder.clear()?;
            if let Some(source) = &data.source {
                write_json(&folder.corpus(), source)?;
            }
            (Trainer::new(config.clone(), &data.train)?, Origin::Trained)
        }
    };
    let mut summary = train_to_folder(&mut trainer, epochs, &folder, Some(evaluator), on_epoch)?;
    if let Origin::Resumed(at) = origin {
        // This call's wall time covers only the epochs after the checkpoint: add the training
        // time of the epochs before it (their evaluations' time was not recorded).
        let before: f64 = trainer
            .history()
            .epochs
            .iter()
            .filter(|r| r.epoch <= at)
            .map(|r| r.seconds)
            .sum();
        summary.wall_seconds += before;
    }
    drop(folder);
    Ok(ConfigRun {
        dir: dir.to_path_buf(),
        summary,
        trainer,
        origin,
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Reads the [`SummaryRow`] a finished [`run_entry`] left in `dir`.
pub fn read_row(dir: &Path) -> Result<SummaryRow, ReproduceError> {
    read_json(&RunFolder::new(dir).row())
}

/// The row of a finished run of `entry` at `budget` on `data`'s corpus in `out/<label>`, if the
/// folder holds one (its [`RunFolder::row`], complete, same budget and corpus); `None` otherwise.
/// (It reads the row only; [`run_entry`] also loads the run's checkpoint and checks its
/// configuration before reusing it.)
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{finished_run, load_data};
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let nowhere = std::env::temp_dir().join("gcatm-doc-no-runs-here");
/// assert!(finished_run(entry("3").unwrap(), Budget::Smoke, &data, &nowhere).is_none());
/// ```
pub fn finished_run(entry: &Entry, budget: Budget, data: &Data, out: &Path) -> Option<SummaryRow> {
    read_row(&out.join(entry.label)).ok().filter(|r| {
        r.entry == entry.label
            && r.budget == budget
            && r.is_complete()
            && r.corpus == data.description
    })
}

/// Reads the [`TrainConfig`] of the run folder `dir` (its `config.json`).
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{load_data, read_config, run_entry};
/// let out = std::env::temp_dir().join(format!("gcatm-doc-read-config-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let e = entry("2").unwrap();
/// let run = run_entry(e, Budget::Smoke, &data, &data.evaluator().unwrap(), &out, |_| {}).unwrap();
/// assert_eq!(read_config(&run.dir).unwrap(), e.config(Budget::Smoke));
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn read_config(dir: &Path) -> Result<TrainConfig, ReproduceError> {
    read_json(&RunFolder::new(dir).config())
}

/// Reads the per-epoch records of the run folder `dir` (its `history.jsonl`) into a [`History`]
/// (the per-iteration losses are not in the folder: `iterations` is empty).
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{load_data, read_history, run_entry};
/// let out = std::env::temp_dir().join(format!("gcatm-doc-history-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let e = entry("12").unwrap();
/// let run = run_entry(e, Budget::Smoke, &data, &data.evaluator().unwrap(), &out, |_| {}).unwrap();
/// let history = read_history(&run.dir).unwrap();
/// assert_eq!(history.epochs.len(), run.history().epochs.len());
/// let (saved, live) = (history.metric("npmi"), run.history().metric("npmi"));
/// // Epoch 0 (before training), then epochs 1 and 2.
/// assert_eq!(saved.iter().map(|p| p.0).collect::<Vec<_>>(), vec![0, 1, 2]);
/// assert!((saved[2].1 - live[2].1).abs() < 1e-12);
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn read_history(dir: &Path) -> Result<History, ReproduceError> {
    let path = dir.join("history.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| ReproduceError::file(&path, e))?;
    let epochs = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| ReproduceError::file(&path, format!("line {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<EpochRecord>, _>>()?;
    Ok(History {
        iterations: Vec::new(),
        epochs,
    })
}

/// What [`run_all`] reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// An entry starts (its position from 0, and the number of entries).
    Start(&'a Entry, usize, usize),
    /// An epoch of the current entry finished.
    Epoch(&'a Entry, &'a EpochRecord),
    /// An entry is done (finished, failed or reused): its row.
    Done(&'a SummaryRow),
}

/// Runs `list` (e.g. [`all_entries`]) at `budget` one after another into `out/<label>`, then
/// writes `out/summary.json` ([`write_summary`]; rewritten after each entry, so an interrupted
/// run leaves the finished ones). A failing entry gets a row with `error` set and the others
/// still run. Each entry goes through [`run_entry`], so a finished run with the same
/// configuration is reused and an interrupted one continued ([`Progress::Epoch`] reports only the
/// epochs trained now). Returns the rows in order.
///
/// `out` itself is locked throughout ([`RunFolder::lock`]), so that a second `run_all` into it
/// fails at once with [`TrainError::Locked`] instead of interleaving its `summary.json`.
pub fn run_all<F>(
    list: &[&Entry],
    budget: Budget,
    data: &Data,
    out: &Path,
    mut progress: F,
) -> Result<Vec<SummaryRow>, ReproduceError>
where
    F: FnMut(Progress<'_>),
{
    std::fs::create_dir_all(out).map_err(|e| ReproduceError::file(out, e))?;
    let _lock = RunFolder::new(out).lock()?;
    let evaluator = data.evaluator()?;
    let mut rows: Vec<SummaryRow> = Vec::with_capacity(list.len());
    for (i, &e) in list.iter().enumerate() {
        let dir = out.join(e.label);
        progress(Progress::Start(e, i, list.len()));
        let start = Instant::now();
        let row = match run_entry(e, budget, data, &evaluator, out, |r| {
            progress(Progress::Epoch(e, r))
        }) {
            Ok(run) => run.row,
            Err(err) => {
                let mut r = SummaryRow::new(e, budget, &absolute(&dir), &data.description);
                r.error = Some(err.to_string());
                r.wall_seconds = start.elapsed().as_secs_f64();
                r
            }
        };
        progress(Progress::Done(&row));
        rows.push(row);
        write_summary(&out.join(SUMMARY_FILE), &rows)?;
    }
    Ok(rows)
}

/// Writes the rows as a pretty JSON array to `path` atomically (a temporary file renamed into
/// place), creating its folder.
pub fn write_summary(path: &Path, rows: &[SummaryRow]) -> Result<(), ReproduceError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| ReproduceError::file(parent, e))?;
    }
    let mut bytes = serde_json::to_vec_pretty(rows).map_err(|e| ReproduceError::file(path, e))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)?;
    Ok(())
}

/// Reads a summary written by [`write_summary`].
pub fn read_summary(path: &Path) -> Result<Vec<SummaryRow>, ReproduceError> {
    read_json(path)
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, ReproduceError> {
    let bytes = std::fs::read(path).map_err(|e| ReproduceError::file(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| ReproduceError::file(path, e))
}
