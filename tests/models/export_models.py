#!/usr/bin/python3
"""Exports reference models with PyTorch and records PyTorch's outputs.

Every model has random weights from a fixed seed. For each model it writes,
under OUTPUT_DIR/<name>/:
  model.onnx                        exported by torch.onnx (dynamic batch,
                                    and dynamic sequence for encoders)
  test_data_set_<k>/input_<i>.pb    inputs of case k (ONNX TensorProto)
  test_data_set_<k>/output_0.pb     PyTorch's output for case k
Cases cover batch 1 and 8, and sequence lengths 16, 128 and 384 for the
encoders, so one compiled model is checked at several shapes.

Models at an opset past what Debian's torch exports (17) are exported at 17
and brought to their opset by upgrade_opset, the rewrite PyTorch 2's
exporter makes: reduce axes become inputs, Split gets num_outputs.

usage: export_models.py OUTPUT_DIR [--ci | --bench | MODEL ...]
  --ci     the small variants the test suite runs (default)
  --bench  the full-size models the benchmarks use
"""
import math
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn.functional as F
import torchvision
from onnx import helper
from torch import nn

SEED = 0
# The newest opset Debian's torch.onnx (1.13) exports.
TORCH_MAX_OPSET = 17
# Ops whose axes attribute became an input at opset 18 (ReduceSum did at 13).
REDUCE_AXES_INPUT_18 = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSumSquare", "ReduceL1",
                        "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd"}
IMAGE_CASES = [(1,), (8,)]
ENCODER_CASES = [(1, 16), (8, 16), (1, 128), (8, 128), (1, 384), (8, 384)]
# (batch, frames) of the speech models: the step loop at batch 1 and at 3 and
# 8 rows (the recurrent product's row tiles), odd frame counts included.
SPEECH_CASES = [(1, 200), (3, 37), (8, 64), (1, 1)]


class Encoder(nn.Module):
    """A BERT-style encoder in plain torch: embeddings, post-LN layers, GELU via erf."""

    def __init__(self, layers, hidden, heads, ffn, vocab=30522, max_positions=512):
        super().__init__()
        self.heads = heads
        self.token = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_positions, hidden)
        self.embed_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, ffn) for _ in range(layers))

    def forward(self, input_ids, attention_mask):
        seq = input_ids.shape[1]
        positions = torch.arange(seq, device=input_ids.device).unsqueeze(0)
        x = self.embed_norm(self.token(input_ids) + self.position(positions))
        # 0 for tokens to attend to, a large negative number for padding.
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return x


class EncoderLayer(nn.Module):
    def __init__(self, hidden, heads, ffn):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.attn_norm = nn.LayerNorm(hidden, eps=1e-12)
        self.ffn_in = nn.Linear(hidden, ffn)
        self.ffn_out = nn.Linear(ffn, hidden)
        self.ffn_norm = nn.LayerNorm(hidden, eps=1e-12)

    def split_heads(self, x):
        batch, seq, _ = x.shape
        return x.view(batch, seq, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, bias):
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim) + bias
        context = torch.matmul(torch.softmax(scores, dim=-1), v)
        context = context.transpose(1, 2).reshape(x.shape)
        x = self.attn_norm(x + self.attn_out(context))
        h = self.ffn_in(x)
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.ffn_norm(x + self.ffn_out(h))


class UpsampleNet(nn.Module):
    """A small encoder-decoder CNN whose decoder upsamples (nearest, then bilinear).

    Before opset 11 ONNX cannot express PyTorch's bilinear (half-pixel)
    sampling, so the opset-9 variant upsamples with nearest twice.
    """

    def __init__(self, bilinear=True):
        super().__init__()
        self.down = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.up1 = nn.Upsample(scale_factor=2, mode="nearest")
        self.mid = nn.Sequential(nn.Conv2d(32, 16, 3, padding=1), nn.ReLU())
        self.up2 = (nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False) if bilinear
                    else nn.Upsample(scale_factor=2, mode="nearest"))
        self.head = nn.Conv2d(16, 4, 1)

    def forward(self, x):
        return self.head(self.up2(self.mid(self.up1(self.down(x)))))


