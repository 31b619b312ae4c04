#!/usr/bin/python3
"""Restricted APIs (--http-restricted-api, --grpc-restricted-protocol) against
the real `inferd serve`:

- a restricted category answers 403 with {"error": ...} over HTTP and
  PERMISSION_DENIED over gRPC without its header, with a wrong value (same
  length, a prefix, longer, another category's value), and serves with it;
  HTTP header names match in any case; the categories left open need nothing;
- with every category restricted, every REST route and every RPC of the
  .proto services is refused without the header and served with it (so each
  has a category), while unknown paths and methods stay 404 / UNIMPLEMENTED;
- the settings come from flags, INFERD_* variables and the config file;
- malformed entries and a category restricted twice stop the server at
  start with a clear message;
- no value ever appears in the log (debug level) or in a startup error.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import http.client
import json
import shutil
import sys
import tempfile

from inferd_server import (CALL_TIMEOUT_S, Checks, Server, grpc, health_pb2, infer_json,
                           infer_message, json_outputs, matches, message_outputs, mlp_repository,
                           mlp_rows, pb, pbg, run_serve)

check = Checks()

# The secrets; each differs from the others, so a mix-up shows. All share a marker.
MARK = "Sekr1t"
HTTP_ADMIN = MARK + "-http-admin-7f3a9c"
HTTP_INFER = MARK + "-http-infer-01b2"
GRPC_ADMIN = MARK + "-grpc-admin-55d0e1"
GRPC_INFER = MARK + "-grpc-infer-9e"
ALL_VALUE = MARK + "-all/+=:"
ALL_CATEGORIES = ("health,metadata,inference,shared-memory,model-config,model-repository,"
                  "statistics,logging")

# Every REST route: (method, path, body, status with the header), load first (explicit model
# control starts empty). The shared memory routes are reached without a region registered.
ROUTES = [
    ("POST", "/v2/repository/models/mlp/load", {}, 200),
    ("GET", "/v2", None, 200),
    ("GET", "/v2/health/live", None, 200),
    ("GET", "/v2/health/ready", None, 200),
    ("GET", "/v2/models/stats", None, 200),
    ("GET", "/v2/models/mlp", None, 200),
    ("GET", "/v2/models/mlp/versions/1", None, 200),
    ("GET", "/v2/models/mlp/ready", None, 200),
    ("GET", "/v2/models/mlp/config", None, 200),
    ("GET", "/v2/models/mlp/stats", None, 200),
    ("POST", "/v2/models/mlp/infer", "INFER", 200),
    ("POST", "/v2/repository/index", {}, 200),
    ("POST", "/v2/repository/models/mlp/unload", {}, 200),
    ("GET", "/v2/systemsharedmemory/status", None, 200),
    ("GET", "/v2/systemsharedmemory/region/r0/status", None, 404),
    ("POST", "/v2/systemsharedmemory/region/r0/register",
     {"key": "/inferd-restricted-no-such-object", "byte_size": 8}, 400),
    ("POST", "/v2/systemsharedmemory/region/r0/unregister", None, 200),
    ("POST", "/v2/systemsharedmemory/unregister", None, 200),
    ("GET", "/v2/cudasharedmemory/status", None, 501),
    ("GET", "/v2/cudasharedmemory/region/r0/status", None, 501),
    ("POST", "/v2/cudasharedmemory/region/r0/register", {}, 501),
    ("POST", "/v2/cudasharedmemory/region/r0/unregister", None, 501),
    ("POST", "/v2/cudasharedmemory/unregister", None, 501),
]


def rest(port, method, path, body=None, headers=None):
    """One request on a new connection: (status, parsed JSON body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    data = None if body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json"}
    hdrs.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, None
    finally:
        conn.close()


def grpc_code(fn):
    """The status code of fn()'s call: OK when it returned."""
    try:
        fn()
        return grpc.StatusCode.OK, ""
    except grpc.RpcError as e:
        return e.code(), e.details() or ""


def no_secret_in(text, what):
    check(MARK not in text, "%s holds a restricted-API value" % what)


def test_one_server(tmp, repo, reference):
    grpc_env = {"INFERD_GRPC_RESTRICTED_PROTOCOL":
                "model-repository,shared-memory:admin-key=%s inference:Infer-Key=%s"
                % (GRPC_ADMIN, GRPC_INFER)}
    s = Server(repo, "--model-control-mode", "explicit", "--log-level", "debug",
               "--http-restricted-api", "model-repository,shared-memory:Admin-Key=" + HTTP_ADMIN,
               "--http-restricted-api=inference:x-infer-key=" + HTTP_INFER, env=grpc_env)
    try:
        port = s.http_port
        x = mlp_rows(3, seed=1)
        want = reference(x)

        # model-repository: 403 without the header or with any other value
        wrongs = [None, "", HTTP_ADMIN[:-1], HTTP_ADMIN + "0", HTTP_ADMIN[:-1] + "X",
                  HTTP_ADMIN.upper(), HTTP_INFER, GRPC_ADMIN]
        for value in wrongs:
            headers = {} if value is None else {"Admin-Key": value}
            status, body = rest(port, "POST", "/v2/repository/index", {}, headers)
            check(status == 403, "index with admin-key %r: %s" % (value, status))
            if value is None:
                check(isinstance(body, dict) and "admin-key" in body.get("error", "")
                      and "model-repository" in body["error"], "403 body: %r" % body)
        for name in ("Admin-Key", "admin-key", "ADMIN-KEY"):
            status, body = rest(port, "POST", "/v2/repository/index", {}, {name: HTTP_ADMIN})
            check(status == 200 and isinstance(body, list),
                  "index with header %s: %s %r" % (name, status, body))
        # a restricted path with the wrong method is refused before it is routed further
        check(rest(port, "GET", "/v2/repository/index")[0] == 403, "GET index without the header")
        check(rest(port, "GET", "/v2/repository/index", headers={"admin-key": HTTP_ADMIN})[0]
              == 405, "GET index with the header: 405")
        # load and unload (explicit model control starts with nothing loaded): refused
        # without the header, which changes nothing, served with it
        admin = {"admin-key": HTTP_ADMIN}
        check(rest(port, "POST", "/v2/repository/models/mlp/load", {})[0] == 403,
              "load without the header")
        check(rest(port, "GET", "/v2/models/mlp/ready")[0] != 200, "mlp not loaded")
        check(rest(port, "POST", "/v2/repository/models/mlp/load", {}, admin)[0] == 200,
              "load with the header")
        check(rest(port, "POST", "/v2/repository/models/mlp/unload", {})[0] == 403,
              "unload without the header")
        check(rest(port, "GET", "/v2/models/mlp/ready")[0] == 200, "mlp still loaded")
        check(rest(port, "POST", "/v2/repository/models/mlp/unload", {}, admin)[0] == 200,
              "unload with the header")
        check(rest(port, "GET", "/v2/models/mlp/ready")[0] != 200, "mlp unloaded")
        check(rest(port, "POST", "/v2/repository/models/mlp/load", {}, admin)[0] == 200,
              "load with the header again")
        check(rest(port, "GET", "/v2/models/mlp/ready")[0] == 200, "mlp loaded again")

        # inference: its own header; the admin one does not open it
        check(rest(port, "POST", "/v2/models/mlp/infer", infer_json(x))[0] == 403,
              "infer without the header")
        check(rest(port, "POST", "/v2/models/mlp/infer", infer_json(x), admin)[0] == 403,
              "infer with the admin header")
        check(rest(port, "POST", "/v2/models/mlp/infer", infer_json(x),
                   {"x-infer-key": HTTP_ADMIN})[0] == 403, "infer with the admin value")
        # a large body to a restricted route is refused, not read into memory
        big = {"inputs": [{"name": "input", "shape": [4096, 16], "datatype": "FP32",
                           "data": [0.5] * (4096 * 16)}]}
        try:
            status = rest(port, "POST", "/v2/models/mlp/infer", big)[0]
        except (BrokenPipeError, ConnectionResetError):
            # The 403 went out when the headers arrived, and the server may close before the
            # client has sent the whole body: refused either way.
            status = 403
        check(status == 403, "a large body refused: %s" % status)
        status, body = rest(port, "POST", "/v2/models/mlp/infer", infer_json(x),
                            {"X-Infer-Key": HTTP_INFER})
        check(status == 200 and matches(json_outputs(body), want),
              "infer with the header: %s, outputs match numpy" % status)

        # the other categories need nothing
        for path in ("/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/mlp",
                     "/v2/models/mlp/ready", "/v2/models/mlp/config", "/v2/models/stats",
                     "/v2/models/mlp/stats"):
            check(rest(port, "GET", path)[0] == 200, "open route GET %s" % path)
        check(rest(port, "GET", "/v2/nothing")[0] == 404, "no route: 404, not 403")

        # gRPC: the environment's entries, with their own values
        channel = grpc.insecure_channel("127.0.0.1:%d" % s.grpc_port)
        stub = pbg.GRPCInferenceServiceStub(channel)
        index = lambda md: stub.RepositoryIndex(pb.RepositoryIndexRequest(), metadata=md,
                                                timeout=CALL_TIMEOUT_S)
        for md in (None, [("admin-key", "")], [("admin-key", GRPC_ADMIN[:-1])],
                   [("admin-key", GRPC_ADMIN + "x")], [("admin-key", HTTP_ADMIN)],
                   [("infer-key", GRPC_ADMIN)]):
            code, details = grpc_code(lambda: index(md))
            check(code == grpc.StatusCode.PERMISSION_DENIED,
                  "RepositoryIndex with %r: %s" % (md and md[0][0], code))
            if md is None:
                check("admin-key" in details and "model-repository" in details,
                      "PERMISSION_DENIED message: %r" % details)
        check(grpc_code(lambda: index([("admin-key", GRPC_ADMIN)]))[0] == grpc.StatusCode.OK,
              "RepositoryIndex with the key")
        infer = lambda md: stub.ModelInfer(infer_message(x), metadata=md, timeout=CALL_TIMEOUT_S)
        check(grpc_code(lambda: infer(None))[0] == grpc.StatusCode.PERMISSION_DENIED,
              "ModelInfer without the key")
        check(grpc_code(lambda: infer([("infer-key", HTTP_INFER)]))[0]
              == grpc.StatusCode.PERMISSION_DENIED, "ModelInfer with the HTTP value")
        resp = infer([("infer-key", GRPC_INFER)])
        check(matches(message_outputs(resp), want), "ModelInfer with the key matches numpy")
        stream = lambda md: list(stub.ModelStreamInfer(iter([infer_message(x)] * 3), metadata=md,
                                                       timeout=CALL_TIMEOUT_S))
        check(grpc_code(lambda: stream(None))[0] == grpc.StatusCode.PERMISSION_DENIED,
              "ModelStreamInfer without the key")
        answers = stream([("infer-key", GRPC_INFER)])
        check(len(answers) == 3 and all(
            a.error_message == "" and matches(message_outputs(a.infer_response), want)
            for a in answers), "ModelStreamInfer with the key matches numpy")
        for name, call in (
                ("ServerLive", lambda: stub.ServerLive(pb.ServerLiveRequest(),
                                                       timeout=CALL_TIMEOUT_S)),
                ("ModelMetadata", lambda: stub.ModelMetadata(pb.ModelMetadataRequest(name="mlp"),
                                                             timeout=CALL_TIMEOUT_S)),
                ("ModelConfig", lambda: stub.ModelConfig(pb.ModelConfigRequest(name="mlp"),
                                                         timeout=CALL_TIMEOUT_S)),
                ("ModelStatistics", lambda: stub.ModelStatistics(pb.ModelStatisticsRequest(),
                                                                 timeout=CALL_TIMEOUT_S))):
            check(grpc_code(call)[0] == grpc.StatusCode.OK, "open RPC %s" % name)
        channel.close()
    finally:
        check(s.stop() == 0, "server exit code")
    no_secret_in(s.text(), "the debug log")


def service_methods():
    """Every RPC of inference.proto and health.proto: (path, streaming)."""
    out = []
    for module in (pb, health_pb2):
        for service in module.DESCRIPTOR.services_by_name.values():
            for m in service.methods:
                streaming = getattr(m, "client_streaming", False) or m.name == "ModelStreamInfer"
                out.append(("/%s/%s" % (service.full_name, m.name), streaming))
    return out


def test_every_route(tmp, repo, reference):
    """Every category restricted by one entry: nothing is reachable without the header."""
    config = tmp + "/restricted.json"
    with open(config, "w") as f:
        json.dump({"http_restricted_api": ["%s:x-all=%s" % (ALL_CATEGORIES, ALL_VALUE)],
                   "grpc_restricted_protocol": "%s:x-all=%s" % (ALL_CATEGORIES, ALL_VALUE)}, f)
    s = Server(repo, "--model-control-mode", "explicit", "--config-file", config)
    try:
        x = mlp_rows(1, seed=2)
        for method, path, body, want in ROUTES:
            if body == "INFER":
                body = infer_json(x)
            status, answer = rest(s.http_port, method, path, body)
            check(status == 403 and "error" in (answer or {}),
                  "%s %s without the header: %s %r" % (method, path, status, answer))
            status, _ = rest(s.http_port, method, path, body, {"X-All": ALL_VALUE})
            check(status == want, "%s %s with the header: %s" % (method, path, status))
        check(rest(s.http_port, "GET", "/v2/nothing")[0] == 404, "an unknown path stays 404")

        channel = grpc.insecure_channel("127.0.0.1:%d" % s.grpc_port)
        methods = service_methods()
        check(len(methods) == 19, "19 RPCs in the services: %d" % len(methods))
        md = [("x-all", ALL_VALUE)]
        for path, streaming in methods:
            if streaming:
                call = channel.stream_stream(path)
                run = lambda m: list(call(iter([]), metadata=m, timeout=CALL_TIMEOUT_S))
            else:
                call = channel.unary_unary(path)
                run = lambda m: call(b"", metadata=m, timeout=CALL_TIMEOUT_S)
            code, _ = grpc_code(lambda: run(None))
            check(code == grpc.StatusCode.PERMISSION_DENIED, "%s without the key: %s" % (path, code))
            code, details = grpc_code(lambda: run(md))
            if "/CudaSharedMemory" in path:
                # Served, and answered that CUDA shared memory is not supported.
                check(code == grpc.StatusCode.UNIMPLEMENTED and "CUDA shared memory" in details,
                      "%s with the key: %s %s" % (path, code, details))
                continue
            check(code != grpc.StatusCode.PERMISSION_DENIED and code != grpc.StatusCode.UNIMPLEMENTED,
                  "%s with the key: %s" % (path, code))
        unknown = channel.unary_unary("/inference.GRPCInferenceService/TraceSetting")
        check(grpc_code(lambda: unknown(b"", timeout=CALL_TIMEOUT_S))[0]
              == grpc.StatusCode.UNIMPLEMENTED, "an unknown method stays UNIMPLEMENTED")
        channel.close()
    finally:
        check(s.stop() == 0, "server exit code")
    no_secret_in(s.text(), "the log")


def test_startup_errors(tmp, repo):
    v = MARK + "-value"
    cases = [
        (["--http-restricted-api", "inference:a-key=" + v, "--http-restricted-api",
          "health,inference:b-key=" + v], None, ["--http-restricted-api", "inference",
                                                 "entries 1 and 2"]),
        (["--grpc-restricted-protocol", "statistics:k=" + v + " statistics:k=" + v], None,
         ["--grpc-restricted-protocol", "statistics", "entries 1 and 2"]),
        (["--http-restricted-api", "trace:k=" + v], None, ["unknown category 'trace'"]),
        (["--http-restricted-api", "k=" + v], None, ["no ':'"]),
        (["--http-restricted-api", "inference:" + v], None, ["no '='"]),
        (["--http-restricted-api", "inference:k="], None, ["value for 'k' is empty"]),
        (["--http-restricted-api", "inference:k(1)=" + v], None, ["HTTP header name"]),
        (["--grpc-restricted-protocol", "inference:grpc-key=" + v], None, ["reserved by gRPC"]),
        (["--grpc-restricted-protocol", "inference:key-bin=" + v], None, ["binary metadata"]),
        (["--http-restricted-api", "inference:k=" + v + "\x01"], None, ["not printable ASCII"]),
        ([], {"INFERD_HTTP_RESTRICTED_API": "inference:k=" + v + " bogus:k=" + v},
         ["INFERD_HTTP_RESTRICTED_API", "entry 2", "unknown category 'bogus'"]),
    ]
    for args, env, needles in cases:
        code, err = run_serve(repo, *args, env=env)
        check(code == 2, "%r: exit code %s (want 2): %s" % (needles, code, err))
        for needle in needles:
            check(needle in err, "%r not in the message: %s" % (needle, err))
        no_secret_in(err, "the startup error for %r" % needles)


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-restricted-")
    try:
        repo, reference = mlp_repository(tmp)
        test_startup_errors(tmp, repo)
        test_one_server(tmp, repo, reference)
        test_every_route(tmp, repo, reference)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % check.failures, flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
