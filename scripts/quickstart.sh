#!/usr/bin/env bash
# For a newcomer on a fresh Debian 12 machine: installs the dependencies,
# builds inferd, writes the example model repository and serves it on
# http://localhost:8000 (KServe v2 REST) with metrics on :8002.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
/usr/bin/python3 scripts/make_example_models.py build/example-models
exec ./build/inferd serve --model-repository build/example-models
