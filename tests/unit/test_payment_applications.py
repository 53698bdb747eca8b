"""A ledger payment pays invoices at most once in total: split as wished, never more than it is
less its refunds, recorded on the payment; a refund takes back first what was never applied, then
the latest applications (worked out by hand below)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from billing.domain.errors import Conflict, ValidationFailed
from billing.domain.payments import (
    Payment,
    PaymentStatus,
    ProcessorPayment,
    applied_to,
    refund_claimed,
    refunds_spread,
    without_application,
)

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def paid(amount=1000, **changes) -> Payment:
    payment = Payment("t", "pay_1", "cus_1", amount, "eur", PaymentStatus.SUCCEEDED, NOW, NOW)
    return replace(payment, processor_payment_id="pi_1", **changes)


def refunded_at_stripe(payment: Payment, amount_refunded: int) -> Payment:
    return payment.following(ProcessorPayment("pi_1", "succeeded", payment.amount, "eur", None, amount_refunded), NOW)


def test_a_payment_split_over_two_invoices_never_pays_more_than_it_is():
    payment = applied_to(paid(1000), "inv_a", 600, 600, NOW)
    payment = applied_to(payment, "inv_b", None, 900, NOW)  # what is left, though 900 is due
    assert [(a.invoice_id, a.amount) for a in payment.applications] == [("inv_a", 600), ("inv_b", 400)]
    assert (payment.amount_applied, payment.amount_unapplied) == (1000, 0)
    with pytest.raises(Conflict, match=r"has nothing left to apply: it is applied in full to invoice inv_a, inv_b$"):
        applied_to(payment, "inv_c", None, 100, NOW)


def test_by_default_an_application_takes_what_the_invoice_needs_and_never_twice():
    payment = applied_to(paid(1000), "inv_a", None, 119, NOW)
    assert payment.applications[0].amount == 119 and payment.amount_unapplied == 881
    with pytest.raises(Conflict, match=r"is already applied to this invoice$"):
        applied_to(payment, "inv_a", 1, 100, NOW)
    with pytest.raises(ValidationFailed) as too_much:
        applied_to(payment, "inv_b", 882, 2000, NOW)
    assert [(e.field, e.message) for e in too_much.value.errors] == [
        ("amount", "exceeds what is left of payment pay_1 to apply (881)")
    ]


def test_only_a_succeeded_payment_is_applied_and_a_refunded_one_has_nothing_left():
    for status in (PaymentStatus.PENDING, PaymentStatus.FAILED, PaymentStatus.DISPUTED):
        with pytest.raises(ValidationFailed, match="not succeeded"):
            applied_to(paid(status=status), "inv_a", None, 100, NOW)
    half = refunded_at_stripe(paid(1000), 500)
    assert applied_to(half, "inv_a", None, 1000, NOW).applications[0].amount == 500
    whole = refunded_at_stripe(paid(1000), 1000)
    with pytest.raises(ValidationFailed, match="the payment is refunded, not succeeded"):
        applied_to(whole, "inv_a", None, 100, NOW)


def test_a_refund_takes_back_the_unapplied_part_first_then_the_latest_application():
    payment = applied_to(applied_to(paid(1000), "inv_a", 500, 500, NOW), "inv_b", 300, 300, NOW)  # 200 left
    assert [a.refunded for a in refunded_at_stripe(payment, 200).applications] == [0, 0]
    assert [a.refunded for a in refunded_at_stripe(payment, 350).applications] == [0, 150]
    assert [a.refunded for a in refunded_at_stripe(payment, 700).applications] == [200, 300]
    after = refunded_at_stripe(payment, 1000)
    assert [a.refunded for a in after.applications] == [500, 300]
    assert (after.amount_applied, after.amount_unapplied) == (0, 0)


def test_the_spread_follows_the_total_refunded_so_a_repeated_report_changes_nothing():
    payment = refunded_at_stripe(applied_to(paid(1000), "inv_a", 1000, 1000, NOW), 300)
    assert refunds_spread(payment) is payment
    assert refunded_at_stripe(payment, 300).applications == payment.applications


def test_an_application_given_back_frees_its_part_and_the_refunds_spread_anew():
    payment = applied_to(applied_to(paid(1000), "inv_a", 600, 600, NOW), "inv_b", 400, 400, NOW)
    payment = refunded_at_stripe(payment, 300)
    assert [a.refunded for a in payment.applications] == [0, 300]
    freed = without_application(payment, "inv_b", NOW)
    assert [(a.invoice_id, a.refunded) for a in freed.applications] == [("inv_a", 0)]
    assert freed.amount_unapplied == 100  # 1000 - 300 refunded - 600 on inv_a


def test_a_refund_claim_is_for_what_is_left_and_refuses_a_refunded_payment():
    payment, claim = refund_claimed(paid(1000, amount_refunded=300), None, NOW)
    assert (claim.amount, claim.refunded_before, payment.refund_claim) == (700, 300, claim)
    with pytest.raises(ValidationFailed) as above:
        refund_claimed(paid(1000, amount_refunded=300), 701, NOW)
    assert [(e.field, e.message) for e in above.value.errors] == [("amount", "must be 1 to 700")]
    with pytest.raises(Conflict, match=r"is refunded in full; nothing is left to refund$"):
        refund_claimed(paid(1000, amount_refunded=1000, status=PaymentStatus.REFUNDED), None, NOW)
    with pytest.raises(Conflict, match=r"only a succeeded payment can be refunded; this one is pending$"):
        refund_claimed(paid(status=PaymentStatus.PENDING), None, NOW)
