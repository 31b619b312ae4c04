#!/usr/bin/python3
"""Shutdowns under load, clients connected directly: nothing a drain does may
look like anything but "retry elsewhere" to a client.

One replica is stopped with SIGTERM (drain delay 0, the worst case) and
started again, DRAIN_ROUNDS times, while HTTP and gRPC clients send requests
back to back. Every answer must be one of:
  - the right output (numpy's, within rounding);
  - gRPC UNAVAILABLE, which Triton's and KServe's clients and nginx retry:
    never CANCELLED, which they do not (the gRPC core cancels a call it had
    queued but inferd had not picked up when its shutdown is forced);
  - HTTP 503, or a refused or closed connection while the server is down.
Every shutdown must exit 0.
"""
import signal
import sys
import tempfile
import time

import deploy_common as dc

DRAIN_ROUNDS = 12
HTTP_CLIENTS, GRPC_CLIENTS = 2, 6
# Answers to wait for between shutdowns, so each one meets calls in flight.
ANSWERS_PER_ROUND = 60

GRPC_ALLOWED = {"UNAVAILABLE"}
HTTP_ALLOWED = {"status 503", "ConnectionRefusedError", "RemoteDisconnected", "ConnectionResetError",
                "BrokenPipeError"}


def main():
    with tempfile.TemporaryDirectory(prefix="inferd-drain-") as tmp:
        repo, reference = dc.example_repository(tmp)
        replica = dc.Replica("replica", repo, tmp, drain_delay_s=0, exit_timeout_s=10)
        outcomes = dc.Outcomes()
        replica.start()
        clients = dc.start_load(replica.http_port, replica.grpc_port, reference, outcomes,
                                HTTP_CLIENTS, GRPC_CLIENTS)
        try:
            for _ in range(DRAIN_ROUNDS):
                dc.wait_answers(outcomes, ANSWERS_PER_ROUND)
                replica.signal(signal.SIGTERM)
                replica.wait()
                replica.start()
            dc.wait_answers(outcomes, ANSWERS_PER_ROUND)
        finally:
            dc.stop_load(clients)
            replica.stop()
        print(outcomes.report(), flush=True)
        print("exit codes: %s" % replica.exit_codes, flush=True)
        problems = []
        ok, wrong, _ = outcomes.snapshot()
        if wrong:
            problems.append("%d wrong outputs" % wrong)
        for (proto, kind), n in outcomes.failed.items():
            allowed = GRPC_ALLOWED if proto == "grpc" else HTTP_ALLOWED
            if kind not in allowed:
                problems.append("%d %s calls answered %s" % (n, proto, kind))
        if any(code != 0 for code in replica.exit_codes):
            problems.append("a shutdown exited non-zero: %s" % replica.exit_codes)
        if replica.sanitizer_report():
            problems.append("sanitizer report in the server log")
        if ok < DRAIN_ROUNDS * ANSWERS_PER_ROUND:
            problems.append("only %d right answers" % ok)
        if problems:
            print(replica.log()[-4000:])
            print("FAIL: " + "; ".join(problems))
            return 1
        print("PASS")
        return 0


if __name__ == "__main__":
    sys.exit(main())
