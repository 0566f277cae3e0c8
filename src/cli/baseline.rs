//! `gcatm baseline`: LDA fitted and scored like a trained model, and the random-topic floor.
use anyhow::Context;
use gcatm::baseline::{
    fit_to_folder, Floor, FloorOptions, GibbsConfig, GibbsLda, Lda, LdaConfig, Measure, ProdLda,
    ProdLdaConfig,
};
use gcatm::corpus::{CorpusSource, LoadedCorpus as Loaded};
use gcatm::eval::{Evaluation, Evaluator};
use gcatm::train::{write_atomic, write_json, RunFolder};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `gcatm baseline`.
#[derive(clap::Args)]
pub struct BaselineArgs {
    #[command(subcommand)]
    command: BaselineCommand,
}

#[derive(clap::Subcommand)]
enum BaselineCommand {
    /// Fit LDA (variational Bayes, or collapsed Gibbs with --method gibbs) and write a run folder
    /// scored like `gcatm train`'s.
    Lda(LdaArgs),
    /// Train ProdLDA (TopMost's settings by default) into a run folder like `gcatm train`'s.
    Prodlda(ProdLdaArgs),
    /// The score of random topics: the level a model must clear.
    Floor(FloorArgs),
}

/// Where the documents come from (shared by both subcommands).
#[derive(clap::Args)]
struct CorpusArgs {
    /// Corpus folder (default: 20ng-1883 from the data folder, else the built-in planted corpus).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Restrict the corpus to this vocabulary (vocab.pkl or vocab.txt).
    #[arg(long)]
    restrict_vocab: Option<PathBuf>,
}

impl CorpusArgs {
    fn source(&self) -> CorpusSource {
        CorpusSource {
            corpus: self.corpus.clone(),
            restrict_vocab: self.restrict_vocab.clone(),
        }
    }
}

/// Arguments of `gcatm baseline lda`.
#[derive(clap::Args)]
struct LdaArgs {
    /// Number of topics K.
    #[arg(long)]
    topics: usize,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// variational (scikit-learn's, the default) or gibbs (collapsed Gibbs, tomotopy's settings).
    #[arg(long, value_enum, default_value_t = Method::Variational)]
    method: Method,
    /// Passes over the corpus (default 50 batch, 10 online, 1000 gibbs).
    #[arg(long)]
    iterations: Option<usize>,
    /// Online variational Bayes (an update per mini-batch) instead of batch.
    #[arg(long)]
    online: bool,
    /// Documents per online mini-batch.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Gibbs: re-estimate alpha every N iterations (0: keep it fixed; tomotopy's 10).
    #[arg(long)]
    optim_interval: Option<usize>,
    /// Gibbs: workers sampling side by side (default: the threads; the result depends on it).
    #[arg(long)]
    workers: Option<usize>,
    /// Document-topic prior (default 1/K; Gibbs: every topic's start).
    #[arg(long)]
    alpha: Option<f64>,
    /// Topic-word prior (default 1/K).
    #[arg(long)]
    eta: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The run folder.
    #[arg(long, default_value = "runs/baseline-lda")]
    out: PathBuf,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// How `gcatm baseline lda` fits the model.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Method {
    /// Variational Bayes, as scikit-learn.
    Variational,
    /// Collapsed Gibbs sampling, as tomotopy.
    Gibbs,
}

