//! Shared helpers of the `corpus_*` tests: where the real data is, and writers for generated files
//! in the layouts the loaders read (so that broken variants can be built in a tempdir).
#![allow(dead_code)]

use ndarray::Array1;
use ndarray_npy::NpzWriter;
use std::path::{Path, PathBuf};

/// The folder with the real corpora: `$GCATM_DATA` when set, else the crate's own `data/` (which
/// ships 20ng and the 20news_clean sample). Fails the test (never skips it) when the files are
/// missing.
pub fn data_root() -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let (root, how) = match std::env::var_os("GCATM_DATA") {
        Some(v) if !v.is_empty() => (PathBuf::from(v), "$GCATM_DATA"),
        _ => (shipped, "the crate's data/ folder (GCATM_DATA is not set)"),
    };
    assert!(
        root.join("20ng/train_bow.npz").is_file()
            && root.join("20news_clean_sample/vocab.pkl").is_file(),
        "real test data not found: looked for 20ng/ and 20news_clean_sample/ in {} (from {how}). \
         The crate ships them in data/ (see data/README.md); unset GCATM_DATA or point it at a \
         folder that holds them",
        root.display()
    );
    root
}

/// A file of `tests/data/` (golden values computed outside the crate; see tests/data/README.md).
pub fn test_data(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    assert!(
        path.is_file(),
        "test data file {} is missing",
        path.display()
    );
    path
}

/// The error text of a result that must be an error.
pub fn err_text<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e.to_string(),
    }
}

/// Asserts that `msg` names `file` (its file name) and contains every one of `words`.
pub fn assert_names(msg: &str, file: &Path, words: &[&str]) {
    if std::env::var_os("SHOW_ERRORS").is_some() {
        eprintln!("{msg}");
    }
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(msg.contains(&*name), "error does not name {name}: {msg}");
    for w in words {
        assert!(msg.contains(w), "error does not say `{w}`: {msg}");
    }
}

/// Writes a scipy-like CSR `.npz` with the given arrays (`data` as i64 by default).
pub fn write_csr_npz(
    path: &Path,
    data: &[i64],
    indices: &[i32],
    indptr: &[i32],
    shape: [i64; 2],
    compressed: bool,
) {
    let file = std::fs::File::create(path).unwrap();
    let mut npz = if compressed {
        NpzWriter::new_compressed(file)
    } else {
        NpzWriter::new(file)
    };
    npz.add_array("indices", &Array1::from(indices.to_vec()))
        .unwrap();
    npz.add_array("indptr", &Array1::from(indptr.to_vec()))
        .unwrap();
    npz.add_array("shape", &Array1::from(shape.to_vec()))
        .unwrap();
    npz.add_array("data", &Array1::from(data.to_vec())).unwrap();
    npz.finish().unwrap();
}

/// How the inner per-document arrays of a generated ProdLDA `.npy` are pickled.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum InnerStyle {
    /// `<i8` arrays whose data is a Python 2 byte string (SHORT_BINSTRING / BINSTRING).
    Py2Bytes,
    /// `<i4` arrays whose data is Python 3's `_codecs.encode(text, 'latin1')`.
    Py3Codecs,
    /// Big-endian `>i2` arrays with Python 3 `bytes` (SHORT_BINBYTES).
    BigEndianBytes,
    /// Object arrays of Python ints and `None` (`-1` in the input stands for `None`).
    Objects,
}

/// A `.npy` file (version 1.0, dtype `|O`) holding a pickled object array of documents, in the
/// way NumPy writes it.
pub fn prodlda_npy(docs: &[Vec<i64>], style: InnerStyle) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '|O', 'fortran_order': False, 'shape': ({},), }}",
        docs.len()
    );
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&prodlda_pickle(docs, style));
    out
}

fn int(p: &mut Vec<u8>, v: i64) {
    p.push(b'J');
    p.extend_from_slice(&(v as i32).to_le_bytes());
}

fn short_str(p: &mut Vec<u8>, s: &[u8]) {
    p.push(b'U');
    p.push(s.len() as u8);
    p.extend_from_slice(s);
}

