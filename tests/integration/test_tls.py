#!/usr/bin/python3
"""TLS against the real `inferd serve`, with certificates made at test time by
openssl: a CA, a server certificate for localhost and 127.0.0.1, a client
certificate, and a second, unrelated CA with its own server and client
certificates.

- HTTPS (curl and Python's ssl) and gRPC over TLS (grpcio) answer inference
  exactly (numpy on the ONNX weights); a client trusting the other CA is
  refused, and so is plain text on a TLS port;
- client authentication: require refuses clients without a certificate or
  with one from the other CA on HTTP, gRPC and the metrics port
  (--metrics-tls); request lets clients without one in;
- SIGHUP reload: with the files swapped for a certificate of the other CA,
  new connections get it while an open keep-alive HTTPS connection and an
  open gRPC channel (both trusting only the first CA) go on working; a bad
  certificate, a key that does not match and a missing file are logged and
  the current certificate kept;
- `inferd health` speaks HTTPS (INFERD_TLS_CERT_FILE, --ca-file, client
  certificates);
- bad TLS files and settings stop the server at start with a clear message.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR.
"""
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile

from inferd_server import (CALL_TIMEOUT_S, Checks, Server, grpc, health_pb2, health_pb2_grpc,
                           infer_json, infer_message, json_outputs, matches, message_outputs,
                           mlp_repository, mlp_rows, pbg, run_serve, server_env)

check = Checks()

CERT_DAYS = "2"
# Longest an `inferd health` or curl run may take here.
CLIENT_LIMIT_S = 20
RELOAD_TIMEOUT_S = 10


class Pki:
    """Keys and certificates made with openssl in a directory."""

    def __init__(self, directory):
        self.dir = directory
        self.ca("ca1", "inferd test CA 1")
        self.ca("ca2", "inferd test CA 2 (unrelated)")
        server_ext = "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        client_ext = "extendedKeyUsage=clientAuth\n"
        self.leaf("server1", "localhost", "ca1", server_ext, "ec")
        self.leaf("server2", "localhost", "ca2", server_ext, "rsa")
        self.leaf("client1", "client one", "ca1", client_ext, "ec")
        self.leaf("rogue", "client of the other CA", "ca2", client_ext, "ec")
        self.serials = {name: self.serial(name) for name in ("server1", "server2")}

    def path(self, name, ext):
        return os.path.join(self.dir, "%s.%s" % (name, ext))

    def openssl(self, *args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def key_args(self, kind):
        if kind == "rsa":
            return ["-newkey", "rsa:2048"]
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]

    def ca(self, name, cn):
        self.openssl("req", "-x509", *self.key_args("ec"), "-nodes", "-keyout",
                     self.path(name, "key"), "-out", self.path(name, "crt"), "-subj",
                     "/CN=" + cn, "-days", CERT_DAYS)

    def leaf(self, name, cn, ca, ext, kind):
        ext_file = self.path(name, "ext")
        with open(ext_file, "w") as f:
            f.write(ext)
        self.openssl("req", *self.key_args(kind), "-nodes", "-keyout", self.path(name, "key"),
                     "-out", self.path(name, "csr"), "-subj", "/CN=" + cn)
        self.openssl("x509", "-req", "-in", self.path(name, "csr"), "-CA", self.path(ca, "crt"),
                     "-CAkey", self.path(ca, "key"), "-CAcreateserial", "-out",
                     self.path(name, "crt"), "-days", CERT_DAYS, "-extfile", ext_file)

    def serial(self, name):
        out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in",
                              self.path(name, "crt")], check=True, capture_output=True,
                             text=True).stdout
        return out.strip().split("=", 1)[1].upper()


def curl(url, *args, body=None):
    """curl's exit code and output; never a proxy."""
    cmd = ["curl", "-sS", "--noproxy", "*", "--max-time", "10"] + list(args)
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    r = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=CLIENT_LIMIT_S)
    return r.returncode, r.stdout, r.stderr


