//! Beyond the log: named recipes built from the training options that depart from it, and a sweep
//! that trains a grid of recipes, K and seeds over one log entry, with a table of the results.
//!
//! Every recipe but [`Recipe::LOG`] departs from the log; none is applied unless asked for. The
//! best one found is [`PRESET`] (`gcatm train --preset`, [`preset`]).
//!
//! ```
//! use gcatm::experiments::sweep::{recipe, Sweep};
//! use gcatm::experiments::{entry, Budget};
//! let spectral = recipe("spectral").unwrap();
//! let cfg = spectral.apply(entry("7").unwrap().config(Budget::Cpu));
//! assert_eq!(cfg.critic_constraint, gcatm::train::CriticConstraint::Spectral);
//! let sweep = Sweep::new(entry("11").unwrap(), Budget::Smoke)
//!     .recipes(vec![recipe("log").unwrap(), spectral])
//!     .topics(vec![8])
//!     .seeds(vec![0, 1]);
//! assert_eq!(sweep.cells().len(), 4);
//! assert_eq!(sweep.cells()[3].label(), "k8/spectral/seed1");
//! ```
use crate::eval::Evaluator;
use crate::experiments::reproduce::{
    read_baselines, read_json, run_config, Baselines, ConfigRun, Data, ReproduceError,
};
use crate::experiments::{Budget, Entry};
use crate::plot::{Figure, Legend, LineChart, PlotError};
use crate::train::{
    write_atomic, write_json, CriticConstraint, EpochRecord, History, RunFolder, TrainConfig,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The goal of the comparison, NPMI ≥ 0.20 with TD@25 ≥ 0.6: set when variational LDA was the
/// only baseline, just above its NPMI on 20ng-1883 (0.185–0.198) and about its TD@25 (0.61–0.67).
pub const GOAL: Goal = Goal {
    npmi: 0.20,
    td: 0.6,
};

/// A level of coherence and diversity to reach together.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Lowest NPMI.
    pub npmi: f64,
    /// Lowest TD@25.
    pub td: f64,
}

impl Goal {
    /// True when `p` reaches both levels.
    pub fn met(&self, p: &Point) -> bool {
        p.npmi >= self.npmi && p.td >= self.td
    }
}

/// A named set of the options that depart from the log ([`TrainConfig::balance_contrastive`],
/// [`TrainConfig::critic_constraint`], [`TrainConfig::critic_lr_scale`]), applied over any
/// entry's configuration by [`Recipe::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Recipe {
    /// Its name on the command line and in run folders.
    pub name: &'static str,
    /// What it changes, in a few words.
    pub summary: &'static str,
    /// Gradient-norm balancing of the InfoNCE term (the log author's later remedy).
    pub balance_contrastive: bool,
    /// How the critic is kept Lipschitz.
    pub critic_constraint: CriticConstraint,
    /// The critic's learning rate over the encoder's (two time-scale updates).
    pub critic_lr_scale: f64,
}

impl Recipe {
    /// The log's own settings: nothing changed.
    pub const LOG: Recipe = Recipe {
        name: "log",
        summary: "the log's settings (weight clipping, one learning rate, InfoNCE weight 1)",
        balance_contrastive: false,
        critic_constraint: CriticConstraint::Clip,
        critic_lr_scale: 1.0,
    };

    /// `config` with this recipe's options set (every other setting kept).
    pub fn apply(&self, config: TrainConfig) -> TrainConfig {
        TrainConfig {
            balance_contrastive: self.balance_contrastive,
            critic_constraint: self.critic_constraint,
            critic_lr_scale: self.critic_lr_scale,
            ..config
        }
    }

    /// True when this recipe changes nothing of the log's settings.
    pub fn is_log(&self) -> bool {
        !self.balance_contrastive
            && self.critic_constraint == CriticConstraint::Clip
            && self.critic_lr_scale == 1.0
    }
}

/// Every recipe the sweep knows: the log's, each departure alone, and their combinations.
pub const RECIPES: &[Recipe] = &[
    Recipe::LOG,
    Recipe {
        name: "balance",
        summary: "InfoNCE weighted by the ratio of the two terms' gradient norms",
        balance_contrastive: true,
        ..Recipe::LOG
    },
    Recipe {
        name: "spectral",
        summary: "spectral-norm projection of the critic instead of weight clipping",
        critic_constraint: CriticConstraint::Spectral,
        ..Recipe::LOG
    },
    Recipe {
        name: "ttur",
        summary: "the critic learns 4 times faster (two time-scale updates)",
        critic_lr_scale: 4.0,
        ..Recipe::LOG
    },
    Recipe {
        name: "spectral-ttur",
        summary: "spectral-norm critic that learns 4 times faster",
        critic_constraint: CriticConstraint::Spectral,
        critic_lr_scale: 4.0,
        ..Recipe::LOG
    },
    Recipe {
        name: "all",
        summary: "spectral-norm critic, 4 times faster, and balanced InfoNCE",
        balance_contrastive: true,
        critic_constraint: CriticConstraint::Spectral,
        critic_lr_scale: 4.0,
    },
];

