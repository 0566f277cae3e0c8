//! Run folders: the names of their files, one writer at a time (a lock per folder), and their size
//! on disk.
use super::checkpoint::{checkpoint_epoch, sibling};
use super::TrainError;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

/// A run folder, as [`super::train_to_dir`] and `gcatm train` write it: `config.json`,
/// `history.jsonl`, `topics.txt`, `metrics.json`, `checkpoint/` (the latest checkpoint, to resume
/// from), `best/` (the best evaluation's weights, [`super::save_weights`]), `corpus.json` (where
/// `gcatm train` got its documents), `reproduce.json` (a log entry's row, when the run re-ran one)
/// and `.lock`. Every name is here, once.
///
/// Readers (a notebook reading a finished run, `gcatm coherence`) need nothing more than the file
/// names. A process that writes the folder first takes its lock, [`RunFolder::lock`]: one writer
/// at a time.
///
/// ```
/// use gcatm::train::{RunFolder, TrainError};
/// let dir = std::env::temp_dir().join(format!("gcatm-doc-run-folder-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let folder = RunFolder::new(&dir);
/// assert_eq!(folder.checkpoint(), dir.join("checkpoint"));
/// assert_eq!(folder.checkpoint_epoch(), None); // nothing to resume yet
/// let locked = folder.lock().unwrap();
/// // A second writer, in this process or another, fails at once and learns who holds the folder.
/// match folder.lock() {
///     Err(TrainError::Locked { holder: Some(h), .. }) => assert_eq!(h.pid, std::process::id()),
///     _ => panic!("the folder is locked"),
/// }
/// drop(locked);
/// assert!(folder.lock().is_ok());
/// println!("{}", folder.disk_use().unwrap()); // e.g. "0.0 MB (checkpoint/ 0.0 MB, best/ 0.0 MB)"
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFolder {
    path: PathBuf,
}

