"""Cold-import time of every handler module, each in a fresh interpreter, beside the reference."""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from local import template

ROOT = Path(__file__).resolve().parent.parent
RUNS = 9

_PROBE = """
import importlib.util, json, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler_under_test", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
elapsed = time.perf_counter() - start
HEAVY = ("stripe", "openpyxl", "fpdf", "babel", "jinja2", "drafthorse", "facturx")
heavy = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps({"seconds": elapsed, "heavy": heavy}))
"""


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "STRIPE_"))}
    env.update(
        PYTHONPATH=str(ROOT / "shared"),
        AWS_DEFAULT_REGION="eu-central-1",
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        TABLE_NAME="billow",
        IDEMPOTENCY_TABLE_NAME="idem",
        EXPORT_BUCKET="b",
        POWERTOOLS_SERVICE_NAME="billow",
        POWERTOOLS_METRICS_NAMESPACE="Billow",
        PYTHONDONTWRITEBYTECODE="0",
    )
    return env


def _import_once(module_path: Path, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(module_path)], env=env, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def compile_bytecode() -> None:
    """Fresh bytecode for our code, as for the installed packages: without it every changed
    module would be compiled from source on each run (this machine sets PYTHONDONTWRITEBYTECODE)."""
    for folder in ("shared/billing", "functions", "bench"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


def cold_imports(modules: dict[str, Path]) -> dict[str, tuple[float, list[str]]]:
    """Median cold-import seconds per module. Rounds interleave the modules, so drift in the
    machine's load falls on all of them alike rather than on whichever ran last."""
    compile_bytecode()
    env = _environment()
    for path in modules.values():
        _import_once(path, env)  # warm the file cache and write bytecode
    samples: dict[str, list[float]] = {name: [] for name in modules}
    heavy: dict[str, list[str]] = {}
    for _ in range(RUNS):
        for name, path in modules.items():
            result = _import_once(path, env)
            samples[name].append(result["seconds"])
            heavy[name] = result["heavy"]
    return {name: (statistics.median(values), heavy[name]) for name, values in samples.items()}


def report() -> None:
    modules = {
        "reference (minimal)": ROOT / "bench" / "reference_handler.py",
        "reference + validation": ROOT / "bench" / "reference_validating_handler.py",
    }
    for name, function in sorted(template.functions().items()):
        modules[name] = function.handler_file
    results = cold_imports(modules)
    reference = results["reference (minimal)"][0]
    print(f"Cold import, median of {RUNS} fresh interpreters, interleaved (target: ratio <= 1.00)")
    print(f"  {'handler':<28}{'ms':>9}{'ratio':>8}  heavy modules loaded")
    for name, (seconds, heavy) in results.items():
        print(f"  {name:<28}{seconds * 1000:>9.1f}{seconds / reference:>8.2f}  {', '.join(heavy) or 'none'}")
