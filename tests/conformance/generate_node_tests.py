#!/usr/bin/python3
"""Generates the ONNX backend node tests (model.onnx + test_data_set_*/*.pb).

Debian's python3-onnx 1.12 predates NumPy 1.24, which removed the aliases
np.float, np.int, np.bool and np.object; its generator still uses them, so
they are restored here before the generator is imported.

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

from onnx.backend.test import cmd_tools  # noqa: E402  (needs the aliases above)


def missing_required(path):
    """Default-domain ops onnx defines that the file at path does not name."""
    import onnx.defs

    with open(path) as f:
        named = {w for line in f if not line.startswith("#") for w in line.split()}
    defined = {s.name for s in onnx.defs.get_all_schemas_with_history() if s.domain == ""}
    return sorted(defined - named)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    missing = missing_required(sys.argv[2])
    if missing:
        print(f"{sys.argv[2]} lacks default-domain ops: {' '.join(missing)}", file=sys.stderr)
        return 1
    sys.argv = [sys.argv[0], "generate-data", "-o", sys.argv[1]]
    cmd_tools.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
