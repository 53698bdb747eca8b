"""`make mutate`: mutation testing (mutmut) of the money engine, the document rules, and the services
that bill, collect, number, dun and refund.

mutmut names a mutant by its file's path, and the tests import the layer's package as `billing`,
so the run happens in a workspace (.mutmut/) where `billing/` sits at the top, beside copies of
the tests and what they read. The unit tests are the judges (they run in-process, in milliseconds); the
DynamoDB adapters' rules are proven over moto by tests/integration/test_repository_rules.py.
Each run starts clean, because mutmut re-tests a mutant only when its own function changed.

Invoice drafts and collection (services/invoices/drafts.py, collect.py) are not among the targets:
beyond what the billing cycle reaches, their edits, clones, payments by hand, ledger applications
and checkouts are proven by the integration tests over HTTP, which these in-process runs do not
use (mutmut finds no unit test for two thirds of their mutants)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# MUTATE_WORKSPACE, MUTATE_ONLY (comma-separated parts of target paths) and MUTATE_CHILDREN narrow a
# run while a test is being written, e.g. MUTATE_ONLY=subscriptions/dunning make mutate.
WORKSPACE = Path(os.environ.get("MUTATE_WORKSPACE", ROOT / ".mutmut"))
TARGETS = [
    "billing/domain/money.py",
    "billing/domain/periods.py",
    "billing/domain/pricing.py",
    "billing/services/payments/charges.py",
    "billing/services/payments/refunds.py",
    "billing/services/payments/ledger.py",
    "billing/services/stripe_events.py",
    "billing/services/billing_runs.py",
    "billing/services/subscriptions/cycle.py",
    "billing/services/subscriptions/dunning.py",
    "billing/services/subscriptions/reminders.py",
    "billing/services/subscriptions/cancel.py",
    "billing/services/subscriptions/outcomes.py",
    "billing/services/invoices/lifecycle.py",
    "billing/services/publishing.py",
    "billing/domain/invoices.py",
    "billing/domain/subscriptions.py",
]
if only := os.environ.get("MUTATE_ONLY"):
    TARGETS = [target for target in TARGETS if any(part in target for part in only.split(","))]
COPIED = {"shared/billing": "billing", "tests": "tests", "local": "local", "functions": "functions"}
CONFIG = f"""
[tool.mutmut]
source_paths = ["billing"]
only_mutate = {TARGETS!r}
also_copy = ["local", "functions", "template.yaml", "events"]
pytest_add_cli_args_test_selection = ["tests/unit"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]

[tool.pytest.ini_options]
testpaths = ["tests"]
"""
KILLED = {"killed", "timeout"}  # a mutant that hangs the suite is caught too


def prepare() -> None:
    WORKSPACE.mkdir(exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    # mutmut re-tests a mutant only when its function changed, not when the tests did: start clean.
    shutil.rmtree(WORKSPACE / "mutants", ignore_errors=True)
    for source, target in COPIED.items():
        shutil.rmtree(WORKSPACE / target, ignore_errors=True)
        shutil.copytree(ROOT / source, WORKSPACE / target, ignore=ignore)
    shutil.copy(ROOT / "template.yaml", WORKSPACE / "template.yaml")
    shutil.rmtree(WORKSPACE / "events", ignore_errors=True)
    shutil.copytree(ROOT / "events", WORKSPACE / "events")
    (WORKSPACE / "pyproject.toml").write_text(CONFIG)


def mutmut(*args: str, capture: bool = False) -> str:
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    done = subprocess.run(command, cwd=WORKSPACE, text=True, capture_output=capture, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mutmut {' '.join(args)} failed ({done.returncode}): {done.stderr if capture else ''}")
    return done.stdout


def report() -> float:
    outcomes: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for row in mutmut("results", "--all", "true", capture=True).splitlines():
        name, _, status = row.strip().rpartition(": ")
        if not name:
            continue
        module = name.split(".xǁ")[0] if ".xǁ" in name else name.rsplit(".x_", 1)[0]
        outcomes[module][status in KILLED] += 1
        if status not in KILLED:
            survivors.append(f"{name}: {status}")
    total = Counter()
    print(f"\n{'module':<36} {'mutants':>8} {'killed':>8} {'share':>7}")
    for module, counts in sorted(outcomes.items()):
        total.update(counts)
        share = counts[True] / (counts[True] + counts[False])
        print(f"{module:<36} {counts[True] + counts[False]:>8} {counts[True]:>8} {share:>7.1%}")
    share = total[True] / max(1, total[True] + total[False])
    print(f"{'all':<36} {total[True] + total[False]:>8} {total[True]:>8} {share:>7.1%}")
    if survivors:
        print(f"\n{len(survivors)} survivors (inspect one with: cd {WORKSPACE} && mutmut show NAME):")
        print("\n".join(f"  {s}" for s in survivors))
    return share


if __name__ == "__main__":
    prepare()
    mutmut("run", "--max-children", os.environ.get("MUTATE_CHILDREN", "2"))
    report()