/// Arguments of `gcatm baseline prodlda`.
#[derive(clap::Args)]
struct ProdLdaArgs {
    /// Number of topics K (with --resume: the run's).
    #[arg(long, required_unless_present = "resume")]
    topics: Option<usize>,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Epochs in total (with --resume: train up to this many).
    #[arg(long, default_value_t = 200)]
    epochs: usize,
    /// Documents per batch.
    #[arg(long, default_value_t = 200)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.002)]
    lr: f64,
    /// Width of the encoder's hidden layers.
    #[arg(long, default_value_t = 200)]
    hidden: usize,
    /// Dropout rate (encoder output and theta).
    #[arg(long, default_value_t = 0.4)]
    dropout: f64,
    /// Evaluate every N epochs (0: only at the end).
    #[arg(long, default_value_t = 0)]
    eval_every: usize,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The run folder.
    #[arg(long, default_value = "runs/baseline-prodlda")]
    out: PathBuf,
    /// Continue the ProdLDA run in this folder (its settings and corpus) up to --epochs.
    #[arg(long, conflicts_with_all = ["topics", "out"])]
    resume: Option<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `gcatm baseline floor`.
#[derive(clap::Args)]
struct FloorArgs {
    /// Topics per draw (the model's K).
    #[arg(long)]
    topics: usize,
    /// Words per topic.
    #[arg(long, default_value_t = 10)]
    words: usize,
    /// Number of draws.
    #[arg(long, default_value_t = 20)]
    draws: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Draw words by document frequency instead of uniformly.
    #[arg(long)]
    weighted: bool,
    /// The measure: npmi, cv, uci or umass.
    #[arg(long, default_value = "npmi")]
    measure: Measure,
    #[command(flatten)]
    corpus: CorpusArgs,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `gcatm baseline`.
pub fn run(args: BaselineArgs) -> anyhow::Result<()> {
    match args.command {
        BaselineCommand::Lda(a) => run_lda(a),
        BaselineCommand::Prodlda(a) => run_prodlda(a),
        BaselineCommand::Floor(a) => run_floor(a),
    }
}

/// What `metrics.json` holds for an LDA run.
#[derive(Serialize)]
struct LdaMetrics {
    model: &'static str,
    corpus: String,
    fit_seconds: f64,
    threads: usize,
    peak_rss_mb: f64,
    final_evaluation: Evaluation,
    floor: Floor,
    /// On the planted corpus: how many planted topics LDA found.
    planted_recovered: Option<usize>,
}

fn run_lda(args: LdaArgs) -> anyhow::Result<()> {
    if args.method == Method::Gibbs {
        return run_gibbs(args);
    }
    if args.optim_interval.is_some() || args.workers.is_some() {
        anyhow::bail!("--optim-interval and --workers are settings of --method gibbs");
    }
    let source = args.corpus.source();
    let config = LdaConfig {
        iterations: args.iterations,
        online: args.online,
        batch_size: args.batch_size.unwrap_or(128),
        alpha: args.alpha,
        eta: args.eta,
        seed: args.seed,
        ..LdaConfig::new(args.topics)
    };
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
    let loaded = source.load()?;
    eprintln!("corpus: {}", loaded.description);
    let evaluator = evaluator(&loaded)?;
    let total = config
        .iterations
        .unwrap_or(if config.online { 10 } else { 50 });
    eprintln!(
        "LDA, K = {}, {} {} on {} thread(s)",
        config.topics,
        total,
        if config.online {
            "online passes"
        } else {
            "batch iterations"
        },
        rayon::current_num_threads()
    );
    let start = Instant::now();
    let model = Lda::from_config(config)
        .fit_with_progress(&loaded.train, progress("pass", 10, start))
        .context("fitting LDA")?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let fitted = Fitted {
        model: "lda",
        config: serde_json::to_value(model.config())?,
        topics: model.top_words(10),
        evaluation: model.evaluate(&evaluator)?,
        fit_seconds,
        summary: serde_json::json!({
            "online": model.config().online,
            "iterations": model.config().iterations,
        }),
    };
    finish_lda(&args, &source, &loaded, &evaluator, fitted)
}

fn run_gibbs(args: LdaArgs) -> anyhow::Result<()> {
    if args.online || args.batch_size.is_some() {
        anyhow::bail!("--online and --batch-size are settings of --method variational");
    }
    let source = args.corpus.source();
    let mut config = GibbsConfig {
        alpha: args.alpha,
        eta: args.eta,
        workers: args.workers,
        seed: args.seed,
        ..GibbsConfig::new(args.topics)
    };
    if let Some(n) = args.iterations {
        config.iterations = n;
    }
    if let Some(n) = args.optim_interval {
        config.optim_interval = n;
    }
    config
        .validate()
        .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
    let loaded = source.load()?;
    eprintln!("corpus: {}", loaded.description);
    let evaluator = evaluator(&loaded)?;
    eprintln!(
        "LDA by collapsed Gibbs sampling, K = {}, {} iterations, {} worker(s)",
        config.topics,
        config.iterations,
        config.workers.unwrap_or_else(rayon::current_num_threads)
    );
    let start = Instant::now();
    let model = GibbsLda::from_config(config)
        .fit_with_progress(&loaded.train, progress("iteration", 100, start))
        .context("fitting Gibbs LDA")?;
    let fit_seconds = start.elapsed().as_secs_f64();
    let fitted = Fitted {
        model: "lda-gibbs",
        config: serde_json::to_value(model.config())?,
        topics: model.top_words(10),
        evaluation: model.evaluate(&evaluator)?,
        fit_seconds,
        summary: serde_json::json!({
            "iterations": model.config().iterations,
            "workers": model.config().workers,
            "optim_interval": model.config().optim_interval,
        }),
    };
    finish_lda(&args, &source, &loaded, &evaluator, fitted)
}

/// A fit's progress callback: prints "`unit` done/total (seconds since `start`)" every `every`
/// steps and at the last.
fn progress(unit: &str, every: usize, start: Instant) -> impl FnMut(usize, usize) + '_ {
    move |done, total| {
        if done % every == 0 || done == total {
            eprintln!(
                "{unit} {done}/{total} ({:.1} s)",
                start.elapsed().as_secs_f64()
            );
        }
    }
}

/// What either LDA fit hands to [`finish_lda`].
struct Fitted {
    /// `lda` or `lda-gibbs`, as `metrics.json` names it.
    model: &'static str,
    config: serde_json::Value,
    topics: Vec<Vec<String>>,
    evaluation: Evaluation,
    fit_seconds: f64,
    /// The method's own lines of the JSON summary.
    summary: serde_json::Value,
}

/// Writes an LDA fit's run folder and prints its scores.
fn finish_lda(
    args: &LdaArgs,
    source: &CorpusSource,
    loaded: &Loaded,
    evaluator: &Evaluator,
    fitted: Fitted,
) -> anyhow::Result<()> {
    let k = fitted.topics.len();
    let floor = evaluator.npmi_floor(k)?;
    let recovered = loaded.planted.as_ref().map(|p| p.recovered(&fitted.topics));
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_json(&args.out.join("config.json"), &fitted.config)?;
    write_json(&args.out.join("corpus.json"), source)?;
    let topics: String = fitted.topics.iter().map(|t| t.join(" ") + "\n").collect();
    write_atomic(&args.out.join("topics.txt"), topics.as_bytes())?;
    let metrics = LdaMetrics {
        model: fitted.model,
        corpus: loaded.description.clone(),
        fit_seconds: fitted.fit_seconds,
        threads: rayon::current_num_threads(),
        peak_rss_mb: super::common::peak_rss_mb(),
        final_evaluation: fitted.evaluation,
        floor,
        planted_recovered: recovered,
    };
    write_json(&args.out.join("metrics.json"), &metrics)?;

    report(
        Report {
            model: fitted.model,
            fit_seconds: fitted.fit_seconds,
            evaluation: &metrics.final_evaluation,
            floor: &floor,
            recovered,
            loaded,
            out: &args.out,
            extra: fitted.summary,
        },
        args.json,
    )
}

/// What every baseline prints at the end of its fit.
struct Report<'a> {
    /// `lda`, `lda-gibbs` or `prodlda`.
    model: &'a str,
    fit_seconds: f64,
    evaluation: &'a Evaluation,
    floor: &'a Floor,
    /// Planted topics recovered, on the planted corpus.
    recovered: Option<usize>,
    loaded: &'a Loaded,
    out: &'a std::path::Path,
    /// The model's own lines of the JSON summary (an object).
    extra: serde_json::Value,
}

