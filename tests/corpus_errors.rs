//! Every kind of bad input: each test builds the broken file in a tempdir and checks that the
//! loader returns an error (no panic) that names the file and says what is wrong.
mod corpus_common;

use corpus_common::*;
use gcatm::corpus::{
    load_prodlda, load_text, load_topmost, load_uci, read_pickled_vocab, read_vocab_file, Corpus,
    Format, Split, TextOptions,
};
use std::io::Write;
use std::path::Path;

/// A valid TopMost folder: 3 documents over 3 words, labels for train.
fn topmost_dir(dir: &Path) {
    std::fs::write(dir.join("vocab.txt"), "apple\npear\nplum\n").unwrap();
    write_csr_npz(
        &dir.join("train_bow.npz"),
        &[1, 2, 3],
        &[0, 2, 1],
        &[0, 2, 2, 3],
        [3, 3],
        false,
    );
    std::fs::write(dir.join("train_labels.txt"), "0\n1\n0\n").unwrap();
}

#[test]
fn valid_fixture_loads() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    assert_eq!(load_topmost(tmp.path(), Split::Train).unwrap().n_docs(), 3);
}

#[test]
fn missing_files() {
    let tmp = tempfile::tempdir().unwrap();
    let nowhere = tmp.path().join("nowhere");
    for msg in [
        err_text(load_topmost(&nowhere, Split::Train)),
        err_text(load_prodlda(&nowhere, Split::Train)),
        err_text(load_uci(&nowhere)),
        err_text(load_text(&nowhere, &TextOptions::default())),
        err_text(Corpus::load(&nowhere, Format::Auto, Split::All)),
    ] {
        assert_names(&msg, &nowhere, &["no such file"]);
    }
    // The folder is there, a file is not.
    topmost_dir(tmp.path());
    let msg = err_text(load_topmost(tmp.path(), Split::Test));
    assert_names(&msg, &tmp.path().join("test_bow.npz"), &["no such file"]);
    std::fs::remove_file(tmp.path().join("vocab.txt")).unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &tmp.path().join("vocab.txt"), &["no such file"]);
    let msg = err_text(read_vocab_file(&tmp.path().join("vocab.pkl")));
    assert_names(&msg, &tmp.path().join("vocab.pkl"), &["no such file"]);
}

#[test]
fn prodlda_missing_vocab_and_splits() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("valid.txt.npy"),
        prodlda_npy(&[vec![0]], InnerStyle::Objects),
    )
    .unwrap();
    let msg = err_text(load_prodlda(tmp.path(), Split::All));
    assert_names(&msg, &tmp.path().join("vocab.pkl"), &["no such file"]);
    let msg = err_text(load_prodlda(tmp.path(), Split::Train));
    assert!(msg.contains("train.txt.npy: no such file"), "{msg}");
    assert!(msg.contains("holds valid.txt.npy"), "{msg}");
    let empty = tempfile::tempdir().unwrap();
    let msg = err_text(load_prodlda(empty.path(), Split::All));
    assert!(
        msg.contains("none of train.txt.npy, test.txt.npy, valid.txt.npy"),
        "{msg}"
    );
}

