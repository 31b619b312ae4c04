#!/usr/bin/python3
"""Runs `inferd run` on an exported model and compares with PyTorch's outputs.

All test_data_set_<k> folders go through ONE inferd process, so one compiled
model serves every shape (re-planned per shape, never reloaded). Each output
passes when max|inferd - torch| <= RTOL * max|torch| (the 1e-4 relative
bound of the whole-model requirement).

With --threads N, inferd runs with N kernel threads; a batch its plan
computes row by row then runs as one sub-batch per thread, so the batch-8
data sets check that split against PyTorch too.

The check also fails when inferd warns that a layer ran on reference code
(an unoptimised library loop: right answers, but up to hundreds of times
slower), so no model test passes on a path no one would deploy.

usage: check_model.py INFERD MODEL_DIR [--threads N]
"""
import glob
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
    if len(sys.argv) not in (3, 5) or (len(sys.argv) == 5 and sys.argv[3] != "--threads"):
        print(__doc__, file=sys.stderr)
        return 2
    inferd, model_dir = sys.argv[1], sys.argv[2]
    threads = sys.argv[4] if len(sys.argv) == 5 else "1"
    name = os.path.basename(os.path.normpath(model_dir))
    sets = sorted(glob.glob(os.path.join(model_dir, "test_data_set_*")))
    if not sets:
        print(f"{name}: no test_data_set_* folders")
        return 1
    worst = 0.0
    with tempfile.TemporaryDirectory() as out_dir:
        command = [inferd, "run", "--model", os.path.join(model_dir, "model.onnx"), "--output-dir", out_dir,
                   "--threads", threads]
        for data_dir in sets:
            command += ["--input-dir", data_dir]
        run = subprocess.run(command, stderr=subprocess.PIPE, text=True)
        sys.stderr.write(run.stderr)
        if run.returncode != 0:
            print(f"{name}: inferd run exited {run.returncode}")
            return 1
        slow = [line for line in run.stderr.splitlines() if "runs on reference code" in line]
        if slow:
            print(f"{name}: {len(slow)} layer(s) ran on reference code")
            return 1
        for data_dir in sets:
            case = os.path.basename(data_dir)
            got_dir = os.path.join(out_dir, case) if len(sets) > 1 else out_dir
            got = load(os.path.join(got_dir, "output_0.pb"))
            want = load(os.path.join(data_dir, "output_0.pb"))
            shapes = [load(p).shape for p in sorted(glob.glob(os.path.join(data_dir, "input_*.pb")))]
            if got.shape != want.shape:
                print(f"{name} {case}: shape {got.shape}, expected {want.shape}")
                return 1
            rel = float(np.max(np.abs(got.astype(np.float64) - want))) / float(np.max(np.abs(want)))
            worst = max(worst, rel)
            print(f"{name} {case} inputs {shapes}: max relative error {rel:.3e}")
    print(f"{name}: worst max relative error {worst:.3e} (bound {RTOL:g})")
    return 0 if worst <= RTOL else 1


if __name__ == "__main__":
    sys.exit(main())
