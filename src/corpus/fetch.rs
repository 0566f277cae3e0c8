//! Downloading the standard corpora, verifying them, and finding the data folder.
//!
//! `gcatm data fetch 20ng` (or [`fetch`]) downloads the published files into
//! `<data dir>/20ng/`, checks each against its pinned SHA-256 where one is known, and writes it
//! atomically (a temporary file in the same folder, renamed into place only once complete and
//! verified). A file already present and matching its checksum is left alone.
//!
//! The data folder is, in this order: an explicit path (`--data-dir`), the environment variable
//! `GCATM_DATA`, `./data`, then the `data/` folder of the crate's source, which ships 20ng and the
//! `20news_clean` sample ([`data_dir`]).
use super::CorpusError;
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The environment variable naming the data folder.
pub const DATA_ENV: &str = "GCATM_DATA";

/// The data folder: `explicit` if given, else `$GCATM_DATA` if set and non-empty, else `./data`
/// if it exists, else the crate's own `data/` folder (20ng and the `20news_clean` sample ship
/// there, so that a notebook started in `notebooks/` or a binary run elsewhere still finds them),
/// else `./data`.
///
/// ```
/// use gcatm::corpus::fetch::data_dir;
/// use std::path::Path;
/// assert_eq!(data_dir(Some(Path::new("/corpora"))), Path::new("/corpora"));
/// ```
pub fn data_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return p.to_path_buf();
    }
    match std::env::var_os(DATA_ENV) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => {
            let here = PathBuf::from("data");
            let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
            if !here.is_dir() && shipped.is_dir() {
                shipped
            } else {
                here
            }
        }
    }
}

/// Finds a corpus given on a command line: `path` itself when it exists, else `path` inside the
/// data folder ([`data_dir`]) when that exists; otherwise `path` unchanged (the loader then reports
/// it missing).
pub fn resolve(path: &Path, explicit_data_dir: Option<&Path>) -> PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_path_buf();
    }
    let in_data = data_dir(explicit_data_dir).join(path);
    if in_data.exists() {
        in_data
    } else {
        path.to_path_buf()
    }
}

/// A standard corpus that can be downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// 20 Newsgroups in the TopMost layout (BobXWu/ECRTM, `data/20NG`): folder `20ng`.
    Ng20,
    /// ProdLDA's `20news_clean` (akashgit/autoencoding_vi_for_topic_models): folder `20news_clean`.
    NewsClean,
}

/// One published file: its name in the corpus folder, where it comes from, and its SHA-256 when
/// known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteFile {
    /// File name inside the corpus folder.
    pub name: &'static str,
    /// Download URL.
    pub url: &'static str,
    /// Expected SHA-256 (lower-case hex), when pinned.
    pub sha256: Option<&'static str>,
}

// ECRTM is pinned to a commit so that the pinned checksums stay valid.
macro_rules! ecrtm {
    ($f:literal) => {
        concat!(
            "https://raw.githubusercontent.com/BobXWu/ECRTM/",
            "d3ec58c43c04cfb2c1ab6104c43c729ad8851d07/data/20NG/",
            $f
        )
    };
}
macro_rules! prodlda {
    ($f:literal) => {
        concat!(
            "https://raw.githubusercontent.com/akashgit/autoencoding_vi_for_topic_models/",
            "master/data/20news_clean/",
            $f
        )
    };
}

const NG20_FILES: [RemoteFile; 5] = [
    RemoteFile {
        name: "train_bow.npz",
        url: ecrtm!("train_bow.npz"),
        sha256: Some("7830fde7dbbbe11133533acb2ef84b0cb17d2df1a99bce78170bf7f646b7ed1b"),
    },
    RemoteFile {
        name: "test_bow.npz",
        url: ecrtm!("test_bow.npz"),
        sha256: Some("e1ac477525a8b5abd08467e3b4117b59afd64fe3fda9d9931160018c8adb301e"),
    },
    RemoteFile {
        name: "vocab.txt",
        url: ecrtm!("vocab.txt"),
        sha256: Some("d701f638652b77a573ca27100047e18e53dbf60823646d82f2f3d4dab396d2af"),
    },
    RemoteFile {
        name: "train_labels.txt",
        url: ecrtm!("train_labels.txt"),
        sha256: Some("7d27582295c8a2ef2de4a8f84ca5253d8b486b7f08b40a39a8d6c5f653e04c40"),
    },
    RemoteFile {
        name: "test_labels.txt",
        url: ecrtm!("test_labels.txt"),
        sha256: Some("51a0a12da489b2b83ab7ba086cbb6b3f3b50c164736cc9162796fe12d72f85c8"),
    },
];

