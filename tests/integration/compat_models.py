"""What the TF Serving and MindSpore REST tests share (not a test itself): a
repository with the example mlp and two small models built here with
onnx.helper, their numpy references, and a JSON client on http.client.

  pair   max_batch_size 4: a FP32 [batch, 3], b INT64 [batch, 3]
         -> sum FP32 = a + float(b), twice INT64 = b + b
  whole  max_batch_size 0: x FP32 [2, 3] -> y FP32 = 2 x [2, 3], total FP32 = sum(x) (a scalar)
"""
import http.client
import json
import os
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper

from inferd_server import CALL_TIMEOUT_S, mlp_repository


def _save(model_dir, graph, config):
    os.makedirs(os.path.join(model_dir, "1"))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, os.path.join(model_dir, "1", "model.onnx"))
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f)


def make_repository(tmp):
    """The mlp, pair and whole models in tmp/models; (path, mlp reference)."""
    repo, mlp_ref = mlp_repository(tmp)
    pair = helper.make_graph(
        [helper.make_node("Cast", ["b"], ["bf"], to=TensorProto.FLOAT),
         helper.make_node("Add", ["a", "bf"], ["sum"]),
         helper.make_node("Add", ["b", "b"], ["twice"])],
        "pair",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("b", TensorProto.INT64, ["batch", 3])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("twice", TensorProto.INT64, ["batch", 3])])
    _save(os.path.join(repo, "pair"), pair,
          {"max_batch_size": 4, "dynamic_batching": {"max_queue_delay_microseconds": 200}})
    whole = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["y"]),
         helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0)],
        "whole",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("total", TensorProto.FLOAT, [])])
    _save(os.path.join(repo, "whole"), whole, {"max_batch_size": 0})
    return repo, mlp_ref


def pair_reference(a, b):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.int64)
    return a + b.astype(np.float32), b + b


def whole_reference(x):
    x = np.asarray(x, dtype=np.float32)
    # float64 sum of six float32 values rounds once to float32: exact for the test's small integers.
    return x + x, np.float32(x.astype(np.float64).sum())


class Client:
    """JSON over one keep-alive http.client connection."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)

    def call(self, method, path, body=None, headers=None):
        """(status, parsed JSON body or None, content type)."""
        data = body if isinstance(body, (bytes, str)) or body is None else json.dumps(body)
        self.conn.request(method, path, data, headers or {})
        resp = self.conn.getresponse()
        raw = resp.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return resp.status, parsed, resp.getheader("Content-Type")

    def stats(self, model):
        """(inference_count, execution_count) of a model, from the KServe statistics endpoint."""
        _, body, _ = self.call("GET", "/v2/models/%s/stats" % model)
        s = body["model_stats"][0]
        return s["inference_count"], s["execution_count"]

    def kserve(self, model, inputs):
        """Outputs {name: array} of a KServe v2 infer request: the independent route."""
        req = {"inputs": [{"name": n, "shape": list(np.shape(v)), "datatype": d,
                           "data": np.asarray(v).flatten().tolist()} for n, d, v in inputs]}
        status, body, _ = self.call("POST", "/v2/models/%s/infer" % model, req)
        assert status == 200, body
        return {o["name"]: np.asarray(o["data"]).reshape(o["shape"]) for o in body["outputs"]}

    def close(self):
        self.conn.close()


def cleanup(tmp):
    shutil.rmtree(tmp, ignore_errors=True)