class Opset18Net(nn.Module):
    """A small CNN over the ops opsets 18-21 changed: GroupNorm, GELU, reflect
    padding, an equal Split, bilinear Resize, ReduceMean and ReduceMax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.norm = nn.GroupNorm(4, 16)
        self.conv2 = nn.Conv2d(8, 8, 3, stride=2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        y = F.gelu(self.norm(self.conv1(x)))
        y = F.pad(y, (1, 2, 1, 0), mode="reflect")
        a, b = torch.split(y, 8, dim=1)
        a = F.interpolate(self.conv2(a), scale_factor=2, mode="bilinear", align_corners=False)
        features = torch.cat([a.mean(dim=(2, 3)), b.amax(dim=(2, 3))], 1)
        return self.fc(features).softmax(-1)


class SpeechNet(nn.Module):
    """A speech-style acoustic model: a strided 1-D convolution front end over
    feature frames, a projection, a 2-layer bidirectional LSTM (or GRU, whose
    PyTorch form is ONNX's linear_before_reset) and a per-frame linear head. Input [batch, frames, features], output [batch, frames / 2, classes]:
    the logits, without the log-softmax a decoder would take, whose near-constant
    log(classes) would hide errors under check_model.py's relative bound."""

    def __init__(self, cell="lstm", features=40, channels=64, hidden=128, layers=2, classes=29,
                 bidirectional=True):
        super().__init__()
        self.conv1 = nn.Conv1d(features, channels, 5, padding=2)
        self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
        self.proj = nn.Linear(channels, hidden)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(hidden, hidden, num_layers=layers, batch_first=True,
                       bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), classes)

    def forward(self, x):
        y = F.relu(self.conv2(F.relu(self.conv1(x.transpose(1, 2)))))
        y, _ = self.rnn(torch.tanh(self.proj(y.transpose(1, 2))))
        return self.head(y)


class GreedyDecoder(nn.Module):
    """A scripted greedy decoder: a GRU-style cell fed back its own argmax token.

    torch.jit.script exports the step loop as an ONNX Loop (torch 1.13
    unrolls 8 steps into each iteration's body), whose carried token is
    data-dependent: the control-flow model of the tests and benchmarks.
    """

    def __init__(self, vocab: int = 1000, hidden: int = 256, steps: int = 64):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.xr, self.xz, self.xn = (nn.Linear(hidden, hidden) for _ in range(3))
        self.hr, self.hz, self.hn = (nn.Linear(hidden, hidden) for _ in range(3))
        self.out = nn.Linear(hidden, vocab)
        self.steps = steps

    def forward(self, h):
        tok = torch.zeros(h.shape[0], dtype=torch.long)
        for _ in range(self.steps):
            e = self.embed(tok)
            r = torch.sigmoid(self.xr(e) + self.hr(h))
            z = torch.sigmoid(self.xz(e) + self.hz(h))
            n = torch.tanh(self.xn(e) + r * self.hn(h))
            h = (1 - z) * n + z * h
            tok = self.out(h).argmax(1)
        return h


class StateInput:
    """A model fed one [batch, width] state (GreedyDecoder)."""

    def __init__(self, width):
        self.width = width


class SequenceInput:
    """A model fed [batch, frames, features] (SpeechNet)."""

    def __init__(self, features):
        self.features = features


def image_model(factory, size=224):
    def build():
        return factory(), (3, size, size)
    return build


def speech_model(**kwargs):
    def build():
        net = SpeechNet(**kwargs)
        return net, SequenceInput(net.conv1.in_channels)
    return build


def decoder_model(**kwargs):
    def build():
        net = GreedyDecoder(**kwargs)
        return torch.jit.script(net), StateInput(net.hr.in_features)
    return build


def encoder_model(layers, hidden, heads, ffn):
    def build():
        return Encoder(layers, hidden, heads, ffn), None
    return build


