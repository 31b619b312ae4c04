#!/usr/bin/python3
"""TF Serving's gRPC API (tensorflow.serving.PredictionService and
ModelService) against the real `inferd serve`, with Debian's python3-grpcio
and stubs generated at test time from inferd's api/tensorflow.proto and
api/tensorflow_serving.proto.

- GetModelStatus and GetModelMetadata: versions and states; the
  SignatureDefMap packed in an Any, read the way Triton's perf_analyzer
  (--service-kind tfserving) reads it: converted to JSON with proto field
  names and default values, then metadata.signature_def.signature_def
  [serving_default].inputs[*].dtype / tensor_shape.unknown_rank /
  tensor_shape.dim[*].size;
- Predict with typed values (float_val, int64_val ...) and tensor_content,
  one and several inputs and outputs, output_filter, a scalar output, every
  dtype inferd holds (int_val and half_val as TensorFlow reads them: padded
  with the last value, low bits kept), checked against numpy references of
  the models' definitions and against the same rows sent as KServe v2;
  more rows than max_batch_size split into batches;
- requests built the way perf_analyzer's tfserving client builds them
  (model_spec name and signature_name, typed fields with its garbage upper
  bytes in int_val and half_val), and its INT64 quirk (values in bool_val)
  refused with a message that names it;
- every error status: INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
  UNIMPLEMENTED, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, UNAVAILABLE,
  PERMISSION_DENIED, INTERNAL;
- the wire itself: requests encoded by hand with TF Serving's official field
  numbers (written below from its .proto files, independent of inferd's),
  and answers decoded the same way, so a wrong field number in inferd's
  .proto files fails here.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import concurrent.futures
import json
import os
import shutil
import struct
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper

from compat_models import Client, cleanup, make_repository, pair_reference, whole_reference
from inferd_server import (CALL_TIMEOUT_S, MLP_IN, MLP_OUT, Checks, Server, generate_stubs,
                           matches, mlp_rows, rerun_with_python_protobuf)

import grpc

check = Checks()
INFER_KEY = "tfs-grpc-test-key"
PREDICT = "/tensorflow.serving.PredictionService/Predict"
METADATA = "/tensorflow.serving.PredictionService/GetModelMetadata"
STATUS = "/tensorflow.serving.ModelService/GetModelStatus"
# --max-tensor-elements of the main server: 128 rows of the mlp (16 wide).
ELEMENT_LIMIT = 2048


STUB_DIR = generate_stubs("tensorflow.proto", "tensorflow_serving.proto")
try:
    import tensorflow_pb2 as tf
    import tensorflow_serving_pb2 as tfs
    import tensorflow_serving_pb2_grpc as tfsg
except TypeError as e:
    rerun_with_python_protobuf(e, STUB_DIR)
from google.protobuf import json_format  # noqa: E402 (after the stubs chose the runtime)

# dtype -> (numpy dtype, TensorProto typed field); the halves travel as their 16-bit patterns.
FIELDS = {
    tf.DT_FLOAT: (np.float32, "float_val"), tf.DT_DOUBLE: (np.float64, "double_val"),
    tf.DT_INT32: (np.int32, "int_val"), tf.DT_INT16: (np.int16, "int_val"),
    tf.DT_UINT16: (np.uint16, "int_val"), tf.DT_INT8: (np.int8, "int_val"),
    tf.DT_UINT8: (np.uint8, "int_val"), tf.DT_INT64: (np.int64, "int64_val"),
    tf.DT_BOOL: (np.bool_, "bool_val"), tf.DT_HALF: (np.float16, "half_val"),
    tf.DT_BFLOAT16: (np.uint16, "half_val"), tf.DT_UINT32: (np.uint32, "uint32_val"),
    tf.DT_UINT64: (np.uint64, "uint64_val"),
}
# The kinds model: y_<k> = Identity(x_<k>), [batch, 3] each, one per dtype; ONNX type and TF's.
KINDS = {"i8": (TensorProto.INT8, tf.DT_INT8), "u8": (TensorProto.UINT8, tf.DT_UINT8),
         "i16": (TensorProto.INT16, tf.DT_INT16), "u16": (TensorProto.UINT16, tf.DT_UINT16),
         "i32": (TensorProto.INT32, tf.DT_INT32), "u32": (TensorProto.UINT32, tf.DT_UINT32),
         "u64": (TensorProto.UINT64, tf.DT_UINT64), "f64": (TensorProto.DOUBLE, tf.DT_DOUBLE),
         "b": (TensorProto.BOOL, tf.DT_BOOL), "f16": (TensorProto.FLOAT16, tf.DT_HALF),
         "bf16": (TensorProto.BFLOAT16, tf.DT_BFLOAT16)}
# perf_analyzer's ConvertDTypeFromTFS: the dtype names its tfserving parser accepts.
PERF_ANALYZER_DTYPES = {"DT_HALF": "FP16", "DT_BFLOAT16": "BF16", "DT_FLOAT": "FP32",
                        "DT_DOUBLE": "FP64", "DT_INT32": "INT32", "DT_INT16": "INT16",
                        "DT_UINT16": "UINT16", "DT_INT8": "INT8", "DT_UINT8": "UINT8",
                        "DT_STRING": "BYTES", "DT_INT64": "INT64", "DT_BOOL": "BOOL",
                        "DT_UINT32": "UINT32", "DT_UINT64": "UINT64"}


def add_models(repo):
    """kinds, and mlp copies configured for the queue tests (as in test_grpc_client.py)."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x_" + k], ["y_" + k]) for k in KINDS], "kinds",
        [helper.make_tensor_value_info("x_" + k, t, ["batch", 3]) for k, (t, _) in KINDS.items()],
        [helper.make_tensor_value_info("y_" + k, t, ["batch", 3]) for k, (t, _) in KINDS.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    os.makedirs(os.path.join(repo, "kinds", "1"))
    onnx.save(model, os.path.join(repo, "kinds", "1", "model.onnx"))
    configs = {"kinds": {"max_batch_size": 4},
               # a long queue delay: a short deadline expires while queued
               "slow": {"max_batch_size": 16,
                        "dynamic_batching": {"max_queue_delay_microseconds": 1500000}},
               # one pending request at most
               "tiny": {"max_batch_size": 16, "dynamic_batching": {
                   "max_queue_delay_microseconds": 1000000, "max_queue_size": 1}}}
    for name in ("slow", "tiny"):
        shutil.copytree(os.path.join(repo, "mlp"), os.path.join(repo, name))
    for name, cfg in configs.items():
        with open(os.path.join(repo, name, "config.json"), "w") as f:
            json.dump(cfg, f)


# ---- messages through inferd's stubs ----

def spec(name, version=None, signature=None, label=None):
    s = tfs.ModelSpec(name=name)
    if version is not None:
        s.version.value = version
    if label is not None:
        s.version_label = label
    if signature is not None:
        s.signature_name = signature
    return s


def tensor(array, dtype, content=False):
    """A TensorProto of array: its values in dtype's typed field, or as tensor_content."""
    np_type, field = FIELDS[dtype]
    a = np.asarray(array).astype(np_type)
    t = tf.TensorProto(dtype=dtype)
    for d in a.shape:
        t.tensor_shape.dim.add(size=d)
    if content:
        t.tensor_content = a.astype(a.dtype.newbyteorder("<")).tobytes()
    elif dtype in (tf.DT_HALF, tf.DT_BFLOAT16):
        getattr(t, field).extend(a.view(np.uint16).flatten().tolist())
    else:
        getattr(t, field).extend(a.flatten().tolist())
    return t


def array_of(t):
    """A TensorProto answered by the server as a numpy array (typed fields only, as TF Serving)."""
    np_type, field = FIELDS[t.dtype]
    check(not t.tensor_content, "the answer is in typed fields, not tensor_content")
    values = list(getattr(t, field))
    if t.dtype in (tf.DT_HALF, tf.DT_BFLOAT16):
        a = np.asarray(values, dtype=np.uint16)
        a = a.view(np.float16) if t.dtype == tf.DT_HALF else a
    else:
        a = np.asarray(values, dtype=np_type)
    return a.reshape([d.size for d in t.tensor_shape.dim])


def predict_request(name, inputs, version=None, signature=None, output_filter=()):
    q = tfs.PredictRequest(model_spec=spec(name, version, signature))
    for key, t in inputs.items():
        q.inputs[key].CopyFrom(t)
    q.output_filter.extend(output_filter)
    return q


def expect_error(fn, code, needle=""):
    try:
        fn()
    except grpc.RpcError as e:
        ok = e.code() == code and needle in (e.details() or "")
        return check(ok, "want %s with %r, got %s %r" % (code, needle, e.code(), e.details()))
    return check(False, "want %s with %r, got success" % (code, needle))


class Stubs:
    def __init__(self, server, metadata=None):
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % server.grpc_port)
        self.predict_service = tfsg.PredictionServiceStub(self.channel)
        self.model_service = tfsg.ModelServiceStub(self.channel)
        self.md = metadata

    def predict(self, q, timeout=CALL_TIMEOUT_S):
        return self.predict_service.Predict(q, timeout=timeout, metadata=self.md)

    def metadata(self, s, fields=("signature_def",)):
        return self.predict_service.GetModelMetadata(
            tfs.GetModelMetadataRequest(model_spec=s, metadata_field=list(fields)),
            timeout=CALL_TIMEOUT_S, metadata=self.md)

    def status(self, s):
        return self.model_service.GetModelStatus(tfs.GetModelStatusRequest(model_spec=s),
                                                 timeout=CALL_TIMEOUT_S, metadata=self.md)

    def raw(self, method, body, timeout=CALL_TIMEOUT_S):
        """A call with hand-encoded bytes, answered as bytes."""
        return self.channel.unary_unary(method)(body, timeout=timeout, metadata=self.md)

    def close(self):
        self.channel.close()


