#!/usr/bin/env bash
# Data-parallel throughput on this machine: the default KD student (Fashion-MNIST, resnet20 -> resnet8,
# batch 128, one epoch of 156 steps) trained by 1 process with 2 threads, then by 2 processes with 1
# thread each (distributed.world_size 2, Gloo). Prints the images/s of the training phase (the engine's
# progress lines, past the first two) and the wait for the gradients' all-reduce the 2-process run
# logs. The teacher is a short run: its weights do not matter for speed. Needs dataset-fashion-mnist.
#   tests/benchmarks/bench_data_parallel.sh [ENGINE]     (default: build/bin/distillery-engine)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
engine="$(realpath "${1:-$here/build/bin/distillery-engine}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 - "$here/experiments/default.json" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
teacher = dict(runs[0], epochs=1, max_steps_per_epoch=20, name="teacher", schedule={"name": "constant"})
json.dump(teacher, open("teacher.json", "w"))
for world in (1, 2):
    kd = dict(runs[2], epochs=1, name=f"kd-w{world}", teacher={"run_name": "teacher"}, threads=2 // world,
              schedule={"name": "constant"})
    if world > 1:
        kd["distributed"] = {"world_size": world}
    json.dump(kd, open(f"kd{world}.json", "w"))
PY
"$engine" run --spec teacher.json --db bench.sqlite --progress none >/dev/null 2>&1
for world in 1 2; do
  "$engine" run --spec "kd$world.json" --db bench.sqlite --progress json 2>/dev/null > "progress$world.log"
  python3 - "$world" <<'PY'
import json, sys
world = sys.argv[1]
lines = [json.loads(l) for l in open(f"progress{world}.log") if l.startswith("{")]
rates = [l["images_per_s"] for l in lines if l.get("phase") == "train" and l.get("images_per_s")][2:]
print(f"{world} process(es): {sum(rates) / len(rates):.0f} images/s (training phase, {len(rates)} progress lines)")
PY
done
python3 -c 'import sqlite3; [print(m) for (m,) in sqlite3.connect("bench.sqlite").execute(
  "SELECT message FROM events WHERE message LIKE ?", ("data parallel: %waiting%",))]'