def ssl_context(pki, ca, client=None):
    ctx = ssl.create_default_context(cafile=pki.path(ca, "crt"))
    if client:
        ctx.load_cert_chain(pki.path(client, "crt"), pki.path(client, "key"))
    return ctx


def https_get(port, pki, ca, path, client=None):
    """(status, body) over a new HTTPS connection; raises on a refused handshake."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S,
                                       context=ssl_context(pki, ca, client))
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def refused(fn):
    """True when fn() fails the way a refused TLS connection does."""
    try:
        fn()
    except (ssl.SSLError, ConnectionError, OSError, http.client.HTTPException):
        return True
    return False


def channel(port, pki, ca, client=None):
    """A gRPC channel over TLS, trusting ca, naming the server localhost."""
    read = lambda p: open(p, "rb").read()
    creds = grpc.ssl_channel_credentials(
        read(pki.path(ca, "crt")),
        read(pki.path(client, "key")) if client else None,
        read(pki.path(client, "crt")) if client else None)
    return grpc.secure_channel("127.0.0.1:%d" % port, creds,
                               options=[("grpc.ssl_target_name_override", "localhost")])


def grpc_infer(ch, x):
    return pbg.GRPCInferenceServiceStub(ch).ModelInfer(infer_message(x), timeout=CALL_TIMEOUT_S)


def grpc_status(fn):
    try:
        fn()
        return grpc.StatusCode.OK
    except grpc.RpcError as e:
        return e.code()


def health(*args, env=None):
    """`inferd health args` with env on top of the server's settings removed: (code, stderr)."""
    r = subprocess.run([os.environ["INFERD_BINARY"], "health"] + list(args), env=server_env(env),
                       capture_output=True, text=True, timeout=CLIENT_LIMIT_S)
    return r.returncode, r.stderr


def tls_args(pki, server="server1", *extra):
    return ["--tls-cert-file", pki.path(server, "crt"), "--tls-key-file",
            pki.path(server, "key")] + list(extra)


