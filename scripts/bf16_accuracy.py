#!/usr/bin/python3
"""The accuracy cost of inferd's bf16 precision mode, fp32 vs bf16 (both inferd).

usage: bf16_accuracy.py [--inferd build/inferd] [--models DIR] [--images 1000]
                        [--sequences 32] [--threads 2]

ResNet-50 (DIR/resnet50_op17, export_models.py --bench): --images random
N(0, 1) images of 3x224x224 in batches of BATCH, run by `inferd run` in
fp32 and in bf16; reports the top-1 agreement and the largest relative
error max|bf16 - fp32| / max|fp32| over a batch. BERT-base (DIR/
encoder_base_op17): --sequences random token sequences of 128 (batch 1,
full attention mask); reports the relative error per sequence (largest and
median) on the encoder's last hidden states. The figures in
docs/performance.md come from this script with its defaults.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnx.numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH = 50            # images per data set
MAX_INPUT_DIRS = 64   # inferd run's limit on --input-dir flags per call
SEQUENCE = 128
VOCAB = 30522


def save(array, name, path):
    with open(path, "wb") as f:
        f.write(onnx.numpy_helper.from_array(array, name).SerializeToString())


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return onnx.numpy_helper.to_array(t)


def run_both(inferd, model, sets, out, threads):
    """Outputs of every set in fp32 and bf16: {precision: [array per set]}."""
    results = {}
    for precision in ("fp32", "bf16"):
        d = os.path.join(out, precision)
        os.makedirs(d)
        for start in range(0, len(sets), MAX_INPUT_DIRS):
            chunk = sets[start:start + MAX_INPUT_DIRS]
            cmd = [inferd, "run", "--model", model, "--threads", str(threads), "--precision", precision,
                   "--output-dir", d]
            for s in chunk:
                cmd += ["--input-dir", s]
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0 or "AVX512_BF16" in p.stderr:
                sys.exit(f"{' '.join(cmd[:8])}...: {p.stderr.strip()}")
        results[precision] = [load(os.path.join(d, os.path.basename(s), "output_0.pb")) for s in sets]
    return results


def resnet(args, tmp):
    rng = np.random.default_rng(1)
    sets = []
    for k in range((args.images + BATCH - 1) // BATCH):
        n = min(BATCH, args.images - k * BATCH)
        d = os.path.join(tmp, f"img_{k:03d}")
        os.makedirs(d)
        save(rng.standard_normal((n, 3, 224, 224), dtype=np.float32), "input", os.path.join(d, "input_0.pb"))
        sets.append(d)
    r = run_both(args.inferd, os.path.join(args.models, "resnet50_op17", "model.onnx"), sets,
                 os.path.join(tmp, "resnet_out"), args.threads)
    ref, got = np.concatenate(r["fp32"]), np.concatenate(r["bf16"])
    agree = np.mean(ref.argmax(1) == got.argmax(1))
    rel = max(np.abs(b - a).max() / np.abs(a).max() for a, b in zip(r["fp32"], r["bf16"]))
    print(f"ResNet-50: {len(ref)} random images, top-1 agreement {agree * 100:.1f}% "
          f"({int(np.sum(ref.argmax(1) != got.argmax(1)))} differ), largest relative error {rel:.2e}")


def bert(args, tmp):
    rng = np.random.default_rng(2)
    sets = []
    for k in range(args.sequences):
        d = os.path.join(tmp, f"seq_{k:03d}")
        os.makedirs(d)
        save(rng.integers(0, VOCAB, (1, SEQUENCE), dtype=np.int64), "input_ids", os.path.join(d, "input_0.pb"))
        save(np.ones((1, SEQUENCE), dtype=np.int64), "attention_mask", os.path.join(d, "input_1.pb"))
        sets.append(d)
    r = run_both(args.inferd, os.path.join(args.models, "encoder_base_op17", "model.onnx"), sets,
                 os.path.join(tmp, "bert_out"), args.threads)
    rels = [np.abs(b.astype(np.float64) - a).max() / np.abs(a).max() for a, b in zip(r["fp32"], r["bf16"])]
    print(f"BERT-base: {len(rels)} random sequences of {SEQUENCE}, relative error "
          f"max|bf16 - fp32| / max|fp32|: largest {max(rels):.2e}, median {np.median(rels):.2e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inferd", default=os.path.join(ROOT, "build", "inferd"))
    ap.add_argument("--models", default=os.path.join(ROOT, "build", "bench-models"))
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--sequences", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", choices=["resnet", "bert"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only != "bert":
            resnet(args, tmp)
        if args.only != "resnet":
            bert(args, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
