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
}


def test_every_route_family_has_a_sample_event():
    families = {r.path.split("/")[2] for r in template.operation_routes()}
    sampled = {"tax-rates" if p.name.startswith("tax-rates") else p.name.split("-")[0] for p in EVENTS}
    assert families <= sampled


@pytest.mark.parametrize("path", EVENTS, ids=[p.name for p in EVENTS])
def test_sample_event_is_handled(stack, path):
    event = json.loads(path.read_text())
    if "authorizer" in event["requestContext"]:
        event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:tenant_id"] = f"t{uuid.uuid4().hex[:10]}"
    route = next(r for r in template.routes() if f"{r.method} {r.path}" == event["routeKey"])
    result = stack.gateway.functions[route.function].invoke(event)
    # Events with a path id name a record the fresh tenant does not have: 404, not 500.
    expected = EXPECTED.get(path.name) or ({404} if "pathParameters" in event else {200, 201})
    assert result["statusCode"] in expected, result["body"]