/// The name of the best recipe found ([`preset`]): the one `--preset` applies.
pub const PRESET: &str = "ttur";

/// The recipe called `name`, if there is one.
///
/// ```
/// assert!(gcatm::experiments::sweep::recipe("log").unwrap().is_log());
/// assert!(gcatm::experiments::sweep::recipe("nope").is_none());
/// ```
pub fn recipe(name: &str) -> Option<&'static Recipe> {
    RECIPES.iter().find(|r| r.name == name)
}

/// [`recipe`] with an error that lists the names.
pub fn find_recipe(name: &str) -> Result<&'static Recipe, ReproduceError> {
    recipe(name).ok_or_else(|| ReproduceError::UnknownRecipe {
        name: name.to_string(),
        known: RECIPES
            .iter()
            .map(|r| r.name)
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The best recipe found, [`PRESET`].
///
/// ```
/// let cfg = gcatm::experiments::sweep::preset().apply(gcatm::train::TrainConfig::default());
/// assert!(!gcatm::experiments::sweep::preset().is_log());
/// assert_eq!(cfg.topics, gcatm::train::TrainConfig::default().topics);
/// ```
pub fn preset() -> &'static Recipe {
    recipe(PRESET).expect("PRESET names one of RECIPES")
}

/// Trains `entry` at `budget` with `recipe` applied into `out/<label>-<recipe>` (the log's
/// recipe: `out/<label>`, the folder [`crate::experiments::reproduce::run_entry`] uses), with
/// [`run_config`]'s reuse and resume rules.
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::load_data;
/// use gcatm::experiments::sweep::{preset, run_recipe};
/// let out = std::env::temp_dir().join(format!("gcatm-doc-run-recipe-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let evaluator = data.evaluator().unwrap();
/// let run = run_recipe(entry("7").unwrap(), preset(), Budget::Smoke, &data, &evaluator, &out, |_| {}).unwrap();
/// assert!(run.dir.ends_with(format!("7-{}", preset().name)));
/// assert_eq!(run.trainer.config().critic_lr_scale, preset().critic_lr_scale);
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn run_recipe<F>(
    entry: &Entry,
    recipe: &Recipe,
    budget: Budget,
    data: &Data,
    evaluator: &Evaluator,
    out: &Path,
    on_epoch: F,
) -> Result<ConfigRun, ReproduceError>
where
    F: FnMut(&EpochRecord),
{
    let label = match recipe.is_log() {
        true => entry.label.to_string(),
        false => format!("{}-{}", entry.label, recipe.name),
    };
    let config = recipe.apply(entry.config(budget));
    run_config(
        &config,
        data,
        evaluator,
        &out.join(label),
        || true,
        on_epoch,
    )
}

/// One run of a [`Sweep`]: a recipe at one K and seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cell {
    /// The recipe.
    pub recipe: &'static Recipe,
    /// Number of topics K.
    pub topics: usize,
    /// Random seed.
    pub seed: u64,
}

impl Cell {
    /// Its run folder under the sweep's folder: `k<K>/<recipe>/seed<S>`.
    pub fn label(&self) -> String {
        format!("k{}/{}/seed{}", self.topics, self.recipe.name, self.seed)
    }
}

/// A grid of recipes × K × seeds over one log entry at one budget (its corpus, network size and,
/// unless set, epochs and evaluation period).
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The entry whose settings every run starts from.
    pub entry: &'static Entry,
    /// The budget: corpus, network size, default epochs and evaluation period.
    pub budget: Budget,
    /// The recipes compared (default: all of [`RECIPES`]).
    pub recipes: Vec<&'static Recipe>,
    /// The values of K (default: the entry's).
    pub topics: Vec<usize>,
    /// The seeds (default: 0, 1, 2).
    pub seeds: Vec<u64>,
    /// Epochs of every run (default: the budget's).
    pub epochs: Option<usize>,
    /// Evaluation period (default: the budget's).
    pub eval_every: Option<usize>,
}

