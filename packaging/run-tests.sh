#!/usr/bin/env bash
# Builds everything and runs the whole test suite (CTest over the Qt Test suites).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DISTILLERY_BUILD_DIR:-$here/build}"
bash "$here/packaging/build.sh"
cd "$build"
ctest --output-on-failure --timeout 900 "$@"
