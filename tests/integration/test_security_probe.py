"""What an outside security probe found, each case kept here so it stays fixed: one ledger payment
paying many invoices, concurrent refunds merged under one key, email templates evaluated as Python
format strings, and a viewer replaying a billing user's Idempotency-Key."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from billing.formatting import Formatter
from tests.integration.conftest import fields_of
from tests.integration.test_payments_api import charge, save_card


@pytest.fixture
def payer(merchant, stripe_client, standin):
    """A connected merchant whose customer has a card on file and a 10.00 EUR payment in the ledger."""
    save_card(merchant, stripe_client, standin)
    payment = charge(merchant, 1000)
    assert payment.status_code == 201, payment.text
    merchant.payment = payment.json()
    return merchant


def open_invoice(api, amount: str = "10.00") -> dict:
    response = api.post(
        "/v1/invoices",
        json={
            "customer_id": api.customer["id"],
            "lines": [{"name": "Beratung", "unit_price": amount}],
            "finalize": True,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def apply(api, invoice: dict, payment_id: str, **extra):
    return api.post(f"/v1/invoices/{invoice['id']}/payments", json={"payment_id": payment_id, **extra})


# ---------------------------------------------------------------- 1. one payment, many invoices


def test_a_ledger_payment_pays_one_invoice_and_is_refused_for_a_second_with_the_reason(payer):
    first, second = open_invoice(payer), open_invoice(payer)
    paid = apply(payer, first, payer.payment["id"])
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
    refused = apply(payer, second, payer.payment["id"])
    assert refused.status_code == 409, refused.text
    assert "nothing left to apply" in refused.json()["error"]["message"]
    assert first["id"] in refused.json()["error"]["message"]
    assert payer.get(f"/v1/invoices/{second['id']}").json()["status"] == "open"
    ledger = payer.get(f"/v1/payments/{payer.payment['id']}").json()
    assert [(a["invoice_id"], a["amount"]) for a in ledger["applications"]] == [(first["id"], 1000)]
    assert ledger["amount_unapplied"] == 0


def test_a_payment_is_split_over_invoices_and_never_more_than_it_is(payer):
    first, second, third = open_invoice(payer, "6.00"), open_invoice(payer, "6.00"), open_invoice(payer, "1.00")
    assert apply(payer, first, payer.payment["id"]).json()["status"] == "paid"  # 6.00 of it
    part = apply(payer, second, payer.payment["id"])  # the 4.00 left
    assert (part.json()["status"], part.json()["amount_due"]) == ("partially_paid", 200), part.text
    assert apply(payer, third, payer.payment["id"]).status_code == 409
    explicit = open_invoice(payer, "20.00")
    too_much = apply(payer, explicit, payer.payment["id"], amount=1)
    assert too_much.status_code == 409, too_much.text  # nothing left of it


def test_an_invoices_own_charge_cannot_pay_another_invoice(payer):
    own, other = open_invoice(payer, "5.00"), open_invoice(payer, "5.00")
    charged = payer.post(f"/v1/invoices/{own['id']}/charge")
    assert charged.status_code == 200 and charged.json()["status"] == "paid", charged.text
    payment_id = charged.json()["payments"][0]["payment_id"]
    refused = apply(payer, other, payment_id)
    assert refused.status_code == 409, refused.text
    assert f"was taken for invoice {own['number']}" in refused.json()["error"]["message"]


def test_racing_applications_of_one_payment_never_exceed_it(payer):
    invoices = [open_invoice(payer, "4.00") for _ in range(6)]  # 24.00 due, a 10.00 payment

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda invoice: apply(payer, invoice, payer.payment["id"]), invoices))
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    paid_in_total = sum(payer.get(f"/v1/invoices/{i['id']}").json()["amount_paid"] for i in invoices)
    assert paid_in_total == 1000
    ledger = payer.get(f"/v1/payments/{payer.payment['id']}").json()
    assert sum(a["amount"] for a in ledger["applications"]) == 1000 and ledger["amount_unapplied"] == 0
    assert sorted(a["amount"] for a in ledger["applications"]) == [200, 400, 400]


def test_a_refund_of_an_applied_payment_credits_the_invoice_it_paid(payer):
    """Money given back is a correction of the invoice (a credit note), not a debt the buyer owes again."""
    invoice = open_invoice(payer)
    apply(payer, invoice, payer.payment["id"])
    refunded = payer.post(f"/v1/payments/{payer.payment['id']}/refund", json={"amount": 300})
    assert refunded.status_code == 200, refunded.text
    after = payer.get(f"/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["amount_paid"], after["amount_credited"], after["amount_due"]) == (
        "paid",
        700,
        300,
        0,
    )
    assert after["payments"][0]["refunded"] == 300
    payer.post(f"/v1/payments/{payer.payment['id']}/refund")
    after = payer.get(f"/v1/invoices/{invoice['id']}").json()
    assert (after["status"], after["amount_paid"], after["amount_credited"], after["amount_due"]) == (
        "credited",
        0,
        1000,
        0,
    )
    notes = payer.get("/v1/credit-notes", params={"invoice_id": invoice["id"]}).json()["data"]
    assert sorted(n["total"] for n in notes) == [300, 700]
    history = [e["type"] for e in payer.get(f"/v1/invoices/{invoice['id']}/history").json()["data"]]
    assert history.count("credited") == 2
    second = open_invoice(payer)
    assert apply(payer, second, payer.payment["id"]).status_code == 422  # refunded: nothing to apply


def test_removing_an_application_gives_the_payment_back_to_apply_elsewhere(payer):
    first, second = open_invoice(payer), open_invoice(payer)
    applied = apply(payer, first, payer.payment["id"]).json()
    removed = payer.delete(f"/v1/invoices/{first['id']}/payments/{applied['payments'][0]['id']}")
    assert removed.status_code == 204, removed.text
    assert payer.get(f"/v1/invoices/{first['id']}").json()["status"] == "open"
    assert payer.get(f"/v1/payments/{payer.payment['id']}").json()["amount_unapplied"] == 1000
    assert apply(payer, second, payer.payment["id"]).json()["status"] == "paid"


# ---------------------------------------------------------------- 2. concurrent refunds


@pytest.mark.parametrize("threads", [2, 5])
def test_concurrent_refunds_are_each_their_own_refund_or_refused(payer, standin, threads):
    """Each 3.00 request on a 10.00 payment is a refund of its own until too little is left."""
    payment_id = payer.payment["id"]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(
            pool.map(lambda _: payer.post(f"/v1/payments/{payment_id}/refund", json={"amount": 300}), range(threads))
        )
    made = [a for a in answers if a.status_code == 200]
    assert len(made) == min(threads, 3), [a.text for a in answers]
    assert all(a.status_code == 422 and fields_of(a) == ["amount"] for a in answers if a.status_code != 200)
    standin.drain()
    ledger = payer.get(f"/v1/payments/{payment_id}").json()
    assert ledger["amount_refunded"] == 300 * len(made)
    assert sorted(a.json()["amount_refunded"] for a in made) == [300 * (i + 1) for i in range(len(made))]
    refunds = payer.get(f"/v1/customers/{payer.customer['id']}/timeline", params={"limit": 100}).json()["data"]
    assert [e["data"]["amount"] for e in refunds if e["type"] == "payment.refunded"] == [300] * len(made)


def test_concurrent_full_refunds_make_one_and_the_rest_are_told_nothing_is_left(payer, standin):
    payment_id = payer.payment["id"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: payer.post(f"/v1/payments/{payment_id}/refund"), range(6)))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 5, [a.text for a in answers]
    assert all("nothing is left to refund" in a.json()["error"]["message"] for a in answers if a.status_code == 409)
    assert payer.get(f"/v1/payments/{payment_id}").json()["amount_refunded"] == 1000


def test_a_refund_retried_with_its_idempotency_key_answers_the_first_refund(payer):
    payment_id = payer.payment["id"]
    key = {"Idempotency-Key": "refund-1"}
    first = payer.post(f"/v1/payments/{payment_id}/refund", json={"amount": 300}, headers=key)
    again = payer.post(f"/v1/payments/{payment_id}/refund", json={"amount": 300}, headers=key)
    assert (first.status_code, again.status_code) == (200, 200) and first.json() == again.json()
    assert payer.get(f"/v1/payments/{payment_id}").json()["amount_refunded"] == 300
    other = payer.post(f"/v1/payments/{payment_id}/refund", json={"amount": 200}, headers=key)
    assert other.status_code == 422 and fields_of(other) == ["Idempotency-Key"]


# ---------------------------------------------------------------- 5. email templates


@pytest.mark.parametrize(
    "template", ["Inv {number.__class__.__mro__} {total:>3000}", "{x.__dict__}", "{total:>99999999}", "{0}"]
)
def test_an_email_template_with_anything_but_its_placeholders_is_refused_when_saved(api, template):
    for field in ("invoice_email_subject", "invoice_email_message"):
        refused = api.patch("/v1/settings", json={field: template})
        assert refused.status_code == 422 and fields_of(refused) == [field], refused.text
        assert "unknown placeholder" in refused.text


def test_the_placeholders_are_filled_as_text(shop):
    from tests.integration.test_invoice_documents import raw_mail_to

    shop.patch(
        "/v1/settings",
        json={"invoice_email_subject": "Rechnung {number} über {total}", "invoice_email_message": "Fällig {due_date}."},
    )
    shop.patch(f"/v1/customers/{shop.customer['id']}", json={"billing_email": f"ap-{shop.tenant}@kunde.de"})
    invoice = open_invoice(shop, "119.00")
    sent = shop.post(f"/v1/invoices/{invoice['id']}/send")
    assert sent.status_code == 200, sent.text
    (mail,) = raw_mail_to(f"ap-{shop.tenant}@kunde.de")
    assert mail["Subject"] == f"Rechnung {invoice['number']} über €119.00"
    due = Formatter("en_US", "eur").day(date.fromisoformat(invoice["due_date"]))  # as the tenant's locale writes it
    assert f"Fällig {due}." in mail.get_body(("plain",)).get_content()


# ---------------------------------------------------------------- 8. replaying another role's key


def test_a_viewer_replaying_a_billing_users_idempotency_key_is_refused(shop):
    key = {"Idempotency-Key": "cust-create-1"}
    body = {"type": "company", "company_name": "Replay GmbH"}
    made = shop.as_role("billing").post("/v1/customers", json=body, headers=key)
    assert made.status_code == 201, made.text
    replayed = shop.as_role("viewer").post("/v1/customers", json=body, headers=key)
    assert replayed.status_code == 403, replayed.text
    assert shop.as_role("billing").post("/v1/customers", json=body, headers=key).json() == made.json()