impl Sweep {
    /// Every recipe, the entry's K, seeds 0–2, the budget's epochs.
    pub fn new(entry: &'static Entry, budget: Budget) -> Sweep {
        Sweep {
            entry,
            budget,
            recipes: RECIPES.iter().collect(),
            topics: vec![entry.config(budget).topics],
            seeds: vec![0, 1, 2],
            epochs: None,
            eval_every: None,
        }
    }

    /// Sets the recipes.
    pub fn recipes(mut self, recipes: Vec<&'static Recipe>) -> Sweep {
        self.recipes = recipes;
        self
    }

    /// Sets the values of K.
    pub fn topics(mut self, topics: Vec<usize>) -> Sweep {
        self.topics = topics;
        self
    }

    /// Sets the seeds.
    pub fn seeds(mut self, seeds: Vec<u64>) -> Sweep {
        self.seeds = seeds;
        self
    }

    /// Sets the epochs of every run.
    pub fn epochs(mut self, epochs: usize) -> Sweep {
        self.epochs = Some(epochs);
        self
    }

    /// Sets the evaluation period.
    pub fn eval_every(mut self, eval_every: usize) -> Sweep {
        self.eval_every = Some(eval_every);
        self
    }

    /// The runs, K outermost, then recipe, then seed.
    pub fn cells(&self) -> Vec<Cell> {
        let mut cells = Vec::new();
        for &topics in &self.topics {
            for &recipe in &self.recipes {
                for &seed in &self.seeds {
                    cells.push(Cell {
                        recipe,
                        topics,
                        seed,
                    });
                }
            }
        }
        cells
    }

    /// The configuration of one run: the entry's at the budget, with the cell's recipe, K and
    /// seed, and the sweep's epochs and evaluation period.
    pub fn config(&self, cell: &Cell) -> TrainConfig {
        let base = self.entry.config(self.budget);
        cell.recipe.apply(TrainConfig {
            topics: cell.topics,
            seed: cell.seed,
            epochs: self.epochs.unwrap_or(base.epochs),
            eval_every: self.eval_every.unwrap_or(base.eval_every),
            ..base
        })
    }
}

/// One evaluation of a run: epoch, NPMI, TD@25.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The epoch (0: before training).
    pub epoch: usize,
    /// NPMI of the top-10 words.
    pub npmi: f64,
    /// TD of the top 25.
    pub td: f64,
}

/// What one run of a sweep measured (a line of `sweep.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// The recipe's name.
    pub recipe: String,
    /// Number of topics K.
    #[serde(rename = "K")]
    pub topics: usize,
    /// Random seed.
    pub seed: u64,
    /// The log entry whose settings it started from.
    pub entry: String,
    /// The corpus ([`Data::description`]).
    pub corpus: String,
    /// Epochs trained.
    pub epochs: usize,
    /// Wall-clock seconds (training and evaluations).
    pub wall_seconds: f64,
    /// Median seconds of a training epoch.
    pub median_epoch_seconds: f64,
    /// NPMI and TD at every evaluation.
    pub curve: Vec<Point>,
    /// The run folder, relative to the sweep's folder.
    pub run_dir: PathBuf,
    /// Why the run failed, if it did.
    pub error: Option<String>,
}

impl SweepRow {
    /// The evaluation with the best NPMI.
    pub fn best(&self) -> Option<Point> {
        best_of(&self.curve)
    }

    /// The last evaluation.
    pub fn last(&self) -> Option<Point> {
        self.curve.last().copied()
    }

    /// The first evaluation that reaches `goal` (NPMI and TD together), if any.
    pub fn reached(&self, goal: Goal) -> Option<Point> {
        self.curve.iter().copied().find(|p| goal.met(p))
    }

    /// True when the goal is reached and every later evaluation still meets it (no late
    /// collapse).
    ///
    /// ```
    /// use gcatm::experiments::sweep::{Goal, Point, SweepRow};
    /// let row = |pts: &[(usize, f64, f64)]| SweepRow {
    ///     recipe: "log".into(), topics: 20, seed: 0, entry: "11".into(), corpus: String::new(),
    ///     epochs: 30, wall_seconds: 0.0, median_epoch_seconds: 0.0, run_dir: "x".into(), error: None,
    ///     curve: pts.iter().map(|&(epoch, npmi, td)| Point { epoch, npmi, td }).collect(),
    /// };
    /// let goal = Goal { npmi: 0.2, td: 0.6 };
    /// assert!(row(&[(10, 0.1, 0.7), (20, 0.21, 0.65), (30, 0.22, 0.61)]).kept(goal));
    /// assert!(!row(&[(10, 0.21, 0.7), (20, 0.15, 0.65)]).kept(goal));
    /// assert_eq!(row(&[(10, 0.21, 0.7), (20, 0.15, 0.65)]).reached(goal).unwrap().epoch, 10);
    /// ```
    pub fn kept(&self, goal: Goal) -> bool {
        lost_after(&self.curve, goal).is_some_and(|(_, lost)| lost.is_none())
    }

