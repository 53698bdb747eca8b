"""Dunning: the retry schedule of a failed AutoPay charge (default days 1, 3, 5 and 7 after the
failure), no retry of a hard decline, the tenant's final action when the retries run out, and the
overdue reminders of invoice mode; every date worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from billing.domain.subscriptions import (
    CancelMode,
    CollectionMethod,
    Dunning,
    DunningPolicy,
    FinalAction,
    SubscriptionStatus,
    billed,
    canceled,
    dunning_exhausted,
    dunning_over,
    next_dunning_on,
    overdue_reminded,
    paid,
    payment_failed,
    sent_for_payment,
)
from tests.unit.test_subscription_rules import subscription

FAILED_AT = datetime(2026, 3, 1, 2, tzinfo=UTC)  # the run of 1 March declines period 0's charge
DEFAULT = DunningPolicy()
LATE = datetime(2026, 5, 20, 2, tzinfo=UTC)


def on(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)


def first_failure(policy: DunningPolicy = DEFAULT, code: str | None = "insufficient_funds"):
    invoiced = billed(subscription(), 0, FAILED_AT)
    return payment_failed(invoiced, 0, FAILED_AT, policy, payment_id="pay_0", decline_code=code)


def test_a_failed_charge_is_retried_on_days_1_3_5_and_7_then_the_subscription_is_canceled():
    unpaid = first_failure()
    assert unpaid.status is SubscriptionStatus.UNPAID
    assert (unpaid.dunning.period, unpaid.dunning.since, unpaid.dunning.steps) == (0, date(2026, 3, 1), 0)
    assert (unpaid.collecting_period, unpaid.due_on) == (None, date(2026, 4, 1))  # the next period as ever
    assert unpaid.dunning_due.next_on == date(2026, 3, 2)  # and the run retries on day 1
    retried_on = []
    current = unpaid
    for attempt in range(1, 5):
        day = current.dunning.next_on
        retried_on.append(day)
        current = payment_failed(current, 0, on(day), DEFAULT, payment_id=f"pay_{attempt}")
    assert retried_on == [date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 6), date(2026, 3, 8)]
    assert current.status is SubscriptionStatus.CANCELED
    assert (current.ended_on, current.canceled_at, current.dunning.steps) == (date(2026, 3, 8), on(date(2026, 3, 8)), 4)
    assert (current.dunning.next_on, current.dunning_due, current.due_on) == (None, None, None)


def test_keep_unpaid_leaves_the_subscription_unpaid_and_billing_its_next_periods():
    keep = DunningPolicy((2,), FinalAction.KEEP_UNPAID)
    unpaid = first_failure(keep)
    assert unpaid.dunning.next_on == date(2026, 3, 3)
    after = payment_failed(unpaid, 0, on(date(2026, 3, 3)), keep, payment_id="pay_1")
    assert (after.status, after.dunning.next_on) == (SubscriptionStatus.UNPAID, None)
    assert after.due_on == date(2026, 4, 1)  # period 1 is billed on its date as ever


def test_a_hard_decline_is_not_retried_and_the_final_action_waits_for_the_last_retry_day():
    stolen = first_failure(code="stolen_card")
    assert (stolen.dunning.hard, stolen.dunning.next_on) == (True, date(2026, 3, 8))  # no retry before
    soft_then_hard = payment_failed(
        first_failure(), 0, on(date(2026, 3, 2)), DEFAULT, payment_id="p", decline_code="lost_card"
    )
    assert (soft_then_hard.dunning.hard, soft_then_hard.dunning.next_on) == (True, date(2026, 3, 8))
    late_hard = payment_failed(
        replace(first_failure(), dunning=replace(first_failure().dunning, steps=3)),
        0,
        on(date(2026, 3, 8)),
        DEFAULT,
        payment_id="p4",
        decline_code="stolen_card",
    )
    assert late_hard.status is SubscriptionStatus.CANCELED  # its last day is today: ends at once


def test_no_retry_days_end_the_dunning_at_the_first_failure():
    assert first_failure(DunningPolicy(())).status is SubscriptionStatus.CANCELED
    kept = first_failure(DunningPolicy((), FinalAction.KEEP_UNPAID))
    assert (kept.status, kept.dunning.next_on) == (SubscriptionStatus.UNPAID, None)


def test_the_same_failure_reported_twice_counts_once():
    unpaid = first_failure()
    assert payment_failed(unpaid, 0, FAILED_AT, DEFAULT, payment_id="pay_0") is unpaid
    retry = payment_failed(unpaid, 0, on(date(2026, 3, 2)), DEFAULT, payment_id="pay_1")
    assert payment_failed(retry, 0, on(date(2026, 3, 2)), DEFAULT, payment_id="pay_1") is retry
    assert retry.dunning.steps == 1


def test_a_payment_ends_the_dunning_and_makes_it_active():
    unpaid = first_failure()
    settled = paid(unpaid, unpaid.period(0), on(date(2026, 3, 4)))
    assert (settled.status, settled.dunning, settled.payments_made) == (SubscriptionStatus.ACTIVE, None, 1)
    assert settled.due_on == date(2026, 4, 1)
    assert dunning_over(unpaid, FAILED_AT).dunning is None
    assert dunning_over(settled, FAILED_AT) is settled


def test_a_failure_of_a_later_period_starts_its_own_dunning():
    kept = payment_failed(
        first_failure(DunningPolicy((1,), FinalAction.KEEP_UNPAID)),
        0,
        on(date(2026, 3, 2)),
        DunningPolicy((1,), FinalAction.KEEP_UNPAID),
        payment_id="p1",
    )
    next_period = billed(kept, 1, on(date(2026, 4, 1)))
    again = payment_failed(next_period, 1, on(date(2026, 4, 1)), DEFAULT, payment_id="p2")
    assert (again.dunning.period, again.dunning.since, again.dunning.steps, again.dunning.next_on) == (
        1,
        date(2026, 4, 1),
        0,
        date(2026, 4, 2),
    )


def test_invoice_mode_reminds_of_an_overdue_invoice_on_the_days_after_its_due_date():
    sub = subscription(collection_method=CollectionMethod.SEND_INVOICE, days_until_due=14)
    sent = sent_for_payment(billed(sub, 0, FAILED_AT), 0, date(2026, 3, 15), DEFAULT, FAILED_AT)
    assert (sent.status, sent.collecting_period, sent.dunning.next_on) == (
        SubscriptionStatus.ACTIVE,
        None,
        date(2026, 3, 16),
    )
    reminded_on = []
    current = sent
    while current.dunning.next_on:
        reminded_on.append(current.dunning.next_on)
        current = overdue_reminded(current, DEFAULT, on(current.dunning.next_on))
    assert reminded_on == [date(2026, 3, 16), date(2026, 3, 18), date(2026, 3, 20), date(2026, 3, 22)]
    assert current.status is SubscriptionStatus.ACTIVE  # reminders only: no final action in invoice mode
    assert current.due_on == date(2026, 4, 1)


def test_a_subscription_canceled_at_period_end_is_due_the_day_after_its_period():
    running = paid(billed(subscription(), 0, FAILED_AT), subscription().period(0), FAILED_AT)
    ending = canceled(running, CancelMode.AT_PERIOD_END, date(2026, 3, 10), on(date(2026, 3, 10)), confirm=True)
    assert (ending.next_payment_on, ending.due_on) == (None, date(2026, 4, 1))
    assert ending.due_on - timedelta(days=1) == ending.current_period.end


def test_the_policy_comes_from_the_tenant_settings():
    from billing.domain.settings import TenantSettings

    assert DunningPolicy.of(TenantSettings(tenant_id="t")) == DunningPolicy((1, 3, 5, 7), FinalAction.CANCEL)
    chosen = TenantSettings(tenant_id="t", dunning_retry_days=(2, 9), dunning_final_action="keep_unpaid")
    assert DunningPolicy.of(chosen) == DunningPolicy((2, 9), FinalAction.KEEP_UNPAID)


def test_the_end_of_a_dunning_is_dated_and_leaves_nothing_to_try():
    later = on(date(2026, 3, 8))
    ending = replace(first_failure(), dunning=replace(first_failure().dunning, next_on=date(2026, 3, 8)))
    canceled_now = dunning_exhausted(ending, DEFAULT, later)
    assert (canceled_now.updated_at, canceled_now.dunning.next_on, canceled_now.dunning.period) == (later, None, 0)
    kept = dunning_exhausted(ending, DunningPolicy((1,), FinalAction.KEEP_UNPAID), later)
    assert (kept.status, kept.updated_at, kept.dunning.next_on, kept.dunning.steps) == (
        SubscriptionStatus.UNPAID,
        later,
        None,
        0,
    )
    bare = dunning_exhausted(subscription(), DEFAULT, later)  # no dunning record: canceled all the same
    assert (bare.status, bare.dunning) == (SubscriptionStatus.CANCELED, None)
    gone = replace(subscription(), status=SubscriptionStatus.CANCELED)
    assert dunning_exhausted(gone, DEFAULT, later).status is SubscriptionStatus.CANCELED
    assert next_dunning_on(Dunning(0, date(2026, 3, 1), hard=True), DunningPolicy(()), date(2026, 3, 1)) is None


def test_a_payment_ends_only_the_dunning_of_its_period_or_an_earlier_one():
    dunned = replace(subscription(periods_billed=3), dunning=Dunning(2, date(2026, 5, 1), next_on=date(2026, 5, 2)))
    earlier = paid(dunned, dunned.period(1), LATE)
    assert (earlier.dunning, earlier.updated_at) == (dunned.dunning, LATE)
    assert paid(dunned, dunned.period(2), LATE).dunning is None
    assert paid(dunned, dunned.period(3), LATE).dunning is None
    over = dunning_over(dunned, LATE)
    assert (over.dunning, over.updated_at) == (None, LATE)


def test_an_invoice_sent_is_watched_from_its_due_date():
    sub = subscription(collection_method=CollectionMethod.SEND_INVOICE, periods_billed=1, collecting_period=0)
    sent = sent_for_payment(sub, 0, date(2026, 3, 15), DEFAULT, LATE)
    assert sent.dunning == Dunning(period=0, since=date(2026, 3, 15), steps=0, next_on=date(2026, 3, 16))
    assert (sent.updated_at, sent.collecting_period) == (LATE, None)
    reminded = overdue_reminded(sent, DEFAULT, LATE)
    assert (reminded.dunning.steps, reminded.dunning.next_on, reminded.updated_at) == (1, date(2026, 3, 18), LATE)
    assert overdue_reminded(subscription(), DEFAULT, LATE) == subscription()
