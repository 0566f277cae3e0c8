//! Scratch timing on a planted corpus the size of 20ng-1883 (11314 documents, V = 1883).
use gcatm::corpus::PlantedCorpus;
use gcatm::train::{TrainConfig, Trainer, Variant};
use std::time::Instant;
fn main() {
    let k: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(20);
    let planted = PlantedCorpus::builder()
        .topics(20)
        .words_per_topic(80)
        .vocab_size(1883)
        .docs(11314)
        .doc_len(75.0)
        .seed(0)
        .build();
    let cfg = TrainConfig {
        topics: k,
        variant: Variant::MeanWeighted,
        g_lr_scale: 0.01,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(cfg, &planted.corpus).unwrap();
    let batcher = t.batcher().clone();
    for epoch in 1..=3u64 {
        let mut tm = [0f64; 4];
        let s0 = Instant::now();
        for (i, b) in batcher.epoch(epoch).enumerate() {
            let s = Instant::now();
            let b = b.unwrap();
            tm[0] += s.elapsed().as_secs_f64();
            let s = Instant::now();
            t.critic_step(&b).unwrap();
            tm[1] += s.elapsed().as_secs_f64();
            if i % 5 == 0 {
                let s = Instant::now();
                t.generator_step().unwrap();
                tm[2] += s.elapsed().as_secs_f64();
                let s = Instant::now();
                t.encoder_step(&b).unwrap();
                tm[3] += s.elapsed().as_secs_f64();
            }
        }
        println!(
            "epoch {epoch} {:.3}s batch {:.3} critic {:.3} gen {:.3} enc {:.3}",
            s0.elapsed().as_secs_f64(),
            tm[0],
            tm[1],
            tm[2],
            tm[3]
        );
    }
}
