#!/usr/bin/env bash
# Installs the dependencies, configures and builds Distillery into build/ (or $DISTILLERY_BUILD_DIR).
# Re-running it only rebuilds what changed.
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

cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)"