impl RunFolder {
    /// The run folder at `path` (nothing is read or created).
    pub fn new(path: impl Into<PathBuf>) -> RunFolder {
        RunFolder { path: path.into() }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `config.json`: the [`super::TrainConfig`].
    pub fn config(&self) -> PathBuf {
        self.path.join("config.json")
    }

    /// `history.jsonl`: one [`super::EpochRecord`] per line.
    pub fn history(&self) -> PathBuf {
        self.path.join("history.jsonl")
    }

    /// `topics.txt`: one topic per line, its top-10 words.
    pub fn topics(&self) -> PathBuf {
        self.path.join("topics.txt")
    }

    /// `metrics.json`: the [`super::RunSummary`].
    pub fn metrics(&self) -> PathBuf {
        self.path.join("metrics.json")
    }

    /// `corpus.json`: where `gcatm train` read its documents (so that `--resume` reads them again).
    pub fn corpus(&self) -> PathBuf {
        self.path.join("corpus.json")
    }

    /// `checkpoint/`: the latest checkpoint, [`super::save_checkpoint`]; a run resumes from it.
    pub fn checkpoint(&self) -> PathBuf {
        self.path.join("checkpoint")
    }

    /// `best/`: the encoder's and generator's weights at the best NPMI, [`super::save_weights`];
    /// for evaluation only.
    pub fn best(&self) -> PathBuf {
        self.path.join("best")
    }

    /// `reproduce.json`: the log entry's summary row, when
    /// [`crate::experiments::reproduce::run_entry`] wrote the run.
    pub fn row(&self) -> PathBuf {
        self.path.join("reproduce.json")
    }

    /// `provenance.json`: who trained the run ([`crate::provenance::TrainedBy`], one per session).
    pub fn provenance(&self) -> PathBuf {
        self.path.join("provenance.json")
    }

    /// The sessions that trained the run, oldest first: empty when the folder has no
    /// `provenance.json` (runs trained before the crate recorded it).
    ///
    /// ```
    /// let folder = gcatm::train::RunFolder::new(std::env::temp_dir().join("gcatm-no-such-run"));
    /// assert!(folder.trained_by().unwrap().is_empty());
    /// ```
    pub fn trained_by(&self) -> Result<Vec<crate::provenance::TrainedBy>, TrainError> {
        let path = self.provenance();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| TrainError::file(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(TrainError::file(&path, e)),
        }
    }

    /// Removes everything a run wrote in the folder (the files above, `checkpoint/`, `best/` and
    /// what an interrupted save left beside them), so that a new run starts from nothing; other
    /// files and the lock file stay. Call it holding the lock.
    pub fn clear(&self) -> Result<(), TrainError> {
        let files = [
            self.config(),
            self.history(),
            self.topics(),
            self.metrics(),
            self.corpus(),
            self.row(),
            self.provenance(),
        ];
        for p in files.iter().filter(|p| p.is_file()) {
            std::fs::remove_file(p).map_err(|e| TrainError::file(p, e))?;
        }
        for d in [self.checkpoint(), self.best()] {
            for p in [sibling(&d, "old"), sibling(&d, "tmp"), d] {
                if p.is_dir() {
                    std::fs::remove_dir_all(&p).map_err(|e| TrainError::file(&p, e))?;
                }
            }
        }
        Ok(())
    }

    /// `.lock`: the file the writer's lock is on; it names the holder while held.
    pub fn lock_file(&self) -> PathBuf {
        self.path.join(".lock")
    }

    /// The epoch of the checkpoint a resumed run would continue from, `None` when there is none.
    pub fn checkpoint_epoch(&self) -> Option<usize> {
        checkpoint_epoch(&self.checkpoint())
    }

    /// Bytes the folder holds, in all and in `checkpoint/` and `best/`.
    pub fn disk_use(&self) -> Result<DiskUse, TrainError> {
        if !self.path.is_dir() {
            return Err(TrainError::file(&self.path, "no such folder"));
        }
        Ok(DiskUse {
            total: bytes_under(&self.path)?,
            checkpoint: bytes_under(&self.checkpoint())?,
            best: bytes_under(&self.best())?,
        })
    }

    /// Takes the folder's lock, for a process about to write it; the folder must exist. The lock
    /// is the operating system's advisory lock on [`RunFolder::lock_file`]: it is released when
    /// the [`LockedRunFolder`] is dropped or its process ends, even by SIGKILL, so a killed run
    /// never blocks the next one (the file itself stays). While held, the file names the holder.
    ///
    /// Fails at once with [`TrainError::Locked`] (naming the holder's process id, host and start
    /// time) when another writer holds it, in another process or this one. On taking it, the
    /// temporary files a killed writer left are removed.
    pub fn lock(&self) -> Result<LockedRunFolder, TrainError> {
        if !self.path.is_dir() {
            return Err(TrainError::file(&self.path, "no such folder"));
        }
        let path = self.lock_file();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            // Not truncated: until the lock is ours, the file names the holder.
            .truncate(false)
            .open(&path)
            .map_err(|e| TrainError::file(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(TrainError::Locked {
                    path: self.path.clone(),
                    holder: read_holder(&path),
                })
            }
            Err(TryLockError::Error(e)) => {
                return Err(TrainError::file(&path, format!("cannot lock: {e}")))
            }
        }
        let holder = LockHolder::this_process();
        let json = serde_json::to_vec(&holder).map_err(|e| TrainError::file(&path, e))?;
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(&json))
            .map_err(|e| TrainError::file(&path, e))?;
        remove_leftovers(&self.path);
        Ok(LockedRunFolder {
            folder: self.clone(),
            file,
            holder,
        })
    }
}

/// A [`RunFolder`] whose lock this process holds (see [`RunFolder::lock`]); dropping it releases
/// the lock. It dereferences to the [`RunFolder`].
#[derive(Debug)]
pub struct LockedRunFolder {
    folder: RunFolder,
    file: File,
    holder: LockHolder,
}

impl LockedRunFolder {
    /// This process, as the lock file names it.
    pub fn holder(&self) -> &LockHolder {
        &self.holder
    }
}

impl std::ops::Deref for LockedRunFolder {
    type Target = RunFolder;
    fn deref(&self) -> &RunFolder {
        &self.folder
    }
}

impl Drop for LockedRunFolder {
    fn drop(&mut self) {
        // An empty lock file names nobody; the lock itself goes with the file handle.
        let _ = self.file.set_len(0);
    }
}

/// The process that holds a run folder's lock, as it wrote itself into the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Its process id.
    pub pid: u32,
    /// The host it runs on.
    pub host: String,
    /// When it took the lock, `YYYY-MM-DD HH:MM:SS UTC`.
    pub started: String,
    /// Its command line (the program's file name and arguments).
    pub command: String,
}

