#!/usr/bin/python3
"""Exports reference models with PyTorch and records PyTorch's outputs.

For each model it writes, under OUTPUT_DIR/<name>/:
  model.onnx                    exported with torch.onnx (random weights, fixed seed)
  test_data_set_0/input_0.pb    a random input (fixed seed), ONNX TensorProto
  test_data_set_0/output_0.pb   PyTorch's output for that input

usage: export_models.py OUTPUT_DIR [MODEL ...]    (default: every model)
"""
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torchvision

SEED = 0


def resnet18():
    return torchvision.models.resnet18(weights=None), (1, 3, 224, 224)


MODELS = {
    "resnet18": resnet18,
}


def save_tensor(array, name, path):
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(array, name).SerializeToString())


def export(name, out_dir):
    torch.manual_seed(SEED)
    model, input_shape = MODELS[name]()
    model.eval()
    example = torch.rand(*input_shape, generator=torch.Generator().manual_seed(SEED + 1))
    model_dir = os.path.join(out_dir, name)
    data_dir = os.path.join(model_dir, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    torch.onnx.export(
        model,
        example,
        os.path.join(model_dir, "model.onnx"),
        input_names=["input"],
        output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        opset_version=13,
    )
    with torch.no_grad():
        reference = model(example).numpy()
    save_tensor(example.numpy(), "input", os.path.join(data_dir, "input_0.pb"))
    save_tensor(reference, "output", os.path.join(data_dir, "output_0.pb"))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    names = sys.argv[2:] or sorted(MODELS)
    for name in names:
        if name not in MODELS:
            print(f"unknown model {name}; known: {', '.join(sorted(MODELS))}", file=sys.stderr)
            return 2
        export(name, sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
