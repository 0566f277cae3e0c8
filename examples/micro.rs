use candle_core::{DType, Device, ModuleT, Tensor, Var};
use candle_nn::VarMap;
use gcatm::model::*;
use gcatm::train::Adam;
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
    let (v, k, h, b) = (1883, 20, 1024, 256);
    let gm = VarMap::new();
    let dm = VarMap::new();
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
    let theta = prior.sample(b, &dev).unwrap();
    t("prior", 20, || {
        prior.sample(b, &dev).unwrap();
    });
    t("G fwd", 20, || {
        g.forward_with_hidden(&theta, true).unwrap();
    });
    let words = g.forward_t(&theta, true).unwrap().detach();
    t("D fake fwd", 20, || {
        d.score(&theta, Bow::Dense(&words), true).unwrap();
    });
    if std::env::var("ONLY").is_ok() {
        t("D fake fwd+bwd", 100, || {
            d.score(&theta, Bow::Dense(&words), true)
                .unwrap()
                .mean_all()
                .unwrap()
                .backward()
                .unwrap();
        });
        return;
    }
    t("D fake fwd+bwd", 20, || {
        d.score(&theta, Bow::Dense(&words), true)
            .unwrap()
            .mean_all()
            .unwrap()
            .backward()
            .unwrap();
    });
    let x = Tensor::randn(0f32, 1., (b, v), &dev).unwrap();
    let w = Tensor::randn(0f32, 1., (h, v), &dev).unwrap();
    t("matmul x w^T", 20, || {
        x.matmul(&w.t().unwrap()).unwrap();
    });
    let wt = w.t().unwrap().contiguous().unwrap();
    t("matmul x wt", 20, || {
        x.matmul(&wt).unwrap();
    });
    let go = Tensor::randn(0f32, 1., (b, h), &dev).unwrap();
    t("matmul go^T x", 20, || {
        go.t().unwrap().matmul(&x).unwrap();
    });
    let vars = gcatm::model::trainable_vars(&dm);
    let loss = d
        .score(&theta, Bow::Dense(&words), true)
        .unwrap()
        .mean_all()
        .unwrap();
    let grads = loss.backward().unwrap();
    let mut adam = Adam::new(vars.clone(), 1e-4, 0.5, 0.999).unwrap();
    t("adam D", 20, || {
        adam.step(&grads).unwrap();
    });
    t("clip D", 20, || {
        for (_, var) in &vars {
            var.set(&var.as_tensor().clamp(-0.01, 0.01).unwrap())
                .unwrap();
        }
    });
    let big = Var::from_tensor(&Tensor::randn(0f32, 1., (h, v), &dev).unwrap()).unwrap();
    t("elementwise mul 2M", 20, || {
        (big.as_tensor() * 0.5).unwrap();
    });
    t("sqr 2M", 20, || {
        big.as_tensor().sqr().unwrap();
    });
    let _ = DType::F32;
}
