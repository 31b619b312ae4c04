#!/usr/bin/python3
"""The TF Serving REST API (/v1/models/...) against the real `inferd serve`,
with Python's http.client as a TF Serving client would send it.

- model status and metadata in TF Serving's JSON, 404 for unknown models,
  versions and labels, 400 for malformed paths;
- :predict in the row ("instances") and columnar ("inputs") forms, with one
  input (bare values) and several (objects by name), one output (bare
  lists) and several (objects), checked against numpy references computed
  from the models' definitions and against the same request sent as KServe
  v2; more rows than max_batch_size are split into batches and all answered;
- errors as {"error": ...} with TF Serving's codes: malformed JSON, both or
  neither of instances/inputs, ragged lists, wrong shapes, dtype mismatches,
  {"b64": ...} on a numeric input, unknown signatures, :classify/:regress
  (501), the row form of a scalar output, the restricted inference API (403).

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import sys
import tempfile

import numpy as np

from compat_models import Client, cleanup, make_repository, pair_reference, whole_reference
from inferd_server import MLP_IN, MLP_OUT, Checks, Server, matches, mlp_rows

check = Checks()
INFER_KEY = "tfs-test-key"


def error_of(status, body, want_status, needle):
    """The answer is {"error": ...} only, with want_status and needle in the message."""
    ok = (status == want_status and isinstance(body, dict) and list(body) == ["error"]
          and needle in body["error"])
    return check(ok, "want %d with %r, got %d %r" % (want_status, needle, status, body))


def test_status(c):
    status, body, ctype = c.call("GET", "/v1/models/mlp")
    check(status == 200 and ctype == "application/json", "status: %d %s" % (status, ctype))
    check(body == {"model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {
        "error_code": "OK", "error_message": ""}}]}, "status body: %r" % body)
    status, body, _ = c.call("GET", "/v1/models/mlp/versions/1")
    check(status == 200 and body["model_version_status"][0]["version"] == "1", "version 1")
    error_of(*c.call("GET", "/v1/models/mlp/versions/7")[:2], 404, "version 7 of model mlp")
    error_of(*c.call("GET", "/v1/models/nope")[:2], 404, "model nope")
    error_of(*c.call("GET", "/v1/models/mlp/labels/stable")[:2], 404, "label 'stable'")
    error_of(*c.call("GET", "/v1/models")[:2], 400, "Missing model name")
    error_of(*c.call("POST", "/v1/models/mlp/metadata", {})[:2], 400, "Malformed request")
    error_of(*c.call("GET", "/v1/models/mlp/versions/x")[:2], 400, "Malformed request")
    error_of(*c.call("POST", "/v1/models/mlp/versions/1/labels/x:predict", {})[:2], 400,
             "Malformed request")


def test_metadata(c):
    status, body, _ = c.call("GET", "/v1/models/pair/metadata")
    check(status == 200, "metadata status %d" % status)
    spec = body["model_spec"]
    check(spec == {"name": "pair", "signature_name": "", "version": "1"}, "model_spec %r" % spec)
    sig = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    check(sig["method_name"] == "tensorflow/serving/predict", "method_name")
    a, twice = sig["inputs"]["a"], sig["outputs"]["twice"]
    check(a["dtype"] == "DT_FLOAT" and sig["inputs"]["b"]["dtype"] == "DT_INT64", "input dtypes")
    check([d["size"] for d in a["tensor_shape"]["dim"]] == ["-1", "3"], "a dims %r" % a)
    check(twice["dtype"] == "DT_INT64" and twice["name"] == "twice", "twice %r" % twice)
    status, body, _ = c.call("GET", "/v1/models/whole/versions/1/metadata")
    sig = body["metadata"]["signature_def"]["signature_def"]["serving_default"]
    check(status == 200 and [d["size"] for d in sig["inputs"]["x"]["tensor_shape"]["dim"]] ==
          ["2", "3"], "whole dims %r" % sig)
    check(sig["outputs"]["total"]["tensor_shape"]["dim"] == [], "scalar output dims")
    error_of(*c.call("GET", "/v1/models/nope/metadata")[:2], 404, "nope")


def test_mlp(c, ref):
    x = mlp_rows(5, seed=1)
    want = ref(x)
    status, body, _ = c.call("POST", "/v1/models/mlp:predict", {"instances": x.tolist()})
    got = np.asarray(body["predictions"]) if status == 200 else None
    check(matches(got, want), "row form: %d %r" % (status, body))
    kserve = c.kserve("mlp", [(MLP_IN, "FP32", x)])[MLP_OUT]
    check(got is not None and np.array_equal(got, kserve), "row form equals KServe v2")
    status, body, _ = c.call("POST", "/v1/models/mlp/versions/1:predict",
                             {"signature_name": "serving_default", "inputs": x.tolist()})
    got = np.asarray(body["outputs"]) if status == 200 else None
    check(got is not None and np.array_equal(got, kserve), "columnar form: %d %r" % (status, body))
    # Named single input, and TF Serving's case-insensitive words.
    status, body, _ = c.call("POST", "/V1/MODELS/mlp:PREDICT",
                             {"instances": [{MLP_IN: r} for r in x.tolist()]})
    check(status == 200 and np.array_equal(np.asarray(body["predictions"]), kserve),
          "named rows: %d" % status)
    status, body, _ = c.call("POST", "/v1/models/mlp:predict", {"inputs": {MLP_IN: x.tolist()}})
    check(status == 200 and np.array_equal(np.asarray(body["outputs"]), kserve), "named columns")


def test_split(c, ref):
    """70 rows on max_batch_size 32: three batches or more, every row answered in order."""
    x = mlp_rows(70, seed=2)
    before = c.stats("mlp")
    status, body, _ = c.call("POST", "/v1/models/mlp:predict", {"instances": x.tolist()})
    after = c.stats("mlp")
    got = np.asarray(body["predictions"]) if status == 200 else None
    check(matches(got, ref(x)), "70 rows: %d" % status)
    check(after[0] - before[0] == 70 and after[1] - before[1] >= 3,
          "70 inferences in at least 3 executions: %r -> %r" % (before, after))
    status, body, _ = c.call("POST", "/v1/models/mlp:predict", {"inputs": x.tolist()})
    check(status == 200 and matches(np.asarray(body["outputs"]), ref(x)), "70 rows columnar")


def test_pair(c):
    rng = np.random.default_rng(3)
    a = rng.uniform(-4, 4, size=(9, 3)).astype(np.float32)
    b = rng.integers(-1000, 1000, size=(9, 3))
    want_sum, want_twice = pair_reference(a, b)
    rows = [{"a": a[i].tolist(), "b": b[i].tolist()} for i in range(9)]
    status, body, _ = c.call("POST", "/v1/models/pair:predict", {"instances": rows})
    if check(status == 200, "pair rows: %d %r" % (status, body)):
        preds = body["predictions"]
        check(len(preds) == 9 and all(set(p) == {"sum", "twice"} for p in preds), "row objects")
        check(np.array_equal(np.asarray([p["sum"] for p in preds], dtype=np.float32), want_sum),
              "pair sum")
        check(np.array_equal(np.asarray([p["twice"] for p in preds]), want_twice), "pair twice")
        check(all(isinstance(v, int) for p in preds for v in p["twice"]), "INT64 as integers")
    status, body, _ = c.call("POST", "/v1/models/pair:predict",
                             {"inputs": {"a": a.tolist(), "b": b.tolist()}})
    if check(status == 200, "pair columns: %d %r" % (status, body)):
        out = body["outputs"]
        check(np.array_equal(np.asarray(out["sum"], dtype=np.float32), want_sum) and
              np.array_equal(np.asarray(out["twice"]), want_twice), "pair columnar outputs")
    kserve = c.kserve("pair", [("a", "FP32", a[:4]), ("b", "INT64", b[:4])])
    check(np.array_equal(np.asarray(body["outputs"]["sum"])[:4], kserve["sum"]),
          "pair equals KServe v2")


def test_whole(c):
    x = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    y, total = whole_reference(x)
    status, body, _ = c.call("POST", "/v1/models/whole:predict", {"inputs": {"x": x}})
    check(status == 200 and np.array_equal(np.asarray(body["outputs"]["y"]), y) and
          body["outputs"]["total"] == total, "whole columnar: %d %r" % (status, body))
    # Rows stack into the whole [2, 3] input; the scalar output has no row to give back.
    error_of(*c.call("POST", "/v1/models/whole:predict", {"instances": x})[:2], 400,
             "no shape information")
    error_of(*c.call("POST", "/v1/models/whole:predict", {"instances": [[1.0, 2.0, 3.0]]})[:2],
             400, "shape [1,3]")


def test_errors(c):
    row = mlp_rows(1, seed=4)[0].tolist()
    p = "/v1/models/mlp:predict"
    error_of(*c.call("POST", p, "{\"instances\": [")[:2], 400, "malformed JSON")
    error_of(*c.call("POST", p, "")[:2], 400, "malformed JSON")
    error_of(*c.call("POST", p, [row])[:2], 400, "must be a JSON object")
    error_of(*c.call("POST", p, {"instances": [row], "inputs": [row]})[:2], 400,
             "only one of 'inputs' or 'instances'")
    error_of(*c.call("POST", p, {"signature_name": "serving_default"})[:2], 400,
             "Missing 'inputs' or 'instances' key")
    error_of(*c.call("POST", p, {"instances": []})[:2], 400, "No values in 'instances'")
    error_of(*c.call("POST", p, {"instances": row})[:2], 400, "shape")
    error_of(*c.call("POST", p, {"instances": [row[:15]]})[:2], 400, "the model expects")
    error_of(*c.call("POST", p, {"instances": [row, row[:15]]})[:2], 400, "Expecting shape")
    error_of(*c.call("POST", p, {"inputs": [row, row[:15]]})[:2], 400, "ragged")
    error_of(*c.call("POST", p, {"inputs": [[row]]})[:2], 400, "the model expects")
    error_of(*c.call("POST", p, {"instances": [[True] * 16]})[:2], 400, "is a boolean")
    error_of(*c.call("POST", p, {"instances": [[{"b64": "AAAA"}] * 16]})[:2], 400,
             "only for string (DT_STRING) inputs")
    error_of(*c.call("POST", p, {"instances": [{"b64": "AAAA"}]})[:2], 400, "DT_FLOAT")
    error_of(*c.call("POST", p, {"signature_name": "other", "instances": [row]})[:2], 400,
             "Serving signature name: \"other\" not found")
    error_of(*c.call("POST", p, {"signature_name": 3, "instances": [row]})[:2], 400,
             "must be a string")
    error_of(*c.call("POST", p, {"instances": [row], "output_filter": ["x"]})[:2], 400,
             "unknown key 'output_filter'")
    error_of(*c.call("POST", p, {"inputs": {"nope": [row]}})[:2], 400, "unknown input 'nope'")
    error_of(*c.call("POST", "/v1/models/nope:predict", {"instances": [row]})[:2], 404, "nope")
    error_of(*c.call("POST", "/v1/models/mlp/versions/9:predict", {"instances": [row]})[:2], 404,
             "mlp")
    error_of(*c.call("POST", "/v1/models/mlp:classify", {"examples": []})[:2], 501, ":classify")
    error_of(*c.call("POST", "/v1/models/mlp:regress", {"examples": []})[:2], 501, ":regress")
    error_of(*c.call("POST", "/v1/models/mlp:explain", {})[:2], 400, "Malformed request")
    pair = "/v1/models/pair:predict"
    ab = {"a": [1.0, 2.0, 3.0], "b": [1, 2, 3]}
    error_of(*c.call("POST", pair, {"instances": [[1.0, 2.0, 3.0]]})[:2], 400,
             "instances is a plain list")
    error_of(*c.call("POST", pair, {"instances": [ab, [1.0, 2.0, 3.0]]})[:2], 400,
             "Expecting object but got list at item 1")
    error_of(*c.call("POST", pair, {"instances": [{"a": ab["a"]}]})[:2], 400,
             "keys must be equal to: a,b")
    error_of(*c.call("POST", pair, {"instances": [dict(ab, b=[1.5, 2, 3])]})[:2], 400,
             "element 0 is a real")
    error_of(*c.call("POST", pair, {"instances": [dict(ab, b=[1, 2, 2 ** 63])]})[:2], 400,
             "malformed JSON")
    error_of(*c.call("POST", pair, {"inputs": {"a": [ab["a"]]}})[:2], 400,
             "Missing named input: b")
    error_of(*c.call("POST", pair, {"inputs": {"a": [ab["a"]], "b": [ab["b"]] * 2}})[:2], 400,
             "share the batch dim")
    error_of(*c.call("POST", pair, {"inputs": [ab["a"]]})[:2], 400, "the model has 2 inputs")
    # 4097 rows on max_batch_size 4 need more than 1024 batches.
    error_of(*c.call("POST", pair, {"instances": [ab] * 4097})[:2], 400, "more than 1024 batches")
    status, body, _ = c.call("POST", pair, {"instances": [ab] * 4096})
    check(status == 200 and len(body["predictions"]) == 4096, "4096 rows: %d" % status)


def test_restricted(repo):
    s = Server(repo, "--http-restricted-api", "inference:x-infer-key=" + INFER_KEY)
    c = Client(s.http_port)
    try:
        row = mlp_rows(1, seed=5)[0].tolist()
        error_of(*c.call("POST", "/v1/models/mlp:predict", {"instances": [row]})[:2], 403,
                 "x-infer-key")
        status, _, _ = c.call("POST", "/v1/models/mlp:predict", {"instances": [row]},
                              {"x-infer-key": INFER_KEY})
        check(status == 200, "with the key: %d" % status)
        check(c.call("GET", "/v1/models/mlp")[0] == 200, "status stays open")
    finally:
        c.close()
        check(s.stop() == 0, "restricted server exits cleanly")


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-tfs-")
    try:
        repo, ref = make_repository(tmp)
        s = Server(repo)
        c = Client(s.http_port)
        try:
            test_status(c)
            test_metadata(c)
            test_mlp(c, ref)
            test_split(c, ref)
            test_pair(c)
            test_whole(c)
            test_errors(c)
        finally:
            c.close()
            check(s.stop() == 0, "server exits cleanly")
        test_restricted(repo)
    finally:
        cleanup(tmp)
    print("%s: %d failed checks" % ("FAIL" if check.failures else "PASS", check.failures))
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
