"""Subscriptions: the cycle, the statuses, cancellation and its prorated
refund. Pure rules; the service bills "this subscription, this period" through the invoice
service, and the billing run calls the same method.

A subscription's periods are anchored on its start date (billing.domain.periods): period ``n``
runs from payment date ``n`` to the day before payment date ``n + 1``, so 31 January monthly
has periods 31 Jan - 27 Feb, 28 Feb - 30 Mar, 31 Mar - ..., and never drifts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from billing.domain.errors import Conflict, Refusal, ValidationFailed
from billing.domain.ids import new_id
from billing.domain.money import round_half_up
from billing.domain.periods import BillingFrequency, BillingStart, billing_date
from billing.domain.pricing import Adjustment, LineItem

if TYPE_CHECKING:
    from billing.domain.settings import TenantSettings


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


class FinalAction(StrEnum):
    """What happens when a failed payment's retries run out."""

    CANCEL = "cancel"
    KEEP_UNPAID = "keep_unpaid"  # the subscription stays unpaid, its invoice open


# Decline codes after which charging the same method again cannot succeed (Stripe's "do not try
# again" declines, and a card that is no longer valid): no retries, only the buyer's new method.
HARD_DECLINES = frozenset(
    {
        "expired_card",
        "fraudulent",
        "incorrect_number",
        "invalid_account",
        "invalid_number",
        "lost_card",
        "merchant_blacklist",
        "pickup_card",
        "restricted_card",
        "revocation_of_all_authorizations",
        "revocation_of_authorization",
        "security_violation",
        "stolen_card",
        "stop_payment_order",
        "transaction_not_allowed",
    }
)


@dataclass(frozen=True)
class DunningPolicy:
    """The tenant's dunning: retries (AutoPay) or overdue reminders (invoice mode) this many
    days after the first failure (after the due date), then the final action (AutoPay only)."""

    retry_days: tuple[int, ...] = (1, 3, 5, 7)
    final_action: FinalAction = FinalAction.CANCEL

    @classmethod
    def of(cls, settings: TenantSettings) -> DunningPolicy:
        return cls(tuple(settings.dunning_retry_days), FinalAction(settings.dunning_final_action))