def test_server_tls(pki, repo, reference):
    """Server authentication only; metrics stay plain."""
    s = Server(repo, *tls_args(pki))
    try:
        check(s.find("tls on http, grpc (client certificates: not asked for)") is not None,
              "the start line names TLS")
        base = "https://127.0.0.1:%d" % s.http_port
        x = mlp_rows(4, seed=11)
        want = reference(x)
        ca1 = ["--cacert", pki.path("ca1", "crt")]
        code, out, err = curl(base + "/v2/health/ready", *ca1)
        check(code == 0 and json.loads(out or "{}").get("ready") is True,
              "curl HTTPS ready: %d %s %s" % (code, out, err))
        code, out, err = curl(base + "/v2/models/mlp/infer", *ca1, body=infer_json(x))
        check(code == 0 and matches(json_outputs(json.loads(out)), want),
              "curl HTTPS infer matches numpy: %d %s" % (code, err))
        code, _, err = curl("https://localhost:%d/v2" % s.http_port, *ca1)
        check(code == 0, "curl by host name: %d %s" % (code, err))
        code, _, err = curl(base + "/v2", "--cacert", pki.path("ca2", "crt"))
        check(code == 60, "curl trusting the other CA is refused (60): %d %s" % (code, err))
        code, _, err = curl("http://127.0.0.1:%d/v2" % s.http_port)
        check(code != 0, "plain HTTP on the TLS port fails: %d" % code)
        status, body = https_get(s.http_port, pki, "ca1", "/v2/models/mlp")
        check(status == 200 and json.loads(body)["name"] == "mlp", "Python HTTPS metadata")
        check(refused(lambda: https_get(s.http_port, pki, "ca2", "/v2")),
              "Python trusting the other CA is refused")

        ch = channel(s.grpc_port, pki, "ca1")
        check(matches(message_outputs(grpc_infer(ch, x)), want), "gRPC TLS ModelInfer matches")
        answers = list(pbg.GRPCInferenceServiceStub(ch).ModelStreamInfer(
            iter([infer_message(x)] * 2), timeout=CALL_TIMEOUT_S))
        check(len(answers) == 2 and all(matches(message_outputs(a.infer_response), want)
                                        for a in answers), "gRPC TLS ModelStreamInfer matches")
        ch.close()
        ch = channel(s.grpc_port, pki, "ca2")
        check(grpc_status(lambda: grpc_infer(ch, x)) == grpc.StatusCode.UNAVAILABLE,
              "gRPC trusting the other CA is refused")
        ch.close()
        ch = grpc.insecure_channel("127.0.0.1:%d" % s.grpc_port)
        check(grpc_status(lambda: grpc_infer(ch, x)) == grpc.StatusCode.UNAVAILABLE,
              "plain gRPC on the TLS port is refused")
        ch.close()

        code, out, _ = curl("http://127.0.0.1:%d/metrics" % s.metrics_port)
        check(code == 0 and "inferd_request_success_total" in out, "metrics stay plain")

        port = str(s.http_port)
        tls_env = {"INFERD_TLS_CERT_FILE": pki.path("server1", "crt")}
        code, err = health("--http-port", port, env=tls_env)
        check(code == 0, "inferd health, HTTPS from INFERD_TLS_CERT_FILE: %d %s" % (code, err))
        code, err = health("--http-port", port, "--scheme", "https", "--ca-file",
                           pki.path("ca1", "crt"))
        check(code == 0, "inferd health --ca-file ca1: %d %s" % (code, err))
        code, err = health("--http-port", port, "--scheme", "https", "--ca-file",
                           pki.path("ca2", "crt"))
        check(code == 1 and "NOT trusted" in err, "inferd health --ca-file ca2: %d %s" % (code, err))
        code, err = health("--http-port", port)
        check(code == 1 and "--scheme https" in err, "inferd health over plain HTTP: %d %s"
              % (code, err))
    finally:
        check(s.stop() == 0, "server exit code")


