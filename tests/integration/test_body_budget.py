#!/usr/bin/python3
"""Request bodies together stay within --body-memory-limit (server/body_budget.h).

A server with --max-body-bytes 1 MB and --body-memory-limit 1.5 MB, whose mlp
holds a lone request 2 s (its batching delay), so that a request's body is
still held while the next one comes:

- HTTP: a client announces a 0.9 MB body and sends half of it. The server
  holds the whole announced buffer (inferd_request_body_bytes). A second
  0.9 MB request is refused at once with 503, Retry-After and a message
  naming --body-memory-limit; so is a chunked one, whose buffer grows past
  the limit as it arrives. The first client then sends the rest and is
  answered correctly (numpy), the gauge returns to 0, and the refused request
  sent again is answered.
- gRPC: the same with ModelInfer messages of 0.9 MB (an unknown field pads
  them): the second is refused UNAVAILABLE while the first waits in the
  batcher; the first is answered; the second, sent again, is too.
- A --body-memory-limit under --max-body-bytes is refused at startup.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py).
"""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request

from inferd_server import (Checks, Server, grpc, hold_mlp_requests, infer_json, infer_message,
                           json_outputs, matches, message_outputs, mlp_repository, mlp_rows, pb,
                           settled)

MAX_BODY = 1 << 20
LIMIT = 3 << 19  # 1.5 MB: one 0.9 MB body fits, two do not
PADDED = 900_000
HOLD_US = 2_000_000
CALL_TIMEOUT_S = 20
SETTLE_S = 5
PATH = "/v2/models/mlp/infer"
METHOD = "/inference.GRPCInferenceService/ModelInfer"


def padded_json(x):
    """The REST infer body for rows x, padded with spaces to PADDED bytes."""
    body = json.dumps(infer_json(x)).encode()
    return body + b" " * (PADDED - len(body))


def varint(n):
    out = b""
    while True:
        out += bytes([n & 0x7F | (0x80 if n >> 7 else 0)])
        n >>= 7
        if not n:
            return out


def padded_message(x):
    """The ModelInfer message for rows x, padded to PADDED bytes with an unknown field (99)."""
    body = infer_message(x).SerializeToString()
    key = varint(99 << 3 | 2)  # field 99, length-delimited
    size = PADDED - len(body) - len(key) - len(varint(PADDED))
    return body + key + varint(size) + b"\0" * size


def held_bytes(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.metrics_port}/metrics",
                                timeout=CALL_TIMEOUT_S) as r:
        text = r.read().decode()
    return int(re.search(r"^inferd_request_body_bytes (\d+)$", text, re.M).group(1))


def post(port, body, chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    try:
        if chunked:
            pieces = (body[i:i + 65536] for i in range(0, len(body), 65536))
            conn.request("POST", PATH, pieces, {"Content-Type": "application/json"},
                         encode_chunked=True)
        else:
            conn.request("POST", PATH, body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        return r.status, r.getheader("Retry-After"), r.read()
    finally:
        conn.close()


def check_http(check, server, ref):
    x, y = mlp_rows(1, 5), mlp_rows(1, 6)
    first, second = padded_json(x), padded_json(y)
    head = ("POST %s HTTP/1.1\r\nHost: inferd\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (PATH, len(first))).encode()
    s = socket.create_connection(("127.0.0.1", server.http_port), timeout=CALL_TIMEOUT_S)
    try:
        s.sendall(head + first[:len(first) // 2])
        settled(lambda: held_bytes(server), SETTLE_S, lambda held: held >= len(first))
        check(held_bytes(server) >= len(first),
              f"a body announced at {len(first)} bytes holds {held_bytes(server)} of the budget")
        for chunked in (False, True):
            status, retry, answer = post(server.http_port, second, chunked)
            check(status == 503 and retry and b"--body-memory-limit" in answer,
                  f"a {'chunked ' if chunked else ''}body over the budget answered {status}, "
                  f"Retry-After {retry}: {answer[:200]!r}")
        s.sendall(first[len(first) // 2:])
        r = http.client.HTTPResponse(s)
        r.begin()
        answer = r.read()
    finally:
        s.close()
    got = json_outputs(json.loads(answer)) if r.status == 200 else None
    check(matches(got, ref(x)), f"the held request was answered {r.status}: {answer[:200]!r}")
    check(settled(lambda: held_bytes(server), SETTLE_S) == 0, f"{held_bytes(server)} bytes still held after the answers")
    status, _, answer = post(server.http_port, second)
    check(status == 200 and matches(json_outputs(json.loads(answer)), ref(y)),
          f"the refused request sent again answered {status}: {answer[:200]!r}")


def check_grpc(check, server, ref):
    x, y = mlp_rows(1, 7), mlp_rows(1, 8)
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        infer = channel.unary_unary(METHOD, request_serializer=None,
                                    response_deserializer=pb.ModelInferResponse.FromString)
        first = infer.future(padded_message(x), timeout=CALL_TIMEOUT_S)
        settled(lambda: held_bytes(server), SETTLE_S, lambda held: held >= PADDED)
        try:
            infer(padded_message(y), timeout=CALL_TIMEOUT_S)
            check(False, "a message over the budget was answered")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.UNAVAILABLE and "--body-memory-limit" in e.details(),
                  f"a message over the budget answered {e.code()}: {e.details()}")
        check(matches(message_outputs(first.result()), ref(x)), "the held message was answered")
        check(settled(lambda: held_bytes(server), SETTLE_S) == 0, f"{held_bytes(server)} bytes still held after the calls")
        check(matches(message_outputs(infer(padded_message(y), timeout=CALL_TIMEOUT_S)), ref(y)),
              "the refused message sent again was answered")


def check_limit_under_body(check, repo):
    r = subprocess.run([os.environ["INFERD_BINARY"], "serve", "--model-repository", repo,
                        "--max-body-bytes", "1000", "--body-memory-limit", "999"],
                       capture_output=True, text=True, timeout=CALL_TIMEOUT_S)
    check(r.returncode == 2 and "--body-memory-limit" in r.stderr,
          f"a limit under --max-body-bytes: exit {r.returncode}, {r.stderr[:200]!r}")


def main():
    check = Checks()
    tmp = tempfile.mkdtemp(prefix="inferd-budget-")
    try:
        repo, ref = mlp_repository(tmp)
        hold_mlp_requests(repo, HOLD_US)
        server = Server(repo, "--max-body-bytes", str(MAX_BODY), "--body-memory-limit", str(LIMIT))
        try:
            check_http(check, server, ref)
            check_grpc(check, server, ref)
        finally:
            check(server.stop() == 0, "the server did not stop cleanly")
        check_limit_under_body(check, repo)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d failures" % (os.path.basename(__file__), check.failures), flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
