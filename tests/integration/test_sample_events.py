"""Every sample event in events/ is one a handler accepts (as `sam local invoke -e` would feed it)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from local import template

EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))
# What a fresh tenant gets for events whose outcome is not a plain success.
EXPECTED = {
    "payments-post.json": {409},  # the tenant has connected no Stripe account yet
    "webhooks-stripe-post.json": {400},  # the sample's signature is long past Stripe's tolerance
    "stripe-oauth-callback-get.json": {400},  # no tenant was issued the sample's state
    "i-get.json": {404},  # the sample's token opens no invoice
    "s-get.json": {404},  # nor any subscription's payment-method page
    "exports-datev-post.json": {409},  # a fresh tenant has DATEV off
    "sign-up-post.json": {201, 409},  # its email is taken once the sample signed up in this stack
}


def family(path: str) -> str:
    """/v1/customers/{id} -> customers; /i/{token} -> i."""
    parts = path.strip("/").split("/")
    return parts[1] if parts[0] == "v1" else parts[0]


def test_every_route_family_has_a_sample_event():
    families = {family(r.path) for r in template.operation_routes()}
    hyphenated = [f for f in families if "-" in f]  # tax-rates, billing-runs: the file names the family whole
    sampled = {next((f for f in hyphenated if p.name.startswith(f)), p.name.split("-")[0]) for p in EVENTS}
    assert families <= sampled


# A path id names a record: the sample event that creates one, for the same fresh tenant, first.
CREATED_BY = {"customer_id": "customers-post.json"}


def invoke(stack, name: str, tenant: str) -> dict:
    event = json.loads((EVENTS[0].parent / name).read_text())
    if "authorizer" in event["requestContext"]:
        event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"] = tenant
    for param in (p for p in event.get("pathParameters") or {} if p in CREATED_BY):
        created = invoke(stack, CREATED_BY[param], tenant)
        assert created["statusCode"] == 201, created["body"]
        record_id = json.loads(created["body"])["id"]
        event["rawPath"] = event["rawPath"].replace(event["pathParameters"][param], record_id)
        event["pathParameters"][param] = record_id
    route = next(r for r in template.routes() if f"{r.method} {r.path}" == event["routeKey"])
    return stack.gateway.functions[route.function].invoke(event)


@pytest.mark.parametrize("path", EVENTS, ids=[p.name for p in EVENTS])
def test_sample_event_is_handled(stack, path):
    result = invoke(stack, path.name, f"t{uuid.uuid4().hex[:10]}")
    assert result["statusCode"] in EXPECTED.get(path.name, {200, 201}), result["body"]