def test_client_auth_required(pki, repo, reference, tmp):
    client_cas = os.path.join(tmp, "client-cas.pem")
    replace(pki.path("ca1", "crt"), client_cas)
    s = Server(repo, *tls_args(pki, "server1", "--tls-ca-file", client_cas,
                                "--tls-client-auth", "require", "--metrics-tls", "true"))
    try:
        x = mlp_rows(2, seed=12)
        want = reference(x)
        ca1 = ["--cacert", pki.path("ca1", "crt")]
        client = ["--cert", pki.path("client1", "crt"), "--key", pki.path("client1", "key")]
        rogue = ["--cert", pki.path("rogue", "crt"), "--key", pki.path("rogue", "key")]
        base = "https://127.0.0.1:%d" % s.http_port
        code, out, err = curl(base + "/v2/models/mlp/infer", *ca1, *client, body=infer_json(x))
        check(code == 0 and matches(json_outputs(json.loads(out)), want),
              "mutual TLS infer matches: %d %s" % (code, err))
        code, _, err = curl(base + "/v2/health/ready", *ca1)
        check(code != 0, "no client certificate: refused (%d %s)" % (code, err))
        code, _, err = curl(base + "/v2/health/ready", *ca1, *rogue)
        check(code != 0, "a client certificate of the other CA: refused (%d %s)" % (code, err))
        check(not refused(lambda: https_get(s.http_port, pki, "ca1", "/v2", "client1")),
              "Python with a client certificate")
        check(refused(lambda: https_get(s.http_port, pki, "ca1", "/v2")),
              "Python without a client certificate is refused")

        ch = channel(s.grpc_port, pki, "ca1", "client1")
        check(matches(message_outputs(grpc_infer(ch, x)), want), "mutual TLS gRPC matches")
        check(health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(),
                                                   timeout=CALL_TIMEOUT_S).status
              == health_pb2.HealthCheckResponse.SERVING, "gRPC health over mutual TLS")
        ch.close()
        for who in (None, "rogue"):
            ch = channel(s.grpc_port, pki, "ca1", who)
            check(grpc_status(lambda: grpc_infer(ch, x)) == grpc.StatusCode.UNAVAILABLE,
                  "gRPC with client %s: refused" % who)
            ch.close()

        metrics = "https://127.0.0.1:%d/metrics" % s.metrics_port
        code, out, err = curl(metrics, *ca1, *client)
        check(code == 0 and "inferd_request_success_total" in out,
              "metrics over mutual TLS: %d %s" % (code, err))
        check(curl(metrics, *ca1)[0] != 0, "metrics without a client certificate: refused")
        check(curl("http://127.0.0.1:%d/metrics" % s.metrics_port)[0] != 0,
              "plain metrics on the TLS port: refused")

        port = str(s.http_port)
        code, err = health("--http-port", port, "--scheme", "https", "--cert-file",
                           pki.path("client1", "crt"), "--key-file", pki.path("client1", "key"))
        check(code == 0, "inferd health with a client certificate: %d %s" % (code, err))
        code, err = health("--http-port", port, "--scheme", "https")
        check(code == 1, "inferd health without one: %d %s" % (code, err))

        # The client CAs reload too: with the other CA's file, the clients swap places.
        mark = s.lines()
        replace(pki.path("ca2", "crt"), client_cas)
        s.signal(signal.SIGHUP)
        check(s.wait_log("SIGHUP: TLS reloaded", RELOAD_TIMEOUT_S, mark), "CA reload logged")
        check(refused(lambda: https_get(s.http_port, pki, "ca1", "/v2", "client1")),
              "after the CA reload, the first CA's client is refused over HTTPS")
        check(not refused(lambda: https_get(s.http_port, pki, "ca1", "/v2", "rogue")),
              "after the CA reload, the other CA's client gets in over HTTPS")
        for who, want in (("client1", grpc.StatusCode.UNAVAILABLE), ("rogue", grpc.StatusCode.OK)):
            ch = channel(s.grpc_port, pki, "ca1", who)
            check(grpc_status(lambda: grpc_infer(ch, x)) == want,
                  "after the CA reload, gRPC client %s: %s" % (who, want))
            ch.close()
    finally:
        check(s.stop() == 0, "server exit code")


def test_client_auth_requested(pki, repo, reference):
    s = Server(repo, *tls_args(pki, "server1", "--tls-ca-file", pki.path("ca1", "crt"),
                                "--tls-client-auth", "request"))
    try:
        x = mlp_rows(1, seed=13)
        want = reference(x)
        for who, ok in ((None, True), ("client1", True), ("rogue", False)):
            got = not refused(lambda: https_get(s.http_port, pki, "ca1", "/v2", who))
            check(got == ok, "HTTPS, request mode, client %s: %s" % (who, got))
            ch = channel(s.grpc_port, pki, "ca1", who)
            try:
                got = matches(message_outputs(grpc_infer(ch, x)), want)
            except grpc.RpcError as e:
                got = e.code()
            check(got is ok if ok else got == grpc.StatusCode.UNAVAILABLE,
                  "gRPC, request mode, client %s: %s" % (who, got))
            ch.close()
    finally:
        check(s.stop() == 0, "server exit code")


def replace(src, dst):
    """Swaps dst for a copy of src atomically, as a deployment should."""
    shutil.copyfile(src, dst + ".new")
    os.replace(dst + ".new", dst)


def peer_serial(conn):
    return conn.sock.getpeercert()["serialNumber"].upper()


