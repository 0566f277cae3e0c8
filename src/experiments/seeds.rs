//! Three seeds behind every comparison: an entry trained at seeds 0, 1 and 2 ([`run_seeds`]),
//! each run's evidence kept in `<out>/<label>/seed<S>/` (configuration, history, metrics,
//! topics, provenance: the checkpoints are not needed to read a finished run back), their
//! spread ([`SeedSummary`]), an HTML results table ([`results_table`]) and the verdicts on the
//! log's questions by Welch's t-test ([`sibling_verdicts`]).
use super::reproduce::{
    self, read_config, read_history, run_config, Baselines, Data, EntryRun, Origin, ReproduceError,
    SummaryRow,
};
use super::stats::{verdict, Spread};
use super::{Budget, Entry};
use crate::eval::Evaluator;
use crate::plot::HtmlTable;
use crate::train::{EpochRecord, History, RunFolder, RunSummary, TrainConfig};
use std::path::{Path, PathBuf};

/// The seeds of every entry's comparison.
pub const SEEDS: [u64; 3] = [0, 1, 2];

/// One seed's finished run of an entry: its row, history and final metrics (the networks are not
/// kept: everything a notebook draws of a finished run is here).
#[derive(Debug, Clone)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// Where its evidence is.
    pub dir: PathBuf,
    /// Its results.
    pub row: SummaryRow,
    /// Its history (epochs, with the metrics of every evaluation).
    pub history: History,
    /// Its final metrics (`metrics.json`: the final networks' topics and each topic's NPMI).
    pub summary: RunSummary,
    /// Trained by this call, continued, or read back finished.
    pub origin: Origin,
}

/// `out/<label>/seed<S>`: the folder of `entry`'s run at `seed`.
///
/// ```
/// let e = gcatm::experiments::entry("7").unwrap();
/// let d = gcatm::experiments::seeds::seed_dir(std::path::Path::new("seeds/cpu"), e, 2);
/// assert_eq!(d, std::path::Path::new("seeds/cpu/7/seed2"));
/// ```
pub fn seed_dir(out: &Path, entry: &Entry, seed: u64) -> PathBuf {
    out.join(entry.label).join(format!("seed{seed}"))
}

/// `entry`'s configuration at `budget` with `seed`.
pub fn seed_config(entry: &Entry, budget: Budget, seed: u64) -> TrainConfig {
    TrainConfig {
        seed,
        ..entry.config(budget)
    }
}

/// The finished run in `dir` if it is one of `config` (same configuration, evaluated at its last
/// epoch); `None` when the folder holds no finished run of it.
fn read_finished(
    entry: &Entry,
    budget: Budget,
    config: &TrainConfig,
    corpus: &str,
    dir: &Path,
) -> Result<Option<SeedRun>, ReproduceError> {
    let folder = RunFolder::new(dir);
    if !folder.config().is_file() || !folder.metrics().is_file() {
        return Ok(None);
    }
    if read_config(dir)? != *config {
        return Ok(None);
    }
    let summary: RunSummary = reproduce::read_json(&folder.metrics())?;
    let history = read_history(dir)?;
    let finished = summary.final_evaluation.is_some()
        && summary.epochs == config.epochs
        && history
            .epochs
            .last()
            .is_some_and(|r| r.epoch == config.epochs);
    if !finished {
        return Ok(None);
    }
    let row = SummaryRow::new(entry, budget, dir, corpus).with_results(&summary, &history);
    Ok(Some(SeedRun {
        seed: config.seed,
        dir: dir.to_path_buf(),
        row,
        history,
        summary,
        origin: Origin::Reused,
    }))
}

