#!/usr/bin/python3
"""Runs `inferd run` on an exported model and compares with PyTorch's output.

Passes when every element satisfies |inferd - torch| <= RTOL * max|torch|,
the relative bound the whole-model requirement states (1e-4).

usage: check_model.py INFERD MODEL_DIR
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper

RTOL = 1e-4


def load(path):
    tensor = onnx.TensorProto()
    with open(path, "rb") as f:
        tensor.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(tensor)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    inferd, model_dir = sys.argv[1], sys.argv[2]
    data_dir = os.path.join(model_dir, "test_data_set_0")
    with tempfile.TemporaryDirectory() as out_dir:
        subprocess.run(
            [inferd, "run", "--model", os.path.join(model_dir, "model.onnx"),
             "--input-dir", data_dir, "--output-dir", out_dir],
            check=True,
        )
        got = load(os.path.join(out_dir, "output_0.pb"))
    want = load(os.path.join(data_dir, "output_0.pb"))
    if got.shape != want.shape:
        print(f"shape {got.shape}, expected {want.shape}")
        return 1
    scale = float(np.max(np.abs(want)))
    rel = float(np.max(np.abs(got - want))) / scale
    print(f"{os.path.basename(model_dir)}: max relative error {rel:.3e} (bound {RTOL:g})")
    return 0 if rel <= RTOL else 1


if __name__ == "__main__":
    sys.exit(main())
