#!/usr/bin/env bash
# Executes the project's Jupyter notebooks headlessly with the evcxr Rust kernel.
#
# Usage: bash .ci/notebooks.sh [PATH...]      PATH: a notebook or a folder of them (default: notebooks)
#        bash .ci/notebooks.sh --install-only  only install the toolchain (CI starts it early)
# Environment:
#   GCATM_BUDGET        budget the notebooks run at (default: smoke)
#   NOTEBOOKS_OUT       where executed copies and logs go (default: target/executed-notebooks)
#   NOTEBOOK_TIMEOUT    seconds one cell may take (default: 3600)
#   NOTEBOOKS_REQUIRE_ENTRIES=1   also fail when an entry notebook 01..12 is missing
#   NOTEBOOKS_NO_INSTALL=1        never install anything (fail if a tool is missing)
#   NOTEBOOKS_JOBS      notebooks executed at once after the first (default 1). Two kernels at once
#                       race on evcxr's shared compiler cache: a kernel rewrites an entry's hit
#                       counter (truncate, then write) while another reads it, and the reader's build
#                       fails ("Failed to wrap rustc: cannot parse integer from empty string"; seen in
#                       a cold CI run, notebooks 01, 03, 04, 05). With more than one, each kernel
#                       starts NOTEBOOKS_STAGGER seconds (default 40) after the previous one.
# Prints "ok"/"FAIL" per notebook, then "notebooks: N passed, M failed"; exits 1 on any failure.
#
# A notebook fails when nbconvert fails (a dead kernel, a timeout), when a cell has an error output
# (a compile error, or a panic: see init.evcxr below; its message is printed), when any
# cell wrote to stderr (an error returned with `?` only prints there), or, for an entry notebook
# (name starting 01..12), when no cell produced an image/svg+xml output (its chart went missing).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export GCATM_BUDGET=${GCATM_BUDGET:-smoke}
# As the gcatm binary does: candle's element-wise ops on one thread (faster on few cores; matrix
# products keep every core). The kernels inherit it; an explicit setting wins.
export CANDLE_NUM_THREADS=${CANDLE_NUM_THREADS:-1}
OUTDIR=${NOTEBOOKS_OUT:-target/executed-notebooks}
TIMEOUT=${NOTEBOOK_TIMEOUT:-3600}
JOBS=${NOTEBOOKS_JOBS:-1}
STAGGER=${NOTEBOOKS_STAGGER:-40}
INSTALL_ONLY=0
if [ "${1:-}" = --install-only ]; then INSTALL_ONLY=1; shift; fi
[ "$#" -gt 0 ] || set -- notebooks

# Throwaway folder: cold kernels leave 160-380 MB build folders in TMPDIR.
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

# --- toolchain (idempotent: installs only what is missing) -------------------------------------
install_tools() {
  if ! python3 -c 'import nbconvert, nbclient, nbformat, jupyter_client, ipykernel' 2>/dev/null; then
    echo "installing nbclient nbconvert nbformat jupyter_client ipykernel"
    python3 -m pip install --quiet nbclient nbconvert nbformat jupyter_client ipykernel || return 1
  fi
  # evcxr infers the types of a cell's variables with rust-analyzer, which needs the standard
  # library's source: without it a cell such as `let config = e.config(budget);` fails with
  # "Couldn't automatically determine type of variable".
  if [ ! -d "$(rustc --print sysroot)/lib/rustlib/src/rust/library" ]; then
    echo "installing the rust-src component (evcxr's type inference needs it)"
    rustup component add rust-src || return 1
  fi
  if ! command -v evcxr_jupyter >/dev/null; then
    # ~11 min on 2 cores; its own target folder so that it never waits on (or evicts) the crate's.
    echo "installing evcxr_jupyter (cargo install, about 11 minutes)"
    CARGO_TARGET_DIR="$SCRATCH/evcxr-build" cargo install --locked evcxr_jupyter || return 1
  fi
  if ! python3 -m jupyter kernelspec list 2>/dev/null | grep -qE '^\s*rust\s'; then
    evcxr_jupyter --install || return 1
  fi
}
if [ "${NOTEBOOKS_NO_INSTALL:-0}" = 1 ]; then
  command -v evcxr_jupyter >/dev/null && python3 -c 'import nbconvert' 2>/dev/null \
    || { echo "notebook toolchain missing (NOTEBOOKS_NO_INSTALL=1)"; echo "notebooks: 0 passed, 1 failed"; exit 1; }
