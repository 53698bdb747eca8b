"""Credit notes over HTTP on the embedded stack: gapless numbers under 30 concurrent credit notes,
a refund retried ten times refunds once at the Stripe stand-in and makes one credit note, the
customer's credit used by the next invoice, the list and its filters, and the errors a client
reads."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.integration.test_payments_api import save_card


def invoice(api, price="100.00", finalize=True):
    body = {
        "customer_id": api.customer["id"],
        "lines": [
            {"name": "Beratung", "unit_price": price, "tax_rate_id": api.rate["id"]}
            if getattr(api, "rate", None)
            else {"name": "Beratung", "unit_price": price, "tax": {"percentage": "19", "name": "USt"}}
        ],
        "finalize": finalize,
    }
    response = api.post("/v1/invoices", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def paid_by_card(merchant, stripe_client, standin):
    save_card(merchant, stripe_client, standin)
    created = invoice(merchant)
    charged = merchant.post(f"/v1/invoices/{created['id']}/charge")
    assert charged.status_code == 200, charged.text
    assert charged.json()["status"] == "paid"
    return charged.json()


def refunds_at_stripe(merchant, stripe_client, payment_id) -> list[int]:
    payment = merchant.get(f"/v1/payments/{payment_id}").json()
    intent = stripe_client.v1.payment_intents.retrieve(
        payment["processor_payment_id"],
        params={"expand": ["latest_charge"]},
        options={"stripe_account": merchant.account},
    )
    return [refund.amount for refund in intent.latest_charge.refunds.data]


def test_thirty_concurrent_credit_notes_take_contiguous_numbers_and_never_more_than_the_invoice(merchant):
    target = invoice(merchant, "30.00")  # 35.70 with VAT

    def credit(_):
        return merchant.post(
            f"/v1/invoices/{target['id']}/credit-notes", json={"reason": "order_change", "amount": 100}
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(credit, range(30)))
    assert [a.status_code for a in answers] == [201] * 30, [a.text for a in answers if a.status_code != 201][:2]
    numbers = sorted(int(a.json()["number"].removeprefix("CN-")) for a in answers)
    assert numbers == list(range(numbers[0], numbers[0] + 30))
    after = merchant.get(f"/v1/invoices/{target['id']}").json()
    assert (after["amount_credited"], after["amount_due"], len(after["credits"])) == (3000, 3570 - 3000, 30)
    too_much = merchant.post(
        f"/v1/invoices/{target['id']}/credit-notes", json={"reason": "order_change", "amount": 571}
    )
    assert too_much.status_code == 422 and too_much.json()["error"]["fields"][0]["field"] == "amount"
    listed = merchant.get("/v1/credit-notes", params={"invoice_id": target["id"], "limit": 100}).json()["data"]
    assert len(listed) == 30 and all(n["invoice_number"] == target["number"] for n in listed)


def test_a_refund_retried_ten_times_refunds_once_and_makes_one_credit_note(merchant, stripe_client, standin):
    paid = paid_by_card(merchant, stripe_client, standin)
    payment_id = paid["payments"][0]["payment_id"]
    key = str(uuid.uuid4())
    answers = [
        merchant.post(f"/v1/payments/{payment_id}/refund", json={"amount": 5000}, headers={"Idempotency-Key": key})
        for _ in range(10)
    ]
    assert {a.status_code for a in answers} == {200}
    standin.drain()
    assert refunds_at_stripe(merchant, stripe_client, payment_id) == [5000]
    (note,) = merchant.get("/v1/credit-notes", params={"invoice_id": paid["id"]}).json()["data"]
    assert (note["reason"], note["settlement"], note["total"], note["refund"]["status"]) == (
        "refund",
        "refund",
        5000,
        "succeeded",
    )
    after = merchant.get(f"/v1/invoices/{paid['id']}").json()
    assert (after["status"], after["amount_due"], after["amount_credited"]) == ("paid", 0, 5000)
    history = merchant.get(f"/v1/invoices/{paid['id']}/history").json()["data"]
    assert any(e["type"] == "credited" and note["number"] in e["summary"] for e in history)


def test_a_credit_note_with_a_stripe_refund_retried_with_its_key_is_one_note_and_one_refund(
    merchant, stripe_client, standin
):
    paid = paid_by_card(merchant, stripe_client, standin)
    key = str(uuid.uuid4())
    body = {"reason": "product_unsatisfactory", "settlement": "refund"}
    answers = [
        merchant.post(f"/v1/invoices/{paid['id']}/credit-notes", json=body, headers={"Idempotency-Key": key})
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201] * 3
    assert len({a.json()["id"] for a in answers}) == 1
    note = answers[0].json()
    assert note["full"] and note["total"] == paid["total"] and note["refund"]["status"] == "succeeded"
    standin.drain()
    assert refunds_at_stripe(merchant, stripe_client, paid["payments"][0]["payment_id"]) == [paid["total"]]
    after = merchant.get(f"/v1/invoices/{paid['id']}").json()
    assert (after["status"], after["amount_paid"], after["amount_due"]) == ("credited", 0, 0)
    assert len(merchant.get("/v1/credit-notes", params={"invoice_id": paid["id"]}).json()["data"]) == 1
    timeline = merchant.get(f"/v1/customers/{merchant.customer['id']}/timeline", params={"limit": 50}).json()
    assert "credit_note.created" in [e["type"] for e in timeline["data"]]


def test_credit_kept_as_balance_pays_the_customers_next_invoice_first(merchant):
    first = invoice(merchant)
    merchant.post(f"/v1/invoices/{first['id']}/payments", json={"amount": first["total"], "method": "bank_transfer"})
    note = merchant.post(
        f"/v1/invoices/{first['id']}/credit-notes",
        json={"reason": "order_change", "amount": 2000, "settlement": "credit_balance"},
    ).json()
    assert note["credited_to_balance"] == 2000
    balance = merchant.get(f"/v1/customers/{merchant.customer['id']}/credit-balance").json()
    assert balance["balances"] == [{"currency": "eur", "amount": 2000}]
    second = invoice(merchant)
    assert [(p["source"], p["amount"]) for p in second["payments"]] == [("credit_balance", 2000)]
    assert second["amount_due"] == second["total"] - 2000
    assert merchant.get(f"/v1/customers/{merchant.customer['id']}/credit-balance").json()["balances"] == []


def test_what_a_client_is_told_when_a_credit_note_cannot_be_made(merchant):
    draft = invoice(merchant, finalize=False)
    refused = merchant.post(f"/v1/invoices/{draft['id']}/credit-notes", json={"reason": "other"})
    assert refused.status_code == 409 and "draft" in refused.json()["error"]["message"]
    paid = invoice(merchant)
    merchant.post(f"/v1/invoices/{paid['id']}/payments", json={"amount": paid["total"], "method": "bank_transfer"})
    unsettled = merchant.post(f"/v1/invoices/{paid['id']}/credit-notes", json={"reason": "other"})
    assert unsettled.status_code == 422 and unsettled.json()["error"]["fields"][0]["field"] == "settlement"
    wrong_line = merchant.post(
        f"/v1/invoices/{paid['id']}/credit-notes",
        json={"reason": "other", "lines": [{"line": 3}], "settlement": "manual_refund"},
    )
    assert wrong_line.status_code == 422 and wrong_line.json()["error"]["fields"][0]["field"] == "lines.0.line"
    assert merchant.get("/v1/credit-notes/cn_nope").status_code == 404
