#!/usr/bin/env bash
# Builds the libFuzzer targets (clang++, ASan + UBSan) into ${DISTILLERY_BUILD_DIR:-build}/fuzz and
# runs each for SECONDS (default 15) over a temporary copy of its corpus in tests/fuzz/corpus/, so the
# repository does not grow. Exits non-zero when any target crashes (its input is kept in
# <build>/fuzz/crashes/), 77 when clang or libFuzzer's runtime is missing (CTest: skipped).
#   tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]     TARGET: spec idx cifar checkpoint torch_save
# CI runs with a fixed libFuzzer seed (DISTILLERY_FUZZ_SEED, default 1), so a red run is reproducible.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-15}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec idx cifar checkpoint torch_save)
build="${DISTILLERY_BUILD_DIR:-$root/build}/fuzz"

if ! command -v clang++ >/dev/null 2>&1 ||
   [ ! -f "$(clang++ -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$(uname -m).a" ]; then
  echo "run-fuzz: clang++ with libFuzzer is missing; packaging/install-deps.sh installs clang and libclang-rt-14-dev"
  exit 77
fi

# The same ccache settings as packaging/build.sh: CI keeps the cache, so an unchanged source is not
# compiled again.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
  export CCACHE_BASEDIR="$root"
  export CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
started=$(date +%s)
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")
echo "run-fuzz: built in $(( $(date +%s) - started )) s"

work="$(mktemp -d "${TMPDIR:-/tmp}/distillery-fuzz-run-XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$build/crashes"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=()
for target in "${targets[@]}"; do
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  cp "$here/corpus/$target"/* "$corpus"/ 2>/dev/null || true
  if [ "$target" = checkpoint ]; then   # a seed in the loader's current format
    DISTILLERY_FUZZ_WRITE_SEED="$corpus/fresh.ckpt" "$build/fuzz_checkpoint" >/dev/null 2>&1 || true
    rm -f "$corpus/fresh.ckpt.prev"
  fi
  # -malloc_limit_mb: a reader allocating far more than any valid small input needs is a finding too.
  # -max_len: room for two CIFAR records, for specs of many runs and for the whole checkpoint seed.
  maxLen=8192
  [ "$target" = checkpoint ] && maxLen=65536
  log="$work/$target.log"
  suppressions=()
  [ "$target" = checkpoint ] || [ "$target" = torch_save ] &&
    suppressions=(env "LSAN_OPTIONS=suppressions=$here/lsan-libtorch.supp")
  if "${suppressions[@]}" "$build/fuzz_$target" "$corpus" -max_total_time="$seconds" -seed="${DISTILLERY_FUZZ_SEED:-1}" -timeout=10 -rss_limit_mb=2048 \
       -malloc_limit_mb=1024 -max_len="$maxLen" -print_final_stats=1 -artifact_prefix="$build/crashes/$target-" \
       >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "run-fuzz: $target: $runs executions, $speed exec/s, no crash"
  else
    echo "run-fuzz: $target CRASHED; its input is in $build/crashes/ (reproduce: $build/fuzz_$target FILE)"
    tail -n 60 "$log"
    failed+=("$target")
  fi
done
echo "run-fuzz: done in $(( $(date +%s) - started )) s"
[ ${#failed[@]} -eq 0 ] || { echo "run-fuzz: crashes in: ${failed[*]}"; exit 1; }
