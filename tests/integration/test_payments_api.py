"""Cards on file, charges, refunds and Stripe webhooks over HTTP, with the real `stripe` client
against the Stripe stand-in; a saved card shows in the customer export and on its timeline."""

from __future__ import annotations

import io
import json
import time
import uuid

import pytest
import requests
import stripe
from openpyxl import load_workbook

from tests.integration.conftest import connect_stripe_account, fields_of, signed_post


def save_card(api, stripe_client, standin, token="pm_card_visa", customer=None, **setup_options):
    """What a web client does: ask Billow for a SetupIntent, confirm it with Stripe.js."""
    customer = customer or api.customer
    setup = api.post(f"/v1/customers/{customer['id']}/payment-methods/setup", json=setup_options or None)
    assert setup.status_code == 201, setup.text
    body = setup.json()
    assert body["client_secret"].startswith(body["setup_intent_id"])
    assert body["stripe_account"] == api.account
    assert body["publishable_key"].startswith("pk_test_")
    stripe_client.v1.setup_intents.confirm(
        body["setup_intent_id"], params={"payment_method": token}, options={"stripe_account": api.account}
    )
    standin.drain()
    return body


def methods(api, customer=None):
    return api.get(f"/v1/customers/{(customer or api.customer)['id']}/payment-methods").json()["data"]


def timeline_types(api, customer=None):
    events = api.get(f"/v1/customers/{(customer or api.customer)['id']}/timeline", params={"limit": 100}).json()
    return [e["type"] for e in events["data"]]


def charge(api, amount=1190, **extra):
    return api.post(
        "/v1/payments", json={"customer_id": api.customer["id"], "amount": amount, "currency": "eur", **extra}
    )


# ---------------------------------------------------------------- cards on file


