//! `gcatm coherence`: score topics (one per line) against a reference corpus.
use anyhow::{bail, Context};
use gcatm::corpus::{read_vocab_file, Corpus, Format, Split};
use gcatm::eval::{coherence, CoherenceOptions, Measures, NpmiConvention, ReferenceIndex};
use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// Arguments of `gcatm coherence`.
#[derive(clap::Args)]
pub struct CoherenceArgs {
    /// File with one topic per line: space-separated words, most probable first (blank lines are
    /// skipped).
    #[arg(long)]
    pub topics: PathBuf,
    /// Reference corpus folder (any layout `gcatm corpus` reads; detected from its files).
    #[arg(long)]
    pub reference: PathBuf,
    /// Which documents of the reference to use: all, train or test.
    #[arg(long, default_value = "all", value_parser = parse_split)]
    pub split: Split,
    /// Keep only the words of this vocabulary file (vocab.pkl or one word per line); documents
    /// left empty are dropped.
    #[arg(long)]
    pub restrict_vocab: Option<PathBuf>,
    /// Comma-separated measures: npmi, uci, umass, cv (NPMI is always reported).
    #[arg(long, default_value = "npmi")]
    pub measures: String,
    /// Words per topic to score (the first N of each line).
    #[arg(long, default_value_t = 10)]
    pub top_n: usize,
    /// NPMI smoothing epsilon (1e-12 reproduces gensim's c_npmi); without it a never
    /// co-occurring pair scores -1.
    #[arg(long)]
    pub npmi_eps: Option<f64>,
    /// Fail on topic words missing from the reference vocabulary instead of scoring the topic
    /// without them.
    #[arg(long)]
    pub strict: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn parse_split(s: &str) -> Result<Split, String> {
    s.parse()
        .map_err(|e: gcatm::corpus::CorpusError| e.to_string())
}

/// One topic line after looking its words up.
struct Topic {
    scored: Vec<String>,
    ids: Vec<u32>,
    missing: Vec<String>,
}

/// Runs `gcatm coherence`.
pub fn run(args: CoherenceArgs) -> anyhow::Result<()> {
    let mut measures: Measures = args.measures.parse()?;
    measures.npmi = true;
    let options = CoherenceOptions {
        npmi: match args.npmi_eps {
            Some(e) => NpmiConvention::Epsilon(e),
            None => NpmiConvention::Bouma,
        },
        ..Default::default()
    };
    options.validate()?;
    if args.top_n < 2 {
        bail!("--top-n must be at least 2, got {}", args.top_n);
    }

    let mut reference = Corpus::load(&args.reference, Format::Auto, args.split)
        .with_context(|| format!("loading the reference corpus {}", args.reference.display()))?;
    if let Some(path) = &args.restrict_vocab {
        let vocab = read_vocab_file(path)?;
        reference = reference.restrict_to(&vocab)?;
    }
    let (reference, dropped) = reference.drop_empty()?;
    let index = ReferenceIndex::new(&reference);

    let text = std::fs::read_to_string(&args.topics)
        .with_context(|| format!("reading topics from {}", args.topics.display()))?;
    let mut topics = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().take(args.top_n).collect();
        if words.is_empty() {
            continue;
        }
        let (ids, missing) = index.ids_partial(&words);
        if ids.len() < 2 {
            bail!(
                "{} line {}: fewer than 2 words in the reference vocabulary (missing: {})",
                args.topics.display(),
                line_no + 1,
                missing.join(", ")
            );
        }
        let scored = ids
            .iter()
            .map(|&i| index.vocab().word(i as usize).to_string())
            .collect();
        topics.push(Topic {
            scored,
            ids,
            missing,
        });
    }
    if topics.is_empty() {
        bail!("{} holds no topics", args.topics.display());
    }
    let missing: Vec<String> = topics.iter().flat_map(|t| t.missing.clone()).collect();
    if !missing.is_empty() {
        if args.strict {
            bail!(gcatm::eval::EvalError::MissingWords(missing));
        }
        eprintln!(
            "gcatm coherence: {} word(s) not in the reference vocabulary, scored without them: {}",
            missing.len(),
            missing.join(", ")
        );
    }

    let ids: Vec<Vec<u32>> = topics.iter().map(|t| t.ids.clone()).collect();
    let scores = coherence(&index, &ids, measures, &options)?;
    let columns: Vec<(&str, &gcatm::eval::TopicScores)> = [
        ("npmi", &scores.npmi),
        ("uci", &scores.uci),
        ("umass", &scores.umass),
        ("cv", &scores.cv),
    ]
    .into_iter()
    .filter_map(|(name, s)| s.as_ref().map(|s| (name, s)))
    .collect();

    if args.json {
        let number = |x: f64| if x.is_finite() { json!(x) } else { Value::Null };
        let per_topic: Vec<Value> = topics
            .iter()
            .enumerate()
            .map(|(k, t)| {
                let mut o = Map::new();
                o.insert("words".into(), json!(t.scored));
                o.insert("missing".into(), json!(t.missing));
                for (name, s) in &columns {
                    o.insert((*name).into(), number(s.per_topic[k]));
                }
                Value::Object(o)
            })
            .collect();
        let mut out = Map::new();
        for (name, s) in &columns {
            out.insert((*name).into(), number(s.mean));
        }
        out.insert("per_topic".into(), Value::Array(per_topic));
        out.insert("missing_words".into(), json!(missing));
        out.insert(
            "reference".into(),
            json!({
                "path": args.reference.display().to_string(),
                "docs": index.n_docs(),
                "vocab_size": index.vocab_size(),
                "empty_docs_dropped": dropped,
            }),
        );
        out.insert("options".into(), serde_json::to_value(options)?);
        println!("{}", serde_json::to_string_pretty(&Value::Object(out))?);
        return Ok(());
    }

    println!(
        "reference {}: {} documents ({} empty dropped), {} words; NPMI convention {:?}",
        args.reference.display(),
        index.n_docs(),
        dropped,
        index.vocab_size(),
        options.npmi
    );
    let header: Vec<String> = columns.iter().map(|(n, _)| format!("{n:>8}")).collect();
    println!("{:>5} {}  words", "topic", header.join(" "));
    let cell = |x: f64| format!("{x:>8.4}");
    for (k, t) in topics.iter().enumerate() {
        let vals: Vec<String> = columns.iter().map(|(_, s)| cell(s.per_topic[k])).collect();
        let mut words = t.scored.join(" ");
        if !t.missing.is_empty() {
            words.push_str(&format!("  (missing: {})", t.missing.join(" ")));
        }
        println!("{k:>5} {}  {words}", vals.join(" "));
    }
    let means: Vec<String> = columns.iter().map(|(_, s)| cell(s.mean)).collect();
    println!("{:>5} {}", "mean", means.join(" "));
    Ok(())
}