#[test]
fn truncated_and_corrupt_npz() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    let npz = tmp.path().join("train_bow.npz");
    let bytes = std::fs::read(&npz).unwrap();
    // Truncated: the zip directory at the end is gone.
    std::fs::write(&npz, &bytes[..bytes.len() / 2]).unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &["not a readable .npz (zip) archive"]);
    // Not a zip at all.
    std::fs::write(&npz, b"hello, I am not a zip file").unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &["not a readable .npz (zip) archive"]);
    // Intact directory, damaged array data (the CRC or the .npy header no longer matches).
    let mut damaged = bytes.clone();
    let at = find(&damaged, b"\x93NUMPY").unwrap();
    damaged[at + 20..at + 60].fill(b'#');
    std::fs::write(&npz, &damaged).unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &["cannot read the array"]);
    // A compressed archive with damaged deflate data.
    write_csr_npz(&npz, &[1, 2, 3], &[0, 2, 1], &[0, 2, 2, 3], [3, 3], true);
    let mut c = std::fs::read(&npz).unwrap();
    let at = find(&c, b"indices.npy").unwrap() + 40;
    c[at..at + 30].fill(0xff);
    std::fs::write(&npz, &c).unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &[]);
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn npz_without_csr_arrays() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    let npz = tmp.path().join("train_bow.npz");
    let mut w = ndarray_npy::NpzWriter::new(std::fs::File::create(&npz).unwrap());
    w.add_array("row", &ndarray::arr1(&[0i32])).unwrap();
    w.finish().unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &["no array `data`", "scipy CSR"]);
}

#[test]
fn csr_parts_disagree_with_shape() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    let npz = tmp.path().join("train_bow.npz");
    type Case<'a> = (&'a [i64], &'a [i32], &'a [i32], [i64; 2], &'a str);
    let cases: Vec<Case> = vec![
        (
            &[1, 2, 3],
            &[0, 2, 1],
            &[0, 2, 3],
            [3, 3],
            "`indptr` has 3 entries but `shape` says 3 rows",
        ),
        (
            &[1, 2, 3],
            &[0, 2, 1],
            &[0, 2, 2, 5],
            [3, 3],
            "`indptr` ends at 5 but there are 3 stored entries",
        ),
        (
            &[1, 2],
            &[0, 2, 1],
            &[0, 2, 2, 3],
            [3, 3],
            "`indices` has 3 entries but `data` has 2",
        ),
        (
            &[1, 2, 3],
            &[0, 2, 1],
            &[1, 2, 2, 3],
            [3, 3],
            "`indptr` starts at 1",
        ),
        (
            &[1, 2, 3],
            &[0, 2, 1],
            &[0, 3, 2, 3],
            [3, 3],
            "`indptr` decreases at row 1",
        ),
        (
            &[1, 2, 3],
            &[0, 2, 1],
            &[0, 2, 2, 3],
            [-3, 3],
            "`shape` is [-3, 3]",
        ),
        (
            &[1, -2, 3],
            &[0, 2, 1],
            &[0, 2, 2, 3],
            [3, 3],
            "value -2 (entry 1) is negative",
        ),
    ];
    for (data, indices, indptr, shape, want) in cases {
        write_csr_npz(&npz, data, indices, indptr, shape, false);
        let msg = err_text(load_topmost(tmp.path(), Split::Train));
        assert_names(&msg, &npz, &[want]);
    }
}

#[test]
fn word_id_out_of_range() {
    // TopMost: a column index past the vocabulary.
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    let npz = tmp.path().join("train_bow.npz");
    write_csr_npz(&npz, &[1, 2, 3], &[0, 7, 1], &[0, 2, 2, 3], [3, 3], true);
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(
        &msg,
        &npz,
        &["column index 7 (entry 1) is out of range for 3 columns"],
    );

    // ProdLDA: a token id past vocab.pkl, in either encoding.
    for style in [InnerStyle::Py2Bytes, InnerStyle::Objects] {
        let p = tempfile::tempdir().unwrap();
        write_prodlda_dir(
            p.path(),
            &["a", "b"],
            &[("train.txt.npy", &[vec![0, 1], vec![1, 5]])],
            style,
        );
        let msg = err_text(load_prodlda(p.path(), Split::Train));
        assert_names(
            &msg,
            &p.path().join("train.txt.npy"),
            &["document 1: word id 5 is out of range for the vocabulary of 2 words"],
        );
    }

    // UCI: a wordID past W.
    let u = tempfile::tempdir().unwrap();
    std::fs::write(u.path().join("vocab.x.txt"), "a\nb\n").unwrap();
    std::fs::write(u.path().join("docword.x.txt"), "1\n2\n2\n1 1 1\n1 3 1\n").unwrap();
    let msg = err_text(load_uci(u.path()));
    assert_names(
        &msg,
        &u.path().join("docword.x.txt"),
        &["line 5", "wordID 3 is out of range 1..=2"],
    );
}

