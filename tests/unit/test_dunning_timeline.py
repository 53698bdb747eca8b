"""What a bookkeeper reads on the customer's timeline while a payment is dunned: each step of a
declined renewal's retries and its end, and each overdue reminder of an unpaid invoice, with its
type and its words, and the change each publishes for outbound webhooks."""

from __future__ import annotations

from datetime import date

from tests.unit.wiring import Billow

RETRY_DAYS = (date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 4), date(2026, 4, 6), date(2026, 4, 8))


def declined_renewal(final_action: str | None = None) -> tuple[Billow, list[tuple[str, str]], list[str]]:
    billow = Billow()
    if final_action:
        billow.change_settings(dunning_final_action=final_action)
    subscription = billow.subscribe()
    billow.stripe.decline = "insufficient_funds"
    entries, changes = len(billow.subscriptions.events), len(billow.changes)
    for day in RETRY_DAYS:
        billow.night(day)
    timeline = [(e.type, e.summary) for e in billow.subscriptions.events[entries:]]
    assert all(e.data["subscription_id"] == subscription.id for e in billow.subscriptions.events[entries:])
    published = [c.change for c in billow.changes[changes:] if c.kind.value == "subscription"]
    return billow, timeline, published


def test_a_declined_renewal_is_retried_on_the_tenants_days_then_canceled_and_the_timeline_says_each_step():
    billow, timeline, published = declined_renewal()
    assert timeline == [
        (
            "subscription.unpaid",
            "The payment of the current period failed; the buyer is asked to update the payment method; "
            "it is retried on 2026-04-02",
        ),
        ("subscription.retry_failed", "A retry of the payment of period 2 failed; the next on 2026-04-04"),
        ("subscription.retry_failed", "A retry of the payment of period 2 failed; the next on 2026-04-06"),
        ("subscription.retry_failed", "A retry of the payment of period 2 failed; the next on 2026-04-08"),
        ("subscription.canceled", "Canceled: the payment of period 2 failed and its retries ran out"),
    ]
    for change in ("subscription.unpaid", "subscription.retry_failed", "subscription.canceled"):
        assert change in published
    assert published[-1] == "subscription.canceled"
    (asked,) = [m for m in billow.mailer.sent if m["subject"].startswith("Update the payment method")]
    assert asked["subject"] == "Update the payment method of your subscription with Billow Demo GmbH"


def test_with_keep_unpaid_the_last_retry_leaves_the_subscription_unpaid_and_says_no_next_day():
    billow, timeline, published = declined_renewal("keep_unpaid")
    assert timeline[-1] == ("subscription.retry_failed", "A retry of the payment of period 2 failed")
    assert [t for t, _ in timeline] == ["subscription.unpaid"] + ["subscription.retry_failed"] * 4
    assert "subscription.canceled" not in published
    assert billow.subscription(billow.changes[-1].record_id).status.value == "unpaid"


def test_an_unpaid_invoice_gets_its_overdue_reminders_numbered_on_the_timeline_and_by_email():
    billow = Billow()
    subscription = billow.subscribe(collection_method="send_invoice")
    entries, mails = len(billow.subscriptions.events), len(billow.mailer.sent)
    for day in (1, 2, 4, 8, 15, 16, 20, 30):
        billow.night(date(2026, 4, day))
    timeline = [(e.type, e.summary) for e in billow.subscriptions.events[entries:]]
    assert timeline == [
        ("subscription.overdue_reminder_sent", "Overdue reminder 1 of invoice INV-000001 sent"),
        ("subscription.overdue_reminder_sent", "Overdue reminder 1 of invoice INV-000002 sent"),
        ("subscription.overdue_reminder_sent", "Overdue reminder 2 of invoice INV-000002 sent"),
        ("subscription.overdue_reminder_sent", "Overdue reminder 3 of invoice INV-000002 sent"),
        ("subscription.overdue_reminder_sent", "Overdue reminder 4 of invoice INV-000002 sent"),
    ]
    subjects = [m["subject"] for m in billow.mailer.sent[mails:]]
    assert subjects == [
        "Overdue: invoice INV-000001",
        "Invoice INV-000002 from Billow Demo GmbH",
        *["Overdue: invoice INV-000002"] * 4,
    ]
    overdue = next(m for m in billow.mailer.sent[mails:] if m["subject"] == "Overdue: invoice INV-000001")
    assert "is 1 day overdue" in overdue["text"] or "days overdue" in overdue["text"]
    assert billow.subscription(subscription.id).status.value == "active"