/// `numpy.dtype(descr, 0, 1)` with its BUILD state (byte order `order`), memoized at `memo`.
fn dtype(p: &mut Vec<u8>, descr: &str, order: &str, memo: u8) {
    p.extend_from_slice(b"cnumpy\ndtype\n");
    short_str(p, descr.as_bytes());
    p.extend_from_slice(b"K\x00K\x01\x87R");
    p.extend_from_slice(&[b'q', memo]);
    p.extend_from_slice(b"(K\x03");
    short_str(p, order.as_bytes());
    p.extend_from_slice(b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb");
}

/// The pickle (protocol 2) of the object array, as NumPy writes it.
pub fn prodlda_pickle(docs: &[Vec<i64>], style: InnerStyle) -> Vec<u8> {
    let mut p =
        b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02".to_vec();
    // The outer array: _reconstruct(ndarray, (0,), b'b'), BUILD (1, (n,), dtype('O8'), False, [...]).
    p.extend_from_slice(b"K\x00\x85U\x01b\x87Rq\x03(K\x01");
    int(&mut p, docs.len() as i64);
    p.push(0x85);
    dtype(&mut p, "O8", "|", 4);
    p.extend_from_slice(b"\x89]q\x05(");
    let (descr, order, width) = match style {
        InnerStyle::Py2Bytes => ("i8", "<", 8),
        InnerStyle::Py3Codecs => ("i4", "<", 4),
        InnerStyle::BigEndianBytes => ("i2", ">", 2),
        InnerStyle::Objects => ("O8", "|", 8),
    };
    for (i, doc) in docs.iter().enumerate() {
        p.extend_from_slice(b"h\x01h\x02K\x00\x85U\x01b\x87R(K\x01");
        int(&mut p, doc.len() as i64);
        p.push(0x85);
        if i == 0 {
            dtype(&mut p, descr, order, 6);
        } else {
            p.extend_from_slice(b"h\x06");
        }
        p.push(0x89);
        match style {
            InnerStyle::Objects => {
                p.extend_from_slice(b"](");
                for &t in doc {
                    if t < 0 {
                        p.push(b'N');
                    } else {
                        int(&mut p, t);
                    }
                }
                p.push(b'e');
            }
            _ => {
                let mut raw = Vec::new();
                for &t in doc {
                    match width {
                        8 => raw.extend_from_slice(&t.to_le_bytes()),
                        4 => raw.extend_from_slice(&(t as i32).to_le_bytes()),
                        _ => raw.extend_from_slice(&(t as i16).to_be_bytes()),
                    }
                }
                match style {
                    InnerStyle::Py2Bytes if raw.len() < 256 => short_str(&mut p, &raw),
                    InnerStyle::Py2Bytes => {
                        p.push(b'T');
                        p.extend_from_slice(&(raw.len() as u32).to_le_bytes());
                        p.extend_from_slice(&raw);
                    }
                    InnerStyle::Py3Codecs => {
                        let text: String = raw.iter().map(|&b| b as char).collect();
                        p.extend_from_slice(b"c_codecs\nencode\nX");
                        p.extend_from_slice(&(text.len() as u32).to_le_bytes());
                        p.extend_from_slice(text.as_bytes());
                        p.extend_from_slice(b"X\x06\x00\x00\x00latin1\x86R");
                    }
                    _ => {
                        p.push(b'C');
                        p.push(raw.len() as u8);
                        p.extend_from_slice(&raw);
                    }
                }
            }
        }
        p.extend_from_slice(b"tb");
    }
    p.extend_from_slice(b"etb.");
    p
}

/// A protocol-0 pickle of a dict word -> id, as Python 2 wrote ProdLDA's `vocab.pkl`.
pub fn vocab_pickle(words: &[&str]) -> Vec<u8> {
    let mut p = b"(dp1\n".to_vec();
    for (i, w) in words.iter().enumerate() {
        p.extend_from_slice(format!("S'{w}'\np{}\nI{i}\ns", i + 2).as_bytes());
    }
    p.push(b'.');
    p
}

/// A small ProdLDA folder: `vocab.pkl` over `words` and one `.npy` per `(file name, docs)`.
pub fn write_prodlda_dir(
    dir: &Path,
    words: &[&str],
    files: &[(&str, &[Vec<i64>])],
    style: InnerStyle,
) {
    std::fs::write(dir.join("vocab.pkl"), vocab_pickle(words)).unwrap();
    for (name, docs) in files {
        std::fs::write(dir.join(name), prodlda_npy(docs, style)).unwrap();
    }
}

/// An `.npy` file (version 1.0) with the given descriptor, shape text (e.g. `"(3,)"`) and raw data.
pub fn npy_bytes(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Little-endian bytes of integers, `width` bytes each.
pub fn le_bytes(values: &[i64], width: usize) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| v.to_le_bytes()[..width].to_vec())
        .collect()
}

/// A zip archive of stored (uncompressed) entries, as `numpy.savez` writes: lets a test put any
/// `.npy` (a `|S3` format entry, a forged header) into an `.npz`.
pub fn write_stored_zip(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let mut fixed = Vec::new();
        fixed.extend_from_slice(&20u16.to_le_bytes()); // version needed
        fixed.extend_from_slice(&0u16.to_le_bytes()); // flags
        fixed.extend_from_slice(&0u16.to_le_bytes()); // stored
        fixed.extend_from_slice(&0u16.to_le_bytes()); // time
        fixed.extend_from_slice(&0x21u16.to_le_bytes()); // date
        fixed.extend_from_slice(&crc.sum().to_le_bytes());
        fixed.extend_from_slice(&(data.len() as u32).to_le_bytes());
        fixed.extend_from_slice(&(data.len() as u32).to_le_bytes());
        fixed.extend_from_slice(&(name.len() as u16).to_le_bytes());
        fixed.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&fixed);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&fixed);
        central.extend_from_slice(&[0u8; 10]); // comment len, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

/// The entries of a 3 x 3 CSR matrix (`format` text as given) for [`write_stored_zip`].
pub fn csr_entries(format: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "indices.npy",
            npy_bytes("<i4", "(3,)", &le_bytes(&[0, 2, 1], 4)),
        ),
        (
            "indptr.npy",
            npy_bytes("<i4", "(4,)", &le_bytes(&[0, 2, 2, 3], 4)),
        ),
        (
            "format.npy",
            npy_bytes(&format!("|S{}", format.len()), "()", format.as_bytes()),
        ),
        ("shape.npy", npy_bytes("<i8", "(2,)", &le_bytes(&[3, 3], 8))),
        (
            "data.npy",
            npy_bytes("<i8", "(3,)", &le_bytes(&[1, 2, 3], 8)),
        ),
    ]
}