    /// The row of `cell` before any result.
    fn blank(cell: &Cell, sweep: &Sweep, data: &Data) -> SweepRow {
        SweepRow {
            recipe: cell.recipe.name.to_string(),
            topics: cell.topics,
            seed: cell.seed,
            entry: sweep.entry.label.to_string(),
            corpus: data.description.clone(),
            epochs: 0,
            wall_seconds: 0.0,
            median_epoch_seconds: 0.0,
            curve: Vec::new(),
            run_dir: PathBuf::from(cell.label()),
            error: None,
        }
    }

    fn of(cell: &Cell, sweep: &Sweep, data: &Data, run: &ConfigRun) -> SweepRow {
        SweepRow {
            epochs: run.summary.epochs,
            wall_seconds: run.summary.wall_seconds,
            median_epoch_seconds: run.summary.median_epoch_seconds,
            curve: curve(run.trainer.history()),
            ..SweepRow::blank(cell, sweep, data)
        }
    }
}

/// The evaluation with the best NPMI (the first of equals).
fn best_of(curve: &[Point]) -> Option<Point> {
    curve.iter().copied().fold(None, |b, p| match b {
        Some(b) if b.npmi >= p.npmi => Some(b),
        _ => Some(p),
    })
}

/// Where `curve` first meets `goal`, and the first later evaluation that no longer does (if
/// any); `None` when it never meets it.
fn lost_after(curve: &[Point], goal: Goal) -> Option<(Point, Option<Point>)> {
    let i = curve.iter().position(|p| goal.met(p))?;
    Some((curve[i], curve[i..].iter().copied().find(|p| !goal.met(p))))
}

/// NPMI and TD at every evaluation of `history` that has both.
pub fn curve(history: &History) -> Vec<Point> {
    history
        .epochs
        .iter()
        .filter_map(|r| {
            Some(Point {
                epoch: r.epoch,
                npmi: *r.metrics.get("npmi")?,
                td: *r.metrics.get("td")?,
            })
        })
        .collect()
}

/// The file [`run_sweep`] writes in its folder: one [`SweepRow`] per run.
pub const SWEEP_FILE: &str = "sweep.json";
/// The table [`run_sweep`] writes beside it ([`table`]).
pub const TABLE_FILE: &str = "sweep.md";
/// The record of a finished run in its own folder.
const ROW_FILE: &str = "sweep-row.json";

