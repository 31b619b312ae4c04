#!/usr/bin/env bash
# Builds inferd and runs the test suite (unit, integration, conformance, whole
# models, deployment) with ctest.
#
# usage: scripts/test.sh [--sanitize | --containers]
#   (none)        the suite, without the container tests (they build images:
#                 several minutes; .ci/run runs them with --containers)
#   --sanitize    the same in build-asan with AddressSanitizer + UndefinedBehaviorSanitizer
#   --containers  only the container tests (the image, Compose), in build
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERD_WERROR=ON)
ctest_flags=(-LE container)
case "${1:-}" in
  --sanitize)
    build_dir=build-asan
    cmake_flags+=(-DINFERD_SANITIZE=ON) ;;
  --containers) ctest_flags=(-L container) ;;
  "") ;;
  *) echo "usage: $0 [--sanitize | --containers]" >&2; exit 2 ;;
esac

jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_flags[@]}"
cmake --build "$build_dir" -j"$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "${ctest_flags[@]}"
