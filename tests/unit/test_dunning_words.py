"""Dunning as the tenant's people see it: the timeline's words for a hard decline and for the end
of its dunning, who is emailed when the retries run out (the buyer once, the admins once and only
when the tenant wants it), what each retry day counts on the run's record, and the overdue
reminder of an unpaid invoice, its words and its once-per-step rule, also when a payment or a
stopped worker lands in the middle."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing.domain.invoices import InvoiceStatus
from billing.domain.orders import PaymentEntry
from billing.domain.subscriptions import SubscriptionStatus
from tests.unit.fakes import DebitStripe, IdempotentStripe
from tests.unit.test_billing_cycle import settled
from tests.unit.wiring import ADMIN, BILLING_EMAIL, HOSTED, TENANT, Billow

APRIL_1 = date(2026, 4, 1)
LAST_RETRY_DAY = date(2026, 4, 8)  # day 7 of the default retry days (1, 3, 5, 7)
OPS = "ops@billow.test"
CANCELED_NOTICE = "canceled after its payment failed"


def declined(code: str = "insufficient_funds", **settings) -> tuple[Billow, str]:
    """A tenant (its admins at OPS) whose buyer's renewal of 1 April is declined with ``code``; the
    decline's code reaches Billow with the decline (as Stripe reports it)."""
    billow = Billow(IdempotentStripe(decline_state=False))
    billow.change_settings(**{"admin_notification_emails": (OPS,), **settings})
    subscription = billow.subscribe()
    billow.stripe.decline = code
    billow.night(APRIL_1)
    return billow, subscription.id


def timeline_since(billow: Billow, start: int) -> list[tuple[str, str]]:
    return [(e.type, e.summary) for e in billow.subscriptions.events[start:]]


def notices(billow: Billow) -> list[dict]:
    """The admins' notes that a subscription was canceled."""
    return [m for m in billow.mailer.sent if CANCELED_NOTICE in m["subject"]]


def asked_for_new_method(billow: Billow) -> list[dict]:
    return [m for m in billow.mailer.sent if m["subject"].startswith("Update the payment method")]


def run_counts(run) -> dict[str, int]:
    names = ("due", "retried", "charged", "failed", "canceled", "skipped", "reminders")
    return {name: getattr(run, name) for name in names if getattr(run, name)}


def record_full_payment(billow: Billow, invoice_id: str) -> None:
    """The bookkeeper records the invoice's payment by hand."""
    due = billow.invoices.get(TENANT, invoice_id).amount_due
    billow.invoicing.collection.record_payment(ADMIN, invoice_id, PaymentEntry(amount=due, method="bank_transfer"))


def paid_meanwhile(billow: Billow, invoice_id: str) -> None:
    """The invoice is paid in full, and its period counted as paid, by another request that lands
    in the middle of the next subscription write."""

    def pay() -> None:
        record_full_payment(billow, invoice_id)
        billow.subscription_cases.billing.outcomes.invoice_paid(billow.invoices.get(TENANT, invoice_id))

    billow.subscriptions.meanwhile(pay)


# ---------------------------------------------------------------- a hard decline


def test_a_hard_decline_is_not_retried_and_its_last_retry_day_cancels_and_tells_the_admins():
    billow, subscription_id = declined("stolen_card")
    charges = len(billow.stripe.keys)
    assert billow.subscriptions.events[-1].summary == (
        "The payment of the current period failed; the buyer is asked to update the payment method "
        "(declined: stolen_card; not retried)"
    )
    for quiet in (date(2026, 4, 2), date(2026, 4, 4), date(2026, 4, 6)):
        assert billow.night(quiet).due == 0
    entries = len(billow.subscriptions.events)

    last_day = billow.night(LAST_RETRY_DAY)

    assert run_counts(last_day) == {"due": 1, "canceled": 1}
    assert len(billow.stripe.keys) == charges  # the stolen card was never charged again
    assert timeline_since(billow, entries) == [
        (
            "subscription.dunning_ended",
            "The failed payment was not retried (a hard decline) and no new method came: canceled",
        )
    ]
    assert billow.subscription(subscription_id).status is SubscriptionStatus.CANCELED
    (notice,) = notices(billow)
    customer_id = billow.subscription(subscription_id).customer_id
    assert notice["to"] == [OPS]
    assert notice["subject"] == f"Subscription {subscription_id} canceled after its payment failed"
    assert notice["text"] == (
        f"Subscription {subscription_id} canceled after its payment failed.\n"
        f"Customer: {customer_id}\nSubscription: {subscription_id}\n"
    )