elif ! install_tools; then
  echo "could not install the notebook toolchain"; echo "notebooks: 0 passed, 1 failed"; exit 1
fi
if [ "$INSTALL_ONLY" = 1 ]; then echo "notebook toolchain ready"; exit 0; fi

# --- kernel start-up commands ---------------------------------------------------------------------
# :cache keeps compiled dependencies across kernels (~/.cache/evcxr, persistent: 376 s -> ~30 s per
# notebook); :preserve_vars_on_panic 0 makes a panic fail its cell instead of being reported "ok".
export EVCXR_CONFIG_DIR="$SCRATCH/evcxr-config"
mkdir -p "$EVCXR_CONFIG_DIR" "$SCRATCH/tmp"
printf ':cache 4096\n:preserve_vars_on_panic 0\n' > "$EVCXR_CONFIG_DIR/init.evcxr"
# The system linker, always (evcxr would pick mold on its own where it is installed): the linker
# the notebooks have been verified with. Whether mold speeds the cells up here is not measured yet.
printf ':linker system\n' >> "$EVCXR_CONFIG_DIR/init.evcxr"
export TMPDIR="$SCRATCH/tmp"
# The crate itself: cargo compiles a path dependency incrementally, and evcxr's cache skips
# incremental builds, so each kernel compiled gcatm again (47 s a notebook alone on 2 cores, 141 s
# with a second notebook and the CUDA check beside it). A cargo config above the kernels' build
# folders (they live in TMPDIR) builds it non-incrementally: the first kernel caches it and the
# others reuse it. evcxr keys its cache on rustc's command line
# only, which does not change with the source, so entries from an earlier checkout go first.
mkdir -p "$SCRATCH/tmp/.cargo"
printf '[profile.dev.package.gcatm]\nincremental = false\n' > "$SCRATCH/tmp/.cargo/config.toml"
python3 - <<'PY'
import os, pathlib, shutil
cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache") / "evcxr"
for meta in cache.glob("*/meta"):
    args = meta.read_text().split("\n")
    if any(a == "--crate-name" and b == "gcatm" for a, b in zip(args, args[1:])):
        shutil.rmtree(meta.parent)
PY

# --- checks on an executed notebook ---------------------------------------------------------------
# Prints every error output (evcxr sends a compile error, a panic or a failed command as one; its
# execute reply carries no message) with its cell's first line; exits 1 when there is one.
has_errors() {
  python3 - "$1" <<'PY'
import json, re, sys
nb = json.load(open(sys.argv[1]))
bad = 0
for i, c in enumerate(nb["cells"]):
    for o in c.get("outputs", []):
        if o.get("output_type") == "error":
            bad += 1
            src = "".join(c.get("source", "")).strip().splitlines()
            print(f"      cell {i} ({src[0][:70] if src else ''}): {o.get('ename')}: {o.get('evalue')}")
            for line in o.get("traceback", [])[:15]:
                print("        " + re.sub(r"\x1b\[[0-9;]*m", "", line))
sys.exit(1 if bad else 0)
PY
}
has_stderr() {
  python3 -c 'import json,sys; nb=json.load(open(sys.argv[1])); sys.exit(0 if any(o.get("name")=="stderr" for c in nb["cells"] for o in c.get("outputs",[])) else 1)' "$1"
}
has_svg() {
  python3 -c 'import json,sys; nb=json.load(open(sys.argv[1])); sys.exit(0 if any("image/svg+xml" in o.get("data",{}) for c in nb["cells"] for o in c.get("outputs",[])) else 1)' "$1"
}
is_entry() { [[ "$(basename "$1")" =~ ^(0[1-9]|1[0-2])[^0-9] ]]; }

