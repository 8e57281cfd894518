#!/usr/bin/env bash
# Builds distillery-engine (no GUI, no tests) against a CUDA-enabled LibTorch and checks it on the GPU:
#   1. a KD run (resnet32x4 -> resnet8x4, synthetic 3x32x32 data, 100 classes) of a few hundred steps in
#      each of fp32, bf16 and fp16, after a teacher run of as many steps;
#   2. the fp32 run again, killed with SIGKILL after its second epoch and resumed, against the run that
#      was not interrupted;
#   3. the throughput benchmark (bench_kd_throughput) against the same PyTorch loop on the same GPU;
#   4. every method that needs a teacher, in each precision, for a few steps: a run that fails for any
#      reason but diverging (random data can make a method's loss overflow) fails the check.
# Writes what it measured to $BUILD/gpu-check/report.txt.
#
#   packaging/gpu-check.sh [LIBTORCH_PREFIX]
# LIBTORCH_PREFIX: an unpacked official LibTorch archive (…/libtorch), or the LibTorch inside a pip-installed
# torch; the default asks $PYTHON: python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'.
# Environment: DEVICE (cuda), STEPS per run (300), PRECISIONS ("fp32 bf16 fp16"), BATCH (128),
# BENCH_STEPS (200 timed steps per benchmark row), BUILD (build-gpu, beside build/),
# PYTHON (python3; the PyTorch loop of the benchmark runs in it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
device="${DEVICE:-cuda}"
steps="${STEPS:-300}"
precisions="${PRECISIONS:-fp32 bf16 fp16}"
batch="${BATCH:-128}"
bench_steps="${BENCH_STEPS:-200}"
build="${BUILD:-$here/build-gpu}"
out="$build/gpu-check"
prefix="${1:-}"
if [ -z "$prefix" ]; then
  prefix="$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')" || {
    echo "gpu-check: no LibTorch given and $python has no torch; pass the folder of an unpacked LibTorch" >&2
    exit 2
  }
fi
mkdir -p "$out"
report="$out/report.txt"
: > "$report"
say() { echo "$*" | tee -a "$report"; }

# 0. The engine against that LibTorch. CMake prints which LibTorch it found and its devices.
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  -DDISTILLERY_BUILD_GUI=OFF -DDISTILLERY_BUILD_TESTS=OFF -DDISTILLERY_BUILD_BENCHMARKS=ON > "$out/configure.txt"
grep "LibTorch" "$out/configure.txt" | sed 's/^-- //' | tee -a "$report"
cmake --build "$build" --target distillery-engine bench_kd_throughput -j "$(nproc)"
engine="$build/bin/distillery-engine"
say "$("$engine" --version)"
say "device: $device; $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"

