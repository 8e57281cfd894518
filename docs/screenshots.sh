#!/usr/bin/env bash
# Regenerates the screenshots in docs/ under Xvfb, from a results store of the laptop experiment set:
#
#   build/bin/distillery-engine run --spec experiments/laptop/study.json --db laptop.sqlite
#   docs/screenshots.sh laptop.sqlite
#
# It works on a copy of the store, with fresh settings (the default window layout). The Live shot
# trains one more KD student in the background (about a minute on 2 cores) and shows it mid-run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DISTILLERY_BUILD_DIR:-$here/build}"
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  echo "usage: docs/screenshots.sh STORE.sqlite  (a store of the study experiments/laptop/study.json)" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Under its own name, beside its checkpoints: the teacher runs' weights are found there.
# (a tree of links, so the run trained here writes nothing into the original's folder).
store="$work/$(basename "$1")"
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' "$1" "$store"
if [ -d "$1.checkpoints" ]; then cp -rs "$(cd "$(dirname "$1")" && pwd)/$(basename "$1").checkpoints" "$store.checkpoints"; fi
export XDG_CONFIG_HOME="$work/config" XDG_RUNTIME_DIR="$work/runtime"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# The ids of runs by name, comma-separated, in the order given.
ids() {
  python3 - "$store" "$@" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = []
for name in sys.argv[2:]:
    row = db.execute("SELECT id FROM runs WHERE name = ? ORDER BY id DESC LIMIT 1", (name,)).fetchone()
    if row is None:
        sys.exit(f"screenshots.sh: the store has no run named {name}; run the study experiments/laptop/study.json first")
    ids.append(str(row[0]))
print(",".join(ids))
PY
}

shot() {
  local out="$1" wait="$2"
  shift 2
  xvfb-run -a -s '-screen 0 1600x940x24' "$build/bin/distillery" "$store" --no-queue "$@" \
    --screenshot "$here/docs/$out" --screenshot-after "$wait"
  echo "wrote docs/$out"
}

# The designer holding the SAKD student of the laptop set.
python3 - "$here/experiments/laptop/sakd.json" "$work/sakd.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
spec = next(r for r in runs if r.get("method", {}).get("name") == "sakd")
spec["name"] = "fmnist-sakd"
json.dump(spec, open(sys.argv[2], "w"), indent=2)
PY
shot screenshot-design.png 4000 --design "$work/sakd.json"
# Seed 3: its gates dip furthest while the start-up prior fades (stage 1 to 0.84 at step 40).
shot screenshot-live-gates.png 4000 --page live --select "$(ids laptop-sakd-s3)"
shot screenshot-live-channels.png 4000 --page live --select "$(ids laptop-adain-s1)"
shot screenshot-live-paths.png 4000 --page live --select "$(ids laptop-multipath-s1)"
seeds=()
for config in vanilla kd multipath; do for seed in 1 2 3; do seeds+=("laptop-$config-s$seed"); done; done
shot screenshot-compare.png 5000 --page compare --select "$(ids "${seeds[@]}")"
shot screenshot-report.png 5000 --page report --select "$(ids "${seeds[@]}")"

# Live while training: the engine trains a KD student beside the window, as on a server.
# The study's KD student of seed 1, as the store holds its spec, under a new name.
python3 - "$store" "$work/kd.json" <<'PY'
import json, sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT spec FROM runs WHERE name = 'laptop-kd-s1'").fetchone()
if row is None:
    sys.exit("screenshots.sh: the store has no run named laptop-kd-s1; run the study experiments/laptop/study.json first")
spec = json.loads(row[0])
spec["name"] = "laptop-kd-live"
json.dump(spec, open(sys.argv[2], "w"), indent=2)
PY
"$build/bin/distillery-engine" run --spec "$work/kd.json" --db "$store" --progress none 2>/dev/null &
engine=$!
sleep 50
shot screenshot-live.png 3000 --page live --select "$(ids laptop-kd-live)"
kill "$engine" 2>/dev/null || true
wait "$engine" 2>/dev/null || true

# Compare's study views (banded curves per configuration, parallel coordinates) on a synthetic study
# of 12 configurations × 3 seeds that the test suite builds itself, so they need no study in the store.
mkdir -p "$here/docs/screenshots"
DISTILLERY_SCREENSHOT_DIR="$here/docs/screenshots" QT_QPA_PLATFORM=offscreen \
  "$build/bin/test_compare_study" screenshots >/dev/null
echo "wrote docs/screenshots/compare-bands.png docs/screenshots/compare-parallel.png"

# The designer with a sweep (student models, kd's temperature, a log range of learning rates).
DISTILLERY_SCREENSHOT_DIR="$here/docs/screenshots" QT_QPA_PLATFORM=offscreen \
  "$build/bin/test_sweep_editor" screenshots >/dev/null
echo "wrote docs/screenshots/designer-sweep.png"