/// What [`run_sweep`] reports as it goes.
#[derive(Debug, Clone, Copy)]
pub enum SweepProgress<'a> {
    /// A run starts (its position from 0, and the number of runs).
    Start(&'a Cell, usize, usize),
    /// An epoch of the current run finished.
    Epoch(&'a EpochRecord),
    /// A run is done (trained, continued, reused or failed).
    Done(&'a SweepRow),
}

/// Trains every cell of `sweep` on `data` into `out/<cell label>` (a finished run with the same
/// configuration on the same corpus is reused, an interrupted one continued), computes the
/// baselines for each K (kept in `out/baselines-k<K>.json`), and writes `out/sweep.json` (after
/// every run) and `out/sweep.md` ([`table`]). A failing run gets a row with `error` set and the
/// others still run. `out` is locked throughout.
///
/// ```
/// use gcatm::experiments::sweep::{recipe, run_sweep, Sweep};
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::load_data;
/// let out = std::env::temp_dir().join(format!("gcatm-doc-sweep-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let sweep = Sweep::new(entry("11").unwrap(), Budget::Smoke)
///     .recipes(vec![recipe("log").unwrap(), recipe("ttur").unwrap()])
///     .topics(vec![8])
///     .seeds(vec![0]);
/// let (rows, baselines) = run_sweep(&sweep, &data, &out, |_| {}).unwrap();
/// assert_eq!(rows.len(), 2);
/// assert!(rows.iter().all(|r| r.error.is_none() && r.curve.len() == 3));
/// assert_eq!(baselines[0].topics, 8);
/// assert!(out.join("sweep.md").exists() && out.join("k8/ttur/seed0/history.jsonl").exists());
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn run_sweep<F>(
    sweep: &Sweep,
    data: &Data,
    out: &Path,
    mut progress: F,
) -> Result<(Vec<SweepRow>, Vec<Baselines>), ReproduceError>
where
    F: FnMut(SweepProgress<'_>),
{
    std::fs::create_dir_all(out).map_err(|e| ReproduceError::file(out, e))?;
    let _lock = RunFolder::new(out).lock()?;
    let evaluator = data.evaluator()?;
    let baselines = sweep
        .topics
        .iter()
        .map(|&k| data.baselines_cached(&evaluator, k, out))
        .collect::<Result<Vec<_>, _>>()?;
    let cells = sweep.cells();
    let mut rows = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        progress(SweepProgress::Start(cell, i, cells.len()));
        let dir = out.join(cell.label());
        let config = sweep.config(cell);
        let row_path = dir.join(ROW_FILE);
        let same_corpus = || {
            read_json::<SweepRow>(&row_path)
                .is_ok_and(|r| r.corpus == data.description && r.error.is_none())
        };
        let row = match run_config(&config, data, &evaluator, &dir, same_corpus, |r| {
            progress(SweepProgress::Epoch(r))
        }) {
            Ok(run) => {
                let row = SweepRow::of(cell, sweep, data, &run);
                write_json(&row_path, &row)?;
                row
            }
            Err(e) => SweepRow {
                error: Some(e.to_string()),
                ..SweepRow::blank(cell, sweep, data)
            },
        };
        progress(SweepProgress::Done(&row));
        rows.push(row);
        write_json(&out.join(SWEEP_FILE), &rows)?;
    }
    write_atomic(&out.join(TABLE_FILE), table(&rows, &baselines).as_bytes())?;
    Ok((rows, baselines))
}

/// Reads a `sweep.json` back.
pub fn read_sweep(path: &Path) -> Result<Vec<SweepRow>, ReproduceError> {
    read_json(path)
}

/// Reads back what [`run_sweep`] left in `dir`: its rows ([`SWEEP_FILE`]) and, for each K among
/// them, the baselines it kept ([`read_baselines`]), in the order the K first appear. Computes
/// nothing and writes nothing, so a shipped sweep can be shown on any budget.
///
/// ```
/// use gcatm::experiments::sweep::{read_sweep_dir, recipe, run_sweep, Sweep};
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::load_data;
/// let out = std::env::temp_dir().join(format!("gcatm-doc-read-sweep-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let sweep = Sweep::new(entry("11").unwrap(), Budget::Smoke)
///     .recipes(vec![recipe("log").unwrap()]).topics(vec![8]).seeds(vec![0]).epochs(2);
/// let ran = run_sweep(&sweep, &data, &out, |_| {}).unwrap();
/// assert_eq!(read_sweep_dir(&out).unwrap(), ran);
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
pub fn read_sweep_dir(dir: &Path) -> Result<(Vec<SweepRow>, Vec<Baselines>), ReproduceError> {
    let rows = read_sweep(&dir.join(SWEEP_FILE))?;
    let mut baselines: Vec<Baselines> = Vec::new();
    for r in &rows {
        if !baselines.iter().any(|b| b.topics == r.topics) {
            baselines.push(read_baselines(dir, r.topics, &r.corpus)?);
        }
    }
    Ok((rows, baselines))
}

/// Which number of a [`Point`] a sweep chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// NPMI of the top-10 words.
    Npmi,
    /// TD of the top 25.
    Td,
}

/// A sweep's curves at `topics` topics: one series per recipe, the mean over its seeds at each
/// evaluation (the seeds' spread is in [`table`]), with the random floor (a band, NPMI only) and
/// each model baseline's value (a dashed line in a pattern of its own) from `baselines` when given.
/// Failed runs are left out.
///
/// ```
/// use gcatm::experiments::sweep::{chart, Measure, Point, SweepRow};
/// let row = |recipe: &str, seed, npmi| SweepRow {
///     recipe: recipe.into(), topics: 20, seed, entry: "11".into(), corpus: String::new(),
///     epochs: 10, wall_seconds: 60.0, median_epoch_seconds: 5.0, run_dir: "x".into(), error: None,
///     curve: vec![Point { epoch: 0, npmi: 0.05, td: 0.4 }, Point { epoch: 10, npmi, td: 0.5 }],
/// };
/// let rows = [row("log", 0, 0.10), row("log", 1, 0.14), row("ttur", 0, 0.2)];
/// let fig = chart(&rows, 20, Measure::Npmi, None).unwrap();
/// let log = &fig.chart().series[0];
/// assert_eq!(log.name, "log (2 seeds)");
/// assert!((log.points[1].1 - 0.12).abs() < 1e-12);
/// assert_eq!(fig.chart().series[1].name, "ttur (1 seed)");
/// ```
pub fn chart(
    rows: &[SweepRow],
    topics: usize,
    measure: Measure,
    baselines: Option<&Baselines>,
) -> Result<Figure, PlotError> {
    let (what, value): (&str, fn(&Point) -> f64) = match measure {
        Measure::Npmi => ("NPMI (top 10)", |p| p.npmi),
        Measure::Td => ("TD@25", |p| p.td),
    };
    let entry = rows.first().map_or("-", |r| r.entry.as_str());
    let mut chart = LineChart::new(format!(
        "sweep over entry {entry}'s settings, K = {topics}: {what}, mean over seeds"
    ))
    .x_label("epoch")
    .y_label(what)
    .markers(true)
    .legend(Legend::Below);
    if measure == Measure::Td {
        chart = chart.y_range(0.0, 1.0);
    }
    for ((_, name), group) in groups(rows).into_iter().filter(|((k, _), _)| *k == topics) {
        let mut sums: Vec<(usize, f64, usize)> = Vec::new();
        for p in group.iter().flat_map(|r| &r.curve) {
            match sums.iter_mut().find(|s| s.0 == p.epoch) {
                Some(s) => (s.1, s.2) = (s.1 + value(p), s.2 + 1),
                None => sums.push((p.epoch, value(p), 1)),
            }
        }
        sums.sort_by_key(|s| s.0);
        let seeds = match group.len() {
            1 => "1 seed".to_string(),
            n => format!("{n} seeds"),
        };
        chart = chart.series(
            format!("{name} ({seeds})"),
            sums.iter()
                .map(|&(e, sum, n)| (e as f64, sum / n as f64))
                .collect(),
        );
    }
    if let Some(b) = baselines {
        if measure == Measure::Npmi {
            chart = chart.band(
                "random",
                b.floor.mean - b.floor.std,
                b.floor.mean + b.floor.std,
            );
        }
        for m in b.models() {
            chart = match measure {
                Measure::Npmi => chart.reference(format!("{} {:.3}", m.name, m.npmi), m.npmi),
                Measure::Td => chart.reference(format!("{} {:.2}", m.name, m.td), m.td),
            };
        }
    }
    chart.build()
}

/// The finished rows grouped by K and recipe, in the order the pairs first appear: the groups of
/// [`table`], [`chart`] and [`goal_reading`].
fn groups(rows: &[SweepRow]) -> Vec<((usize, &str), Vec<&SweepRow>)> {
    let mut out: Vec<((usize, &str), Vec<&SweepRow>)> = Vec::new();
    for r in rows.iter().filter(|r| r.error.is_none()) {
        let key = (r.topics, r.recipe.as_str());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(r),
            None => out.push((key, vec![r])),
        }
    }
    out
}

