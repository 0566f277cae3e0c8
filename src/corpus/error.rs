use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading or transforming a corpus.
///
/// Every variant that concerns a file names it, so that a notebook user sees which file is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// A file or folder that should be there is not.
    #[error("{0}: no such file or folder")]
    Missing(PathBuf),
    /// The operating system refused a read or write.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file exists but its content is wrong (truncated, corrupt, inconsistent).
    #[error("{path}: {msg}")]
    Format {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// An argument or a combination of parts is inconsistent.
    #[error("{0}")]
    Invalid(String),
    /// A tensor could not be built.
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
}

impl CorpusError {
    /// An I/O error on `path`; a missing file becomes [`CorpusError::Missing`].
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::NotFound {
            CorpusError::Missing(path.to_path_buf())
        } else {
            CorpusError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    }

    /// A content error in `path`.
    pub fn format(path: &Path, msg: impl Into<String>) -> Self {
        CorpusError::Format {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
}