def test_with_keep_unpaid_the_last_day_of_a_hard_decline_leaves_it_unpaid_and_the_admins_unbothered():
    billow, subscription_id = declined("lost_card", dunning_final_action="keep_unpaid")
    entries = len(billow.subscriptions.events)

    last_day = billow.night(LAST_RETRY_DAY)

    assert run_counts(last_day) == {"due": 1, "skipped": 1}
    assert timeline_since(billow, entries) == [
        (
            "subscription.dunning_ended",
            "The failed payment was not retried (a hard decline) and no new method came: it stays unpaid",
        )
    ]
    subscription = billow.subscription(subscription_id)
    assert (subscription.status, subscription.dunning.next_on) == (SubscriptionStatus.UNPAID, None)
    assert notices(billow) == []


def test_a_payment_landing_as_the_hard_declines_last_day_ends_it_leaves_the_subscription_running():
    billow, subscription_id = declined("stolen_card")
    renewal = billow.invoices_of(subscription_id)[1]
    paid_meanwhile(billow, renewal.id)
    entries = len(billow.subscriptions.events)

    last_day = billow.night(LAST_RETRY_DAY)

    assert run_counts(last_day) == {"due": 1, "skipped": 1}
    subscription = billow.subscription(subscription_id)
    assert (subscription.status, subscription.dunning) == (SubscriptionStatus.ACTIVE, None)
    assert "subscription.dunning_ended" not in [t for t, _ in timeline_since(billow, entries)]
    assert notices(billow) == []


# ---------------------------------------------------------------- the retries and their end


def test_a_retry_that_goes_through_charges_the_card_again_and_ends_the_dunning():
    billow, subscription_id = declined()
    billow.stripe.decline = None

    retry_day = billow.night(date(2026, 4, 2))

    assert run_counts(retry_day) == {"due": 1, "retried": 1, "charged": 1}
    subscription = billow.subscription(subscription_id)
    assert (subscription.status, subscription.dunning) == (SubscriptionStatus.ACTIVE, None)
    assert billow.invoices_of(subscription_id)[1].status is InvoiceStatus.PAID
    assert len(asked_for_new_method(billow)) == 1  # asked when it turned unpaid, not again


def test_a_retry_by_a_debit_still_processing_counts_as_retried_not_charged_until_the_bank_settles():
    billow = Billow(DebitStripe())
    subscription = billow.subscribe()
    settled(billow, subscription.first_payment_id, datetime(2026, 3, 4, 10, tzinfo=UTC))
    billow.stripe.decline = "insufficient_funds"
    billow.night(APRIL_1)
    billow.stripe.decline = None

    retry_day = billow.night(date(2026, 4, 2))

    assert run_counts(retry_day) == {"due": 1, "retried": 1}
    renewal = billow.invoices_of(subscription.id)[1]
    assert renewal.status is InvoiceStatus.OPEN
    (debit,) = [
        p for p in billow.payments.payments.values() if p.invoice_id == renewal.id and p.status.value == "pending"
    ]
    settled(billow, debit.id, datetime(2026, 4, 3, 10, tzinfo=UTC))
    assert billow.invoices.get(TENANT, renewal.id).status is InvoiceStatus.PAID
    assert billow.subscription(subscription.id).status is SubscriptionStatus.ACTIVE


def test_each_failed_retry_counts_as_retried_and_failed_and_the_last_one_also_as_canceled():
    billow, _ = declined()
    counted = [run_counts(billow.night(date(2026, 4, day))) for day in (2, 3, 4, 6, 8)]
    assert counted == [
        {"due": 1, "retried": 1, "failed": 1},
        {},
        {"due": 1, "retried": 1, "failed": 1},
        {"due": 1, "retried": 1, "failed": 1},
        {"due": 1, "retried": 1, "failed": 1, "canceled": 1},
    ]


def test_a_voided_renewal_ends_the_dunning_on_its_next_retry_day_dated_that_day():
    billow, subscription_id = declined()
    billow.invoicing.lifecycle.void(ADMIN, billow.invoices_of(subscription_id)[1].id)

    retry_day = billow.night(date(2026, 4, 2))

    assert run_counts(retry_day) == {"due": 1, "skipped": 1}
    subscription = billow.subscription(subscription_id)
    assert (subscription.dunning, subscription.updated_at.date()) == (None, date(2026, 4, 2))


