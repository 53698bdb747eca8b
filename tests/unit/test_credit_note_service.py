"""Credit notes as the services make them: asked for (once per request key, its Stripe refund made
once), made by a refund of the invoice's payment, by voiding an invoice that was sent, and kept
as credit that the customer's next invoice uses first, in the billing run as well."""

from datetime import date

import pytest

from billing.domain.credit_notes import CreditReason, RefundStatus, Settlement
from billing.domain.errors import DeliveryFailed, ValidationFailed
from billing.domain.invoices import InvoiceStatus, PaymentSource
from billing.domain.orders import CreditOrder, InvoiceOrder, LineOrder, SendOrder, TaxOrder
from tests.unit.wiring import ADMIN, HOSTED, TENANT, Billow

VAT = TaxOrder("19", "USt")


@pytest.fixture
def billow():
    return Billow()


def open_invoice(billow: Billow, price: str = "100.00"):
    order = InvoiceOrder(
        customer_id=billow.customer_id, lines=(LineOrder(name="Beratung", unit_price=price, tax=VAT),), finalize=True
    )
    return billow.invoicing.drafts.create(ADMIN, order)


def paid_by_card(billow: Billow, price: str = "100.00"):
    invoice = open_invoice(billow, price)
    return billow.invoicing.collection.charge(ADMIN, invoice.id)


def notes_of(billow: Billow, invoice_id: str):
    return [n for (t, _), n in billow.credit_notes.notes.items() if n.invoice_id == invoice_id]


def test_a_credit_note_asked_for_twice_with_one_key_is_made_and_refunded_once(billow):
    invoice = paid_by_card(billow)
    order = CreditOrder(reason="product_unsatisfactory", amount=5950, settlement="refund")
    first = billow.invoicing.credit_notes.create(ADMIN, invoice.id, order, request_key="k1")
    again = billow.invoicing.credit_notes.create(ADMIN, invoice.id, order, request_key="k1")
    assert first.id == again.id and first.number == "CN-000001"
    assert first.refund is not None and first.refund.status is RefundStatus.SUCCEEDED
    refunds = [k for k in billow.stripe.answers if k.startswith("billow-credit-note-")]
    assert refunds == [f"billow-credit-note-{first.id}"]
    assert [c["amount_refunded"] for c in billow.stripe.charges.values()] == [5950]
    payment = billow.payments.get(TENANT, first.refund.payment_id)
    assert payment.amount_refunded == 5950 and payment.applications[0].refunded == 5950
    after = billow.invoices.get(TENANT, invoice.id)
    assert (after.status, after.amount_credited, after.amount_paid, after.amount_due) == (
        InvoiceStatus.PAID,
        5950,
        5950,
        0,
    )
    assert len(notes_of(billow, invoice.id)) == 1  # the refund heard back made no second note


def test_a_refund_of_the_invoices_payment_makes_its_credit_note_and_the_invoice_stays_settled(billow):
    invoice = paid_by_card(billow)
    payment_id = invoice.payments[0].payment_id
    billow.payment_service.refund(ADMIN, payment_id, 4000)
    (note,) = notes_of(billow, invoice.id)
    assert (note.reason, note.settlement, note.total, note.due_reduced) == (
        CreditReason.REFUND,
        Settlement.REFUND,
        4000,
        0,
    )
    assert note.refund is not None and note.refund.status is RefundStatus.SUCCEEDED
    after = billow.invoices.get(TENANT, invoice.id)
    assert (after.status, after.amount_due, after.amount_credited) == (InvoiceStatus.PAID, 0, 4000)
    billow.payment_service.refund(ADMIN, payment_id, None)  # the rest
    assert [n.total for n in sorted(notes_of(billow, invoice.id), key=lambda n: n.sequence)] == [4000, 7900]
    assert billow.invoices.get(TENANT, invoice.id).status is InvoiceStatus.CREDITED


