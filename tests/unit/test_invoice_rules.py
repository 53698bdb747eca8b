"""The invoice's own rules (SPEC I2-I9): numbers, due dates, statuses from payments, and who may
edit, delete or void what."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import Conflict, NotFound, ValidationFailed
from billing.domain.invoices import (
    InvoiceLine,
    InvoiceStatus,
    PaymentSource,
    PaymentTerms,
    Totals,
    deletion_refusal,
    edit_refusal,
    finalized,
    format_number,
    new_invoice,
    new_invoice_payment,
    service_period,
    terms_for_days,
    void_refusal,
    voided,
    with_payment,
    without_payment,
)
from billing.domain.periods import BillingFrequency
from billing.domain.settings import Seller

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
SELLER = Seller(business_name="Billow Demo GmbH", business_vat_id="DE999999999")
TODAY = NOW.date()


def line(net: int, tax: int = 0, percentage: str | None = None, inclusive: bool = False, name: str = "USt"):
    return InvoiceLine(
        name="x",
        quantity=Decimal(1),
        unit_price=Decimal(net) / 100,
        amount=net,
        discount=0,
        net=net,
        tax=tax,
        tax_name=name if percentage else None,
        tax_percentage=Decimal(percentage) if percentage else None,
        tax_inclusive=inclusive,
    )


def draft(total: int = 11900, **details):
    customer = new_customer("t", NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    details = {
        "currency": "eur",
        "lines": (line(10000, 1900, "19"),),
        "totals": Totals(lines_amount=10000, subtotal=10000, taxes=1900, total=total),
    } | details
    return new_invoice("t", customer, NOW, **details)


def opened(**details):
    return finalized(draft(**details), "INV-000007", 7, NOW, TODAY, SELLER)


def paid_by_hand(amount: int, source=PaymentSource.MANUAL):
    return new_invoice_payment(amount, TODAY, source, NOW, "user_1", method="cash")


def test_numbers_carry_the_prefix_and_the_padded_sequence():
    assert format_number("RE-2026-", 6, 123) == "RE-2026-000123"
    assert format_number("", 1, 1234567) == "1234567"  # digits pad, never cut


@pytest.mark.parametrize(
    ("terms", "days", "due"),
    [
        (PaymentTerms.DUE_ON_RECEIPT, 0, date(2026, 3, 10)),
        (PaymentTerms.NET_14, 14, date(2026, 3, 24)),
        (PaymentTerms.NET_DAYS, 45, date(2026, 4, 24)),
    ],
)
def test_finalizing_sets_the_date_the_number_and_the_due_date_from_the_terms(terms, days, due):
    invoice = finalized(draft(payment_terms=terms, days_until_due=days), "INV-000007", 7, NOW, TODAY, SELLER)
    assert (invoice.status, invoice.number, invoice.sequence) == (InvoiceStatus.OPEN, "INV-000007", 7)
    assert (invoice.issued_on, invoice.due_date) == (TODAY, due)
    assert len(invoice.hosted_token) >= 32 and invoice.finalized_at == NOW
    assert invoice.seller == SELLER  # the seller as issued, whatever the settings say later


def test_a_fixed_due_date_is_kept_and_a_zero_invoice_is_paid_when_finalized():
    fixed = finalized(
        draft(payment_terms=PaymentTerms.DUE_DATE, days_until_due=None, due_date=date(2026, 5, 1)),
        "N",
        1,
        NOW,
        TODAY,
        SELLER,
    )
    assert fixed.due_date == date(2026, 5, 1)
    free = finalized(draft(total=0), "N", 1, NOW, TODAY, SELLER)
    assert free.status is InvoiceStatus.PAID and free.paid_at == NOW


def test_only_a_draft_is_finalized():
    with pytest.raises(Conflict):
        finalized(opened(), "INV-000008", 8, NOW, TODAY, SELLER)


def test_named_terms_are_found_by_their_days():
    assert terms_for_days(0) is PaymentTerms.DUE_ON_RECEIPT
    assert terms_for_days(30) is PaymentTerms.NET_30
    assert terms_for_days(21) is PaymentTerms.NET_DAYS


def test_payments_move_the_status_and_never_exceed_the_amount_due():
    invoice = opened()
    with pytest.raises(ValidationFailed) as too_much:
        with_payment(invoice, paid_by_hand(11901), NOW)
    assert too_much.value.errors[0].field == "amount"
    part = with_payment(invoice, paid_by_hand(1900), NOW)
    assert (part.status, part.amount_paid, part.amount_due, part.paid_at) == (
        InvoiceStatus.PARTIALLY_PAID,
        1900,
        10000,
        None,
    )
    whole = with_payment(part, paid_by_hand(10000), NOW)
    assert (whole.status, whole.amount_due, whole.paid_at) == (InvoiceStatus.PAID, 0, NOW)
    with pytest.raises(Conflict):
        with_payment(whole, paid_by_hand(1), NOW)
    back, removed = without_payment(whole, whole.payments[0].id, NOW)
    assert removed.amount == 1900 and back.status is InvoiceStatus.PARTIALLY_PAID and back.paid_at is None
    with pytest.raises(NotFound):
        without_payment(whole, "ipay_missing", NOW)


def test_a_payment_must_be_above_zero_and_given():
    for amount in (0, -5, None):
        with pytest.raises(ValidationFailed):
            paid_by_hand(amount)


def test_an_online_payment_marks_the_invoice_for_good_and_cannot_be_removed():
    online = with_payment(replace(opened(), checkout_session_id="cs_1"), paid_by_hand(11900, PaymentSource.ONLINE), NOW)
    assert online.online_payment_made and online.checkout_session_id is None
    with pytest.raises(Conflict):
        without_payment(online, online.payments[0].id, NOW)


def test_edits_of_a_finalized_invoice_need_the_setting_an_admin_no_payment_and_no_subscription():
    assert not edit_refusal(draft(), editing_allowed=False, may_edit_finalized=False)
    invoice = opened()
    assert not edit_refusal(invoice, editing_allowed=True, may_edit_finalized=True)
    refusal = edit_refusal(
        replace(with_payment(invoice, paid_by_hand(100), NOW), subscription_id="sub_1"),
        editing_allowed=False,
        may_edit_finalized=False,
    )
    assert len(refusal.reasons) == 4
    refunded_online = replace(invoice, online_payment_made=True)
    assert edit_refusal(refunded_online, editing_allowed=True, may_edit_finalized=True).reasons == [
        "a payment was made on the invoice"
    ]


def test_deletion_needs_the_setting_for_a_finalized_invoice_and_never_a_paid_one():
    assert not deletion_refusal(draft(), deleting_allowed=False)
    assert deletion_refusal(opened(), deleting_allowed=False)
    assert not deletion_refusal(opened(), deleting_allowed=True)
    paid = with_payment(opened(), paid_by_hand(11900), NOW)
    assert deletion_refusal(paid, deleting_allowed=True).reasons == ["a paid invoice can never be deleted"]


def test_void_revokes_the_link_and_is_refused_after_any_online_payment_or_with_payments_recorded():
    void = voided(opened(), NOW)
    assert (void.status, void.hosted_token, void.amount_due) == (InvoiceStatus.VOID, None, 0)
    with pytest.raises(Conflict):
        voided(void, NOW)
    with pytest.raises(Conflict):
        voided(draft(), NOW)
    assert void_refusal(replace(opened(), online_payment_made=True))
    assert "remove the recorded payments first" in void_refusal(with_payment(opened(), paid_by_hand(1), NOW)).reasons


def test_tax_amounts_group_the_lines_by_rate_and_split_inclusive_tax_out_of_the_net():
    invoice = draft(
        lines=(
            line(10000, 1900, "19"),
            line(5000, 950, "19"),
            line(1070, 70, "7", inclusive=True, name="USt ermäßigt"),
            line(300),
        ),
    )
    assert [(t.name, t.percentage, t.net, t.tax) for t in invoice.tax_amounts] == [
        ("USt", Decimal(19), 15000, 2850),
        ("USt ermäßigt", Decimal(7), 1000, 70),
        ("", Decimal(0), 300, 0),
    ]


def test_a_recurring_line_covers_one_period_from_the_day_it_is_billed():
    assert service_period(BillingFrequency.MONTHLY, date(2026, 1, 31), None, None, "lines.0") == (
        date(2026, 1, 31),
        date(2026, 2, 27),
    )
    assert service_period(BillingFrequency.ONE_TIME, TODAY, None, None, "lines.0") == (None, None)
    given = (date(2026, 1, 1), date(2026, 12, 31))
    assert service_period(BillingFrequency.ONE_TIME, TODAY, *given, "lines.0") == given
    with pytest.raises(ValidationFailed) as half:
        service_period(BillingFrequency.MONTHLY, TODAY, date(2026, 1, 1), None, "lines.2")
    assert half.value.errors[0].field == "lines.2.period_end"
    with pytest.raises(ValidationFailed) as backwards:
        service_period(BillingFrequency.MONTHLY, TODAY, date(2026, 2, 1), date(2026, 1, 1), "lines.0")
    assert backwards.value.errors[0].field == "lines.0.period_end"
