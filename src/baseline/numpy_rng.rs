//! numpy's legacy `RandomState` (MT19937, seeded as `RandomState(seed)`), as far as
//! scikit-learn's LDA draws from it: `gamma(shape, scale)`.
//!
//! Why: with the same stream, [`super::Lda`] with seed S starts from exactly the topics and the
//! document starts of scikit-learn's `LatentDirichletAllocation(random_state=S)`, so the two fits
//! differ only by floating-point summation order and can be compared seed for seed. The
//! algorithms are numpy's (`mt19937.c`, `legacy-distributions.c`): the polar Box-Muller normal
//! with its cached second value, and Marsaglia & Tsang's gamma.

/// Words of MT19937's state.
const N: usize = 624;
/// MT19937's middle word offset.
const M: usize = 397;

/// numpy's `RandomState`: an MT19937 generator and the cached second normal of the polar method.
pub(crate) struct RandomState {
    key: [u32; N],
    pos: usize,
    gauss: Option<f64>,
}

impl RandomState {
    /// `numpy.random.RandomState(seed)` (numpy accepts seeds below 2^32).
    pub(crate) fn new(seed: u32) -> RandomState {
        let mut key = [0u32; N];
        key[0] = seed;
        for i in 1..N {
            let prev = key[i - 1];
            key[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        RandomState {
            key,
            pos: N,
            gauss: None,
        }
    }

    /// Refills the state (MT19937's twist).
    fn generate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..N {
            let y = (self.key[i] & UPPER) | (self.key[(i + 1) % N] & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            self.key[i] = self.key[(i + M) % N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    /// The next tempered 32-bit output.
    fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A uniform double in [0, 1) from 53 random bits (numpy's `random_sample`).
    pub(crate) fn next_double(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A standard normal by the polar method; each accepted pair gives two values, the second
    /// kept for the next call (numpy's `legacy_gauss`).
    fn gauss(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.next_double() - 1.0;
            let x2 = 2.0 * self.next_double() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// Gamma(shape, scale) for shape > 1 (Marsaglia & Tsang, numpy's `legacy_standard_gamma`).
    pub(crate) fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        debug_assert!(shape > 1.0, "only the shape > 1 branch is used");
        let b = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * b).sqrt();
        loop {
            let (x, mut v) = loop {
                let x = self.gauss();
                let v = 1.0 + c * x;
                if v > 0.0 {
                    break (x, v);
                }
            };
            v = v * v * v;
            let u = self.next_double();
            if u < 1.0 - 0.0331 * (x * x) * (x * x) {
                return scale * (b * v);
            }
            if u.ln() < 0.5 * x * x + b * (1.0 - v + v.ln()) {
                return scale * (b * v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RandomState;

    /// Values printed by numpy 2.4.6:
    /// `r = np.random.RandomState(0); r.gamma(100., 0.01, 5); r.random_sample(2)`, and
    /// `np.random.RandomState(4294967295).gamma(100., 0.01, 3)`.
    #[test]
    fn matches_numpy_random_state() {
        let mut r = RandomState::new(0);
        let g: Vec<f64> = (0..5).map(|_| r.gamma(100.0, 0.01)).collect();
        assert_eq!(
            g,
            [
                1.1833542379999842,
                1.03715176873462,
                1.194978503884998,
                0.9022508407518567,
                0.9863974719624401
            ]
        );
        assert_eq!(
            [r.next_double(), r.next_double()],
            [0.5288949197529045, 0.5680445610939323]
        );
        let mut r = RandomState::new(u32::MAX);
        let g: Vec<f64> = (0..3).map(|_| r.gamma(100.0, 0.01)).collect();
        assert_eq!(
            g,
            [1.062810935444862, 1.0649918102064273, 0.892637646553085]
        );
    }

    /// The reference output of MT19937 (Matsumoto & Nishimura's `init_genrand(5489)`).
    #[test]
    fn first_output_of_the_reference_generator() {
        assert_eq!(RandomState::new(5489).next_u32(), 3_499_211_612);
    }
}