impl LockHolder {
    fn this_process() -> LockHolder {
        let mut args = std::env::args();
        let program = args
            .next()
            .map(|a| {
                Path::new(&a)
                    .file_name()
                    .map_or(a.clone(), |n| n.to_string_lossy().to_string())
            })
            .unwrap_or_default();
        let command: String = std::iter::once(program)
            .chain(args)
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(300)
            .collect();
        LockHolder {
            pid: std::process::id(),
            host: host_name(),
            started: utc_now(),
            command,
        }
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "process {} on {}, started {}: `{}`",
            self.pid, self.host, self.started, self.command
        )
    }
}

/// What a run folder holds on disk, in bytes (file lengths).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiskUse {
    /// The whole folder.
    pub total: u64,
    /// `checkpoint/`.
    pub checkpoint: u64,
    /// `best/`.
    pub best: u64,
}

impl std::fmt::Display for DiskUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mb = |b: u64| b as f64 / 1e6;
        write!(
            f,
            "{:.1} MB (checkpoint/ {:.1} MB, best/ {:.1} MB)",
            mb(self.total),
            mb(self.checkpoint),
            mb(self.best)
        )
    }
}

/// The holder named in the lock file. A writer that has just taken the lock writes its name a
/// moment later: wait a little for it.
fn read_holder(path: &Path) -> Option<LockHolder> {
    for _ in 0..25 {
        if let Some(h) = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
        {
            return Some(h);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    None
}

/// Removes the temporary files and folders of saves a killed writer left (`.NAME.tmp`,
/// `.NAME.tmp-PID`). Best effort: a leftover only takes space.
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') && (name.ends_with(".tmp") || name.contains(".tmp-")) {
            let p = entry.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// Total length of the files under `path` (0 when it does not exist); links are not followed.
fn bytes_under(path: &Path) -> Result<u64, TrainError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(TrainError::file(path, e)),
    };
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path).map_err(|e| TrainError::file(path, e))? {
        let entry = entry.map_err(|e| TrainError::file(path, e))?;
        total += bytes_under(&entry.path())?;
    }
    Ok(total)
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .chain(std::env::var("HOSTNAME").ok())
        .chain(std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .find(|h| !h.is_empty())
        .unwrap_or_else(|| "an unknown host".to_string())
}

fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_788), (2026, 12, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn a_second_lock_in_this_process_names_it_and_a_dropped_one_frees_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::new(dir.path());
        let first = folder.lock().unwrap();
        assert_eq!(first.holder().pid, std::process::id());
        let err = folder.lock().unwrap_err();
        match &err {
            TrainError::Locked { path, holder } => {
                assert_eq!(path, dir.path());
                assert_eq!(holder.as_ref(), Some(first.holder()));
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(
            msg.contains(&dir.path().display().to_string())
                && msg.contains(&format!("process {}", std::process::id()))
                && msg.contains(&first.holder().host)
                && msg.contains(" UTC"),
            "{msg}"
        );
        drop(first);
        assert_eq!(std::fs::read(folder.lock_file()).unwrap(), b"");
        let again = folder.lock().unwrap();
        drop(again);
        // No folder, no lock: the error names it.
        let missing = RunFolder::new(dir.path().join("nope"));
        let err = missing.lock().unwrap_err().to_string();
        assert!(err.contains("nope: no such folder"), "{err}");
    }

    #[test]
    fn locking_removes_what_a_killed_writer_left_and_disk_use_adds_up() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::new(dir.path());
        std::fs::create_dir_all(dir.path().join(".checkpoint.tmp")).unwrap();
        std::fs::write(
            dir.path().join(".checkpoint.tmp/optimizer.safetensors"),
            [0; 10],
        )
        .unwrap();
        std::fs::write(dir.path().join(".history.jsonl.tmp-123"), [0; 7]).unwrap();
        std::fs::create_dir_all(folder.checkpoint()).unwrap();
        std::fs::write(folder.checkpoint().join("a"), [0; 100]).unwrap();
        std::fs::create_dir_all(folder.best()).unwrap();
        std::fs::write(folder.best().join("b"), [0; 30]).unwrap();
        std::fs::write(folder.history(), [0; 5]).unwrap();
        let locked = folder.lock().unwrap();
        assert!(!dir.path().join(".checkpoint.tmp").exists());
        assert!(!dir.path().join(".history.jsonl.tmp-123").exists());
        let lock_len = std::fs::metadata(locked.lock_file()).unwrap().len();
        let used = folder.disk_use().unwrap();
        assert_eq!(
            used,
            DiskUse {
                total: 135 + lock_len,
                checkpoint: 100,
                best: 30
            }
        );
        assert!(used.to_string().starts_with("0.0 MB (checkpoint/ 0.0 MB"));
    }
}
