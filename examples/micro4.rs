use candle_core::{Device, Tensor};
use candle_nn::VarMap;
use gcatm::corpus::{Batcher, PlantedCorpus};
use gcatm::model::*;
use gcatm::train::Adam;
use std::time::Instant;
fn main() {
    let dev = Device::Cpu;
    let planted = PlantedCorpus::builder()
        .topics(20)
        .words_per_topic(80)
        .vocab_size(1883)
        .docs(2000)
        .doc_len(75.0)
        .seed(0)
        .build();
    let batcher = Batcher::new(&planted.corpus, 256, &dev).unwrap();
    let b = batcher.epoch(0).next().unwrap().unwrap();
    let (v, k, h) = (1883, 20, 1024);
    let (em, gm, dm) = (VarMap::new(), VarMap::new(), VarMap::new());
    let e = Encoder::new(seeded_var_builder(&em, 0, &dev), v, k, h).unwrap();
    let g = Generator::new(
        seeded_var_builder(&gm, 0, &dev),
        v,
        k,
        h,
        Variant::MeanWeighted,
        128,
        200,
    )
    .unwrap();
    let d = Critic::new(seeded_var_builder(&dm, 1, &dev), v, k, h).unwrap();
    let mut prior = DirichletPrior::symmetric(k, 0.05, 0).unwrap();
    let mut adam = Adam::new(trainable_vars(&dm), 1e-4, 0.5, 0.999).unwrap();
    let mut tm = [0f64; 8];
    let n = 30;
    for it in 0..n + 3 {
        let mut lap = Instant::now();
        let mut mark = |i: usize, tm: &mut [f64; 8]| {
            if it >= 3 {
                tm[i] += lap.elapsed().as_secs_f64();
            }
            lap = Instant::now();
        };
        let theta_fake = prior.sample(256, &dev).unwrap();
        let gen = g.forward_with_hidden(&theta_fake, true).unwrap();
        mark(0, &mut tm);
        let bow = Bow::Sparse(&b.sparse);
        let theta_real = e.theta(bow, true).unwrap();
        mark(1, &mut tm);
        let real = d.score(&theta_real.detach(), bow, true).unwrap();
        mark(2, &mut tm);
        let fake = d
            .score(&theta_fake, Bow::Dense(&gen.words.detach()), true)
            .unwrap();
        mark(3, &mut tm);
        let loss = gcatm::loss::critic_loss(&real, &fake).unwrap();
        let _ = loss.to_scalar::<f32>().unwrap();
        mark(4, &mut tm);
        let grads = loss.backward().unwrap();
        mark(5, &mut tm);
        adam.step(&grads).unwrap();
        mark(6, &mut tm);
        for (_, var) in trainable_vars(&dm) {
            var.set(&var.as_tensor().clamp(-0.01, 0.01).unwrap())
                .unwrap();
        }
        mark(7, &mut tm);
        let _ = Tensor::zeros(1, candle_core::DType::F32, &dev);
    }
    for (i, name) in [
        "G fwd",
        "E sparse fwd",
        "D real",
        "D fake",
        "loss",
        "backward",
        "adam",
        "clip",
    ]
    .iter()
    .enumerate()
    {
        println!("{name}: {:.2} ms", tm[i] * 1000.0 / n as f64);
    }
}
