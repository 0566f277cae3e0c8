use candle_core::{DType, Device, Result, Shape, Tensor, Var};
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::sync::Mutex;

/// A [`VarBuilder`] over `varmap` that creates missing variables from a seeded generator, so that
/// the same seed gives the same initial network on every run (and on every device).
///
/// Variables already in the map are returned as they are (this is how a checkpoint is resumed).
///
/// ```
/// use candle_core::{DType, Device};
/// use candle_nn::{Init, VarMap};
/// let (a, b) = (VarMap::new(), VarMap::new());
/// let init = Init::Uniform { lo: -1.0, up: 1.0 };
/// let ta = gcatm::model::seeded_var_builder(&a, 7, &Device::Cpu).get_with_hints(4, "w", init).unwrap();
/// let tb = gcatm::model::seeded_var_builder(&b, 7, &Device::Cpu).get_with_hints(4, "w", init).unwrap();
/// assert_eq!(ta.to_vec1::<f32>().unwrap(), tb.to_vec1::<f32>().unwrap());
/// ```
pub fn seeded_var_builder(varmap: &VarMap, seed: u64, device: &Device) -> VarBuilder<'static> {
    let backend = Seeded {
        varmap: varmap.clone(),
        rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
    };
    VarBuilder::from_backend(Box::new(backend), DType::F32, device.clone())
}

/// The variables an optimiser updates and clipping clamps: every variable of `varmap` except
/// buffers (BatchNorm's running statistics, the critic's spectral power-iteration vector), sorted
/// by name for a stable order.
pub fn trainable_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().expect("var map lock poisoned");
    let mut vars: Vec<(String, Var)> = data
        .iter()
        .filter(|(name, _)| {
            !name.ends_with("running_mean")
                && !name.ends_with("running_var")
                && !name.ends_with(super::critic::SPECTRAL_U)
        })
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

struct Seeded {
    varmap: VarMap,
    rng: Mutex<ChaCha8Rng>,
}

impl SimpleBackend for Seeded {
    fn get(&self, s: Shape, name: &str, h: Init, dtype: DType, dev: &Device) -> Result<Tensor> {
        let mut data = self.varmap.data().lock().expect("var map lock poisoned");
        if let Some(var) = data.get(name) {
            if var.shape() != &s {
                candle_core::bail!(
                    "variable `{name}` has shape {:?}, expected {s:?}",
                    var.shape()
                );
            }
            return Ok(var.as_tensor().clone());
        }
        let n = s.elem_count();
        let mut rng = self.rng.lock().expect("rng lock poisoned");
        let values: Vec<f32> = match h {
            Init::Const(c) => vec![c as f32; n],
            Init::Uniform { lo, up } => (0..n)
                .map(|_| (lo + (up - lo) * rng.random::<f64>()) as f32)
                .collect(),
            Init::Randn { mean, stdev } => (0..n)
                .map(|_| {
                    let z: f64 = StandardNormal.sample(&mut *rng);
                    (mean + stdev * z) as f32
                })
                .collect(),
            Init::Kaiming { .. } => {
                candle_core::bail!("`{name}`: use an explicit uniform or normal init")
            }
        };
        let t = Tensor::from_vec(values, s, dev)?.to_dtype(dtype)?;
        let var = Var::from_tensor(&t)?;
        let out = var.as_tensor().clone();
        data.insert(name.to_string(), var);
        Ok(out)
    }

    fn get_unchecked(&self, name: &str, _dtype: DType, _dev: &Device) -> Result<Tensor> {
        let data = self.varmap.data().lock().expect("var map lock poisoned");
        match data.get(name) {
            Some(v) => Ok(v.as_tensor().clone()),
            None => candle_core::bail!("no variable `{name}`"),
        }
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.varmap
            .data()
            .lock()
            .expect("var map lock poisoned")
            .contains_key(name)
    }
}
