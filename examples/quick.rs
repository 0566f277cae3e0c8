use gcatm::corpus::PlantedCorpus;
use gcatm::train::{TrainConfig, Trainer, Variant};
fn main() {
    let planted = PlantedCorpus::builder().seed(0).build();
    let cfg = TrainConfig {
        topics: 10,
        variant: Variant::MeanWeighted,
        epochs: 3,
        ..TrainConfig::default()
    };
    let mut t = Trainer::new(cfg, &planted.corpus).unwrap();
    for _ in 0..3 {
        let r = t.train_epoch().unwrap();
        println!("{:?}", r);
    }
}