def test_reload(pki, repo, reference, tmp):
    live = os.path.join(tmp, "live")
    os.makedirs(live)
    cert, key = os.path.join(live, "tls.crt"), os.path.join(live, "tls.key")
    replace(pki.path("server1", "crt"), cert)
    replace(pki.path("server1", "key"), key)
    s = Server(repo, "--tls-cert-file", cert, "--tls-key-file", key)
    try:
        x = mlp_rows(3, seed=14)
        want = reference(x)
        # Open connections that trust the first CA only: a reconnection would fail.
        kept = http.client.HTTPSConnection("127.0.0.1", s.http_port, timeout=CALL_TIMEOUT_S,
                                           context=ssl_context(pki, "ca1"))
        kept.request("POST", "/v2/models/mlp/infer", body=json.dumps(infer_json(x)),
                     headers={"Content-Type": "application/json"})
        resp = kept.getresponse()
        check(resp.status == 200 and matches(json_outputs(json.loads(resp.read())), want),
              "keep-alive HTTPS before the reload")
        sock = kept.sock
        check(peer_serial(kept) == pki.serials["server1"], "the first certificate at first")
        kept_channel = channel(s.grpc_port, pki, "ca1")
        check(matches(message_outputs(grpc_infer(kept_channel, x)), want), "gRPC before the reload")

        mark = s.lines()
        replace(pki.path("server2", "crt"), cert)
        replace(pki.path("server2", "key"), key)
        s.signal(signal.SIGHUP)
        check(s.wait_log("SIGHUP: TLS reloaded", RELOAD_TIMEOUT_S, mark), "reload logged")
        check("generation 2" in (s.find("SIGHUP: TLS reloaded", mark) or ""), "generation 2")

        # New connections get the new certificate ...
        conn = http.client.HTTPSConnection("127.0.0.1", s.http_port, timeout=CALL_TIMEOUT_S,
                                           context=ssl_context(pki, "ca2"))
        conn.request("GET", "/v2/health/ready")
        check(conn.getresponse().status == 200 and peer_serial(conn) == pki.serials["server2"],
              "a new HTTPS connection gets the new certificate")
        conn.close()
        check(refused(lambda: https_get(s.http_port, pki, "ca1", "/v2")),
              "a new HTTPS connection trusting only the first CA is refused")
        code, _, err = curl("https://127.0.0.1:%d/v2" % s.http_port, "--cacert",
                            pki.path("ca2", "crt"))
        check(code == 0, "curl trusting the new CA: %d %s" % (code, err))
        ch = channel(s.grpc_port, pki, "ca2")
        check(matches(message_outputs(grpc_infer(ch, x)), want), "new gRPC channel, new CA")
        ch.close()
        ch = channel(s.grpc_port, pki, "ca1")
        check(grpc_status(lambda: grpc_infer(ch, x)) == grpc.StatusCode.UNAVAILABLE,
              "new gRPC channel trusting only the first CA is refused")
        ch.close()

        # ... while the open ones go on, on the same connection.
        kept.request("POST", "/v2/models/mlp/infer", body=json.dumps(infer_json(x)),
                     headers={"Content-Type": "application/json"})
        resp = kept.getresponse()
        check(resp.status == 200 and matches(json_outputs(json.loads(resp.read())), want),
              "keep-alive HTTPS after the reload")
        check(kept.sock is sock and peer_serial(kept) == pki.serials["server1"],
              "the same connection, still on the first certificate")
        check(matches(message_outputs(grpc_infer(kept_channel, x)), want),
              "the open gRPC channel after the reload")

        # Bad files are refused and the current certificate stays.
        good_cert = open(cert, "rb").read()
        bad = [("garbage certificate", lambda: open(cert, "w").write("not a certificate\n"),
                "holds no PEM certificate"),
               ("mismatched key", lambda: replace(pki.path("server1", "key"), key),
                "is not the key"),
               ("missing certificate", lambda: os.remove(cert), "cannot open")]
        for what, damage, needle in bad:
            replace(pki.path("server2", "crt"), cert)
            replace(pki.path("server2", "key"), key)
            damage()
            mark = s.lines()
            s.signal(signal.SIGHUP)
            check(s.wait_log("SIGHUP: TLS reload failed", RELOAD_TIMEOUT_S, mark),
                  "%s: failure logged" % what)
            check(needle in (s.find("SIGHUP: TLS reload failed", mark) or ""),
                  "%s: the log says %r" % (what, needle))
            conn = http.client.HTTPSConnection("127.0.0.1", s.http_port, timeout=CALL_TIMEOUT_S,
                                               context=ssl_context(pki, "ca2"))
            conn.request("GET", "/v2/health/ready")
            check(conn.getresponse().status == 200 and peer_serial(conn) ==
                  pki.serials["server2"], "%s: the current certificate stays" % what)
            conn.close()
            ch = channel(s.grpc_port, pki, "ca2")
            check(grpc_status(lambda: grpc_infer(ch, x)) == grpc.StatusCode.OK,
                  "%s: gRPC keeps the current certificate" % what)
            ch.close()
        with open(cert, "wb") as f:
            f.write(good_cert)
        check(matches(message_outputs(grpc_infer(kept_channel, x)), want),
              "the open gRPC channel after the failed reloads")
        kept_channel.close()
        kept.close()
    finally:
        check(s.stop() == 0, "server exit code")


