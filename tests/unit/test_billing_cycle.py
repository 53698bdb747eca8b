"""The subscriptions' billing cycle end to end over the in-memory repositories (tests/unit/fakes.py):
the nightly run and its worker, dunning, reminders, the test clock, debits that settle later,
cancellation with a refund and the buyer's payment-method link. Each test pins one rule the
services keep across a refactor of how they are put together."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from billing.adapters.dynamodb.keys import DUE_SHARDS
from billing.domain.billing_runs import BillingWork, Outcome, WorkKind, run_id
from billing.domain.errors import NotFound
from billing.domain.invoices import InvoiceStatus
from billing.domain.payments import PaymentStatus
from billing.domain.subscriptions import SubscriptionStatus
from tests.unit.fakes import DebitStripe, IdempotentStripe
from tests.unit.wiring import ADMIN, BILLING_EMAIL, HOSTED, MONTHLY, SANDBOX, TENANT, Billow

APRIL_1 = date(2026, 4, 1)
WORKER = Path(__file__).resolve().parents[2] / "functions" / "billing_run" / "worker.py"


def starting_in(days: int) -> dict:
    return {**MONTHLY, "billing_start": {"type": "delay_days", "days": days}}


def every_shard(index, on_or_before: date) -> list[str]:
    """What one of the billing run's indexes holds for the tenant up to a day, all shards together."""
    return [s for shard in range(DUE_SHARDS) for s in index(TENANT, shard, on_or_before)]


# ---------------------------------------------------------------- the night's write


def test_a_cancellation_after_the_night_read_the_subscription_is_not_overwritten_and_it_is_not_billed():
    """The night moves a subscription on to its next period in the write that adds the period's
    invoice, over the version it read. A cancellation saved after that read wins: the night's
    write is refused, no invoice is written and nothing is charged, the subscription stays
    canceled, and the work delivered again finds nothing to bill."""
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(APRIL_1)
    billow.subscriptions.after_next_read(
        lambda: billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately", confirm=True)
    )
    run = billow.billing_runs.start(ADMIN, APRIL_1, HOSTED)

    after = billow.subscription(subscription.id)
    assert (after.status, after.periods_billed, after.collecting_period) == (SubscriptionStatus.CANCELED, 1, None)
    assert [i.subscription_period for i in billow.invoices_of(subscription.id)] == [0]
    assert list(billow.stripe.charges) == ["pi_1"]  # the first period's, at creation
    assert (run.due, run.invoiced, run.charged, run.failed) == (1, 0, 0, 1)
    again = billow.billing_runs.work(TENANT, run.id, APRIL_1, [BillingWork(WorkKind.BILL, after.id)], HOSTED)
    assert again == [[Outcome.SKIPPED]]
    assert billow.subscription(subscription.id) == after
    assert [i.subscription_period for i in billow.invoices_of(subscription.id)] == [0]


# ---------------------------------------------------------------- numbering a batch


def test_the_run_numbers_its_drafts_together_in_one_transaction_not_one_per_draft():
    """A batch of the run writes each due period's invoice as a draft, then numbers all of them
    in one transaction with the counter, in the batch's order; then each is charged."""
    billow = Billow()
    subscriptions = [billow.subscribe() for _ in range(4)]
    created = len(billow.invoices.finalizations)  # each first period was numbered as it was created

    run = billow.night(APRIL_1)

    assert (run.due, run.invoiced, run.charged) == (4, 4, 4)
    assert [len(batch) for batch in billow.invoices.finalizations[created:]] == [4]
    batch = billow.invoices.finalizations[-1]
    renewals = [billow.invoices_of(s.id)[1] for s in subscriptions]
    assert sorted(batch) == sorted(i.id for i in renewals)
    numbered = [billow.invoices.get(TENANT, invoice_id) for invoice_id in batch]
    assert [i.sequence for i in numbered] == [5, 6, 7, 8]  # one block, in the batch's order
    assert all(i.status is InvoiceStatus.PAID for i in numbered)


def load_worker(monkeypatch, billow: Billow):
    """functions/billing_run/worker.py, its services those of ``billow``."""
    spec = importlib.util.spec_from_file_location("billing_run_worker_under_test", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "billing_run_service", lambda: billow.billing_runs)
    return module


@dataclass
class Context:
    function_name: str = "BillingRunWorker"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-central-1:000000000000:function:BillingRunWorker"
    aws_request_id: str = "request-1"