def test_when_the_retries_run_out_the_admins_hear_once_even_if_the_last_failure_is_reported_again():
    billow, subscription_id = declined()
    for day in (date(2026, 4, 2), date(2026, 4, 4), date(2026, 4, 6), LAST_RETRY_DAY):
        billow.night(day)
    ended = billow.subscription(subscription_id)
    assert ended.status is SubscriptionStatus.CANCELED
    entries, mails = len(billow.subscriptions.events), len(billow.mailer.sent)

    billow.subscription_cases.billing.dunning.payment_failed(  # the webhook of the same decline
        TENANT, subscription_id, 1, HOSTED, ended.dunning.failed_payment_id, "insufficient_funds"
    )

    assert len(notices(billow)) == 1
    assert (len(billow.subscriptions.events), len(billow.mailer.sent)) == (entries, mails)
    assert len(asked_for_new_method(billow)) == 1


def test_without_retry_days_the_first_decline_cancels_at_once_without_asking_the_buyer_for_a_method():
    billow, subscription_id = declined(dunning_retry_days=())
    assert billow.subscription(subscription_id).status is SubscriptionStatus.CANCELED
    assert billow.subscriptions.events[-1].summary == (
        "Canceled: the payment of period 2 failed and its retries ran out"
    )
    assert asked_for_new_method(billow) == []  # nothing is charged any more
    assert [m["subject"] for m in notices(billow)] == [
        f"Subscription {subscription_id} canceled after its payment failed"
    ]


def test_without_retry_days_and_keep_unpaid_the_timeline_names_no_retry_day():
    billow, subscription_id = declined(dunning_retry_days=(), dunning_final_action="keep_unpaid")
    assert billow.subscription(subscription_id).status is SubscriptionStatus.UNPAID
    assert billow.subscriptions.events[-1].summary == (
        "The payment of the current period failed; the buyer is asked to update the payment method"
    )
    (asked,) = asked_for_new_method(billow)
    assert asked["to"] == [BILLING_EMAIL]
    assert f"{HOSTED}/s/" in asked["text"]


@pytest.mark.parametrize(
    "settings",
    [
        {"admin_notifications_enabled": False},
        {"admin_notification_emails": ()},
    ],
    ids=["turned-off", "no-address"],
)
def test_no_admin_note_of_a_cancellation_when_the_tenant_turned_them_off_or_named_no_one(settings):
    billow, subscription_id = declined(dunning_retry_days=(), **settings)
    assert billow.subscription(subscription_id).status is SubscriptionStatus.CANCELED
    assert notices(billow) == []


def test_a_refused_admin_note_leaves_the_cancellation_standing():
    billow = Billow(IdempotentStripe(decline_state=False))
    billow.change_settings(admin_notification_emails=(OPS,), dunning_retry_days=())
    billow.mailer.refuse = CANCELED_NOTICE
    subscription = billow.subscribe()
    billow.stripe.decline = "insufficient_funds"

    run = billow.night(APRIL_1)

    assert billow.subscription(subscription.id).status is SubscriptionStatus.CANCELED
    assert billow.subscriptions.events[-1].type == "subscription.canceled"
    assert (run.invoiced, run.failed) == (1, 1)
    assert notices(billow) == []


def test_a_failed_payment_of_a_subscription_deleted_since_is_ignored():
    billow = Billow()
    entries, mails = len(billow.subscriptions.events), len(billow.mailer.sent)
    missing = "sub_" + "0" * 26
    assert billow.subscription_cases.billing.dunning.payment_failed(TENANT, missing, 0, HOSTED, "pay_1") is None
    assert (len(billow.subscriptions.events), len(billow.mailer.sent)) == (entries, mails)


# ---------------------------------------------------------------- overdue reminders (invoice mode)


@pytest.fixture
def sent_invoice() -> tuple[Billow, str]:
    """Invoice mode with three days to pay: the first invoice, sent on 1 March, is due on 4 March;
    its overdue reminders go out on 5, 7, 9 and 11 March."""
    billow = Billow()
    subscription = billow.subscribe(collection_method="send_invoice", days_until_due=3)
    return billow, subscription.id


def overdue_mails(billow: Billow) -> list[dict]:
    return [m for m in billow.mailer.sent if m["subject"].startswith(("Overdue:", "Zahlungserinnerung:"))]


