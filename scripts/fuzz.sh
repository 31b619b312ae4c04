#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz in build-fuzz (clang, ASan,
# UBSan) and runs each for a while, one after another. Fails if any finds a
# crash, a sanitizer report, a leak, a hang (an input over --timeout-secs)
# or an out-of-memory (RSS over 2 GiB, one allocation over 512 MiB); each
# finding is kept as a reproducer file. docs/fuzzing.md has the details.
#
# usage: scripts/fuzz.sh [--seconds N] [--timeout-secs T] [--no-build] [TARGET...]
#   --seconds N        fuzz each target for N seconds (default 30)
#   --timeout-secs T   an input that runs longer is a hang (default 10)
#   --no-build         use the fuzzers already built in build-fuzz
#   TARGET             http, rest_infer, grpc, model, model_run, config, tensor_file,
#                      image_decoder, om_header, tfserving, mindspore, tfserving_grpc, shm
#                      (default: all)
#
# Per target, under build-fuzz/fuzz/TARGET/: corpus/ (what the fuzzer has
# learnt, kept between runs; the committed seeds and reproducers are read
# too), artifacts/ (reproducers of findings: crash-*, leak-*, timeout-*,
# oom-*), log.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=30
timeout_secs=10
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --timeout-secs) timeout_secs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all_targets=()
for src in tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  name=${name#fuzz_}
  [ "$name" = util ] || all_targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
for t in "${targets[@]}"; do
  if [ ! -f "tests/fuzz/fuzz_$t.c" ]; then
    echo "fuzz.sh: no harness tests/fuzz/fuzz_$t.c (targets: ${all_targets[*]})" >&2
    exit 2
  fi
done

build_dir=build-fuzz
if [ "$build" = 1 ]; then
  cc=$(command -v clang-14 || command -v clang || true)
  if [ -z "$cc" ]; then
    echo "fuzz.sh: clang is not installed (scripts/install-deps.sh installs it)" >&2
    exit 2
  fi
  # clang++ alongside: server/grpc_abseil.cc is C++, and libFuzzer's flags are clang's.
  CC="$cc" CXX="${cc/clang/clang++}" cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERD_FUZZ=ON \
    -DINFERD_WERROR=ON > /dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
fi

# Kernels on one thread: the harnesses run one input at a time, and CI machines are small.
export OMP_NUM_THREADS=1
# Stop at the first report, with a stack for UBSan too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for t in "${targets[@]}"; do
  out="$build_dir/fuzz/$t"
  mkdir -p "$out/corpus" "$out/artifacts" "$out/tmp"
  echo "== fuzz_$t: ${seconds} s"
  status=0
  before=$(ls "$out/artifacts" | wc -l)
  # The harnesses' scratch folders go under tmp/, cleared for each run.
  rm -rf "${out:?}/tmp/"*
  TMPDIR="$PWD/$out/tmp" "$build_dir/tests/fuzz/fuzz_$t" \
    -max_total_time="$seconds" -timeout="$timeout_secs" -rss_limit_mb=2048 \
    -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
    "$out/corpus" "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t" > "$out/log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  found=$(($(ls "$out/artifacts" | wc -l) - before))
  summary+=("fuzz_$t: ${runs:-?} executions in ${seconds} s, exit $status, $found new reproducer(s)")
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz_$t FAILED (exit $status); the report:" >&2
    grep -E -A30 "==ERROR|runtime error|harness check failed|ALARM|out-of-memory|malloc\(" \
      "$out/log" | head -60 >&2 || tail -40 "$out/log" >&2
    echo "reproducer(s), newest first:" >&2
    ls -1t "$out/artifacts" | head -n "$((found > 0 ? found : 1))" | sed "s|^|  $out/artifacts/|" >&2
  fi
done

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]} (replay one with build-fuzz/tests/fuzz/fuzz_TARGET FILE)" >&2
  exit 1
fi
