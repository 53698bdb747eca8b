"""Subscriptions over HTTP on the embedded stack - creation and its preview, AutoPay and invoice mode,
edits, cancellation, deletion, filters and export: the real `stripe` client against the Stripe
stand-in, DynamoDB on moto's server, mail through moto's SES."""

from __future__ import annotations

import io
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import requests
from openpyxl import load_workbook

from tests.integration.conftest import fields_of
from tests.integration.test_invoice_documents import raw_mail_to
from tests.integration.test_payments_api import mail_to, save_card, timeline_types

MONTHLY = {"name": "Hosting", "unit_price": "29.00", "billing_frequency": "monthly"}


def subscribe(api, *lines, headers=None, **extra):
    body = {"customer_id": api.customer["id"], "currency": "eur", "lines": list(lines) or [MONTHLY], **extra}
    return api.post("/v1/subscriptions", json=body, headers=headers)


def today() -> date:
    return datetime.now(UTC).date()


def stripe_intents(standin, account):
    return [o for o in standin.accounts[account].objects.values() if o.get("object") == "payment_intent"]


def test_a_monthly_autopay_subscription_is_charged_at_creation_and_its_first_invoice_paid(
    subscriber, stripe_client, standin
):
    save_card(subscriber, stripe_client, standin)
    response = subscribe(subscriber, {**MONTHLY, "tax": {"name": "USt", "percentage": "19"}})
    assert response.status_code == 201, response.text
    standin.drain()
    (subscription,) = response.json()["data"]
    start = today()
    assert (subscription["status"], subscription["frequency"], subscription["collection_method"]) == (
        "active",
        "monthly",
        "charge_automatically",
    )
    assert (subscription["payments_made"], subscription["periods_billed"], subscription["last_payment_on"]) == (
        1,
        1,
        start.isoformat(),
    )
    assert subscription["current_period"]["start"] == start.isoformat()
    got = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    (invoice_id,) = got["invoice_ids"]
    assert subscription["invoice_ids"] == [invoice_id]  # the creation's answer names it too
    invoice = subscriber.get(f"/v1/invoices/{invoice_id}").json()
    assert (invoice["status"], invoice["total"], invoice["amount_due"], invoice["subscription_id"]) == (
        "paid",
        3451,  # 29.00 + 19 % = 34.51
        0,
        subscription["id"],
    )
    assert invoice["number"] and invoice["lines"][0]["period_start"] == start.isoformat()
    payment = subscriber.get(f"/v1/payments/{subscription['first_payment_id']}").json()
    assert (payment["status"], payment["amount"]) == ("succeeded", 3451)
    (receipt,) = mail_to(subscriber.email)
    assert receipt.subject == "Receipt from Billow Demo GmbH" and "€34.51" in receipt.body
    types = timeline_types(subscriber)
    assert {"subscription.created", "invoice.paid", "subscription.period_paid", "receipt.sent"} <= set(types)


def test_a_declined_first_payment_creates_nothing_and_says_why(subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin, "pm_card_insufficientFunds")
    response = subscribe(subscriber)
    assert response.status_code == 402, response.text
    error = response.json()["error"]
    assert (error["type"], error["decline_code"]) == ("card_declined", "insufficient_funds")
    assert subscriber.get("/v1/subscriptions").json()["data"] == []
    assert subscriber.get("/v1/invoices").json()["data"] == []


def test_a_mixed_monthly_and_annual_order_forms_two_subscriptions_paid_by_one_first_payment(
    subscriber, stripe_client, standin
):
    save_card(subscriber, stripe_client, standin)
    annual = {"name": "Support", "unit_price": "120.00", "billing_frequency": "annually"}
    response = subscribe(subscriber, MONTHLY, annual, {**MONTHLY, "name": "Backup", "unit_price": "5.00"})
    assert response.status_code == 201, response.text
    made = response.json()["data"]
    assert sorted((s["frequency"], [line["name"] for line in s["lines"]]) for s in made) == [
        ("annually", ["Support"]),
        ("monthly", ["Hosting", "Backup"]),
    ]
    assert {s["first_payment_id"] for s in made} == {made[0]["first_payment_id"]}
    payment = subscriber.get(f"/v1/payments/{made[0]['first_payment_id']}").json()
    assert payment["amount"] == 2900 + 500 + 12000
    invoices = subscriber.get("/v1/invoices").json()["data"]
    assert sorted((i["total"], i["status"]) for i in invoices) == [(3400, "paid"), (12000, "paid")]


