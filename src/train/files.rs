//! Writing the files of run folders and checkpoints. Every byte goes through [`OutFile`], so that
//! the crate's tests can make the disk fill up at any byte ([`fault`], test builds only) and check
//! what a failed save leaves behind.
use super::TrainError;
use candle_core::{CpuStorage, DType, Storage, Tensor};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A new file (an existing one is truncated) whose write errors name it.
pub(crate) struct OutFile {
    w: BufWriter<Sink>,
    path: PathBuf,
}

impl OutFile {
    pub(crate) fn create(path: &Path) -> Result<OutFile, TrainError> {
        let f = File::create(path).map_err(|e| TrainError::file(path, e))?;
        Ok(OutFile {
            w: BufWriter::with_capacity(1 << 20, Sink(f)),
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), TrainError> {
        self.w
            .write_all(bytes)
            .map_err(|e| TrainError::file(&self.path, e))
    }

    /// Flushes the buffer: a full disk may only show here.
    pub(crate) fn finish(mut self) -> Result<(), TrainError> {
        self.w.flush().map_err(|e| TrainError::file(&self.path, e))
    }
}

/// Writes `bytes` to `path` (created or truncated).
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    let mut f = OutFile::create(path)?;
    f.write_all(bytes)?;
    f.finish()
}

/// Writes `tensors` as a safetensors file (what candle's loaders read), streaming one tensor at a
/// time through [`OutFile`]. Only f32 tensors: all of a trainer's weights and moments are f32.
pub(crate) fn write_safetensors(
    path: &Path,
    mut tensors: Vec<(String, Tensor)>,
) -> Result<(), TrainError> {
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let mut header = serde_json::Map::new();
    let mut offset = 0usize;
    for (name, t) in &tensors {
        if t.dtype() != DType::F32 {
            return Err(TrainError::file(
                path,
                format!(
                    "tensor `{name}` is {:?}; checkpoints hold f32 only",
                    t.dtype()
                ),
            ));
        }
        let end = offset + t.elem_count() * 4;
        header.insert(
            name.clone(),
            serde_json::json!({"dtype": "F32", "shape": t.dims(), "data_offsets": [offset, end]}),
        );
        offset = end;
    }
    let mut head = serde_json::to_vec(&header).map_err(|e| TrainError::file(path, e))?;
    // The format pads the header with spaces to a multiple of 8 bytes.
    head.resize(head.len().next_multiple_of(8), b' ');
    let mut f = OutFile::create(path)?;
    f.write_all(&(head.len() as u64).to_le_bytes())?;
    f.write_all(&head)?;
    let mut bytes = Vec::with_capacity(1 << 18);
    for (name, t) in &tensors {
        let mut write = |values: &[f32]| -> Result<(), TrainError> {
            if cfg!(target_endian = "little") {
                return f.write_all(as_bytes(values));
            }
            for chunk in values.chunks(1 << 16) {
                bytes.clear();
                for x in chunk {
                    bytes.extend_from_slice(&x.to_le_bytes());
                }
                f.write_all(&bytes)?;
            }
            Ok(())
        };
        // A contiguous host tensor is read in place: no copy of a checkpoint's 85 MB.
        let (storage, layout) = t.storage_and_layout();
        if let (Storage::Cpu(CpuStorage::F32(v)), Some((start, end))) =
            (&*storage, layout.contiguous_offsets())
        {
            write(&v[start..end])?;
            continue;
        }
        drop(storage);
        let values = t
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| TrainError::file(path, format!("reading tensor `{name}`: {e}")))?;
        write(&values)?;
    }
    f.finish()
}

/// The memory of `values`: on a little-endian target, the file's bytes, without a copy.
fn as_bytes(values: &[f32]) -> &[u8] {
    // SAFETY: f32 is 4 initialised bytes with no padding, u8 needs no alignment, and the length
    // is exactly the slice's size in bytes; the borrow keeps `values` alive.
    unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    }
}

/// The file under [`OutFile`]'s buffer; in test builds it obeys [`fault`].
struct Sink(File);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        #[cfg(test)]
        let buf = &buf[..fault::allowed(buf.len())?];
        let n = self.0.write(buf)?;
        #[cfg(test)]
        fault::wrote(n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A disk that fills up, for this thread's writes through [`OutFile`] (test builds only).
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    thread_local! {
        static LEFT: Cell<Option<u64>> = const { Cell::new(None) };
        static WRITTEN: Cell<u64> = const { Cell::new(0) };
    }

    /// From now on this thread may write `bytes` more bytes (`None`: no limit); then every write
    /// fails as on a full disk.
    pub(crate) fn space_left(bytes: Option<u64>) {
        LEFT.with(|l| l.set(bytes));
    }

    /// Bytes this thread has written so far.
    pub(crate) fn written() -> u64 {
        WRITTEN.with(Cell::get)
    }

    pub(super) fn allowed(len: usize) -> std::io::Result<usize> {
        match LEFT.with(Cell::get) {
            Some(0) if len > 0 => Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device (injected by a test)",
            )),
            Some(left) => Ok(len.min(usize::try_from(left).unwrap_or(usize::MAX))),
            None => Ok(len),
        }
    }

    pub(super) fn wrote(n: usize) {
        WRITTEN.with(|w| w.set(w.get() + n as u64));
        LEFT.with(|l| l.set(l.get().map(|left| left - n as u64)));
    }
}
