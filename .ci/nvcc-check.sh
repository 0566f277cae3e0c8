#!/usr/bin/env bash
# nvcc as CI's CUDA check runs it (.ci/cuda-build.sh points cudaforge's NVCC at this script).
# Everything goes to the real nvcc ($GCATM_REAL_NVCC) -- the PTX kernels candle's CUDA backend
# launches (affine, binary, cast, conv, fill, indexing, quantized, reduce, sort, ternary, unary) are
# compiled for real -- except the object files of candle-kernels' static library libmoe.a: the
# fused-MoE and GGUF matrix kernels of quantized LLMs (src/moe/*, src/mmq_gguf/*, src/mmvq_gguf.cu,
# given as relative paths), which gcatm never calls. They were most of the check's nvcc time: 40-80 s
# each for the 15 of them on a cold 2-core machine, against about 60 s for all the PTX kernels.
# For those it writes an empty object, so that the library links and `cargo check` goes on.
# A full `cargo build --features cuda` (a GPU machine) compiles them with the real nvcc.
set -euo pipefail
real=${GCATM_REAL_NVCC:?GCATM_REAL_NVCC: the real nvcc}
src=${*: -1}
out=
prev=
for a in "$@"; do
  if [ "$prev" = -o ]; then out=$a; fi
  prev=$a
done
case " $* " in
  *" -c "*)
    case "$src" in
      *moe/*.cu | *mmq_gguf/*.cu | *mmvq_gguf.cu)
        echo "nvcc-check: not compiled (unused by gcatm): $src" >&2
        exec cc -c -x c /dev/null -o "$out" ;;
    esac ;;
esac
exec "$real" "$@"