def test_a_six_payment_term_from_1_march_is_scheduled_and_ends_1_september(subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin)
    start = date(today().year + 1, 3, 1)
    line = {**MONTHLY, "payments": 6, "billing_start": {"type": "custom_date", "date": start.isoformat()}}
    (subscription,) = subscribe(subscriber, line).json()["data"]
    assert (subscription["status"], subscription["next_payment_on"], subscription["ends_on"]) == (
        "scheduled",
        start.isoformat(),
        date(start.year, 9, 1).isoformat(),
    )
    assert (subscription["payments"], subscription["payments_left"], subscription["periods_billed"]) == (6, 6, 0)
    assert stripe_intents(standin, subscriber.account) == []  # nothing is charged before billing starts
    scheduled = subscriber.get("/v1/subscriptions", params={"status": "scheduled"}).json()["data"]
    assert [s["id"] for s in scheduled] == [subscription["id"]]
    assert subscriber.get("/v1/subscriptions", params={"status": "unpaid"}).json()["data"] == []


def test_invoice_mode_sends_the_first_invoice_with_its_terms_and_leaves_it_open(subscriber):
    response = subscribe(subscriber, collection_method="send_invoice", days_until_due=14)
    assert response.status_code == 201, response.text
    (subscription,) = response.json()["data"]
    assert (subscription["status"], subscription["payments_made"], subscription["periods_billed"]) == ("active", 0, 1)
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert subscription["invoice_ids"] == [invoice["id"]]  # the answer names the invoice it sent
    # Nothing is overdue yet: no dunning, only the day of the first reminder (a day after due).
    assert (subscription["dunning"], subscription["first_reminder_on"]) == (
        None,
        (today() + timedelta(days=15)).isoformat(),
    )
    assert (invoice["status"], invoice["payment_terms"], invoice["due_date"]) == (
        "open",
        "net_days",
        (today() + timedelta(days=14)).isoformat(),
    )
    assert invoice["last_sent_at"] and invoice["hosted_url"]
    (mail,) = raw_mail_to(subscriber.email)
    assert mail["Subject"] == f"Invoice {invoice['number']} from Billow Demo GmbH"
    assert invoice["hosted_url"] in mail.get_body(("plain",)).get_content()


def cancel(api, subscription_id, mode, confirm=True):
    return api.post(f"/v1/subscriptions/{subscription_id}/cancel", json={"mode": mode, "confirm": confirm})


def test_cancel_immediately_at_period_end_and_with_the_prorated_refund(subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin)
    now_one, end_one, refund_one = (subscribe(subscriber).json()["data"][0] for _ in range(3))

    stopped = cancel(subscriber, now_one["id"], "immediately").json()
    assert (stopped["status"], stopped["ended_on"], stopped["next_payment_on"]) == (
        "canceled",
        today().isoformat(),
        None,
    )

    later = cancel(subscriber, end_one["id"], "at_period_end").json()
    period_end = date.fromisoformat(end_one["current_period"]["end"])
    assert (later["status"], later["cancel_at_period_end"], later["next_payment_on"]) == ("active", True, None)
    assert later["ends_on"] == (period_end + timedelta(days=1)).isoformat()

    refunded = cancel(subscriber, refund_one["id"], "immediately_with_refund")
    assert refunded.status_code == 200, refunded.text
    standin.drain()
    # By hand: 29.00 paid for the period; today is used; the days after it are refunded.
    period = refund_one["current_period"]
    days = (date.fromisoformat(period["end"]) - date.fromisoformat(period["start"])).days + 1
    unused = (date.fromisoformat(period["end"]) - today()).days
    expected = int((2900 * unused / days) + 0.5)  # e.g. 30-day period: 29 unused days -> 2803.33 -> 28.03
    payment = subscriber.get(f"/v1/payments/{refund_one['first_payment_id']}").json()
    assert payment["amount_refunded"] == expected
    # The answer names what was refunded and the credit note of the period's invoice that refunded it.
    assert refunded.json()["refunded"] == expected
    note = subscriber.get(f"/v1/credit-notes/{refunded.json()['credit_note_id']}").json()
    assert (note["number"], note["reason"], note["total"]) == (
        refunded.json()["credit_note_number"],
        "cancellation",
        expected,
    )
    assert "subscription.canceled" in timeline_types(subscriber)
    notices = [
        m for m in mail_to(subscriber.email) if m.subject == "Your subscription with Billow Demo GmbH is canceled"
    ]
    assert len(notices) == 3 and "You will not be charged again" in notices[0].body

    assert cancel(subscriber, stopped["id"], "immediately").status_code == 409
    unconfirmed = cancel(subscriber, later["id"], "immediately", confirm=False)
    assert (unconfirmed.status_code, fields_of(unconfirmed)) == (422, ["confirm"])