#[test]
fn vocabulary_size_disagrees_with_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    std::fs::write(tmp.path().join("vocab.txt"), "apple\npear\n").unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(
        &msg,
        &tmp.path().join("train_bow.npz"),
        &["3 columns but the vocabulary (vocab.txt) has 2 words"],
    );

    let u = tempfile::tempdir().unwrap();
    let vocab = u.path().join("vocab.x.txt");
    std::fs::write(&vocab, "a\nb\nc\n").unwrap();
    std::fs::write(u.path().join("docword.x.txt"), "1\n2\n1\n1 1 1\n").unwrap();
    let msg = err_text(load_uci(u.path()));
    assert_names(&msg, &vocab, &["W = 2 words", "has 3 words"]);
    assert_names(&msg, &u.path().join("docword.x.txt"), &[]);
}

#[test]
fn label_file_with_wrong_number_of_lines() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    let labels = tmp.path().join("train_labels.txt");
    std::fs::write(&labels, "0\n1\n").unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &labels, &["2 labels", "for 3 documents"]);
    std::fs::write(&labels, "0\nspace\n1\n").unwrap();
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(
        &msg,
        &labels,
        &["line 2", "`space` is not a non-negative integer label"],
    );
}

#[test]
fn unreadable_encodings() {
    let tmp = tempfile::tempdir().unwrap();
    // Latin-1 text: "café" with é as the single byte 0xe9.
    let text = tmp.path().join("latin1.txt");
    std::fs::write(&text, b"un caf\xe9 noir\n").unwrap();
    let msg = err_text(load_text(&text, &TextOptions::default()));
    assert_names(&msg, &text, &["not valid UTF-8", "offset 6"]);
    // The same file inside a folder of documents.
    let folder = tmp.path().join("docs");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.txt"), "fine words").unwrap();
    std::fs::write(folder.join("b.txt"), b"caf\xe9").unwrap();
    let msg = err_text(load_text(&folder, &TextOptions::default()));
    assert_names(&msg, &folder.join("b.txt"), &["not valid UTF-8"]);
    // A vocabulary and a label file.
    let dir = tempfile::tempdir().unwrap();
    topmost_dir(dir.path());
    std::fs::write(dir.path().join("vocab.txt"), b"apple\np\xeaar\nplum\n").unwrap();
    let msg = err_text(load_topmost(dir.path(), Split::Train));
    assert_names(&msg, &dir.path().join("vocab.txt"), &["not valid UTF-8"]);
    topmost_dir(dir.path());
    std::fs::write(dir.path().join("train_labels.txt"), b"0\n\xff\n1\n").unwrap();
    let msg = err_text(load_topmost(dir.path(), Split::Train));
    assert_names(
        &msg,
        &dir.path().join("train_labels.txt"),
        &["not valid UTF-8"],
    );
    // UCI docword.
    let u = tempfile::tempdir().unwrap();
    std::fs::write(u.path().join("vocab.x.txt"), "a\nb\n").unwrap();
    std::fs::write(u.path().join("docword.x.txt"), b"1\n2\n1\n1 1 \xff\n").unwrap();
    let msg = err_text(load_uci(u.path()));
    assert_names(&msg, &u.path().join("docword.x.txt"), &["line 4", "UTF-8"]);
}

