//! Choosing the compute device at run time: CPU always, CUDA with the `cuda` feature.

use candle_core::Device;

/// Errors in choosing a device.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The device string is not one of `cpu`, `cuda`, `cuda:N`, `auto`.
    #[error("unknown device `{0}` (expected cpu, cuda, cuda:N or auto)")]
    Unknown(String),
    /// CUDA was asked for explicitly but this build or machine cannot give it.
    #[error("CUDA device {index} is not available: {reason}")]
    CudaUnavailable {
        /// The GPU ordinal asked for.
        index: usize,
        /// Why not.
        reason: String,
    },
}

/// Picks a device from a string: `cpu`, `cuda` (GPU 0), `cuda:N`, or `auto` (GPU 0 when one
/// answers, else the CPU with a message on standard error).
///
/// An explicit `cuda` request fails with an error when no GPU answers; `auto` never fails.
///
/// ```
/// let cpu = gcatm::device::pick("cpu").unwrap();
/// assert!(cpu.is_cpu());
/// assert!(gcatm::device::pick("auto").is_ok());
/// assert!(gcatm::device::pick("tpu").is_err());
/// ```
pub fn pick(spec: &str) -> Result<Device, DeviceError> {
    match spec {
        "cpu" => Ok(Device::Cpu),
        "auto" => match cuda(0) {
            Ok(d) => Ok(d),
            Err(e) => {
                if cfg!(feature = "cuda") {
                    eprintln!("gcatm: no GPU answered ({e}); running on the CPU");
                }
                Ok(Device::Cpu)
            }
        },
        "cuda" => cuda(0),
        s => match s.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(i)) => cuda(i),
            _ => Err(DeviceError::Unknown(s.to_string())),
        },
    }
}

/// A short name of a device for logs and summaries: `cpu` or `cuda:N`.
pub fn name(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".to_string(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

#[cfg(feature = "cuda")]
fn cuda(index: usize) -> Result<Device, DeviceError> {
    // `Device::cuda_if_available` returns the driver error instead of falling back, so ask directly.
    Device::new_cuda(index).map_err(|e| DeviceError::CudaUnavailable {
        index,
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "cuda"))]
fn cuda(index: usize) -> Result<Device, DeviceError> {
    Err(DeviceError::CudaUnavailable {
        index,
        reason: "this build has no CUDA support (rebuild with `--features cuda`)".into(),
    })
}

/// The glibc tunable that backs malloc's large blocks with transparent huge pages.
pub const HUGE_PAGES_TUNABLE: &str = "glibc.malloc.hugetlb";

/// What [`tune_cpu`] found and set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuTuning {
    /// The thread count candle's element-wise ops use (`CANDLE_NUM_THREADS`).
    pub elementwise_threads: String,
    /// Whether this process started with `GLIBC_TUNABLES` asking for huge pages (glibc reads it
    /// only at start-up: a notebook gets it by starting Jupyter with
    /// `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`).
    pub huge_pages: bool,
}

/// The CPU settings the `gcatm` binary trains with, as a call a notebook can make before
/// training: candle's element-wise ops on one thread (`CANDLE_NUM_THREADS=1`, unless already set:
/// on few cores the thread hand-offs cost more than they save; measured 2.35 against 2.7 s per
/// 20NG epoch on 2 cores; matrix products keep every core). Huge pages cannot be turned on from
/// inside a running process; the returned value says whether they are on.
///
/// ```
/// let t = gcatm::device::tune_cpu();
/// assert_eq!(std::env::var("CANDLE_NUM_THREADS").unwrap(), t.elementwise_threads);
/// ```
pub fn tune_cpu() -> CpuTuning {
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        std::env::set_var("CANDLE_NUM_THREADS", "1");
    }
    CpuTuning {
        elementwise_threads: std::env::var("CANDLE_NUM_THREADS").unwrap_or_default(),
        huge_pages: std::env::var("GLIBC_TUNABLES")
            .is_ok_and(|t| t.contains(&format!("{HUGE_PAGES_TUNABLE}=1"))),
    }
}
