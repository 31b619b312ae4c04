#!/usr/bin/python3
"""ImageDecoder (opset 20): inferd against Pillow, the ONNX reference's decoder.

Images are made here with Debian's python3-pil (several sizes, odd ones,
gray and colour sources, palettes, alpha, 16-bit samples) in every format
the spec names, and written as the stream input of a one-input model whose
three ImageDecoder nodes decode it as RGB, BGR and Grayscale; `inferd run`
runs it once for all the images (one input per image). References: Pillow's decode converted with
convert("RGB") and convert("L") (BGR is RGB reversed).

Tolerance: every format must match exactly. Pillow links the same Debian
libjpeg-turbo, libwebp, libtiff and OpenJPEG as inferd, and both decode
JPEG with the default accurate integer IDCT and fancy upsampling, so even
lossy JPEG and WebP give identical pixels; a different libjpeg build could
differ by a few levels (the IDCT's rounding), which JPEG_TOLERANCE allows
if set. Where Pillow's own reading is not what the op promises, the
reference is computed here and the case says why (16-bit gray PNG: Pillow
clips the 16-bit value to 255 when converting to L; the op keeps the high
byte as for 16-bit RGB).

Streams that cannot be decoded (truncated, corrupt, unknown, empty) must
give an empty [0, 0, C] output, as the spec says; streams whose header
declares an image over inferd's limits must fail with a message naming
the op, the node and the limit.

usage: test_image_decoder.py INFERD
"""
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto, helper
from PIL import Image

JPEG_TOLERANCE = int(os.environ.get("JPEG_TOLERANCE", "0"))
RNG = np.random.default_rng(20)
FORMATS = (("rgb", "RGB"), ("bgr", "BGR"), ("gray", "Grayscale"))


def model(n):
    """Stream i feeds three ImageDecoder nodes (RGB, BGR, Grayscale): outputs 3i to 3i+2."""
    nodes, inputs, outputs = [], [], []
    for i in range(n):
        inputs.append(helper.make_tensor_value_info(f"stream_{i}", TensorProto.UINT8, [None]))
        for out, fmt in FORMATS:
            nodes.append(helper.make_node("ImageDecoder", [f"stream_{i}"], [f"{out}_{i}"],
                                          name=f"decode_{out}_{i}", pixel_format=fmt))
            outputs.append(helper.make_tensor_value_info(f"{out}_{i}", TensorProto.UINT8, None))
    graph = helper.make_graph(nodes, "image_decoder", inputs, outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], ir_version=8,
                             producer_name="test_image_decoder")


