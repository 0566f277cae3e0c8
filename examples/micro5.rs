use candle_core::{Device, ModuleT, Tensor};
use candle_nn::VarMap;
use gcatm::corpus::{Batcher, PlantedCorpus};
use gcatm::model::*;
use std::time::Instant;
fn t<F: FnMut()>(name: &str, n: usize, mut f: F) {
    f();
    let s = Instant::now();
    for _ in 0..n {
        f();
    }
    println!(
        "{name}: {:.3} ms",
        s.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
}
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
    println!("nnz {}", b.sparse.values.len());
    let w = Tensor::randn(0f32, 1., (1024, 1883), &dev).unwrap();
    t("sparse", 30, || {
        sparse_matmul_t(&b.sparse, &w).unwrap();
    });
    let x = Tensor::randn(0f32, 1., (256, 1024), &dev).unwrap();
    let vm = VarMap::new();
    let bn = BatchNorm1d::new(1024, seeded_var_builder(&vm, 0, &dev)).unwrap();
    t("bn train", 30, || {
        bn.forward_t(&x, true).unwrap();
    });
    t("leaky", 30, || {
        candle_nn::ops::leaky_relu(&x, 0.01).unwrap();
    });
    let w2 = Tensor::randn(0f32, 1., (20, 1024), &dev).unwrap();
    t("x w2^T", 30, || {
        x.matmul(&w2.t().unwrap()).unwrap();
    });
    let em = VarMap::new();
    let e = Encoder::new(seeded_var_builder(&em, 0, &dev), 1883, 20, 1024).unwrap();
    t("E theta", 30, || {
        e.theta(Bow::Sparse(&b.sparse), true).unwrap();
    });
    t("E theta dense", 30, || {
        e.theta(Bow::Dense(&b.bow), true).unwrap();
    });
    t("batch", 30, || {
        batcher.batch(&(0..256).collect::<Vec<_>>()).unwrap();
    });
}
