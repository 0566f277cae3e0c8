//! Every loader on the real corpora (`$GCATM_DATA`) and on generated files.
mod corpus_common;

use corpus_common::*;
use gcatm::corpus::{
    detect_format, load_prodlda, load_text, load_topmost, load_uci, read_pickled_vocab,
    read_vocab_file, Corpus, Format, Split, TextOptions, Tokenizer, ENGLISH_STOP_WORDS,
};
use std::io::Write;

// Reference numbers, computed independently with Python (zipfile + struct, and pickle with stand-in
// numpy classes) from the files in data/ (shipped with the crate).
const NG_TRAIN_DOCS: usize = 11314;
const NG_TEST_DOCS: usize = 7532;
const NG_TRAIN_TOKENS: f64 = 1_250_680.0;
const NG_TEST_TOKENS: f64 = 803_389.0;
const NG_SHARED_WORDS: usize = 1883;
const NG_TRAIN_RESTRICTED_TOKENS: f64 = 854_534.0;
const NG_TEST_RESTRICTED_TOKENS: f64 = 540_945.0;
/// Tokens of `valid.txt.npy` that are not `None` (12396 `None` positions are skipped).
const SAMPLE_TOKENS: f64 = 3889.0;
/// Documents of `valid.txt.npy` with no token left.
const SAMPLE_EMPTY_DOCS: usize = 4;

#[test]
fn topmost_20ng_train() {
    let c = load_topmost(&data_root().join("20ng"), Split::Train).unwrap();
    assert_eq!(c.n_docs(), NG_TRAIN_DOCS);
    assert_eq!(c.vocab_size(), 5000);
    assert_eq!(c.n_labels(), 20);
    assert_eq!(c.labels().unwrap().len(), NG_TRAIN_DOCS);
    assert_eq!(c.tokens(), NG_TRAIN_TOKENS);
    let (offsets, ids, _) = c.csr();
    for d in 0..c.n_docs() {
        assert!(ids[offsets[d]..offsets[d + 1]]
            .windows(2)
            .all(|w| w[0] < w[1]));
    }
}

#[test]
fn topmost_20ng_test_and_all() {
    let dir = data_root().join("20ng");
    let test = load_topmost(&dir, Split::Test).unwrap();
    assert_eq!(test.n_docs(), NG_TEST_DOCS);
    assert_eq!(test.tokens(), NG_TEST_TOKENS);
    assert_eq!(test.n_labels(), 20);
    let all = load_topmost(&dir, Split::All).unwrap();
    assert_eq!(all.n_docs(), NG_TRAIN_DOCS + NG_TEST_DOCS);
    assert_eq!(all.tokens(), NG_TRAIN_TOKENS + NG_TEST_TOKENS);
    // Train first, then test.
    assert_eq!(all.doc(NG_TRAIN_DOCS), test.doc(0));
    assert_eq!(
        all.labels().unwrap()[NG_TRAIN_DOCS],
        test.labels().unwrap()[0]
    );
}

