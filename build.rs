//! Bakes the build's provenance into the crate (read by `gcatm::provenance`): the git commit of
//! the source, whether the crate's own files differed from it, rustc's version and the candle
//! version resolved in the lockfile of the build.
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The version of `name` in the first `Cargo.lock` found from `start` upwards.
fn locked_version(start: &Path, name: &str) -> Option<String> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if let Ok(lock) = std::fs::read_to_string(d.join("Cargo.lock")) {
            let mut lines = lock.lines();
            while let Some(l) = lines.next() {
                if l == format!("name = \"{name}\"") {
                    let v = lines.next()?;
                    return v
                        .strip_prefix("version = \"")?
                        .strip_suffix('"')
                        .map(String::from);
                }
            }
        }
        dir = d.parent();
    }
    None
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    // The crate's own files: a change to them (or a commit) makes the baked facts stale.
    for p in ["src", "Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={p}");
    }
    if let Some(git_dir) = git(&manifest, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        for p in ["HEAD", "index", "packed-refs"] {
            println!("cargo:rerun-if-changed={}", git_dir.join(p).display());
        }
        if let Some(head_ref) = git(&manifest, &["symbolic-ref", "-q", "HEAD"]) {
            println!(
                "cargo:rerun-if-changed={}",
                git_dir.join(head_ref).display()
            );
        }
    }
    let commit = git(&manifest, &["rev-parse", "--short=7", "HEAD"]).unwrap_or_default();
    // Dirty: the crate's source differs from the commit (run folders and notebooks do not count).
    let dirty = git(
        &manifest,
        &[
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            "src",
            "Cargo.toml",
            "Cargo.lock",
            "build.rs",
        ],
    )
    .map(|s| if s.is_empty() { "false" } else { "true" })
    .unwrap_or("");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let rustc_version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    // The lockfile of the build (a notebook's own workspace, or this repository's).
    let candle = locked_version(&out_dir, "candle-core")
        .or_else(|| locked_version(&manifest, "candle-core"))
        .unwrap_or_default();
    println!("cargo:rustc-env=GCATM_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=GCATM_GIT_DIRTY={dirty}");
    println!("cargo:rustc-env=GCATM_RUSTC_VERSION={rustc_version}");
    println!("cargo:rustc-env=GCATM_CANDLE_VERSION={candle}");
}
