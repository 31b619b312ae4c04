#!/usr/bin/python3
"""Writes the example model repository that `inferd serve` serves out of the box.

  OUTPUT_DIR/mlp/config.json, OUTPUT_DIR/mlp/1/model.onnx
      a small MLP classifier: input "input" [batch, 16] FP32 -> "probabilities" [batch, 4]
  OUTPUT_DIR/cnn/config.json, OUTPUT_DIR/cnn/1/model.onnx
      a small CNN: input "image" [batch, 1, 28, 28] FP32 -> "logits" [batch, 10]

Weights are random with a fixed seed (PyTorch, python3-torch).

usage: make_example_models.py OUTPUT_DIR
"""
import json
import os
import sys

import torch
from torch import nn

SEED = 0


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))

    def forward(self, x):
        return torch.softmax(self.layers(x), dim=-1)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


EXAMPLES = {
    "mlp": (Mlp, (16,), "input", "probabilities",
            {"max_batch_size": 32,
             "dynamic_batching": {"preferred_batch_size": [8, 16, 32], "max_queue_delay_microseconds": 500},
             "instance_group": [{"count": 2, "threads": 1}]}),
    "cnn": (Cnn, (1, 28, 28), "image", "logits",
            {"max_batch_size": 16,
             "dynamic_batching": {"max_queue_delay_microseconds": 1000},
             "instance_group": [{"count": 1, "threads": 1}],
             "model_warmup": [{"batch_size": 1, "iterations": 1}]}),
}


def write(name, out_dir):
    factory, shape, input_name, output_name, config = EXAMPLES[name]
    torch.manual_seed(SEED)
    model = factory().eval()
    version_dir = os.path.join(out_dir, name, "1")
    os.makedirs(version_dir, exist_ok=True)
    torch.onnx.export(model, torch.rand(1, *shape), os.path.join(version_dir, "model.onnx"),
                      input_names=[input_name], output_names=[output_name],
                      dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}}, opset_version=13)
    with open(os.path.join(out_dir, name, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    for name in EXAMPLES:
        write(name, sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
