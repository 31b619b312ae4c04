#!/usr/bin/python3
"""Writes .om files for the simulated AscendCL (tests/ascend_sim/ascend_sim.c):
ATC's 256-byte header (magic "IMOD", header size, version 2.0, the model's
length in both length fields) followed by the simulator's text description.

    make_om.py OUT.om 'gears 1 2 4 8' 'input x float 2 -1 4' \
        'output y float 2 -1 4 affine 0.5 2 x'

writes one model; imported, write_om(path, lines, name) does the same and
models() / reference() give the test suite's models and numpy's answer for
them, so tests compute expected outputs independently of the simulator.
"""
import struct
import sys

HEADER_BYTES = 256
MAGIC = b"IMOD"
VERSION = 0x20000000
MODEL_TYPE_STANDARD = 1
NAME_BYTES = 32


def header(body_len, name):
    h = bytearray(HEADER_BYTES)
    h[0:4] = MAGIC
    struct.pack_into("<II", h, 4, HEADER_BYTES, VERSION)
    struct.pack_into("<I", h, 76, body_len)
    h[82] = MODEL_TYPE_STANDARD
    raw = name.encode()[:NAME_BYTES]
    h[84:84 + len(raw)] = raw
    struct.pack_into("<Q", h, 184, body_len)
    return bytes(h)


def om_bytes(lines, name="sim"):
    body = ("inferd-ascend-sim 1\n" + "\n".join(lines) + "\n").encode()
    return header(len(body), name) + body


def write_om(path, lines, name="sim"):
    with open(path, "wb") as f:
        f.write(om_bytes(lines, name))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: make_om.py OUT.om LINE...")
    write_om(sys.argv[1], sys.argv[2:])
