//! Charts of training runs, drawn with plotters, shown inline in evcxr notebooks.
//!
//! Every chart builder takes plain data (series of `(x, y)` points, topic word lists) so that this
//! module does not depend on the trainer, and returns a [`Figure`]: an SVG held in memory that
//! shows itself inline in an evcxr notebook (as `image/svg+xml`) when it is the last expression of
//! a cell, and that can be saved as SVG or PNG. Topic lists become a [`TopicTable`] (`text/html`).
//!
//! | chart | what it shows |
//! |---|---|
//! | [`losses`] | critic, generator and encoder losses over iterations or epochs |
//! | [`info_nce`] | the generator's InfoNCE loss |
//! | [`coherence_curve`] | coherence (NPMI, ...) over epochs, each run's best point marked |
//! | [`coherence_vs_baselines`] | the same beside the random-topic floor (a band) and the model baselines (dashed lines) |
//! | [`npmi_and_td`] | NPMI and topic diversity of a run together, beside the floor and the baselines |
//! | [`npmi_vs_topics`] | NPMI against the number of topics K, one line per run |
//! | [`compare_runs`] | two runs of one metric (e.g. temperature 0.1 against 0.5) |
//! | [`topic_table`] | the top words of each topic with an optional score |
//! | [`HtmlTable`] | any table of results, with a sentence under it |
//! | [`seeds_vs_baselines`] | several seeds of each run as a mean with a band (± sd), beside the floor and the baselines |
//! | [`LineChart`] | any other line chart, with the same styling |
//!
//! Text is laid out with DejaVu Sans, which the crate embeds (see `src/plot/fonts/LICENSE`), so
//! PNG output needs no system font. Sizes suit a notebook about 800 px wide (text 14 px or more).
//!
//! ```
//! let npmi = vec![(250.0, 0.012), (500.0, 0.021), (750.0, 0.030), (1000.0, 0.027)];
//! let fig = gcatm::plot::coherence_curve("NPMI", &[("K=100, batch 1024", npmi)], true).unwrap();
//! assert!(fig.svg().starts_with("<svg"));
//! // In a notebook, `fig` as the last expression of a cell draws the chart.
//! ```

mod charts;
mod figure;
mod table;

pub use charts::{
    coherence_curve, coherence_vs_baselines, compare_runs, info_nce, losses, mean_and_band,
    npmi_and_td, npmi_and_td_runs, npmi_vs_topics, seeds_vs_baselines, Curve,
};
pub use figure::{Band, Figure, Legend, LineChart, Reference, Series};
pub use table::{topic_table, HtmlTable, TopicTable};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What can go wrong when drawing or saving a chart.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Writing a file failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file that was being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// plotters could not draw the chart.
    #[error("cannot draw {target}: {message}")]
    Draw {
        /// What was being drawn: a file name, or `SVG` for the in-memory picture.
        target: String,
        /// plotters' message.
        message: String,
    },
    /// The embedded font could not be registered with plotters.
    #[error("the embedded DejaVu Sans font could not be loaded")]
    Font,
    /// The input data do not fit together (e.g. fewer scores than topics).
    #[error("invalid chart input: {0}")]
    Input(String),
}

/// DejaVu Sans 2.37 (Bitstream Vera licence, see `fonts/LICENSE`).
static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Registers the embedded font under the generic family names plotters uses. With plotters'
/// `ab_glyph` feature every text (SVG layout included) needs a registered font, and no system
/// font is ever looked up, so this must run before any drawing.
pub(crate) fn ensure_fonts() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        ["sans-serif", "serif", "monospace"].iter().all(|family| {
            plotters::style::register_font(family, plotters::style::FontStyle::Normal, DEJAVU_SANS)
                .is_ok()
        })
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Writes a file atomically: `write` fills a temporary file beside `path` (same folder, so that the
/// rename cannot cross file systems), which then replaces `path`. A reader never sees half a file.
/// The temporary name keeps `path`'s extension because plotters' PNG encoder picks the format by it.
pub(crate) fn atomic_write(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), PlotError>,
) -> Result<(), PlotError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let io_err = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        io_err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path names no file",
        ))
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp{ext}",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write(&tmp).and_then(|()| std::fs::rename(&tmp, path).map_err(io_err));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
