#!/usr/bin/env bash
# Checks that the `cuda` feature compiles and links on a machine without a GPU, with CUDA 13.0 from
# PyPI (.ci/setup-cuda13-toolchain.sh: nvcc and the CUDA libraries from PyPI wheels, a link-time
# stub of libcuda). The toolchain and the target folder live outside the clone,
# in $GCATM_CACHE (default ~/.cache/gcatm), so the ~10 minutes of kernel compilation are paid once.
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
CARGO_TARGET_DIR=$CACHE/cuda-target cargo build --features cuda --bins
echo "cuda-build: gcatm built with --features cuda ($CACHE/cuda-target/debug/gcatm)"
