"""The payment reminder as the buyer and the bookkeeper read it: the email's subject and words (the
amount, how it is collected, the period and its lines), the entry on the customer's timeline, and
when no reminder goes out (not the subscription's payment date, a canceled subscription, no
billing email, a caller who may only read)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from billing.domain.access import Caller, Role
from billing.domain.billing_runs import Outcome
from billing.domain.errors import Forbidden
from billing.domain.subscriptions import CancelMode
from tests.unit.wiring import ADMIN, BILLING_EMAIL, MONTHLY, TENANT, Billow

PAYMENT_ON = date(2026, 3, 21)  # the first payment of a subscription started 20 days after 1 March
REMINDER_NIGHT = date(2026, 3, 7)  # 14 days before it
LATER = {**MONTHLY, "billing_start": {"type": "delay_days", "days": 20}}


@pytest.fixture
def billow() -> Billow:
    return Billow()


def reminder_mails(billow: Billow) -> list[dict]:
    return [m for m in billow.mailer.sent if m["subject"].startswith("Your next payment")]


def remind(billow: Billow, subscription_id: str, payment_on: date = PAYMENT_ON, caller: Caller = ADMIN):
    billow.on(REMINDER_NIGHT)
    return billow.subscription_cases.billing.reminders.remind(caller, subscription_id, payment_on)


def timeline_of(billow: Billow) -> list:
    return billow.customers.events[(TENANT, billow.customer_id)]


def test_the_reminder_names_the_amount_how_it_is_collected_the_period_and_each_line(billow):
    subscription = billow.subscribe(LATER, {**LATER, "name": "Backups", "unit_price": "5.00", "quantity": "3"})

    assert remind(billow, subscription.id) == [Outcome.REMINDERS]

    (reminder,) = reminder_mails(billow)
    assert reminder["to"] == [BILLING_EMAIL]
    assert reminder["subject"] == "Your next payment to Billow Demo GmbH on Mar 21, 2026"
    assert reminder["text"] == (
        "Hello,\n\nThe next payment of your subscription, €44.00, will be charged to your payment method on file "
        "on Mar 21, 2026, for Mar 21, 2026 to Apr 20, 2026:\n  1 × Hosting\n  3 × Backups\n\n"
        "Kind regards\nBillow Demo GmbH\n"
    )


def test_a_german_tenants_reminder_is_german_with_german_dates_and_amounts(billow):
    billow.change_settings(locale="de_DE")
    subscription = billow.subscribe(LATER, {**LATER, "name": "Backups", "unit_price": "5.00", "quantity": "1.5"})
    remind(billow, subscription.id)
    (reminder,) = [m for m in billow.mailer.sent if m["subject"].startswith("Ihre nächste Zahlung")]
    assert reminder["subject"] == "Ihre nächste Zahlung an Billow Demo GmbH am 21.03.2026"
    assert reminder["text"] == (
        "Guten Tag,\n\ndie nächste Zahlung Ihres Abonnements über 36,50\xa0€ wird am 21.03.2026 von Ihrem "
        "hinterlegten Zahlungsmittel eingezogen, für den Zeitraum 21.03.2026 bis 20.04.2026:\n  1 × Hosting\n"
        "  1,5 × Backups\n\nMit freundlichen Grüßen\nBillow Demo GmbH\n"
    )


def test_in_invoice_mode_the_reminder_says_the_payment_is_invoiced(billow):
    subscription = billow.subscribe(LATER, collection_method="send_invoice")
    remind(billow, subscription.id)
    (reminder,) = reminder_mails(billow)
    assert (
        "subscription, €29.00, will be invoiced on Mar 21, 2026, for Mar 21, 2026 to Apr 20, 2026:" in reminder["text"]
    )


def test_a_tenant_without_a_business_name_is_us_in_the_subject(billow):
    billow.change_settings(business_name="")
    subscription = billow.subscribe(LATER)
    remind(billow, subscription.id)
    assert [m["subject"] for m in reminder_mails(billow)] == ["Your next payment to us on Mar 21, 2026"]


def test_the_first_payments_reminder_counts_its_one_time_fee(billow):
    fee = {"kind": "fee", "type": "amount", "value": "10.00", "name": "Setup"}
    subscription = billow.subscribe(LATER, adjustments=[fee])
    remind(billow, subscription.id)
    (reminder,) = reminder_mails(billow)
    assert "subscription, €39.00, will be" in reminder["text"]


def test_the_reminder_is_on_the_customers_timeline_by_billow(billow):
    subscription = billow.subscribe(LATER)
    remind(billow, subscription.id)
    entry = timeline_of(billow)[-1]
    assert (entry.type, entry.summary, entry.actor) == (
        "subscription.reminder_sent",
        f"Payment reminder sent to {BILLING_EMAIL} (€29.00 on 2026-03-21)",
        "billow",
    )
    assert entry.data == {"subscription_id": subscription.id}


def test_two_subscriptions_paying_on_the_same_day_each_get_their_reminder(billow):
    first, second = billow.subscribe(LATER), billow.subscribe(LATER)
    assert remind(billow, first.id) == [Outcome.REMINDERS]
    assert remind(billow, second.id) == [Outcome.REMINDERS]
    assert remind(billow, first.id) == [Outcome.SKIPPED]  # once per period
    assert len(reminder_mails(billow)) == 2


def not_reminded(billow: Billow, subscription_id: str, payment_on: date = PAYMENT_ON) -> None:
    """No reminder of that payment: skipped, no email, nothing on the timeline."""
    entries = len(timeline_of(billow))
    assert remind(billow, subscription_id, payment_on) == [Outcome.SKIPPED]
    assert reminder_mails(billow) == []
    assert len(timeline_of(billow)) == entries


def test_a_day_that_is_not_the_subscriptions_next_payment_gets_no_reminder(billow):
    subscription = billow.subscribe(LATER)
    not_reminded(billow, subscription.id, date(2026, 3, 22))


def test_a_canceled_subscription_gets_no_reminder(billow):
    subscription = billow.subscribe()  # paid for March; its next payment on 1 April
    billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, CancelMode.IMMEDIATELY, confirm=True)
    not_reminded(billow, subscription.id, date(2026, 4, 1))


def test_a_customer_without_a_billing_email_gets_no_reminder(billow):
    subscription = billow.subscribe(LATER)
    key = (TENANT, billow.customer_id)
    billow.customers.customers[key] = replace(billow.customers.customers[key], billing_email="", email="")
    not_reminded(billow, subscription.id)


def test_a_viewer_may_not_send_a_reminder(billow):
    subscription = billow.subscribe(LATER)
    with pytest.raises(Forbidden):
        remind(billow, subscription.id, caller=Caller(TENANT, "user_3", Role.VIEWER))
    assert reminder_mails(billow) == []