# ---- the wire, by hand: TF Serving's field numbers (tensorflow_serving/apis/*.proto and
# tensorflow/core/framework/*.proto, protobuf/meta_graph.proto), not inferd's .proto files ----

WIRE_VARINT, WIRE_64, WIRE_LEN, WIRE_32 = 0, 1, 2, 5
DT_FLOAT, DT_INT64, DT_STRING = 1, 9, 7
F_REQ_SPEC, F_REQ_INPUTS, F_REQ_FILTER = 1, 2, 3          # PredictRequest
F_RESP_OUTPUTS, F_RESP_SPEC = 1, 2                         # PredictResponse
F_SPEC_NAME, F_SPEC_VERSION, F_SPEC_SIG, F_SPEC_LABEL = 1, 2, 3, 4   # ModelSpec
F_INT64VALUE = 1                                           # google.protobuf.Int64Value.value
F_ENTRY_KEY, F_ENTRY_VALUE = 1, 2                          # every map entry
F_T_DTYPE, F_T_SHAPE, F_T_CONTENT, F_T_FLOAT, F_T_INT64 = 1, 2, 4, 5, 10   # TensorProto
F_T_RESOURCE = 14                                          # TensorProto.resource_handle_val
F_SHAPE_DIM, F_DIM_SIZE = 2, 1                             # TensorShapeProto, its Dim
F_MD_SPEC, F_MD_FIELD, F_MD_METADATA = 1, 2, 2             # GetModelMetadataRequest/Response
F_ANY_URL, F_ANY_VALUE = 1, 2                              # google.protobuf.Any
F_SDM_SIGS = 1                                             # SignatureDefMap.signature_def
F_SIG_INPUTS, F_SIG_OUTPUTS, F_SIG_METHOD = 1, 2, 3        # SignatureDef
F_INFO_NAME, F_INFO_DTYPE, F_INFO_SHAPE = 1, 2, 3          # TensorInfo
F_ST_VERSIONS = 1                                          # GetModelStatusResponse
F_VS_VERSION, F_VS_STATE, F_VS_STATUS = 1, 2, 3            # ModelVersionStatus
F_PREDICT_REQUEST_OPTIONS = 7                              # PredictRequest.request_options
STATE_AVAILABLE = 30


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, wire, payload):
    """One field: its key, then a varint (int payload) or length-delimited bytes."""
    key = varint(number << 3 | wire)
    if wire == WIRE_VARINT:
        return key + varint(payload)
    return key + varint(len(payload)) + payload


