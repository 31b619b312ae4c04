#!/usr/bin/env bash
# Builds inferd and runs the test suite (unit, integration, conformance, whole
# models, deployment) with ctest.
#
# usage: scripts/test.sh [--sanitize | --containers | --soak]
#   (none)        the suite, without the container tests (they build images:
#                 several minutes) and the endurance tests (label soak)
#   --sanitize    the suite and the short endurance tests in build-asan with
#                 AddressSanitizer + UndefinedBehaviorSanitizer
#   --containers  only the container tests (the image, Compose), in build
#   --soak        only the short endurance tests (soak.short, soak.overload),
#                 in build; scripts/soak.sh runs the long ones
# .ci/run runs all four.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERD_WERROR=ON)
ctest_flags=(-LE "container|soak")
case "${1:-}" in
  --sanitize)
    build_dir=build-asan
    cmake_flags+=(-DINFERD_SANITIZE=ON)
    ctest_flags=(-LE container) ;;
  --containers) ctest_flags=(-L container) ;;
  --soak) ctest_flags=(-L soak) ;;
  "") ;;
  *) echo "usage: $0 [--sanitize | --containers | --soak]" >&2; exit 2 ;;
esac

jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_flags[@]}"
cmake --build "$build_dir" -j"$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "${ctest_flags[@]}"
