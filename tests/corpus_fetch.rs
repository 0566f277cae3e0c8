//! Downloading without a network: checksum verification, atomic writes and the fetch logic, fed
//! from local files.
mod corpus_common;

use corpus_common::*;
use gcatm::corpus::fetch::{
    check_file, data_dir, fetch_with, install, sha256_file, sha256_hex, verify, Action, Check,
    Dataset, RemoteFile,
};
use gcatm::corpus::CorpusError;
use std::io::Read;
use std::path::Path;

/// Names in `dir` other than `keep`: leftovers such as temporary files.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

#[test]
fn install_verifies_and_writes_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("sub/file.bin");
    let good = sha256_hex(b"payload");
    assert_eq!(install(&b"payload"[..], &dest, Some(&good)).unwrap(), good);
    assert_eq!(std::fs::read(&dest).unwrap(), b"payload");
    assert_eq!(sha256_file(&dest).unwrap(), good);
    assert!(leftovers(&tmp.path().join("sub"), &["file.bin"]).is_empty());
    // Upper-case pins are accepted.
    install(&b"payload"[..], &dest, Some(&good.to_uppercase())).unwrap();
}

#[test]
fn wrong_checksum_leaves_nothing_under_the_final_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("train_bow.npz");
    let wrong = "0".repeat(64);
    let msg = err_text(install(&b"not the real file"[..], &dest, Some(&wrong)));
    assert_names(&msg, &dest, &["SHA-256 mismatch", &wrong, "discarded"]);
    assert!(!dest.exists());
    assert!(
        leftovers(tmp.path(), &[]).is_empty(),
        "temporary file left behind"
    );
    // A previous file under the final name is left as it was.
    std::fs::write(&dest, b"previous").unwrap();
    err_text(install(&b"not the real file"[..], &dest, Some(&wrong)));
    assert_eq!(std::fs::read(&dest).unwrap(), b"previous");
    assert!(leftovers(tmp.path(), &["train_bow.npz"]).is_empty());
}

/// A reader that fails after a few bytes, like a dropped connection.
struct Broken(usize);
impl Read for Broken {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "connection reset",
            ));
        }
        let n = self.0.min(buf.len());
        buf[..n].fill(b'x');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn broken_download_and_lfs_pointer_are_discarded() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("vocab.pkl");
    let msg = err_text(install(Broken(10), &dest, None));
    assert_names(&msg, &dest, &["broke off", "connection reset"]);
    let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n";
    let msg = err_text(install(&lfs[..], &dest, None));
    assert_names(&msg, &dest, &["Git LFS pointer"]);
    assert!(leftovers(tmp.path(), &[]).is_empty());
}

/// A source that serves the published files from the local copies in the data folder.
fn local_source(
    folder: &Path,
) -> impl FnMut(&RemoteFile) -> Result<Box<dyn Read>, CorpusError> + '_ {
    move |f: &RemoteFile| {
        let p = folder.join(f.name);
        Ok(Box::new(std::fs::File::open(&p).map_err(|e| CorpusError::io(&p, e))?) as Box<dyn Read>)
    }
}

#[test]
fn fetch_20ng_from_local_copies() {
    let src = data_root().join("20ng");
    let tmp = tempfile::tempdir().unwrap();
    let got = fetch_with(Dataset::Ng20, tmp.path(), local_source(&src)).unwrap();
    assert_eq!(got.len(), 5);
    for f in &got {
        assert_eq!(f.action, Action::Downloaded, "{f}");
        assert!(f.pinned);
        assert!(f.path.starts_with(tmp.path().join("20ng")));
    }
    let folder = tmp.path().join("20ng");
    assert!(leftovers(
        &folder,
        &[
            "train_bow.npz",
            "test_bow.npz",
            "vocab.txt",
            "train_labels.txt",
            "test_labels.txt"
        ]
    )
    .is_empty());
    // The fetched folder loads.
    let c = gcatm::corpus::load_topmost(&folder, gcatm::corpus::Split::Test).unwrap();
    assert_eq!(c.n_docs(), 7532);
    // Good files are kept, without asking the source.
    let again = fetch_with(Dataset::Ng20, tmp.path(), |f| {
        panic!("{} should not be downloaded again", f.name)
    })
    .unwrap();
    assert!(again.iter().all(|f| f.action == Action::Kept));
    // A damaged file is downloaded again and replaced.
    std::fs::write(folder.join("vocab.txt"), "damaged\n").unwrap();
    assert!(matches!(
        check_file(&folder.join("vocab.txt"), &Dataset::Ng20.files()[2]).unwrap(),
        Check::Bad { .. }
    ));
    let fixed = fetch_with(Dataset::Ng20, tmp.path(), local_source(&src)).unwrap();
    let actions: Vec<Action> = fixed.iter().map(|f| f.action).collect();
    assert_eq!(
        actions,
        [
            Action::Kept,
            Action::Kept,
            Action::Replaced,
            Action::Kept,
            Action::Kept
        ]
    );
    assert!(verify(Dataset::Ng20, tmp.path())
        .unwrap()
        .iter()
        .all(|(_, c)| *c == Check::Good));
}

