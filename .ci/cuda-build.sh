#!/usr/bin/env bash
# Checks that the `cuda` feature compiles on a machine without a GPU, with CUDA 13.0 from PyPI
# (.ci/setup-cuda13-toolchain.sh: nvcc and the CUDA libraries from PyPI wheels, a link-time stub of
# libcuda): candle's CUDA kernels are compiled by nvcc (its build script: the PTX kernels and the
# quantized/MoE kernel library), and candle's CUDA backend and this crate's CUDA code are compiled
# and type-checked by `cargo check`. What it does not do (to fit CI on a cold machine): generate
# machine code for the Rust crates and link the binary against the CUDA libraries; `cargo build
# --features cuda` does that (about 10 more minutes cold), and a machine with a GPU runs it.
# The toolchain and the target folder live outside the clone, in $GCATM_CACHE (default
# ~/.cache/gcatm), so the kernels' compilation is paid once per machine.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${GCATM_CACHE:-$HOME/.cache/gcatm}
ENV_DIR=$CACHE/cuda13-build-env
SETUP=.ci/setup-cuda13-toolchain.sh
mkdir -p "$CACHE"
if [ ! -f "$ENV_DIR/cuda_env.sh" ]; then
  bash "$SETUP" "$ENV_DIR"
fi
# shellcheck disable=SC1091
source "$ENV_DIR/cuda_env.sh"
CARGO_TARGET_DIR=$CACHE/cuda-target cargo check --features cuda --lib --bins
echo "cuda-build: gcatm checked with --features cuda (kernels compiled by nvcc; no link)"
