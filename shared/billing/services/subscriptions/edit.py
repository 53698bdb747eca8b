"""Editing a subscription: its lines (from the next period on), the next payment date, the
payment method, and the customer's address it bills to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, FieldError, ValidationFailed
from billing.domain.orders import LineOrder
from billing.domain.pricing import LineItem, summarize
from billing.domain.subscriptions import Subscription, SubscriptionStatus
from billing.ports import Clock, CustomerRepository, PaymentMethodRepository, SubscriptionRepository
from billing.services.pricing import PricingService
from billing.services.subscriptions.common import (
    SubscriptionChanged,
    changed_subscription,
    recurring_only,
    subscription_event,
    usable_method,
)


@dataclass(frozen=True)
class SubscriptionEdits:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    methods: PaymentMethodRepository
    pricing: PricingService
    clock: Clock

    def update(self, caller: Caller, subscription_id: str, changes: Mapping[str, Any]) -> Subscription:
        """``changes`` are the fields a PATCH sent, the lines as written orders."""
        caller.require(Permission.WRITE)
        today = self.clock.now().date()

        def change(subscription: Subscription) -> SubscriptionChanged:
            if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
                raise Conflict(f"subscription {subscription.id} is {subscription.status.value}; it is not edited")
            updates: dict[str, Any] = {}
            said = []
            if "lines" in changes:
                updates["lines"] = self._edited_lines(caller, subscription, changes["lines"])
                said.append("line items (from the next period on)")
            if "payment_method_id" in changes:
                customer = self.customers.get(caller.tenant_id, subscription.customer_id)
                method = usable_method(self.methods, caller, customer, changes["payment_method_id"], today)
                updates["payment_method_id"] = method.id
                said.append(f"payment method {method.describe()}")
            if "address_id" in changes:
                customer = self.customers.get(caller.tenant_id, subscription.customer_id)
                address_id = changes["address_id"]
                if address_id is not None and address_id not in customer.addresses:
                    raise ValidationFailed.of("address_id", "the customer has no such address")
                updates["address_id"] = address_id
                said.append("billing address")
            if "next_payment_date" in changes:
                updates |= _moved_schedule(subscription, changes["next_payment_date"], today)
                said.append(f"next payment date {changes['next_payment_date']}")
            if not updates:
                return subscription, None
            after = replace(subscription, **updates, updated_at=self.clock.now())
            summary = "Changed " + ", ".join(said)
            return after, subscription_event(after, "subscription.updated", caller.user_id, summary, self.clock)

        return changed_subscription(self.subscriptions, caller.tenant_id, subscription_id, change)

    def _edited_lines(
        self, caller: Caller, subscription: Subscription, lines: Sequence[LineOrder]
    ) -> tuple[LineItem, ...]:
        default_rate = self.pricing.settings.get(caller.tenant_id).default_tax_rate_id
        items, _ = self.pricing.document_items(
            caller.tenant_id, subscription.currency, lines, [], default_tax_rate_id=default_rate
        )
        recurring_only(lines, items)
        errors = [
            FieldError(f"lines.{i}.billing_frequency", f"must be {subscription.frequency.value}, as the subscription")
            for i, item in enumerate(items)
            if item.frequency is not subscription.frequency
        ]
        errors += [
            FieldError(f"lines.{i}.{name}", "is the subscription's; not set per line when editing")
            for i, line in enumerate(lines)
            for name in ("payments", "billing_start")
            if getattr(line, name)
        ]
        if errors:
            raise ValidationFailed(errors)
        summarize(items, [], subscription.currency, self.clock.now().date())  # every line priceable
        return tuple(replace(item, payments=subscription.payments) for item in items)


def _moved_schedule(subscription: Subscription, next_on: date, today: date) -> dict[str, Any]:
    """A new next payment date: the schedule continues from it (the periods billed so far keep
    their dates)."""
    if next_on < today:
        raise ValidationFailed.of("next_payment_date", "must not lie in the past")
    current = subscription.current_period
    if current is not None and next_on <= current.start:
        raise ValidationFailed.of("next_payment_date", "must be after the start of the period billed last")
    updates: dict[str, Any] = {"anchor_on": next_on, "anchor_period": subscription.periods_billed}
    if subscription.periods_billed == 0:
        updates = {"starts_on": next_on, "anchor_on": None, "anchor_period": 0}
        if subscription.status is SubscriptionStatus.SCHEDULED and next_on <= today:
            updates["status"] = SubscriptionStatus.ACTIVE
        if subscription.status is SubscriptionStatus.ACTIVE and next_on > today:
            updates["status"] = SubscriptionStatus.SCHEDULED
    return updates
