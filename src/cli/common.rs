//! Pieces the subcommands share.
use anyhow::Context;
use std::path::Path;

/// Peak resident memory of this process in MiB (Linux; 0 where unknown).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Reads a JSON file into `T`, naming the file on error.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not valid JSON for this file", path.display()))
}

/// `1h02m`, `3m05s` or `7s`.
fn hms(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// The time left of a run, from the mean wall time of the epochs this process has trained
/// (evaluations and saves included), for progress lines written to a log or a notebook.
pub struct Eta {
    start: std::time::Instant,
    first: Option<usize>,
    /// The epoch the run ends at.
    total: usize,
}

impl Eta {
    /// Starts timing a run that ends at epoch `total`.
    pub fn new(total: usize) -> Eta {
        Eta {
            start: std::time::Instant::now(),
            first: None,
            total,
        }
    }

    /// The time left once `epoch` is done (the first call marks where this process started).
    pub fn after(&mut self, epoch: usize) -> String {
        let first = *self.first.get_or_insert(epoch.saturating_sub(1));
        let per = self.start.elapsed().as_secs_f64() / (epoch - first).max(1) as f64;
        hms(per * self.total.saturating_sub(epoch) as f64)
    }
}

/// One epoch's progress line: the record's own line (see `EpochRecord`'s `Display`) and the time
/// left.
pub fn epoch_line(r: &gcatm::train::EpochRecord, eta: &mut Eta) -> String {
    format!("{r} | eta {} to epoch {}", eta.after(r.epoch), eta.total)
}
