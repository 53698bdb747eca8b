"""Canceling with a refund of the unused days: how much is refunded, when it is refused and with
which reason (nothing is canceled then), and what the cancellation leaves on the customer's
timeline besides its own entry (the email sent, or why it failed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from billing.domain.errors import Conflict
from billing.domain.orders import PaymentEntry
from billing.domain.payments import Charge, PaymentStatus
from billing.domain.subscriptions import SubscriptionStatus
from billing.domain.timeline import SYSTEM_ACTOR
from tests.unit.fakes import DebitStripe
from tests.unit.test_billing_cycle import settled
from tests.unit.test_payment_outcomes import order_of_two
from tests.unit.wiring import ADMIN, MONTHLY, TENANT, Billow

WITH_REFUND = "immediately_with_refund"


def cancel(billow: Billow, subscription_id: str, mode: str = WITH_REFUND):
    return billow.subscription_cases.cancellation.cancel(ADMIN, subscription_id, mode, confirm=True).subscription


def timeline(billow: Billow) -> list:
    return billow.customers.events[(TENANT, billow.customer_id)]


def refunded_at_stripe(billow: Billow) -> list[int]:
    return [charge["amount_refunded"] for charge in billow.stripe.charges.values()]


def refused(billow: Billow, subscription_id: str) -> str:
    """The reason a cancellation with a refund is refused; the subscription stays as it was."""
    before = billow.subscription(subscription_id)
    with pytest.raises(Conflict) as refusal:
        cancel(billow, subscription_id)
    assert billow.subscription(subscription_id) == before
    assert not [m for m in billow.mailer.sent if m["subject"].endswith("is canceled")]
    return refusal.value.message


# ---------------------------------------------------------------- what is refunded


def test_a_single_unused_cent_is_refunded_and_said():
    billow = Billow()
    subscription = billow.subscribe({**MONTHLY, "unit_price": "0.31"})
    billow.on(date(2026, 3, 30), hour=9)  # one of March's 31 days unused: 0.31 / 31 = 0.01

    cancel(billow, subscription.id)

    assert refunded_at_stripe(billow) == [1]
    assert billow.subscriptions.events[-1].summary == "Canceled now; €0.01 refunded for the unused days"


def test_the_unused_days_are_refunded_by_a_cancellation_credit_note_of_the_periods_invoice_named_in_the_answer():
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 16), hour=10)  # 15 of March's 31 days unused: 29.00 x 15/31 = 14.03

    canceled = billow.subscription_cases.cancellation.cancel(ADMIN, subscription.id, WITH_REFUND, confirm=True)

    note = canceled.credit_note
    assert note is not None and canceled.refunded == 1403
    assert (note.number, note.reason.value, note.total, note.settlement.value) == (
        "CN-000001",
        "cancellation",
        1403,
        "refund",
    )
    assert note.lines[0].name == "Refund of the unused days to Mar 31, 2026 (canceled on Mar 16, 2026)"
    assert refunded_at_stripe(billow) == [1403]  # once, by the credit note
    (invoice,) = [i for i in billow.invoices.invoices.values() if i.subscription_id == subscription.id]
    assert (invoice.amount_credited, invoice.amount_due) == (1403, 0)


def test_on_the_periods_last_day_the_timeline_says_there_are_no_unused_days():
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 31), hour=9)

    cancel(billow, subscription.id)

    assert billow.subscriptions.events[-1].summary == "Canceled now; no unused days to refund"
    assert refunded_at_stripe(billow) == [0]


def test_canceling_now_ends_the_subscription_today_at_the_moment_it_was_asked():
    billow = Billow()
    subscription = billow.subscribe()
    billow.on(date(2026, 3, 16), hour=10)

    canceled = cancel(billow, subscription.id, "immediately")

    assert canceled.status is SubscriptionStatus.CANCELED
    assert canceled.ended_on == date(2026, 3, 16)
    assert canceled.canceled_at.date() == date(2026, 3, 16) and canceled.canceled_at >= datetime(
        2026, 3, 16, 10, tzinfo=UTC
    )


def test_what_was_already_refunded_of_a_subscriptions_share_of_a_shared_first_payment_is_not_refunded_again():
    """One first payment paid both subscriptions of an order; 5.00 of it was refunded by hand and
    came off the subscription billed last. Canceling that one refunds no more than its share
    still holds, though the payment itself has more left to refund."""
    billow = Billow()
    subscriptions = order_of_two(billow)
    payment = billow.payment_service.refund(ADMIN, subscriptions[0].first_payment_id, 500)
    (last,) = [a for a in payment.applications if a.refunded == 500]
    (subscription,) = [s for s in subscriptions if billow.invoices_of(s.id)[0].id == last.invoice_id]
    share = last.amount - 500

    cancel(billow, subscription.id)

    assert refunded_at_stripe(billow) == [500 + share]
    assert billow.payments.get(TENANT, payment.id).amount_refunded == 500 + share


# ---------------------------------------------------------------- what is refused, and why


def test_a_subscription_not_billed_yet_has_nothing_to_refund():
    billow = Billow()
    subscription = billow.subscribe({**MONTHLY, "billing_start": {"type": "delay_days", "days": 5}})
    assert refused(billow, subscription.id) == (
        "no period was billed yet; cancel immediately instead (nothing to refund)"
    )


def test_an_unpaid_invoice_has_nothing_to_refund_even_while_another_debit_of_the_customer_is_pending():
    billow = Billow(DebitStripe())
    subscription = billow.subscribe(collection_method="send_invoice")
    other = billow.payment_service.charge(ADMIN, Charge(customer_id=billow.customer_id, amount=500, currency="eur"))
    assert other.status is PaymentStatus.PENDING
    assert refused(billow, subscription.id) == (
        "the current period is not paid; cancel immediately instead (nothing to refund)"
    )


PENDING_DEBIT = "the current period's bank debit is still pending; it is not refunded automatically"


def test_a_first_period_paid_by_a_debit_still_pending_is_not_refunded():
    billow = Billow(DebitStripe())
    subscription = billow.subscribe()
    assert refused(billow, subscription.id) == PENDING_DEBIT


def test_a_renewal_paid_by_a_debit_still_pending_is_not_refunded():
    billow = Billow(DebitStripe())
    subscription = billow.subscribe()
    settled(billow, subscription.first_payment_id, datetime(2026, 3, 4, 10, tzinfo=UTC))
    billow.night(date(2026, 4, 1))
    billow.on(date(2026, 4, 2), hour=10)
    assert refused(billow, subscription.id) == PENDING_DEBIT
    assert refunded_at_stripe(billow) == [0, 0]


def test_a_paid_period_whose_payment_the_ledger_holds_as_pending_is_not_refunded():
    billow = Billow()
    subscription = billow.subscribe()
    payment = billow.payments.get(TENANT, subscription.first_payment_id)
    billow.payments.payments[(TENANT, payment.id)] = replace(payment, status=PaymentStatus.PENDING)
    assert refused(billow, subscription.id) == PENDING_DEBIT


@pytest.mark.parametrize("how", ["by hand", "from the ledger"])
def test_a_period_not_paid_through_its_own_stripe_charge_is_refunded_by_the_tenant_not_by_billow(how):
    billow = Billow()
    subscription = billow.subscribe(collection_method="send_invoice")
    (invoice,) = billow.invoices_of(subscription.id)
    if how == "by hand":
        entry = PaymentEntry(amount=2900, method="bank_transfer")
    else:  # a charge taken on its own, applied to the invoice afterwards
        charge = Charge(customer_id=billow.customer_id, amount=2900, currency="eur")
        entry = PaymentEntry(payment_id=billow.payment_service.charge(ADMIN, charge).id)
    billow.invoicing.collection.record_payment(ADMIN, invoice.id, entry)
    assert refused(billow, subscription.id) == (
        "the current period was paid by hand (or by invoice outside Stripe); Billow cannot refund it - "
        "cancel immediately and refund the customer yourself"
    )
    assert not [key for key in billow.stripe.keys if key.startswith("billow-refund")]


# ---------------------------------------------------------------- the email, on the timeline


def test_the_cancellation_email_is_noted_on_the_timeline_with_its_message_id():
    billow = Billow()
    subscription = billow.subscribe()
    cancel(billow, subscription.id, "immediately")

    entry = timeline(billow)[-1]
    assert (entry.type, entry.actor, entry.summary) == (
        "subscription.cancellation_sent",
        SYSTEM_ACTOR,
        "Cancellation emailed",
    )
    assert entry.data == {"subscription_id": subscription.id, "message_id": f"msg-{len(billow.mailer.sent)}"}


def test_a_cancellation_email_the_mail_service_refused_is_noted_and_the_cancellation_stands():
    billow = Billow()
    subscription = billow.subscribe()
    billow.mailer.refuse = "is canceled"

    cancel(billow, subscription.id, "immediately")

    assert billow.subscription(subscription.id).status is SubscriptionStatus.CANCELED
    entry = timeline(billow)[-1]
    assert (entry.type, entry.actor, entry.summary) == (
        "subscription.cancellation_failed",
        SYSTEM_ACTOR,
        "the mail service refused the message",
    )
    assert entry.data == {"subscription_id": subscription.id}


def test_the_email_names_every_line_and_a_tenant_without_a_business_name_as_us():
    billow = Billow()
    billow.change_settings(business_name="")
    subscription = billow.subscribe(MONTHLY, {**MONTHLY, "name": "Backups"})

    cancel(billow, subscription.id, "immediately")

    email = billow.mailer.sent[-1]
    assert email["subject"] == "Your subscription with us is canceled"
    assert email["text"].startswith("Hello,\n\nYour subscription (Hosting, Backups) is canceled as of today.")
    assert email["text"].endswith("Kind regards\nus\n")
