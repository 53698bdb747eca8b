"""Subscriptions (SPEC S1-S12, S14): the cycle, the statuses, cancellation and its prorated
refund. Pure rules; the service bills "this subscription, this period" through the invoice
service, and the billing run calls the same method.

A subscription's periods are anchored on its start date (billing.domain.periods): period ``n``
runs from payment date ``n`` to the day before payment date ``n + 1``, so 31 January monthly
has periods 31 Jan - 27 Feb, 28 Feb - 30 Mar, 31 Mar - ..., and never drifts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from billing.domain.errors import Conflict, Refusal, ValidationFailed
from billing.domain.money import round_half_up
from billing.domain.periods import BillingFrequency, billing_date


class SubscriptionStatus(StrEnum):
    SCHEDULED = "scheduled"  # billing starts in the future
    ACTIVE = "active"  # every payment due so far was made
    UNPAID = "unpaid"  # the current cycle's payment failed
    CANCELED = "canceled"
    EXPIRED = "expired"  # every payment of a fixed term was made

    @property
    def billable(self) -> bool:
        return self in (SubscriptionStatus.ACTIVE, SubscriptionStatus.UNPAID)


class CollectionMethod(StrEnum):
    CHARGE_AUTOMATICALLY = "charge_automatically"  # AutoPay with the method on file
    SEND_INVOICE = "send_invoice"  # each cycle's invoice is emailed with its Pay link


class CancelMode(StrEnum):
    IMMEDIATELY = "immediately"
    AT_PERIOD_END = "at_period_end"
    IMMEDIATELY_WITH_REFUND = "immediately_with_refund"


@dataclass(frozen=True)
class Period:
    number: int  # 0 = the first
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def key(self, subscription_id: str) -> str:
        """Names "this subscription, this period" wherever it must happen once: the period's
        invoice, its charge."""
        return f"{subscription_id}:{self.number}"


def period(starts_on: date, frequency: BillingFrequency, number: int) -> Period:
    if not frequency.is_recurring:
        raise ValueError("a one-time line has no periods")
    start = billing_date(starts_on, frequency, number)
    return Period(number, start, billing_date(starts_on, frequency, number + 1) - timedelta(days=1))


@dataclass(frozen=True)
class Subscription:
    tenant_id: str
    id: str
    customer_id: str
    currency: str
    frequency: BillingFrequency
    starts_on: date
    status: SubscriptionStatus
    collection_method: CollectionMethod
    created_at: datetime
    updated_at: datetime
    payments: int | None = None  # a fixed number of payments; None renews until canceled
    payments_made: int = 0
    last_payment_on: date | None = None
    payment_method_id: str | None = None
    days_until_due: int | None = None  # invoice mode: payment terms of each cycle's invoice
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_on: date | None = None
    version: int = 0

    @property
    def payments_left(self) -> int | None:
        return None if self.payments is None else self.payments - self.payments_made

    @property
    def next_payment_on(self) -> date | None:
        """The date the next period is billed; None once nothing is left to bill."""
        if self.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED) or self.payments_left == 0:
            return None
        if self.cancel_at_period_end and self.payments_made:
            return None
        return billing_date(self.starts_on, self.frequency, self.payments_made)

    @property
    def next_period(self) -> Period:
        return period(self.starts_on, self.frequency, self.payments_made)

    @property
    def current_period(self) -> Period | None:
        """The period the last payment paid for; None before the first payment."""
        if self.payments_made == 0:
            return None
        return period(self.starts_on, self.frequency, self.payments_made - 1)

    @property
    def ends_on(self) -> date | None:
        """A fixed term's end: one period after its last payment (1 March, 6 monthly payments:
        1 September); a subscription canceled at period end ends with its current period."""
        if self.ended_on is not None:
            return self.ended_on
        if self.payments is not None:
            return billing_date(self.starts_on, self.frequency, self.payments)
        if self.cancel_at_period_end and self.current_period is not None:
            return self.current_period.end + timedelta(days=1)
        return None


def activated(subscription: Subscription, today: date, now: datetime) -> Subscription:
    """S6: a scheduled subscription becomes active on its start date."""
    if subscription.status is SubscriptionStatus.SCHEDULED and subscription.starts_on <= today:
        return replace(subscription, status=SubscriptionStatus.ACTIVE, updated_at=now)
    return subscription


def paid(subscription: Subscription, billed: Period, now: datetime) -> Subscription:
    """S7: the period ``billed`` is paid: the next period comes due (or the term expires). A
    payment for a period already counted changes nothing, so a repeated outcome is harmless."""
    if billed.number < subscription.payments_made:
        return subscription
    if billed.number != subscription.payments_made:
        raise Conflict(f"period {billed.number} is not the next period ({subscription.payments_made}) to bill")
    made = subscription.payments_made + 1
    expired = subscription.payments is not None and made >= subscription.payments
    status = SubscriptionStatus.EXPIRED if expired else SubscriptionStatus.ACTIVE
    if subscription.status is SubscriptionStatus.CANCELED:
        status = SubscriptionStatus.CANCELED
    return replace(
        subscription,
        payments_made=made,
        last_payment_on=billed.start,
        status=status,
        ended_on=billing_date(subscription.starts_on, subscription.frequency, made) if expired else None,
        updated_at=now,
    )


def payment_failed(subscription: Subscription, now: datetime) -> Subscription:
    """W3: the current cycle's payment failed; the buyer is asked for another method."""
    if not subscription.status.billable:
        return subscription
    return replace(subscription, status=SubscriptionStatus.UNPAID, updated_at=now)


def prorated_refund(amount: int, paid_for: Period, canceled_on: date) -> int:
    """S10: the unused days of a paid period, in minor units, half-up. The day of cancellation
    counts as used: 29.00 for 1-31 March canceled on 10 March refunds 21/31 of it, 19.65."""
    if canceled_on < paid_for.start:
        return amount
    if canceled_on >= paid_for.end:
        return 0
    unused = (paid_for.end - canceled_on).days
    return round_half_up(Decimal(amount) * unused / paid_for.days)


def canceled(subscription: Subscription, mode: CancelMode, today: date, now: datetime, *, confirm: bool):
    """S10: the caller must confirm the customer will not be charged again. Immediately (with or
    without the refund) ends it today; at period end keeps it until its paid period ends."""
    if confirm is not True:
        raise ValidationFailed.of("confirm", "must be true: the customer will not be charged again")
    if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        raise Conflict(f"subscription {subscription.id} is already {subscription.status.value}")
    if mode is CancelMode.AT_PERIOD_END and subscription.current_period is not None:
        return replace(subscription, cancel_at_period_end=True, canceled_at=now, updated_at=now)
    return replace(
        subscription,
        status=SubscriptionStatus.CANCELED,
        canceled_at=now,
        ended_on=today,
        updated_at=now,
    )


def deletion_refusal(subscription: Subscription) -> Refusal:
    """S11: only canceled or expired subscriptions are deleted (for good)."""
    refusal = Refusal()
    if subscription.status not in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        refusal.reasons.append(
            f"the subscription is {subscription.status.value}; cancel it first (only canceled or expired ones are "
            "deleted)"
        )
    return refusal
