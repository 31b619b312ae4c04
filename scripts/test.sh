#!/usr/bin/env bash
# Builds inferd and runs the test suite (unit, conformance, whole models) with ctest.
#
# usage: scripts/test.sh [--sanitize]
#   --sanitize   build in build-asan with AddressSanitizer + UndefinedBehaviorSanitizer
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERD_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_flags+=(-DINFERD_SANITIZE=ON)
fi

jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_flags[@]}"
cmake --build "$build_dir" -j"$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs"
