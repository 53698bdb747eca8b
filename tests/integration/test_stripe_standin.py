"""The Stripe stand-in speaks Stripe: every object it answers or sends in an event carries each
field the `stripe` SDK types as never null (the SDK is generated from Stripe's OpenAPI
description), and the nullable fields Billow reads; events name their request; /v1/events lists."""

from __future__ import annotations

import typing
import uuid

import pytest
import requests
import stripe

from local.run import STRIPE_SECRET_KEY

TYPES = {
    "customer": stripe.Customer,
    "setup_intent": stripe.SetupIntent,
    "payment_method": stripe.PaymentMethod,
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "dispute": stripe.Dispute,
    "event": stripe.Event,
    "checkout.session": stripe.checkout.Session,
    "list": stripe.ListObject,
}
# Nullable fields Billow reads (billing.adapters.stripe.gateway) or the issue named: present always.
READ_BY_BILLOW = {
    "payment_intent": {"latest_charge", "last_payment_error", "payment_method", "customer", "client_secret"},
    "charge": {"payment_intent", "refunds", "failure_code", "failure_message", "payment_method", "customer"},
    "setup_intent": {"client_secret", "payment_method", "customer", "last_setup_error"},
    "payment_method": {"card", "customer"},
    "customer": {"email", "name", "invoice_settings"},
    "dispute": {"payment_intent"},
    "refund": {"charge", "payment_intent", "status"},
    "event": {"account", "request", "api_version"},
    "checkout.session": {"url", "status", "payment_status", "payment_intent", "amount_total", "currency", "metadata"},
}


def gaps(value: dict, cls: type, path: str) -> list[str]:
    """Fields ``cls`` types as never null that ``value`` lacks, at any depth."""
    found = []
    for name, annotation in vars(cls).get("__annotations__", {}).items():
        if name == "OBJECT_NAME" or typing.get_origin(annotation) is typing.ClassVar:
            continue
        nullable = type(None) in typing.get_args(annotation)
        field = value.get(name)
        if field is None:
            if not nullable:
                found.append(f"{path}.{name}")
            continue
        for inner in typing.get_args(annotation) or (annotation,):
            inner = typing.get_origin(inner) or inner
            if isinstance(field, dict) and isinstance(inner, type) and issubclass(inner, stripe.StripeObject):
                kind = field.get("object")
                found += gaps(field, TYPES.get(kind, inner) if isinstance(kind, str) else inner, f"{path}.{name}")
                break
    return found


def check(obj: dict, path: str = "") -> list[str]:
    kind = obj["object"]
    path = path or f"{kind} {obj.get('id', '')}"
    found = gaps(obj, TYPES[kind], path)
    found += [f"{path}.{name} (read by Billow)" for name in READ_BY_BILLOW.get(kind, ()) if name not in obj]
    return found


@pytest.fixture
def client(stack) -> stripe.StripeClient:
    return stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url}, max_network_retries=0)


def scenario(client: stripe.StripeClient, stack, account: str) -> list[dict]:
    """Everything Billow does at Stripe, and a dispute; returns every object answered."""
    options = {"stripe_account": account}
    customer = client.v1.customers.create(
        params={"email": "ap@muster.de", "name": "Muster GmbH"}, options={**options, "idempotency_key": "c-1"}
    )
    setup = client.v1.setup_intents.create(params={"customer": customer.id, "usage": "off_session"}, options=options)
    setup = client.v1.setup_intents.confirm(setup.id, params={"payment_method": "pm_card_visa"}, options=options)
    charge_params = {
        "amount": 1190,
        "currency": "eur",
        "customer": customer.id,
        "payment_method": setup.payment_method,
        "off_session": True,
        "confirm": True,
        "metadata": {"billow_payment": "pay_1"},
        "expand": ["latest_charge"],
    }
    paid = client.v1.payment_intents.create(params=charge_params, options={**options, "idempotency_key": "p-1"})
    refund = client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 190}, options=options)
    declined_setup = client.v1.setup_intents.create(params={"customer": customer.id}, options=options)
    with pytest.raises(stripe.CardError):
        client.v1.setup_intents.confirm(
            declined_setup.id, params={"payment_method": "pm_card_chargeDeclined"}, options=options
        )
    dispute = requests.post(
        f"{stack.stripe_url}/_standin/disputes", json={"account": account, "charge": paid.latest_charge.id}, timeout=10
    ).json()
    retrieved = client.v1.payment_intents.retrieve(paid.id, params={"expand": ["latest_charge"]}, options=options)
    checkout = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {"currency": "eur", "unit_amount": 11900, "product_data": {"name": "Invoice RE-1"}},
                }
            ],
            "success_url": "https://billow.example/i/t?checkout={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://billow.example/i/t",
            "metadata": {"billow_invoice": "inv_1"},
            "payment_intent_data": {"metadata": {"billow_invoice": "inv_1"}},
        },
        options={**options, "idempotency_key": "cs-1"},
    )
    paid_page = requests.post(checkout.url, data={"card": "pm_card_visa"}, allow_redirects=False, timeout=10)
    assert paid_page.headers["Location"] == f"https://billow.example/i/t?checkout={checkout.id}"
    completed = client.v1.checkout.sessions.retrieve(checkout.id, options=options)
    assert (completed.status, completed.payment_status, completed.url) == ("complete", "paid", None)
    answers = [
        customer,
        setup,
        paid,
        refund,
        retrieved,
        client.v1.payment_methods.retrieve(setup.payment_method, options=options),
        checkout,
        completed,
    ]
    return [a.to_dict() for a in answers] + [dispute]