// The full train/test files are not pinned: their checksums were never recorded here, so a fetch
// prints what it computed. valid.txt.npy and vocab.pkl are the published files that the crate
// ships in data/20news_clean_sample.
const NEWS_CLEAN_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train.txt.npy",
        url: prodlda!("train.txt.npy"),
        sha256: None,
    },
    RemoteFile {
        name: "test.txt.npy",
        url: prodlda!("test.txt.npy"),
        sha256: None,
    },
    RemoteFile {
        name: "valid.txt.npy",
        url: prodlda!("valid.txt.npy"),
        sha256: Some("d25f5c514280eb081b90ffc89f88ddf1cd5d100ea7c204cfdea7dce86ef16bdb"),
    },
    RemoteFile {
        name: "vocab.pkl",
        url: prodlda!("vocab.pkl"),
        sha256: Some("f73390efc9bb4635f5abb788c1368596f5cf058baa8174bd3fae248549b3ab6f"),
    },
];

impl Dataset {
    /// Every downloadable corpus.
    pub const ALL: [Dataset; 2] = [Dataset::Ng20, Dataset::NewsClean];

    /// The name used on the command line and as folder name (`20ng`, `20news_clean`).
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Ng20 => "20ng",
            Dataset::NewsClean => "20news_clean",
        }
    }

    /// The published files of this corpus.
    pub fn files(self) -> &'static [RemoteFile] {
        match self {
            Dataset::Ng20 => &NG20_FILES,
            Dataset::NewsClean => &NEWS_CLEAN_FILES,
        }
    }
}

impl std::str::FromStr for Dataset {
    type Err = CorpusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "20ng" => Ok(Dataset::Ng20),
            "20news_clean" => Ok(Dataset::NewsClean),
            _ => Err(CorpusError::Invalid(format!(
                "unknown corpus `{s}` (expected 20ng or 20news_clean)"
            ))),
        }
    }
}

impl fmt::Display for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The state of one local file against its published checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Not there.
    Missing,
    /// There, with the pinned checksum.
    Good,
    /// There, but its checksum differs from the pinned one.
    Bad {
        /// The checksum the file has.
        actual: String,
    },
    /// There; no checksum is pinned for it.
    Unpinned {
        /// The checksum the file has.
        actual: String,
    },
}

/// What [`fetch`] did with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A good (or unpinned) file was already there and was left alone.
    Kept,
    /// The file was downloaded.
    Downloaded,
    /// A file with the wrong checksum was there; it was downloaded again and replaced.
    Replaced,
}

/// One file handled by [`fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// Where the file is.
    pub path: PathBuf,
    /// Its SHA-256 (lower-case hex).
    pub sha256: String,
    /// Whether that checksum was verified against a pinned one.
    pub pinned: bool,
    /// What was done.
    pub action: Action,
}

impl fmt::Display for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.action {
            Action::Kept => "present",
            Action::Downloaded => "downloaded",
            Action::Replaced => "replaced",
        };
        let check = if self.pinned {
            "verified"
        } else {
            "no pinned checksum, computed"
        };
        write!(
            f,
            "{what:10} {} ({check} sha256 {})",
            self.path.display(),
            self.sha256
        )
    }
}