def test_save_a_card_it_becomes_the_default_and_shows_in_customer_export_and_timeline(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    (card,) = methods(merchant)
    assert (card["brand"], card["last4"], card["type"], card["is_default"]) == ("visa", "4242", "card", True)
    assert card["exp_month"] == 12 and card["exp_year"] > 2026
    customer = merchant.get(f"/v1/customers/{merchant.customer['id']}").json()
    assert (customer["default_payment_method"], customer["default_payment_method_label"]) == (
        card["id"],
        card["description"],
    )
    assert {"payment_method.added", "payment_method.default_changed"} <= set(timeline_types(merchant))
    export = requests.get(merchant.post("/v1/customers/export").json()["url"], timeout=10)
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert dict(zip(rows[0], rows[1], strict=True))["default_payment_method"] == card["description"]


def test_a_later_card_becomes_the_default_only_when_the_setup_asks(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    save_card(merchant, stripe_client, standin, "pm_card_mastercard")
    assert [m["is_default"] for m in methods(merchant)] == [True, False]
    save_card(merchant, stripe_client, standin, "pm_card_amex", make_default=True)
    defaults = [m for m in methods(merchant) if m["is_default"]]
    assert [m["brand"] for m in defaults] == ["amex"]
    customer = merchant.get(f"/v1/customers/{merchant.customer['id']}").json()
    assert customer["default_payment_method"] == defaults[0]["id"]


def test_set_default_and_delete_detaches_at_stripe(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    save_card(merchant, stripe_client, standin, "pm_card_mastercard")
    visa, master = methods(merchant)
    assert (visa["is_default"], master["is_default"]) == (True, False)
    path = f"/v1/customers/{merchant.customer['id']}/payment-methods/{master['id']}"
    assert [m["is_default"] for m in merchant.post(f"{path}/default").json()["data"]] == [False, True]
    assert merchant.delete(path).status_code == 204
    standin.drain()
    (left,) = methods(merchant)
    assert left["id"] == visa["id"] and left["is_default"]
    detached = stripe_client.v1.payment_methods.retrieve(master["id"], options={"stripe_account": merchant.account})
    assert detached.customer is None


def test_card_expiry_updated_at_stripe_is_followed(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    (card,) = methods(merchant)
    stripe_client.v1.payment_methods.update(
        card["id"], params={"card": {"exp_month": 3, "exp_year": 2031}}, options={"stripe_account": merchant.account}
    )
    standin.drain()
    (updated,) = methods(merchant)
    assert (updated["exp_month"], updated["exp_year"]) == (3, 2031)
    customer = merchant.get(f"/v1/customers/{merchant.customer['id']}").json()
    assert "03/2031" in customer["default_payment_method_label"]


def test_a_card_declined_at_setup_is_not_saved_and_the_timeline_says_why(merchant, stripe_client, standin):
    setup = merchant.post(f"/v1/customers/{merchant.customer['id']}/payment-methods/setup").json()
    with pytest.raises(stripe.CardError):
        stripe_client.v1.setup_intents.confirm(
            setup["setup_intent_id"],
            params={"payment_method": "pm_card_chargeDeclined"},
            options={"stripe_account": merchant.account},
        )
    standin.drain()
    assert methods(merchant) == []
    assert "payment_method.setup_failed" in timeline_types(merchant)


def test_setup_needs_a_connected_stripe_account(api):
    customer = api.post("/v1/customers", json={"type": "company", "company_name": "X"}).json()
    response = api.post(f"/v1/customers/{customer['id']}/payment-methods/setup")
    assert response.status_code == 409
    assert "connect a Stripe account" in response.json()["error"]["message"]


# ---------------------------------------------------------------- charges and refunds


def test_charge_the_card_on_file(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    response = charge(merchant, description="Wartung März")
    assert response.status_code == 201, response.text
    payment = response.json()
    assert (payment["status"], payment["amount"], payment["currency"]) == ("succeeded", 1190, "eur")
    assert payment["method"].startswith("visa •••• 4242")
    assert payment["processor_payment_id"].startswith("pi_") and payment["processor_charge_id"].startswith("ch_")
    standin.drain()
    assert merchant.get(f"/v1/payments/{payment['id']}").json()["status"] == "succeeded"
    intent = stripe_client.v1.payment_intents.retrieve(
        payment["processor_payment_id"], options={"stripe_account": merchant.account}
    )
    assert intent.metadata["billow_payment"] == payment["id"]
    assert timeline_types(merchant)[:2] == ["receipt.sent", "payment.succeeded"]


def test_declined_charge_is_402_with_the_reason_and_recorded_as_failed(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin, "pm_card_insufficientFunds")
    response = charge(merchant)
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["decline_code"]) == ("card_declined", "insufficient_funds")
    assert error["authentication_required"] is False
    standin.drain()
    payment = merchant.get(f"/v1/payments/{error['payment_id']}").json()
    assert (payment["status"], payment["failure_code"]) == ("failed", "card_declined")
    assert payment["failure_message"] == "Your card has insufficient funds."
    failed = merchant.get("/v1/payments", params={"status": "failed"}).json()["data"]
    assert [p["id"] for p in failed] == [payment["id"]]
    assert "payment.failed" in timeline_types(merchant)


def test_authentication_required_is_reported(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin, "pm_card_authenticationRequired")
    error = charge(merchant).json()["error"]
    assert error["authentication_required"] is True


def test_same_idempotency_key_charges_once(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    first = charge(merchant, 500, description="once").json()
    again = merchant.post(
        "/v1/payments",
        headers={"Idempotency-Key": "pay-1"},
        json={"customer_id": merchant.customer["id"], "amount": 700, "currency": "eur"},
    )
    replay = merchant.post(
        "/v1/payments",
        headers={"Idempotency-Key": "pay-1"},
        json={"customer_id": merchant.customer["id"], "amount": 700, "currency": "eur"},
    )
    assert again.json() == replay.json()
    intents = [
        r
        for r in standin.requests_seen
        if r[0] == "POST" and r[1] == "/v1/payment_intents" and r[2] == merchant.account
    ]
    assert len(intents) == 2  # `first` and `again`; the replay never reached Stripe
    assert first["id"] != again.json()["id"]


def test_a_charge_whose_answer_was_lost_is_made_once_when_the_client_retries(stack, merchant, stripe_client, standin):
    """Stripe charges, and every answer on the way back is lost (the gateway's own retries too):
    the client sees a 503 and retries with its Idempotency-Key. The retry finishes the same
    payment with the same Stripe key; Stripe holds one PaymentIntent."""
    save_card(merchant, stripe_client, standin)
    attempts = 1 + 2  # the gateway's first try and its two network retries
    lose = {"path": "/v1/payment_intents", "times": attempts}
    requests.post(f"{stack.stripe_url}/_standin/lose-answers", json=lose, timeout=10)
    order = {"customer_id": merchant.customer["id"], "amount": 4200, "currency": "eur"}
    first = merchant.post("/v1/payments", headers={"Idempotency-Key": "order-42"}, json=order)
    assert first.status_code == 503, first.text
    retry = merchant.post("/v1/payments", headers={"Idempotency-Key": "order-42"}, json=order)
    assert retry.status_code == 201, retry.text
    assert (retry.json()["status"], retry.json()["amount"]) == ("succeeded", 4200)
    intents = [o for o in standin.accounts[merchant.account].objects.values() if o["object"] == "payment_intent"]
    assert [(i["amount"], i["status"]) for i in intents] == [(4200, "succeeded")]
    assert [p["id"] for p in merchant.get("/v1/payments").json()["data"]] == [retry.json()["id"]]


def test_refund_in_part_then_in_full(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    payment = charge(merchant, 1000).json()
    partial = merchant.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 300}).json()
    assert (partial["status"], partial["amount_refunded"]) == ("succeeded", 300)
    full = merchant.post(f"/v1/payments/{payment['id']}/refund", json={}).json()
    assert (full["status"], full["amount_refunded"]) == ("refunded", 1000)
    standin.drain()
    assert merchant.get(f"/v1/payments/{payment['id']}").json()["status"] == "refunded"
    again = merchant.post(f"/v1/payments/{payment['id']}/refund", json={})
    assert again.status_code == 409


def test_refund_without_a_body_refunds_everything(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    payment = charge(merchant, 1000).json()
    response = merchant.post(f"/v1/payments/{payment['id']}/refund")
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["amount_refunded"]) == ("refunded", 1000)


def test_refund_of_an_unknown_payment_without_a_body_is_a_404(merchant):
    assert merchant.post("/v1/payments/pay_nope/refund").status_code == 404


def test_each_refund_shows_on_the_timeline_with_its_own_amount(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    payment = charge(merchant, 1000).json()
    merchant.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 300})
    merchant.post(f"/v1/payments/{payment['id']}/refund", json={"amount": 200})
    merchant.post(f"/v1/payments/{payment['id']}/refund")
    standin.drain()
    events = merchant.get(f"/v1/customers/{merchant.customer['id']}/timeline", params={"limit": 100}).json()["data"]
    refunds = [e["data"] for e in reversed(events) if e["type"] == "payment.refunded"]
    assert [(r["amount"], r["amount_refunded"]) for r in refunds] == [(300, 300), (200, 500), (500, 1000)]


def test_bad_charge_requests_name_the_field(merchant, stripe_client, standin):
    no_card = charge(merchant)
    assert fields_of(no_card) == ["customer_id"]  # payment_method_id was never sent: name what is wrong
    assert "no payment method on file" in no_card.json()["error"]["message"]
    assert fields_of(charge(merchant, payment_method_id="pm_unknown")) == ["payment_method_id"]
    assert fields_of(charge(merchant, 0)) == ["amount"]
    response = merchant.post(
        "/v1/payments", json={"customer_id": merchant.customer["id"], "amount": 5, "currency": "xyz"}
    )
    assert fields_of(response) == ["currency"]


def test_viewer_cannot_charge_or_refund(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    viewer = merchant.as_role("viewer")
    assert (
        viewer.post(
            "/v1/payments", json={"customer_id": merchant.customer["id"], "amount": 5, "currency": "eur"}
        ).status_code
        == 403
    )
    assert viewer.post("/v1/settings/stripe/connect").status_code == 403


# ---------------------------------------------------------------- the webhook


def event_for(account: str, event_type: str, obj: dict) -> dict:
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": event_type,
        "account": account,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def test_webhook_signature_valid_tampered_stale_missing(stack, merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    payment = charge(merchant).json()
    event = event_for(
        merchant.account,
        "payment_intent.succeeded",
        {"id": payment["processor_payment_id"], "object": "payment_intent"},
    )
    payload = json.dumps(event)
    assert signed_post(stack, payload, standin.signature(payload)).status_code == 200
    tampered = payload.replace("payment_intent.succeeded", "payment_intent.payment_failed")
    assert tampered != payload
    assert signed_post(stack, tampered, standin.signature(payload)).status_code == 400
    stale = standin.signature(payload, timestamp=int(time.time()) - 3600)
    other = event_for(merchant.account, "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    assert signed_post(stack, json.dumps(other), stale).status_code == 400
    assert signed_post(stack, payload, None).status_code == 400
    response = signed_post(stack, payload, "t=1,v1=deadbeef")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_signature"


def test_the_same_event_delivered_ten_times_has_one_effect(stack, merchant, stripe_client, standin):
    standin.switches.copies = 10
    save_card(merchant, stripe_client, standin)
    assert len(methods(merchant)) == 1
    assert timeline_types(merchant).count("payment_method.added") == 1
    succeeded = [
        e for e in standin.events if e["type"] == "setup_intent.succeeded" and e.get("account") == merchant.account
    ]
    deliveries = [status for event_id, status in standin.deliveries if event_id == succeeded[-1]["id"]]
    assert deliveries == [200] * 10


def test_refund_arriving_before_payment_succeeded_still_ends_refunded(stack, merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    standin.switches.hold = True
    payment = charge(merchant, 2500).json()
    # the tenant refunds in its Stripe dashboard, not through Billow
    stripe_client.v1.refunds.create(
        params={"payment_intent": payment["processor_payment_id"]}, options={"stripe_account": merchant.account}
    )
    standin.switches.hold = False
    released = requests.post(f"{stack.stripe_url}/_standin/release", json={"order": "reverse"}, timeout=30).json()
    assert released["released"] >= 4  # charge.succeeded, payment_intent.succeeded, refund.created, charge.refunded
    final = merchant.get(f"/v1/payments/{payment['id']}").json()
    assert (final["status"], final["amount_refunded"]) == ("refunded", 2500)
    types = timeline_types(merchant)
    assert types.index("payment.refunded") < types.index("payment.succeeded")  # newest first


def test_dispute_marks_the_payment_disputed(stack, merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    payment = charge(merchant).json()
    requests.post(
        f"{stack.stripe_url}/_standin/disputes",
        timeout=10,
        json={"account": merchant.account, "charge": payment["processor_charge_id"]},
    )
    standin.drain()
    assert merchant.get(f"/v1/payments/{payment['id']}").json()["status"] == "disputed"
    assert [p["id"] for p in merchant.get("/v1/payments", params={"status": "disputed"}).json()["data"]] == [
        payment["id"]
    ]


def test_tenant_a_events_never_touch_tenant_b(stack, merchant, new_tenant, stripe_client, standin):
    # Given tenant B with a paid payment on its own account
    save_card(merchant, stripe_client, standin)
    b_payment = charge(merchant).json()
    # When tenant A's account sends an event naming B's payment intent (and an unknown account too)
    a = new_tenant()
    a_account = connect_stripe_account(a)
    for account in (a_account, "acct_nobodyknows"):
        event = event_for(
            account,
            "charge.dispute.created",
            {"id": "dp_x", "object": "dispute", "payment_intent": b_payment["processor_payment_id"]},
        )
        payload = json.dumps(event)
        response = signed_post(stack, payload, standin.signature(payload))
        # Then it is acknowledged (nothing to retry), and B's payment is untouched
        assert response.status_code == 200, response.text
        assert response.json()["outcome"].startswith("ignored")
    assert merchant.get(f"/v1/payments/{b_payment['id']}").json()["status"] == "succeeded"
    assert a.get("/v1/payments").json()["data"] == []


def test_unhandled_event_types_are_acknowledged_and_ignored(stack, merchant, standin):
    payload = json.dumps(event_for(merchant.account, "invoice.created", {"id": "in_1", "object": "invoice"}))
    response = signed_post(stack, payload, standin.signature(payload))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored: unhandled event type"


def test_payments_list_filters_by_customer_and_pages(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    ids = [charge(merchant, 100 + i).json()["id"] for i in range(3)]
    other = merchant.post("/v1/customers", json={"type": "person", "first_name": "A", "last_name": "B"}).json()
    page = merchant.get("/v1/payments", params={"limit": 2}).json()
    rest = merchant.get("/v1/payments", params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert [p["id"] for p in page["data"] + rest["data"]] == list(reversed(ids))
    assert merchant.get("/v1/payments", params={"customer_id": other["id"]}).json()["data"] == []
    mine = merchant.get("/v1/payments", params={"customer_id": merchant.customer["id"]}).json()["data"]
    assert len(mine) == 3


# ---------------------------------------------------------------- receipts and admin notifications


def sent_mail():
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"].sent_messages


def mail_to(address: str) -> list:
    plain = (m for m in sent_mail() if isinstance(m.destinations, dict))  # raw messages keep a plain list
    return [m for m in plain if address in m.destinations["ToAddresses"]]


def test_each_successful_payment_sends_one_receipt_to_the_billing_email(merchant, stripe_client, standin):
    merchant.patch(
        "/v1/settings",
        json={"business_name": "Muster Service GmbH", "default_sender_email": "buchhaltung@muster-service.de"},
    )
    billing_email = f"ap-{uuid.uuid4().hex[:8]}@kunde.de"
    merchant.patch(f"/v1/customers/{merchant.customer['id']}", json={"billing_email": billing_email})
    save_card(merchant, stripe_client, standin)
    standin.switches.copies = 3  # duplicate deliveries must not send duplicate receipts
    payment = charge(merchant, 11900, description="Wartung März").json()
    standin.drain()
    (receipt,) = mail_to(billing_email)
    assert receipt.subject == "Receipt from Muster Service GmbH"
    assert "€119.00" in receipt.body and "For:" in receipt.body and "Wartung März" in receipt.body
    assert payment["id"] not in receipt.body  # a buyer sees no internal id
    assert receipt.source == "Muster Service GmbH via Billow <receipts@billow.local>"
    assert "receipt.sent" in timeline_types(merchant)


def test_admins_hear_of_failures_unless_they_turned_it_off(merchant, stripe_client, standin):
    admin = f"admin-{uuid.uuid4().hex[:8]}@muster.de"
    merchant.patch("/v1/settings", json={"admin_notification_emails": [admin]})
    save_card(merchant, stripe_client, standin, "pm_card_chargeCustomerFail")
    assert charge(merchant, 5000).status_code == 402
    standin.drain()
    (note,) = mail_to(admin)
    assert note.subject == "Payment failed: €50.00 from Muster GmbH" and "declined" in note.body
    merchant.patch("/v1/settings", json={"admin_notifications_enabled": False})
    charge(merchant, 5000)
    standin.drain()
    assert len(mail_to(admin)) == 1


def test_no_receipt_when_the_tenant_turned_receipts_off(merchant, stripe_client, standin):
    merchant.patch("/v1/settings", json={"receipts_enabled": False})
    save_card(merchant, stripe_client, standin)
    before = len(mail_to("ap@muster.de"))
    charge(merchant)
    standin.drain()
    assert len(mail_to("ap@muster.de")) == before


# ---------------------------------------------------------------- the Stripe customer follows ours


def stripe_customer(stack, merchant) -> dict:
    customer_id = merchant.get(f"/v1/customers/{merchant.customer['id']}").json()["id"]
    account = stack.stripe.accounts[merchant.account]
    return next(
        o
        for o in account.objects.values()
        if o["object"] == "customer" and o["metadata"].get("billow_customer") == customer_id
    )


def test_deleting_a_customer_detaches_its_cards_at_stripe(stack, merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    method_id = methods(merchant)[0]["id"]
    response = merchant.delete(f"/v1/customers/{merchant.customer['id']}")
    assert response.status_code == 204, response.text
    standin.drain()
    at_stripe = stripe_client.v1.payment_methods.retrieve(method_id, options={"stripe_account": merchant.account})
    assert at_stripe.customer is None


def test_name_and_email_changes_reach_the_stripe_customer(stack, merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    merchant.patch(
        f"/v1/customers/{merchant.customer['id']}", json={"company_name": "Neu GmbH", "email": "billing@neu.de"}
    )
    assert (stripe_customer(stack, merchant)["name"], stripe_customer(stack, merchant)["email"]) == (
        "Neu GmbH",
        "billing@neu.de",
    )