# name: (builder, opset, keep BatchNormalization unfolded, external data)
MODELS = {
    "resnet18_op13": (image_model(lambda: torchvision.models.resnet18(weights=None)), 13, False, False),
    "resnet18_op9_bn": (image_model(lambda: torchvision.models.resnet18(weights=None)), 9, True, False),
    "resnet18_external": (image_model(lambda: torchvision.models.resnet18(weights=None)), 13, False, True),
    "mobilenet_v2_op13": (image_model(lambda: torchvision.models.mobilenet_v2(weights=None)), 13, False, False),
    "mobilenet_v2_op11_bn": (image_model(lambda: torchvision.models.mobilenet_v2(weights=None)), 11, True, False),
    "upsample_op9": (image_model(lambda: UpsampleNet(bilinear=False), 64), 9, True, False),
    "upsample_op11": (image_model(UpsampleNet, 64), 11, True, False),
    "upsample_op13": (image_model(UpsampleNet, 64), 13, False, False),
    "encoder_tiny_op11": (encoder_model(2, 256, 4, 1024), 11, False, False),
    "encoder_tiny_op13": (encoder_model(2, 256, 4, 1024), 13, False, False),
    "encoder_tiny_op17": (encoder_model(2, 256, 4, 1024), 17, False, False),
    "resnet50_op13": (image_model(lambda: torchvision.models.resnet50(weights=None)), 13, False, False),
    "resnet50_op17": (image_model(lambda: torchvision.models.resnet50(weights=None)), 17, False, False),
    "mobilenet_v2_op17": (image_model(lambda: torchvision.models.mobilenet_v2(weights=None)), 17, False, False),
    "resnet18_op17": (image_model(lambda: torchvision.models.resnet18(weights=None)), 17, False, False),
    "encoder_base_op13": (encoder_model(12, 768, 12, 3072), 13, False, False),
    "encoder_base_op17": (encoder_model(12, 768, 12, 3072), 17, False, False),
    "opset18_net_op18": (image_model(Opset18Net, 32), 18, False, False),
    "opset18_net_op21": (image_model(Opset18Net, 32), 21, False, False),
    "speech_lstm_op13": (speech_model(cell="lstm"), 13, False, False),
    "speech_gru_op14": (speech_model(cell="gru"), 14, False, False),
    "greedy_decoder_op13": (decoder_model(vocab=100, hidden=64, steps=24), 13, False, False),
    # The benchmark's: one LSTM layer of 256 units over 100 frames, as a
    # streaming keyword spotter or acoustic model runs it.
    "greedy_decoder_bench_op13": (decoder_model(), 13, False, False),
    "speech_lstm_bench_op13": (speech_model(cell="lstm", channels=128, hidden=256, layers=1,
                                            bidirectional=False), 13, False, False),
}
CI_MODELS = [
    "resnet18_op13", "resnet18_op9_bn", "resnet18_external", "mobilenet_v2_op13",
    "mobilenet_v2_op11_bn", "upsample_op9", "upsample_op11", "upsample_op13",
    "encoder_tiny_op11", "encoder_tiny_op13", "encoder_tiny_op17", "resnet50_op13",
    "opset18_net_op18", "opset18_net_op21", "speech_lstm_op13", "speech_gru_op14",
    "greedy_decoder_op13",
]
BENCH_MODELS = [
    "resnet50_op13", "resnet50_op17", "resnet18_op17", "mobilenet_v2_op17",
    "encoder_base_op13", "encoder_base_op17", "speech_lstm_bench_op13", "greedy_decoder_bench_op13",
]


def save_tensor(array, name, path):
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(array, name).SerializeToString())


