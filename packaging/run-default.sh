#!/usr/bin/env bash
# Builds Distillery and runs the default experiment (experiments/default.json) headless into
# runs.distillery: a teacher, the student alone, and the student distilled from the teacher with KD.
# Then, when a display is available, opens the desktop app on the results.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DISTILLERY_BUILD_DIR:-$here/build}"
db="${1:-$here/runs.distillery}"
# Only the two programs: the test suites and benchmarks are run-tests.sh's to build.
bash "$here/packaging/build.sh" distillery-engine distillery
"$build/bin/distillery-engine" run --spec "$here/experiments/default.json" --db "$db"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -z "${CI:-}" ]; then
  echo "Opening the results in the desktop app…"
  exec "$build/bin/distillery" "$db"
fi