def test_a_queue_batch_is_numbered_in_one_transaction_by_the_worker(monkeypatch):
    """On AWS the planner queues the work and the worker bills a queue batch together: its
    drafts take their numbers in one transaction, however many there are."""
    billow = Billow(queued=True)
    for _ in range(3):
        billow.subscribe()
    created = len(billow.invoices.finalizations)
    billow.night(APRIL_1)
    assert len(billow.queue.messages) == 3

    answer = load_worker(monkeypatch, billow).lambda_handler(billow.queue.sqs_event(), Context())

    assert answer == {"batchItemFailures": []}
    assert [len(batch) for batch in billow.invoices.finalizations[created:]] == [3]
    record = billow.runs.get(TENANT, run_id(APRIL_1))
    assert (record.due, record.invoiced, record.charged) == (3, 3, 3)


# ---------------------------------------------------------------- the worker's answer


def test_the_worker_reports_a_declined_charge_as_handled_not_as_a_failed_message(monkeypatch):
    """A declined renewal is billed work (the subscription is unpaid and dunning takes over): its
    message is not named in the batch's failures, so SQS does not deliver it again, any more than
    an invoice sent. Only work that could not be done at all (here: a subscription that does not
    exist) comes back."""
    billow = Billow(queued=True)
    autopay = billow.subscribe()
    invoiced = billow.subscribe(collection_method="send_invoice")
    billow.stripe.decline = "insufficient_funds"
    billow.night(APRIL_1)
    event = billow.queue.sqs_event()
    declined = next(r for r in event["Records"] if autopay.id in r["body"])
    lost = {**declined, "messageId": "m-lost", "body": declined["body"].replace(autopay.id, "sub_" + "0" * 26)}
    event["Records"].append(lost)

    answer = load_worker(monkeypatch, billow).lambda_handler(event, Context())

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-lost"}]}
    unpaid = billow.subscription(autopay.id)
    assert unpaid.status is SubscriptionStatus.UNPAID and unpaid.dunning.next_on == date(2026, 4, 2)
    assert billow.invoices_of(invoiced.id)[1].last_sent_at is not None
    record = billow.runs.get(TENANT, run_id(APRIL_1))
    assert (record.invoiced, record.charged, record.sent, record.failed) == (2, 0, 1, 2)  # the decline, the lost one


# ---------------------------------------------------------------- dunning


def test_a_voided_invoice_leaves_dunning_and_is_not_retried_on_the_retry_days():
    """A declined renewal is retried on the tenant's days (1, 3, 5, 7 after the decline) while its
    invoice is open. Voided meanwhile, it is not charged again: its next retry day takes the
    subscription out of dunning (and out of the dunning index) without a charge, and the later
    retry days do nothing."""
    billow = Billow()
    subscription = billow.subscribe()
    billow.stripe.decline = "insufficient_funds"
    billow.night(APRIL_1)
    renewal = billow.invoices_of(subscription.id)[1]
    assert billow.subscription(subscription.id).dunning.next_on == date(2026, 4, 2)
    billow.stripe.decline = None
    billow.invoicing.lifecycle.void(ADMIN, renewal.id)
    attempts = len(billow.payments.payments)

    retry_day = billow.night(date(2026, 4, 2))

    assert (retry_day.due, retry_day.skipped, retry_day.retried, retry_day.failed) == (1, 1, 0, 0)
    assert billow.subscription(subscription.id).dunning is None
    assert every_shard(billow.runs.dunning, date(2026, 12, 31)) == []
    for later in (date(2026, 4, 4), date(2026, 4, 6), date(2026, 4, 8)):
        assert billow.night(later).due == 0
    assert len(billow.payments.payments) == attempts  # no charge was tried for the void invoice
    assert billow.invoices.get(TENANT, renewal.id).status is InvoiceStatus.VOID


# ---------------------------------------------------------------- reminders


def reminders(billow: Billow) -> list[dict]:
    return [m for m in billow.mailer.sent if m["subject"].startswith(("Your next payment", "Ihre nächste Zahlung"))]