#[test]
fn restrict_20ng_to_20news_clean_vocab() {
    let root = data_root();
    let vocab = read_vocab_file(&root.join("20news_clean_sample/vocab.pkl")).unwrap();
    assert_eq!(vocab.len(), 1995);
    let train = load_topmost(&root.join("20ng"), Split::Train).unwrap();
    let r = train.restrict_to(&vocab).unwrap();
    assert_eq!(r.vocab_size(), NG_SHARED_WORDS);
    let (r, dropped) = r.drop_empty().unwrap();
    assert_eq!(dropped, 0);
    assert_eq!(r.n_docs(), NG_TRAIN_DOCS);
    assert_eq!(r.tokens(), NG_TRAIN_RESTRICTED_TOKENS);
    let test = load_topmost(&root.join("20ng"), Split::Test).unwrap();
    let rt = test.restrict_to(&vocab).unwrap();
    assert_eq!(
        (rt.n_docs(), rt.tokens()),
        (NG_TEST_DOCS, NG_TEST_RESTRICTED_TOKENS)
    );
    // The restricted corpus keeps 20NG's column order.
    let words = r.vocab().words();
    assert!(words.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn prodlda_sample_valid() {
    let dir = data_root().join("20news_clean_sample");
    let c = load_prodlda(&dir, Split::All).unwrap();
    assert_eq!(c.n_docs(), 102);
    assert_eq!(c.vocab_size(), 1995);
    assert_eq!(c.tokens(), SAMPLE_TOKENS);
    assert!(c.labels().is_none());
    let (c, dropped) = c.drop_empty().unwrap();
    assert_eq!(
        (c.n_docs(), dropped),
        (102 - SAMPLE_EMPTY_DOCS, SAMPLE_EMPTY_DOCS)
    );
    // Same through the auto-detecting entry point.
    assert_eq!(detect_format(&dir).unwrap(), Format::ProdLda);
    let auto = Corpus::load(&dir, Format::Auto, Split::All).unwrap();
    assert_eq!(auto.tokens(), SAMPLE_TOKENS);
}

#[test]
fn prodlda_sample_missing_split_names_present_files() {
    let dir = data_root().join("20news_clean_sample");
    for split in [Split::Train, Split::Test] {
        let msg = err_text(load_prodlda(&dir, split));
        assert!(msg.contains("valid.txt.npy"), "{msg}");
        assert!(msg.contains(".txt.npy: no such file"), "{msg}");
    }
}

#[test]
fn pickled_vocab_sample() {
    let v = read_pickled_vocab(&data_root().join("20news_clean_sample/vocab.pkl")).unwrap();
    assert_eq!(v.len(), 1995);
    assert_eq!(v.word(0), "_eos_");
    assert_eq!(v.id("limited"), Some(1481));
    assert_eq!(v.id("child"), Some(181));
}

#[test]
fn detect_format_real() {
    let root = data_root();
    assert_eq!(detect_format(&root.join("20ng")).unwrap(), Format::TopMost);
    assert_eq!(
        detect_format(&root.join("20news_clean_sample")).unwrap(),
        Format::ProdLda
    );
}

#[test]
fn prodlda_generated_every_inner_encoding() {
    let words = ["apple", "pear", "plum", "fig"];
    let train = vec![vec![0, 2, 2, 3], vec![1], vec![]];
    let test = vec![vec![3, 3, 3]];
    let valid = vec![vec![-1, 1, -1, 0]];
    for style in [
        InnerStyle::Py2Bytes,
        InnerStyle::Py3Codecs,
        InnerStyle::BigEndianBytes,
        InnerStyle::Objects,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let valid_style_ok = style == InnerStyle::Objects;
        let mut files: Vec<(&str, &[Vec<i64>])> =
            vec![("train.txt.npy", &train), ("test.txt.npy", &test)];
        if valid_style_ok {
            files.push(("valid.txt.npy", &valid));
        }
        write_prodlda_dir(tmp.path(), &words, &files, style);
        let c = load_prodlda(tmp.path(), Split::Train).unwrap();
        assert_eq!(c.n_docs(), 3, "{style:?}");
        assert_eq!(
            c.doc(0),
            (&[0u32, 2, 3][..], &[1.0f32, 2.0, 1.0][..]),
            "{style:?}"
        );
        assert_eq!(c.doc(1), (&[1u32][..], &[1.0f32][..]));
        assert_eq!(c.doc_len(2), 0.0);
        let t = load_prodlda(tmp.path(), Split::Test).unwrap();
        assert_eq!(t.doc(0), (&[3u32][..], &[3.0f32][..]));
        let all = load_prodlda(tmp.path(), Split::All).unwrap();
        if valid_style_ok {
            assert_eq!(all.n_docs(), 5);
            // None positions skipped.
            assert_eq!(all.doc(4), (&[0u32, 1][..], &[1.0f32, 1.0][..]));
        } else {
            assert_eq!(all.n_docs(), 4);
        }
    }
}

#[test]
fn prodlda_long_documents_use_binstring() {
    // 40 tokens of 8 bytes: more than SHORT_BINSTRING's 255 bytes.
    let doc: Vec<i64> = (0..40).map(|i| i % 4).collect();
    let tmp = tempfile::tempdir().unwrap();
    write_prodlda_dir(
        tmp.path(),
        &["a", "b", "c", "d"],
        &[("train.txt.npy", &[doc])],
        InnerStyle::Py2Bytes,
    );
    let c = load_prodlda(tmp.path(), Split::Train).unwrap();
    assert_eq!(c.doc(0).1, &[10.0f32; 4][..]);
}

#[test]
fn topmost_generated_layouts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("vocab.txt"), "apple\npear\nplum\n").unwrap();
    // Row 0 unsorted with a duplicate column (scipy allows both); row 1 empty; row 2 plain.
    write_csr_npz(
        &dir.join("train_bow.npz"),
        &[1, 2, 3, 4],
        &[2, 0, 2, 1],
        &[0, 3, 3, 4],
        [3, 3],
        true,
    );
    write_csr_npz(
        &dir.join("test_bow.npz"),
        &[5],
        &[1],
        &[0, 1],
        [1, 3],
        false,
    );
    std::fs::write(dir.join("train_labels.txt"), "0\n1\n1\n").unwrap();
    let c = load_topmost(dir, Split::Train).unwrap();
    assert_eq!(c.doc(0), (&[0u32, 2][..], &[2.0f32, 4.0][..]));
    assert_eq!(c.doc_len(1), 0.0);
    assert_eq!(c.labels(), Some(&[0u32, 1, 1][..]));
    // No test label file: no labels, and none for the concatenation either.
    let t = load_topmost(dir, Split::Test).unwrap();
    assert!(t.labels().is_none());
    assert_eq!(t.doc(0), (&[1u32][..], &[5.0f32][..]));
    let all = load_topmost(dir, Split::All).unwrap();
    assert_eq!(all.n_docs(), 4);
    assert!(all.labels().is_none());
}

