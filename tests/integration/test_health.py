#!/usr/bin/python3
"""`inferd health`, the container image's HEALTHCHECK, against the real
`inferd serve`: exit 0 while the server is ready (port from --http-port or
INFERD_HTTP_PORT, host from --host or INFERD_BIND_ADDRESS), exit 1 with a
one-line reason on stderr against a closed port, a listener that never
answers (within its --timeout-secs, never a hang), a draining server (503)
and a bad option.

Environment (tests/CMakeLists.txt): INFERD_BINARY, INFERD_EXAMPLE_REPOSITORY.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
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


class Server:
    """`inferd serve` on ephemeral loopback ports; its stderr collected by a thread."""

    def __init__(self, *extra):
        args = [os.environ["INFERD_BINARY"], "serve",
                "--model-repository", os.environ["INFERD_EXAMPLE_REPOSITORY"],
                "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
                "--bind-address", "127.0.0.1", "--exit-timeout-secs", "5"] + list(extra)
        self.proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, errors="replace")
        self.log = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_log("ready: http on ", START_TIMEOUT_S):
            self.stop()
            raise RuntimeError("server did not start:\n" + "\n".join(self.log))
        line = next(l for l in self.log if "ready: http on " in l)
        self.port = int(re.search(r"http on 127\.0\.0\.1:(\d+)", line).group(1))

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.log.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_log(self, needle, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while not any(needle in l for l in self.log):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return any(needle in l for l in self.log)
                self.cond.wait(min(left, 0.1))
            return True

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        log = "\n".join(self.log)
        if any(m in log for m in ("AddressSanitizer", "runtime error", "LeakSanitizer")):
            code = code or 1
        if code != 0 or failures:
            print(log, "\nserver exit code %d" % code, flush=True)
        return code


def free_port():
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready(s):
    port = str(s.port)
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
    s = Server("--drain-delay-secs", "8")
    try:
        check(health("--http-port", str(s.port))[0] == 0, "ready before SIGTERM")
        s.proc.send_signal(signal.SIGTERM)
        if check(s.wait_log("not ready", 10), "the server logged its drain"):
            expect_failure("draining server", "503", "--http-port", str(s.port))
    finally:
        check(s.stop() == 0, "drained server exits 0")
    expect_failure("stopped server", "refused", "--http-port", str(s.port))


def main():
    s = Server("--drain-delay-secs", "0")
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