def test_a_period_paid_by_hand_is_not_refunded_by_billow(subscriber):
    (subscription,) = subscribe(subscriber, collection_method="send_invoice").json()["data"]
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    recorded = subscriber.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json={"amount": invoice["total"], "paid_on": today().isoformat(), "method": "bank_transfer"},
    )
    assert recorded.status_code == 200, recorded.text
    paid = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (paid["payments_made"], paid["last_payment_on"]) == (1, today().isoformat())
    refused = cancel(subscriber, subscription["id"], "immediately_with_refund")
    assert refused.status_code == 409
    assert "paid by hand" in refused.json()["error"]["message"]


def test_delete_only_canceled_or_expired(subscriber):
    (subscription,) = subscribe(subscriber, collection_method="send_invoice").json()["data"]
    refused = subscriber.delete(f"/v1/subscriptions/{subscription['id']}")
    assert refused.status_code == 409
    assert "cancel it first" in refused.json()["error"]["message"]
    cancel(subscriber, subscription["id"], "immediately")
    assert subscriber.delete(f"/v1/subscriptions/{subscription['id']}").status_code == 204
    assert subscriber.get(f"/v1/subscriptions/{subscription['id']}").status_code == 404


def test_tenants_see_only_their_own_and_a_viewer_cannot_write(subscriber, new_tenant):
    (subscription,) = subscribe(subscriber, collection_method="send_invoice").json()["data"]
    other = new_tenant()
    assert other.get(f"/v1/subscriptions/{subscription['id']}").status_code == 404
    assert other.get("/v1/subscriptions").json()["data"] == []
    assert cancel(other, subscription["id"], "immediately").status_code == 404
    viewer = subscriber.as_role("viewer")
    viewer.customer = subscriber.customer
    assert viewer.get(f"/v1/subscriptions/{subscription['id']}").status_code == 200
    assert subscribe(viewer, collection_method="send_invoice").status_code == 403
    assert cancel(viewer, subscription["id"], "immediately").status_code == 403


def test_bad_input_names_the_field_and_writes_nothing(subscriber, stripe_client, standin):
    subscriber.patch("/v1/settings", json={"currencies": ["eur", "usd"]})
    usd = subscriber.post(
        "/v1/products", json={"name": "US", "unit_price": "5", "currency": "usd", "billing_frequency": "monthly"}
    )
    cases = [
        ({"lines": [{"product_id": "prod_00000000000000000000000000"}]}, ["lines.0.product_id"]),
        ({"lines": [{"name": "Setup", "unit_price": "10"}]}, ["lines.0.billing_frequency"]),
        ({"lines": [{**MONTHLY, "billing_frequency": "one_time"}]}, ["lines.0.billing_frequency"]),
        ({"lines": [{"product_id": usd.json()["id"]}]}, ["lines.0.product_id"]),
        ({}, ["payment_method_id"]),  # AutoPay without a card on file
        ({"customer_id": "cus_00000000000000000000000000"}, ["customer_id"]),
    ]
    for extra, expected in cases:
        response = subscribe(subscriber, **extra)
        assert (response.status_code, fields_of(response)) == (422, expected), (extra, response.text)
    assert subscriber.get("/v1/subscriptions").json()["data"] == []
    assert subscriber.get("/v1/invoices").json()["data"] == []


