"""The subscription's own rules: periods anchored on the start date, the statuses a payment or a
failure leads to, a fixed term's end, cancellation and its prorated refund (figures worked out by
hand in each test)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from billing.domain.errors import Conflict, ValidationFailed
from billing.domain.periods import BillingFrequency, BillingStart, BillingStartKind
from billing.domain.subscriptions import (
    CancelMode,
    CollectionMethod,
    DunningPolicy,
    Period,
    Subscription,
    SubscriptionStatus,
    activated,
    billed,
    canceled,
    deletion_refusal,
    new_subscription,
    paid,
    payment_failed,
    period,
    period_invoice,
    prorated_refund,
)

NOW = datetime(2026, 3, 1, 9, tzinfo=UTC)
LATER = datetime(2026, 3, 10, 9, tzinfo=UTC)


def subscription(**details) -> Subscription:
    values = {
        "tenant_id": "t",
        "id": "sub_1",
        "customer_id": "cus_1",
        "currency": "eur",
        "frequency": BillingFrequency.MONTHLY,
        "starts_on": date(2026, 3, 1),
        "status": SubscriptionStatus.ACTIVE,
        "collection_method": CollectionMethod.CHARGE_AUTOMATICALLY,
        "created_at": NOW,
        "updated_at": NOW,
    } | details
    return Subscription(**values)


def cycle(sub: Subscription, now: datetime) -> Subscription:
    """The next period billed and paid."""
    billed_period = sub.next_period
    return paid(billed(sub, billed_period.number, now), billed_period, now)


def test_periods_are_anchored_on_the_start_date_and_never_drift():
    assert period(date(2026, 1, 31), BillingFrequency.MONTHLY, 0) == Period(0, date(2026, 1, 31), date(2026, 2, 27))
    assert period(date(2026, 1, 31), BillingFrequency.MONTHLY, 1) == Period(1, date(2026, 2, 28), date(2026, 3, 30))
    assert period(date(2026, 1, 31), BillingFrequency.MONTHLY, 2) == Period(2, date(2026, 3, 31), date(2026, 4, 29))
    weekly = period(date(2026, 3, 2), BillingFrequency.WEEKLY, 3)
    assert (weekly.start, weekly.end, weekly.days) == (date(2026, 3, 23), date(2026, 3, 29), 7)
    assert period(date(2024, 2, 29), BillingFrequency.ANNUALLY, 1).start == date(2025, 2, 28)
    assert Period(4, date(2026, 3, 1), date(2026, 3, 31)).key("sub_9") == "sub_9:4"
    with pytest.raises(ValueError, match=r"^a one-time line has no periods$"):
        period(date(2026, 3, 1), BillingFrequency.ONE_TIME, 0)


def test_a_six_payment_term_from_1_march_ends_1_september_and_expires_with_its_last_payment():
    term = subscription(payments=6)
    assert (term.ends_on, term.payments_left, term.next_payment_on) == (date(2026, 9, 1), 6, date(2026, 3, 1))
    for _ in range(5):
        term = cycle(term, NOW)
    assert (term.status, term.payments_made, term.payments_left) == (SubscriptionStatus.ACTIVE, 5, 1)
    assert (term.last_payment_on, term.next_payment_on) == (date(2026, 3, 1), date(2026, 8, 1))
    last = cycle(term, LATER)
    assert (last.status, last.payments_left, last.next_payment_on) == (SubscriptionStatus.EXPIRED, 0, None)
    assert (last.ended_on, last.ends_on, last.updated_at) == (date(2026, 9, 1), date(2026, 9, 1), LATER)
    assert last.current_period == Period(5, date(2026, 8, 1), date(2026, 8, 31))


def test_a_payment_for_a_period_already_counted_changes_nothing_and_one_out_of_order_is_refused():
    once = cycle(subscription(), NOW)
    assert paid(once, period(date(2026, 3, 1), BillingFrequency.MONTHLY, 0), LATER) is once
    with pytest.raises(Conflict) as out_of_order:
        billed(once, 2, LATER)
    assert out_of_order.value.message == "period 2 is not the next period (1) to bill"
    moved_on = billed(once, 1, LATER)
    assert (moved_on.next_payment_on, moved_on.periods_billed, moved_on.updated_at) == (date(2026, 5, 1), 2, LATER)
    renewing = once
    assert (renewing.payments_left, renewing.ends_on, renewing.next_payment_on) == (None, None, date(2026, 4, 1))


def test_a_failed_payment_makes_it_unpaid_and_the_next_success_active_again():
    unpaid = payment_failed(subscription(), 0, LATER, DunningPolicy())
    assert (unpaid.status, unpaid.updated_at) == (SubscriptionStatus.UNPAID, LATER)
    assert unpaid.next_payment_on == date(2026, 3, 1)
    again = cycle(unpaid, LATER)
    assert (again.status, again.payments_made) == (SubscriptionStatus.ACTIVE, 1)
    gone = replace(subscription(), status=SubscriptionStatus.CANCELED)
    assert payment_failed(gone, 0, LATER, DunningPolicy()) is gone
    assert paid(gone, gone.next_period, LATER).status is SubscriptionStatus.CANCELED


def test_a_scheduled_subscription_becomes_active_on_its_start_date():
    scheduled = subscription(status=SubscriptionStatus.SCHEDULED, starts_on=date(2026, 4, 1))
    assert activated(scheduled, date(2026, 3, 31), LATER) is scheduled
    started = activated(scheduled, date(2026, 4, 1), LATER)
    assert (started.status, started.updated_at) == (SubscriptionStatus.ACTIVE, LATER)
    assert activated(started, date(2026, 5, 1), NOW) is started
    assert [s for s in SubscriptionStatus if s.billable] == [SubscriptionStatus.ACTIVE, SubscriptionStatus.UNPAID]


def test_the_refund_of_a_cancellation_is_the_unused_days_of_the_paid_period():
    march = Period(0, date(2026, 3, 1), date(2026, 3, 31))
    # 29.00 for 31 days, canceled on 10 March: 1-10 March used, 21 days unused, 29.00 x 21 / 31 = 19.645... -> 19.65
    assert prorated_refund(2900, march, date(2026, 3, 10)) == 1965
    # canceled on the first day: that day is used, 30 of 31 days unused, 28.064... -> 28.06
    assert prorated_refund(2900, march, date(2026, 3, 1)) == 2806
    assert prorated_refund(2900, march, date(2026, 3, 31)) == 0  # the last day: nothing unused
    assert prorated_refund(2900, march, date(2026, 3, 30)) == 94  # one day unused: 29.00 / 31 = 0.935 -> 0.94
    assert prorated_refund(2900, march, date(2026, 4, 2)) == 0
    assert prorated_refund(2900, march, date(2026, 2, 27)) == 2900  # before the period began: all of it
    # a half minor unit rounds up: 1 cent for 2 days, canceled on the first, refunds 0.5 -> 1
    assert prorated_refund(1, Period(0, date(2026, 3, 1), date(2026, 3, 2)), date(2026, 3, 1)) == 1


def test_cancelling_needs_confirmation_and_ends_it_now_or_at_the_end_of_the_paid_period():
    active = cycle(subscription(), NOW)
    with pytest.raises(ValidationFailed) as unconfirmed:
        canceled(active, CancelMode.IMMEDIATELY, date(2026, 3, 10), LATER, confirm=False)
    assert [(e.field, e.message) for e in unconfirmed.value.errors] == [
        ("confirm", "must be true: the customer will not be charged again")
    ]
    now = canceled(active, CancelMode.IMMEDIATELY_WITH_REFUND, date(2026, 3, 10), LATER, confirm=True)
    assert (now.status, now.ended_on, now.canceled_at, now.updated_at, now.next_payment_on) == (
        SubscriptionStatus.CANCELED,
        date(2026, 3, 10),
        LATER,
        LATER,
        None,
    )
    later = canceled(active, CancelMode.AT_PERIOD_END, date(2026, 3, 10), LATER, confirm=True)
    assert (later.canceled_at, later.updated_at, later.ended_on) == (LATER, LATER, None)
    assert (later.status, later.cancel_at_period_end, later.next_payment_on, later.ends_on) == (
        SubscriptionStatus.ACTIVE,
        True,
        None,
        date(2026, 4, 1),
    )
    never_paid = canceled(subscription(), CancelMode.AT_PERIOD_END, date(2026, 3, 1), LATER, confirm=True)
    assert never_paid.status is SubscriptionStatus.CANCELED  # no paid period to run out
    with pytest.raises(Conflict) as twice:
        canceled(now, CancelMode.IMMEDIATELY, date(2026, 3, 11), LATER, confirm=True)
    assert twice.value.message == "subscription sub_1 is already canceled"


def test_only_a_canceled_or_expired_subscription_is_deleted():
    assert deletion_refusal(subscription()).reasons == [
        "the subscription is active; cancel it first (only canceled or expired ones are deleted)"
    ]
    for status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        assert not deletion_refusal(subscription(status=status))


def test_a_moved_next_payment_date_reanchors_only_the_periods_from_then_on():
    sub = cycle(subscription(), NOW)  # period 0: 1-31 March paid
    moved = replace(sub, anchor_on=date(2026, 4, 15), anchor_period=1)
    assert moved.period(0) == Period(0, date(2026, 3, 1), date(2026, 3, 31))
    assert moved.period(1) == Period(1, date(2026, 4, 15), date(2026, 5, 14))
    assert moved.period(2) == Period(2, date(2026, 5, 15), date(2026, 6, 14))
    assert moved.next_payment_on == date(2026, 4, 15)
    term = replace(moved, payments=3)
    assert term.ends_on == date(2026, 6, 15)


def test_a_periods_invoice_request_carries_the_lines_its_period_and_the_terms_of_the_collection_method():
    from decimal import Decimal

    from billing.domain.pricing import Adjustment, AdjustmentKind, AmountType, LineItem, LineTax, UnitDiscount

    line = LineItem(
        "Hosting",
        Decimal("2"),
        Decimal("29.00"),
        BillingFrequency.MONTHLY,
        discount=UnitDiscount(AmountType.PERCENT, Decimal("10")),
        tax=LineTax("USt", Decimal("19"), False, "tax_1"),
        unit_cost=Decimal("3.5"),
        product_id="prod_1",
    )
    welcome = Adjustment(AdjustmentKind.DISCOUNT, AmountType.AMOUNT, Decimal("5"), "Welcome")
    sub = subscription(lines=(line,), adjustments=(welcome,))
    first = period_invoice(sub, sub.period(0))
    assert first.lines == (line,)  # the lines as they are, priced once by the invoice
    assert first.adjustments == (welcome,)
    assert (first.customer_id, first.currency, first.subscription_id, first.period) == (
        "cus_1",
        "eur",
        "sub_1",
        Period(0, date(2026, 3, 1), date(2026, 3, 31)),
    )
    assert (first.days_until_due, first.address_id) == (0, None)  # AutoPay: due on receipt
    assert first.memo == ""  # no internal id on what the buyer reads; the lines carry the period
    delayed = replace(line, billing_start=BillingStart(BillingStartKind.DELAY_DAYS, days=10))
    assert period_invoice(replace(sub, lines=(delayed,)), sub.period(0)).lines == (line,)  # its start is decided
    autopay_with_days = replace(sub, days_until_due=14)  # payment terms are for invoice mode only
    assert period_invoice(autopay_with_days, sub.period(1)).days_until_due == 0
    assert period_invoice(replace(sub, address_id="adr_2"), sub.period(0)).address_id == "adr_2"
    second = period_invoice(sub, sub.period(1))
    assert second.adjustments == () and second.period.number == 1
    assert second.period.start == date(2026, 4, 1)
    by_invoice = replace(sub, collection_method=CollectionMethod.SEND_INVOICE, days_until_due=14)
    assert period_invoice(by_invoice, sub.period(1)).days_until_due == 14
    assert period_invoice(by_invoice, sub.period(1)).customer_id == "cus_1"
    on_receipt = replace(by_invoice, days_until_due=None)
    assert period_invoice(on_receipt, sub.period(1)).days_until_due == 0


def test_a_new_subscription_is_active_from_today_or_scheduled_for_a_later_start():
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    details = {"frequency": BillingFrequency.MONTHLY, "collection_method": CollectionMethod.SEND_INVOICE}
    today = new_subscription("t", "cus_1", "eur", now, starts_on=date(2026, 3, 1), **details)
    later = new_subscription("t", "cus_1", "eur", now, starts_on=date(2026, 3, 2), **details)
    assert (today.status, later.status) == (SubscriptionStatus.ACTIVE, SubscriptionStatus.SCHEDULED)
    assert (today.tenant_id, today.customer_id, today.currency, today.created_at, today.updated_at) == (
        "t",
        "cus_1",
        "eur",
        now,
        now,
    )
    assert today.id.startswith("sub_") and today.id != later.id
    assert (today.periods_billed, today.payments_made, today.last_paid_period, today.version) == (0, 0, -1, 0)
    assert later.next_payment_on == date(2026, 3, 2)


def test_the_last_payment_of_a_term_expires_it_at_that_moment():
    term = subscription(payments=1)
    done = cycle(term, LATER)
    assert (done.status, done.updated_at, done.ended_on) == (SubscriptionStatus.EXPIRED, LATER, date(2026, 4, 1))


def test_a_subscription_canceled_at_period_end_ends_the_day_after_its_period():
    from billing.domain.subscriptions import ended_at_period_end

    sub = cycle(subscription(), NOW)  # March paid
    ending = canceled(sub, CancelMode.AT_PERIOD_END, date(2026, 3, 10), LATER, confirm=True)
    assert ended_at_period_end(ending, date(2026, 3, 31), LATER) is ending  # the period's last day
    over = ended_at_period_end(ending, date(2026, 4, 1), LATER)
    assert (over.status, over.ended_on, over.updated_at) == (SubscriptionStatus.CANCELED, date(2026, 4, 1), LATER)
    assert ended_at_period_end(sub, date(2026, 5, 1), LATER) is sub  # not canceled: nothing ends


def test_a_period_being_collected_keeps_the_subscription_due_until_its_collection_finished():
    from billing.domain.subscriptions import collected

    sub = subscription()
    invoiced = billed(sub, 0, NOW)
    assert (invoiced.collecting_period, invoiced.next_payment_on, invoiced.due_on) == (
        0,
        date(2026, 4, 1),
        date(2026, 3, 1),  # still due on the period's date: a stopped charge is finished
    )
    done = collected(invoiced, 0, LATER)
    assert (done.collecting_period, done.due_on, done.updated_at) == (None, date(2026, 4, 1), LATER)
    assert collected(done, 0, LATER) is done
    assert paid(invoiced, invoiced.period(0), LATER).collecting_period is None
    assert payment_failed(invoiced, 0, LATER, DunningPolicy()).collecting_period is None
