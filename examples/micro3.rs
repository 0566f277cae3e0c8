use candle_core::{Device, ModuleT, Tensor, D};
use candle_nn::VarMap;
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
    let x = Tensor::randn(0f32, 1., (256, 1024), &dev).unwrap();
    let vm = VarMap::new();
    let bn = BatchNorm1d::new(1024, seeded_var_builder(&vm, 0, &dev)).unwrap();
    t("bn train", 50, || {
        bn.forward_t(&x, true).unwrap();
    });
    t("bn eval", 50, || {
        bn.forward_t(&x, false).unwrap();
    });
    t("leaky", 50, || {
        candle_nn::ops::leaky_relu(&x, 0.01).unwrap();
    });
    t("mul scalar", 50, || {
        (&x * 0.5).unwrap();
    });
    t("add", 50, || {
        (&x + &x).unwrap();
    });
    t("mean_keepdim0", 50, || {
        x.mean_keepdim(0).unwrap();
    });
    t("sum_keepdim1", 50, || {
        x.sum_keepdim(D::Minus1).unwrap();
    });
    let m = x.mean_keepdim(0).unwrap();
    t("broadcast_sub", 50, || {
        x.broadcast_sub(&m).unwrap();
    });
    t("zeros_like", 50, || {
        x.zeros_like().unwrap();
    });
    t("maximum", 50, || {
        x.maximum(&x).unwrap();
    });
    let w = Tensor::randn(0f32, 1., (256, 1883), &dev).unwrap();
    t("softmax 256x1883", 50, || {
        candle_nn::ops::softmax_last_dim(&w).unwrap();
    });
    t("sqrt", 50, || {
        x.abs().unwrap().sqrt().unwrap();
    });
}
