#!/usr/bin/env bash
# Regenerates docs/screenshot-cluster.png: a study running on a Slurm cluster, followed live by the
# window. Starts a one-node cluster on this machine (packaging/slurm-local.sh), submits a teacher and
# three students with `distillery-engine submit --slurm`, opens the store once a student trains, and
# stops the cluster again. Needs slurm-wlm, munge and xvfb (README's set-up installs them).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${DISTILLERY_BUILD_DIR:-$here/build}"
work="$(mktemp -d)"
export SLURM_CONF="$work/cluster/slurm.conf" XDG_CONFIG_HOME="$work/config" XDG_RUNTIME_DIR="$work/runtime"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
trap '"$here/packaging/slurm-local.sh" stop "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"$here/packaging/slurm-local.sh" start "$work/cluster"

cat > "$work/study.json" <<'JSON'
{
  "study": "cluster",
  "base": {
    "data": {"name": "synthetic", "channels": 1, "height": 28, "width": 28, "num_classes": 4,
             "train_size": 1280, "test_size": 256, "val_size": 128, "augment": false},
    "student": {"model": "resnet8"}, "teacher": {"run_name": "t"},
    "epochs": 100, "batch_size": 32, "threads": 1, "log_every": 5, "checkpoint_every": 1
  },
  "teachers": {"t": {"student": {"model": "tinycnn"}, "epochs": 3}},
  "grid": {"method": [{"name": "kd"}, {"name": "kd", "T": 2}, {"name": "at"}]},
  "seeds": [1]
}
JSON
store="$work/study.sqlite"
"$build/bin/distillery-engine" submit --slurm "$work/study.json" --db "$store" --shared-dir "$work/shared" \
  --cpus 1 --max-parallel 2 --time 30:00
# Two students train (at most 2 at once), the third waits for a slot; the window opens on the first.
sleep 30
"$build/bin/distillery-engine" merge --db "$store" "$work/shared" >/dev/null
student="$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
  "SELECT id FROM runs WHERE name = ? ", ("cluster-kd-s1",)).fetchone()[0])' "$store")"
xvfb-run -a -s '-screen 0 1600x940x24' "$build/bin/distillery" "$store" --page live --select "$student" \
  --screenshot "$here/docs/screenshot-cluster.png" --screenshot-after 9000
echo "wrote docs/screenshot-cluster.png"