notebooks=()
for p in "$@"; do
  if [ -d "$p" ]; then
    while IFS= read -r -d '' nb; do notebooks+=("$nb"); done \
      < <(find "$p" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' -print0 | sort -z)
  elif [ -f "$p" ]; then notebooks+=("$p")
  else echo "FAIL  $p: no such notebook or folder"; fi
done

# Executes one notebook and checks it; prints one line and exits non-zero when it failed.
run_one() {
  local nb=$1 out res start
  out="$OUTDIR/$(dirname "$nb")"; mkdir -p "$out"; res="$out/$(basename "$nb")"
  start=$(date +%s)
  # allow_errors: the executed notebook is written even when a cell fails, so that its error
  # output (the message nbconvert's own report leaves out) can be shown; has_errors fails it.
  if ! python3 -m jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout="$TIMEOUT" \
       --ExecutePreprocessor.allow_errors=True --ExecutePreprocessor.kernel_name=rust \
       --output-dir "$out" "$nb" >"$res.log" 2>&1; then
    echo "FAIL  $nb ($(( $(date +%s) - start ))s)"; tail -n 20 "$res.log"
    return 1
  elif ! errors=$(has_errors "$res"); then
    echo "FAIL  $nb ($(( $(date +%s) - start ))s): a cell failed"; echo "$errors"
    return 1
  elif has_stderr "$res"; then
    echo "FAIL  $nb: a cell wrote to stderr (e.g. an error returned with ?)"; return 1
  elif is_entry "$nb" && ! has_svg "$res"; then
    echo "FAIL  $nb: an entry notebook produced no image/svg+xml output"; return 1
  fi
  echo "ok    $nb ($(( $(date +%s) - start ))s)"
}

fail=0; n=${#notebooks[@]}; missing=0; seen_entries=""
for p in "$@"; do [ -e "$p" ] || missing=$((missing+1)); done
for nb in "${notebooks[@]}"; do
  if is_entry "$nb"; then seen_entries="$seen_entries $(basename "$nb" | cut -c1-2)"; fi
done
# The first notebook alone (it fills evcxr's cache), then up to $JOBS at a time; each job's line is
# printed whole when it ends, and every job's status is collected. Notebooks that read other
# notebooks' runs (12 reuses entry 11's, 13-summary all of them, 14 entry 7's) start only once every
# earlier one has finished, so that none of them trains a run another notebook is writing.
reads_others() { [[ "$(basename "$1")" =~ ^(12|13|14)- ]]; }
STATUS="$SCRATCH/status"; mkdir -p "$STATUS"
i=0
for nb in "${notebooks[@]}"; do
  i=$((i+1))
  if reads_others "$nb"; then wait; fi
  ( run_one "$nb"; echo $? > "$STATUS/$i" ) &
  if [ "$i" -eq 1 ] || reads_others "$nb"; then wait
  # Kernels started together collided at their :dep cell; one started STAGGER seconds after the
  # other finds the dependencies compiled and cached.
  elif [ "$JOBS" -gt 1 ]; then sleep "$STAGGER"; fi
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
done
wait
for f in "$STATUS"/*; do [ "$(cat "$f")" = 0 ] || fail=$((fail+1)); done

if [ "${NOTEBOOKS_REQUIRE_ENTRIES:-0}" = 1 ]; then
  for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
    case " $seen_entries " in *" $i "*) ;; *) echo "FAIL  entry notebook ${i}-*.ipynb is missing"; missing=$((missing+1));; esac
  done
fi
[ "$n" -gt 0 ] || { echo "FAIL  no notebook found in: $*"; missing=$((missing+1)); }
# Missing notebooks count as failures; "passed" counts executed notebooks only.
echo "notebooks: $((n - fail)) passed, $((fail + missing)) failed"
[ "$fail" -eq 0 ] && [ "$missing" -eq 0 ]
