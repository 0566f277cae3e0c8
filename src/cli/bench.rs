//! `gcatm bench`: training speed on a corpus, as the median epoch time after a warm-up epoch.
use super::common::peak_rss_mb;
use gcatm::corpus::{CorpusSource, LoadedCorpus};
use gcatm::train::{Backend, TrainConfig, Trainer, Variant};
use std::path::PathBuf;

/// Arguments of `gcatm bench`.
#[derive(clap::Args)]
pub struct BenchArgs {
    /// Number of topics K.
    #[arg(long, default_value_t = 20)]
    topics: usize,
    /// Documents per batch.
    #[arg(long, default_value_t = 256)]
    batch_size: usize,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// fused or autograd (default: the device's; fused on the CPU).
    #[arg(long)]
    backend: Option<Backend>,
    /// Epochs to time (the first is a warm-up and is not counted).
    #[arg(long, default_value_t = 4)]
    epochs: usize,
    /// Contrastive variant: bat, hard, mean or word.
    #[arg(long, default_value = "mean")]
    variant: Variant,
    /// Generator learning-rate scale (the reference's speed probe used 0.01).
    #[arg(long, default_value_t = 0.01)]
    g_lr_scale: f64,
    /// Corpus folder (the planted corpus when not given).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Restrict the corpus to this vocabulary (vocab.pkl or vocab.txt).
    #[arg(long)]
    restrict_vocab: Option<PathBuf>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `gcatm bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.epochs >= 2,
        "--epochs must be at least 2 (one warm-up, one timed)"
    );
    let loaded = match &args.corpus {
        Some(_) => CorpusSource {
            corpus: args.corpus.clone(),
            restrict_vocab: args.restrict_vocab.clone(),
        }
        .load()?,
        None => LoadedCorpus::planted(),
    };
    let config = TrainConfig {
        topics: args.topics,
        batch_size: args.batch_size,
        device: args.device.clone(),
        variant: args.variant,
        g_lr_scale: args.g_lr_scale,
        epochs: args.epochs,
        eval_every: 0,
        backend: args.backend,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(config, &loaded.train)?;
    let iters = trainer.batcher().n_batches();
    let mut secs = Vec::new();
    for _ in 0..args.epochs {
        let r = trainer.train_epoch()?;
        if !args.json {
            eprintln!("epoch {}: {:.3} s", r.epoch, r.seconds);
        }
        secs.push(r.seconds);
    }
    let mut timed = secs[1..].to_vec();
    timed.sort_by(f64::total_cmp);
    let median = timed[timed.len() / 2];
    let out = serde_json::json!({
        "epoch_seconds": median,
        "iters_per_second": iters as f64 / median,
        "peak_rss_mb": peak_rss_mb(),
        "device": gcatm::device::name(trainer.device()),
        "backend": trainer.backend().to_string(),
        "topics": args.topics,
        "batch_size": args.batch_size,
        "iterations_per_epoch": iters,
        "epochs_timed": secs[1..].to_vec(),
        "corpus": loaded.description,
    });
    if args.json {
        println!("{out}");
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}