def test_every_object_and_event_carries_what_stripe_always_sends(client, stack):
    account = f"acct_{uuid.uuid4().hex[:16]}"
    answered = scenario(client, stack, account)
    events = [e.to_dict() for e in client.v1.events.list(params={"limit": 100}, options={"stripe_account": account})]
    assert {e["type"] for e in events} >= {
        "customer.created",
        "setup_intent.created",
        "setup_intent.succeeded",
        "setup_intent.setup_failed",
        "payment_method.attached",
        "payment_intent.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "refund.created",
        "charge.refunded",
        "charge.dispute.created",
        "checkout.session.completed",
    }
    problems = [p for obj in answered for p in check(obj)]
    problems += [p for event in events for p in check(event) + check(event["data"]["object"], f"{event['type']}")]
    assert not problems, "\n".join(problems)
    charge = answered[2]["latest_charge"]
    assert charge["refunds"]["url"] == f"/v1/charges/{charge['id']}/refunds"
    assert (charge["captured"], charge["amount_captured"]) == (True, 1190)
    assert charge["metadata"] == {"billow_payment": "pay_1"}
    assert (answered[2]["capture_method"], answered[2]["confirmation_method"]) == ("automatic_async", "automatic")
    assert answered[2]["payment_method_types"] == ["card"]
    assert not any(key.startswith("_") for obj in answered if "card" in obj for key in obj["card"])


def test_the_method_types_of_a_create_are_allowed_payment_method_types_as_the_pinned_api_version_takes_them(client):
    """The API version the stripe SDK pins (2026-10-28.endive) refuses payment_method_types on
    PaymentIntent, SetupIntent and Checkout Session creates; allowed_payment_method_types is kept."""
    options = {"stripe_account": f"acct_{uuid.uuid4().hex[:16]}"}
    customer = client.v1.customers.create(params={"email": "ap@muster.de"}, options=options)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.setup_intents.create(
            params={"customer": customer.id, "payment_method_types": ["card"]},  # type: ignore[typeddict-unknown-key]
            options=options,
        )
    assert refused.value.code == "payment_method_types_no_longer_supported"
    kept = client.v1.setup_intents.create(
        params={"customer": customer.id, "allowed_payment_method_types": ["card", "sepa_debit"]}, options=options
    )
    assert kept.payment_method_types == ["card", "sepa_debit"]


def test_events_name_the_request_and_idempotency_key_that_caused_them(client, stack):
    account = f"acct_{uuid.uuid4().hex[:16]}"
    scenario(client, stack, account)
    events = client.v1.events.list(params={"limit": 100}, options={"stripe_account": account})
    by_type = {e.type: e for e in events}
    assert by_type["customer.created"].request.idempotency_key == "c-1"
    assert by_type["payment_intent.succeeded"].request.idempotency_key == "p-1"
    assert by_type["payment_intent.succeeded"].request.id.startswith("req_")
    # The stripe client gives every POST a key of its own when the caller gives none.
    assert by_type["charge.refunded"].request.idempotency_key not in (None, "c-1", "p-1")
    assert by_type["charge.dispute.created"].request.id is None  # no API request: the bank opened it


def test_events_list_newest_first_by_type_and_page_like_stripe(client, stack):
    account = f"acct_{uuid.uuid4().hex[:16]}"
    scenario(client, stack, account)
    options = {"stripe_account": account}
    everything = client.v1.events.list(params={"limit": 100}, options=options).data
    assert [e.created for e in everything] == sorted((e.created for e in everything), reverse=True)
    first = client.v1.events.list(params={"limit": 3}, options=options)
    assert first.has_more and [e.id for e in first.data] == [e.id for e in everything[:3]]
    after = client.v1.events.list(params={"limit": 3, "starting_after": first.data[-1].id}, options=options)
    assert [e.id for e in after.data] == [e.id for e in everything[3:6]]
    charges = client.v1.events.list(params={"type": "charge.*"}, options=options).data
    assert charges and {e.type.split(".")[0] for e in charges} == {"charge"}
    one = client.v1.events.list(params={"types": ["refund.created"]}, options=options).data
    assert [e.type for e in one] == ["refund.created"]
    assert client.v1.events.retrieve(one[0].id, options=options).id == one[0].id
    # Another account's events are not this account's.
    assert client.v1.events.list(options={"stripe_account": f"acct_{uuid.uuid4().hex[:16]}"}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.events.list(params={"limit": 101}, options=options)