#[test]
fn uci_plain_and_gzip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let docword = "3\n4\n4\n1 1 2\n1 4 1\n3 2 5\n3 3 1\n";
    std::fs::write(dir.join("vocab.kos.txt"), "alpha\nbeta\ngamma\ndelta\n").unwrap();
    std::fs::write(dir.join("docword.kos.txt"), docword).unwrap();
    let c = load_uci(dir).unwrap();
    assert_eq!((c.n_docs(), c.vocab_size(), c.tokens()), (3, 4, 9.0));
    assert_eq!(c.doc(0), (&[0u32, 3][..], &[2.0f32, 1.0][..]));
    assert_eq!(c.doc_len(1), 0.0);
    assert_eq!(detect_format(dir).unwrap(), Format::Uci);

    let gz_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        gz_dir.path().join("vocab.kos.txt"),
        "alpha\nbeta\ngamma\ndelta\n",
    )
    .unwrap();
    let gz_path = gz_dir.path().join("docword.kos.txt.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(docword.as_bytes()).unwrap();
    enc.finish().unwrap();
    let g = load_uci(&gz_path).unwrap();
    assert_eq!(g, c);
}

#[test]
fn text_file_one_document_per_line() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("docs.txt");
    std::fs::write(
        &path,
        "The rocket reached orbit.\n\nOrbit, orbit and ORBIT again!\nA sheep.\n",
    )
    .unwrap();
    let c = load_text(&path, &TextOptions::default()).unwrap();
    assert_eq!(c.n_docs(), 4);
    assert_eq!(c.vocab().words(), &["orbit", "reached", "rocket", "sheep"]);
    assert_eq!(c.doc_len(1), 0.0); // the empty line
    assert_eq!(c.doc(2), (&[0u32][..], &[3.0f32][..]));
    assert_eq!(detect_format(&path).unwrap(), Format::Text);
}

