#!/usr/bin/env bash
# Installs the dependencies, configures and builds Distillery into build/ (or $DISTILLERY_BUILD_DIR).
# Re-running it only rebuilds what changed.
#   build.sh                 everything: the two programs, the test suites, the benchmarks
#   build.sh TARGET…         only these targets and what they need (run-default.sh builds the programs)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DISTILLERY_BUILD_DIR:-$here/build}"

bash "$here/packaging/install-deps.sh"

# ccache keeps object files between clean checkouts (CI clones afresh every time). LibTorch's
# precompiled header needs these sloppiness settings to be cacheable.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
  export CCACHE_BASEDIR="$here"
  export CCACHE_NOHASHDIR=1   # debug info would otherwise tie each object to its checkout folder
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# -g1: line tables only. Backtraces keep their functions, files and lines, and LibTorch-heavy files
# compile about a quarter faster than with full debug information (docs/performance.md, "Build").
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "${launcher[@]}" >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
