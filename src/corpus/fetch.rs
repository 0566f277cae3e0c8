//! Downloading the standard corpora (to be written).
