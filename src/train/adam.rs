use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use std::collections::HashMap;

/// Adam with PyTorch's update rule (no weight decay), over a fixed list of variables.
///
/// Unlike candle-nn's optimisers it exposes its moments and step count, so that a checkpoint can
/// hold them and a resumed run continues exactly.
///
/// ```
/// use candle_core::{Device, Tensor, Var};
/// use gcatm::train::Adam;
/// let w = Var::new(&[1f32, -1.0], &Device::Cpu).unwrap();
/// let mut adam = Adam::new(vec![("w".into(), w.clone())], 0.1, 0.9, 0.999).unwrap();
/// let loss = w.as_tensor().sqr().unwrap().sum_all().unwrap();
/// adam.step(&loss.backward().unwrap()).unwrap();
/// // the first Adam step moves every weight by about lr against its gradient's sign
/// let v = w.as_tensor().to_vec1::<f32>().unwrap();
/// assert!((v[0] - 0.9).abs() < 1e-4 && (v[1] + 0.9).abs() < 1e-4);
/// ```
#[derive(Debug)]
pub struct Adam {
    vars: Vec<(String, Var)>,
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    steps: u64,
    lr: f64,
    beta_1: f64,
    beta_2: f64,
    eps: f64,
    clamp: Option<f64>,
}

impl Adam {
    /// Adam over `vars` with learning rate `lr` and betas `(beta_1, beta_2)`; eps = 1e-8.
    pub fn new(vars: Vec<(String, Var)>, lr: f64, beta_1: f64, beta_2: f64) -> Result<Self> {
        let m = vars
            .iter()
            .map(|(_, v)| v.as_tensor().zeros_like())
            .collect::<Result<Vec<_>>>()?;
        let v = m.clone();
        Ok(Adam {
            vars,
            m,
            v,
            steps: 0,
            lr,
            beta_1,
            beta_2,
            eps: 1e-8,
            clamp: None,
        })
    }

    /// Clamps every variable to `[-c, c]` after each step (WGAN weight clipping of the critic),
    /// fused into the update.
    pub fn with_clamp(mut self, c: f64) -> Self {
        self.clamp = Some(c);
        self
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// One update from the gradients in `grads` (variables without a gradient are left alone).
    pub fn step(&mut self, grads: &GradStore) -> Result<()> {
        self.steps += 1;
        let t = self.steps as i32;
        let bc1 = 1.0 - self.beta_1.powi(t);
        let bc2 = 1.0 - self.beta_2.powi(t);
        let step_size = self.lr / bc1;
        for i in 0..self.vars.len() {
            let var = self.vars[i].1.clone();
            let Some(g) = grads.get(var.as_tensor()) else {
                // No gradient, no update; clipping still holds for every variable.
                if let Some(c) = self.clamp {
                    var.set(&var.as_tensor().clamp(-c, c)?)?;
                }
                continue;
            };
            if var.device().is_cpu() {
                self.step_cpu(i, &var, g, step_size, bc2.sqrt())?;
                continue;
            }
            let m = ((&self.m[i] * self.beta_1)? + (g * (1.0 - self.beta_1))?)?;
            let v = ((&self.v[i] * self.beta_2)? + (g.sqr()? * (1.0 - self.beta_2))?)?;
            let denom = ((v.sqrt()? / bc2.sqrt())? + self.eps)?;
            let update = ((&m / denom)? * step_size)?;
            let mut p = var.as_tensor().sub(&update)?;
            if let Some(c) = self.clamp {
                p = p.clamp(-c, c)?;
            }
            var.set(&p)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(())
    }

    /// The same update in one pass over each variable (the tensor version makes a dozen passes),
    /// reading the operands in place.
    fn step_cpu(
        &mut self,
        i: usize,
        var: &Var,
        g: &Tensor,
        step_size: f64,
        bc2_sqrt: f64,
    ) -> Result<()> {
        let (b1, b2, eps) = (self.beta_1 as f32, self.beta_2 as f32, self.eps as f32);
        let (step_size, bc2_sqrt) = (step_size as f32, bc2_sqrt as f32);
        let clamp = self.clamp.map(|c| c as f32);
        let n = var.elem_count();
        let g = &g.contiguous()?;
        let (mut p2, mut m2, mut v2) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        {
            let (ps, pl) = var.as_tensor().storage_and_layout();
            let (gs, gl) = g.storage_and_layout();
            let (ms, ml) = self.m[i].storage_and_layout();
            let (vs, vl) = self.v[i].storage_and_layout();
            let (p, g, m, v) = (
                cpu_slice(&ps, pl)?,
                cpu_slice(&gs, gl)?,
                cpu_slice(&ms, ml)?,
                cpu_slice(&vs, vl)?,
            );
            for j in 0..n {
                let mj = b1 * m[j] + (1.0 - b1) * g[j];
                let vj = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
                let x = p[j] - step_size * mj / (vj.sqrt() / bc2_sqrt + eps);
                p2.push(match clamp {
                    Some(c) => x.clamp(-c, c),
                    None => x,
                });
                m2.push(mj);
                v2.push(vj);
            }
        }
        let shape = var.shape().clone();
        let dev = var.device().clone();
        var.set(&Tensor::from_vec(p2, shape.clone(), &dev)?)?;
        self.m[i] = Tensor::from_vec(m2, shape.clone(), &dev)?;
        self.v[i] = Tensor::from_vec(v2, shape, &dev)?;
        Ok(())
    }

    /// The moments as named tensors (`m.NAME`, `v.NAME`) for a checkpoint.
    pub fn state(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            out.insert(format!("m.{name}"), self.m[i].clone());
            out.insert(format!("v.{name}"), self.v[i].clone());
        }
        out
    }

    /// Restores moments saved by [`Adam::state`] and the step count.
    pub fn load_state(&mut self, state: &HashMap<String, Tensor>, steps: u64) -> Result<()> {
        for (i, (name, var)) in self.vars.iter().enumerate() {
            for (prefix, slot) in [("m", &mut self.m[i]), ("v", &mut self.v[i])] {
                let key = format!("{prefix}.{name}");
                let t = state.get(&key).ok_or_else(|| {
                    candle_core::Error::Msg(format!("no optimiser state `{key}`"))
                })?;
                if t.shape() != var.shape() {
                    candle_core::bail!("optimiser state `{key}` has the wrong shape");
                }
                *slot = t.to_device(var.device())?;
            }
        }
        self.steps = steps;
        Ok(())
    }
}

/// The f32 data of a contiguous CPU tensor, in place.
fn cpu_slice<'a>(s: &'a candle_core::Storage, l: &candle_core::Layout) -> Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (candle_core::Storage::Cpu(candle_core::CpuStorage::F32(d)), Some((a, b))) => Ok(&d[a..b]),
        _ => candle_core::bail!("adam: expected contiguous f32 CPU tensors"),
    }
}
