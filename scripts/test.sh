#!/usr/bin/env bash
# Builds inferd and runs the test suite (unit, integration, conformance, whole
# models, deployment) with ctest.
#
# usage: scripts/test.sh [--sanitize]
#   --sanitize   build in build-asan with AddressSanitizer + UndefinedBehaviorSanitizer;
#                the container tests are left out (the image builds its own binary)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERD_WERROR=ON)
ctest_flags=()
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-asan
  cmake_flags+=(-DINFERD_SANITIZE=ON)
  ctest_flags+=(-LE container)
fi

jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_flags[@]}"
cmake --build "$build_dir" -j"$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "${ctest_flags[@]}"