def picture(h, w):
    """Smooth gradients plus noise: compressible, but every value appears."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1),
                     (x + y) * 127 // max(h + w - 2, 1)], axis=-1)
    noise = RNG.integers(-20, 21, (h, w, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def save(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data +
            struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))


def png_16bit_rgb(a16):
    """A 48-bit RGB PNG, which Pillow cannot write."""
    h, w, _ = a16.shape
    raw = b"".join(b"\0" + a16[y].astype(">u2").tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def png_adam7(a):
    """An interlaced (Adam7) 8-bit RGB PNG, which Pillow cannot write."""
    h, w, _ = a.shape
    raw = b""
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
                           (1, 0, 2, 2), (0, 1, 1, 2)):
        sub = a[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\0" + row.tobytes() for row in sub)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
            + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def png_header_only(w, h):
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 16)) + png_chunk(b"IEND", b""))


def bmp_bitfields_16(a, masks):
    """A 16-bit BI_BITFIELDS bitmap (5-6-5 or 5-5-5), bottom-up; Pillow reads, cannot write."""
    h, w, _ = a.shape
    bits = [bin(m).count("1") for m in masks]
    shifts = [(m & -m).bit_length() - 1 for m in masks]
    row_bytes = (w * 2 + 3) // 4 * 4
    rows = []
    for y in range(h - 1, -1, -1):
        v = np.zeros(w, np.uint32)
        for c in range(3):
            v |= (a[y, :, c].astype(np.uint32) >> (8 - bits[c])) << shifts[c]
        rows.append(v.astype("<u2").tobytes().ljust(row_bytes, b"\0"))
    pixels = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 16, 3, len(pixels), 2835, 2835, 0, 0)
    info += struct.pack("<III", *masks)
    offset = 14 + len(info)
    return b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset) + info + pixels


def reference(data):
    img = Image.open(io.BytesIO(data))
    rgb = np.asarray(img.convert("RGB"))
    gray = np.asarray(img.convert("L"))[:, :, None]
    return rgb, rgb[:, :, ::-1], gray


def cases():
    """(name, stream, expected (rgb, bgr, gray) or None for Pillow's, tolerance)."""
    out = []
    for h, w in ((1, 1), (5, 7), (16, 16), (33, 17), (64, 48)):
        a = picture(h, w)
        rgb = Image.fromarray(a)
        gray = rgb.convert("L")
        pal = rgb.quantize(colors=16)
        rgba = Image.fromarray(np.dstack([a, RNG.integers(1, 256, (h, w), dtype=np.uint8)]))
        tag = f"{h}x{w}"
        out += [
            (f"png rgb {tag}", save(rgb, "PNG"), None, 0),
            (f"png gray {tag}", save(gray, "PNG"), None, 0),
            (f"png palette {tag}", save(pal, "PNG"), None, 0),
            (f"png rgba {tag}", save(rgba, "PNG"), None, 0),
            (f"png gray+alpha {tag}", save(rgba.convert("LA"), "PNG"), None, 0),
            (f"png 1-bit {tag}", save(gray.convert("1"), "PNG"), None, 0),
            (f"png interlaced {tag}", png_adam7(a), None, 0),
            (f"bmp rgb {tag}", save(rgb, "BMP"), None, 0),
            (f"bmp gray {tag}", save(gray, "BMP"), None, 0),
            (f"bmp palette {tag}", save(pal, "BMP"), None, 0),
            (f"bmp 1-bit {tag}", save(gray.convert("1"), "BMP"), None, 0),
            (f"bmp 565 {tag}", bmp_bitfields_16(a, (0xf800, 0x07e0, 0x001f)), None, 0),
            (f"bmp 555 {tag}", bmp_bitfields_16(a, (0x7c00, 0x03e0, 0x001f)), None, 0),
            (f"ppm {tag}", save(rgb, "PPM"), None, 0),
            (f"pgm {tag}", save(gray, "PPM"), None, 0),
            (f"pbm {tag}", save(gray.convert("1"), "PPM"), None, 0),
            (f"tiff rgb {tag}", save(rgb, "TIFF"), None, 0),
            (f"tiff gray lzw {tag}", save(gray, "TIFF", compression="tiff_lzw"), None, 0),
            (f"tiff rgb deflate {tag}", save(rgb, "TIFF", compression="tiff_adobe_deflate"),
             None, 0),
            (f"tiff palette {tag}", save(pal, "TIFF"), None, 0),
            (f"jpeg 4:2:0 {tag}", save(rgb, "JPEG", quality=90), None, JPEG_TOLERANCE),
            (f"jpeg 4:4:4 {tag}", save(rgb, "JPEG", quality=95, subsampling=0), None,
             JPEG_TOLERANCE),
            (f"jpeg 4:2:2 progressive {tag}",
             save(rgb, "JPEG", quality=80, subsampling=1, progressive=True), None, JPEG_TOLERANCE),
            (f"jpeg gray {tag}", save(gray, "JPEG"), None, JPEG_TOLERANCE),
            (f"jpeg cmyk {tag}", save(rgb.convert("CMYK"), "JPEG"), None, JPEG_TOLERANCE),
            (f"webp lossless {tag}", save(rgb, "WEBP", lossless=True), None, 0),
            (f"webp lossy {tag}", save(rgb, "WEBP", quality=80), None, 0),
            (f"jp2 rgb {tag}", save(rgb, "JPEG2000"), None, 0),
            (f"j2k gray {tag}", save(gray, "JPEG2000", no_jp2=True), None, 0),
        ]
        # 16-bit gray: the op keeps the high byte (Pillow's L conversion would clip).
        g16 = (a[:, :, 0].astype(np.uint16) << 8) | a[:, :, 1]
        hi = (g16 >> 8).astype(np.uint8)
        out.append((f"png 16-bit gray {tag}",
                    save(Image.fromarray(g16.astype(np.uint16), "I;16"), "PNG"),
                    (np.repeat(hi[:, :, None], 3, 2), np.repeat(hi[:, :, None], 3, 2),
                     hi[:, :, None]), 0))
        # 16-bit RGB: Pillow keeps the high byte too, so its reading is the reference.
        a16 = (a.astype(np.uint16) << 8) | RNG.integers(0, 256, a.shape, dtype=np.uint16)
        out.append((f"png 16-bit rgb {tag}", png_16bit_rgb(a16), None, 0))
    # Plain (ASCII) Netpbm, comments in the header.
    out.append(("pbm plain", b"P1\n# c\n3 2\n0 1 0\n1 0 1\n", None, 0))
    out.append(("pgm plain", b"P2 2 2 255 0 64\n128 255\n", None, 0))
    out.append(("ppm plain", b"P3\n2 1\n# comment\n255\n255 0 0  0 0 255\n", None, 0))
    return out


def corrupt_cases():
    """(name, stream, decodable): each must decode to an empty image, or, when decodable (bytes
    flipped in pixel data that no checksum covers), to an image of one size in all formats."""
    a = picture(32, 24)
    rgb = Image.fromarray(a)
    streams = {
        "png": save(rgb, "PNG"), "jpeg": save(rgb, "JPEG"), "bmp": save(rgb, "BMP"),
        "ppm": save(rgb, "PPM"), "tiff": save(rgb, "TIFF", compression="tiff_lzw"),
        "webp": save(rgb, "WEBP"), "jp2": save(rgb, "JPEG2000"),
    }
    out = [("empty stream", b"", False), ("unknown format", b"GIF89a" + bytes(40), False),
           ("bmp rle8", b"BM" + bytes(12) + struct.pack("<IiiHHI", 40, 4, 4, 1, 8, 1) + bytes(20),
            False),
           ("ppm sample over maxval", b"P3 1 1 100 255 0 0\n", False),
           ("png 0 x 0", png_header_only(0, 0), False),
           ("bmp 30000 x 30000 without pixels",
            b"BM" + struct.pack("<IHHI", 0, 0, 0, 54) + struct.pack("<IiiHHI", 40, 30000, 30000, 1,
                                                                    24, 0) + bytes(20), False)]
    for name, s in streams.items():
        out.append((f"{name} truncated to half", s[:len(s) // 2], False))
        out.append((f"{name} signature only", s[:12], False))
        bad = bytearray(s)
        for i in range(len(bad) // 3, len(bad), 7):
            bad[i] ^= 0x5a
        out.append((f"{name} bytes flipped", bytes(bad), name in ("bmp", "ppm", "webp", "jp2")))
    return out


def oversize_cases():
    """(name, stream, text the failure must contain)."""
    jpeg = bytearray(save(Image.fromarray(picture(8, 8)), "JPEG"))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    return [
        ("png 100000 x 100000", png_header_only(100000, 100000), "IMAGE_DECODER_MAX_SIDE"),
        ("png 2^31-1 wide", png_header_only(0x7fffffff, 1), "IMAGE_DECODER_MAX_SIDE"),
        ("ppm 70000 x 70000", b"P6 70000 70000 255\n" + bytes(16), "IMAGE_DECODER_MAX_PIXELS"),
        ("jpeg 60000 x 60000", bytes(jpeg), "IMAGE_DECODER_MAX_PIXELS"),
    ]


def model_refusals():
    """(name, model, stream, text): models inferd must refuse, naming op and node."""
    def one(shape, **attrs):
        graph = helper.make_graph(
            [helper.make_node("ImageDecoder", ["stream"], ["image"], name="decode", **attrs)],
            "refused", [helper.make_tensor_value_info("stream", TensorProto.UINT8, shape)],
            [helper.make_tensor_value_info("image", TensorProto.UINT8, None)])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)],
                                 ir_version=8)
    return [("pixel_format YUV", one([None], pixel_format="YUV"), np.zeros(4, np.uint8),
             "pixel_format 'YUV'"),
            ("2-D stream", one([2, None]), np.zeros((2, 4), np.uint8), "must be 1-D")]


def run(inferd, d, streams):
    """One `inferd run` of a model decoding every stream: [(rgb, bgr, gray)] or the error."""
    shutil.rmtree(os.path.join(d, "in"), ignore_errors=True)
    model_path = os.path.join(d, "model.onnx")
    with open(model_path, "wb") as f:
        f.write(model(len(streams)).SerializeToString())
    in_dir = os.path.join(d, "in")
    os.makedirs(in_dir, exist_ok=True)
    for i, stream in enumerate(streams):
        with open(os.path.join(in_dir, f"input_{i}.pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(np.frombuffer(stream, np.uint8).copy(),
                                                 f"stream_{i}").SerializeToString())
    command = [inferd, "run", "--model", model_path, "--input-dir", in_dir, "--output-dir",
               os.path.join(d, "out")]
    r = subprocess.run(command, capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    outs = []
    for k in range(len(FORMATS) * len(streams)):
        t = onnx.TensorProto()
        with open(os.path.join(d, "out", f"output_{k}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        outs.append(onnx.numpy_helper.to_array(t))
    return [outs[3 * i:3 * i + 3] for i in range(len(streams))], None


def compare(want, got, tol):
    if got.dtype != np.uint8:
        return f"dtype {got.dtype}"
    if got.shape != want.shape:
        return f"shape {got.shape}, Pillow {want.shape}"
    diff = int(np.max(np.abs(got.astype(np.int16) - want.astype(np.int16)))) if got.size else 0
    if diff > tol:
        at = np.unravel_index(np.argmax(np.abs(got.astype(np.int16) - want)), got.shape)
        return f"max |diff| {diff} > {tol} at {at}: got {got[at]}, Pillow {want[at]}"
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    inferd = sys.argv[1]
    failures = total = 0
    with tempfile.TemporaryDirectory() as d:
        good, bad = cases(), corrupt_cases()
        got_all, error = run(inferd, d, [c[1] for c in good] + [c[1] for c in bad])
        if error:
            print(f"FAIL inferd failed on the decodable and corrupt streams: {error}")
            return 1
        for (name, stream, expected, tol), got in zip(good, got_all):
            total += 1
            want = expected if expected is not None else reference(stream)
            problems = [f"{fmt}: {p}" for (_, fmt), w, g in zip(FORMATS, want, got)
                        if (p := compare(w, g, tol))]
            failures += bool(problems)
            print(f"{'FAIL' if problems else 'ok  '} {name}" +
                  "".join(f"\n     {p}" for p in problems))
        for (name, stream, decodable), got in zip(bad, got_all[len(good):]):
            total += 1
            shapes = [g.shape for g in got]
            empty = shapes == [(0, 0, 3), (0, 0, 3), (0, 0, 1)]
            whole = len(set(s[:2] for s in shapes)) == 1 and shapes[0][0] > 0
            ok = empty or (decodable and whole)
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {'empty' if empty else 'decoded'}: {name}" +
                  ("" if ok else f"\n     shapes {shapes}, want empty"))
        for name, stream, text in oversize_cases():
            total += 1
            got, error = run(inferd, d, [stream])
            ok = got is None and "ImageDecoder node 'decode_" in error and text in error
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} refused: {name}: " +
                  (error.splitlines()[-1] if error else "inferd ran it"))
        for name, m, stream, text in model_refusals():
            total += 1
            with open(os.path.join(d, "refused.onnx"), "wb") as f:
                f.write(m.SerializeToString())
            with open(os.path.join(d, "refused.pb"), "wb") as f:
                f.write(onnx.numpy_helper.from_array(stream, "stream").SerializeToString())
            r = subprocess.run([inferd, "run", "--model", os.path.join(d, "refused.onnx"),
                                "--input", f"stream={os.path.join(d, 'refused.pb')}",
                                "--output-dir", os.path.join(d, "refused")],
                               capture_output=True, text=True)
            ok = r.returncode != 0 and "ImageDecoder node 'decode'" in r.stderr and text in r.stderr
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} refused: {name}: " +
                  (r.stderr.strip().splitlines()[-1] if r.returncode else "inferd ran it"))
    print(f"{total - failures} of {total} cases pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
