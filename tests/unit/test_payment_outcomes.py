"""What a subscription payment's outcome at the processor does: a refund in full or a dispute is
noted on the invoice's history and the subscription's timeline (and nothing else changes); a
debit the bank returns makes the subscription unpaid for the period it paid, with the decline."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from billing.domain.payments import PaymentStatus
from billing.domain.subscriptions import SubscriptionStatus
from billing.domain.timeline import SYSTEM_ACTOR
from billing.http.schemas.subscriptions import SubscriptionCreate
from tests.unit.fakes import DebitStripe
from tests.unit.test_billing_cycle import settled
from tests.unit.wiring import ADMIN, HOSTED, MONTHLY, TENANT, Billow


class BankStripe(DebitStripe):
    """Debits that settle later, as DebitStripe takes them, which the bank may also return (with
    the issuer's decline code) or the buyer dispute."""

    def payment(self, account, reference):
        state = super().payment(account, reference)
        charge = self.charges[reference]
        return replace(
            state,
            disputed=charge.get("disputed", False),
            failure_code=charge.get("failure_code"),
            decline_code=charge.get("decline_code"),
        )

    def returned(self, reference: str, decline_code: str) -> None:
        self.settle(reference)
        self.charges[reference].update(
            status="requires_payment_method", failure_code="debit_returned", decline_code=decline_code
        )


def heard(billow: Billow, payment_id: str) -> None:
    """Stripe's webhook about the payment: Billow syncs it."""
    payment = billow.payments.get(TENANT, payment_id)
    billow.payment_service.sync(TENANT, BankStripe.ACCOUNT, payment.processor_payment_id)


def returned(billow: Billow, payment_id: str, decline_code: str = "insufficient_funds") -> None:
    billow.stripe.returned(billow.payments.get(TENANT, payment_id).processor_payment_id, decline_code)
    heard(billow, payment_id)


def new_entries(billow: Billow, since: int) -> list[tuple]:
    entries = billow.customers.events[(TENANT, billow.customer_id)][since:]
    return [(e.type, e.actor, e.summary, e.data) for e in entries]


def entries_now(billow: Billow) -> int:
    return len(billow.customers.events[(TENANT, billow.customer_id)])


def history(billow: Billow, invoice_id: str) -> list[tuple[str, str]]:
    items = billow.invoices.history(TENANT, invoice_id, limit=100, cursor=None).items
    return [(h.type, h.summary) for h in items]


def order_of_two(billow: Billow):
    """One order of a monthly and an annual subscription: one first payment for both."""
    yearly = {"name": "Support", "unit_price": "120.00", "billing_frequency": "annually"}
    body = {"customer_id": billow.customer_id, "currency": "eur", "lines": [MONTHLY, yearly]}
    order = SubscriptionCreate.model_validate_json(json.dumps(body)).order()
    return billow.subscription_cases.creation.create(ADMIN, order, None, HOSTED)


# ---------------------------------------------------------------- refunded or disputed


def test_a_first_payment_refunded_in_full_is_noted_on_its_invoice_and_the_subscriptions_timeline():
    billow = Billow()
    subscription = billow.subscribe()
    (invoice,) = billow.invoices_of(subscription.id)
    since = entries_now(billow)

    billow.payment_service.refund(ADMIN, subscription.first_payment_id, None)

    assert (
        "subscription.payment_refunded",
        SYSTEM_ACTOR,
        f"The payment of invoice {invoice.number} was refunded",
        {"subscription_id": subscription.id, "payment_id": subscription.first_payment_id},
    ) in new_entries(billow, since)
    assert ("payment_refunded", f"Payment {subscription.first_payment_id} refunded at Stripe") in history(
        billow, invoice.id
    )
    assert billow.subscription(subscription.id).status is SubscriptionStatus.ACTIVE  # a person decides


def test_a_renewal_payment_disputed_is_noted_on_the_renewals_invoice_only():
    billow = Billow(BankStripe())
    subscription = billow.subscribe()
    settled(billow, subscription.first_payment_id, datetime(2026, 3, 4, 10, tzinfo=UTC))
    billow.night(date(2026, 4, 1))
    first, renewal = billow.invoices_of(subscription.id)
    (payment,) = [p for p in billow.payments.payments.values() if p.invoice_id == renewal.id]
    settled(billow, payment.id, datetime(2026, 4, 4, 10, tzinfo=UTC))
    since = entries_now(billow)

    billow.stripe.charges[payment.processor_payment_id]["disputed"] = True
    heard(billow, payment.id)

    assert [e for e in new_entries(billow, since) if e[0].startswith("subscription.")] == [
        (
            "subscription.payment_disputed",
            SYSTEM_ACTOR,
            f"The payment of invoice {renewal.number} was disputed",
            {"subscription_id": subscription.id, "payment_id": payment.id},
        )
    ]
    assert ("payment_disputed", f"Payment {payment.id} disputed at Stripe") in history(billow, renewal.id)
    assert not [h for h in history(billow, first.id) if h[0] == "payment_disputed"]


def test_a_refund_of_the_first_payment_of_two_subscriptions_is_noted_on_both():
    billow = Billow()
    subscriptions = order_of_two(billow)
    since = entries_now(billow)

    billow.payment_service.refund(ADMIN, subscriptions[0].first_payment_id, None)

    noted = {e[3]["subscription_id"] for e in new_entries(billow, since) if e[0] == "subscription.payment_refunded"}
    assert noted == {s.id for s in subscriptions}


def test_a_refund_heard_again_with_the_same_status_is_not_noted_twice():
    billow = Billow()
    subscription = billow.subscribe()
    refunded = billow.payment_service.refund(ADMIN, subscription.first_payment_id, None)
    since = entries_now(billow)

    billow.subscription_cases.billing.outcomes.payment_changed(refunded, PaymentStatus.REFUNDED, HOSTED)

    assert new_entries(billow, since) == []


# ---------------------------------------------------------------- a debit returned by the bank


def test_a_returned_renewal_debit_makes_that_period_unpaid_and_a_hard_decline_is_not_retried():
    billow = Billow(BankStripe())
    subscription = billow.subscribe()
    settled(billow, subscription.first_payment_id, datetime(2026, 3, 4, 10, tzinfo=UTC))
    billow.night(date(2026, 4, 1))
    (debit,) = [p for p in billow.payments.payments.values() if p.invoice_id]
    since = entries_now(billow)

    returned(billow, debit.id, "lost_card")

    after = billow.subscription(subscription.id)
    assert after.status is SubscriptionStatus.UNPAID
    assert (after.dunning.period, after.dunning.hard, after.dunning.failed_payment_id) == (1, True, debit.id)
    assert new_entries(billow, since)[0][:3] == (
        "subscription.unpaid",
        SYSTEM_ACTOR,
        "The payment of the current period failed; the buyer is asked to update the payment method "
        "(declined: lost_card; not retried)",
    )


def test_a_returned_first_debit_makes_the_first_period_unpaid_and_the_buyer_gets_a_link():
    billow = Billow(BankStripe())
    subscription = billow.subscribe()

    returned(billow, subscription.first_payment_id)

    after = billow.subscription(subscription.id)
    assert (after.status, after.dunning.period, after.dunning.failed_payment_id) == (
        SubscriptionStatus.UNPAID,
        0,
        subscription.first_payment_id,
    )
    (link,) = [m for m in billow.mailer.sent if "payment method" in m["subject"]]
    assert f"{HOSTED}/" in link["text"]


def test_a_returned_first_debit_of_two_subscriptions_makes_both_unpaid():
    billow = Billow(BankStripe())
    subscriptions = order_of_two(billow)

    returned(billow, subscriptions[0].first_payment_id)

    assert [billow.subscription(s.id).status for s in subscriptions] == [SubscriptionStatus.UNPAID] * 2


@pytest.fixture
def interrupted(monkeypatch) -> tuple[Billow, str]:
    """A subscription whose creation stopped after its first debit was taken and the subscription
    saved, before its first invoice was issued."""
    billow = Billow(BankStripe())
    add = billow.invoices.add

    def crash_once(*args, **kwargs):
        monkeypatch.setattr(billow.invoices, "add", add)
        raise RuntimeError("the function timed out")

    monkeypatch.setattr(billow.invoices, "add", crash_once)
    with pytest.raises(RuntimeError):
        billow.subscribe()
    (subscription,) = billow.subscriptions.subscriptions.values()
    assert billow.invoices_of(subscription.id) == []
    return billow, subscription.id


def test_a_first_debit_returned_before_its_invoice_was_issued_still_makes_the_first_period_unpaid(interrupted):
    billow, subscription_id = interrupted
    payment_id = billow.subscription(subscription_id).first_payment_id

    returned(billow, payment_id, "lost_card")

    after = billow.subscription(subscription_id)
    assert after.status is SubscriptionStatus.UNPAID
    assert (after.dunning.period, after.dunning.hard, after.dunning.failed_payment_id) == (0, True, payment_id)
    (link,) = [m for m in billow.mailer.sent if "payment method" in m["subject"]]
    assert f"{HOSTED}/" in link["text"]


def test_a_first_debit_settled_before_its_invoice_was_issued_leaves_the_subscription_active(interrupted):
    billow, subscription_id = interrupted
    payment_id = billow.subscription(subscription_id).first_payment_id

    settled(billow, payment_id, datetime(2026, 3, 4, 10, tzinfo=UTC))

    assert billow.payments.get(TENANT, payment_id).status is PaymentStatus.SUCCEEDED
    after = billow.subscription(subscription_id)
    assert (after.status, after.dunning) == (SubscriptionStatus.ACTIVE, None)
