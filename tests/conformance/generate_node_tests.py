#!/usr/bin/python3
"""Generates the ONNX backend node tests (model.onnx + test_data_set_*/*.pb).

Debian's python3-onnx 1.12 predates NumPy 1.24, which removed the aliases
np.float, np.int, np.bool and np.object; its generator still uses them, so
they are restored here before the generator is imported.

onnx 1.12's four bfloat16 CastLike cases declare their `like` input as
[3,4] while their test data holds a [1] tensor (later onnx declares the
data's shape). `like` only carries a dtype, so the generator declares the
shape the data has, after checking that the contradiction is exactly that
one: a different one fails the generation instead of being rewritten.

It then checks that REQUIRED_OPS (tests/conformance/required_ops.txt) names
every op of the default domain that onnx 1.12 defines, so that the list
stays the whole domain as onnx grows.

usage: generate_node_tests.py OUTPUT_DIR REQUIRED_OPS
"""
import sys
import warnings

import numpy as np

for alias, target in (("float", float), ("int", int), ("bool", bool), ("object", object)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        present = hasattr(np, alias)
    if not present:
        setattr(np, alias, target)

import os  # noqa: E402

import onnx  # noqa: E402
from onnx.backend.test import cmd_tools  # noqa: E402  (needs the aliases above)

# Tests whose model declares input `like` as DECLARED_LIKE while the data is [1].
LIKE_SHAPE_FIXES = (
    "test_castlike_BFLOAT16_to_FLOAT",
    "test_castlike_BFLOAT16_to_FLOAT_expanded",
    "test_castlike_FLOAT_to_BFLOAT16",
    "test_castlike_FLOAT_to_BFLOAT16_expanded",
)
DECLARED_LIKE = [3, 4]


def missing_required(path):
    """Default-domain ops onnx defines that the file at path does not name."""
    import onnx.defs

    with open(path) as f:
        named = {w for line in f if not line.startswith("#") for w in line.split()}
    defined = {s.name for s in onnx.defs.get_all_schemas_with_history() if s.domain == ""}
    return sorted(defined - named)


def fix_like_shape(test_dir):
    """Declares input `like` of test_dir's model with its test data's shape.

    Returns an error message, or None once the model is rewritten."""
    path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(path)
    names = [i.name for i in model.graph.input]
    if "like" not in names:
        return f"{test_dir}: no input 'like'"
    index = names.index("like")
    like = model.graph.input[index]
    declared = [d.dim_value for d in like.type.tensor_type.shape.dim]
    data = onnx.load_tensor(os.path.join(test_dir, "test_data_set_0", f"input_{index}.pb"))
    if declared != DECLARED_LIKE or list(data.dims) != [1]:
        return f"{test_dir}: 'like' is declared {declared} with data {list(data.dims)}, not the known onnx 1.12 contradiction"
    shape = like.type.tensor_type.shape
    del shape.dim[:]
    shape.dim.add().dim_value = 1
    onnx.save(model, path)
    return None


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    missing = missing_required(sys.argv[2])
    if missing:
        print(f"{sys.argv[2]} lacks default-domain ops: {' '.join(missing)}", file=sys.stderr)
        return 1
    output_dir = sys.argv[1]
    sys.argv = [sys.argv[0], "generate-data", "-o", output_dir]
    cmd_tools.main()
    for name in LIKE_SHAPE_FIXES:
        error = fix_like_shape(os.path.join(output_dir, "node", name))
        if error:
            print(error, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
