#!/usr/bin/python3
"""The MindSpore Serving REST API (POST /model/{name}[/version/{n}]:predict)
against the real `inferd serve`, with Python's http.client.

- instances as lists and as {"b64", "type", "shape"} tensors, checked against
  numpy references computed from the models' definitions and against the
  same rows sent as KServe v2;
- with max_batch_size > 0 each instance is one row: 70 instances on a model
  of max_batch_size 32 are batched together and all answered, in order; with
  max_batch_size 0 an instance is the whole tensor, scalars come back bare;
- a mistake in one instance answers it with {"error_msg": ...} and the
  others still run; a call that is wrong as a whole (malformed JSON, no
  instances, unknown model, version or method, GET) is a 4xx with
  {"error_msg": ...}.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import base64
import sys
import tempfile

import numpy as np

from compat_models import Client, cleanup, make_repository, pair_reference, whole_reference
from inferd_server import MLP_IN, MLP_OUT, Checks, Server, matches, mlp_rows

check = Checks()
MLP = "/model/mlp:predict"


def call_error(status, body, want_status, needle):
    """A call refused as a whole: want_status and {"error_msg": ...} holding needle."""
    ok = (status == want_status and isinstance(body, dict) and list(body) == ["error_msg"]
          and needle in body["error_msg"])
    return check(ok, "want %d with %r, got %d %r" % (want_status, needle, status, body))


def instance_error(answer, needle):
    ok = isinstance(answer, dict) and list(answer) == ["error_msg"] and needle in answer["error_msg"]
    return check(ok, "want an instance error with %r, got %r" % (needle, answer))


def b64(array, type_name, shape=None):
    obj = {"b64": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode(),
           "type": type_name}
    if shape is not None:
        obj["shape"] = shape
    return obj


def test_mlp(c, ref):
    x = mlp_rows(70, seed=11)
    want = ref(x)
    before = c.stats("mlp")
    status, body, ctype = c.call("POST", MLP, {"instances": [{MLP_IN: r} for r in x.tolist()]})
    after = c.stats("mlp")
    check(status == 200 and ctype == "application/json", "70 instances: %d %s" % (status, ctype))
    answers = body["instances"] if status == 200 else []
    got = np.asarray([a[MLP_OUT] for a in answers]) if len(answers) == 70 else None
    check(matches(got, want), "70 instances match the reference, in order")
    check(after[0] - before[0] == 70 and after[1] - before[1] >= 3,
          "70 rows in at least 3 executions: %r -> %r" % (before, after))
    kserve = c.kserve("mlp", [(MLP_IN, "FP32", x[:8])])[MLP_OUT]
    check(got is not None and np.array_equal(got[:8], kserve), "equals KServe v2")
    # One instance as a bare object; versions 1 and 0 (latest); b64 float32 rows.
    status, body, _ = c.call("POST", "/model/mlp/version/1:predict",
                             {"instances": {MLP_IN: x[0].tolist()}})
    check(status == 200 and len(body["instances"]) == 1 and
          np.array_equal(np.asarray(body["instances"][0][MLP_OUT]), got[0]), "single object")
    status, body, _ = c.call("POST", "/model/mlp/version/0:predict",
                             {"instances": [{MLP_IN: b64(x[i].astype("<f4"), "fp32", [16])}
                                            for i in range(3)]})
    check(status == 200 and np.array_equal(
        np.asarray([a[MLP_OUT] for a in body["instances"]]), got[:3]), "b64 fp32 rows")


def test_instance_errors(c):
    x = mlp_rows(3, seed=12).tolist()
    bad = [
        ({MLP_IN: x[0][:15]}, "the model expects"),
        ({MLP_IN: [x[0], x[0][:15]]}, "ragged"),
        ({MLP_IN: [int(v) for v in range(16)]}, "write it with a decimal point"),
        ({MLP_IN: [0.5] * 15 + [1]}, "is an integer"),
        ({MLP_IN: None}, "null"),
        ({MLP_IN: "abc"}, "no string tensors"),
        ({MLP_IN: []}, "shape is empty"),
        ({"nope": x[0]}, "unknown input 'nope'"),
        ({}, "missing input 'input'"),
        ({MLP_IN: {"b64": "AAAA"}}, "no string tensors"),
        ({MLP_IN: b64(np.zeros(16, "<i4"), "int32", [16])}, "does not match the input's float32"),
        ({MLP_IN: b64(np.zeros(15, "<f4"), "fp32", [16])}, "size is not matched"),
        ({MLP_IN: b64(np.zeros(16, "<f4"), "fp32")}, "size is not matched"),
        ({MLP_IN: {"b64": "!!!!", "type": "fp32", "shape": [1]}}, "not valid base64"),
        ({MLP_IN: {"b64": "AAAAAA==", "type": "fp32", "shape": [16], "x": 1}}, "unknown key 'x'"),
        ({MLP_IN: {"b64": "AAAAAA==", "type": "fp8"}}, "unknown b64 type 'fp8'"),
    ]
    instances = []
    for inst, _ in bad:
        instances += [{MLP_IN: x[1]}, inst]
    status, body, _ = c.call("POST", MLP, {"instances": instances})
    if not check(status == 200 and len(body["instances"]) == 2 * len(bad), "mixed: %d" % status):
        return
    good = body["instances"][0::2]
    check(all(a == good[0] and MLP_OUT in a for a in good), "the good instances still run")
    for answer, (_, needle) in zip(body["instances"][1::2], bad):
        instance_error(answer, needle)


def test_pair_and_whole(c):
    rng = np.random.default_rng(13)
    a = rng.uniform(-4, 4, size=(10, 3)).astype(np.float32)
    b = rng.integers(-1000, 1000, size=(10, 3))
    want_sum, want_twice = pair_reference(a, b)
    inst = [{"a": a[i].tolist(), "b": b[i].tolist()} for i in range(9)]
    inst.append({"a": b64(a[9].astype("<f4"), "float32", [3]), "b": b64(b[9].astype("<i8"),
                                                                          "int64", [3])})
    status, body, _ = c.call("POST", "/model/pair:predict", {"instances": inst})
    if check(status == 200 and len(body["instances"]) == 10, "pair: %d %r" % (status, body)):
        ans = body["instances"]
        check(np.array_equal(np.asarray([r["sum"] for r in ans], dtype=np.float32), want_sum),
              "pair sum")
        check(np.array_equal(np.asarray([r["twice"] for r in ans]), want_twice), "pair twice")
    x = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [[-1.5, 0.0, 2.5], [8.0, 9.0, 10.0]]]
    status, body, _ = c.call("POST", "/model/whole:predict", {"instances": [{"x": v} for v in x]})
    if check(status == 200 and len(body["instances"]) == 2, "whole: %d %r" % (status, body)):
        for v, answer in zip(x, body["instances"]):
            y, total = whole_reference(v)
            check(np.array_equal(np.asarray(answer["y"]), y) and answer["total"] == total,
                  "whole instance %r -> %r" % (v, answer))
    status, body, _ = c.call("POST", "/model/whole:predict", {"instances": [{"x": x[0][0]}]})
    check(status == 200, "whole, wrong shape: %d" % status)
    instance_error(body["instances"][0], "the model expects [2,3]")


def test_call_errors(c):
    row = mlp_rows(1, seed=14)[0].tolist()
    call_error(*c.call("POST", MLP, "{\"instances\": [")[:2], 400, "Parse request failed")
    call_error(*c.call("POST", MLP, "")[:2], 400, "empty")
    call_error(*c.call("POST", MLP, {"inputs": [row]})[:2], 400, "'instances' expects to exist")
    call_error(*c.call("POST", MLP, {"instances": [{MLP_IN: row}], "x": 1})[:2], 400,
               "'instances' expects to exist")
    call_error(*c.call("POST", MLP, {"instances": []})[:2], 400, "empty")
    call_error(*c.call("POST", MLP, {"instances": [row]})[:2], 400, "no key mode")
    call_error(*c.call("POST", MLP, {"instances": [{MLP_IN: row}] * 4097})[:2], 400,
               "over the limit of 4096")
    call_error(*c.call("POST", "/model/nope:predict", {"instances": [{MLP_IN: row}]})[:2], 404,
               "nope")
    call_error(*c.call("POST", "/model/mlp/version/5:predict", {"instances": [{MLP_IN: row}]})[:2],
               404, "mlp")
    call_error(*c.call("POST", "/model/mlp:train", {"instances": [{MLP_IN: row}]})[:2], 400,
               "method 'train' is not available")
    call_error(*c.call("GET", MLP)[:2], 400, "only support POST")
    call_error(*c.call("POST", "/model/mlp/version/x:predict", {})[:2], 400, "/model/{name}")
    call_error(*c.call("POST", "/model/mlp", {})[:2], 400, "/model/{name}")


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-ms-")
    try:
        repo, ref = make_repository(tmp)
        s = Server(repo)
        c = Client(s.http_port)
        try:
            test_mlp(c, ref)
            test_instance_errors(c)
            test_pair_and_whole(c)
            test_call_errors(c)
        finally:
            c.close()
            check(s.stop() == 0, "server exits cleanly")
    finally:
        cleanup(tmp)
    print("%s: %d failed checks" % ("FAIL" if check.failures else "PASS", check.failures))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
