//! The model-facing side of evaluation: topic words of a generator, theta of an encoder, and the
//! Evaluator end to end.
use candle_core::{DType, Device, ModuleT, Tensor};
use candle_nn::VarMap;
use gcatm::corpus::PlantedCorpus;
use gcatm::eval::{
    assign_topics, encoder_theta, infer_theta, topic_words, topic_words_of, EvalError, Evaluator,
    Measures,
};
use gcatm::model::{seeded_var_builder, Encoder, Generator, Variant};

/// A generator whose topics are the planted ones: theta -> theta P (P = K x V topic-word matrix).
struct PlantedGenerator(Tensor);
impl ModuleT for PlantedGenerator {
    fn forward_t(&self, theta: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        theta.matmul(&self.0)
    }
}

/// An encoder that scores each topic by the planted probability mass of the document's words:
/// theta = bow P^T (unnormalised; argmax is what clustering uses).
struct PlantedEncoder(Tensor);
impl ModuleT for PlantedEncoder {
    fn forward_t(&self, bow: &Tensor, _train: bool) -> candle_core::Result<Tensor> {
        bow.matmul(&self.0.t()?)
    }
}

fn planted() -> PlantedCorpus {
    PlantedCorpus::builder()
        .topics(5)
        .docs(600)
        .alpha(0.05)
        .seed(4)
        .build()
}

fn topic_matrix(p: &PlantedCorpus) -> Tensor {
    let flat: Vec<f32> = p.topics.iter().flatten().copied().collect();
    Tensor::from_vec(flat, (p.topics.len(), p.corpus.vocab_size()), &Device::Cpu).unwrap()
}

#[test]
fn eval_model_planted_topics_score_well() {
    let p = planted();
    let evaluator = Evaluator::new(&p.corpus, Some(&p.corpus))
        .unwrap()
        .measures(Measures::ALL)
        .batch_size(64)
        .unwrap();
    let m = topic_matrix(&p);
    let e = evaluator
        .evaluate_modules(
            &PlantedGenerator(m.clone()),
            5,
            &PlantedEncoder(m),
            &Device::Cpu,
        )
        .unwrap();
    for k in 0..5 {
        assert_eq!(e.topics[k], p.top_words(k, 10));
    }
    assert!(
        e.npmi.mean > 0.2,
        "planted topics should be coherent: {}",
        e.npmi.mean
    );
    // Top 25 = each topic's 20 own words + the same 5 background words: (100 + 5) / 125.
    assert!((e.td - 0.84).abs() < 1e-12, "{}", e.td);
    assert_eq!(e.tu, 1.0); // the top 10 are all own words
    let c = e.clustering.clone().unwrap();
    assert_eq!(c.docs, 600);
    // Planted labels are each document's dominant topic; the planted scorer recovers most.
    assert!(c.purity > 0.8 && c.nmi > 0.6, "{c:?}");
    let json = serde_json::to_value(&e).unwrap();
    assert!(json["clustering"]["nmi"].is_f64());
}

#[test]
fn eval_model_topic_words_use_inference_batchnorm() {
    let p = planted();
    let vocab = p.corpus.vocab();
    let vm = VarMap::new();
    let g = Generator::new(
        seeded_var_builder(&vm, 3, &Device::Cpu),
        vocab.len(),
        5,
        32,
        Variant::Hard,
        8,
        8,
    )
    .unwrap();
    // Move the BatchNorm running statistics away from their initial values with training passes.
    let theta = Tensor::rand(0f32, 1f32, (64, 5), &Device::Cpu).unwrap();
    for _ in 0..5 {
        g.forward_t(&theta, true).unwrap();
    }
    let topics = topic_words(&g, vocab, 7).unwrap();
    let eye = Tensor::eye(5, DType::F32, &Device::Cpu).unwrap();
    let rows = g.forward_t(&eye, false).unwrap().to_vec2::<f32>().unwrap();
    for (k, t) in topics.iter().enumerate() {
        let mut order: Vec<usize> = (0..vocab.len()).collect();
        order.sort_by(|&a, &b| rows[k][b].total_cmp(&rows[k][a]).then(a.cmp(&b)));
        let want: Vec<u32> = order[..7].iter().map(|&i| i as u32).collect();
        assert_eq!(t.ids, want, "topic {k}");
        assert_eq!(t.probs[0], rows[k][order[0]]);
        assert_eq!(t.words[0], vocab.word(order[0]));
    }
    // Evaluating twice gives the same topics: inference mode does not update the statistics.
    assert_eq!(topic_words(&g, vocab, 7).unwrap(), topics);
}