# 1. KD runs in each precision, after a teacher, all in one experiment of one store.
db="$out/gpu-check.distillery"
rm -f "$db" "$db"-wal "$db"-shm
spec="$out/kd.json"
"$python" - "$spec" "$device" "$steps" "$batch" $precisions <<'PY'
import json, sys
path, device, steps, batch, precisions = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
data = {"name": "synthetic", "channels": 3, "height": 32, "width": 32, "num_classes": 100,
        "train_size": batch * steps // 4, "val_size": batch * 2, "test_size": batch * 4, "augment": False}
common = {"data": data, "epochs": 4, "batch_size": batch, "device": device, "seed": 1, "log_every": 10,
          "checkpoint_every": 1, "optim": {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4}}
runs = [dict(common, name="gpu-teacher-resnet32x4", student={"model": "resnet32x4"}, precision=precisions[0])]
for precision in precisions:
    runs.append(dict(common, name="gpu-kd-" + precision, teacher={"run_name": "gpu-teacher-resnet32x4"},
                     student={"model": "resnet8x4"}, method={"name": "kd"}, precision=precision))
json.dump({"name": "gpu-check", "runs": runs}, open(path, "w"), indent=1)
PY
"$engine" run --spec "$spec" --db "$db" --progress none 2> "$out/kd.log" || {
  say "the KD runs failed; the engine's log is $out/kd.log:"
  tail -n 20 "$out/kd.log"
  exit 1
}
query() { "$python" -c 'import sqlite3, sys; [print(*row, sep="\t") for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2], sys.argv[3:])]' "$db" "$@"; }
say ""
say "1. runs of $steps steps, batch $batch (run, status, device, precision, seconds, last train loss, test acc1 %):"
query "SELECT r.name, r.status, r.device, r.precision, printf('%.1f', r.finished_at - r.started_at),
              printf('%.4f', (SELECT value FROM metrics WHERE run_id = r.id AND key = 'train/loss' ORDER BY step DESC LIMIT 1)),
              printf('%.2f', (SELECT value FROM metrics WHERE run_id = r.id AND key = 'test/acc1' ORDER BY step DESC LIMIT 1))
       FROM runs r ORDER BY r.id" | tee -a "$report"
[ "$(query "SELECT count(*) FROM runs WHERE status != 'finished'")" = 0 ] || { say "FAIL: a run did not finish"; exit 1; }

# 2. Kill + resume: the fp32 KD run again, killed (SIGKILL) once its second epoch's checkpoint is
# written, resumed, and compared with the uninterrupted run.
first="$(set -- $precisions; echo "$1")"
queued="$(query "SELECT id FROM runs WHERE name = 'gpu-kd-$first'")"
teacher="$(query "SELECT id FROM runs WHERE name = 'gpu-teacher-resnet32x4'")"
"$python" - "$spec" "$out/kill.json" "$first" "$teacher" <<'PY'
import json, sys
experiment = json.load(open(sys.argv[1]))
run = next(r for r in experiment["runs"] if r["name"] == "gpu-kd-" + sys.argv[3])
run["name"] = "gpu-kd-killed"
run["teacher"] = {"run_id": int(sys.argv[4])}
json.dump(run, open(sys.argv[2], "w"), indent=1)
PY
"$engine" run --spec "$out/kill.json" --db "$db" --progress json > "$out/kill.progress" 2> "$out/kill.log" &
pid=$!
killed=""
while kill -0 "$pid" 2>/dev/null; do
  if [ "$(query "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.name = 'gpu-kd-killed' AND m.key = 'val/acc1'")" -ge 2 ]; then
    sleep 1
    kill -9 "$pid" && killed=yes
    break
  fi
  sleep 0.2
done
wait "$pid" 2>/dev/null || true
[ -n "$killed" ] || { say "FAIL: the run ended before it could be killed; raise STEPS"; exit 1; }
resumed="$(query "SELECT id FROM runs WHERE name = 'gpu-kd-killed'")"
"$engine" resume --db "$db" --run "$resumed" --progress none 2> "$out/resume.log"
say ""
say "2. killed (SIGKILL) after epoch 2 and resumed: status, metric rows, last train loss, test acc1 (uninterrupted run first):"
query "SELECT r.name, r.status, (SELECT count(*) FROM metrics WHERE run_id = r.id),
              printf('%.4f', (SELECT value FROM metrics WHERE run_id = r.id AND key = 'train/loss' ORDER BY step DESC LIMIT 1)),
              printf('%.2f', (SELECT value FROM metrics WHERE run_id = r.id AND key = 'test/acc1' ORDER BY step DESC LIMIT 1))
       FROM runs r WHERE r.id IN (?, ?) ORDER BY r.id" "$queued" "$resumed" | tee -a "$report"
[ "$(query "SELECT status FROM runs WHERE id = ?" "$resumed")" = finished ] || { say "FAIL: the resumed run did not finish"; exit 1; }
[ "$(query "SELECT count(*) FROM metrics WHERE run_id = ?" "$queued")" = "$(query "SELECT count(*) FROM metrics WHERE run_id = ?" "$resumed")" ] ||
  { say "FAIL: the resumed run has a different number of metric rows than the uninterrupted one"; exit 1; }

# 3. Throughput against the same PyTorch loop on the same GPU.
say ""
say "3. throughput (bench_kd_throughput --device $device):"
DISTILLERY_PYTHON="$python" "$build/bin/bench_kd_throughput" --device "$device" --batch "$batch" \
  --precisions "$(echo $precisions | tr ' ' ',')" --warmup 20 --steps "$bench_steps" | tee -a "$report"

# 4. Every method on the device, a few steps in each precision, with the teacher of step 1.
methods="$("$engine" methods | sed -n 's/^\([a-z0-9_]*\)  (needs a teacher).*/\1/p')"
"$python" - "$spec" "$out/methods.json" "$batch" $methods <<'PY'
import json, sys
experiment = json.load(open(sys.argv[1]))
base = next(r for r in experiment["runs"] if r["name"].startswith("gpu-kd-"))
batch, methods = int(sys.argv[3]), sys.argv[4:]
runs = []
for precision in sorted({r["precision"] for r in experiment["runs"]}, key=["fp32", "bf16", "fp16"].index):
    for method in methods:
        run = dict(base, name="gpu-method-%s-%s" % (method, precision), precision=precision, method={"name": method},
                   epochs=1, log_every=2, diagnostics_every=2, checkpoint_every=0)
        run["data"] = dict(base["data"], train_size=batch * 8)
        runs.append(run)
json.dump({"name": "gpu-check-methods", "runs": runs}, open(sys.argv[2], "w"), indent=1)
PY
"$engine" run --spec "$out/methods.json" --db "$db" --progress none 2> "$out/methods.log" || true   # failures: below
say ""
say "4. every method, 8 steps of batch $batch in each precision (run, status, seconds, last train loss, error):"
query "SELECT r.name, r.status, printf('%.1f', coalesce(r.finished_at - r.started_at, 0)),
              printf('%.4f', (SELECT value FROM metrics WHERE run_id = r.id AND key = 'train/loss' ORDER BY step DESC LIMIT 1)),
              substr(r.error, 1, 100)
       FROM runs r WHERE r.name LIKE 'gpu-method-%' ORDER BY r.id" | tee -a "$report"
# A run left queued or running (the engine crashed) has no error text: coalesce, or NULL hides it.
broken="$(query "SELECT count(*) FROM runs WHERE name LIKE 'gpu-method-%' AND status != 'finished'
                 AND coalesce(error, '') NOT LIKE '%became nan%' AND coalesce(error, '') NOT LIKE '%became inf%'")"
[ "$broken" = 0 ] || { say "FAIL: $broken method run(s) failed for another reason than diverging; see $out/methods.log"; exit 1; }

say ""
say "gpu-check: all checks passed; figures in $report"