/// What a sweep says about [`GOAL`], one line per K and recipe: how many seeds reached it (and
/// where), how many kept it to their last evaluation, and the highest NPMI of any seed.
///
/// ```
/// use gcatm::experiments::sweep::{goal_reading, Point, SweepRow};
/// let row = |seed, npmi, td| SweepRow {
///     recipe: "ttur".into(), topics: 20, seed, entry: "11".into(), corpus: String::new(),
///     epochs: 20, wall_seconds: 60.0, median_epoch_seconds: 5.0, run_dir: "x".into(), error: None,
///     curve: vec![Point { epoch: 10, npmi: 0.21, td: 0.7 }, Point { epoch: 20, npmi, td }],
/// };
/// let lines = goal_reading(&[row(0, 0.22, 0.65), row(1, 0.15, 0.65)]);
/// assert_eq!(lines, vec!["K = 20, ttur: 2 of 2 seeds reached NPMI ≥ 0.20 with TD@25 ≥ 0.6 \
///     (seed 0 at epoch 10, seed 1 at epoch 10), 1 kept it to the last evaluation; highest NPMI 0.220."]);
/// ```
pub fn goal_reading(rows: &[SweepRow]) -> Vec<String> {
    groups(rows)
        .into_iter()
        .map(|((k, name), group)| {
            let reached: Vec<String> = group
                .iter()
                .filter_map(|r| {
                    r.reached(GOAL)
                        .map(|p| format!("seed {} at epoch {}", r.seed, p.epoch))
                })
                .collect();
            let kept = group.iter().filter(|r| r.kept(GOAL)).count();
            let best = group
                .iter()
                .filter_map(|r| r.best())
                .map(|p| p.npmi)
                .fold(f64::NAN, f64::max);
            format!(
                "K = {k}, {name}: {} of {} seeds reached NPMI ≥ {:.2} with TD@25 ≥ {} ({}), {kept} \
                 kept it to the last evaluation; highest NPMI {best:.3}.",
                reached.len(),
                group.len(),
                GOAL.npmi,
                GOAL.td,
                match reached.is_empty() {
                    true => "none".to_string(),
                    false => reached.join(", "),
                },
            )
        })
        .collect()
}

