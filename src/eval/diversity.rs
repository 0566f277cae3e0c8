//! How different the topics are from each other: topic diversity and topic uniqueness.
use super::EvalError;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Topic diversity (Dieng et al. 2020): the fraction of distinct words among all topics' top
/// `top_n` words, |union of top-n sets| / (sum over topics of min(top_n, topic length)), which is
/// the usual `unique / (top_n * K)` when every topic has at least `top_n` words. 1 means no topic
/// shares a word with another; 1/K means all topics are the same. The project reports it for
/// `top_n = 25`. Words may be strings or ids.
///
/// ```
/// use gcatm::eval::topic_diversity;
/// let topics = vec![vec!["a", "b"], vec!["b", "c"]];
/// assert_eq!(topic_diversity(&topics, 2).unwrap(), 0.75); // {a, b, c} / 4
/// ```
pub fn topic_diversity<T: Eq + Hash>(topics: &[Vec<T>], top_n: usize) -> Result<f64, EvalError> {
    let total: usize = topics.iter().map(|t| t.len().min(top_n)).sum();
    if total == 0 {
        return Err(EvalError::NoTopics);
    }
    let unique: HashSet<&T> = topics.iter().flat_map(|t| t.iter().take(top_n)).collect();
    Ok(unique.len() as f64 / total as f64)
}

/// Topic uniqueness (Nan et al. 2019): TU = (1/K) sum_k (1/|T_k|) sum_{w in T_k} 1 / cnt(w), where
/// T_k is the set of topic k's top `top_n` words (a word repeated within one topic counts once)
/// and cnt(w) the number of topics whose T_k holds w. It lies in [1/K, 1]: 1 when no word is
/// shared. Topics with no words are left out of the mean. When every topic has exactly `top_n`
/// distinct words, TU = (1/(K top_n)) sum over distinct words of cnt(w)/cnt(w) = TD over the
/// same `top_n`; the two differ when lengths differ (the project uses TU on the top 10 and TD on
/// the top 25).
///
/// ```
/// use gcatm::eval::topic_uniqueness;
/// let topics = vec![vec!["a", "b"], vec!["b", "c"]];
/// // cnt: a 1, b 2, c 1; topic 1: (1 + 1/2) / 2 = 0.75, topic 2 the same
/// assert_eq!(topic_uniqueness(&topics, 2).unwrap(), 0.75);
/// ```
pub fn topic_uniqueness<T: Eq + Hash>(topics: &[Vec<T>], top_n: usize) -> Result<f64, EvalError> {
    // Each topic's distinct words in their order (not a HashSet's, whose iteration order, and so
    // the float sum below, would change from process to process).
    let sets: Vec<Vec<&T>> = topics
        .iter()
        .map(|t| {
            let mut seen = HashSet::new();
            t.iter()
                .take(top_n)
                .filter(|w| seen.insert(*w))
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    if sets.is_empty() {
        return Err(EvalError::NoTopics);
    }
    let mut cnt: HashMap<&T, usize> = HashMap::new();
    for s in &sets {
        for &w in s {
            *cnt.entry(w).or_default() += 1;
        }
    }
    let sum: f64 = sets
        .iter()
        .map(|s| s.iter().map(|w| 1.0 / cnt[w] as f64).sum::<f64>() / s.len() as f64)
        .sum();
    Ok(sum / sets.len() as f64)
}