def test_voiding_an_invoice_that_was_sent_makes_a_stornorechnung_unless_the_settings_allow_plain_voids(billow):
    invoice = open_invoice(billow)
    billow.invoicing.delivery.send(ADMIN, invoice.id, SendOrder(), HOSTED)
    void = billow.invoicing.lifecycle.void(ADMIN, invoice.id)
    (note,) = notes_of(billow, invoice.id)
    assert note.full and note.reason is CreditReason.VOID and note.total == invoice.total
    assert (void.status, void.amount_credited) == (InvoiceStatus.VOID, invoice.total)
    never_sent = open_invoice(billow)
    billow.invoicing.lifecycle.void(ADMIN, never_sent.id)
    assert notes_of(billow, never_sent.id) == []
    billow.change_settings(void_credit_notes=False)
    sent = open_invoice(billow)
    billow.invoicing.delivery.send(ADMIN, sent.id, SendOrder(), HOSTED)
    billow.invoicing.lifecycle.void(ADMIN, sent.id)
    assert notes_of(billow, sent.id) == []


def test_credit_kept_on_the_balance_pays_the_next_subscription_invoice_first_in_the_billing_run(billow):
    billow.on(date(2026, 3, 1))
    subscription = billow.subscribe()  # 29.00 a month, AutoPay
    first = billow.invoices_of(subscription.id)[0]
    order = CreditOrder(reason="order_change", amount=1000, settlement="credit_balance")
    billow.invoicing.credit_notes.create(ADMIN, first.id, order)
    assert billow.invoicing.balances.of(ADMIN, billow.customer_id) == {"eur": 1000}

    billow.night(date(2026, 4, 1))
    second = billow.invoices_of(subscription.id)[1]
    from_balance = [p for p in second.payments if p.source is PaymentSource.CREDIT_BALANCE]
    assert [p.amount for p in from_balance] == [1000]
    assert second.status is InvoiceStatus.PAID and second.amount_paid == second.total
    assert list(billow.stripe.charges.values())[-1]["amount"] == second.total - 1000
    assert billow.invoicing.balances.of(ADMIN, billow.customer_id) == {}


def test_an_open_invoice_credited_in_part_asks_for_less_and_needs_no_settlement(billow):
    invoice = open_invoice(billow)
    note = billow.invoicing.credit_notes.create(ADMIN, invoice.id, CreditOrder(reason="order_change", amount=1900))
    assert (note.due_reduced, note.settled, note.settlement) == (1900, 0, None)
    assert billow.invoices.get(TENANT, invoice.id).amount_due == 11900 - 1900
    with pytest.raises(ValidationFailed) as refused:
        billow.invoicing.credit_notes.create(ADMIN, invoice.id, CreditOrder(reason="order_change", amount=20000))
    assert refused.value.errors[0].field == "amount"


def test_a_credit_note_is_emailed_in_the_tenants_words_with_its_pdf_and_the_send_recorded(billow):
    invoice = open_invoice(billow)
    note = billow.invoicing.credit_notes.create(ADMIN, invoice.id, CreditOrder(reason="other"))
    sent = billow.invoicing.credit_note_delivery.send(ADMIN, note.id, SendOrder(), HOSTED)
    (mail,) = billow.mailer.sent[-1:]
    assert mail["subject"] == f"Cancellation invoice {note.number} for invoice {invoice.number}"  # it takes back all
    assert f"our Cancellation invoice {note.number} for invoice {invoice.number}, of €119.00" in mail["text"]
    assert mail["attachments"] == [f"{note.number}.pdf"]
    assert sent.last_sent_at is not None
    assert billow.customers.events[(TENANT, billow.customer_id)][-1].type == "credit_note.sent"
    billow.mailer.refuse = "Cancellation invoice"
    with pytest.raises(DeliveryFailed):  # nothing is recorded as sent
        billow.invoicing.credit_note_delivery.send(ADMIN, note.id, SendOrder(), HOSTED)
    assert billow.credit_notes.get(TENANT, note.id).last_sent_at == sent.last_sent_at
