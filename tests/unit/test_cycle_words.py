"""Billing one period as the customer's timeline and the run's record tell it: a scheduled
subscription's start, the end of a term canceled at its period's end, a fixed term's last payment,
an invoice sent (and its overdue reminders scheduled from its due date), a debit still being
collected, a batch whose numbering was raced, and a run cut short after the charge."""

from __future__ import annotations

from datetime import date

import pytest

from billing.adapters.dynamodb.errors import Unavailable
from billing.domain.billing_runs import BillingWork, Outcome, WorkKind, run_id
from billing.domain.invoices import InvoiceStatus
from billing.domain.subscriptions import SubscriptionStatus
from tests.unit.fakes import DebitStripe
from tests.unit.wiring import ADMIN, HOSTED, MONTHLY, TENANT, Billow

APRIL_1 = date(2026, 4, 1)


@pytest.fixture
def billow() -> Billow:
    return Billow()


def subscription_lines(billow: Billow) -> list[tuple[str, str, str]]:
    """The subscription entries of the customer's timeline: (type, actor, summary)."""
    events = billow.customers.events[(TENANT, billow.customer_id)]
    return [(e.type, e.actor, e.summary) for e in events if e.type.startswith("subscription.")]


def counts(run) -> dict[str, int]:
    names = ("due", "invoiced", "charged", "sent", "failed", "skipped", "activated", "canceled", "expired")
    return {name: getattr(run, name) for name in names if getattr(run, name)}


def work_on(billow: Billow, day: date, subscription_id: str, hour: int = 2) -> list[Outcome]:
    """The run of ``day`` handed the subscription's billing at ``hour`` (as a worker is, or a retry)."""
    billow.on(day, hour)
    item = BillingWork(WorkKind.BILL, subscription_id)
    (outcomes,) = billow.billing_runs.work(TENANT, run_id(day), day, [item], HOSTED)
    return outcomes


# ---------------------------------------------------------------- the start and the end


def test_a_scheduled_subscription_starts_billing_on_its_day_and_the_timeline_says_so_by_billow(billow):
    subscription = billow.subscribe({**MONTHLY, "billing_start": {"type": "delay_days", "days": 20}})

    run = billow.night(date(2026, 3, 21))

    assert counts(run) == {"due": 1, "invoiced": 1, "charged": 1, "activated": 1}
    started = billow.subscription(subscription.id)
    assert started.status is SubscriptionStatus.ACTIVE and started.updated_at.date() == date(2026, 3, 21)
    assert subscription_lines(billow)[-2:] == [
        ("subscription.activated", "billow", "Billing started"),
        ("subscription.period_paid", "billow", "Period 1 paid"),
    ]


def test_a_subscription_canceled_at_its_periods_end_ends_that_night_and_is_not_billed_again(billow):
    subscription = billow.subscribe()
    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "at_period_end", confirm=True)
    charges = len(billow.stripe.charges)

    run = billow.night(APRIL_1)

    assert counts(run) == {"due": 1, "canceled": 1}
    ended = billow.subscription(subscription.id)
    assert (ended.status, ended.ended_on, ended.updated_at.date()) == (SubscriptionStatus.CANCELED, APRIL_1, APRIL_1)
    assert subscription_lines(billow)[-1] == (
        "subscription.ended",
        "billow",
        "Canceled at the end of its period (2026-04-01)",
    )
    assert len(billow.invoices_of(subscription.id)) == 1 and len(billow.stripe.charges) == charges
    assert billow.night(date(2026, 5, 1)).due == 0


@pytest.mark.parametrize(("payments", "expired"), [(2, True), (3, False)])
def test_a_fixed_term_expires_with_its_last_payment_and_not_before(billow, payments, expired):
    subscription = billow.subscribe({**MONTHLY, "payments": payments})

    run = billow.night(APRIL_1)

    assert counts(run) == {"due": 1, "invoiced": 1, "charged": 1} | ({"expired": 1} if expired else {})
    status = billow.subscription(subscription.id).status
    assert status is (SubscriptionStatus.EXPIRED if expired else SubscriptionStatus.ACTIVE)


# ---------------------------------------------------------------- invoice mode


def test_an_invoice_sent_is_counted_sent_links_to_its_page_and_schedules_its_overdue_reminders(billow):
    subscription = billow.subscribe(collection_method="send_invoice", days_until_due=7)

    run = billow.night(APRIL_1)

    assert (run.invoiced, run.sent, run.charged, run.failed) == (1, 1, 0, 0)
    renewal = billow.invoices_of(subscription.id)[1]
    (email,) = [m for m in billow.mailer.sent if m["subject"] == f"Invoice {renewal.number} from Billow Demo GmbH"]
    assert f"View and pay online: {HOSTED}/i/{renewal.hosted_token}" in email["text"]
    dunning = billow.subscription(subscription.id).dunning
    assert (dunning.period, dunning.since, dunning.next_on) == (1, date(2026, 4, 8), date(2026, 4, 9))

    overdue = billow.night(date(2026, 4, 9))

    assert overdue.reminders == 1
    assert billow.mailer.sent[-1]["subject"] == f"Overdue: invoice {renewal.number}"
    assert f"{HOSTED}/i/{renewal.hosted_token}" in billow.mailer.sent[-1]["text"]


