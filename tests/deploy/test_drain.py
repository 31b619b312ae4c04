#!/usr/bin/python3
"""Shutdowns under load, clients connected directly: nothing a drain does may
look like anything but "retry elsewhere" to a client.

One replica is stopped with SIGTERM (drain delay 0, the worst case) and
started again, DRAIN_ROUNDS times, while HTTP and gRPC clients send requests:
back to back, and gRPC clients that wait a random time before each call,
keep several calls in flight, or start calls at a steady rate whatever the
answers. grpcio puts all of the process's channels on
one connection, so a server cannot know when every caller on it is waiting:
the drain must not let the gRPC core cancel the calls that reach it after its
shutdown begins (before the drain's cut, 2-15 of 25 shutdowns returned
CANCELLED to those callers). Every answer must be one of:
  - the right output (numpy's, within rounding);
  - gRPC UNAVAILABLE, which Triton's and KServe's clients retry: never
    CANCELLED, which they do not;
  - HTTP 503, or a refused or closed connection while the server is down.
Every shutdown must exit 0 and log no error.
"""
import signal
import sys
import tempfile
import time

import deploy_common as dc

DRAIN_ROUNDS = 12
HTTP_CLIENTS, GRPC_CLIENTS = 2, 6
# gRPC clients that think (up to this many seconds) before each call, that keep calls in flight,
# and that start a call every so many seconds whatever the answers.
GRPC_THINK_S = (0.02, 0.04, 0.06, 0.08)
GRPC_DEPTH = (3, 3)
GRPC_EVERY_S = (0.005,)
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
                                HTTP_CLIENTS, GRPC_CLIENTS, GRPC_THINK_S, GRPC_DEPTH, GRPC_EVERY_S)
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
        # A drain is routine: nothing in it is an error (the gRPC core's lines go to inferd's log).
        errors = [line for line in replica.log().splitlines() if " ERROR " in line]
        if errors:
            problems.append("%d error lines in the server log, e.g. %s" % (len(errors), errors[0]))
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