def test_an_idempotency_key_makes_a_retried_create_one_set_of_subscriptions_and_one_charge(
    subscriber, stripe_client, standin
):
    save_card(subscriber, stripe_client, standin)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = subscribe(subscriber, headers=headers)
    again = subscribe(subscriber, headers=headers)
    assert first.status_code == again.status_code == 201
    assert [s["id"] for s in first.json()["data"]] == [s["id"] for s in again.json()["data"]]
    assert len(stripe_intents(standin, subscriber.account)) == 1
    assert len(subscriber.get("/v1/invoices").json()["data"]) == 1


def test_creating_a_subscription_races_the_customers_delete_and_never_outlives_it(api):
    """The creating write needs the customer and moves its version on; a delete that counted
    the customer's records before fails on that version. Never both succeed."""
    for _ in range(6):
        customer = api.post(
            "/v1/customers", json={"type": "company", "company_name": "Race GmbH", "email": "ap@race.de"}
        ).json()
        body = {
            "customer_id": customer["id"],
            "currency": "eur",
            "lines": [MONTHLY],
            "collection_method": "send_invoice",
        }
        with ThreadPoolExecutor(max_workers=4) as pool:
            creates = [pool.submit(api.post, "/v1/subscriptions", json=body) for _ in range(3)]
            deleted = pool.submit(api.delete, f"/v1/customers/{customer['id']}")
            created = [c.result() for c in creates]
            deleted = deleted.result()
        assert deleted.status_code in (204, 409), deleted.text
        for answer in created:
            assert answer.status_code in (201, 422), answer.text
            if answer.status_code == 422:
                assert fields_of(answer) == ["customer_id"]
        if deleted.status_code == 204:
            assert [c.status_code for c in created] == [422, 422, 422]
            assert api.get("/v1/subscriptions", params={"customer_id": customer["id"]}).json()["data"] == []
        else:
            made = [s["id"] for c in created if c.status_code == 201 for s in c.json()["data"]]
            assert made and all(api.get(f"/v1/subscriptions/{i}").status_code == 200 for i in made)


