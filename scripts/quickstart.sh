#!/usr/bin/env bash
# For a newcomer on a fresh Debian 12 machine: installs the dependencies,
# builds inferd, exports an example model with PyTorch and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
/usr/bin/python3 tests/models/export_models.py build/exported-models resnet18
./build/inferd run --model build/exported-models/resnet18/model.onnx \
  --input-dir build/exported-models/resnet18/test_data_set_0 --output-dir build
./build/inferd bench --model build/exported-models/resnet18/model.onnx --batch 1 --iterations 10
