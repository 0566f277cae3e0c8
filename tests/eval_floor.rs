//! The random-topic floor: against a direct computation, seeded, on 20ng-1883 at the level the
//! project measured independently, and its errors.
mod corpus_common;

use gcatm::corpus::{load_20ng_1883, Corpus, Vocab};
use gcatm::eval::{
    coherence, random_floor, CoherenceOptions, Evaluator, FloorOptions, Measure, Measures,
    ReferenceIndex,
};

/// Six words over a few documents with very different co-occurrences.
fn small_reference() -> Corpus {
    let words = ["a", "b", "c", "d", "e", "f"];
    let vocab = Vocab::new(words.iter().map(|w| w.to_string()).collect()).unwrap();
    let docs: Vec<Vec<(u32, f32)>> = [
        vec![0, 1, 2],
        vec![0, 1],
        vec![0, 3],
        vec![2, 3, 4],
        vec![4, 5],
        vec![1, 5],
        vec![0, 1, 2, 3],
        vec![5],
    ]
    .iter()
    .map(|d| d.iter().map(|&w| (w, 1.0)).collect())
    .collect();
    Corpus::from_docs(&docs, vocab).unwrap()
}

/// With 2-word topics every draw is one pair chosen uniformly, so over many draws the floor's
/// mean is the mean NPMI over all 15 pairs, computed here pair by pair.
#[test]
fn two_word_floor_converges_to_the_mean_over_all_pairs() {
    let index = ReferenceIndex::new(&small_reference());
    let opts = CoherenceOptions::default();
    let pairs: Vec<Vec<u32>> = (0..6u32)
        .flat_map(|i| (i + 1..6).map(move |j| vec![i, j]))
        .collect();
    let all = coherence(&index, &pairs, Measures::NPMI, &opts)
        .unwrap()
        .npmi
        .unwrap();
    let direct = all.per_topic.iter().sum::<f64>() / all.per_topic.len() as f64;
    let spread = {
        let v = all
            .per_topic
            .iter()
            .map(|x| (x - direct).powi(2))
            .sum::<f64>()
            / 15.0;
        v.sqrt()
    };
    let floor = random_floor(
        &index,
        &FloorOptions {
            words: 2,
            draws: 2000,
            ..FloorOptions::new(5)
        },
        &opts,
    )
    .unwrap();
    // 10 000 pairs drawn: the mean's standard error is spread / 100.
    assert!(
        (floor.mean - direct).abs() < 4.0 * spread / 100.0,
        "floor {} vs direct {direct} (pair spread {spread})",
        floor.mean
    );
    // Each draw averages 5 pairs: the spread over draws is about spread / sqrt(5).
    let expected = spread / 5f64.sqrt();
    assert!(
        (floor.std - expected).abs() < 0.15 * expected,
        "std {} vs {expected}",
        floor.std
    );
}

#[test]
fn floor_is_seeded_and_checks_its_options() {
    let index = ReferenceIndex::new(&small_reference());
    let opts = CoherenceOptions::default();
    let base = FloorOptions {
        words: 3,
        ..FloorOptions::new(4)
    };
    let a = random_floor(&index, &base, &opts).unwrap();
    assert_eq!(a, random_floor(&index, &base, &opts).unwrap());
    let b = random_floor(&index, &FloorOptions { seed: 7, ..base }, &opts).unwrap();
    assert_ne!(a.mean, b.mean);
    let weighted = random_floor(
        &index,
        &FloorOptions {
            weighted: true,
            ..base
        },
        &opts,
    )
    .unwrap();
    assert!(weighted.mean.is_finite());
    let cv = random_floor(
        &index,
        &FloorOptions {
            measure: Measure::Cv,
            ..base
        },
        &opts,
    )
    .unwrap();
    assert!(cv.mean.is_finite() && cv.mean != a.mean);
    for bad in [
        FloorOptions { topics: 0, ..base },
        FloorOptions { draws: 0, ..base },
        FloorOptions { words: 1, ..base },
        FloorOptions { words: 7, ..base },
    ] {
        assert!(random_floor(&index, &bad, &opts).is_err(), "{bad:?}");
    }
    assert_eq!("cv".parse::<Measure>().unwrap(), Measure::Cv);
    assert!("nope".parse::<Measure>().is_err());
}

/// On 20ng-1883 (train + test as reference, the -1 convention) random 10-word topics score
/// 0.053 ± 0.016 at K = 20 and 0.058 ± 0.008 at K = 50 (20 draws each, measured independently
/// with numpy). Our draws differ, so the means agree to within a few standard errors.
#[test]
fn floor_on_20ng_1883_matches_the_independent_measurement() {
    let (train, test) = load_20ng_1883(&corpus_common::data_root()).unwrap();
    let evaluator = Evaluator::new(&train.concat(&test).unwrap(), Some(&test)).unwrap();
    for (k, mean, std) in [(20, 0.053, 0.016), (50, 0.058, 0.008)] {
        let floor = evaluator.npmi_floor(k).unwrap();
        let se = std / 20f64.sqrt();
        assert!(
            (floor.mean - mean).abs() < 4.0 * se,
            "K = {k}: floor {floor} vs {mean} ± {std}"
        );
        assert!(
            floor.std > 0.4 * std && floor.std < 2.0 * std,
            "K = {k}: {floor}"
        );
        // Cached: the same value again.
        assert_eq!(evaluator.npmi_floor(k).unwrap(), floor);
    }
}
