//! Scratch timing on a planted corpus the size of 20ng-1883 (11314 documents, V = 1883).
use gcatm::corpus::PlantedCorpus;
use gcatm::train::{TrainConfig, Trainer, Variant};
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
    for _ in 0..3 {
        let r = t.train_epoch().unwrap();
        println!(
            "epoch {} {:.3}s d={:.4} g={:.4} e={:.4} nce={:?}",
            r.epoch, r.seconds, r.loss_d, r.loss_g, r.loss_e, r.info_nce
        );
    }
}
