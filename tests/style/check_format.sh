#!/usr/bin/env bash
# Fails when a tracked C source or header differs from what clang-format makes
# of it under the project's .clang-format, so style drift shows in CI rather
# than in the next unrelated diff. Generated protobuf code is not ours to
# format. Outside a git checkout (a source tarball) there is no file list:
# the test says so and is skipped (ctest's SKIP_RETURN_CODE 77).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not a git checkout: nothing to list, skipped"
  exit 77
fi
mapfile -t files < <(git ls-files -- '*.c' '*.h' ':!:api/google/**' ':!:*.pb-c.*')
echo "checking ${#files[@]} files with $(clang-format --version)"
clang-format --dry-run --Werror "${files[@]}"