def text(number, s):
    return field(number, WIRE_LEN, s.encode())


def msg(number, *parts):
    return field(number, WIRE_LEN, b"".join(parts))


def wire_tensor(dtype, shape, float_values=None, int64_values=None, content=None):
    parts = [field(F_T_DTYPE, WIRE_VARINT, dtype),
             msg(F_T_SHAPE, *[msg(F_SHAPE_DIM, field(F_DIM_SIZE, WIRE_VARINT, d)) for d in shape])]
    if float_values is not None:
        parts.append(field(F_T_FLOAT, WIRE_LEN, struct.pack("<%df" % len(float_values),
                                                             *float_values)))
    if int64_values is not None:
        parts.append(field(F_T_INT64, WIRE_LEN, b"".join(varint(v) for v in int64_values)))
    if content is not None:
        parts.append(field(F_T_CONTENT, WIRE_LEN, content))
    return b"".join(parts)


def wire_spec(number, name, version=None, signature=None):
    parts = [text(F_SPEC_NAME, name)]
    if version is not None:
        parts.append(msg(F_SPEC_VERSION, field(F_INT64VALUE, WIRE_VARINT, version)))
    if signature is not None:
        parts.append(text(F_SPEC_SIG, signature))
    return msg(number, *parts)


def wire_input(key, tensor_bytes):
    return msg(F_REQ_INPUTS, text(F_ENTRY_KEY, key), field(F_ENTRY_VALUE, WIRE_LEN, tensor_bytes))


def decode(data):
    """{field number: [values]}: ints for varints, bytes for the rest."""
    out, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == WIRE_VARINT:
            value, i = read_varint(data, i)
        elif wire == WIRE_LEN:
            n, i = read_varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == WIRE_64:
            value, i = data[i:i + 8], i + 8
        elif wire == WIRE_32:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        out.setdefault(number, []).append(value)
    return out


def read_varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def wire_map(entries):
    """A map field's entries as {key: value bytes}."""
    out = {}
    for e in entries:
        d = decode(e)
        out[d[F_ENTRY_KEY][0].decode()] = d.get(F_ENTRY_VALUE, [b""])[0]
    return out


def wire_dims(shape_bytes):
    return [signed(decode(d).get(F_DIM_SIZE, [0])[0])
            for d in decode(shape_bytes).get(F_SHAPE_DIM, [])]


def wire_int64s(tensor_fields):
    """int64_val, packed or not."""
    out = []
    for v in tensor_fields.get(F_T_INT64, []):
        if isinstance(v, int):
            out.append(signed(v))
            continue
        i = 0
        while i < len(v):
            n, i = read_varint(v, i)
            out.append(signed(n))
    return out


