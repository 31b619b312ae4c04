#!/usr/bin/env bash
# The long runs of tests/soak against a release build (build/): the soak
# (a million requests mixed across the example models, HTTP and gRPC,
# several sizes and every kind of bad request; RSS growth from the 10 %
# mark under 2 %, the server's counters equal to the client's) and the
# overload (ten times the sustainable rate against a queue cap; every
# refusal within 1 ms of server time). docs/soak.md has the last figures.
#
# usage: scripts/soak.sh [--requests N] [--overload-seconds S] [--no-build] [--report-dir DIR]
#   --requests N          soak requests (default 1000000)
#   --overload-seconds S  length of each overload run, HTTP then gRPC (default 60)
#   --no-build            use the inferd already built in build/
#   --report-dir DIR      write soak.json and overload.json there (default build/soak)
#
# Run it on a quiet machine: the overload's bounds are about time.
set -euo pipefail
cd "$(dirname "$0")/.."

requests=1000000
overload_seconds=60
build=1
report_dir=build/soak
while [ $# -gt 0 ]; do
  case "$1" in
    --requests) requests="$2"; shift 2 ;;
    --overload-seconds) overload_seconds="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --report-dir) report_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

if [ "$build" = 1 ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFERD_WERROR=ON
  cmake --build build -j"$(nproc)" --target inferd
fi
if [ ! -d build/example-models ]; then
  /usr/bin/python3 scripts/make_example_models.py build/example-models
fi
mkdir -p "$report_dir"
export INFERD_BINARY="$PWD/build/inferd"
export INFERD_EXAMPLE_REPOSITORY="$PWD/build/example-models"
export INFERD_PROTO_DIR="$PWD/api"
grep -m1 "model name" /proc/cpuinfo || true
echo "cores: $(nproc)"
status=0
/usr/bin/python3 tests/soak/soak.py --requests "$requests" --report "$report_dir/soak.json" || status=1
/usr/bin/python3 tests/soak/overload.py --seconds "$overload_seconds" \
  --report "$report_dir/overload.json" || status=1
exit $status