/// Prints a baseline's scores: one JSON object (`--json`), or the topics with their NPMI and the
/// summary line; then where the run folder is.
fn report(r: Report<'_>, json: bool) -> anyhow::Result<()> {
    let e = r.evaluation;
    let clustering = e.clustering.as_ref();
    if json {
        let mut summary = serde_json::json!({
            "model": r.model,
            "topics": e.topics.len(),
            "fit_seconds": r.fit_seconds,
            "threads": rayon::current_num_threads(),
            "peak_rss_mb": super::common::peak_rss_mb(),
            "npmi": e.npmi.mean,
            "td": e.td,
            "tu": e.tu,
            "purity": clustering.map(|c| c.purity),
            "nmi": clustering.map(|c| c.nmi),
            "floor_npmi_mean": r.floor.mean,
            "floor_npmi_std": r.floor.std,
            "planted_recovered": r.recovered,
            "out": r.out.display().to_string(),
        });
        if let (Some(all), serde_json::Value::Object(own)) = (summary.as_object_mut(), r.extra) {
            all.extend(own);
        }
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_scores(e, r.floor, r.fit_seconds);
        if let (Some(n), Some(p)) = (r.recovered, &r.loaded.planted) {
            println!("planted topics recovered: {n} of {}", p.topics.len());
        }
    }
    eprintln!("run folder: {}", r.out.display());
    Ok(())
}