fn mean_sd(values: &[f64]) -> String {
    if values.is_empty() {
        return "-".to_string();
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    if values.len() == 1 {
        return format!("{mean:.3}");
    }
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    format!("{mean:.3} ± {sd:.3}")
}

/// The comparison as a Markdown table: per K and recipe (in the rows' order), the mean ± standard
/// deviation over seeds of the best NPMI, TD@25 at that evaluation, the final NPMI and TD, and how
/// many seeds reached [`GOAL`] and kept it to the end; a line per K with the random floor and the
/// model baselines.
///
/// ```
/// use gcatm::experiments::sweep::{table, Point, SweepRow};
/// let row = |seed, npmi| SweepRow {
///     recipe: "log".into(), topics: 20, seed, entry: "11".into(), corpus: String::new(),
///     epochs: 10, wall_seconds: 60.0, median_epoch_seconds: 5.0, run_dir: "x".into(), error: None,
///     curve: vec![Point { epoch: 0, npmi: 0.05, td: 0.4 }, Point { epoch: 10, npmi, td: 0.5 }],
/// };
/// let t = table(&[row(0, 0.10), row(1, 0.14)], &[]);
/// assert!(t.contains("| 20 | log | 2 | 10 | 0.120 ± 0.028 |"));
/// ```
pub fn table(rows: &[SweepRow], baselines: &[Baselines]) -> String {
    let (header, cells) = table_cells(rows);
    let mut out = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in cells {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    for line in table_notes(rows, baselines) {
        out.push_str(&format!("\n{line}"));
    }
    out.push('\n');
    out
}

/// [`table`] as an HTML table for a notebook: the same rows, the baselines and any failed runs
/// in the sentence under it.
pub fn table_html(rows: &[SweepRow], baselines: &[Baselines]) -> crate::plot::HtmlTable {
    let (header, cells) = table_cells(rows);
    crate::plot::HtmlTable::new(&header, cells).note(table_notes(rows, baselines).join(" "))
}

/// The header and one row per (K, recipe) of [`table`].
fn table_cells(rows: &[SweepRow]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "K",
        "recipe",
        "seeds",
        "epochs",
        "best NPMI",
        "TD@25 at best",
        "final NPMI",
        "final TD@25",
        "reached NPMI ≥ 0.20 & TD ≥ 0.6 (kept)",
        "minutes",
    ];
    let mut cells = Vec::new();
    for ((k, name), group) in groups(rows) {
        let pick = |f: &dyn Fn(&SweepRow) -> Option<f64>| -> Vec<f64> {
            group.iter().filter_map(|r| f(r)).collect()
        };
        let epochs: Vec<String> = group.iter().map(|r| r.epochs.to_string()).collect();
        let mut epochs_shown = epochs.clone();
        epochs_shown.dedup();
        let reached = group.iter().filter(|r| r.reached(GOAL).is_some()).count();
        let kept = group.iter().filter(|r| r.kept(GOAL)).count();
        cells.push(vec![
            k.to_string(),
            name.to_string(),
            group.len().to_string(),
            epochs_shown.join("/"),
            mean_sd(&pick(&|r| r.best().map(|p| p.npmi))),
            mean_sd(&pick(&|r| r.best().map(|p| p.td))),
            mean_sd(&pick(&|r| r.last().map(|p| p.npmi))),
            mean_sd(&pick(&|r| r.last().map(|p| p.td))),
            format!("{reached} of {} ({kept})", group.len()),
            mean_sd(&pick(&|r| Some(r.wall_seconds / 60.0))),
        ]);
    }
    (header, cells)
}

/// The sentences under [`table`]: each K's baselines, then the failed runs.
fn table_notes(rows: &[SweepRow], baselines: &[Baselines]) -> Vec<String> {
    let mut out = Vec::new();
    for b in baselines {
        let models: Vec<String> = b
            .models()
            .iter()
            .map(|m| {
                format!(
                    "{} (seed 0) NPMI {:.3}, TD@25 {:.3} ({:.0} s)",
                    m.name, m.npmi, m.td, m.seconds
                )
            })
            .collect();
        out.push(format!(
            "K = {}: random 10-word topics NPMI {:.3} ± {:.3}; {}.",
            b.topics,
            b.floor.mean,
            b.floor.std,
            models.join("; ")
        ));
    }
    let failed: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            r.error
                .as_ref()
                .map(|e| format!("{}: {e}", r.run_dir.display()))
        })
        .collect();
    if !failed.is_empty() {
        out.push(format!("\nFailed: {}", failed.join("; ")));
    }
    out
}

