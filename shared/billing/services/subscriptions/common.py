"""What several subscription use cases share: Billow's own caller, a subscription's timeline
entry, changing one subscription over the version read, the period paid, the checks of a
customer and a payment method, and what a period's invoice will total."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date

from billing.domain.access import Caller, Role
from billing.domain.customers import Customer, billable
from billing.domain.errors import FieldError, NotFound, ValidationFailed
from billing.domain.orders import LineOrder
from billing.domain.payments import PaymentMethod
from billing.domain.periods import BillingFrequency, BillingStart
from billing.domain.pricing import LineItem, summarize
from billing.domain.settings import TenantSettings
from billing.domain.subscriptions import Subscription, SubscriptionStatus, paid
from billing.domain.timeline import SYSTEM_ACTOR, TimelineEvent, timeline_event
from billing.domain.treatments import position_of, treated_items
from billing.ports import Clock, CustomerRepository, PaymentMethodRepository, SubscriptionRepository
from billing.services.optimistic import change_with_retry

# A changed subscription with its timeline event (the subscription itself: nothing changed).
SubscriptionChanged = tuple[Subscription, TimelineEvent | None]
SubscriptionChange = Callable[[Subscription], SubscriptionChanged]


def system_caller(tenant_id: str) -> Caller:
    """Billow itself acting for the tenant (a webhook, the buyer's page, the nightly run)."""
    return Caller(tenant_id, SYSTEM_ACTOR, Role.ADMIN)


def subscription_event(
    subscription: Subscription, event_type: str, actor: str, summary: str, clock: Clock
) -> TimelineEvent:
    """The subscription's entry on its customer's timeline."""
    return timeline_event(
        subscription.customer_id, event_type, clock.now(), actor, summary, subscription_id=subscription.id
    )


def changed_subscription(
    subscriptions: SubscriptionRepository, tenant_id: str, subscription_id: str, change: SubscriptionChange
) -> Subscription:
    """Read, change and save over the version read; a concurrent change makes it read again."""
    return change_with_retry(
        lambda: subscriptions.get(tenant_id, subscription_id),
        change,
        subscriptions.save,
        f"subscription {subscription_id}",
    )


def period_paid(
    subscriptions: SubscriptionRepository, clock: Clock, tenant_id: str, subscription_id: str, number: int
) -> None:
    """Period ``number`` of the subscription is paid (its invoice paid in full, however)."""

    def change(subscription: Subscription) -> SubscriptionChanged:
        after = paid(subscription, subscription.period(number), clock.now())
        if after is subscription:
            return subscription, None
        summary = f"Period {number + 1} paid"
        if after.status is SubscriptionStatus.EXPIRED:
            summary += "; every payment of the term is made, the subscription expired"
        return after, subscription_event(after, "subscription.period_paid", SYSTEM_ACTOR, summary, clock)

    changed_subscription(subscriptions, tenant_id, subscription_id, change)


def usable_customer(customers: CustomerRepository, caller: Caller, customer_id: str) -> Customer:
    try:
        customer = customers.get(caller.tenant_id, customer_id)
    except NotFound:
        customer = None
    return billable(customer, "customer_id")


def usable_method(
    methods: PaymentMethodRepository, caller: Caller, customer: Customer, method_id: str | None, today: date
) -> PaymentMethod:
    """AutoPay needs a method on file that has not expired."""
    chosen = method_id or customer.default_payment_method_id
    method = next((m for m in methods.list(caller.tenant_id, customer.id) if m.id == chosen), None)
    if method is None:
        raise ValidationFailed.of(
            "payment_method_id",
            "the customer has no such payment method on file"
            if method_id
            else "AutoPay needs a payment method on file: save one for the customer, give payment_method_id, "
            "or choose collection_method send_invoice",
        )
    if method.exp_year and (method.exp_year, method.exp_month) < (today.year, today.month):
        raise ValidationFailed.of("payment_method_id", f"{method.describe()} has expired; choose or add another")
    return method


def recurring_only(lines: Sequence[LineOrder], items: list[LineItem] | None = None) -> None:
    """A subscription bills recurring lines (a library product's frequency counts when the line
    gives none); one-time lines go on an invoice."""
    message = "a subscription bills recurring lines; put one-time lines on an invoice"
    if items is None:
        refused = [i for i, line in enumerate(lines) if line.billing_frequency is BillingFrequency.ONE_TIME]
    else:
        refused = [i for i, item in enumerate(items) if not item.frequency.is_recurring]
    if refused:
        raise ValidationFailed([FieldError(f"lines.{i}.billing_frequency", message) for i in refused])


def period_total(
    subscription: Subscription, number: int, today: date, settings: TenantSettings, customer: Customer
) -> int:
    """What period ``number``'s invoice will total (one-time adjustments on the first only). The
    lines are priced as that period's invoice prices them: billed once, their start long decided
    (a delayed or chosen start would otherwise price a later first payment at nothing, or refuse
    a start that is now past), their taxes under the VAT treatment of the customer as it is now."""
    position = position_of(settings, customer, subscription.address_id)
    items = [
        replace(item.as_one_time(), billing_start=BillingStart())
        for item in treated_items(list(subscription.lines), position, settings.language)
    ]
    adjustments = subscription.adjustments if number == 0 else ()
    return summarize(items, adjustments, subscription.currency, today).due_now.total
