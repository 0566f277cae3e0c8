//! `gcatm train`: train a model and write a run folder (or continue one with `--resume`).
use super::common::{epoch_line, read_json, Eta};
use anyhow::Context;
use gcatm::corpus::InputTransform;
use gcatm::corpus::{CorpusSource, LoadedCorpus as Loaded};
use gcatm::eval::{Evaluator, Measures};
use gcatm::experiments::{entry, Budget};
use gcatm::train::{
    load_checkpoint, train_to_folder, write_json, Backend, CriticConstraint, EpochRecord,
    LockedRunFolder, RunFolder, TrainConfig, TrainError, Trainer, Variant,
};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Arguments of `gcatm train`.
#[derive(clap::Args)]
pub struct TrainArgs {
    /// A TrainConfig JSON file; the flags below override its values.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Start from the settings of this log entry (1..12, 9b or its time stamp; see `gcatm log
    /// list`) at the cpu budget's network size, evaluated every 10 epochs; the flags below
    /// override them.
    #[arg(long, conflicts_with = "config")]
    entry: Option<String>,
    /// Number of topics K.
    #[arg(long)]
    topics: Option<usize>,
    /// Epochs in total (with --resume: train up to this many).
    #[arg(long)]
    epochs: Option<usize>,
    /// Contrastive variant: bat, hard, mean or word.
    #[arg(long)]
    variant: Option<Variant>,
    /// InfoNCE temperature.
    #[arg(long)]
    temperature: Option<f64>,
    /// Generator learning-rate scale (0.01 is the log's lr/100).
    #[arg(long)]
    g_lr_scale: Option<f64>,
    /// Departs from the log: the critic's learning rate is lr times this (two time-scale
    /// updates; 1 is the log's).
    #[arg(long)]
    critic_lr_scale: Option<f64>,
    /// Departs from the log: weight InfoNCE at every generator step by the ratio of the two terms'
    /// gradient norms at the generator's first layer (the log author's later remedy).
    #[arg(long)]
    balance_contrastive: bool,
    /// Departs from the log: keep the critic Lipschitz by a spectral-norm projection instead of
    /// weight clipping (clip, the log's, or spectral).
    #[arg(long)]
    critic_constraint: Option<CriticConstraint>,
    /// Departs from the log: apply a recipe of `gcatm sweep` (balance, spectral, ttur,
    /// spectral-ttur, all; the best found is `gcatm::experiments::sweep::PRESET`) before the
    /// flags below.
    #[arg(long)]
    preset: Option<String>,
    /// Documents per batch.
    #[arg(long)]
    batch_size: Option<usize>,
    /// What the networks see of a document before L1: tfidf (the log's, default) or counts.
    #[arg(long)]
    input: Option<InputTransform>,
    /// Evaluate every N epochs (0: only at the end).
    #[arg(long)]
    eval_every: Option<usize>,
    /// Corpus folder (default: 20ng-1883 from the data folder, else the built-in planted corpus).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Restrict the corpus to this vocabulary (vocab.pkl or vocab.txt).
    #[arg(long)]
    restrict_vocab: Option<PathBuf>,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long)]
    device: Option<String>,
    /// How passes and gradients are computed: fused (hand-fused CPU passes, the CPU's default) or
    /// autograd (candle's graph, what a GPU runs; selectable on the CPU).
    #[arg(long)]
    backend: Option<Backend>,
    /// Random seed.
    #[arg(long)]
    seed: Option<u64>,
    /// The run folder.
    #[arg(long, default_value = "runs/train")]
    out: PathBuf,
    /// Continue the run in this folder.
    #[arg(long, conflicts_with_all = ["config", "entry", "topics", "variant", "temperature", "g_lr_scale", "critic_lr_scale", "balance_contrastive", "critic_constraint", "preset", "batch_size", "input", "corpus", "restrict_vocab", "seed", "out", "backend"])]
    resume: Option<PathBuf>,
}

