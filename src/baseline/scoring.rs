//! What every baseline does the same way once it has topics: its top words, each document's
//! topic, and the crate's scores of both.
use super::BaselineError;
use crate::corpus::{Corpus, Vocab};
use crate::eval::{Evaluation, Evaluator};
use ndarray::Array2;

/// Each topic's `n` words of largest `weight(topic, word)`, largest first (ties: lower word id
/// first).
pub(super) fn top_words_by(
    k: usize,
    vocab: &Vocab,
    n: usize,
    weight: impl Fn(usize, usize) -> f64,
) -> Vec<Vec<String>> {
    (0..k)
        .map(|t| {
            let mut ids: Vec<usize> = (0..vocab.len()).collect();
            ids.sort_by(|&a, &b| weight(t, b).total_cmp(&weight(t, a)).then(a.cmp(&b)));
            ids.iter()
                .take(n)
                .map(|&w| vocab.word(w).to_string())
                .collect()
        })
        .collect()
}

/// Each row's largest entry (ties: the lower topic).
pub(super) fn argmax_rows(theta: &Array2<f64>) -> Vec<u32> {
    theta
        .rows()
        .into_iter()
        .map(|r| {
            let mut best = 0;
            for (t, &x) in r.iter().enumerate() {
                if x > r[best] {
                    best = t;
                }
            }
            best as u32
        })
        .collect()
}

/// Coherence, TD and TU of `words` (enough per topic for the evaluator's coherence and TD), and
/// with the evaluator's labelled test documents, purity and NMI of `assign`'s topics.
pub(super) fn evaluate(
    evaluator: &Evaluator,
    words: &[Vec<String>],
    assign: impl FnOnce(&Corpus) -> Result<Vec<u32>, BaselineError>,
) -> Result<Evaluation, BaselineError> {
    let mut evaluation = evaluator.evaluate_topics(words)?;
    if let Some(test) = evaluator.test_corpus() {
        let pred = assign(test)?;
        evaluation.clustering = evaluator.score_clusters(&pred)?;
    }
    Ok(evaluation)
}

/// Words per topic handed to [`evaluate`]: enough for coherence (top 10) and TD (top 25).
pub(super) fn scored_words(vocab: &Vocab) -> usize {
    100.min(vocab.len())
}