#[test]
fn truncated_and_corrupt_npy() {
    let docs = vec![vec![0, 1, 1], vec![2]];
    let good = prodlda_npy(&docs, InnerStyle::Py2Bytes);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("train.txt.npy");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..good.len() - 30].to_vec(), "the pickle ends early"),
        (good[..40].to_vec(), "header is truncated"),
        (good[..5].to_vec(), "bad magic"),
        (b"PK\x03\x04 not numpy".to_vec(), "bad magic"),
        (
            {
                let mut g = good.clone();
                let at = good.len() - 20;
                g[at] = 0xfe; // an opcode that does not exist
                g
            },
            "corrupt pickle",
        ),
    ];
    for (bytes, want) in cases {
        write_prodlda_dir(tmp.path(), &["a", "b", "c"], &[], InnerStyle::Py2Bytes);
        std::fs::write(&path, &bytes).unwrap();
        let msg = err_text(load_prodlda(tmp.path(), Split::Train));
        assert_names(&msg, &path, &[want]);
    }
    // A non-object .npy.
    let mut header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }".to_string();
    while !(11 + header.len()).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend_from_slice(&7i64.to_le_bytes());
    std::fs::write(&path, npy).unwrap();
    let msg = err_text(load_prodlda(tmp.path(), Split::Train));
    assert_names(&msg, &path, &["found dtype '<i8'"]);
    // Real data truncated in the middle.
    let sample = std::fs::read(data_root().join("20news_clean_sample/valid.txt.npy")).unwrap();
    std::fs::write(&path, &sample[..sample.len() / 2]).unwrap();
    let msg = err_text(load_prodlda(tmp.path(), Split::Train));
    assert_names(&msg, &path, &["corrupt pickle", "ends early"]);
}

#[test]
fn corrupt_pickled_vocab() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("vocab.pkl");
    let good = vocab_pickle(&["apple", "pear", "plum"]);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..good.len() / 2].to_vec(), "ends early"),
        (b"\x00\x01\x02".to_vec(), "corrupt pickle"),
        (
            b"(dp1\nS'a'\nI0\nsS'b'\nI0\ns.".to_vec(),
            "the id 0 is given to both `a` and `b`",
        ),
        (
            b"(dp1\nS'a'\nI0\nsS'b'\nI7\ns.".to_vec(),
            "the id 7 of `b` is outside 0..2",
        ),
        (
            b"(dp1\nS'a'\nF1.5\ns.".to_vec(),
            "expected a dict word -> id",
        ),
        (b"I3\n.".to_vec(), "expected a pickled dict"),
        // A pickle that would call os.system: refused, never run.
        (
            b"cos\nsystem\n(S'echo hi'\ntR.".to_vec(),
            "does not support",
        ),
    ];
    for (bytes, want) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let msg = err_text(read_pickled_vocab(&path));
        assert_names(&msg, &path, &[want]);
        // The same through the ProdLDA loader and read_vocab_file.
        let msg = err_text(read_vocab_file(&path));
        assert_names(&msg, &path, &[want]);
    }
    // Real vocabulary truncated.
    let real = std::fs::read(data_root().join("20news_clean_sample/vocab.pkl")).unwrap();
    std::fs::write(&path, &real[..real.len() - 100]).unwrap();
    let msg = err_text(read_pickled_vocab(&path));
    assert_names(&msg, &path, &["corrupt pickle", "ends early"]);
}

