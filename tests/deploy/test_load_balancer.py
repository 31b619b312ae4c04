#!/usr/bin/python3
"""Replicas behind a load balancer, without containers: real nginx on
loopback, configured by docker/nginx.conf, in front of REPLICAS `inferd
serve` processes, under continuous HTTP and gRPC load.

1. A rolling restart: each replica in turn gets SIGTERM, drains (readiness
   false for its drain delay, then 503 / GOAWAY and no new connections),
   exits 0 and starts again on the same ports. Every request must succeed
   with the right output (numpy's), on HTTP and on gRPC: nginx retries what
   a draining replica refuses on another one.
2. One replica gets SIGKILL. The requests that fail are reported; at most
   the ones in flight at that moment may fail (nginx retries a request whose
   connection was reset before any answer, so usually none do).

Needs nginx (scripts/install-deps.sh installs it): without it the test says
so and fails.
"""
import signal
import sys
import tempfile
import time

import deploy_common as dc

REPLICAS = 3
HTTP_CLIENTS, GRPC_CLIENTS = 3, 3
# Right answers on each protocol between steps, so each step meets live traffic.
ANSWERS_PER_STEP = 100


def main():
    if not dc.nginx_binary():
        print("FAIL: nginx is not installed (scripts/install-deps.sh installs it)")
        return 1
    problems = []
    with tempfile.TemporaryDirectory(prefix="inferd-lb-") as tmp:
        repo, reference = dc.example_repository(tmp)
        replicas = [dc.Replica("inferd-%d" % (i + 1), repo, tmp, drain_delay_s=1, exit_timeout_s=10)
                    for i in range(REPLICAS)]
        nginx = None
        clients = []
        try:
            for r in replicas:
                r.start()
            nginx = dc.Nginx(replicas, tmp)
            outcomes = dc.Outcomes()
            clients = dc.start_load(nginx.http_port, nginx.grpc_port, reference, outcomes,
                                    HTTP_CLIENTS, GRPC_CLIENTS)
            if not dc.wait_answers(outcomes, ANSWERS_PER_STEP):
                problems.append("no traffic through nginx before the restarts")
            started = time.monotonic()
            for r in replicas:
                r.signal(signal.SIGTERM)
                code = r.wait()
                if code != 0:
                    problems.append("%s exited %d after SIGTERM" % (r.name, code))
                r.start()
                if not dc.wait_answers(outcomes, ANSWERS_PER_STEP):
                    problems.append("traffic stalled after restarting %s" % r.name)
            rolling_s = time.monotonic() - started
            ok, wrong, failed = outcomes.snapshot()
            print("rolling restart of %d replicas in %.1f s under load:\n%s"
                  % (REPLICAS, rolling_s, outcomes.report()), flush=True)
            if wrong or failed:
                problems.append("the rolling restart had %d wrong outputs and %d failed requests"
                                % (wrong, failed))

            killed = dc.Outcomes()
            for c in clients:
                c.outcomes = killed
            dc.wait_answers(killed, ANSWERS_PER_STEP // 2)
            # Requests outstanding now, plus those sent before the replica is gone for certain.
            in_flight = sum(c.in_flight for c in clients)
            started = sum(c.started for c in clients)
            replicas[0].signal(signal.SIGKILL)
            replicas[0].wait()
            in_flight += sum(c.started for c in clients) - started
            dc.wait_answers(killed, ANSWERS_PER_STEP)
            ok_k, wrong_k, failed_k = killed.snapshot()
            print("SIGKILL of %s with %d client requests in flight or sent until it died (on any replica):\n%s"
                  % (replicas[0].name, in_flight, killed.report()), flush=True)
            if wrong_k or failed_k > in_flight:
                problems.append("after SIGKILL: %d wrong outputs, %d failed requests with %d in flight"
                                % (wrong_k, failed_k, in_flight))
        finally:
            dc.stop_load(clients)
            if nginx:
                nginx.stop()
            for r in replicas:
                r.stop()
        for r in replicas:
            if r.sanitizer_report():
                problems.append("sanitizer report in %s's log" % r.name)
        if problems:
            for r in replicas:
                print("---- %s\n%s" % (r.name, r.log()[-3000:]))
            if nginx:
                print("---- nginx error log\n%s" % nginx.error_log()[-3000:])
            print("FAIL: " + "; ".join(problems))
            return 1
        print("PASS")
        return 0


if __name__ == "__main__":
    sys.exit(main())