#[test]
fn eval_model_encoder_theta_sparse_matches_dense() {
    let p = planted();
    let v = p.corpus.vocab_size();
    let vm = VarMap::new();
    let enc = Encoder::new(seeded_var_builder(&vm, 1, &Device::Cpu), v, 5, 32).unwrap();
    let sparse = encoder_theta(&enc, &p.corpus, 100).unwrap();
    let dense = infer_theta(&enc, &p.corpus, &Device::Cpu, 37).unwrap();
    assert_eq!(sparse.dims(), &[600, 5]);
    let diff = (sparse - &dense)
        .unwrap()
        .abs()
        .unwrap()
        .max_all()
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    assert!(diff < 1e-5, "{diff}");
    let arg = assign_topics(&enc, &p.corpus, &Device::Cpu, 64).unwrap();
    let want = dense.argmax(1).unwrap().to_vec1::<u32>().unwrap();
    assert_eq!(arg, want);

    // The crate's Generator/Encoder entry point gives the same clustering as the generic one.
    let gm = VarMap::new();
    let g = Generator::new(
        seeded_var_builder(&gm, 2, &Device::Cpu),
        v,
        5,
        32,
        Variant::Bat,
        8,
        8,
    )
    .unwrap();
    let evaluator = Evaluator::new(&p.corpus, Some(&p.corpus)).unwrap();
    let a = evaluator.evaluate(&g, &enc).unwrap();
    let b = evaluator
        .evaluate_modules(&g, 5, &enc, &Device::Cpu)
        .unwrap();
    assert_eq!(a.topics, b.topics);
    let (ca, cb) = (a.clustering.unwrap(), b.clustering.unwrap());
    assert!((ca.nmi - cb.nmi).abs() < 1e-12 && ca.purity == cb.purity);
}

#[test]
fn eval_model_errors_instead_of_panics() {
    let p = planted();
    let m = topic_matrix(&p);
    let small = gcatm::corpus::Vocab::new(vec!["a".into(), "b".into()]).unwrap();
    assert!(matches!(
        topic_words_of(&PlantedGenerator(m.clone()), 5, &Device::Cpu, &small, 10),
        Err(EvalError::SizeMismatch { .. })
    ));
    let nan = (m.clone() * f64::NAN).unwrap();
    assert!(matches!(
        topic_words_of(
            &PlantedGenerator(nan),
            5,
            &Device::Cpu,
            p.corpus.vocab(),
            10
        ),
        Err(EvalError::NonFinite(_))
    ));
    assert!(matches!(
        topic_words_of(
            &PlantedGenerator(m.clone()),
            0,
            &Device::Cpu,
            p.corpus.vocab(),
            10
        ),
        Err(EvalError::NoTopics)
    ));
    // An encoder for another vocabulary size fails with a tensor error.
    let wrong = Tensor::zeros((5, 3), DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(
        infer_theta(&PlantedEncoder(wrong), &p.corpus, &Device::Cpu, 10),
        Err(EvalError::Candle(_))
    ));
    assert!(matches!(
        infer_theta(&PlantedEncoder(m), &p.corpus, &Device::Cpu, 0),
        Err(EvalError::InvalidOption(_))
    ));
}