def test_an_overdue_reminder_states_the_amount_the_due_date_and_the_days_overdue(sent_invoice):
    billow, subscription_id = sent_invoice
    counted = [run_counts(billow.night(date(2026, 3, day))) for day in (5, 6, 7)]
    assert counted == [{"due": 1, "reminders": 1}, {}, {"due": 1, "reminders": 1}]
    first, second = overdue_mails(billow)
    invoice = billow.invoices_of(subscription_id)[0]
    assert (first["to"], first["subject"]) == ([BILLING_EMAIL], "Overdue: invoice INV-000001")
    assert first["text"].startswith(
        "Hello,\n\nInvoice INV-000001 of €29.00 was due on Mar 4, 2026 and is 1 day overdue. Please pay it by "
        "the link below.\n\nView and pay online: "
    )
    assert f"View and pay online: {HOSTED}/i/" in first["text"]
    assert first["text"].endswith("\n\nKind regards\nBillow Demo GmbH\n")
    assert "was due on Mar 4, 2026 and is 3 days overdue." in second["text"]
    assert billow.invoices.get(TENANT, invoice.id).status is InvoiceStatus.OPEN


def test_an_overdue_reminder_names_what_is_still_due_in_the_tenants_locale(sent_invoice):
    billow, subscription_id = sent_invoice
    billow.change_settings(locale="de_DE")
    invoice = billow.invoices_of(subscription_id)[0]
    billow.invoicing.collection.record_payment(ADMIN, invoice.id, PaymentEntry(amount=1000, method="bank_transfer"))

    billow.night(date(2026, 3, 5))

    (reminder,) = overdue_mails(billow)
    assert reminder["subject"] == "Zahlungserinnerung: Rechnung INV-000001"
    assert reminder["text"].startswith(
        "Guten Tag,\n\ndie Rechnung INV-000001 über 19,00\xa0€ war am 04.03.2026 fällig und ist seit 1 Tag überfällig."
    )
    assert "Online ansehen und bezahlen: " in reminder["text"]
    assert reminder["text"].endswith("Mit freundlichen Grüßen\nBillow Demo GmbH\n")


def test_an_overdue_reminder_is_sent_once_when_the_worker_stopped_after_its_email(sent_invoice, monkeypatch):
    billow, subscription_id = sent_invoice
    store = billow.subscriptions
    save = store.save

    def stopped(*args, **kwargs):  # the worker dies after the email, before the step is saved
        monkeypatch.setattr(store, "save", save)
        raise RuntimeError("worker stopped")

    monkeypatch.setattr(store, "save", stopped)
    entries = len(store.events)
    with pytest.raises(RuntimeError):
        billow.night(date(2026, 3, 5))
    assert len(overdue_mails(billow)) == 1

    again = billow.night(date(2026, 3, 6))  # the step is still due: it is moved on, not mailed again

    assert run_counts(again) == {"due": 1, "skipped": 1}
    assert len(overdue_mails(billow)) == 1
    assert timeline_since(billow, entries) == [
        ("subscription.overdue_reminder_sent", "Overdue reminder 1 of invoice INV-000001 sent")
    ]
    assert billow.subscription(subscription_id).dunning.next_on == date(2026, 3, 7)


def test_a_payment_landing_while_an_overdue_reminder_is_recorded_ends_the_reminders(sent_invoice):
    billow, subscription_id = sent_invoice
    invoice = billow.invoices_of(subscription_id)[0]
    paid_meanwhile(billow, invoice.id)
    entries = len(billow.subscriptions.events)

    billow.night(date(2026, 3, 5))

    assert billow.subscription(subscription_id).dunning is None
    assert "subscription.overdue_reminder_sent" not in [t for t, _ in timeline_since(billow, entries)]
    assert billow.night(date(2026, 3, 7)).due == 0
    assert len(overdue_mails(billow)) == 1


def test_two_overdue_invoices_of_the_same_day_each_get_their_reminder(sent_invoice):
    billow, _ = sent_invoice
    billow.subscribe(collection_method="send_invoice", days_until_due=3)
    assert billow.night(date(2026, 3, 5)).reminders == 2
    assert sorted(m["subject"] for m in overdue_mails(billow)) == [
        "Overdue: invoice INV-000001",
        "Overdue: invoice INV-000002",
    ]


def test_a_paid_invoice_gets_no_overdue_reminder(sent_invoice):
    billow, subscription_id = sent_invoice
    record_full_payment(billow, billow.invoices_of(subscription_id)[0].id)
    assert billow.night(date(2026, 3, 5)).due == 0
    assert overdue_mails(billow) == []