/// A reading of a recipe's run beside the log's setting on the same entry, computed from their
/// histories and the baselines: best NPMI with TD@25 there, the last evaluation, and whether and
/// when each reached [`GOAL`] and kept it. One sentence per line.
///
/// ```
/// use gcatm::experiments::reproduce::Baselines;
/// use gcatm::experiments::sweep::recipe_reading;
/// use gcatm::eval::{Floor, FloorOptions};
/// use gcatm::train::{EpochRecord, History};
/// let rec = |epoch, npmi, td| EpochRecord {
///     epoch,
///     metrics: [("npmi".to_string(), npmi), ("td".to_string(), td)].into_iter().collect(),
///     ..Default::default()
/// };
/// let h = |v: &[(usize, f64, f64)]| History { iterations: vec![], epochs: v.iter().map(|&(e, n, t)| rec(e, n, t)).collect() };
/// let log = h(&[(0, 0.05, 0.4), (10, 0.13, 0.3), (20, 0.12, 0.15)]);
/// let ours = h(&[(0, 0.05, 0.4), (10, 0.21, 0.65), (20, 0.18, 0.62)]);
/// let b = Baselines {
///     topics: 20,
///     floor: Floor { mean: 0.055, std: 0.01, options: FloorOptions::new(20) },
///     lda_npmi: 0.20, lda_td: 0.67, lda_seconds: 30.0, prodlda: None, gibbs: None,
/// };
/// let text = recipe_reading(&log, &ours, "ttur", &b).join("\n");
/// assert!(text.contains("ttur: best NPMI 0.210 at epoch 10 (TD@25 0.65 there)"));
/// assert!(text.contains("ttur reached NPMI ≥ 0.20 with TD@25 ≥ 0.6 at epoch 10 and lost it by epoch 20"));
/// assert!(text.contains("the log's setting never reached"));
/// ```
pub fn recipe_reading(
    log: &History,
    recipe: &History,
    name: &str,
    baselines: &Baselines,
) -> Vec<String> {
    let mut out = Vec::new();
    let runs = [("the log's setting", curve(log)), (name, curve(recipe))];
    for (who, c) in &runs {
        let (Some(best), Some(last)) = (best_of(c), c.last()) else {
            out.push(format!("{who}: not evaluated."));
            continue;
        };
        out.push(format!(
            "{who}: best NPMI {:.3} at epoch {} (TD@25 {:.2} there); at the last evaluation \
             (epoch {}) NPMI {:.3}, TD@25 {:.2}.",
            best.npmi, best.epoch, best.td, last.epoch, last.npmi, last.td
        ));
    }
    out.push(baselines.sentence());
    for (who, c) in &runs {
        out.push(match lost_after(c, GOAL) {
            None => format!(
                "{who} never reached NPMI ≥ {:.2} with TD@25 ≥ {} at an evaluation.",
                GOAL.npmi, GOAL.td
            ),
            Some((first, None)) => format!(
                "{who} reached NPMI ≥ {:.2} with TD@25 ≥ {} at epoch {} and kept it to the \
                 last evaluation.",
                GOAL.npmi, GOAL.td, first.epoch
            ),
            Some((first, Some(lost))) => format!(
                "{who} reached NPMI ≥ {:.2} with TD@25 ≥ {} at epoch {} and lost it by epoch \
                 {} (NPMI {:.3}, TD@25 {:.2}).",
                GOAL.npmi, GOAL.td, first.epoch, lost.epoch, lost.npmi, lost.td
            ),
        });
    }
    out
}