def test_a_scheduled_subscription_gets_a_payment_reminder_before_its_first_payment():
    """The reminder of a payment goes out reminder_days (14) before it, once per period, also for
    a subscription whose billing has not started yet (its first payment)."""
    billow = Billow()
    subscription = billow.subscribe(starting_in(20))  # its first payment on 21 March
    assert subscription.status is SubscriptionStatus.SCHEDULED

    run = billow.night(date(2026, 3, 7))

    assert (run.due, run.reminders, run.skipped, run.failed) == (0, 1, 0, 0)
    (reminder,) = reminders(billow)
    assert reminder["to"] == [BILLING_EMAIL]
    assert reminder["subject"] == "Your next payment to Billow Demo GmbH on Mar 21, 2026"
    assert (
        "charged to your payment method on file on Mar 21, 2026, for Mar 21, 2026 to Apr 20, 2026" in reminder["text"]
    )
    assert billow.night(date(2026, 3, 7)).reminders == 1  # the same day again: not a second reminder
    assert len(reminders(billow)) == 1


def test_an_email_writes_amounts_as_the_tenants_locale_does_as_its_pdf_does():
    """One money formatter: an email states an amount as the tenant's locale writes it, the way
    the PDF and the hosted page do (German: 29,00 €), not in a format of its own."""
    from billing.formatting import Formatter

    billow = Billow()
    billow.change_settings(locale="de_DE")
    billow.subscribe(starting_in(20))
    billow.night(date(2026, 3, 7))
    (reminder,) = reminders(billow)
    assert Formatter("de_DE", "eur").money(2900) == "29,00\xa0€"
    assert "Abonnements über 29,00\xa0€" in reminder["text"]


def test_the_payment_reminder_of_a_subscription_started_later_states_what_the_payment_is():
    """The reminder names the amount the payment will be: the period's total (€29.00)."""
    billow = Billow()
    billow.subscribe(starting_in(20))
    billow.night(date(2026, 3, 7))
    (reminder,) = reminders(billow)
    assert "subscription, €29.00," in reminder["text"]


def test_a_subscription_started_on_a_chosen_date_gets_the_reminders_of_its_renewals():
    """Every payment is reminded of, the renewals' too, however the subscription's start was given."""
    billow = Billow()
    billow.subscribe({**MONTHLY, "billing_start": {"type": "custom_date", "date": date(2026, 3, 21)}})
    billow.night(date(2026, 3, 7))
    billow.night(date(2026, 3, 21))  # the first payment
    run = billow.night(date(2026, 4, 7))  # 14 days before the second
    assert (run.reminders, run.failed) == (1, 0)
    assert "subscription, €29.00," in reminders(billow)[-1]["text"]


# ---------------------------------------------------------------- the test clock


def test_an_advance_of_the_test_clock_that_fails_on_its_fourth_day_keeps_the_days_before_it(monkeypatch):
    """An advance saves the tenant's day after each day it ran: cut short on its fourth day (the
    third with work), the clock stands on the last day that finished, that day's billing stands,
    and the next advance continues from there without billing anything twice."""
    billow = Billow()
    billow.change_settings(reminders_enabled=False)
    subscriptions = [billow.subscribe(starting_in(days)) for days in (1, 2, 3)]  # 2, 3 and 4 March
    started = billow.runs.started

    def broken_on_the_4th(tenant_id, rid, run_date, now):
        if run_date == date(2026, 3, 4):
            raise RuntimeError("the function timed out")
        started(tenant_id, rid, run_date, now)

    monkeypatch.setattr(billow.runs, "started", broken_on_the_4th)
    with pytest.raises(RuntimeError):
        billow.test_clock.advance(SANDBOX, date(2026, 3, 5), HOSTED)

    assert billow.clocks.today_of(TENANT) == date(2026, 3, 3)
    assert billow.clocks.moves == [date(2026, 3, 2), date(2026, 3, 3)]
    assert [billow.subscription(s.id).periods_billed for s in subscriptions] == [1, 1, 0]
    monkeypatch.setattr(billow.runs, "started", started)
    answer = billow.test_clock.advance(SANDBOX, date(2026, 3, 5), HOSTED)
    assert answer.days_run == (date(2026, 3, 4),)
    assert [billow.subscription(s.id).periods_billed for s in subscriptions] == [1, 1, 1]
    assert len(billow.stripe.charges) == 3


# ---------------------------------------------------------------- debits that settle later


def settled(billow: Billow, payment_id: str, on: datetime) -> None:
    """The bank settles the debit and Stripe says so (its webhook makes Billow sync the payment)."""
    billow.clock.current = on
    payment = billow.payments.get(TENANT, payment_id)
    billow.stripe.settle(payment.processor_payment_id)
    billow.payment_service.sync(TENANT, IdempotentStripe.ACCOUNT, payment.processor_payment_id)


