#!/usr/bin/python3
"""`inferd health`, the container image's HEALTHCHECK, against the real
`inferd serve`: exit 0 while the server is ready (port from --http-port or
INFERD_HTTP_PORT, host from --host or INFERD_BIND_ADDRESS), exit 1 with a
one-line reason on stderr against a closed port, a listener that never
answers (within its --timeout-secs, never a hang), a draining server (503)
and a bad option.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY,
INFERD_PROTO_DIR (inferd_server.py, which starts the server, generates gRPC stubs).
"""
import os
import signal
import socket
import subprocess
import sys
import time

from inferd_server import Server

# Longest any `inferd health` may run here: its own limit is 1-3 s.
HEALTH_LIMIT_S = 10

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, flush=True)
    return cond


def health(*args, env=None):
    """Runs `inferd health args`; (exit code, stderr, seconds taken)."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("INFERD_HTTP_PORT", "INFERD_BIND_ADDRESS")}
    full_env.update(env or {})
    start = time.monotonic()
    r = subprocess.run([os.environ["INFERD_BINARY"], "health"] + list(args), env=full_env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=HEALTH_LIMIT_S)
    return r.returncode, r.stderr, time.monotonic() - start


def expect_failure(what, needle, *args, env=None):
    code, err, _ = health(*args, env=env)
    check(code == 1, "%s: exit 1, got %d (%r)" % (what, code, err))
    check(len(err.strip().splitlines()) == 1 and needle in err,
          "%s: one line naming %r on stderr, got %r" % (what, needle, err))


def free_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready(s):
    port = str(s.http_port)
    code, err, _ = health("--http-port", port)
    check(code == 0 and err == "", "ready server, --http-port: exit %d %r" % (code, err))
    code, err, _ = health(env={"INFERD_HTTP_PORT": port})
    check(code == 0 and err == "", "ready server, INFERD_HTTP_PORT: exit %d %r" % (code, err))
    code, err, _ = health("--host", "127.0.0.1", env={"INFERD_HTTP_PORT": port})
    check(code == 0, "--host 127.0.0.1: exit %d %r" % (code, err))
    code, err, _ = health(env={"INFERD_HTTP_PORT": port, "INFERD_BIND_ADDRESS": "127.0.0.1"})
    check(code == 0, "INFERD_BIND_ADDRESS 127.0.0.1: exit %d %r" % (code, err))
    code, err, _ = health(env={"INFERD_HTTP_PORT": port, "INFERD_BIND_ADDRESS": "0.0.0.0"})
    check(code == 0, "wildcard INFERD_BIND_ADDRESS means loopback: exit %d %r" % (code, err))
    # The flag wins over the variable.
    code, err, _ = health("--http-port", port, env={"INFERD_HTTP_PORT": str(free_port())})
    check(code == 0, "--http-port over INFERD_HTTP_PORT: exit %d %r" % (code, err))


def test_unreachable():
    # What starting the command costs on this machine (a sanitizer build on
    # busy cores takes seconds): the silent listener's bound is measured past it.
    start = time.monotonic()
    expect_failure("closed port", "refused", "--http-port", str(free_port()))
    startup = time.monotonic() - start
    expect_failure("closed port from INFERD_HTTP_PORT", "refused",
                   env={"INFERD_HTTP_PORT": str(free_port())})
    # Accepts connections (the kernel's backlog) but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        start = time.monotonic()
        expect_failure("silent listener", "no answer", "--http-port",
                       str(silent.getsockname()[1]), "--timeout-secs", "1")
        elapsed = time.monotonic() - start
        check(elapsed < startup + 3, "a silent listener fails within the 1 s timeout "
              "(%.1f s, %.1f s of it starting the command)" % (elapsed, startup))


def test_bad_options():
    expect_failure("port out of range", "--http-port", "--http-port", "70000")
    expect_failure("unknown option", "unknown option", "--nope", "1")
    expect_failure("bad INFERD_HTTP_PORT", "INFERD_HTTP_PORT", env={"INFERD_HTTP_PORT": "eighty"})
    expect_failure("timeout out of range", "--timeout-secs", "--timeout-secs", "0")
    code, err, _ = health("--help")
    check(code == 0 and err == "", "--help exits 0: %d %r" % (code, err))


def test_draining():
    # Long enough for the probe to start inside the window on busy cores.
    s = Server(os.environ["INFERD_EXAMPLE_REPOSITORY"], "--drain-delay-secs", "8")
    try:
        check(health("--http-port", str(s.http_port))[0] == 0, "ready before SIGTERM")
        s.signal(signal.SIGTERM)
        if check(s.wait_log("not ready", 10), "the server logged its drain"):
            expect_failure("draining server", "503", "--http-port", str(s.http_port))
    finally:
        check(s.stop() == 0, "drained server exits 0")
    expect_failure("stopped server", "refused", "--http-port", str(s.http_port))


def main():
    s = Server(os.environ["INFERD_EXAMPLE_REPOSITORY"], "--drain-delay-secs", "0")
    try:
        test_ready(s)
    finally:
        check(s.stop() == 0, "server exits 0")
    test_unreachable()
    test_bad_options()
    test_draining()
    print("%s: %d failure(s)" % (os.path.basename(__file__), failures), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
