"""The pytest plugin scripts/peer-ecs copies into its temp dir as conftest.py, beside a
copy of moto's tests/test_ecs, so that moto's ECS tests run against Berth.

- moto's `mock_aws` is replaced, before any test module imports it, by one that passes
  ECS through to the network: every ECS call goes to Berth (AWS_ENDPOINT_URL_ECS). The
  other services the tests call (EC2, to mint the instances whose identity documents
  they register; ELB, CloudFormation, EFS, STS in some) stay moto's: Berth has none of
  them, and the runner reports a test that needed one as not applicable.
- Each test gets a fresh `berth up --no-agent` (its own port and data dir, moto's
  account id), as each moto test gets fresh backends, and it is stopped after the test.
- An instance a test registers with RegisterContainerInstance gets an agent: the runner's
  agents process (scripts/peer-ecs-agents.ts) joins it through Berth's join path and holds
  its session, as the ECS agent on that EC2 instance would.
- Every test's outcome, one-line reason and the non-ECS operations it called are written
  to $PEER_ECS_RESULTS (JSON) for the runner's summary.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import botocore.client
import botocore.waiter
import moto
import pytest

BERTH_CMD = json.loads(os.environ["PEER_ECS_BERTH_CMD"])  # argv of `berth up`, without port and dir
EXTERNAL = os.environ.get("PEER_ECS_ENDPOINT")  # a Berth given by --endpoint, shared by every test
EXTERNAL_TOKEN = os.environ.get("PEER_ECS_JOIN_TOKEN")
AGENTS = os.environ["PEER_ECS_AGENTS"]  # http://127.0.0.1:N of scripts/peer-ecs-agents.ts
RESULTS = os.environ["PEER_ECS_RESULTS"]
ACCOUNT_ID = os.environ.get("PEER_ECS_ACCOUNT_ID", "123456789012")
# How long a fresh `berth up` may take to answer its health check (it takes ~0.4 s here).
START_TIMEOUT_S = 30
# A reason is one line of the summary: longer ones are cut.
MAX_REASON = 400
# The EC2 calls that only mint an instance for its identity document: on AWS that is the
# instance itself; here moto's EC2 stands in for it, so using them needs no service Berth lacks.
MINTING = {"ec2.RunInstances", "ec2.DescribeInstances", "ec2.DescribeImages"}

# The host an adopted instance's agent reports when the test registers no resources.
HOST_RESOURCES = [
    {"name": "CPU", "type": "INTEGER", "integerValue": 4096},
    {"name": "MEMORY", "type": "INTEGER", "integerValue": 7482},
    {"name": "PORTS", "type": "STRINGSET", "stringSetValue": ["22", "2376", "2375", "51678", "51679"]},
    {"name": "PORTS_UDP", "type": "STRINGSET", "stringSetValue": []},
]

_real_mock_aws = moto.mock_aws
_PASSTHROUGH = {"services": ["ecs"], "urls": [r"https?://(127\.0\.0\.1|localhost)(:\d+)?/.*"]}


def _mock_aws(func=None, config=None):
    """moto's mock_aws with ECS passed through to Berth."""
    config = dict(config or {})
    core = dict(config.get("core", {}))
    core["passthrough"] = _PASSTHROUGH
    core["reset_boto3_session"] = False
    config["core"] = core
    mock = _real_mock_aws(config=config)
    return mock(func) if func is not None else mock


moto.mock_aws = _mock_aws

# What the current test did: its Berth, the non-ECS operations it called, adoption notes.
_current = {"endpoint": None, "token": None, "ops": set(), "ecs_calls": 0, "notes": []}
_results = {}


