"""SnapStart priming: under SnapStart each API function builds what its routes use before the
snapshot, opens no socket while doing so (the unit tests refuse sockets) and leaves the Stripe
keys out of the snapshot; without SnapStart it registers nothing and stays lazy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import snapshot_restore_py

from billing import bootstrap
from billing.http.snapstart import prime_on_snapshot

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@pytest.fixture
def lambda_environment(monkeypatch):
    for name, value in {
        "TABLE_NAME": "billow",
        "IDEMPOTENCY_TABLE_NAME": "idem",
        "AWS_DEFAULT_REGION": "eu-central-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "MAIL_FROM": "receipts@billing.example.com",
        "STRIPE_SECRET_NAME": "billow/stripe",
        "EXPORT_BUCKET": "exports",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    for factory in vars(bootstrap).values():
        if hasattr(factory, "cache_clear"):
            factory.cache_clear()
    from billing.adapters.dynamodb.models import BillowItem
    from billing.adapters.stripe.gateway import gateway_from_environment

    gateway_from_environment.cache_clear()
    connection = BillowItem._connection  # the integration tests' connection to moto, if they ran first
    BillowItem._connection = None
    yield
    BillowItem._connection = connection
    gateway_from_environment.cache_clear()
    for factory in vars(bootstrap).values():
        if hasattr(factory, "cache_clear"):
            factory.cache_clear()


def load(function: str):
    spec = importlib.util.spec_from_file_location(f"snapstart_{function}", FUNCTIONS / function / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(FUNCTIONS / function))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(FUNCTIONS / function))
    return module


@pytest.mark.parametrize("function", ["customers", "catalog", "payments", "stripe_webhook"])
def test_without_snapstart_nothing_is_registered_or_built(lambda_environment, monkeypatch, function):
    monkeypatch.delenv("AWS_LAMBDA_INITIALIZATION_TYPE", raising=False)
    load(function)
    assert snapshot_restore_py.get_before_snapshot() == []
    assert bootstrap.customer_service.cache_info().currsize == 0


@pytest.mark.parametrize(
    ("function", "built"),
    [
        ("customers", [bootstrap.customer_service]),
        ("catalog", [bootstrap.catalog_service, bootstrap.pricing_service]),
        ("payments", [bootstrap.payment_service, bootstrap.stripe_connect_service]),
        ("stripe_webhook", [bootstrap.stripe_event_service]),
    ],
)
def test_under_snapstart_the_hook_builds_services_validators_and_clients_without_network(
    lambda_environment, monkeypatch, function, built
):
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    module = load(function)
    assert built[0].cache_info().currsize == 0  # nothing before the hook runs
    for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        hook(*args, **kwargs)  # the unit tests' socket guard fails any network use
    assert all(factory.cache_info().currsize == 1 for factory in built)
    routes = module.app._static_routes + module.app._dynamic_routes
    assert routes and all(route._dependant is not None for route in routes)
    from billing.adapters.dynamodb.models import BillowItem
    from billing.adapters.stripe.gateway import gateway_from_environment

    assert BillowItem._get_connection().connection._client is not None
    assert "_keys" not in vars(gateway_from_environment())  # the Stripe keys stay out of the snapshot
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)


def test_prime_on_snapshot_says_whether_it_registered(lambda_environment, monkeypatch):
    app = load("catalog").app
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
    assert prime_on_snapshot(app) is False
    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
    assert prime_on_snapshot(app) is True
