use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};
use std::cell::RefCell;
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
    m: Vec<Moment>,
    v: Vec<Moment>,
    steps: u64,
    lr: f64,
    beta_1: f64,
    beta_2: f64,
    eps: f64,
    clamp: Option<f64>,
}

/// One Adam moment: plain host memory on the CPU, so that a step updates it in place (fresh
/// buffers each step cost page faults and zeroing that dominated the optimiser), a tensor on
/// other devices.
#[derive(Debug, Clone)]
enum Moment {
    Host(Vec<f32>),
    Device(Tensor),
}

impl Moment {
    fn zeros(like: &Tensor) -> Result<Moment> {
        Ok(if like.device().is_cpu() {
            Moment::Host(vec![0.0; like.elem_count()])
        } else {
            Moment::Device(like.zeros_like()?)
        })
    }

    fn from_tensor(t: &Tensor, like: &Tensor) -> Result<Moment> {
        Ok(if like.device().is_cpu() {
            Moment::Host(
                t.to_dtype(candle_core::DType::F32)?
                    .flatten_all()?
                    .to_vec1()?,
            )
        } else {
            Moment::Device(t.to_device(like.device())?)
        })
    }

    fn to_tensor(&self, like: &Tensor) -> Result<Tensor> {
        match self {
            Moment::Host(d) => Tensor::from_slice(d, like.shape(), like.device()),
            Moment::Device(t) => Ok(t.clone()),
        }
    }
}

impl Adam {
    /// Adam over `vars` with learning rate `lr` and betas `(beta_1, beta_2)`; eps = 1e-8.
    pub fn new(vars: Vec<(String, Var)>, lr: f64, beta_1: f64, beta_2: f64) -> Result<Self> {
        let m = vars
            .iter()
            .map(|(_, v)| Moment::zeros(v.as_tensor()))
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
            let (b1, b2) = (self.beta_1, self.beta_2);
            match (&mut self.m[i], &mut self.v[i]) {
                (Moment::Host(m), Moment::Host(v)) => {
                    let op = HostStep {
                        m: RefCell::new(m),
                        v: RefCell::new(v),
                        k: StepConsts {
                            b1: b1 as f32,
                            b2: b2 as f32,
                            eps: self.eps as f32,
                            step_size: step_size as f32,
                            bc2_sqrt: bc2.sqrt() as f32,
                            clamp: self.clamp.map(|c| c as f32),
                        },
                    };
                    var.as_tensor().inplace_op2(&g.contiguous()?, &op)?;
                }
                (Moment::Device(m_t), Moment::Device(v_t)) => {
                    let m = ((&*m_t * b1)? + (g * (1.0 - b1))?)?;
                    let v = ((&*v_t * b2)? + (g.sqr()? * (1.0 - b2))?)?;
                    let denom = ((v.sqrt()? / bc2.sqrt())? + self.eps)?;
                    let update = ((&m / denom)? * step_size)?;
                    let mut p = var.as_tensor().sub(&update)?;
                    if let Some(c) = self.clamp {
                        p = p.clamp(-c, c)?;
                    }
                    var.set(&p)?;
                    *m_t = m;
                    *v_t = v;
                }
                _ => candle_core::bail!("adam: moments on a different device from their variable"),
            }
        }
        Ok(())
    }

    /// The moments as named tensors (`m.NAME`, `v.NAME`) for a checkpoint.
    pub fn state(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (i, (name, _)) in self.vars.iter().enumerate() {
            let like = self.vars[i].1.as_tensor();
            // Host moments always convert; a failure here would mean an out-of-memory tensor.
            if let (Ok(m), Ok(v)) = (self.m[i].to_tensor(like), self.v[i].to_tensor(like)) {
                out.insert(format!("m.{name}"), m);
                out.insert(format!("v.{name}"), v);
            }
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
                *slot = Moment::from_tensor(t, var.as_tensor())?;
            }
        }
        self.steps = steps;
        Ok(())
    }
}

/// The fused CPU update of one variable, run in place on its storage: moments, bias-corrected
/// step and the optional clamp in a single pass over memory.
struct HostStep<'a> {
    m: RefCell<&'a mut Vec<f32>>,
    v: RefCell<&'a mut Vec<f32>>,
    k: StepConsts,
}

/// The scalars of one Adam step.
#[derive(Clone, Copy)]
struct StepConsts {
    b1: f32,
    b2: f32,
    eps: f32,
    step_size: f32,
    bc2_sqrt: f32,
    clamp: Option<f32>,
}

crate::simd::multiversion! {
    /// One Adam update of `p` with gradient `g`, moments `m` and `v` updated in place.
    fn run(k: StepConsts, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        let (b1, b2, eps, step_size, bc2_sqrt) =
            (k.b1, k.b2, k.eps, k.step_size, k.bc2_sqrt);
        let (lo, hi) = match k.clamp {
            Some(c) => (-c, c),
            None => (f32::NEG_INFINITY, f32::INFINITY),
        };
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let mj = b1 * *m + (1.0 - b1) * g;
            let vj = b2 * *v + (1.0 - b2) * g * g;
            *m = mj;
            *v = vj;
            *p = (*p - step_size * mj / (vj.sqrt() / bc2_sqrt + eps)).clamp(lo, hi);
        }
    }
}

impl candle_core::InplaceOp2 for HostStep<'_> {
    fn name(&self) -> &'static str {
        "adam-step"
    }

    fn cpu_fwd(
        &self,
        s1: &mut candle_core::CpuStorage,
        l1: &candle_core::Layout,
        s2: &candle_core::CpuStorage,
        l2: &candle_core::Layout,
    ) -> Result<()> {
        use candle_core::CpuStorage::F32;
        let (F32(p), F32(g)) = (s1, s2) else {
            candle_core::bail!("adam: expected f32 CPU tensors")
        };
        let (Some((pa, pb)), Some((ga, gb))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("adam: expected contiguous tensors")
        };
        let (p, g) = (&mut p[pa..pb], &g[ga..gb]);
        let (mut m, mut v) = (self.m.borrow_mut(), self.v.borrow_mut());
        if p.len() != g.len() || p.len() != m.len() || p.len() != v.len() {
            candle_core::bail!("adam: parameter, gradient and moments differ in size")
        }
        // Large variables are split over two threads: the update is memory-bound and one core
        // does not saturate the memory bus.
        const SPLIT: usize = 1 << 16;
        if p.len() >= 2 * SPLIT {
            let h = p.len() / 2;
            let (p0, p1) = p.split_at_mut(h);
            let (g0, g1) = g.split_at(h);
            let (m0, m1) = m.split_at_mut(h);
            let (v0, v1) = v.split_at_mut(h);
            let k = self.k;
            // On the thread pool: spawning a thread per step cost more than the update.
            rayon::join(|| run(k, p1, g1, m1, v1), || run(k, p0, g0, m0, v0));
        } else {
            run(self.k, p, g, &mut m, &mut v);
        }
        Ok(())
    }
}