def test_an_invoice_the_mail_service_refused_fails_its_item_and_is_sent_by_the_retry_not_invoiced_twice(billow):
    subscription = billow.subscribe(collection_method="send_invoice", days_until_due=45)
    billow.mailer.refuse = "INV-000002"

    run = billow.night(APRIL_1)

    assert (run.invoiced, run.sent, run.failed) == (0, 0, 1)
    assert run.last_error == f"{subscription.id}: the email could not be sent (RuntimeError); try again"
    assert billow.invoices_of(subscription.id)[1].last_sent_at is None
    assert billow.subscription(subscription.id).dunning.period == 0  # the first's: none for an invoice never sent
    billow.mailer.refuse = None

    assert work_on(billow, APRIL_1, subscription.id, hour=3) == [Outcome.INVOICED, Outcome.SENT]
    assert [i.subscription_period for i in billow.invoices_of(subscription.id)] == [0, 1]
    dunning = billow.subscription(subscription.id).dunning
    assert (dunning.period, dunning.since) == (1, date(2026, 5, 16))


# ---------------------------------------------------------------- a declined renewal


def test_a_declined_renewal_asks_the_buyer_for_a_new_method_by_a_link_to_billows_page(billow):
    subscription = billow.subscribe()
    billow.stripe.decline = "insufficient_funds"

    billow.night(APRIL_1)

    unpaid = billow.subscription(subscription.id)
    assert (unpaid.status, unpaid.dunning.period) == (SubscriptionStatus.UNPAID, 1)
    assert unpaid.dunning.failed_payment_id is not None
    (email,) = [m for m in billow.mailer.sent if m["subject"].startswith("Update the payment method")]
    assert f"\n{HOSTED}/s/" in email["text"]


# ---------------------------------------------------------------- collecting and retrying


def test_a_debit_still_being_collected_is_not_billed_again_by_a_later_run():
    billow = Billow(DebitStripe())
    subscription = billow.subscribe()  # its first debit is pending
    assert billow.subscription(subscription.id).collecting_period == 0

    outcomes = work_on(billow, date(2026, 3, 5), subscription.id)

    assert outcomes == [Outcome.INVOICED]
    assert [i.subscription_period for i in billow.invoices_of(subscription.id)] == [0]
    after = billow.subscription(subscription.id)
    assert (after.periods_billed, after.collecting_period) == (1, 0)


def test_a_run_cut_short_after_the_charge_counts_the_period_on_its_retry_without_charging_again(billow, monkeypatch):
    subscription = billow.subscribe()
    save = billow.subscriptions.save
    failures = []

    def throttled_once(record, event=None):
        if record.payments_made == 2 and not failures:
            failures.append(record.id)
            raise Unavailable("the table is throttled")
        return save(record, event)

    monkeypatch.setattr(billow.subscriptions, "save", throttled_once)
    run = billow.night(APRIL_1)
    assert (run.charged, run.failed, run.last_error) == (0, 1, f"{subscription.id}: the table is throttled")
    assert billow.subscription(subscription.id).payments_made == 1
    charges = len(billow.stripe.charges)

    outcomes = work_on(billow, APRIL_1, subscription.id, hour=3)

    assert outcomes == [Outcome.INVOICED, Outcome.CHARGED]
    after = billow.subscription(subscription.id)
    assert (after.payments_made, after.last_payment_on, after.collecting_period) == (2, APRIL_1, None)
    assert len(billow.stripe.charges) == charges
    assert subscription_lines(billow)[-1] == ("subscription.period_paid", "billow", "Period 2 paid")


def test_a_batch_whose_numbering_was_raced_numbers_each_invoice_alone_without_gaps(billow):
    subscriptions = [billow.subscribe() for _ in range(3)]
    billow.on(APRIL_1)
    cycle = billow.subscription_cases.billing.cycle
    batch = [cycle.prepare_due_billing(ADMIN, s.id, APRIL_1, HOSTED) for s in subscriptions]
    billow.invoices.meanwhile(lambda: billow.invoicing.lifecycle.finalize(ADMIN, batch[1].draft.id))

    cycle.number_invoices(ADMIN, batch)
    outcomes = [cycle.complete_due_billing(ADMIN, due, HOSTED) for due in batch]

    assert outcomes == [[Outcome.INVOICED, Outcome.CHARGED]] * 3
    renewals = [billow.invoices_of(s.id)[1] for s in subscriptions]
    assert [i.number for i in renewals] == ["INV-000005", "INV-000004", "INV-000006"]
    assert all(i.status is InvoiceStatus.PAID for i in renewals)