def test_startup_errors(pki, repo, tmp):
    garbage = os.path.join(tmp, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    encrypted = os.path.join(tmp, "encrypted.key")
    subprocess.run(["openssl", "pkey", "-in", pki.path("server1", "key"), "-aes256", "-passout",
                    "pass:secret", "-out", encrypted], check=True, capture_output=True)
    cases = [
        (tls_args(pki, "server1")[:2] + ["--tls-key-file", pki.path("server2", "key")], 1,
         "is not the key of the first certificate"),
        (["--tls-cert-file", os.path.join(tmp, "none.crt"), "--tls-key-file",
          pki.path("server1", "key")], 1, "cannot open the certificate file"),
        (["--tls-cert-file", garbage, "--tls-key-file", pki.path("server1", "key")], 1,
         "holds no PEM certificate"),
        (tls_args(pki, "server1")[:2] + ["--tls-key-file", encrypted], 1, "unencrypted"),
        (tls_args(pki, "server1", "--tls-client-auth", "require", "--tls-ca-file", garbage), 1,
         "the CA file"),
        (tls_args(pki, "server1", "--tls-client-auth", "require"), 2, "--tls-ca-file"),
        (["--tls-cert-file", pki.path("server1", "crt")], 2, "go together"),
        (["--metrics-tls", "true"], 2, "--metrics-tls needs"),
    ]
    for args, want, needle in cases:
        code, err = run_serve(repo, *args)
        check(code == want and needle in err,
              "%s: exit %s (want %d), message: %s" % (needle, code, want, err[-400:]))


def test_sighup_without_tls(repo):
    s = Server(repo)
    try:
        s.signal(signal.SIGHUP)
        check(s.wait_log("SIGHUP: TLS is off", RELOAD_TIMEOUT_S), "SIGHUP without TLS logged")
        check(plain_ready(s.http_port), "still serving after SIGHUP")
    finally:
        check(s.stop() == 0, "server exit code")


def plain_ready(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    try:
        conn.request("GET", "/v2/health/ready")
        return conn.getresponse().status == 200
    finally:
        conn.close()


def main():
    tmp = tempfile.mkdtemp(prefix="inferd-tls-")
    try:
        os.makedirs(os.path.join(tmp, "pki"))
        pki = Pki(os.path.join(tmp, "pki"))
        repo, reference = mlp_repository(tmp)
        test_startup_errors(pki, repo, tmp)
        test_sighup_without_tls(repo)
        test_server_tls(pki, repo, reference)
        test_client_auth_required(pki, repo, reference, tmp)
        test_client_auth_requested(pki, repo, reference)
        test_reload(pki, repo, reference, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % check.failures, flush=True)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
