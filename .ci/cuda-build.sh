#!/usr/bin/env bash
# Checks that the `cuda` feature compiles on a machine without a GPU, with CUDA 13.0 from PyPI
# (.ci/setup-cuda13-toolchain.sh: nvcc and the CUDA libraries from PyPI wheels, a link-time stub of
# libcuda). nvcc compiles the PTX kernels candle's CUDA backend launches (candle-kernels' build
# script), and `cargo check` compiles and type-checks candle's CUDA backend and this crate's CUDA
# code. What it does not do, to fit CI on a cold 2-core machine: compile candle-kernels' fused-MoE
# and GGUF kernel library (quantized-LLM kernels gcatm never calls; .ci/nvcc-check.sh gives the
# library empty objects: about 12 of the nvcc step's 13 minutes of compiling), generate machine code
# for the Rust crates, and link the binary against the CUDA libraries. `cargo build --features cuda`
# does all of that; a machine with a GPU runs it.
# The toolchain and the target folder live outside the clone, in $GCATM_CACHE (default
# ~/.cache/gcatm), so what is compiled is paid once per machine. The target folder is this check's
# own (its kernel library is incomplete): never point a real CUDA build at it.
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
GCATM_REAL_NVCC=$(command -v nvcc) NVCC=$PWD/.ci/nvcc-check.sh \
  CARGO_TARGET_DIR=$CACHE/cuda-check-target cargo check --features cuda --lib --bins
echo "cuda-build: gcatm checked with --features cuda (PTX kernels compiled by nvcc; no MoE/GGUF library, no link)"