def _post(path, body):
    req = urllib.request.Request(AGENTS + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return json.loads(res.read())
    except urllib.error.HTTPError as e:
        return {"error": json.loads(e.read()).get("error", str(e))}


def _record(event_name=None, **_):
    # before-call.<service>.<Operation>
    _, service, op = event_name.split(".", 2)
    if service == "ecs":
        _current["ecs_calls"] += 1
    else:
        _current["ops"].add(f"{service}.{op}")


def _failures(event_name=None, parsed=None, **_):
    # A batch answer's failures (RunTask's placement failures above all) explain a later
    # assertion on a count: keep the first of each operation for the summary.
    failures = (parsed or {}).get("failures") if isinstance(parsed, dict) else None
    op = event_name.split(".")[-1]
    if failures and op in ("RunTask", "StartTask") and not any(n.startswith(op) for n in _current["notes"]):
        _current["notes"].append(f"{op} failures: {json.dumps(failures[:2])[:200]}")


def _stash(params=None, context=None, **_):
    try:
        context["peer_ecs_registration"] = json.loads(params.get("body") or b"{}")
    except ValueError:
        pass


def _adopter(client):
    def adopt(http_response=None, parsed=None, context=None, **_):
        if http_response is None or http_response.status_code != 200 or _current["token"] is None:
            return
        arn = parsed["containerInstance"]["containerInstanceArn"]
        registration = dict(context.get("peer_ecs_registration") or {})
        registration["containerInstanceArn"] = arn
        registration.setdefault("cluster", "default")
        # The agent on that instance reports the host's capacity: the tests register none
        # of their own, so the host is moto's (4 vCPUs, 7482 MiB for tasks), with the ports
        # the ECS agent reserves by default (SSH, Docker, the agent's introspection).
        if not registration.get("totalResources"):
            registration["totalResources"] = HOST_RESOURCES
        out = _post("/adopt", {"endpoint": _current["endpoint"], "joinToken": _current["token"], "region": client.meta.region_name, "registration": registration})
        if "error" in out:
            _current["notes"].append(f"no agent for {arn}: {out['error']}")

    return adopt


_real_create_client = botocore.client.ClientCreator.create_client


def _create_client(self, service_name, *args, **kwargs):
    client = _real_create_client(self, service_name, *args, **kwargs)
    client.meta.events.register("before-call", _record)
    if service_name == "ecs":
        client.meta.events.register("after-call.ecs", _failures)
        client.meta.events.register("before-call.ecs.RegisterContainerInstance", _stash)
        client.meta.events.register("after-call.ecs.RegisterContainerInstance", _adopter(client))
    return client


botocore.client.ClientCreator.create_client = _create_client

# A waiter polls as often as it likes but gives up sooner than botocore's ECS defaults
# (6 s × 100): a task that never stops should cost a test a minute, not ten.
WAITER = {"Delay": 1, "MaxAttempts": 60}
_real_wait = botocore.waiter.Waiter.wait


def _wait(self, **kwargs):
    kwargs["WaiterConfig"] = {**WAITER, **kwargs.get("WaiterConfig", {})}
    return _real_wait(self, **kwargs)


botocore.waiter.Waiter.wait = _wait


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_berth():
    port = _free_port()
    data_dir = tempfile.mkdtemp(prefix="peer-ecs-berth-")
    log = open(data_dir + ".log", "wb")
    proc = subprocess.Popen([*BERTH_CMD, "--port", str(port), "--data-dir", data_dir, "--account-id", ACCOUNT_ID], stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"berth up exited with {proc.returncode} (log: {log.name})")
        try:
            with urllib.request.urlopen(endpoint + "/_berth/health", timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"berth up was not healthy within {START_TIMEOUT_S} s (log: {log.name})")
            time.sleep(0.05)
    with open(os.path.join(data_dir, "join-token")) as f:
        token = f.read().strip()
    return proc, endpoint, data_dir, token, log


@pytest.fixture(autouse=True)
def berth():
    """A fresh Berth per test (or the one --endpoint gave), as moto gives fresh backends."""
    _current.update(ops=set(), ecs_calls=0, notes=[])
    if EXTERNAL:
        _current.update(endpoint=EXTERNAL, token=EXTERNAL_TOKEN)
        os.environ["AWS_ENDPOINT_URL_ECS"] = EXTERNAL
        yield
        _post("/release", {"endpoint": EXTERNAL})
        return
    proc, endpoint, data_dir, token, log = _start_berth()
    _current.update(endpoint=endpoint, token=token)
    os.environ["AWS_ENDPOINT_URL_ECS"] = endpoint
    try:
        yield
    finally:
        _post("/release", {"endpoint": endpoint})
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        os.unlink(log.name)


def _one_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        text = crash.message
        # The line of the test file where it failed (the crash itself may be in botocore).
        test_file = report.location[0].split("/")[-1]
        lines = [e.reprfileloc.lineno for e in getattr(report.longrepr.reprtraceback, "reprentries", [])
                 if getattr(e, "reprfileloc", None) and e.reprfileloc.path.endswith(test_file)]
        where = f" (line {lines[-1]})" if lines else ""
    elif isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        text, where = report.longrepr[2], ""
    else:
        text, where = str(report.longrepr), ""
    line = " ".join(text.split())
    if len(line) > MAX_REASON:
        line = line[: MAX_REASON - 1] + "…"
    return line + where


def pytest_runtest_logreport(report):
    entry = _results.setdefault(report.nodeid, {"outcome": "passed", "reason": ""})
    if report.when == "call" or report.outcome != "passed":
        if entry["outcome"] == "passed":
            entry["outcome"] = report.outcome
            if report.outcome != "passed":
                entry["reason"] = _one_line(report)
    if report.when == "teardown":
        entry["non_ecs_ops"] = sorted(_current["ops"] - MINTING)
        entry["minted_instances"] = bool(_current["ops"] & MINTING)
        entry["ecs_calls"] = _current["ecs_calls"]
        entry["notes"] = list(_current["notes"])


def pytest_sessionfinish(session):
    with open(RESULTS, "w") as f:
        json.dump(_results, f, indent=1)
