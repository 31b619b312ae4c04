#!/usr/bin/python3
"""Generates the ONNX backend node tests (model.onnx + test_data_set_*/*.pb).

Debian's python3-onnx 1.12 predates NumPy 1.24, which removed the aliases
np.float, np.int, np.bool and np.object; its generator still uses them, so
they are restored here before the generator is imported.

usage: generate_node_tests.py OUTPUT_DIR
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


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    sys.argv = [sys.argv[0], "generate-data", "-o", sys.argv[1]]
    cmd_tools.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