def test_a_renewal_paid_by_a_debit_that_settles_later_is_counted_when_it_settles_not_the_next_night():
    """A SEPA debit is pending for days. The night that bills the period invoices it and leaves it
    being collected; the day the bank settles it, its invoice is paid and the subscription counts
    the period paid on that day, so the next night has nothing of it left to do."""
    billow = Billow(DebitStripe())
    subscription = billow.subscribe()
    settled(billow, subscription.first_payment_id, datetime(2026, 3, 4, 10, tzinfo=UTC))
    assert billow.subscription(subscription.id).payments_made == 1

    run = billow.night(APRIL_1)
    assert (run.invoiced, run.charged) == (1, 0)
    renewal = billow.invoices_of(subscription.id)[1]
    (debit,) = [p for p in billow.payments.payments.values() if p.invoice_id == renewal.id]
    assert debit.status is PaymentStatus.PENDING
    assert billow.subscription(subscription.id).collecting_period == 1

    settled(billow, debit.id, datetime(2026, 4, 4, 10, tzinfo=UTC))

    after = billow.subscription(subscription.id)
    assert (after.payments_made, after.last_payment_on, after.collecting_period) == (2, date(2026, 4, 4), None)
    assert after.status is SubscriptionStatus.ACTIVE
    assert billow.invoices.get(TENANT, renewal.id).status is InvoiceStatus.PAID
    assert billow.night(date(2026, 4, 5)).due == 0
    assert billow.subscription(subscription.id).payments_made == 2


# ---------------------------------------------------------------- cancellation with a refund


def test_canceling_with_a_refund_on_the_periods_last_day_asks_for_no_refund_and_still_cancels_and_emails():
    """On its period's last day no day of the period is left unused: the refund comes to 0, and
    Stripe is asked for no refund of 0. The cancellation is saved and the buyer is told."""
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 31), hour=18)

    canceled = billow.subscription_cases.cancellation.cancel(
        ADMIN, subscription.id, "immediately_with_refund", confirm=True
    ).subscription

    assert canceled.status is SubscriptionStatus.CANCELED
    assert billow.subscription(subscription.id).status is SubscriptionStatus.CANCELED
    assert not [key for key in billow.stripe.keys if key.startswith("billow-refund")]
    assert billow.stripe.charges["pi_1"]["amount_refunded"] == 0
    (payment,) = billow.payments.payments.values()
    assert (payment.status, payment.refund_claim, payment.amount_refunded) == (PaymentStatus.SUCCEEDED, None, 0)
    (email,) = [m for m in billow.mailer.sent if m["subject"].endswith("is canceled")]
    assert email["to"] == [BILLING_EMAIL]
    assert "canceled as of today" in email["text"] and "refunded" not in email["text"]


def test_canceling_with_a_refund_the_day_before_the_periods_last_refunds_the_one_day_left():
    """The contrast: a day before the last, one of March's 31 days is unused (29.00 / 31 = 0.94)."""
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 30), hour=18)
    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, "immediately_with_refund", confirm=True)
    assert billow.stripe.charges["pi_1"]["amount_refunded"] == 94


# ---------------------------------------------------------------- the payment-method link


def test_a_payment_method_link_opens_its_page_until_it_expires_and_not_after():
    """The link emailed to the buyer opens the page where they save a new payment method for
    seven days; from the moment it expires it opens nothing (though its record may still be
    there: the store deletes expired links only some time later)."""
    billow = Billow()
    subscription = billow.subscribe()
    link = billow.subscription_cases.payment_methods.links.payment_method_link(ADMIN, subscription.id, HOSTED)
    token = link.url.rsplit("/", 1)[1]
    assert (
        timedelta(0) < link.expires_at - timedelta(days=7) - datetime(2026, 3, 1, 2, tzinfo=UTC) < timedelta(minutes=1)
    )
    assert [m["to"] for m in billow.mailer.sent if "payment method" in m["subject"]] == [[BILLING_EMAIL]]

    assert billow.subscription_cases.payment_methods.page.method_page(token, None).method.last4 == "4242"
    billow.clock.current = link.expires_at - timedelta(seconds=2)  # the page reads the clock one second on
    assert billow.subscription_cases.payment_methods.page.method_page(token, None).next_payment_on == date(2026, 4, 1)

    billow.clock.current = link.expires_at - timedelta(seconds=1)
    assert billow.subscriptions.by_link(token) is not None
    with pytest.raises(NotFound):
        billow.subscription_cases.payment_methods.page.method_page(token, None)
    with pytest.raises(NotFound):
        billow.subscription_cases.payment_methods.setup.start_method_setup(token, HOSTED)
