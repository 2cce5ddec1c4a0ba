"""Starts the built service the way a rendered chart's pod would, and checks that it serves.

kubeconform proves the manifests are valid Kubernetes; this proves they fit the service: every
plain environment value the Deployment sets passes the service's own config validation, the
rules ConfigMap loads as a ruleset from RULES_DIR, /healthz, /readyz and POST /v1/score answer
on the HTTP port the probes use, and SIGTERM drains and exits within the pod's termination grace
period minus its preStop sleep.

Adjusted for a machine without a cluster: HOST is loopback, the ports are free ones, RULES_DIR
is a temporary folder holding the ConfigMap's files, and the store endpoints (cluster addresses),
MODEL_PATH (a path in the image) and Secret references are left out, so the service runs on its
embedded stores.

Usage: python3 chart-smoke.py RENDERED.yaml   (from the repository root)
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

# Addresses in the cluster and paths in the image: meaningless on this machine.
NOT_HERE = {"REDIS_URL", "REDIS_CLUSTER_NODES", "DATABASE_URL", "KAFKA_BROKERS", "OTEL_EXPORTER_OTLP_ENDPOINT", "MODEL_PATH"}
TRANSACTION = {
    "transaction_id": "chart-smoke-1",
    "timestamp": "2024-01-15T10:00:00Z",
    "amount": 12.5,
    "account_id": "acct_chart_smoke",
}


def fail(message: str) -> None:
    sys.exit(f"chart-smoke: {message}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=2) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def pod_env(docs: list[dict], rules_dir: str) -> tuple[dict, dict]:
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    if len(deployments) != 1:
        fail(f"expected one Deployment, found {len(deployments)}")
    pod = deployments[0]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
    for name in NOT_HERE:
        env.pop(name, None)
    configmaps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
    rules_volume = next((v for v in pod.get("volumes", []) if v["name"] == "rules"), None)
    env.pop("RULES_DIR", None)
    # The pod's emptyDir; here a fresh directory beside the rules.
    if "DATA_DIR" in env:
        env["DATA_DIR"] = tempfile.mkdtemp(prefix="chart-smoke-data-")
    if rules_volume and rules_volume["configMap"]["name"] in configmaps:
        for name, text in configmaps[rules_volume["configMap"]["name"]]["data"].items():
            with open(os.path.join(rules_dir, name), "w", encoding="utf-8") as f:
                f.write(text)
        env["RULES_DIR"] = rules_dir
    return env, pod


def main(rendered: str) -> None:
    with open(rendered, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    with tempfile.TemporaryDirectory() as rules_dir:
        env, pod = pod_env(docs, rules_dir)
        http_port, grpc_port = free_port(), free_port()
        env.update(HOST="127.0.0.1", HTTP_PORT=str(http_port), GRPC_PORT=str(grpc_port))
        chart_vars = len(env)
        env.update(PATH=os.environ["PATH"], HOME=os.environ.get("HOME", "/tmp"))
        base = f"http://127.0.0.1:{http_port}"
        log = tempfile.TemporaryFile()
        cmd = ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        try:
            check_serving(proc, base, log)
            grace = pod["terminationGracePeriodSeconds"]
            pre_stop = pod["containers"][0].get("lifecycle", {}).get("preStop", {})
            budget = grace - pre_stop.get("sleep", {}).get("seconds", 0)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=budget)
            took = time.monotonic() - started
            if code != 0:
                fail(f"exit code {code} after SIGTERM\n{tail(log)}")
            print(
                f"chart-smoke: {os.path.basename(rendered)}: {chart_vars} variables accepted, "
                f"rules from {'the ConfigMap' if 'RULES_DIR' in env else 'the image'}, "
                f"ready, scored, drained in {took:.1f} s (budget {budget} s)"
            )
        except subprocess.TimeoutExpired:
            fail(f"still running {budget} s after SIGTERM: the kubelet would kill it\n{tail(log)}")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def check_serving(proc: subprocess.Popen, base: str, log) -> None:
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            fail(f"the service exited with {proc.returncode} at start\n{tail(log)}")
        try:
            if http("GET", f"{base}/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            fail(f"no answer on /healthz within 30 s\n{tail(log)}")
        time.sleep(0.2)
    status, body = http("GET", f"{base}/readyz")
    if status != 200:
        fail(f"/readyz answered {status}: {body}")
    status, body = http("POST", f"{base}/v1/score", TRANSACTION)
    if status != 200 or body.get("decision") not in ("approve", "review", "decline"):
        fail(f"POST /v1/score answered {status}: {body}")


def tail(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
