//! Where a result came from: the crate's version and git commit (baked in at build time by
//! `build.rs`), the toolchain, the machine and the date. Notebooks print [`Provenance::now`] in
//! their first cell; every run folder records who trained it in `provenance.json`
//! ([`TrainedBy`], written by [`crate::train::train_to_folder`]).
//!
//! ```
//! let p = gcatm::provenance::Provenance::now();
//! assert_eq!(p.version, env!("CARGO_PKG_VERSION"));
//! assert!(p.to_string().contains("gcatm "));
//! ```
use serde::{Deserialize, Serialize};

/// The build of the crate: version, commit and whether its source differed from the commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// The crate's version (`Cargo.toml`).
    pub version: String,
    /// The git commit the crate was built from (7 hex digits), `None` outside a git checkout.
    pub commit: Option<String>,
    /// True when `src/`, `Cargo.toml`, `Cargo.lock` or `build.rs` differed from the commit;
    /// `None` when unknown.
    pub dirty: Option<bool>,
}

impl Build {
    /// The build this code was compiled in.
    ///
    /// ```
    /// let b = gcatm::provenance::Build::current();
    /// assert!(b.commit.as_ref().map_or(true, |c| c.len() == 7));
    /// ```
    pub fn current() -> Build {
        let commit = env!("GCATM_GIT_COMMIT");
        Build {
            version: env!("CARGO_PKG_VERSION").to_string(),
            commit: (!commit.is_empty()).then(|| commit.to_string()),
            dirty: match env!("GCATM_GIT_DIRTY") {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
        }
    }
}

impl std::fmt::Display for Build {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "gcatm {}", self.version)?;
        match (&self.commit, self.dirty) {
            (Some(c), Some(true)) => write!(f, " (commit {c}, with uncommitted changes)"),
            (Some(c), Some(false)) => write!(f, " (commit {c})"),
            (Some(c), None) => write!(f, " (commit {c})"),
            (None, _) => write!(f, " (not built from a git checkout)"),
        }
    }
}

/// What produced an output, for a notebook's first cell: the build, the toolchain, the machine,
/// the threads and the date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The crate's version.
    pub version: String,
    /// Its git commit, if built from a checkout.
    pub commit: Option<String>,
    /// Whether its source differed from that commit.
    pub dirty: Option<bool>,
    /// `rustc --version` of the build.
    pub rustc: String,
    /// The candle version the build resolved.
    pub candle: String,
    /// Threads the kernels use (rayon's pool).
    pub threads: usize,
    /// The machine ([`machine`]).
    pub machine: String,
    /// Today's date (UTC), `YYYY-MM-DD`.
    pub date: String,
}

impl Provenance {
    /// The provenance of work done now, by this build on this machine.
    pub fn now() -> Provenance {
        let b = Build::current();
        Provenance {
            version: b.version,
            commit: b.commit,
            dirty: b.dirty,
            rustc: env!("GCATM_RUSTC_VERSION").to_string(),
            candle: env!("GCATM_CANDLE_VERSION").to_string(),
            threads: rayon::current_num_threads(),
            machine: machine(),
            date: today(),
        }
    }

    /// The build part.
    pub fn build(&self) -> Build {
        Build {
            version: self.version.clone(),
            commit: self.commit.clone(),
            dirty: self.dirty,
        }
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.build())?;
        writeln!(
            f,
            "{}, candle {}",
            if self.rustc.is_empty() {
                "rustc (unknown version)"
            } else {
                &self.rustc
            },
            if self.candle.is_empty() {
                "(unknown)"
            } else {
                &self.candle
            }
        )?;
        writeln!(f, "{}; {} threads", self.machine, self.threads)?;
        write!(f, "date {}", self.date)
    }
}

/// One training session of a run folder: from which epoch, by which build, on which machine, when.
/// `provenance.json` holds one per call that trained the folder (a resumed run has several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainedBy {
    /// The epoch the session started from (0 for a fresh run).
    pub from_epoch: usize,
    /// The build that trained it.
    pub build: Build,
    /// The machine.
    pub machine: String,
    /// The date (UTC) the session started.
    pub date: String,
    /// How the record was made, when not by the training itself (e.g. written afterwards for a
    /// run trained before the crate recorded its provenance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl TrainedBy {
    /// A session starting now at `from_epoch`, by this build.
    pub fn now(from_epoch: usize) -> TrainedBy {
        TrainedBy {
            from_epoch,
            build: Build::current(),
            machine: machine(),
            date: today(),
            note: None,
        }
    }
}

impl std::fmt::Display for TrainedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "from epoch {}: {} on {}, {}",
            self.from_epoch, self.build, self.machine, self.date
        )?;
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
        Ok(())
    }
}

/// A one-line description of this machine: CPU model, logical cores, OS and architecture.
///
/// ```
/// assert!(gcatm::provenance::machine().contains("core"));
/// ```
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!(
        "{cpu}, {cores} core{}, {} {}",
        if cores == 1 { "" } else { "s" },
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Today's date in UTC as `YYYY-MM-DD` (from the system clock).
///
/// ```
/// let d = gcatm::provenance::today();
/// assert_eq!((d.len(), &d[4..5], &d[7..8]), (10, "-", "-"));
/// ```
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_794), (2026, 12, 7));
    }

    #[test]
    fn build_names_its_commit() {
        let b = Build::current();
        // Built from a git checkout (as CI's clone is), the commit is baked in.
        if std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".git")
            .exists()
        {
            assert!(b.commit.is_some(), "{b}");
        }
        assert!(b.to_string().starts_with("gcatm 0."));
    }
}