#[test]
fn text_folder_and_labelled_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat");
    std::fs::create_dir(&flat).unwrap();
    std::fs::write(flat.join("b.txt"), "comet comet").unwrap();
    std::fs::write(flat.join("a.txt"), "planet comet").unwrap();
    std::fs::write(flat.join(".hidden"), "ignored words here").unwrap();
    let c = load_text(&flat, &TextOptions::default()).unwrap();
    assert_eq!(c.n_docs(), 2);
    assert_eq!(c.vocab().words(), &["comet", "planet"]);
    assert_eq!(c.doc(0), (&[0u32, 1][..], &[1.0f32, 1.0][..])); // a.txt first

    let classes = tmp.path().join("classes");
    for (class, docs) in [
        ("sci.space", ["orbit rocket", "moon orbit"]),
        ("rec.autos", ["engine", "brake engine"]),
    ] {
        let d = classes.join(class);
        std::fs::create_dir_all(&d).unwrap();
        for (i, text) in docs.iter().enumerate() {
            std::fs::write(d.join(format!("{i}")), text).unwrap();
        }
    }
    let c = load_text(&classes, &TextOptions::default()).unwrap();
    assert_eq!(c.n_docs(), 4);
    assert_eq!(c.label_names().unwrap(), &["rec.autos", "sci.space"]);
    assert_eq!(c.labels().unwrap(), &[0, 0, 1, 1]);
    assert_eq!(detect_format(&classes).unwrap(), Format::Text);
}

#[test]
fn text_vocabulary_filter_like_gensim() {
    // 20 documents: the filters apply. "common" is in all (over 50%), "rare" in 2 (< 5),
    // "topic" in 5 (kept), "galaxy" in 10 (= 50%, kept).
    let mut texts = Vec::new();
    for i in 0..20 {
        let mut t = String::from("common");
        if i < 2 {
            t.push_str(" rare");
        }
        if i < 5 {
            t.push_str(" topic");
        }
        if i % 2 == 0 {
            t.push_str(" galaxy");
        }
        texts.push(t);
    }
    let c = Corpus::from_texts(&texts, &TextOptions::default()).unwrap();
    assert_eq!(c.vocab().words(), &["galaxy", "topic"]);
    // keep_n keeps the most frequent by document count.
    let c = Corpus::from_texts(&texts, &TextOptions::default().keep_n(Some(1))).unwrap();
    assert_eq!(c.vocab().words(), &["galaxy"]);
    // Below filter_min_docs nothing is filtered.
    let c = Corpus::from_texts(&texts[..5], &TextOptions::default()).unwrap();
    assert_eq!(c.vocab().words(), &["common", "galaxy", "rare", "topic"]);
    // A fixed vocabulary drops unknown tokens.
    let v = gcatm::corpus::Vocab::new(vec!["topic".into(), "zebra".into()]).unwrap();
    let c = Corpus::from_texts(&texts, &TextOptions::default().vocab(v)).unwrap();
    assert_eq!((c.vocab_size(), c.tokens()), (2, 5.0));
}

#[test]
fn tokenizer_settings() {
    assert!(ENGLISH_STOP_WORDS.contains(&"the"));
    assert!(ENGLISH_STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    let t = Tokenizer::default();
    assert_eq!(
        t.tokenize("Über-cool naïve cafés, 42 x's; THE end"),
        vec!["über", "cool", "naïve", "cafés", "end"]
    );
    assert_eq!(t.clone().max_len(4).tokenize("tiny enormous"), vec!["tiny"]);
    assert_eq!(
        t.clone()
            .lowercase(false)
            .stop_words(["Moon"])
            .tokenize("The Moon rises"),
        vec!["The", "rises"]
    );
}
