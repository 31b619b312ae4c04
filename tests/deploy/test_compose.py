#!/usr/bin/python3
"""docker/compose.yaml under podman-compose: three inferd replicas behind the
nginx image, a rolling restart under HTTP and gRPC load, 0 failed requests.

The inferd and nginx images are built from `git archive HEAD` on the base
images test_container.py makes (its helpers are reused) and run with the
repository's compose file as committed, nginx published on ephemeral
loopback ports. Each
replica in turn gets `podman stop` (SIGTERM; its drain must end in exit
code 0) and `podman start`; the clients (tests/deploy/deploy_common.py)
check every answer against numpy. Everything the test created is removed
at the end, the base images excepted.

If this machine cannot run containers, it says so in one line and fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import deploy_common as dc
import test_container as tc

REPLICAS = 3  # compose.yaml: the service "inferd" with deploy.replicas 3
HTTP_CLIENTS, GRPC_CLIENTS = 2, 2
ANSWERS_PER_STEP = 100
# Seconds podman waits for a replica's drain (compose.yaml: drain delay 2 s, exit timeout 30 s).
STOP_TIMEOUT_S = 40
READY_TIMEOUT_S = 90


def compose(project, compose_file, env, *args, timeout=tc.PODMAN_TIMEOUT_S * 3):
    return tc.run(["podman-compose", "-p", project, "-f", compose_file] + list(args), timeout=timeout, env=env)


def build_nginx_image(tag, context):
    start = time.monotonic()
    r = subprocess.run(["podman", "build", "--format", "docker", "--network", "host", "--pull=never",
                        "--layers=false", "--force-rm", "-f", "docker/nginx.Dockerfile", "-t", tag, "."],
                       cwd=context, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=tc.BUILD_TIMEOUT_S)
    if r.returncode != 0:
        print(r.stdout[-6000:], flush=True)
        raise RuntimeError("podman build of the nginx image exited %d" % r.returncode)
    return time.monotonic() - start


def wait_healthy(container):
    """Until `inferd health` inside the container passes (the image's HEALTHCHECK command)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if tc.podman("exec", container, "/usr/local/bin/inferd", "health", check_rc=False).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def main():
    start = time.monotonic()
    os.environ["CONTAINERS_CONF"] = os.path.join(tc.SOURCE_DIR, "docker", "containers.conf")
    problem = tc.container_support_problem()
    if not problem and not shutil.which("podman-compose"):
        problem = "podman-compose is not installed (scripts/install-deps.sh installs it)"
    if problem:
        print("test_compose: this machine cannot run containers: %s" % problem, flush=True)
        return 1
    tmp = tempfile.mkdtemp(prefix="inferd-compose-")
    stamp = "%d-%d" % (os.getpid(), int(time.time()))
    project = "inferdtest%d" % os.getpid()
    tags = {"INFERD_IMAGE": "localhost/inferd-test:" + stamp,
            "INFERD_NGINX_IMAGE": "localhost/inferd-nginx-test:" + stamp}
    problems = []
    up = False
    clients = []
    try:
        repo, reference = dc.example_repository(tmp)
        os.chmod(tmp, 0o755)  # the replicas run as UID 10001 and read the models through it
        tc.ensure_base_images()
        _, build_s = tc.build_image(tags["INFERD_IMAGE"], tmp)
        context = os.path.join(tmp, "context")
        nginx_s = build_nginx_image(tags["INFERD_NGINX_IMAGE"], context)
        print("images: inferd built in %.0f s, nginx in %.0f s" % (build_s, nginx_s), flush=True)

        http_port, grpc_port = dc.free_port(), dc.free_port()
        env = dict(os.environ, INFERD_MODELS=repo, INFERD_HTTP_PUBLISH="127.0.0.1:%d" % http_port,
                   INFERD_GRPC_PUBLISH="127.0.0.1:%d" % grpc_port, **tags)
        compose_file = os.path.join(context, "docker", "compose.yaml")
        up = True
        compose(project, compose_file, env, "up", "-d", "--no-build")
        names = {"inferd #%d" % i: "%s_inferd_%d" % (project, i) for i in range(1, REPLICAS + 1)}
        for service, name in names.items():
            if not wait_healthy(name):
                raise RuntimeError("%s did not become ready:\n%s" % (service, tc.podman("logs", name, check_rc=False).stderr))
        outcomes = dc.Outcomes()
        clients = dc.start_load(http_port, grpc_port, reference, outcomes, HTTP_CLIENTS, GRPC_CLIENTS)
        if not dc.wait_answers(outcomes, ANSWERS_PER_STEP, timeout_s=60):
            problems.append("no traffic through nginx before the restarts: %s" % outcomes.report())
        rolling = time.monotonic()
        for service, name in names.items():
            tc.podman("stop", "--time", str(STOP_TIMEOUT_S), name, timeout=STOP_TIMEOUT_S + 30)
            code = json.loads(tc.podman("inspect", name).stdout)[0]["State"]["ExitCode"]
            if code != 0:
                problems.append("%s exited %d after SIGTERM" % (service, code))
            tc.podman("start", name)
            if not wait_healthy(name):
                problems.append("%s did not come back" % service)
            if not dc.wait_answers(outcomes, ANSWERS_PER_STEP, timeout_s=60):
                problems.append("traffic stalled after restarting %s" % service)
        rolling_s = time.monotonic() - rolling
        dc.stop_load(clients)
        clients = []
        ok, wrong, failed = outcomes.snapshot()
        print("rolling restart of %d containers in %.1f s under load:\n%s"
              % (REPLICAS, rolling_s, outcomes.report()), flush=True)
        if wrong or failed:
            problems.append("the rolling restart had %d wrong outputs and %d failed requests" % (wrong, failed))
        if problems:
            for name in list(names.values()) + ["%s_nginx_1" % project]:
                print("---- %s\n%s" % (name, tc.podman("logs", "--tail", "40", name, check_rc=False).stderr[-4000:]))
    finally:
        dc.stop_load(clients)
        if up:
            try:
                compose(project, os.path.join(tmp, "context", "docker", "compose.yaml"),
                        dict(os.environ, INFERD_MODELS=tmp, **tags), "down", "-t", "1")
            except Exception as e:  # the removals below still run
                print("compose down failed: %s" % e, flush=True)
        for tag in tags.values():
            tc.podman("rmi", "--force", tag, check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_compose: total %.0f s" % (time.monotonic() - start), flush=True)
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