def wire_floats(tensor_fields):
    """float_val, packed or not."""
    out = []
    for v in tensor_fields.get(F_T_FLOAT, []):
        out.extend(struct.unpack("<%df" % (len(v) // 4), v))
    return out


# ---- the tests ----

def test_status(st):
    r = st.status(spec("mlp"))
    check(len(r.model_version_status) == 1, "one version: %s" % r)
    v = r.model_version_status[0]
    check(v.version == 1 and v.state == tfs.ModelVersionStatus.AVAILABLE and
          v.status.error_code == 0 and v.status.error_message == "", "mlp status %s" % v)
    check(st.status(spec("mlp", version=1)).model_version_status[0].version == 1, "version 1")
    expect_error(lambda: st.status(spec("mlp", version=7)), grpc.StatusCode.NOT_FOUND,
                 "Could not find version 7 of model mlp")
    expect_error(lambda: st.status(spec("nope")), grpc.StatusCode.NOT_FOUND,
                 "Could not find any versions of model nope")
    expect_error(lambda: st.status(spec("mlp", label="stable")), grpc.StatusCode.NOT_FOUND,
                 "no version label 'stable'")
    expect_error(lambda: st.model_service.GetModelStatus(tfs.GetModelStatusRequest(),
                                                         timeout=CALL_TIMEOUT_S),
                 grpc.StatusCode.INVALID_ARGUMENT, "Missing ModelSpec")


def perf_analyzer_inputs(response, signature="serving_default", batch_size=1):
    """The inputs perf_analyzer's ModelParser::InitTFServe reads from a metadata answer:
    {name: (datatype, shape without the batch dim)}, or the error it would stop with."""
    doc = json.loads(json_format.MessageToJson(response, preserving_proto_field_name=True,
                                               including_default_value_fields=True))
    sigs = doc["metadata"]["signature_def"]["signature_def"]
    if signature not in sigs:
        return "Failed to find signature_name \"%s\" in the metadata" % signature
    inputs = {}
    for name, info in sigs[signature].get("inputs", {}).items():
        if info["dtype"] not in PERF_ANALYZER_DTYPES:
            return "unknown dtype %s" % info["dtype"]
        if not isinstance(info["tensor_shape"]["unknown_rank"], bool):
            return "unknown_rank is no bool"
        if info["tensor_shape"]["unknown_rank"]:
            return "unknown rank"
        dims = [int(d["size"]) for d in info["tensor_shape"]["dim"]]
        if batch_size and dims[:1] != [-1]:
            return "Can not specify -b flag for saved model with input not having their first " \
                   "dim as -1"
        inputs[name] = (PERF_ANALYZER_DTYPES[info["dtype"]], dims[1:] if batch_size else dims)
    return inputs


def test_metadata(st):
    r = st.metadata(spec("pair"))
    check(r.model_spec.name == "pair" and r.model_spec.version.value == 1, "spec %s" % r.model_spec)
    any_ = r.metadata["signature_def"]
    check(list(r.metadata) == ["signature_def"] and
          any_.type_url == "type.googleapis.com/tensorflow.serving.SignatureDefMap",
          "metadata keys and type_url: %s" % any_.type_url)
    sdm = tfs.SignatureDefMap()
    check(any_.Unpack(sdm), "the Any unpacks as a SignatureDefMap")
    sig = sdm.signature_def["serving_default"]
    check(list(sdm.signature_def) == ["serving_default"] and
          sig.method_name == "tensorflow/serving/predict", "one predict signature")
    check(sig.inputs["a"].dtype == tf.DT_FLOAT and sig.inputs["b"].dtype == tf.DT_INT64 and
          sig.outputs["twice"].dtype == tf.DT_INT64 and sig.outputs["sum"].name == "sum",
          "pair tensor infos %s" % sig)
    check(perf_analyzer_inputs(r) == {"a": ("FP32", [3]), "b": ("INT64", [3])},
          "perf_analyzer reads pair: %r" % (perf_analyzer_inputs(r),))
    r = st.metadata(spec("mlp", version=1))
    check(perf_analyzer_inputs(r, batch_size=4) == {MLP_IN: ("FP32", [16])},
          "perf_analyzer reads mlp: %r" % (perf_analyzer_inputs(r),))
    check("Failed to find" in perf_analyzer_inputs(r, signature="other"), "unknown signature")
    # No batch dim: fixed dims, and perf_analyzer's -b refused as with TF Serving.
    r = st.metadata(spec("whole"))
    sdm = tfs.SignatureDefMap()
    r.metadata["signature_def"].Unpack(sdm)
    sig = sdm.signature_def["serving_default"]
    check([d.size for d in sig.inputs["x"].tensor_shape.dim] == [2, 3] and
          list(sig.outputs["total"].tensor_shape.dim) == [], "whole dims %s" % sig)
    check(perf_analyzer_inputs(r, batch_size=0) == {"x": ("FP32", [2, 3])} and
          "first dim as -1" in perf_analyzer_inputs(r, batch_size=1), "perf_analyzer reads whole")
    r = st.metadata(spec("kinds"))
    got = perf_analyzer_inputs(r)
    want = {"x_" + k: (PERF_ANALYZER_DTYPES[tf.DataType.Name(d)], [3]) for k, (_, d) in KINDS.items()}
    check(got == want, "perf_analyzer reads every dtype: %r" % (got,))
    expect_error(lambda: st.metadata(spec("pair"), fields=()), grpc.StatusCode.INVALID_ARGUMENT,
                 "at least one metadata_field")
    expect_error(lambda: st.metadata(spec("pair"), fields=("signature_def", "assets")),
                 grpc.StatusCode.INVALID_ARGUMENT, "Metadata field assets is not supported")
    expect_error(lambda: st.metadata(spec("nope")), grpc.StatusCode.NOT_FOUND, "nope")
    expect_error(lambda: st.metadata(spec("pair", version=3)), grpc.StatusCode.NOT_FOUND, "pair")
    expect_error(lambda: st.metadata(spec("pair", signature="other")),
                 grpc.StatusCode.FAILED_PRECONDITION, "Serving signature key \"other\" not found")
    expect_error(lambda: st.predict_service.GetModelMetadata(
        tfs.GetModelMetadataRequest(metadata_field=["signature_def"]), timeout=CALL_TIMEOUT_S),
        grpc.StatusCode.INVALID_ARGUMENT, "Missing ModelSpec")


def test_mlp(st, http, ref):
    x = mlp_rows(5, seed=11)
    want = ref(x)
    r = st.predict(predict_request("mlp", {MLP_IN: tensor(x, tf.DT_FLOAT)}))
    got = array_of(r.outputs[MLP_OUT])
    check(matches(got.astype(np.float64), want), "float_val: %s" % got)
    check(list(r.outputs) == [MLP_OUT] and r.outputs[MLP_OUT].dtype == tf.DT_FLOAT,
          "one DT_FLOAT output")
    check(r.model_spec.name == "mlp" and r.model_spec.version.value == 1 and
          r.model_spec.signature_name == "serving_default", "answered spec %s" % r.model_spec)
    # KServe's JSON writes each float32 so that it reads back as the same float32.
    kserve = http.kserve("mlp", [(MLP_IN, "FP32", x)])[MLP_OUT].astype(np.float32)
    check(np.array_equal(got, kserve), "Predict equals KServe v2")
    r = st.predict(predict_request("mlp", {MLP_IN: tensor(x, tf.DT_FLOAT, content=True)},
                                   version=1, signature="serving_default"))
    check(np.array_equal(array_of(r.outputs[MLP_OUT]), kserve), "tensor_content equals")


def test_split(st, http, ref):
    """70 rows on the mlp's max_batch_size 32: three batches or more, every row in order."""
    x = mlp_rows(70, seed=12)
    before = http.stats("mlp")
    r = st.predict(predict_request("mlp", {MLP_IN: tensor(x, tf.DT_FLOAT)}))
    after = http.stats("mlp")
    check(matches(array_of(r.outputs[MLP_OUT]).astype(np.float64), ref(x)), "70 rows answered")
    check(after[0] - before[0] == 70 and after[1] - before[1] >= 3,
          "70 inferences in at least 3 executions: %r -> %r" % (before, after))


def test_batching(st, http, ref):
    """Concurrent one-row Predicts meet in the batcher like any requests."""
    xs = [mlp_rows(1, seed=100 + i) for i in range(16)]
    before = http.stats("slow")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(st.predict, predict_request("slow", {MLP_IN: tensor(x, tf.DT_FLOAT)}))
                   for x in xs]
        results = [f.result() for f in futures]
    after = http.stats("slow")
    check(all(matches(array_of(r.outputs[MLP_OUT]).astype(np.float64), ref(x))
              for r, x in zip(results, xs)), "16 concurrent answers")
    check(after[0] - before[0] == 16 and after[1] - before[1] < 16,
          "16 inferences batched into fewer executions: %r -> %r" % (before, after))


def test_pair(st):
    rng = np.random.default_rng(13)
    a = rng.uniform(-4, 4, size=(6, 3)).astype(np.float32)
    b = rng.integers(-1000, 1000, size=(6, 3))
    want_sum, want_twice = pair_reference(a, b)
    r = st.predict(predict_request("pair", {"a": tensor(a, tf.DT_FLOAT),
                                            "b": tensor(b, tf.DT_INT64)}))
    check(sorted(r.outputs) == ["sum", "twice"], "both outputs: %s" % list(r.outputs))
    check(np.array_equal(array_of(r.outputs["sum"]), want_sum), "pair sum")
    check(r.outputs["twice"].dtype == tf.DT_INT64 and
          np.array_equal(array_of(r.outputs["twice"]), want_twice), "pair twice")
    r = st.predict(predict_request("pair", {"a": tensor(a, tf.DT_FLOAT, content=True),
                                            "b": tensor(b, tf.DT_INT64, content=True)},
                                   output_filter=["twice"]))
    check(list(r.outputs) == ["twice"] and np.array_equal(array_of(r.outputs["twice"]),
                                                          want_twice), "output_filter twice")
    # TensorFlow's typed-field rules: fewer values repeat the last one, none are zeros.
    short = tensor(a, tf.DT_FLOAT)
    del short.float_val[1:]
    empty = tensor(b, tf.DT_INT64)
    del empty.int64_val[:]
    r = st.predict(predict_request("pair", {"a": short, "b": empty}))
    check(np.array_equal(array_of(r.outputs["sum"]), np.full((6, 3), a.flat[0], np.float32)) and
          np.array_equal(array_of(r.outputs["twice"]), np.zeros((6, 3), np.int64)),
          "one value fills the tensor, none is zeros")


def test_whole(st):
    x = np.asarray([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    y, total = whole_reference(x)
    r = st.predict(predict_request("whole", {"x": tensor(x, tf.DT_FLOAT)}))
    check(np.array_equal(array_of(r.outputs["y"]), y), "whole y")
    t = r.outputs["total"]
    check(r.outputs["total"].HasField("tensor_shape") and list(t.tensor_shape.dim) == [] and
          list(t.float_val) == [total], "scalar total: %s" % t)


def test_kinds(st):
    """Every dtype inferd holds, both ways in; answers in TF Serving's typed fields."""
    rng = np.random.default_rng(14)
    arrays = {
        "i8": rng.integers(-128, 128, (2, 3)), "u8": rng.integers(0, 256, (2, 3)),
        "i16": rng.integers(-32768, 32768, (2, 3)), "u16": rng.integers(0, 65536, (2, 3)),
        "i32": rng.integers(-2 ** 31, 2 ** 31, (2, 3)), "u32": rng.integers(0, 2 ** 32, (2, 3)),
        "u64": rng.integers(0, 2 ** 62, (2, 3)).astype(np.uint64) * np.uint64(2) + np.uint64(1),
        "f64": rng.uniform(-1, 1, (2, 3)), "b": rng.integers(0, 2, (2, 3)).astype(bool),
        "f16": rng.uniform(-8, 8, (2, 3)).astype(np.float16),
        "bf16": rng.integers(0, 65536, (2, 3)).astype(np.uint16),  # the patterns themselves
    }
    for content in (False, True):
        q = predict_request("kinds", {"x_" + k: tensor(arrays[k], KINDS[k][1], content)
                                      for k in KINDS})
        r = st.predict(q)
        for k, (_, dtype) in KINDS.items():
            out = r.outputs["y_" + k]
            want = np.asarray(arrays[k]).astype(FIELDS[dtype][0])
            got = array_of(out)
            same = got.shape == want.shape and (
                np.array_equal(got.view(np.uint16), want.view(np.uint16)) if k == "f16"
                else np.array_equal(got, want))
            check(out.dtype == dtype and same, "%s (%s): %s != %s" % (
                k, "tensor_content" if content else "typed", got, want))
    # int_val and half_val keep the low bits, as TensorFlow's cast does.
    q = predict_request("kinds", {"x_" + k: tensor(arrays[k], KINDS[k][1]) for k in KINDS})
    q.inputs["x_u8"].int_val[:] = [256 + 7, -1, 300, 1, 2, 3]
    q.inputs["x_i16"].int_val[:] = [65536 - 2, 40000, 5, 6, 7, 8]
    q.inputs["x_f16"].half_val[:] = [0x7FFF0000 | 0x3C00, 0x3C00, 0x4000, 0x4200, 0x4400, 0x4500]
    r = st.predict(q)
    check(array_of(r.outputs["y_u8"]).flatten().tolist() == [7, 255, 44, 1, 2, 3],
          "uint8 keeps the low byte: %s" % r.outputs["y_u8"].int_val)
    check(array_of(r.outputs["y_i16"]).flatten().tolist() == [-2, 40000 - 65536, 5, 6, 7, 8],
          "int16 keeps the low bytes: %s" % r.outputs["y_i16"].int_val)
    check(array_of(r.outputs["y_f16"]).flatten().tolist() == [1.0, 1.0, 2.0, 3.0, 4.0, 5.0],
          "half keeps the low 16 bits: %s" % r.outputs["y_f16"].half_val)


def perf_analyzer_request(name, dtypes, shapes, batch, seed):
    """A PredictRequest as perf_analyzer's tfserving client (PreRunProcessing) builds it from
    random data: name and signature_name in model_spec, each input's dtype and [batch] + shape,
    its values in the typed field; 8- and 16-bit values copied into an uninitialised int32 (the
    upper bytes are whatever was there: random here). Returns (request, {name: array})."""
    rng = np.random.default_rng(seed)
    q = tfs.PredictRequest(model_spec=tfs.ModelSpec(name=name, signature_name="serving_default"))
    arrays = {}
    for key, datatype in dtypes.items():
        shape = [batch] + shapes[key]
        t = q.inputs[key]
        t.dtype = tf.DataType.Value([k for k, v in PERF_ANALYZER_DTYPES.items()
                                     if v == datatype][0])
        for d in shape:
            t.tensor_shape.dim.add().size = d
        np_type, field = FIELDS[t.dtype]
        if datatype == "FP32":
            a = rng.uniform(-1, 1, shape).astype(np.float32)
            t.float_val.extend(a.flatten().tolist())
        elif datatype == "INT64":
            a = rng.integers(-100, 100, shape)
            t.bool_val.extend((a.flatten() != 0).tolist())  # perf_analyzer's add_bool_val
        elif datatype == "BOOL":
            a = rng.integers(0, 2, shape).astype(bool)
            t.bool_val.extend(a.flatten().tolist())
        elif datatype in ("FP16", "INT8", "UINT8", "INT16", "UINT16"):
            width = 1 if datatype in ("INT8", "UINT8") else 2
            a = (rng.uniform(-4, 4, shape).astype(np.float16) if datatype == "FP16"
                 else rng.integers(0, 1 << (8 * width), shape).astype(np.uint64).astype(np_type))
            low = np.frombuffer(a.tobytes(), dtype=np.uint8 if width == 1 else np.uint16)
            junk = rng.integers(0, 1 << (32 - 8 * width), low.size).astype(np.int64)
            words = (junk << (8 * width)) | low.astype(np.int64)
            getattr(t, field).extend(((words + 2 ** 31) % 2 ** 32 - 2 ** 31).tolist())
        else:
            a = rng.integers(0, 1000, shape).astype(np_type)
            getattr(t, field).extend(a.flatten().tolist())
        arrays[key] = a
    return q, arrays


def test_perf_analyzer(st, ref):
    """perf_analyzer's own calls: its metadata parse, then requests built its way, batch 1 and 4."""
    md = st.metadata(tfs.ModelSpec(name="mlp"))
    inputs = perf_analyzer_inputs(md, batch_size=1)
    for batch in (1, 4):
        q, arrays = perf_analyzer_request("mlp", {k: v[0] for k, v in inputs.items()},
                                          {k: v[1] for k, v in inputs.items()}, batch, seed=batch)
        r = st.predict(q)
        check(matches(array_of(r.outputs[MLP_OUT]).astype(np.float64), ref(arrays[MLP_IN])),
              "perf_analyzer request, batch %d" % batch)
    kinds = {k: v for k, v in perf_analyzer_inputs(st.metadata(spec("kinds"))).items()
             if v[0] != "BF16"}  # perf_analyzer refuses to fill BF16 itself
    q, arrays = perf_analyzer_request("kinds", {k: v[0] for k, v in kinds.items()},
                                      {k: v[1] for k, v in kinds.items()}, 2, seed=7)
    r = st.predict(predict_request("kinds", dict(q.inputs, x_bf16=tensor(
        np.zeros((2, 3), np.uint16), tf.DT_BFLOAT16))))
    for key, a in arrays.items():
        got = array_of(r.outputs["y" + key[1:]])
        same = (np.array_equal(got.view(np.uint16), a.view(np.uint16)) if a.dtype == np.float16
                else np.array_equal(got, a))
        check(same, "perf_analyzer %s: %s != %s" % (key, got, a))
    # Its INT64 inputs go in bool_val: refused, naming the field, where TF Serving reads zeros.
    q, _ = perf_analyzer_request("pair", {"a": "FP32", "b": "INT64"}, {"a": [3], "b": [3]}, 1, 1)
    expect_error(lambda: st.predict(q), grpc.StatusCode.INVALID_ARGUMENT,
                 "input 'b' is DT_INT64: its values go in int64_val (or tensor_content), got "
                 "bool_val")


def test_predict_errors(st):
    x = mlp_rows(2, seed=15)
    good = {MLP_IN: tensor(x, tf.DT_FLOAT)}
    bad = grpc.StatusCode.INVALID_ARGUMENT

    def call(inputs, **kw):
        return lambda: st.predict(predict_request(kw.pop("model", "mlp"), inputs, **kw))

    expect_error(lambda: st.predict(tfs.PredictRequest()), bad, "Missing ModelSpec")
    expect_error(call(good, model="nope"), grpc.StatusCode.NOT_FOUND, "nope")
    expect_error(call(good, version=9), grpc.StatusCode.NOT_FOUND, "mlp")
    expect_error(call(good, version=-2), grpc.StatusCode.NOT_FOUND, "version -2 of model mlp")
    q = predict_request("mlp", good)
    q.model_spec.version_label = "canary"
    expect_error(lambda: st.predict(q), grpc.StatusCode.NOT_FOUND, "no version label 'canary'")
    expect_error(call(good, signature="predict"), grpc.StatusCode.FAILED_PRECONDITION,
                 "Serving signature key \"predict\" not found")
    expect_error(call({}), bad, "Missing but required: {input}")
    expect_error(call(dict(good, extra=tensor(x, tf.DT_FLOAT))), bad,
                 "input tensor alias not found in signature: extra. Inputs expected to be in "
                 "the set {input}.")
    expect_error(call(good, output_filter=["nope"]), bad,
                 "output tensor alias not found in signature: nope")
    expect_error(call(good, output_filter=[MLP_OUT, MLP_OUT]), bad,
                 "duplicate output tensor alias: " + MLP_OUT)
    expect_error(call({MLP_IN: tensor(x, tf.DT_DOUBLE)}), bad,
                 "Expected input input to be DT_FLOAT but get DT_DOUBLE.")
    s = tf.TensorProto(dtype=tf.DT_STRING, string_val=[b"abc"])
    s.tensor_shape.dim.add(size=1)
    expect_error(call({MLP_IN: s}), bad, "dtype DT_STRING is not supported")
    expect_error(call({MLP_IN: tensor(x[:, :15], tf.DT_FLOAT)}), bad, "the model expects")
    expect_error(call({MLP_IN: tensor(x[0], tf.DT_FLOAT)}), bad, "the model expects")
    t = tensor(x, tf.DT_FLOAT)
    t.float_val.append(1.0)
    expect_error(call({MLP_IN: t}), bad, "float_val has 33 values, shape [2,16] holds 32")
    t = tensor(x, tf.DT_FLOAT, content=True)
    t.float_val.append(1.0)
    expect_error(call({MLP_IN: t}), bad, "both tensor_content and float_val")
    t = tensor(x, tf.DT_FLOAT, content=True)
    t.tensor_content = t.tensor_content[:-4]
    expect_error(call({MLP_IN: t}), bad, "tensor_content has 124 bytes")
    t = tensor(x, tf.DT_FLOAT)
    t.int64_val.append(1)
    expect_error(call({MLP_IN: t}), bad, "got int64_val")
    t = tensor(x, tf.DT_FLOAT)
    t.tensor_shape.unknown_rank = True
    expect_error(call({MLP_IN: t}), bad, "unknown_rank")
    t = tensor(x, tf.DT_FLOAT)
    t.tensor_shape.dim[0].size = -1
    expect_error(call({MLP_IN: t}), bad, "dim 0 is -1")
    t = tensor(x, tf.DT_FLOAT)
    t.version_number = 1
    expect_error(call({MLP_IN: t}), bad, "version_number")
    expect_error(call({MLP_IN: tensor(np.zeros((0, 16)), tf.DT_FLOAT)}), bad, "no rows")
    expect_error(call({"a": tensor(np.zeros((2, 3)), tf.DT_FLOAT),
                       "b": tensor(np.zeros((3, 3)), tf.DT_INT64)}, model="pair"), bad,
                 "share the batch dim")
    # --max-tensor-elements 2048: 129 rows of 16 are over it.
    expect_error(call({MLP_IN: tensor(mlp_rows(129, 1), tf.DT_FLOAT)}), bad, "limit")
    # Over --max-body-bytes (1 MiB): the core refuses the message.
    expect_error(call({MLP_IN: tensor(np.zeros((32, 16 * 600)), tf.DT_FLOAT, content=True)}),
                 grpc.StatusCode.RESOURCE_EXHAUSTED)
    expect_error(lambda: st.raw(PREDICT, b"\xff\xff\xff"), bad,
                 "not a valid tensorflow.serving.PredictRequest")
    expect_error(lambda: st.raw("/tensorflow.serving.PredictionService/Classify", b""),
                 grpc.StatusCode.UNIMPLEMENTED, "Classify")
    # The server's fault: an output whose batch cannot be split back (flatten), INTERNAL.
    expect_error(lambda: st.predict(predict_request(
        "flatten", {"x": tensor(np.ones((2, 4)), tf.DT_FLOAT)})), grpc.StatusCode.INTERNAL,
        "cannot be split between requests")


def test_queue(st):
    """tiny holds one pending request for a second; slow waits 1.5 s for company."""
    x = {MLP_IN: tensor(mlp_rows(1, 16), tf.DT_FLOAT)}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(st.predict, predict_request("tiny", x))
        time.sleep(0.3)
        expect_error(lambda: st.predict(predict_request("tiny", x)),
                     grpc.StatusCode.RESOURCE_EXHAUSTED, "queue is full")
        check(MLP_OUT in first.result().outputs, "the queued request still runs")
    expect_error(lambda: st.predict(predict_request("slow", x), timeout=0.3),
                 grpc.StatusCode.DEADLINE_EXCEEDED)
    check(MLP_OUT in st.predict(predict_request("slow", x), timeout=10).outputs,
          "a request within its deadline runs")


def test_wire(st, ref):
    """Hand-encoded requests with TF Serving's field numbers; answers decoded by hand."""
    x = mlp_rows(3, seed=17)
    body = (wire_spec(F_REQ_SPEC, "mlp", version=1, signature="serving_default") +
            wire_input(MLP_IN, wire_tensor(DT_FLOAT, [3, 16], float_values=x.flatten().tolist())) +
            text(F_REQ_FILTER, MLP_OUT))
    resp = decode(st.raw(PREDICT, body))
    outputs = wire_map(resp.get(F_RESP_OUTPUTS, []))
    spec_fields = decode(resp[F_RESP_SPEC][0])
    check(list(outputs) == [MLP_OUT], "the answer's outputs map: %r" % list(outputs))
    out = decode(outputs.get(MLP_OUT, b""))
    got = np.asarray(wire_floats(out), dtype=np.float64).reshape(wire_dims(out[F_T_SHAPE][0]))
    check(out[F_T_DTYPE] == [DT_FLOAT] and matches(got, ref(x)), "wire Predict: %s" % got)
    check(spec_fields[F_SPEC_NAME] == [b"mlp"] and spec_fields[F_SPEC_SIG] == [b"serving_default"]
          and decode(spec_fields[F_SPEC_VERSION][0])[F_INT64VALUE] == [1],
          "wire model_spec %r" % spec_fields)
    # Two inputs, one as raw tensor_content, one as int64_val (packed varints).
    a = np.asarray([[1.5, -2.0, 3.25]], dtype=np.float32)
    b = [7, -8, 9]
    body = (wire_spec(F_REQ_SPEC, "pair") +
            wire_input("a", wire_tensor(DT_FLOAT, [1, 3], content=a.astype("<f4").tobytes())) +
            wire_input("b", wire_tensor(DT_INT64, [1, 3], int64_values=b)))
    outputs = wire_map(decode(st.raw(PREDICT, body))[F_RESP_OUTPUTS])
    values = wire_int64s(decode(outputs["twice"]))
    check(values == [14, -16, 18] and wire_floats(decode(outputs["sum"])) == [8.5, -10.0, 12.25],
          "wire pair: %r %r" % (values, wire_floats(decode(outputs["sum"]))))
    # GetModelMetadata: the Any, the SignatureDefMap inside it, one TensorInfo.
    body = wire_spec(F_MD_SPEC, "pair") + text(F_MD_FIELD, "signature_def")
    resp = decode(st.raw(METADATA, body))
    meta = wire_map(resp[F_MD_METADATA])
    any_ = decode(meta["signature_def"])
    check(any_[F_ANY_URL] == [b"type.googleapis.com/tensorflow.serving.SignatureDefMap"],
          "wire type_url %r" % any_.get(F_ANY_URL))
    sig = decode(wire_map(decode(any_[F_ANY_VALUE][0])[F_SDM_SIGS])["serving_default"])
    info = decode(wire_map(sig[F_SIG_INPUTS])["b"])
    check(sig[F_SIG_METHOD] == [b"tensorflow/serving/predict"] and
          sorted(wire_map(sig[F_SIG_OUTPUTS])) == ["sum", "twice"] and
          info[F_INFO_NAME] == [b"b"] and info[F_INFO_DTYPE] == [DT_INT64] and
          wire_dims(info[F_INFO_SHAPE][0]) == [-1, 3], "wire signature %r" % info)
    # GetModelStatus.
    resp = decode(st.raw(STATUS, wire_spec(1, "mlp")))
    vs = decode(resp[F_ST_VERSIONS][0])
    check(len(resp[F_ST_VERSIONS]) == 1 and vs[F_VS_VERSION] == [1] and
          vs[F_VS_STATE] == [STATE_AVAILABLE], "wire status %r" % vs)
    # What inferd's stubs cannot send: a repeated map key, fields inferd does not read.
    one = wire_tensor(DT_FLOAT, [1, 16], float_values=[0.0] * 16)
    expect_error(lambda: st.raw(PREDICT, wire_spec(F_REQ_SPEC, "mlp") + wire_input(MLP_IN, one) +
                                wire_input(MLP_IN, one)),
                 grpc.StatusCode.INVALID_ARGUMENT, "input 'input' is given twice")
    expect_error(lambda: st.raw(PREDICT, wire_spec(F_REQ_SPEC, "mlp") + wire_input(MLP_IN, one) +
                                msg(F_PREDICT_REQUEST_OPTIONS, b"")),
                 grpc.StatusCode.INVALID_ARGUMENT,
                 "field 7 of tensorflow.serving.PredictRequest is not supported")
    expect_error(lambda: st.raw(PREDICT, wire_spec(F_REQ_SPEC, "mlp") + wire_input(
        MLP_IN, one + msg(F_T_RESOURCE, b""))), grpc.StatusCode.INVALID_ARGUMENT,
        "input 'input': field 14 of tensorflow.TensorProto is not supported")
    expect_error(lambda: st.raw(PREDICT, wire_spec(F_REQ_SPEC, "mlp") + wire_input(
        MLP_IN, wire_tensor(DT_STRING, [1, 16]))), grpc.StatusCode.INVALID_ARGUMENT,
        "DT_STRING")


def test_health(s):
    """grpc.health.v1 answers for TF Serving's services too."""
    import health_pb2
    import health_pb2_grpc
    with grpc.insecure_channel("127.0.0.1:%d" % s.grpc_port) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        for service in ("tensorflow.serving.PredictionService", "tensorflow.serving.ModelService"):
            r = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT_S)
            check(r.status == health_pb2.HealthCheckResponse.SERVING, "%s serving" % service)


def test_restricted(repo):
    s = Server(repo, "--grpc-restricted-protocol", "inference:x-infer-key=" + INFER_KEY)
    st, keyed = Stubs(s), Stubs(s, metadata=[("x-infer-key", INFER_KEY)])
    try:
        q = predict_request("mlp", {MLP_IN: tensor(mlp_rows(1, 18), tf.DT_FLOAT)})
        expect_error(lambda: st.predict(q), grpc.StatusCode.PERMISSION_DENIED, "x-infer-key")
        check(MLP_OUT in keyed.predict(q).outputs, "Predict with the key")
        check(len(st.status(spec("mlp")).model_version_status) == 1, "GetModelStatus stays open")
        check(st.metadata(spec("mlp")).model_spec.name == "mlp", "GetModelMetadata stays open")
    finally:
        st.close()
        keyed.close()
        check(s.stop() == 0, "restricted server exits cleanly")


def test_fill_limit(repo):
    """Tensors filled from fewer values than they hold take at most --max-body-bytes together:
    memory the message did not carry."""
    s = Server(repo, "--max-body-bytes", "65536")
    st = Stubs(s)
    try:
        one = tf.TensorProto(dtype=tf.DT_FLOAT, float_val=[0.25])
        one.tensor_shape.dim.add(size=1024)   # 1024 x 16 floats: 64 KiB, the limit
        one.tensor_shape.dim.add(size=16)
        r = st.predict(predict_request("mlp", {MLP_IN: one}))
        check(array_of(r.outputs[MLP_OUT]).shape == (1024, 4), "64 KiB filled from one value")
        one.tensor_shape.dim[0].size = 1025
        expect_error(lambda: st.predict(predict_request("mlp", {MLP_IN: one})),
                     grpc.StatusCode.INVALID_ARGUMENT, "send every value")
    finally:
        st.close()
        check(s.stop() == 0, "fill-limit server exits cleanly")


def test_unavailable(repo):
    """Explicit model control: a model in the repository but not loaded is UNAVAILABLE."""
    s = Server(repo, "--model-control-mode", "explicit")
    st = Stubs(s)
    try:
        q = predict_request("mlp", {MLP_IN: tensor(mlp_rows(1, 19), tf.DT_FLOAT)})
        expect_error(lambda: st.predict(q), grpc.StatusCode.UNAVAILABLE, "not loaded")
        expect_error(lambda: st.metadata(spec("mlp")), grpc.StatusCode.UNAVAILABLE, "not loaded")
    finally:
        st.close()
        check(s.stop() == 0, "explicit-mode server exits cleanly")


def add_flatten(repo):
    """flatten: y = reshape(x, [-1]) loses the batch dim, so its batch cannot be split back
    (as in test_grpc_client.py)."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [1], [-1])
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])], "flatten",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])], [shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    os.makedirs(os.path.join(repo, "flatten", "1"))
    onnx.save(model, os.path.join(repo, "flatten", "1", "model.onnx"))
    with open(os.path.join(repo, "flatten", "config.json"), "w") as f:
        json.dump({"max_batch_size": 8}, f)


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-tfs-grpc-")
    try:
        repo, ref = make_repository(tmp)
        add_models(repo)
        add_flatten(repo)
        s = Server(repo, "--max-body-bytes", "1048576", "--max-tensor-elements",
                   str(ELEMENT_LIMIT))
        st, http = Stubs(s), Client(s.http_port)
        try:
            test_status(st)
            test_metadata(st)
            test_mlp(st, http, ref)
            test_split(st, http, ref)
            test_batching(st, http, ref)
            test_pair(st)
            test_whole(st)
            test_kinds(st)
            test_perf_analyzer(st, ref)
            test_predict_errors(st)
            test_queue(st)
            test_wire(st, ref)
            test_health(s)
        finally:
            st.close()
            http.close()
            check(s.stop() == 0, "server exits cleanly")
        test_restricted(repo)
        test_fill_limit(repo)
        test_unavailable(repo)
    finally:
        cleanup(tmp)
        shutil.rmtree(STUB_DIR, ignore_errors=True)
    print("%s: %d failed checks" % ("FAIL" if check.failures else "PASS", check.failures))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
