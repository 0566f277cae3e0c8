use candle_core::{Device, Tensor, Var};
use std::time::Instant;
fn t<F: FnMut()>(name: &str, n: usize, mut f: F) {
    f();
    let s = Instant::now();
    for _ in 0..n {
        f();
    }
    println!(
        "{name}: {:.2} ms",
        s.elapsed().as_secs_f64() * 1000.0 / n as f64
    );
}
fn main() {
    let dev = Device::Cpu;
    let (v, h, b) = (1883, 1024, 256);
    let x = Tensor::randn(0f32, 1., (b, v), &dev).unwrap();
    let w = Var::from_tensor(&Tensor::randn(0f32, 1., (h, v), &dev).unwrap()).unwrap();
    let wt = Var::from_tensor(&Tensor::randn(0f32, 1., (v, h), &dev).unwrap()).unwrap();
    t("fwd x w^T", 10, || {
        x.matmul(&w.as_tensor().t().unwrap()).unwrap();
    });
    t("fwd+bwd x w^T", 10, || {
        x.matmul(&w.as_tensor().t().unwrap())
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
    });
    t("fwd+bwd x wt", 10, || {
        x.matmul(wt.as_tensor())
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
    });
    let y = x.matmul(wt.as_tensor()).unwrap();
    t("sum_all bwd only-ish", 10, || {
        y.sum_all().unwrap().backward().unwrap();
    });
    let g = Tensor::randn(0f32, 1., (b, h), &dev).unwrap();
    t("xT g", 10, || {
        x.t().unwrap().matmul(&g).unwrap();
    });
    t("g w", 10, || {
        g.matmul(w.as_tensor()).unwrap();
    });
    t("g wt^T", 10, || {
        g.matmul(&wt.as_tensor().t().unwrap()).unwrap();
    });
    let gg = Tensor::randn(0f32, 1., (v, h), &dev).unwrap();
    t("add transposed 2M", 10, || {
        (w.as_tensor() + gg.t().unwrap()).unwrap();
    });
    t("zeros 2M", 10, || {
        w.as_tensor().zeros_like().unwrap();
    });
}