/// Trains `entry` at `budget` with `seed` into [`seed_dir`] — or reads it back when the folder
/// holds the finished run of that configuration (from its evidence alone: a shipped folder has
/// no checkpoint), or continues it from its checkpoint when interrupted.
pub fn run_seed<F>(
    entry: &Entry,
    budget: Budget,
    seed: u64,
    data: &Data,
    evaluator: &Evaluator,
    out: &Path,
    on_epoch: F,
) -> Result<SeedRun, ReproduceError>
where
    F: FnMut(&EpochRecord),
{
    let dir = seed_dir(out, entry, seed);
    let config = seed_config(entry, budget, seed);
    if let Some(done) = read_finished(entry, budget, &config, &data.description, &dir)? {
        return Ok(done);
    }
    let run = run_config(&config, data, evaluator, &dir, || true, on_epoch)?;
    let history = run.trainer.history().clone();
    let row = SummaryRow::new(entry, budget, &dir, &data.description)
        .with_results(&run.summary, &history);
    Ok(SeedRun {
        seed,
        dir,
        row,
        history,
        summary: run.summary,
        origin: run.origin,
    })
}

/// Keeps the evidence of `run` (a notebook's own run of the entry, [`reproduce::run_entry`]) in
/// its [`seed_dir`] under `out`: its configuration, history, metrics, topics and provenance are
/// copied there (atomically), unless the folder already holds the same history.
pub fn record_seed(run: &EntryRun, out: &Path) -> Result<SeedRun, ReproduceError> {
    let seed = run.trainer.config().seed;
    let dir = seed_dir(out, &run.entry, seed);
    let (from, to) = (RunFolder::new(&run.dir), RunFolder::new(&dir));
    let same = |a: &Path, b: &Path| match (std::fs::read(a), std::fs::read(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    if !same(&from.history(), &to.history()) || !same(&from.metrics(), &to.metrics()) {
        std::fs::create_dir_all(&dir).map_err(|e| ReproduceError::file(&dir, e))?;
        for (a, b) in [
            (from.config(), to.config()),
            (from.history(), to.history()),
            (from.metrics(), to.metrics()),
            (from.topics(), to.topics()),
            (from.provenance(), to.provenance()),
        ] {
            if a.is_file() {
                let bytes = std::fs::read(&a).map_err(|e| ReproduceError::file(&a, e))?;
                crate::train::write_atomic(&b, &bytes)?;
            }
        }
    }
    let mut row = run.row.clone();
    row.run_dir = dir.clone();
    Ok(SeedRun {
        seed,
        dir,
        row,
        history: run.history().clone(),
        summary: run.summary.clone(),
        origin: run.origin,
    })
}

/// `entry` at every seed of `seeds`: `first` (the notebook's own run, when given) is recorded
/// as its seed ([`record_seed`]), the others trained or read back ([`run_seed`]). In seed order.
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::{load_data, Origin};
/// use gcatm::experiments::seeds::run_seeds;
/// let out = std::env::temp_dir().join(format!("gcatm-doc-seeds-{}", std::process::id()));
/// let data = load_data(Budget::Smoke, None).unwrap();
/// let evaluator = data.evaluator().unwrap();
/// let e = entry("3").unwrap();
/// let runs = run_seeds(e, Budget::Smoke, &data, &evaluator, &out, None, &[0, 1], |_, _| {}).unwrap();
/// assert_eq!((runs[0].seed, runs[1].seed, runs[1].origin), (0, 1, Origin::Trained));
/// // Read back from the evidence: the same numbers.
/// let again = run_seeds(e, Budget::Smoke, &data, &evaluator, &out, None, &[0, 1], |_, _| {}).unwrap();
/// assert_eq!(again[1].origin, Origin::Reused);
/// assert_eq!(again[1].row.best_npmi, runs[1].row.best_npmi);
/// # std::fs::remove_dir_all(&out).unwrap();
/// ```
#[allow(clippy::too_many_arguments)]
pub fn run_seeds<F>(
    entry: &Entry,
    budget: Budget,
    data: &Data,
    evaluator: &Evaluator,
    out: &Path,
    first: Option<&EntryRun>,
    seeds: &[u64],
    mut on_epoch: F,
) -> Result<Vec<SeedRun>, ReproduceError>
where
    F: FnMut(u64, &EpochRecord),
{
    seeds
        .iter()
        .map(|&seed| match first {
            Some(run) if run.trainer.config().seed == seed && run.entry.label == entry.label => {
                record_seed(run, out)
            }
            _ => run_seed(entry, budget, seed, data, evaluator, out, |r| {
                on_epoch(seed, r)
            }),
        })
        .collect()
}

/// Reads the finished seed runs of `entry` at `budget` from `out` without training: the seeds
/// whose folder holds a finished run of their configuration (the others are left out).
pub fn read_seeds(
    entry: &Entry,
    budget: Budget,
    corpus: &str,
    out: &Path,
    seeds: &[u64],
) -> Result<Vec<SeedRun>, ReproduceError> {
    let mut runs = Vec::new();
    for &seed in seeds {
        let config = seed_config(entry, budget, seed);
        if let Some(r) = read_finished(entry, budget, &config, corpus, &seed_dir(out, entry, seed))?
        {
            runs.push(r);
        }
    }
    Ok(runs)
}

/// Every reported measure of an entry's runs, over its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedSummary {
    /// The entry's label.
    pub entry: String,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Best NPMI over the evaluations.
    pub best_npmi: Spread,
    /// NPMI of the final networks.
    pub final_npmi: Spread,
    /// TD@25 of the final networks.
    pub td: Spread,
    /// C_V of the final networks.
    pub cv: Spread,
    /// Purity of the test documents' clusters.
    pub purity: Spread,
    /// NMI of the same clustering.
    pub nmi: Spread,
    /// Wall seconds of a run.
    pub wall_seconds: Spread,
}

impl SeedSummary {
    /// The spread of each measure over `runs`.
    pub fn of(runs: &[SeedRun]) -> SeedSummary {
        let rows: Vec<&SummaryRow> = runs.iter().map(|r| &r.row).collect();
        SeedSummary::of_rows(&rows, runs.iter().map(|r| r.seed).collect())
    }

    fn of_rows(rows: &[&SummaryRow], seeds: Vec<u64>) -> SeedSummary {
        let spread = |f: fn(&SummaryRow) -> Option<f64>| {
            Spread::of(&rows.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
        };
        SeedSummary {
            entry: rows.first().map_or(String::new(), |r| r.entry.clone()),
            seeds,
            best_npmi: spread(|r| r.best_npmi),
            final_npmi: spread(|r| r.final_npmi),
            td: spread(|r| r.td),
            cv: spread(|r| r.cv),
            purity: spread(|r| r.purity),
            nmi: spread(|r| r.nmi),
            wall_seconds: spread(|r| Some(r.wall_seconds)),
        }
    }
}

/// `0, 1 and 2`.
fn seed_list(seeds: &[u64]) -> String {
    let s: Vec<String> = seeds.iter().map(u64::to_string).collect();
    match s.split_last() {
        None => "no seed".into(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Where `value` (mean ± sd over seeds) stands against `bar`: above or below it by more than a
/// standard deviation, or within one.
fn against(s: &Spread, bar: f64) -> &'static str {
    if s.mean - s.sd > bar {
        "above"
    } else if s.mean + s.sd < bar {
        "below"
    } else {
        "within one standard deviation of"
    }
}

/// One sentence on `s` (a measure over seeds) against every model baseline's value of it.
fn beside(what: &str, s: &Spread, decimals: usize, bars: &[(String, f64)]) -> String {
    let mut groups: Vec<(&str, Vec<String>)> = Vec::new();
    for (name, v) in bars {
        let side = against(s, *v);
        let item = format!("{name} {v:.decimals$}");
        match groups.iter_mut().find(|g| g.0 == side) {
            Some(g) => g.1.push(item),
            None => groups.push((side, vec![item])),
        }
    }
    let parts: Vec<String> = groups
        .into_iter()
        .map(|(side, items)| format!("{side} {}", items.join(", ")))
        .collect();
    format!("{what} {}: {}", s.format(decimals), parts.join("; "))
}

/// The verdict sentence of an entry's results table: its best NPMI and final TD@25 over the
/// seeds, placed above, below or within one standard deviation of each model baseline, and its
/// best NPMI against the random floor.
///
/// ```
/// use gcatm::experiments::seeds::results_verdict;
/// use gcatm::experiments::stats::Spread;
/// let bars = vec![("ProdLDA".to_string(), (0.25, 0.55))];
/// let v = results_verdict(&[0, 1, 2], &Spread::of(&[0.14, 0.15, 0.13]), &Spread::of(&[0.5, 0.6, 0.55]), (0.03, 0.01), &bars);
/// assert_eq!(v, "Over seeds 0, 1 and 2: best NPMI 0.140 ± 0.010: below ProdLDA 0.250; final TD@25 0.55 ± 0.05: within one standard deviation of ProdLDA 0.55. The best NPMI is above the random floor (0.030 ± 0.010).");
/// ```
pub fn results_verdict(
    seeds: &[u64],
    best_npmi: &Spread,
    td: &Spread,
    floor: (f64, f64),
    baselines: &[(String, (f64, f64))],
) -> String {
    let npmi: Vec<(String, f64)> = baselines.iter().map(|(n, v)| (n.clone(), v.0)).collect();
    let tds: Vec<(String, f64)> = baselines.iter().map(|(n, v)| (n.clone(), v.1)).collect();
    let floor_side = if best_npmi.mean - best_npmi.sd > floor.0 + floor.1 {
        "above"
    } else if best_npmi.mean + best_npmi.sd < floor.0 - floor.1 {
        "below"
    } else {
        "not clearly apart from"
    };
    format!(
        "Over seeds {}: {}; {}. The best NPMI is {floor_side} the random floor ({:.3} ± {:.3}).",
        seed_list(seeds),
        beside("best NPMI", best_npmi, 3, &npmi),
        beside("final TD@25", td, 2, &tds),
        floor.0,
        floor.1
    )
}

/// An entry's results over its seeds as one HTML table: mean ± sd of best and final NPMI,
/// TD@25, C_V, purity, NMI and wall time, then each seed's row, each model baseline, the random
/// floor and the log's own number where it has one; the verdict sentence
/// ([`results_verdict`]) under it.
pub fn results_table(
    runs: &[SeedRun],
    baselines: &Baselines,
    reported_npmi: Option<f64>,
) -> HtmlTable {
    let s = SeedSummary::of(runs);
    let label = &s.entry;
    let f = |v: Option<f64>, d: usize| v.map_or("–".to_string(), |v| format!("{v:.d$}"));
    let mut rows = vec![vec![
        format!("entry {label}, mean ± sd over {} seeds", runs.len()),
        s.best_npmi.format(3),
        s.final_npmi.format(3),
        s.td.format(3),
        s.cv.format(3),
        s.purity.format(3),
        s.nmi.format(3),
        s.wall_seconds.format(0),
    ]];
    for r in runs {
        let x = &r.row;
        rows.push(vec![
            format!(
                "  seed {} (best at epoch {})",
                r.seed,
                x.best_epoch.map_or("–".into(), |e| e.to_string())
            ),
            f(x.best_npmi, 4),
            f(x.final_npmi, 4),
            f(x.td, 3),
            f(x.cv, 3),
            f(x.purity, 3),
            f(x.nmi, 3),
            format!("{:.0}", x.wall_seconds),
        ]);
    }
    for m in baselines.models() {
        rows.push(vec![
            format!("{} (seed 0)", m.name),
            "–".into(),
            format!("{:.4}", m.npmi),
            format!("{:.3}", m.td),
            "–".into(),
            "–".into(),
            "–".into(),
            format!("{:.0}", m.seconds),
        ]);
    }
    rows.push(vec![
        "random 10-word topics (20 draws)".into(),
        "–".into(),
        format!("{:.4} ± {:.4}", baselines.floor.mean, baselines.floor.std),
        "–".into(),
        "–".into(),
        "–".into(),
        "–".into(),
        "–".into(),
    ]);
    if let Some(v) = reported_npmi {
        rows.push(vec![
            "the log's maximum (measure not named: another scale)".into(),
            format!("{v}"),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
            "–".into(),
        ]);
    }
    let verdict = results_verdict(
        &s.seeds,
        &s.best_npmi,
        &s.td,
        (baselines.floor.mean, baselines.floor.std),
        &baselines.lines(|m| (m.npmi, m.td)),
    );
    HtmlTable::new(
        &[
            "",
            "best NPMI",
            "final NPMI",
            "TD@25",
            "C_V",
            "purity",
            "NMI",
            "wall s",
        ],
        rows,
    )
    .note(verdict)
}

/// The one setting in which rows `a` and `b` differ — of the variant, K, batch size, the
/// generator's learning rate, the learning rate and the temperature — as `(what, a's, b's)`;
/// `None` when they differ in none or in several. A learning rate that moves the generator's with
/// it (entry 12) is one change, "every learning rate".
pub fn one_difference(a: &SummaryRow, b: &SummaryRow) -> Option<(&'static str, String, String)> {
    let diffs: Vec<(&str, String, String)> = [
        ("the variant", a.variant.clone(), b.variant.clone()),
        ("K", a.topics.to_string(), b.topics.to_string()),
        (
            "the batch size",
            a.batch_size.to_string(),
            b.batch_size.to_string(),
        ),
        (
            "the generator's learning rate",
            format!("{:e}", a.generator_lr),
            format!("{:e}", b.generator_lr),
        ),
        (
            "the learning rate",
            format!("{:e}", a.lr),
            format!("{:e}", b.lr),
        ),
        (
            "the temperature",
            a.temperature.to_string(),
            b.temperature.to_string(),
        ),
    ]
    .into_iter()
    .filter(|(_, x, y)| x != y)
    .collect();
    match &diffs[..] {
        [(what, x, y)] => Some((what, x.clone(), y.clone())),
        [(g, _, _), (l, x, y)]
            if *g == "the generator's learning rate" && *l == "the learning rate" =>
        {
            Some(("every learning rate", x.clone(), y.clone()))
        }
        _ => None,
    }
}

/// One sentence per pair of entries whose settings differ in exactly one ([`one_difference`]):
/// best NPMI and final TD@25 of each over its seeds, each with the verdict of Welch's t-test
/// ([`crate::experiments::stats::verdict`], two-sided, α = 0.05) on the first entry against the
/// second. `groups` holds each entry's seed rows.
///
/// ```
/// use gcatm::experiments::{entry, Budget};
/// use gcatm::experiments::reproduce::SummaryRow;
/// use gcatm::experiments::seeds::sibling_verdicts;
/// let row = |label: &str, best: f64, td: f64| {
///     let mut r = SummaryRow::new(entry(label).unwrap(), Budget::Cpu, std::path::Path::new("x"), "c");
///     (r.best_npmi, r.td) = (Some(best), Some(td));
///     r
/// };
/// let six = vec![row("6", 0.140, 0.50), row("6", 0.151, 0.52), row("6", 0.133, 0.51)];
/// let seven = vec![row("7", 0.142, 0.40), row("7", 0.129, 0.41), row("7", 0.160, 0.42)];
/// let lines = sibling_verdicts(&[six, seven]);
/// assert_eq!(lines.len(), 1);
/// assert!(lines[0].starts_with("Entries 6 and 7 differ only in the variant (hard vs mean): best NPMI 0.141 ± 0.009 vs 0.144 ± 0.016, within the seeds' spread (Welch's t-test, p = 0.84)"), "{}", lines[0]);
/// assert!(lines[0].contains("final TD@25 0.51 ± 0.01 vs 0.41 ± 0.01, entry 6's higher (Welch's t-test, p < 0.001)"), "{}", lines[0]);
/// ```
pub fn sibling_verdicts(groups: &[Vec<SummaryRow>]) -> Vec<String> {
    let mut out = Vec::new();
    let values = |rows: &[SummaryRow], f: fn(&SummaryRow) -> Option<f64>| -> Vec<f64> {
        rows.iter().filter_map(f).collect()
    };
    for (i, a) in groups.iter().enumerate() {
        for b in &groups[i + 1..] {
            let (Some(ra), Some(rb)) = (a.first(), b.first()) else {
                continue;
            };
            let Some((what, x, y)) = one_difference(ra, rb) else {
                continue;
            };
            let part = |name: &str, f: fn(&SummaryRow) -> Option<f64>, d: usize| {
                let (va, vb) = (values(a, f), values(b, f));
                let v = verdict(&va, &vb);
                let v = if v.starts_with("higher") || v.starts_with("lower") {
                    format!("entry {}'s {v}", ra.entry)
                } else {
                    v
                };
                format!(
                    "{name} {} vs {}, {v}",
                    Spread::of(&va).format(d),
                    Spread::of(&vb).format(d)
                )
            };
            out.push(format!(
                "Entries {} and {} differ only in {what} ({x} vs {y}): {}; {}.",
                ra.entry,
                rb.entry,
                part("best NPMI", |r| r.best_npmi, 3),
                part("final TD@25", |r| r.td, 2)
            ));
        }
    }
    out
}

/// Per evaluated epoch, each run's value of `metric`: the curves [`crate::plot::seeds_vs_baselines`]
/// draws as a mean with a band.
pub fn curves(runs: &[SeedRun], metric: &str) -> Vec<Vec<(f64, f64)>> {
    runs.iter().map(|r| r.history.curve(metric)).collect()
}

/// Every entry over its seeds as one HTML table: its settings, best and final NPMI, final TD@25
/// and wall time (mean ± sd), and the NPMI and TD@25 of the model baseline with the highest NPMI
/// at its K (which model: [`baselines_table`]). The
/// sentence under it says how many entries' mean best NPMI reach the strongest baseline's.
/// `groups` holds each entry's seed rows, `baselines` the baselines of each K.
pub fn summary_table(
    groups: &[Vec<SummaryRow>],
    baselines: &std::collections::BTreeMap<usize, Baselines>,
) -> HtmlTable {
    let mut rows = Vec::new();
    let mut reached = 0;
    for g in groups {
        let Some(first) = g.first() else { continue };
        let refs: Vec<&SummaryRow> = g.iter().collect();
        let s = SeedSummary::of_rows(&refs, Vec::new());
        let strongest = baselines
            .get(&first.topics)
            .and_then(|b| b.strongest(|m| m.npmi));
        if let Some(b) = &strongest {
            if s.best_npmi.mean >= b.npmi {
                reached += 1;
            }
        }
        rows.push(vec![
            first.entry.clone(),
            first.variant.clone(),
            first.topics.to_string(),
            format!("{:.0e}", first.generator_lr),
            first.temperature.to_string(),
            first.batch_size.to_string(),
            g.len().to_string(),
            s.best_npmi.format(3),
            s.final_npmi.format(3),
            s.td.format(2),
            strongest
                .as_ref()
                .map_or("–".into(), |b| format!("{:.3} / {:.2}", b.npmi, b.td)),
            s.wall_seconds.format(0),
        ]);
    }
    let note = format!(
        "{reached} of {} entries reach the strongest model baseline's NPMI at their K with their mean best NPMI over the seeds.",
        rows.len()
    );
    HtmlTable::new(
        &[
            "entry",
            "variant",
            "K",
            "generator lr",
            "τ",
            "batch",
            "seeds",
            "best NPMI",
            "final NPMI",
            "final TD@25",
            "strongest baseline: NPMI / TD@25",
            "wall s",
        ],
        rows,
    )
    .note(note)
}

/// The baselines of every K as one HTML table: the random floor, then each model's NPMI, TD@25
/// and fit time.
pub fn baselines_table(baselines: &std::collections::BTreeMap<usize, Baselines>) -> HtmlTable {
    let mut rows = Vec::new();
    for (k, b) in baselines {
        rows.push(vec![
            k.to_string(),
            "random 10-word topics (20 draws)".into(),
            format!("{:.4} ± {:.4}", b.floor.mean, b.floor.std),
            "–".into(),
            "–".into(),
        ]);
        for m in b.models() {
            rows.push(vec![
                k.to_string(),
                m.name.clone(),
                format!("{:.4}", m.npmi),
                format!("{:.3}", m.td),
                format!("{:.0}", m.seconds),
            ]);
        }
    }
    HtmlTable::new(&["K", "baseline (seed 0)", "NPMI", "TD@25", "fit s"], rows)
}

/// Every entry's seed rows, and the baselines of each K: what [`read_evidence`] reads.
pub type Evidence = (
    Vec<Vec<SummaryRow>>,
    std::collections::BTreeMap<usize, Baselines>,
);

/// What `out` (e.g. the shipped `notebooks/seeds/cpu`) holds for `budget`: every entry's finished
/// seeds ([`read_seeds`], in [`super::reproduce::all_entries`] order, entries without any left
/// out) and the baselines kept beside them (`out/baselines-k<K>.json`, for `corpus`).
pub fn read_evidence(budget: Budget, corpus: &str, out: &Path) -> Result<Evidence, ReproduceError> {
    let mut groups = Vec::new();
    let mut baselines = std::collections::BTreeMap::new();
    for e in reproduce::all_entries() {
        let runs = read_seeds(e, budget, corpus, out, &SEEDS)?;
        if runs.is_empty() {
            continue;
        }
        if let std::collections::btree_map::Entry::Vacant(slot) = baselines.entry(e.topics) {
            slot.insert(reproduce::read_baselines(out, e.topics, corpus)?);
        }
        groups.push(runs.into_iter().map(|r| r.row).collect());
    }
    Ok((groups, baselines))
}

/// Best NPMI against K over the seeds: the log's two sections (entries 2–6 and 7–11, τ = 0.5) as
/// the mean over each entry's seeds with a ± sd band, entry 1 (τ = 0.1) as its own point, and
/// each model baseline and the random floor as a line over the same K.
pub fn chart_by_topics(
    groups: &[Vec<SummaryRow>],
    baselines: &std::collections::BTreeMap<usize, Baselines>,
    title: &str,
) -> Result<crate::plot::Figure, crate::plot::PlotError> {
    let line = |labels: &[&str]| {
        let mut pts: Vec<(f64, f64, f64, f64)> = groups
            .iter()
            .filter(|g| {
                g.first()
                    .is_some_and(|r| labels.contains(&r.entry.as_str()))
            })
            .map(|g| {
                let s = Spread::of(&g.iter().filter_map(|r| r.best_npmi).collect::<Vec<_>>());
                (g[0].topics as f64, s.mean, s.mean - s.sd, s.mean + s.sd)
            })
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        (
            pts.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
            pts.iter().map(|p| (p.0, p.2, p.3)).collect::<Vec<_>>(),
        )
    };
    let mut chart = crate::plot::LineChart::new(title)
        .x_label("number of topics K")
        .y_label("best NPMI (mean ± sd of the seeds)")
        .markers(true)
        .legend(crate::plot::Legend::Below);
    for (name, labels) in [
        (
            "section 1, hard label (2-6)",
            &["2", "3", "4", "5", "6"][..],
        ),
        (
            "section 2, mean label (7-11)",
            &["7", "8", "9", "10", "11"][..],
        ),
        ("entry 1 (hard, tau 0.1)", &["1"][..]),
    ] {
        let (mean, band) = line(labels);
        chart = chart.series_with_band(name, mean, band);
    }
    let names: Vec<String> = baselines.values().next().map_or(Vec::new(), |b| {
        b.models().into_iter().map(|m| m.name).collect()
    });
    for (i, name) in names.iter().enumerate() {
        let pts: Vec<(f64, f64)> = baselines
            .iter()
            .filter_map(|(k, b)| b.models().get(i).map(|m| (*k as f64, m.npmi)))
            .collect();
        chart = chart.series(name.clone(), pts);
    }
    chart
        .series(
            "random 10-word topics",
            baselines
                .iter()
                .map(|(k, b)| (*k as f64, b.floor.mean))
                .collect(),
        )
        .build()
}

/// The README's results, from [`read_evidence`]: every entry over its seeds ([`summary_table`])
/// and the baselines of each K ([`baselines_table`]) as Markdown, one after the other. A test
/// checks that the README carries exactly this text for the shipped evidence.
///
/// ```
/// use gcatm::experiments::seeds::results_markdown;
/// let md = results_markdown(&(Vec::new(), Default::default()));
/// assert!(md.starts_with("| entry | variant | K |"));
/// assert!(md.contains("| K | baseline (seed 0) | NPMI | TD@25 | fit s |"));
/// ```
pub fn results_markdown(evidence: &Evidence) -> String {
    let (groups, baselines) = evidence;
    format!(
        "{}\n{}",
        summary_table(groups, baselines).to_markdown(),
        baselines_table(baselines).to_markdown()
    )
}