def randomize_batchnorm(model, generator):
    """Gives BatchNorm layers non-trivial running statistics, so folding them is tested."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)


def image_cases(image_shape, generator):
    for (batch,) in IMAGE_CASES:
        yield [("input", torch.rand(batch, *image_shape, generator=generator))]


def encoder_cases(generator):
    for batch, seq in ENCODER_CASES:
        ids = torch.randint(0, 30522, (batch, seq), generator=generator)
        mask = torch.ones(batch, seq, dtype=torch.int64)
        for b in range(batch):
            mask[b, seq - (b * seq) // (2 * batch):] = 0  # some rows end in padding
        yield [("input_ids", ids), ("attention_mask", mask)]


def state_cases(width, generator):
    for (batch,) in IMAGE_CASES:
        yield [("input", torch.randn(batch, width, generator=generator))]


def speech_cases(features, generator):
    for batch, frames in SPEECH_CASES:
        yield [("input", torch.randn(batch, frames, features, generator=generator))]


def upgrade_opset(path, opset):
    """Rewrites a model torch exported at TORCH_MAX_OPSET for a later opset.
    Only two changes between 17 and 21 are not covered by defaults that keep
    the old meaning: reduce axes as an input (18) and Split's num_outputs (18,
    which wants it or the split input)."""
    proto = onnx.load(path)
    graph = proto.graph
    for i, node in enumerate(graph.node):
        if node.op_type in REDUCE_AXES_INPUT_18:
            axes = [a for a in node.attribute if a.name == "axes"]
            if axes:
                name = f"{node.name or node.op_type}_{i}_axes"
                graph.initializer.append(onnx.numpy_helper.from_array(
                    np.array(axes[0].ints, dtype=np.int64), name))
                node.input.append(name)
                node.attribute.remove(axes[0])
        elif node.op_type == "Split" and len(node.input) < 2:
            node.attribute.append(helper.make_attribute("num_outputs", len(node.output)))
    for entry in proto.opset_import:
        if entry.domain in ("", "ai.onnx"):
            entry.version = opset
    onnx.save(proto, path)


def export(name, out_dir):
    builder, opset, keep_bn, external = MODELS[name]
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED + 1)
    model, image_shape = builder()
    with torch.no_grad():
        randomize_batchnorm(model, generator)
    model.eval()
    if isinstance(image_shape, SequenceInput):
        cases = list(speech_cases(image_shape.features, generator))
    elif isinstance(image_shape, StateInput):
        cases = list(state_cases(image_shape.width, generator))
    elif image_shape:
        cases = list(image_cases(image_shape, generator))
    else:
        cases = list(encoder_cases(generator))
    names = [n for n, _ in cases[0]]
    if isinstance(image_shape, SequenceInput):
        dynamic = {"input": {0: "batch", 1: "frames"}, "output": {0: "batch", 1: "steps"}}
    elif image_shape:  # images and states
        dynamic = {"input": {0: "batch"}, "output": {0: "batch"}}
    else:
        dynamic = {n: {0: "batch", 1: "sequence"} for n in names}
        dynamic["output"] = {0: "batch", 1: "sequence"}
    model_dir = os.path.join(out_dir, name)
    os.makedirs(model_dir, exist_ok=True)
    path = os.path.join(model_dir, "model.onnx")
    torch.onnx.export(
        model, tuple(t for _, t in cases[0]), path, input_names=names, output_names=["output"],
        dynamic_axes=dynamic, opset_version=min(opset, TORCH_MAX_OPSET),
        training=torch.onnx.TrainingMode.PRESERVE if keep_bn else torch.onnx.TrainingMode.EVAL,
        do_constant_folding=not keep_bn,
    )
    if opset > TORCH_MAX_OPSET:
        upgrade_opset(path, opset)
    if external:
        proto = onnx.load(path)
        onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="weights.bin", size_threshold=1024)
    for k, case in enumerate(cases):
        data_dir = os.path.join(model_dir, f"test_data_set_{k}")
        os.makedirs(data_dir, exist_ok=True)
        with torch.no_grad():
            reference = model(*(t for _, t in case)).numpy()
        for i, (input_name, tensor) in enumerate(case):
            save_tensor(tensor.numpy(), input_name, os.path.join(data_dir, f"input_{i}.pb"))
        save_tensor(reference, "output", os.path.join(data_dir, "output_0.pb"))
    print(f"exported {name} (opset {opset}, {len(cases)} cases)")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    args = sys.argv[2:] or ["--ci"]
    names = CI_MODELS if args == ["--ci"] else BENCH_MODELS if args == ["--bench"] else args
    for name in names:
        if name not in MODELS:
            print(f"unknown model {name}; known: {', '.join(sorted(MODELS))}", file=sys.stderr)
            return 2
        export(name, sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