impl TrainArgs {
    /// The run's configuration: the config file or log entry, else the defaults (with K = the
    /// number of planted topics when training on the planted corpus), then the flags.
    fn config(&self, loaded: &Loaded) -> anyhow::Result<TrainConfig> {
        let mut c: TrainConfig = match (&self.config, &self.entry) {
            (Some(p), _) => read_json(p)?,
            (None, Some(id)) => {
                let e = entry(id)
                    .ok_or_else(|| anyhow::anyhow!("no log entry `{id}` (see `gcatm log list`)"))?;
                TrainConfig {
                    eval_every: 10,
                    ..e.config(Budget::Cpu)
                }
            }
            (None, None) => match &loaded.planted {
                Some(p) => TrainConfig {
                    topics: p.topics.len(),
                    ..TrainConfig::default()
                },
                None => TrainConfig::default(),
            },
        };
        if let Some(name) = &self.preset {
            c = gcatm::experiments::sweep::find_recipe(name)?.apply(c);
        }
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f.clone() { c.$f = v; })* };
        }
        set!(
            topics,
            epochs,
            variant,
            temperature,
            g_lr_scale,
            critic_lr_scale,
            critic_constraint,
            batch_size,
            input,
            eval_every,
            device,
            seed
        );
        if self.backend.is_some() {
            c.backend = self.backend;
        }
        if self.balance_contrastive {
            c.balance_contrastive = true;
        }
        c.validate()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        Ok(c)
    }
}

/// Runs `gcatm train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let (mut trainer, folder, loaded, epochs) = match &args.resume {
        Some(dir) => {
            // Locked before anything is read: a folder another process trains is not joined.
            let folder = RunFolder::new(dir).lock()?;
            let source: CorpusSource = read_json(&folder.corpus())?;
            let loaded = source.load()?;
            let trainer =
                load_checkpoint(&folder.checkpoint(), &loaded.train, args.device.as_deref())
                    .with_context(|| format!("resuming the run in {}", dir.display()))?;
            let epochs = args.epochs.unwrap_or(trainer.config().epochs);
            (trainer, folder, loaded, epochs)
        }
        None => {
            let source = CorpusSource {
                corpus: args.corpus.clone(),
                restrict_vocab: args.restrict_vocab.clone(),
            };
            let loaded = source.load()?;
            let config = args.config(&loaded)?;
            std::fs::create_dir_all(&args.out)
                .with_context(|| format!("creating {}", args.out.display()))?;
            // Locked before the check, so that two runs started together cannot both pass it.
            let folder = RunFolder::new(&args.out).lock()?;
            // (A checkpoint only under `.checkpoint.old`, after a crash mid-save, counts too.)
            if folder.checkpoint().exists() || folder.checkpoint_epoch().is_some() {
                anyhow::bail!(
                    "{} already holds a run: continue it with `gcatm train --resume {}` or choose another --out",
                    args.out.display(),
                    args.out.display()
                );
            }
            write_json(&folder.corpus(), &source)?;
            let epochs = config.epochs;
            (Trainer::new(config, &loaded.train)?, folder, loaded, epochs)
        }
    };
    let out = folder.path().to_path_buf();
    eprintln!("corpus: {}", loaded.description);
    eprintln!(
        "device: {} ({} backend), K = {}, variant {}, input {}, {} iterations per epoch, epochs {} -> {epochs}",
        gcatm::device::name(trainer.device()),
        trainer.backend(),
        trainer.config().topics,
        trainer.config().variant,
        trainer.config().input,
        trainer.batcher().n_batches(),
        trainer.epoch()
    );
    let evaluator = evaluator(&loaded)?;
    let summary = train_with_progress(&mut trainer, epochs, &folder, &evaluator)?;
    println!("{}", serde_json::to_string_pretty(&summary_line(&summary))?);
    report(&trainer, &summary, &evaluator, &loaded)?;
    report_baselines(trainer.config().topics, &evaluator, &loaded, &out)?;
    match folder.disk_use() {
        Ok(used) => eprintln!("run folder: {}, {used}", out.display()),
        Err(_) => eprintln!("run folder: {}", out.display()),
    }
    Ok(())
}

/// The end of a run in words: the topics, NPMI and TD beside the random-topic floor for this K,
/// and on the planted corpus how many planted topics were recovered.
fn report(
    trainer: &Trainer,
    summary: &gcatm::train::RunSummary,
    evaluator: &Evaluator,
    loaded: &Loaded,
) -> anyhow::Result<()> {
    let Some(e) = &summary.final_evaluation else {
        return Ok(());
    };
    let k = trainer.config().topics;
    eprintln!("topics (top 10 words) after epoch {}:", summary.epochs);
    for (i, t) in e.topics.iter().enumerate() {
        eprintln!("  {i:>3}  {}", t.join(" "));
    }
    let floor = evaluator.npmi_floor(k)?;
    let verdict = if e.npmi.mean > floor.mean + 2.0 * floor.std {
        "above"
    } else {
        "not above"
    };
    eprintln!(
        "NPMI {:.3}, {verdict} the random-topic floor {floor}; TD@{} {:.3}",
        e.npmi.mean, e.td_top_n, e.td
    );
    if let Some((epoch, best)) = summary.best_npmi {
        eprintln!("best NPMI {best:.3} at epoch {epoch}");
    }
    if let Some(p) = &loaded.planted {
        let words = gcatm::eval::topic_words(&trainer.generator, trainer.batcher().vocab(), 10)?;
        let words: Vec<Vec<String>> = words.into_iter().map(|t| t.words).collect();
        eprintln!(
            "recovered {} of {} planted topics (a learned topic holds at least 5 of a planted \
             topic's top 10 words)",
            p.recovered(&words),
            p.topics.len()
        );
    }
    Ok(())
}