#[test]
fn uci_bad_headers_and_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("vocab.x.txt"), "a\nb\n").unwrap();
    let docword = dir.join("docword.x.txt");
    let cases = [
        (
            "2\n2\n",
            "line 3: the file ends inside its three header lines",
        ),
        (
            "2\ntwo\n1\n1 1 1\n",
            "line 2: expected the number of words (a header line), found `two`",
        ),
        (
            "2\n2\n2\n1 1 1\n",
            "the header says NNZ = 2 entries but the file has 1",
        ),
        (
            "2\n2\n1\n1 1 1\n2 2 2\n",
            "line 5: more entries than the header's NNZ = 1",
        ),
        ("2\n2\n1\n3 1 1\n", "line 4: docID 3 is out of range 1..=2"),
        ("2\n2\n1\n0 1 1\n", "line 4: docID 0 is out of range"),
        (
            "2\n2\n1\n1 x 1\n",
            "line 4: wordID `x` is not a non-negative integer",
        ),
        (
            "2\n2\n1\n1 1 -4\n",
            "line 4: count `-4` is not a non-negative integer",
        ),
        ("2\n2\n1\n1 1\n", "line 4: expected `docID wordID count`"),
        ("2\n2\n1\n1 1 1 1\n", "line 4: expected three fields"),
        ("999999999\n2\n1\n1 1 1\n", "is not plausible"),
    ];
    for (content, want) in cases {
        std::fs::write(&docword, content).unwrap();
        let msg = err_text(load_uci(dir));
        assert_names(&msg, &docword, &[want]);
    }
    // Truncated gzip.
    std::fs::remove_file(&docword).unwrap();
    let gz = dir.join("docword.x.txt.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"2\n2\n3\n1 1 1\n1 2 1\n2 2 1\n").unwrap();
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz, &bytes[..bytes.len() - 12]).unwrap();
    let msg = err_text(load_uci(dir));
    assert_names(&msg, &gz, &[]);
    // Two docword files: ambiguous.
    std::fs::write(dir.join("docword.x.txt"), "1\n2\n1\n1 1 1\n").unwrap();
    let msg = err_text(load_uci(dir));
    assert!(msg.contains("several docword files"), "{msg}");
}

#[test]
fn text_that_leaves_no_vocabulary() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("docs.txt");
    // 25 documents, every word in all of them: no_above removes everything.
    std::fs::write(&path, "orbit rocket\n".repeat(25)).unwrap();
    let msg = err_text(load_text(&path, &TextOptions::default()));
    assert_names(&msg, &path, &["no word occurs", "no_above"]);
    std::fs::write(&path, "a an the\n").unwrap();
    let msg = err_text(load_text(&path, &TextOptions::default()));
    assert_names(&msg, &path, &["no token the tokenizer keeps"]);
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let msg = err_text(load_text(&empty, &TextOptions::default()));
    assert_names(&msg, &empty, &["no text files"]);
}

#[test]
fn empty_and_duplicate_vocab_files() {
    let tmp = tempfile::tempdir().unwrap();
    let v = tmp.path().join("vocab.txt");
    std::fs::write(&v, "\n\n").unwrap();
    assert_names(&err_text(read_vocab_file(&v)), &v, &["holds no words"]);
    std::fs::write(&v, "a\nb\na\n").unwrap();
    assert_names(&err_text(read_vocab_file(&v)), &v, &["`a` appears twice"]);
}

/// A tiny deterministic generator for the mutation tests (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn no_panic_on_any_truncation_or_byte_flip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // ProdLDA: every prefix and random byte flips of a generated file, in all inner encodings.
    let docs = vec![vec![0, 1, 1, -1], vec![2], vec![]];
    std::fs::write(dir.join("vocab.pkl"), vocab_pickle(&["a", "b", "c"])).unwrap();
    let mut rng = Lcg(7);
    for style in [
        InnerStyle::Py2Bytes,
        InnerStyle::Py3Codecs,
        InnerStyle::Objects,
    ] {
        let good = prodlda_npy(&docs, style);
        for cut in (0..good.len()).step_by(3) {
            std::fs::write(dir.join("train.txt.npy"), &good[..cut]).unwrap();
            assert!(load_prodlda(dir, Split::Train).is_err());
        }
        for _ in 0..100 {
            let mut bad = good.clone();
            for _ in 0..1 + rng.next() % 3 {
                let at = rng.next() % bad.len();
                bad[at] = rng.next() as u8;
            }
            std::fs::write(dir.join("train.txt.npy"), &bad).unwrap();
            let _ = load_prodlda(dir, Split::Train);
        }
    }
    // Pickled vocabulary.
    let good = vocab_pickle(&["apple", "pear", "plum"]);
    for cut in 0..good.len() {
        std::fs::write(dir.join("vocab.pkl"), &good[..cut]).unwrap();
        assert!(read_pickled_vocab(&dir.join("vocab.pkl")).is_err());
    }
    for _ in 0..300 {
        let mut bad = good.clone();
        let at = rng.next() % bad.len();
        bad[at] = rng.next() as u8;
        std::fs::write(dir.join("vocab.pkl"), &bad).unwrap();
        let _ = read_pickled_vocab(&dir.join("vocab.pkl"));
    }
    // TopMost .npz, stored and compressed.
    let t = tempfile::tempdir().unwrap();
    topmost_dir(t.path());
    let npz = t.path().join("train_bow.npz");
    for compressed in [false, true] {
        write_csr_npz(
            &npz,
            &[1, 2, 3],
            &[0, 2, 1],
            &[0, 2, 2, 3],
            [3, 3],
            compressed,
        );
        let good = std::fs::read(&npz).unwrap();
        for cut in (0..good.len()).step_by(7) {
            std::fs::write(&npz, &good[..cut]).unwrap();
            assert!(load_topmost(t.path(), Split::Train).is_err());
        }
        for _ in 0..150 {
            let mut bad = good.clone();
            let at = rng.next() % bad.len();
            bad[at] = rng.next() as u8;
            std::fs::write(&npz, &bad).unwrap();
            let _ = load_topmost(t.path(), Split::Train);
        }
    }
}