def test_filters_and_export(subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin)
    product = subscriber.post(
        "/v1/products", json={"name": "Plan", "unit_price": "9", "currency": "eur", "billing_frequency": "quarterly"}
    ).json()
    by_card = subscribe(subscriber, {"product_id": product["id"]}).json()["data"][0]
    by_invoice = subscribe(subscriber, collection_method="send_invoice").json()["data"][0]

    def ids(**params):
        return [s["id"] for s in subscriber.get("/v1/subscriptions", params=params).json()["data"]]

    assert ids(product_id=product["id"]) == [by_card["id"]]
    assert ids(collection_method="send_invoice") == [by_invoice["id"]]
    assert ids(customer_id=subscriber.customer["id"], status="active") == [by_invoice["id"], by_card["id"]]
    next_quarter = by_card["next_payment_on"]
    assert ids(next_payment_from=next_quarter, next_payment_to=next_quarter) == [by_card["id"]]
    export = subscriber.post("/v1/subscriptions/export", json={"format": "xlsx"})
    assert export.status_code == 201, export.text
    expires = datetime.fromisoformat(export.json()["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    rows = list(load_workbook(io.BytesIO(requests.get(export.json()["url"], timeout=10).content)).active.values)
    header = rows[0]
    assert {r[header.index("id")] for r in rows[1:]} == {by_card["id"], by_invoice["id"]}
    assert (
        dict(zip(header, rows[[r[0] for r in rows].index(by_card["id"])], strict=True))["product_ids"] == product["id"]
    )


def test_a_failure_between_the_invoice_and_its_sending_is_finished_by_the_retry_once(stack, subscriber):
    """The first period's invoice is written and numbered, then the mail service refuses (the
    sender's identity is gone): 503, and the subscription stands with its invoice open and
    unsent. The retry with the same Idempotency-Key sends that invoice; nothing is made twice."""
    import boto3

    from local.stack import LOCAL_MAIL_FROM

    ses = boto3.client("ses")  # the embedded stack set the endpoint and region
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    ses.delete_identity(Identity=LOCAL_MAIL_FROM)
    try:
        failed = subscribe(subscriber, collection_method="send_invoice", headers=headers)
    finally:
        ses.verify_email_identity(EmailAddress=LOCAL_MAIL_FROM)
    assert failed.status_code == 503, failed.text
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert (invoice["status"], invoice["last_sent_at"]) == ("open", None)
    retried = subscribe(subscriber, collection_method="send_invoice", headers=headers)
    assert retried.status_code == 201, retried.text
    (subscription,) = retried.json()["data"]
    (again,) = subscriber.get("/v1/invoices").json()["data"]
    assert (again["id"], again["number"], again["subscription_id"]) == (
        invoice["id"],
        invoice["number"],
        subscription["id"],
    )
    assert again["last_sent_at"] and len(raw_mail_to(subscriber.email)) == 1
    assert [s["id"] for s in subscriber.get("/v1/subscriptions").json()["data"]] == [subscription["id"]]


def test_a_first_charge_whose_answer_was_lost_is_made_once_by_the_retry(stack, subscriber, stripe_client, standin):
    """Stripe charges and every answer is lost: 503 and nothing but the pending payment exists;
    the retry with the same Idempotency-Key finishes that charge and creates the subscription."""
    save_card(subscriber, stripe_client, standin)
    lose = {"path": "/v1/payment_intents", "times": 3}  # the gateway's try and its two retries
    requests.post(f"{stack.stripe_url}/_standin/lose-answers", json=lose, timeout=10)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    failed = subscribe(subscriber, headers=headers)
    assert failed.status_code == 503, failed.text
    assert subscriber.get("/v1/subscriptions").json()["data"] == []
    assert subscriber.get("/v1/invoices").json()["data"] == []
    retried = subscribe(subscriber, headers=headers)
    assert retried.status_code == 201, retried.text
    (subscription,) = retried.json()["data"]
    assert (subscription["status"], subscription["payments_made"]) == ("active", 1)
    assert [(i["amount"], i["status"]) for i in stripe_intents(standin, subscriber.account)] == [(2900, "succeeded")]
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert invoice["status"] == "paid"


# ---------------------------------------------------------------- SEPA Direct Debit: created while the debit is pending

GOOD_IBAN, FAILING_IBAN = "DE89370400440532013000", "DE62370400440532013001"


def save_bank_account(api, stripe_client, standin, iban: str) -> dict:
    """What the buyer's browser does with Stripe.js: confirm the SetupIntent with the IBAN and the
    mandate's name and email; the webhook saves the method."""
    setup = api.post(f"/v1/customers/{api.customer['id']}/payment-methods/setup").json()
    stripe_client.v1.setup_intents.confirm(
        setup["setup_intent_id"],
        params={
            "payment_method_data": {
                "type": "sepa_debit",
                "sepa_debit": {"iban": iban},
                "billing_details": {"name": "Muster GmbH", "email": "ap@muster.de"},
            }
        },
        options={"stripe_account": api.account},
    )
    standin.drain()
    (method,) = api.get(f"/v1/customers/{api.customer['id']}/payment-methods").json()["data"]
    return method


def test_a_sepa_subscription_is_created_while_the_debit_is_pending_and_paid_when_it_succeeds(
    subscriber, stripe_client, standin
):
    method = save_bank_account(subscriber, stripe_client, standin, GOOD_IBAN)
    assert (method["type"], method["last4"], method["description"]) == (
        "sepa_debit",
        "3000",
        "SEPA Direct Debit DE •••• 3000, bank 37040044",
    )
    # A bank account shows its bank and country, not its bank code as a brand nor an expiry of 0/0.
    assert (method["brand"], method["bank_code"], method["country"]) == ("", "37040044", "DE")
    assert (method["exp_month"], method["exp_year"]) == (None, None)
    # Its mandate reference is the one Stripe's Mandate holds, the reference its debits carry.
    (mandate,) = [o for o in standin.accounts[subscriber.account].objects.values() if o["object"] == "mandate"]
    assert mandate["payment_method"] == method["id"]
    assert method["mandate_reference"] == mandate["payment_method_details"]["sepa_debit"]["reference"] != ""
    response = subscribe(subscriber)
    assert response.status_code == 201, response.text
    standin.drain()
    (subscription,) = response.json()["data"]
    assert (subscription["status"], subscription["payments_made"], subscription["periods_billed"]) == ("active", 0, 1)
    payment = subscriber.get(f"/v1/payments/{subscription['first_payment_id']}").json()
    assert payment["status"] == "pending"
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert (invoice["status"], invoice["amount_due"]) == ("open", 2900)
    assert mail_to(subscriber.email) == []  # no receipt for money not yet received

    assert standin.settle_debits() == [payment["processor_payment_id"]]  # the bank's days pass
    assert subscriber.get(f"/v1/payments/{payment['id']}").json()["status"] == "succeeded"
    assert subscriber.get(f"/v1/invoices/{invoice['id']}").json()["status"] == "paid"
    paid = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (paid["status"], paid["payments_made"]) == ("active", 1)
    (receipt,) = mail_to(subscriber.email)
    assert "€29.00" in receipt.body and "SEPA direct debit •••• 3000" in receipt.body
    refused = cancel(subscriber, subscription["id"], "immediately_with_refund")
    assert refused.status_code == 200, refused.text  # the debit succeeded: refundable


def test_a_sepa_debit_that_fails_days_later_makes_the_subscription_unpaid(subscriber, stripe_client, standin):
    save_bank_account(subscriber, stripe_client, standin, FAILING_IBAN)
    (subscription,) = subscribe(subscriber).json()["data"]
    standin.drain()
    pending = cancel(subscriber, subscription["id"], "immediately_with_refund")
    assert pending.status_code == 409 and "pending" in pending.json()["error"]["message"]
    standin.settle_debits()
    payment = subscriber.get(f"/v1/payments/{subscription['first_payment_id']}").json()
    assert (payment["status"], payment["failure_code"]) == ("failed", "insufficient_funds")
    unpaid = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (unpaid["status"], unpaid["payments_made"]) == ("unpaid", 0)
    assert (
        subscriber.get("/v1/subscriptions", params={"status": "unpaid"}).json()["data"][0]["id"] == subscription["id"]
    )
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert invoice["status"] == "open"
    assert {"subscription.unpaid", "subscription.payment_method_link_sent"} <= set(timeline_types(subscriber))
    (asked,) = [m for m in mail_to(subscriber.email) if m.subject.startswith("Update the payment method")]
    assert "did not go through" in asked.body and "/s/" in asked.body  # dunning: the webhook's failure asks at once


# ---------------------------------------------------------------- the buyer's payment-method page


def test_the_buyer_updates_the_method_in_a_headless_browser_and_the_unpaid_period_is_charged(
    subscriber, stripe_client, standin
):
    from playwright.sync_api import sync_playwright

    from tests.integration.conftest import chromium

    bank_account = save_bank_account(subscriber, stripe_client, standin, FAILING_IBAN)
    (subscription,) = subscribe(subscriber).json()["data"]
    standin.drain()
    standin.settle_debits()
    assert subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()["status"] == "unpaid"
    viewer = subscriber.as_role("viewer")
    assert viewer.post(f"/v1/subscriptions/{subscription['id']}/payment-method-link").status_code == 403
    sent = subscriber.post(f"/v1/subscriptions/{subscription['id']}/payment-method-link")
    assert sent.status_code == 201, sent.text
    link = sent.json()
    assert link["sent_to"] == subscriber.email and "/s/" in link["url"]
    (mail,) = [m for m in mail_to(subscriber.email) if link["url"] in m.body]
    assert mail.subject.startswith("Update the payment method") and "did not go through" in mail.body
    executable = chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(link["url"])
            assert page.inner_text("#method").startswith("SEPA Direct Debit from DE •••• 3001")
            assert page.inner_text("#mandate") == bank_account["mandate_reference"] != ""
            page.click("#update")
            page.wait_for_selector("#card")  # Stripe's (stand-in's) Checkout page in setup mode
            page.select_option("#card", "pm_card_visa")
            page.click("#pay")
            page.wait_for_url(link["url"] + "?setup=*")
            saved, method = page.inner_text("#saved"), page.inner_text("#method")
        finally:
            browser.close()
    assert saved == "Your new payment method is saved."
    assert method.startswith("Visa card •••• 4242")
    standin.drain()
    after = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (after["status"], after["payments_made"]) == ("active", 1)
    assert after["payment_method_id"] != subscription["payment_method_id"]
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert invoice["status"] == "paid"
    assert requests.get(link["url"].replace("/s/", "/s/x"), timeout=10).status_code == 404


# ---------------------------------------------------------------- preview and edits


def test_the_preview_shows_the_subscriptions_first_payment_and_schedule_and_writes_nothing(subscriber):
    body = {
        "currency": "eur",
        "lines": [MONTHLY, {"name": "Support", "unit_price": "120.00", "billing_frequency": "annually", "payments": 3}],
        "schedule_length": 3,
        "date": "2027-03-01",
    }
    preview = subscriber.post("/v1/subscriptions/preview", json=body)
    assert preview.status_code == 200, preview.text
    result = preview.json()
    assert result["due_now"]["total"] == 2900 + 12000
    assert sorted((g["billing_frequency"], g["ends_on"]) for g in result["subscriptions"]) == [
        ("annually", "2030-03-01"),  # 3 annual payments from 1 March 2027
        ("monthly", None),
    ]
    assert [(p["date"], p["amount"]) for p in result["schedule"]] == [
        ("2027-03-01", 14900),
        ("2027-04-01", 2900),
        ("2027-05-01", 2900),
    ]
    one_time = subscriber.post(
        "/v1/subscriptions/preview", json={**body, "lines": [{"name": "Setup", "unit_price": "5"}]}
    )
    assert (one_time.status_code, fields_of(one_time)) == (422, ["lines.0.billing_frequency"])
    assert subscriber.get("/v1/subscriptions").json()["data"] == []


def test_edits_change_lines_from_the_next_period_the_next_date_the_method_and_the_address(
    subscriber, stripe_client, standin
):
    save_card(subscriber, stripe_client, standin)
    save_card(subscriber, stripe_client, standin, "pm_card_mastercard")
    other_card = next(
        m
        for m in subscriber.get(f"/v1/customers/{subscriber.customer['id']}/payment-methods").json()["data"]
        if not m["is_default"]
    )
    (subscription,) = subscribe(subscriber).json()["data"]
    path = f"/v1/subscriptions/{subscription['id']}"
    next_date = (today() + timedelta(days=45)).isoformat()
    changed = subscriber.patch(
        path,
        json={
            "lines": [{**MONTHLY, "quantity": "2"}],
            "next_payment_date": next_date,
            "payment_method_id": other_card["id"],
        },
    )
    assert changed.status_code == 200, changed.text
    after = changed.json()
    assert (after["next_payment_on"], after["payment_method_id"], after["lines"][0]["quantity"]) == (
        next_date,
        other_card["id"],
        "2",
    )
    stored = subscriber.get(path).json()  # as stored, not only as answered
    assert (stored["next_payment_on"], stored["payment_method_id"]) == (next_date, other_card["id"])
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert invoice["total"] == 2900  # the period billed keeps its lines
    assert "subscription.updated" in timeline_types(subscriber)
    bad = subscriber.patch(
        path, json={"lines": [{**MONTHLY, "billing_frequency": "annually"}], "next_payment_date": "2020-01-01"}
    )
    assert (bad.status_code, fields_of(bad)) == (422, ["lines.0.billing_frequency"])
    past = subscriber.patch(path, json={"next_payment_date": "2020-01-01"})
    assert (past.status_code, fields_of(past)) == (422, ["next_payment_date"])
    nobody = subscriber.patch(path, json={"payment_method_id": "pm_unknown"})
    assert (nobody.status_code, fields_of(nobody)) == (422, ["payment_method_id"])
    address = subscriber.patch(path, json={"address_id": "adr_unknown"})
    assert (address.status_code, fields_of(address)) == (422, ["address_id"])
    cancel(subscriber, subscription["id"], "immediately")
    assert subscriber.patch(path, json={"next_payment_date": next_date}).status_code == 409


# ---------------------------------------------------------------- webhook outcomes, once, whatever the order


def test_sepa_outcomes_delivered_three_times_in_reverse_order_pay_the_period_once(
    stack, subscriber, stripe_client, standin
):
    save_bank_account(subscriber, stripe_client, standin, GOOD_IBAN)
    (subscription,) = subscribe(subscriber).json()["data"]
    standin.drain()
    standin.switches.copies, standin.switches.hold = 3, True
    standin.settle_debits()
    released = requests.post(f"{stack.stripe_url}/_standin/release", json={"order": "reverse"}, timeout=60).json()
    assert released["released"] >= 2  # charge.succeeded, payment_intent.succeeded
    after = subscriber.get(f"/v1/subscriptions/{subscription['id']}").json()
    assert (after["status"], after["payments_made"]) == ("active", 1)
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    assert (invoice["status"], len(invoice["payments"])) == ("paid", 1)
    assert len([m for m in mail_to(subscriber.email) if m.subject.startswith("Receipt")]) == 1
    assert timeline_types(subscriber).count("subscription.period_paid") == 1


def test_a_refund_or_dispute_at_stripe_shows_on_the_invoice_and_the_subscription(
    stack, subscriber, stripe_client, standin
):
    save_card(subscriber, stripe_client, standin)
    (subscription,) = subscribe(subscriber).json()["data"]
    standin.drain()
    payment = subscriber.get(f"/v1/payments/{subscription['first_payment_id']}").json()
    requests.post(
        f"{stack.stripe_url}/_standin/disputes",
        timeout=10,
        json={"account": subscriber.account, "charge": payment["processor_charge_id"]},
    )
    standin.drain()
    assert subscriber.get(f"/v1/payments/{payment['id']}").json()["status"] == "disputed"
    (invoice,) = subscriber.get("/v1/invoices").json()["data"]
    history = [e["type"] for e in subscriber.get(f"/v1/invoices/{invoice['id']}/history").json()["data"]]
    assert history[0] == "payment_disputed"
    assert "subscription.payment_disputed" in timeline_types(subscriber)


def test_a_subscription_bills_to_the_address_it_chose(subscriber):
    customer = subscriber.patch(
        f"/v1/customers/{subscriber.customer['id']}",
        json={
            "address": {"line1": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
            "billing_address": {"line1": "Rechnungsweg 5", "postal_code": "20095", "city": "Hamburg", "country": "DE"},
        },
    ).json()
    billing = customer["billing_address"]
    office = subscriber.get(f"/v1/customers/{subscriber.customer['id']}").json()["address"]
    chosen = subscribe(subscriber, collection_method="send_invoice", address_id=office["id"])
    assert chosen.status_code == 201, chosen.text
    default = subscribe(subscriber, collection_method="send_invoice")
    invoices = {i["subscription_id"]: i for i in subscriber.get("/v1/invoices").json()["data"]}
    assert invoices[chosen.json()["data"][0]["id"]]["recipient"]["line1"] == office["line1"] == "Hauptstr. 1"
    assert invoices[default.json()["data"][0]["id"]]["recipient"]["city"] == billing["city"] == "Hamburg"
    unknown = subscribe(subscriber, collection_method="send_invoice", address_id="adr_unknown")
    assert (unknown.status_code, fields_of(unknown)) == (422, ["address_id"])


def test_a_scheduled_autopay_subscription_needs_a_card_that_has_not_expired(subscriber, stripe_client, standin):
    save_card(subscriber, stripe_client, standin)
    (card,) = subscriber.get(f"/v1/customers/{subscriber.customer['id']}/payment-methods").json()["data"]
    stripe_client.v1.payment_methods.update(
        card["id"], params={"card": {"exp_month": 1, "exp_year": 2024}}, options={"stripe_account": subscriber.account}
    )
    standin.drain()
    later = {**MONTHLY, "billing_start": {"type": "delay_days", "days": 10}}
    expired = subscribe(subscriber, later)
    assert (expired.status_code, fields_of(expired)) == (422, ["payment_method_id"])
    assert "has expired; choose or add another" in expired.json()["error"]["fields"][0]["message"]
    assert (
        stripe_intents(standin, subscriber.account) == [] and subscriber.get("/v1/subscriptions").json()["data"] == []
    )