/// The model baselines for this K beside the run (variational LDA, Gibbs LDA at tomotopy's
/// settings, ProdLDA at TopMost's; seed 0), fitted on the same training documents and scored by
/// the same evaluator. They are kept beside the run folder (`<out>/../baselines-k<K>.json`, the
/// layout of the notebooks' and sweeps' folders), so that the next run there reads them instead
/// of fitting them again.
fn report_baselines(
    k: usize,
    evaluator: &Evaluator,
    loaded: &Loaded,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = gcatm::experiments::reproduce::baselines_file(&dir, k);
    if !file.exists() {
        eprintln!(
            "fitting the baselines for K = {k} (variational LDA, Gibbs LDA, ProdLDA; minutes on \
             20ng-1883, once: kept in {})",
            file.display()
        );
    }
    let b = gcatm::experiments::reproduce::Baselines::cached(
        &loaded.train,
        &loaded.description,
        evaluator,
        k,
        &dir,
    )
    .with_context(|| format!("the baselines kept in {}", file.display()))?;
    for m in b.models() {
        eprintln!(
            "baseline {}, K = {k}: NPMI {:.3}, TD@25 {:.3} ({:.0} s to fit)",
            m.name, m.npmi, m.td, m.seconds
        );
    }
    Ok(())
}

/// NPMI (what the best checkpoint is chosen by) and C_V, TD, TU, and purity/NMI where the test
/// documents are labelled.
fn evaluator(loaded: &Loaded) -> anyhow::Result<Evaluator> {
    let measures = Measures {
        cv: true,
        ..Measures::NPMI
    };
    Ok(Evaluator::new(&loaded.reference()?, loaded.test.as_ref())?.measures(measures))
}

/// The run's summary as the JSON object `gcatm train` prints at the end.
fn summary_line(s: &gcatm::train::RunSummary) -> serde_json::Value {
    let fe = s.final_evaluation.as_ref();
    serde_json::json!({
        "epochs": s.epochs,
        "best_npmi": s.best_npmi.map(|b| b.1),
        "best_epoch": s.best_npmi.map(|b| b.0),
        "final_npmi": fe.map(|e| e.npmi.mean),
        "final_td": fe.map(|e| e.td),
        "median_epoch_seconds": s.median_epoch_seconds,
        "device": s.device,
    })
}

/// Trains with a progress bar on a terminal, plain lines otherwise.
pub fn train_with_progress(
    trainer: &mut Trainer,
    epochs: usize,
    folder: &LockedRunFolder,
    evaluator: &Evaluator,
) -> anyhow::Result<gcatm::train::RunSummary> {
    let todo = epochs.saturating_sub(trainer.epoch()) as u64;
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = ProgressBar::new(todo);
        b.set_style(ProgressStyle::with_template("{bar:30} {msg}").expect("static template"));
        b
    });
    // Plain lines (a log file, a notebook) carry their own ETA.
    let mut eta = Eta::new(epochs);
    let show = |r: &EpochRecord| match &bar {
        Some(b) => {
            b.set_message(epoch_line(r, &mut eta));
            b.inc(1);
        }
        None => eprintln!("{}", epoch_line(r, &mut eta)),
    };
    let result = train_to_folder(trainer, epochs, folder, Some(evaluator), show);
    if let Some(b) = bar {
        b.finish();
    }
    result.map_err(|e| {
        let context = match &e {
            // A failed save says itself what is left.
            TrainError::Save { .. } => "training stopped".to_string(),
            _ => match folder.checkpoint_epoch() {
                Some(n) => format!(
                    "training stopped; the last good checkpoint (epoch {n}) is in {}",
                    folder.checkpoint().display()
                ),
                None => format!(
                    "training stopped; {} holds no checkpoint, so there is nothing to resume from",
                    folder.checkpoint().display()
                ),
            },
        };
        anyhow::anyhow!(e).context(context)
    })
}
