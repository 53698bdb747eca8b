"""How many DynamoDB requests each customer API call makes, counted at the botocore client."""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import contextmanager

import botocore.client

from local.auth import issue_token

_calls: Counter = Counter()
_original = botocore.client.BaseClient._make_api_call


def _counting(self, operation_name, api_params):
    if self.meta.service_model.service_name == "dynamodb":
        table = api_params.get("TableName", "transaction")
        _calls[(operation_name, "idempotency" if "Idempotency" in str(table) else "billow")] += 1
    return _original(self, operation_name, api_params)


@contextmanager
def counting():
    _calls.clear()
    yield _calls


def report() -> None:
    import requests

    from local.run import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    botocore.client.BaseClient._make_api_call = _counting
    stack = LocalStack(in_process=True).start()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token('bench', 'admin')}"
    url = stack.url
    retry = {"Idempotency-Key": "b1"}
    company = {"type": "company", "company_name": "Muster GmbH", "email": "a@muster.de"}
    for _ in range(30):
        session.post(f"{url}/v1/customers", json=company)
    session.patch(f"{url}/v1/settings", json={"datev_enabled": True})
    customer = session.post(f"{url}/v1/customers", json=company).json()
    cid = customer["id"]
    calls = [
        ("create (no DATEV number)", "POST", "/v1/customers", {"json": company}),
        ("create (DATEV number drawn)", "POST", "/v1/customers", {"json": company}),
        ("create with Idempotency-Key", "POST", "/v1/customers", {"json": company, "headers": retry}),
        ("same Idempotency-Key again", "POST", "/v1/customers", {"json": company, "headers": retry}),
        ("get", "GET", f"/v1/customers/{cid}", {}),
        ("list (page of 25)", "GET", "/v1/customers", {}),
        ("search", "GET", "/v1/customers", {"params": {"search": "muster"}}),
        ("update", "PATCH", f"/v1/customers/{cid}", {"json": {"phone": "1"}}),
        ("archive", "POST", f"/v1/customers/{cid}/archive", {}),
        ("restore", "POST", f"/v1/customers/{cid}/restore", {}),
        ("timeline", "GET", f"/v1/customers/{cid}/timeline", {}),
        ("export (32 customers)", "POST", "/v1/customers/export", {}),
        ("delete", "DELETE", f"/v1/customers/{cid}", {}),
    ]
    session.patch(f"{url}/v1/settings", json={"datev_enabled": False})
    _print_counts("customer", session, url, calls)
    buyer = session.post(f"{url}/v1/customers", json=company).json()["id"]  # the first was deleted above
    _print_counts("invoice", session, url, _invoice_calls(session, url, buyer))
    _print_counts("subscription", session, url, _subscription_calls(stack, session, url, buyer))
    stack.stop()


def _invoice_calls(session, url: str, customer_id: str) -> list[tuple]:
    """Target: a 10-line draft in at most 3 requests; finalize one transaction plus reads."""
    product = session.post(f"{url}/v1/products", json={"name": "Plan", "unit_price": "11.90", "currency": "eur"}).json()
    rate = session.post(f"{url}/v1/tax-rates", json={"name": "USt", "percentage": "19"}).json()
    custom = [{"name": f"Position {i}", "unit_price": "19.90", "quantity": str(1 + i)} for i in range(10)]
    library = [{"product_id": product["id"], "tax_rate_id": rate["id"]} for _ in range(10)]
    draft = session.post(f"{url}/v1/invoices", json={"customer_id": customer_id, "lines": custom}).json()
    return [
        (
            "create (10 custom lines, draft)",
            "POST",
            "/v1/invoices",
            {"json": {"customer_id": customer_id, "lines": custom}},
        ),
        (
            "create (10 library lines + rate)",
            "POST",
            "/v1/invoices",
            {"json": {"customer_id": customer_id, "lines": library}},
        ),
        ("finalize", "POST", f"/v1/invoices/{draft['id']}/finalize", {}),
        ("get", "GET", f"/v1/invoices/{draft['id']}", {}),
        ("list (page of 25)", "GET", "/v1/invoices", {}),
        ("record a payment by hand", "POST", f"/v1/invoices/{draft['id']}/payments", {"json": {"amount": 100}}),
        ("history", "GET", f"/v1/invoices/{draft['id']}/history", {}),
    ]


def _subscription_calls(stack, session, url: str, customer_id: str) -> list[tuple]:
    """A create with AutoPay: the customer, settings, library and methods read, the first payment
    recorded and charged, the subscription written, its first invoice written, numbered and paid."""
    import stripe

    from local.run import STRIPE_SECRET_KEY
    from tests.integration.conftest import authorize_at_stripe

    start = session.post(f"{url}/v1/settings/stripe/connect").json()
    session.get(authorize_at_stripe(start["authorize_url"]).headers["Location"])
    account = session.get(f"{url}/v1/settings/stripe").json()["account_id"]
    setup = session.post(f"{url}/v1/customers/{customer_id}/payment-methods/setup").json()
    client = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url})
    client.v1.setup_intents.confirm(
        setup["setup_intent_id"], params={"payment_method": "pm_card_visa"}, options={"stripe_account": account}
    )
    stack.stripe.drain()
    monthly = {"name": "Hosting", "unit_price": "29.00", "billing_frequency": "monthly"}
    order = {"customer_id": customer_id, "currency": "eur", "lines": [monthly]}
    made = session.post(f"{url}/v1/subscriptions", json=order).json()["data"][0]
    return [
        ("create with AutoPay (charged now)", "POST", "/v1/subscriptions", {"json": order}),
        (
            "create, invoice mode (sent now)",
            "POST",
            "/v1/subscriptions",
            {"json": {**order, "collection_method": "send_invoice"}},
        ),
        ("get (with its invoices)", "GET", f"/v1/subscriptions/{made['id']}", {}),
        ("list (page of 25)", "GET", "/v1/subscriptions", {}),
        (
            "cancel with the prorated refund",
            "POST",
            f"/v1/subscriptions/{made['id']}/cancel",
            {"json": {"mode": "immediately_with_refund", "confirm": True}},
        ),
    ]


def _print_counts(resource: str, session, url: str, calls: list[tuple]) -> None:
    print(f"\nDynamoDB requests per {resource} API call (billow table + idempotency table)")
    print(f"  {'call':<34}{'status':>7}{'billow':>8}{'idem.':>7}  operations")
    for label, method, path, kwargs in calls:
        if label.startswith("create (DATEV"):
            session.patch(f"{url}/v1/settings", json={"datev_enabled": True})
        with counting() as calls_made:
            status = session.request(method, url + path, **kwargs).status_code
            seen = dict(calls_made)
        if label.startswith("create (DATEV"):
            session.patch(f"{url}/v1/settings", json={"datev_enabled": False})
        billow = sum(n for (_, t), n in seen.items() if t == "billow")
        idem = sum(n for (_, t), n in seen.items() if t == "idempotency")
        ops = ", ".join(f"{op}×{n}" if n > 1 else op for (op, _), n in sorted(seen.items()))
        print(f"  {label:<34}{status:>7}{billow:>8}{idem:>7}  {ops}")