#[test]
fn fetch_with_wrong_bytes_fails_and_keeps_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let msg = err_text(fetch_with(Dataset::Ng20, tmp.path(), |_| {
        Ok(Box::new(&b"an error page, not the file"[..]) as Box<dyn Read>)
    }));
    let dest = tmp.path().join("20ng/train_bow.npz");
    assert_names(&msg, &dest, &["SHA-256 mismatch"]);
    assert!(!dest.exists());
    assert!(leftovers(&tmp.path().join("20ng"), &[]).is_empty());
}

#[test]
fn fetch_20news_clean_prints_unpinned_checksums() {
    let sample = data_root().join("20news_clean_sample");
    let tmp = tempfile::tempdir().unwrap();
    let source = |f: &RemoteFile| -> Result<Box<dyn Read>, CorpusError> {
        match f.name {
            // No local copy of the full splits: stand-ins, which only an unpinned file accepts.
            "train.txt.npy" | "test.txt.npy" => Ok(Box::new(
                std::fs::File::open(sample.join("valid.txt.npy")).unwrap(),
            )),
            name => Ok(Box::new(std::fs::File::open(sample.join(name)).unwrap())),
        }
    };
    let got = fetch_with(Dataset::NewsClean, tmp.path(), source).unwrap();
    let by_name = |n: &str| got.iter().find(|f| f.path.ends_with(n)).unwrap();
    let train = by_name("train.txt.npy");
    assert!(!train.pinned);
    assert_eq!(
        train.sha256,
        "d25f5c514280eb081b90ffc89f88ddf1cd5d100ea7c204cfdea7dce86ef16bdb"
    );
    assert!(train
        .to_string()
        .contains("no pinned checksum, computed sha256 d25f5c51"));
    assert!(by_name("vocab.pkl").pinned);
    let checks = verify(Dataset::NewsClean, tmp.path()).unwrap();
    assert!(matches!(checks[0].1, Check::Unpinned { .. }));
    assert_eq!(checks[3].1, Check::Good);
    let c = gcatm::corpus::load_prodlda(
        &tmp.path().join("20news_clean"),
        gcatm::corpus::Split::Train,
    )
    .unwrap();
    assert_eq!(c.n_docs(), 102);
}

#[test]
fn verify_reports_missing_and_bad() {
    let tmp = tempfile::tempdir().unwrap();
    let checks = verify(Dataset::Ng20, tmp.path()).unwrap();
    assert!(checks.iter().all(|(_, c)| *c == Check::Missing));
    std::fs::create_dir(tmp.path().join("20ng")).unwrap();
    std::fs::write(tmp.path().join("20ng/vocab.txt"), "x\n").unwrap();
    let checks = verify(Dataset::Ng20, tmp.path()).unwrap();
    assert_eq!(
        checks[2].1,
        Check::Bad {
            actual: sha256_hex(b"x\n")
        }
    );
}

#[test]
fn datasets_and_data_dir() {
    assert_eq!("20ng".parse::<Dataset>().unwrap(), Dataset::Ng20);
    assert_eq!("20NG".parse::<Dataset>().unwrap(), Dataset::Ng20);
    assert_eq!(
        "20news_clean".parse::<Dataset>().unwrap(),
        Dataset::NewsClean
    );
    assert!(err_text("nips".parse::<Dataset>()).contains("expected 20ng or 20news_clean"));
    for d in Dataset::ALL {
        for f in d.files() {
            assert!(
                f.url.starts_with("https://raw.githubusercontent.com/"),
                "{}",
                f.url
            );
            assert!(f.url.ends_with(f.name));
        }
    }
    assert_eq!(data_dir(Some(Path::new("/x/y"))), Path::new("/x/y"));
    // The environment and the ./data fallback are checked through the binary (tests/corpus_cli.rs),
    // where the variable can be set for one process without racing the other tests.
}
