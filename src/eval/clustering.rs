//! Document clustering quality against known labels: purity and NMI.
use super::EvalError;
use serde::{Deserialize, Serialize};

/// Clustering quality of predicted clusters (for example argmax theta) against true labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusteringScores {
    /// See [`purity`].
    pub purity: f64,
    /// See [`nmi`].
    pub nmi: f64,
    /// Number of distinct predicted clusters.
    pub clusters_used: usize,
    /// Number of documents scored.
    pub docs: usize,
}

/// Purity and NMI together, from one contingency table.
///
/// ```
/// use gcatm::eval::clustering_scores;
/// let s = clustering_scores(&[0, 0, 1, 1], &[5, 5, 7, 7]).unwrap();
/// assert_eq!((s.purity, s.nmi, s.clusters_used), (1.0, 1.0, 2));
/// ```
pub fn clustering_scores(pred: &[u32], truth: &[u32]) -> Result<ClusteringScores, EvalError> {
    let t = Contingency::new(pred, truth)?;
    Ok(ClusteringScores {
        purity: t.purity(),
        nmi: t.nmi(),
        clusters_used: t.n_pred,
        docs: pred.len(),
    })
}

/// Purity: (1/N) sum over predicted clusters of the count of its most frequent true label.
/// 1 when every cluster holds one label; it rewards many small clusters (N clusters give 1).
///
/// ```
/// use gcatm::eval::purity;
/// // cluster 0 = {a, a, b}, cluster 1 = {b}: (2 + 1) / 4
/// assert_eq!(purity(&[0, 0, 0, 1], &[0, 0, 1, 1]).unwrap(), 0.75);
/// ```
pub fn purity(pred: &[u32], truth: &[u32]) -> Result<f64, EvalError> {
    Ok(Contingency::new(pred, truth)?.purity())
}

/// Normalised mutual information with arithmetic-mean normalisation, as scikit-learn's default
/// `normalized_mutual_info_score`: NMI = I(Y; C) / ((H(Y) + H(C)) / 2), natural logs, with
/// sklearn's edge cases: 1 when both labelings have a single class (both entropies 0), 0 when
/// the mutual information is 0. Symmetric in its arguments; label values are arbitrary ids.
///
/// ```
/// use gcatm::eval::nmi;
/// assert!((nmi(&[1, 1, 0, 0], &[0, 0, 1, 1]).unwrap() - 1.0).abs() < 1e-12);
/// assert_eq!(nmi(&[0, 1, 0, 1], &[0, 0, 1, 1]).unwrap(), 0.0);
/// ```
pub fn nmi(pred: &[u32], truth: &[u32]) -> Result<f64, EvalError> {
    Ok(Contingency::new(pred, truth)?.nmi())
}

/// Counts n_ij of documents with predicted cluster i and true label j (dense ids).
struct Contingency {
    n: f64,
    n_pred: usize,
    n_true: usize,
    counts: Vec<u64>,
}

impl Contingency {
    fn new(pred: &[u32], truth: &[u32]) -> Result<Contingency, EvalError> {
        if pred.len() != truth.len() {
            return Err(EvalError::SizeMismatch {
                what: "predicted clusters vs true labels".into(),
                expected: truth.len(),
                got: pred.len(),
            });
        }
        if pred.is_empty() {
            return Err(EvalError::NoDocuments);
        }
        let (p, n_pred) = dense_ids(pred);
        let (t, n_true) = dense_ids(truth);
        let mut counts = vec![0u64; n_pred * n_true];
        for (&i, &j) in p.iter().zip(&t) {
            counts[i * n_true + j] += 1;
        }
        Ok(Contingency {
            n: pred.len() as f64,
            n_pred,
            n_true,
            counts,
        })
    }

    fn purity(&self) -> f64 {
        let hits: u64 = self
            .counts
            .chunks(self.n_true)
            .map(|row| row.iter().copied().max().unwrap_or(0))
            .sum();
        hits as f64 / self.n
    }

    fn nmi(&self) -> f64 {
        if self.n_pred == 1 && self.n_true == 1 {
            return 1.0;
        }
        let rows: Vec<&[u64]> = self.counts.chunks(self.n_true).collect();
        let a: Vec<u64> = rows.iter().map(|r| r.iter().sum()).collect();
        let mut b = vec![0u64; self.n_true];
        for r in &rows {
            for (bj, &c) in b.iter_mut().zip(r.iter()) {
                *bj += c;
            }
        }
        let mut mi = 0.0;
        for (r, &ai) in rows.iter().zip(&a) {
            for (&c, &bj) in r.iter().zip(&b) {
                if c > 0 {
                    let c = c as f64;
                    mi += c / self.n * (self.n * c / (ai as f64 * bj as f64)).ln();
                }
            }
        }
        // Rounding can leave a tiny negative MI for independent labelings; sklearn clips too.
        let mi = mi.max(0.0);
        if mi == 0.0 {
            return 0.0;
        }
        let h = |m: &[u64]| -> f64 {
            m.iter()
                .filter(|&&c| c > 0)
                .map(|&c| {
                    let p = c as f64 / self.n;
                    -p * p.ln()
                })
                .sum()
        };
        mi / ((h(&a) + h(&b)) / 2.0)
    }
}

/// Maps arbitrary ids to 0..k (in ascending order of id); returns the mapped ids and k.
fn dense_ids(x: &[u32]) -> (Vec<usize>, usize) {
    let mut uniq = x.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let mapped = x
        .iter()
        .map(|v| uniq.binary_search(v).unwrap_or_default())
        .collect();
    (mapped, uniq.len())
}
