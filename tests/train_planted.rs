//! Quality: a short CPU run on the planted corpus recovers most planted topics.
//!
//! A planted topic counts as recovered when some learned topic (top 10 words of G(one_hot(k)),
//! BatchNorm in inference mode) shares at least 5 of its top-10 words.
use gcatm::corpus::PlantedCorpus;
use gcatm::eval::topic_words;
use gcatm::train::{TrainConfig, Trainer, Variant};
use std::time::Instant;

const TOPICS: usize = 12;

fn planted() -> PlantedCorpus {
    PlantedCorpus::builder().topics(TOPICS).seed(0).build()
}

fn config(variant: Variant, seed: u64) -> TrainConfig {
    TrainConfig {
        topics: TOPICS,
        hidden: 256,
        batch_size: 128,
        lr: 1e-3,
        g_lr_scale: 1.0,
        variant,
        seed,
        device: "cpu".into(),
        ..TrainConfig::default()
    }
}

/// How many planted topics some learned topic matches on at least 5 of the top 10 words.
fn recovered(planted: &PlantedCorpus, trainer: &Trainer) -> usize {
    let learned = topic_words(&trainer.generator, planted.corpus.vocab(), 10).unwrap();
    let learned: Vec<Vec<String>> = learned.into_iter().map(|t| t.words).collect();
    planted.recovered(&learned)
}

fn train(planted: &PlantedCorpus, variant: Variant, seed: u64, epochs: usize) -> usize {
    let mut t = Trainer::new(config(variant, seed), &planted.corpus).unwrap();
    t.fit(epochs, |_, _| Ok(())).unwrap();
    recovered(planted, &t)
}

/// Epochs of the quality runs.
const EPOCHS: usize = 30;
/// Planted topics (of 12) each run must recover.
///
/// Calibration (`calibrate` below; planted corpus: builder defaults with 12 topics, i.e. 20 words
/// per topic, 40 background words, 2000 documents of ~80 tokens; H 256, batch 128, lr 1e-3,
/// g_lr_scale 1, betas (0.5, 0.999), clip 0.01, n_critic 5; CPU, release). Planted topics
/// recovered per training seed:
///
/// | variant | epochs | seed 0 | 1  | 2  | 3  | 4  | 5  | 6  | 7  |
/// |---------|--------|--------|----|----|----|----|----|----|----|
/// | bat     | 15     | 12     | 10 | 11 | 11 | 11 | 12 | 12 | 11 |
/// | bat     | 30     | 12     | 11 | 12 | 12 | 11 | 12 | 12 | 12 |
/// | mean    | 15     | 12     | 10 | 11 | 11 | 11 | 12 | 12 | 11 |
/// | mean    | 30     | 12     | 11 | 12 | 12 | 12 | 12 | 12 | 12 |
///
/// (Seeds 0-4 at 10 / 20 / 40 / 60 epochs, measured before the softmax fix with candle's
/// composed softmax: worst seed 8 / 10 / 11 / 11 of 12, both variants.) Worst seed after 30
/// epochs: 11/12, so the threshold is 10/12; the test trains seeds 0 and 1 (a worst one). When
/// the encoder's and generator's softmax recorded no gradient, every seed recovered 0/12.
/// `cargo test --release --test train_planted` takes 9-23 s on a 2-core CPU shared with other
/// builds (4-12 s per 30-epoch run); the dev profile about 30 s.
const MIN_RECOVERED: usize = 10;
/// Training seeds of the quality runs.
const SEEDS: [u64; 2] = [0, 1];

fn check_variant(variant: Variant) {
    let p = planted();
    // At initialisation the generator's topics are noise: the measure is not trivially met.
    let t0 = Trainer::new(config(variant, 0), &p.corpus).unwrap();
    let baseline = recovered(&p, &t0);
    assert!(
        baseline <= 2,
        "{variant}: {baseline}/{TOPICS} recovered before training"
    );
    for seed in SEEDS {
        let start = Instant::now();
        let n = train(&p, variant, seed, EPOCHS);
        eprintln!(
            "{variant} seed {seed}: {n}/{TOPICS} planted topics recovered after {EPOCHS} epochs \
             in {:.1}s",
            start.elapsed().as_secs_f64()
        );
        assert!(
            n >= MIN_RECOVERED,
            "{variant} seed {seed}: only {n}/{TOPICS} planted topics recovered after {EPOCHS} \
             epochs (at least {MIN_RECOVERED} expected)"
        );
    }
}

#[test]
fn bat_recovers_planted_topics() {
    check_variant(Variant::Bat);
}

#[test]
fn mean_weighted_recovers_planted_topics() {
    check_variant(Variant::MeanWeighted);
}

/// Prints the recovered count per seed for a few epoch budgets (run with `--ignored
/// --nocapture` in release to recalibrate the thresholds below).
#[test]
#[ignore]
fn calibrate() {
    let p = planted();
    let epochs: Vec<usize> = std::env::var("EPOCHS")
        .map(|s| s.split(',').map(|x| x.parse().unwrap()).collect())
        .unwrap_or_else(|_| vec![20, 40]);
    let seeds: u64 = std::env::var("SEEDS").map_or(5, |s| s.parse().unwrap());
    for variant in [Variant::Bat, Variant::MeanWeighted] {
        for seed in 0..seeds {
            let mut t = Trainer::new(config(variant, seed), &p.corpus).unwrap();
            let start = Instant::now();
            let mut row = Vec::new();
            for &e in &epochs {
                t.fit(e, |_, _| Ok(())).unwrap();
                row.push(format!("{e} epochs: {}/{TOPICS}", recovered(&p, &t)));
            }
            println!(
                "{variant} seed {seed}: {} ({:.1}s)",
                row.join(", "),
                start.elapsed().as_secs_f64()
            );
        }
    }
}