fn run_prodlda(args: ProdLdaArgs) -> anyhow::Result<()> {
    let out = args.resume.clone().unwrap_or_else(|| args.out.clone());
    let run = RunFolder::new(&out);
    let source: CorpusSource = match &args.resume {
        Some(_) => super::common::read_json(&run.corpus())?,
        None => args.corpus.source(),
    };
    let loaded = source.load()?;
    eprintln!("corpus: {}", loaded.description);
    let config = match &args.resume {
        Some(_) => None,
        None => {
            let config = ProdLdaConfig {
                hidden: args.hidden,
                dropout: args.dropout,
                learning_rate: args.lr,
                batch_size: args.batch_size,
                eval_every: args.eval_every,
                seed: args.seed,
                device: args.device.clone(),
                ..ProdLdaConfig::new(args.topics.unwrap_or(0))
            };
            config
                .validate()
                .map_err(|e| anyhow::anyhow!("invalid settings: {e}"))?;
            Some(config)
        }
    };
    let evaluator = evaluator(&loaded)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let folder = run.lock()?;
    let mut model = match config {
        None => ProdLda::load_checkpoint(&folder.checkpoint(), &loaded.train)
            .with_context(|| format!("resuming {}", out.display()))?,
        Some(config) => {
            if folder.checkpoint_epoch().is_some() || folder.metrics().exists() {
                anyhow::bail!(
                    "{} already holds a run: continue it with `gcatm baseline prodlda --resume {}` \
                     or choose another --out",
                    out.display(),
                    out.display()
                );
            }
            ProdLda::new(config, &loaded.train)?
        }
    };
    write_json(&folder.corpus(), &source)?;
    let c = model.config().clone();
    eprintln!(
        "ProdLDA, K = {}, H = {}, batch {}, lr {}, {} epochs on {} thread(s), {}",
        c.topics,
        c.hidden,
        c.batch_size,
        c.learning_rate,
        args.epochs,
        rayon::current_num_threads(),
        c.device
    );
    let mut eta = super::common::Eta::new(args.epochs);
    let summary = fit_to_folder(&mut model, args.epochs, &folder, Some(&evaluator), |r| {
        if r.epoch % 10 == 0 || r.epoch == args.epochs || !r.metrics.is_empty() {
            eprintln!("{}", super::common::epoch_line(r, &mut eta));
        }
    })
    .with_context(|| format!("training ProdLDA into {}", out.display()))?;
    let fit_seconds = model.fit_seconds();
    let e = summary
        .final_evaluation
        .as_ref()
        .context("the run was not evaluated")?;
    let floor = evaluator.npmi_floor(model.n_topics())?;
    let recovered = loaded
        .planted
        .as_ref()
        .map(|p| p.recovered(&model.top_words(10)));
    report(
        Report {
            model: "prodlda",
            fit_seconds,
            evaluation: e,
            floor: &floor,
            recovered,
            loaded: &loaded,
            out: &out,
            extra: serde_json::json!({ "epochs": model.epoch() }),
        },
        args.json,
    )
}

/// The per-topic lines and the summary line every baseline prints.
fn print_scores(e: &Evaluation, floor: &Floor, fit_seconds: f64) {
    for (k, (t, s)) in e.topics.iter().zip(&e.npmi.per_topic).enumerate() {
        println!("{k:>3} {s:+.3}  {}", t.join(" "));
    }
    println!(
        "NPMI {:.4} (floor {floor}), TD@{} {:.3}{}; fit {fit_seconds:.1} s",
        e.npmi.mean,
        e.td_top_n,
        e.td,
        e.clustering
            .as_ref()
            .map(|c| format!(", purity {:.3}, NMI {:.3}", c.purity, c.nmi))
            .unwrap_or_default()
    );
}

fn run_floor(args: FloorArgs) -> anyhow::Result<()> {
    let loaded = args.corpus.source().load()?;
    let evaluator = evaluator(&loaded)?;
    let floor = evaluator.floor(&FloorOptions {
        topics: args.topics,
        words: args.words,
        draws: args.draws,
        seed: args.seed,
        weighted: args.weighted,
        measure: args.measure,
    })?;
    if args.json {
        let out = serde_json::json!({
            "measure": args.measure.to_string(),
            "mean": floor.mean,
            "std": floor.std,
            "options": floor.options,
            "corpus": loaded.description,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}: {floor}", args.measure);
        eprintln!("corpus: {}", loaded.description);
    }
    Ok(())
}

/// Scores against train and test together, clustering on the test documents, as `gcatm train`.
fn evaluator(loaded: &Loaded) -> anyhow::Result<Evaluator> {
    Ok(Evaluator::new(&loaded.reference()?, loaded.test.as_ref())?)
}