@dataclass(frozen=True)
class Dunning:
    """The open invoice of ``period`` is being collected again: its charge failed on ``since``
    (AutoPay), or it fell due on ``since`` unpaid (invoice mode)."""

    period: int
    since: date
    steps: int = 0  # retries made (AutoPay) or overdue reminders sent (invoice mode)
    next_on: date | None = None  # the next retry or reminder; None: nothing more is tried
    hard: bool = False  # a hard decline: no retry; the last retry day only ends the dunning
    failed_payment_id: str | None = None  # the last failure counted: reported again, it changes nothing


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
    """Period ``n`` is billed once: ``periods_billed`` moves from n to n + 1 in the transaction
    that writes period n's invoice, and ``payments_made`` counts the periods paid."""

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
    lines: tuple[LineItem, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()  # one-time: on the first period's invoice only
    payments: int | None = None  # a fixed number of payments; None renews until canceled
    periods_billed: int = 0
    payments_made: int = 0
    last_paid_period: int = -1
    last_payment_on: date | None = None
    payment_method_id: str | None = None  # AutoPay: None charges the customer's default method
    first_payment_id: str | None = None  # the payment taken at creation for the first period
    days_until_due: int | None = None  # invoice mode: payment terms of each cycle's invoice
    address_id: str | None = None  # None follows the customer's default address
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_on: date | None = None
    # A moved next payment date re-anchors the schedule: period ``anchor_period`` onwards
    # is counted from ``anchor_on``; the periods before keep the dates they were billed for.
    anchor_on: date | None = None
    anchor_period: int = 0
    # The period whose invoice is written but whose collection (charge, send) has not finished:
    # it keeps the subscription in the due index, so a run that stopped after the invoice and
    # before the charge is finished by the next one.
    collecting_period: int | None = None
    dunning: Dunning | None = None
    version: int = 0

    def period(self, number: int) -> Period:
        if self.anchor_on is None or number < self.anchor_period:
            return period(self.starts_on, self.frequency, number)
        moved = period(self.anchor_on, self.frequency, number - self.anchor_period)
        return replace(moved, number=number)

    def payment_date(self, number: int) -> date:
        return self.period(number).start

    @property
    def payments_left(self) -> int | None:
        return None if self.payments is None else self.payments - self.payments_made

    @property
    def product_ids(self) -> list[str]:
        return sorted({line.product_id for line in self.lines if line.product_id})

    @property
    def next_payment_on(self) -> date | None:
        """The date the next period is billed; None once nothing is left to bill."""
        if self.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
            return None
        if self.payments is not None and self.periods_billed >= self.payments:
            return None
        if self.cancel_at_period_end and self.periods_billed:
            return None
        return self.payment_date(self.periods_billed)

    @property
    def due_on(self) -> date | None:
        """When the billing run must look at it next: the period still being collected, else the
        next payment (a scheduled subscription's start)."""
        candidates = [self.next_payment_on]
        if self.collecting_period is not None:
            candidates.append(self.payment_date(self.collecting_period))
        if self.status.billable and self.cancel_at_period_end and self.current_period is not None:
            candidates.append(self.current_period.end + timedelta(days=1))  # the run cancels it then
        due = [day for day in candidates if day is not None]
        return min(due) if due else None

    @property
    def dunning_begun(self) -> Dunning | None:
        """The dunning a bookkeeper would call one: a failed charge collected again (AutoPay), or
        an overdue invoice its buyer was reminded of (invoice mode). Until the first reminder an
        invoice-mode period is only watched: it has a day for that reminder, no dunning."""
        if self.dunning is None:
            return None
        if self.collection_method is CollectionMethod.SEND_INVOICE and self.dunning.steps == 0:
            return None
        return self.dunning

    @property
    def first_reminder_on(self) -> date | None:
        """Invoice mode: the day its buyer is first reminded if the period's invoice is still unpaid."""
        watched = self.dunning if self.dunning_begun is None else None
        return watched.next_on if watched is not None and self.status.billable else None

    @property
    def dunning_due(self) -> Dunning | None:
        """The dunning whose next step (retry, overdue reminder, final action) has a date."""
        if self.status.billable and self.dunning is not None and self.dunning.next_on is not None:
            return self.dunning
        return None

    @property
    def next_period(self) -> Period:
        return self.period(self.periods_billed)

    @property
    def current_period(self) -> Period | None:
        """The period billed last; None before the first."""
        if self.periods_billed == 0:
            return None
        return self.period(self.periods_billed - 1)

    @property
    def ends_on(self) -> date | None:
        """A fixed term's end: one period after its last payment (1 March, 6 monthly payments:
        1 September); a subscription canceled at period end ends with its current period."""
        if self.ended_on is not None:
            return self.ended_on
        if self.payments is not None:
            return self.payment_date(self.payments)
        if self.cancel_at_period_end and self.current_period is not None:
            return self.current_period.end + timedelta(days=1)
        return None


@dataclass(frozen=True)
class SubscriptionFilter:
    """The list's filters, AND across properties and OR within ``statuses``; dates as ISO text."""

    statuses: tuple[str, ...] = ()
    customer_id: str | None = None
    product_id: str | None = None
    collection_method: str | None = None
    next_from: str | None = None
    next_to: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    ids: tuple[str, ...] = ()


def new_subscription(tenant_id: str, customer_id: str, currency: str, now: datetime, **details: Any) -> Subscription:
    starts_on = details["starts_on"]
    status = SubscriptionStatus.ACTIVE if starts_on <= now.date() else SubscriptionStatus.SCHEDULED
    return Subscription(
        tenant_id=tenant_id,
        id=new_id("subscription"),
        customer_id=customer_id,
        currency=currency,
        status=status,
        created_at=now,
        updated_at=now,
        **details,
    )


def billed(subscription: Subscription, number: int, now: datetime) -> Subscription:
    """Period ``number``'s invoice is written: the next payment date moves on."""
    if number != subscription.periods_billed:
        raise Conflict(f"period {number} is not the next period ({subscription.periods_billed}) to bill")
    return replace(subscription, periods_billed=number + 1, collecting_period=number, updated_at=now)


def collected(subscription: Subscription, number: int, now: datetime) -> Subscription:
    """Period ``number``'s collection finished (charged, declined, sent, or its debit answered)."""
    if subscription.collecting_period != number:
        return subscription
    return replace(subscription, collecting_period=None, updated_at=now)


@dataclass(frozen=True)
class PeriodInvoice:
    """The invoice of one period, as its lines already are: priced once, for the period they pay
    for, the one-time adjustments on the first period only. ``days_until_due`` 0 is due on
    receipt (AutoPay always is)."""

    subscription_id: str
    customer_id: str
    currency: str
    period: Period
    lines: tuple[LineItem, ...]
    adjustments: tuple[Adjustment, ...]
    days_until_due: int
    address_id: str | None
    memo: str


def period_invoice(subscription: Subscription, billed_period: Period) -> PeriodInvoice:
    """What the invoice of ``billed_period`` holds: the lines at their current terms, their start
    long decided, and the first period's one-time adjustments."""
    by_invoice = subscription.collection_method is CollectionMethod.SEND_INVOICE
    return PeriodInvoice(
        subscription_id=subscription.id,
        customer_id=subscription.customer_id,
        currency=subscription.currency,
        period=billed_period,
        lines=tuple(replace(item, billing_start=BillingStart()) for item in subscription.lines),
        adjustments=tuple(subscription.adjustments) if billed_period.number == 0 else (),
        days_until_due=(subscription.days_until_due or 0) if by_invoice else 0,
        address_id=subscription.address_id,
        memo="",  # the lines show the service period; an internal id is nothing the buyer reads
    )


def activated(subscription: Subscription, today: date, now: datetime) -> Subscription:
    """A scheduled subscription becomes active on its start date."""
    if subscription.status is SubscriptionStatus.SCHEDULED and subscription.starts_on <= today:
        return replace(subscription, status=SubscriptionStatus.ACTIVE, updated_at=now)
    return subscription


def ended_at_period_end(subscription: Subscription, today: date, now: datetime) -> Subscription:
    """A subscription canceled at the end of its period is canceled once that period is over."""
    current = subscription.current_period
    if not subscription.cancel_at_period_end or not subscription.status.billable or current is None:
        return subscription
    if current.end >= today:
        return subscription
    return replace(
        subscription, status=SubscriptionStatus.CANCELED, ended_on=current.end + timedelta(days=1), updated_at=now
    )


def paid(subscription: Subscription, paid_period: Period, now: datetime) -> Subscription:
    """The invoice of ``paid_period`` was paid: one more payment made, an unpaid subscription
    active again, a fixed term whose last payment this was expired. The same period reported
    again changes nothing, so a repeated outcome is harmless."""
    if paid_period.number == subscription.last_paid_period:
        return subscription
    made = subscription.payments_made + 1
    expired = subscription.payments is not None and made >= subscription.payments
    status = SubscriptionStatus.EXPIRED if expired else SubscriptionStatus.ACTIVE
    if subscription.status is SubscriptionStatus.CANCELED:
        status = SubscriptionStatus.CANCELED
    dunning = subscription.dunning
    if dunning is not None and dunning.period <= paid_period.number:
        dunning = None
    return replace(
        collected(subscription, paid_period.number, now),
        dunning=dunning,
        payments_made=made,
        last_paid_period=paid_period.number,
        last_payment_on=now.date(),
        status=status,
        ended_on=subscription.payment_date(made) if expired else None,
        updated_at=now,
    )


def payment_failed(
    subscription: Subscription,
    number: int,
    now: datetime,
    policy: DunningPolicy,
    *,
    payment_id: str | None = None,
    decline_code: str | None = None,
) -> Subscription:
    """The charge of period ``number`` failed: the subscription is unpaid and its dunning
    starts (a first failure) or goes on (a retry failed). A hard decline is not retried. When
    nothing is left to try, the final action applies. The same failed payment reported again
    changes nothing."""
    if not subscription.status.billable:
        return subscription
    dunning = subscription.dunning
    if payment_id is not None and dunning is not None and dunning.failed_payment_id == payment_id:
        return subscription
    today = now.date()
    hard = decline_code in HARD_DECLINES
    if dunning is None or dunning.period != number:
        dunning = Dunning(period=number, since=today, hard=hard, failed_payment_id=payment_id)
    else:
        dunning = replace(dunning, steps=dunning.steps + 1, hard=dunning.hard or hard, failed_payment_id=payment_id)
    dunning = replace(dunning, next_on=next_dunning_on(dunning, policy, today))
    after = replace(
        collected(subscription, number, now), status=SubscriptionStatus.UNPAID, dunning=dunning, updated_at=now
    )
    return after if dunning.next_on is not None else dunning_exhausted(after, policy, now)


def next_dunning_on(dunning: Dunning, policy: DunningPolicy, today: date) -> date | None:
    """The next retry (reminder) day of the policy after ``dunning.steps`` of them; after a hard
    decline, only the last day (when the final action applies); None when none is left."""
    days = policy.retry_days
    if dunning.hard:
        last = dunning.since + timedelta(days=days[-1]) if days else today
        return last if last > today else None
    if dunning.steps >= len(days):
        return None
    return dunning.since + timedelta(days=days[dunning.steps])


def dunning_exhausted(subscription: Subscription, policy: DunningPolicy, now: datetime) -> Subscription:
    """The retries ran out: the tenant's final action (the invoice stays open either way)."""
    dunning = replace(subscription.dunning, next_on=None) if subscription.dunning else None
    if policy.final_action is FinalAction.CANCEL and subscription.status.billable:
        return replace(
            subscription,
            status=SubscriptionStatus.CANCELED,
            dunning=dunning,
            canceled_at=now,
            ended_on=now.date(),
            updated_at=now,
        )
    return replace(subscription, dunning=dunning, updated_at=now)


def sent_for_payment(
    subscription: Subscription, number: int, due_date: date, policy: DunningPolicy, now: datetime
) -> Subscription:
    """Invoice mode: period ``number``'s invoice was sent; unpaid after ``due_date``, the buyer is
    reminded on the policy's days after it."""
    watch = Dunning(period=number, since=due_date)
    watch = replace(watch, next_on=next_dunning_on(watch, policy, due_date))
    return replace(collected(subscription, number, now), dunning=watch, updated_at=now)


def overdue_reminded(subscription: Subscription, policy: DunningPolicy, now: datetime) -> Subscription:
    """Invoice mode: one more overdue reminder was sent; the next on the policy's next day."""
    dunning = subscription.dunning
    if dunning is None:
        return subscription
    dunning = replace(dunning, steps=dunning.steps + 1)
    dunning = replace(dunning, next_on=next_dunning_on(dunning, policy, now.date()))
    return replace(subscription, dunning=dunning, updated_at=now)


def dunning_over(subscription: Subscription, now: datetime) -> Subscription:
    """The dunned invoice was paid or voided another way: nothing more is tried."""
    if subscription.dunning is None:
        return subscription
    return replace(subscription, dunning=None, updated_at=now)


def prorated_refund(amount: int, paid_for: Period, canceled_on: date) -> int:
    """The unused days of a paid period, in minor units, half-up. The day of cancellation
    counts as used: 29.00 for 1-31 March canceled on 10 March refunds 21/31 of it, 19.65."""
    if canceled_on < paid_for.start:
        return amount
    if canceled_on >= paid_for.end:
        return 0
    unused = (paid_for.end - canceled_on).days
    return round_half_up(Decimal(amount) * unused / paid_for.days)


def canceled(
    subscription: Subscription, mode: CancelMode, today: date, now: datetime, *, confirm: bool
) -> Subscription:
    """The caller must confirm the customer will not be charged again. Immediately (with or
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
    """Only canceled or expired subscriptions are deleted (for good)."""
    refusal = Refusal()
    if subscription.status not in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
        refusal.reasons.append(
            f"the subscription is {subscription.status.value}; cancel it first (only canceled or expired ones are "
            "deleted)"
        )
    return refusal


# The subscription export's columns, in this order; associated record ids are separated by semicolons.
EXPORT_COLUMNS: dict[str, Callable[[Subscription, date], object]] = {
    "id": lambda s, _: s.id,
    "status": lambda s, _: s.status.value,
    "customer_id": lambda s, _: s.customer_id,
    "collection_method": lambda s, _: s.collection_method.value,
    "frequency": lambda s, _: s.frequency.value,
    "currency": lambda s, _: s.currency.upper(),
    "starts_on": lambda s, _: s.starts_on.isoformat(),
    "next_payment_on": lambda s, _: s.next_payment_on.isoformat() if s.next_payment_on else "",
    "last_payment_on": lambda s, _: s.last_payment_on.isoformat() if s.last_payment_on else "",
    "payments_made": lambda s, _: s.payments_made,
    "payments_left": lambda s, _: "" if s.payments_left is None else s.payments_left,
    "ends_on": lambda s, _: s.ends_on.isoformat() if s.ends_on else "",
    "lines": lambda s, _: "; ".join(f"{line.quantity} x {line.name}" for line in s.lines),
    "product_ids": lambda s, _: ";".join(s.product_ids),
    "created_at": lambda s, _: s.created_at.isoformat(),
}