/// The SHA-256 of some bytes, lower-case hex.
///
/// ```
/// use gcatm::corpus::fetch::sha256_hex;
/// assert_eq!(
///     sha256_hex(b"abc"),
///     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
/// );
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, CorpusError> {
    let mut file = std::fs::File::open(path).map_err(|e| CorpusError::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| CorpusError::io(path, e))?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks the local copy `path` of `file`.
pub fn check_file(path: &Path, file: &RemoteFile) -> Result<Check, CorpusError> {
    if !path.exists() {
        return Ok(Check::Missing);
    }
    let actual = sha256_file(path)?;
    Ok(match file.sha256 {
        Some(want) if want.eq_ignore_ascii_case(&actual) => Check::Good,
        Some(_) => Check::Bad { actual },
        None => Check::Unpinned { actual },
    })
}

/// Checks every file of `dataset` under `<dir>/<dataset name>/`.
pub fn verify(dataset: Dataset, dir: &Path) -> Result<Vec<(PathBuf, Check)>, CorpusError> {
    let folder = dir.join(dataset.name());
    dataset
        .files()
        .iter()
        .map(|f| {
            let p = folder.join(f.name);
            check_file(&p, f).map(|c| (p, c))
        })
        .collect()
}

/// Writes everything `reader` yields to `dest`, atomically: the bytes go to a temporary file in
/// the same folder, which is renamed to `dest` only when complete and, if `expected` is given,
/// when its SHA-256 matches (compared case-insensitively). On any failure the temporary file is
/// removed and `dest` is left as it was. Returns the SHA-256 of the bytes.
///
/// ```
/// use gcatm::corpus::fetch::install;
/// let dir = std::env::temp_dir().join(format!("gcatm-install-doc-{}", std::process::id()));
/// let dest = dir.join("abc.txt");
/// let wrong = "0".repeat(64);
/// assert!(install(&b"abc"[..], &dest, Some(&wrong)).is_err());
/// assert!(!dest.exists());
/// let sum = install(&b"abc"[..], &dest, None).unwrap();
/// assert_eq!(&sum[..8], "ba7816bf");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn install<R: Read>(
    mut reader: R,
    dest: &Path,
    expected: Option<&str>,
) -> Result<String, CorpusError> {
    let name = dest
        .file_name()
        .ok_or_else(|| CorpusError::Invalid(format!("{}: not a file path", dest.display())))?
        .to_string_lossy()
        .to_string();
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| CorpusError::io(&dir, e))?;
    let tmp = dir.join(format!(".{name}.part-{}", std::process::id()));
    let result = write_verified(&mut reader, &tmp, dest, expected);
    match result {
        Ok(sum) => match std::fs::rename(&tmp, dest) {
            Ok(()) => Ok(sum),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(CorpusError::io(dest, e))
            }
        },
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Copies into `tmp` while hashing; checks the checksum. `dest` only names the file in errors.
fn write_verified<R: Read>(
    reader: &mut R,
    tmp: &Path,
    dest: &Path,
    expected: Option<&str>,
) -> Result<String, CorpusError> {
    let mut out = std::fs::File::create(tmp).map_err(|e| CorpusError::io(tmp, e))?;
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(CorpusError::format(
                    dest,
                    format!("the download broke off: {e}"),
                ))
            }
        };
        if head.len() < 64 {
            head.extend_from_slice(&buf[..n.min(64 - head.len())]);
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| CorpusError::io(tmp, e))?;
    }
    out.sync_all().map_err(|e| CorpusError::io(tmp, e))?;
    let sum = hex(&hasher.finalize());
    if head.starts_with(b"version https://git-lfs") {
        return Err(CorpusError::format(
            dest,
            "the server sent a Git LFS pointer instead of the file; the download was discarded",
        ));
    }
    if let Some(want) = expected {
        if !want.eq_ignore_ascii_case(&sum) {
            return Err(CorpusError::format(
                dest,
                format!("SHA-256 mismatch: expected {want}, got {sum}; the download was discarded"),
            ));
        }
    }
    Ok(sum)
}

/// Opens `url` for reading over HTTPS (30 s to connect, 10 min in all).
pub fn download(url: &str) -> Result<Box<dyn Read>, CorpusError> {
    use std::time::Duration;
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_global(Some(Duration::from_secs(600)))
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let response = agent
        .get(url)
        .call()
        .map_err(|e| CorpusError::Invalid(format!("{url}: download failed: {e}")))?;
    Ok(Box::new(response.into_body().into_reader()))
}

/// Downloads the files of `dataset` into `<dir>/<dataset name>/` (see the module documentation).
///
/// ```no_run
/// use gcatm::corpus::fetch::{data_dir, fetch, Dataset};
/// for f in fetch(Dataset::Ng20, &data_dir(None))? {
///     println!("{f}");
/// }
/// # Ok::<(), gcatm::corpus::CorpusError>(())
/// ```
pub fn fetch(dataset: Dataset, dir: &Path) -> Result<Vec<Fetched>, CorpusError> {
    fetch_with(dataset, dir, |f| download(f.url))
}

/// [`fetch`] with another source of bytes than the network (a mirror, a local copy, a test).
pub fn fetch_with<F>(dataset: Dataset, dir: &Path, mut open: F) -> Result<Vec<Fetched>, CorpusError>
where
    F: FnMut(&RemoteFile) -> Result<Box<dyn Read>, CorpusError>,
{
    let folder = dir.join(dataset.name());
    let mut done = Vec::new();
    for file in dataset.files() {
        let path = folder.join(file.name);
        let action = match check_file(&path, file)? {
            Check::Good => Some((Action::Kept, file.sha256.unwrap_or_default().to_string())),
            Check::Unpinned { actual } => Some((Action::Kept, actual)),
            Check::Missing => None,
            Check::Bad { .. } => None,
        };
        let (action, sha256) = match action {
            Some(a) => a,
            None => {
                let replaced = path.exists();
                let sum = install(open(file)?, &path, file.sha256)?;
                let action = if replaced {
                    Action::Replaced
                } else {
                    Action::Downloaded
                };
                (action, sum)
            }
        };
        done.push(Fetched {
            path,
            sha256,
            pinned: file.sha256.is_some(),
            action,
        });
    }
    Ok(done)
}
