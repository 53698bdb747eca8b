"""Cold starts as Lambda runs them: imports from the layer `sam build` makes (with and without its
bytecode), and each handler's first request after init, lazy or primed for a SnapStart snapshot,
beside a warm request. Every figure comes from a fresh interpreter that sees the stdlib and the
layer only (python -S), as the runtime does; requests go to the embedded table (moto over HTTP)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import snapshot_restore_py

from local import template

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
REQUESTS = {  # one read per function, answered from the table
    "CustomersFunction": ("GET", "/v1/customers"),
    "CatalogFunction": ("GET", "/v1/products"),
    "PaymentsFunction": ("GET", "/v1/payments"),
    "InvoicesFunction": ("GET", "/v1/invoices"),
    "SubscriptionsFunction": ("GET", "/v1/subscriptions"),
    "BillingRunFunction": ("GET", "/v1/billing-runs"),
    "StripeWebhookFunction": ("POST", "/v1/webhooks/stripe"),
}

_PROBE = r"""
import importlib.util, json, os, statistics, sys, time
handler_file, event_file, mode = sys.argv[1:4]
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", handler_file)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
imported = time.perf_counter()
result = {"import": imported - start, "modules": len(sys.modules)}
if mode != "import":
    if mode == "primed":
        import snapshot_restore_py as hooks
        for func, args, kwargs in reversed(hooks.get_before_snapshot()):
            func(*args, **kwargs)
        result["prime"] = time.perf_counter() - imported
        # --- the snapshot is taken here; a cold start resumes below ---
        for func, args, kwargs in hooks.get_after_restore():
            func(*args, **kwargs)
    class Context:
        function_name, aws_request_id, memory_limit_in_mb = "bench", "r", 512
        invoked_function_arn = "arn:aws:lambda:eu-central-1:000000000000:function:bench"
        def get_remaining_time_in_millis(self):
            return 29000
    event = json.load(open(event_file))
    sink = open(os.devnull, "w")
    def timed():
        stdout, sys.stdout = sys.stdout, sink  # the handler's own log lines
        try:
            began = time.perf_counter()
            status = module.lambda_handler(json.loads(json.dumps(event)), Context())["statusCode"]
            return time.perf_counter() - began, status
        finally:
            sys.stdout = stdout
    result["first"], result["status"] = timed()
    result["warm"] = statistics.median(timed()[0] for _ in range(20))
print(json.dumps(result))
"""


def build_layer(target: Path) -> Path:
    """The layer as `sam build` makes it (shared/Makefile), for this machine's platform."""
    python = sys.executable if sys.version_info[:2] == (3, 12) else shutil.which("python3.12")
    if python is None:
        raise SystemExit("the layer is built with python3.12 (Lambda's runtime), which this machine lacks")
    platform_tag = f"manylinux2014_{platform.machine()}"
    subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(ROOT / "shared"),
            "build-BillingLayer",
            f"ARTIFACTS_DIR={target}",
            f"PYTHON={python}",
            f"PLATFORM={platform_tag}",
        ],
        check=True,
    )
    return target / "python"


def without_bytecode(layer: Path, target: Path) -> Path:
    shutil.copytree(layer, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def runtime_dir(target: Path) -> Path:
    """What the Lambda runtime itself puts on the path and the layer lacks: snapshot_restore_py."""
    target.mkdir()
    shutil.copy(snapshot_restore_py.__file__, target / "snapshot_restore_py.py")
    return target


def probe(python: str, paths: list[Path], handler: Path, event: Path, mode: str, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AWS_LAMBDA_INITIALIZATION_TYPE")}
    # /opt is read-only in Lambda: nothing the interpreter compiles is kept.
    env.update(PYTHONPATH=os.pathsep.join(map(str, paths)), PYTHONDONTWRITEBYTECODE="1", **extra)
    done = subprocess.run(
        [python, "-S", "-c", _PROBE, str(handler), str(event), mode], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{handler} ({mode}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(samples: list[dict], key: str) -> float:
    return statistics.median(s[key] for s in samples) * 1000


def events_for(folder: Path, sign: Callable[[str], str]) -> dict[str, Path]:
    sample = json.loads((ROOT / "events" / "customers-get.json").read_text())
    files = {}
    for function, (method, path) in REQUESTS.items():
        event = json.loads(json.dumps(sample))
        event.update(routeKey=f"{method} {path}", rawPath=path, rawQueryString="")
        event["requestContext"].update(routeKey=f"{method} {path}")
        event["requestContext"]["http"].update(method=method, path=path)
        event["headers"].pop("idempotency-key")
        if function == "StripeWebhookFunction":
            body = json.dumps(
                {
                    "id": "evt_bench",
                    "object": "event",
                    "type": "customer.created",
                    "account": "acct_bench",
                    "data": {"object": {"id": "cus_x"}},
                }
            )
            event["body"] = body
            event["headers"]["stripe-signature"] = sign(body)  # as the stand-in signs its deliveries
            del event["requestContext"]["authorizer"]
        files[function] = folder / f"{function}.json"
        files[function].write_text(json.dumps(event))
    return files


def report() -> None:
    import logging

    from local.run import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    python = str(Path(sysconfig.get_config_var("BINDIR")) / f"python{sys.version_info.major}.{sys.version_info.minor}")
    stack = LocalStack(in_process=True).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            scratch = Path(scratch)
            began = time.perf_counter()
            layer = build_layer(scratch / "built")
            built_in = time.perf_counter() - began
            bare = without_bytecode(layer, scratch / "bare")
            runtime = runtime_dir(scratch / "runtime")
            pyc = sum(1 for _ in layer.rglob("*.pyc"))
            size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file()) / 2**20
            events = events_for(scratch, stack.stripe.signature)
            print(
                f"\nCold starts from the built layer ({size:.0f} MiB unzipped of Lambda's 250 MB for function and "
                f"layers; {pyc} .pyc files, built in {built_in:.0f} s), "
                f"median of {RUNS} fresh interpreters (python -S, read-only)"
            )
            print(
                f"  {'function':<24}{'import':>16}{'import':>10}{'first request':>16}{'first req.':>12}"
                f"{'warm':>8}{'prime':>8}"
            )
            print(
                f"  {'':<24}{'no bytecode':>16}{'bytecode':>10}{'lazy init':>16}{'primed':>12}"
                f"{'req.':>8}{'(snap)':>8}   ms"
            )
            for function, spec in sorted(template.api_functions().items()):
                handler = spec.handler_file
                paths = [runtime, spec.code_uri]
                snap = {"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
                rows = {
                    "bare": [
                        probe(python, [*paths, bare], handler, events[function], "import", {}) for _ in range(RUNS)
                    ],
                    "lazy": [
                        probe(python, [*paths, layer], handler, events[function], "lazy", {}) for _ in range(RUNS)
                    ],
                    "primed": [
                        probe(python, [*paths, layer], handler, events[function], "primed", snap) for _ in range(RUNS)
                    ],
                }
                statuses = {s["status"] for s in rows["lazy"] + rows["primed"]}
                print(
                    f"  {function:<24}{median_of(rows['bare'], 'import'):>16.0f}"
                    f"{median_of(rows['lazy'], 'import'):>10.0f}{median_of(rows['lazy'], 'first'):>16.0f}"
                    f"{median_of(rows['primed'], 'first'):>12.0f}{median_of(rows['lazy'], 'warm'):>8.1f}"
                    f"{median_of(rows['primed'], 'prime'):>8.0f}   HTTP {'/'.join(map(str, sorted(statuses)))}"
                )
    finally:
        stack.stop()