#[test]
fn npz_format_entry_and_forged_headers() {
    let tmp = tempfile::tempdir().unwrap();
    topmost_dir(tmp.path());
    let npz = tmp.path().join("train_bow.npz");
    // A stored archive with scipy's `format` entry reads like the compressed ones.
    write_stored_zip(&npz, &csr_entries("csr"));
    let c = load_topmost(tmp.path(), Split::Train).unwrap();
    assert_eq!(c.doc(0), (&[0u32, 2][..], &[1.0f32, 2.0][..]));
    // A CSC matrix is refused rather than read transposed.
    write_stored_zip(&npz, &csr_entries("csc"));
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &["`csc` sparse matrix", "expected `csr`"]);
    // A header that claims far more data than its entry holds is refused before any allocation.
    let mut entries = csr_entries("csr");
    entries[4].1 = npy_bytes("<i8", "(40000000000,)", &le_bytes(&[1, 2, 3], 8));
    write_stored_zip(&npz, &entries);
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(
        &msg,
        &npz,
        &[
            "the array `data` claims shape [40000000000]",
            "holds only 24 bytes",
        ],
    );
    // An int32 `data` array and uint8 `indices` are read too.
    let mut entries = csr_entries("csr");
    entries[4].1 = npy_bytes("<i4", "(3,)", &le_bytes(&[1, 2, 3], 4));
    entries[0].1 = npy_bytes("|u1", "(3,)", &[0, 2, 1]);
    write_stored_zip(&npz, &entries);
    let c = load_topmost(tmp.path(), Split::Train).unwrap();
    assert_eq!(c.tokens(), 6.0);
    // Float data, as a tf-idf matrix would be saved.
    let mut entries = csr_entries("csr");
    let floats: Vec<u8> = [0.5f64, 1.5, 2.0]
        .iter()
        .flat_map(|f| f.to_le_bytes())
        .collect();
    entries[4].1 = npy_bytes("<f8", "(3,)", &floats);
    write_stored_zip(&npz, &entries);
    assert_eq!(
        load_topmost(tmp.path(), Split::Train).unwrap().tokens(),
        4.0
    );
    // A 2-D `indices` array.
    let mut entries = csr_entries("csr");
    entries[0].1 = npy_bytes("<i4", "(3, 1)", &le_bytes(&[0, 2, 1], 4));
    write_stored_zip(&npz, &entries);
    let msg = err_text(load_topmost(tmp.path(), Split::Train));
    assert_names(&msg, &npz, &["`indices` has 2 dimensions, expected 1"]);
}
