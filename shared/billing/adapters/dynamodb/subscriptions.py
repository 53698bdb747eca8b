"""DynamoDB repository of subscriptions: one item each under its own partition, on
the customer's "by customer" index (what the deletion guard counts), the tenant's list, and
the sharded due index the nightly run reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import translated
from billing.adapters.dynamodb.models import (
    BillowItem,
    CustomerItem,
    GuardItem,
    SubscriptionItem,
    SubscriptionLinkItem,
)
from billing.adapters.dynamodb.repositories import (
    RecordList,
    _and,
    _event_item,
    customer_touch,
    domain_record,
    stored_item,
)
from billing.domain.errors import NotFound, RequestTaken, StaleWrite, ValidationFailed
from billing.domain.ids import is_valid_id
from billing.domain.subscriptions import Subscription, SubscriptionFilter
from billing.domain.timeline import TimelineEvent


def subscription_item(subscription: Subscription) -> SubscriptionItem:
    t = subscription.tenant_id
    created = subscription.created_at.isoformat()
    due = subscription.due_on
    dunning = subscription.dunning_due
    dunning_on = dunning.next_on if dunning else None  # a dunning that is due has its next date
    return stored_item(
        SubscriptionItem,
        subscription,
        pk=keys.subscription_pk(t, subscription.id),
        sk=keys.META,
        gsi1pk=keys.customer_pk(t, subscription.customer_id),
        gsi1sk=keys.by_customer_sk(keys.SUBSCRIPTION_PREFIX, created, subscription.id),
        gsi2pk=keys.subscription_list_pk(t),
        gsi2sk=keys.created_sk(created, subscription.id),
        gsi4pk=keys.due_pk(t, subscription.id) if due else None,
        gsi4sk=keys.due_sk(due.isoformat(), subscription.id) if due else None,
        gsi5pk=keys.dunning_pk(t, subscription.id) if dunning_on else None,
        gsi5sk=keys.due_sk(dunning_on.isoformat(), subscription.id) if dunning_on else None,
    )


def _subscription(item: BillowItem) -> Subscription:
    return domain_record(Subscription, item)


class DynamoSubscriptions(RecordList[Subscription, SubscriptionItem, SubscriptionFilter]):
    kind, what, prefix = "subscription", "subscriptions", keys.SUBSCRIPTION_PREFIX

    def add(self, subscriptions: Sequence[Subscription], events: Sequence[TimelineEvent], request_key: str | None):
        """New subscriptions of one customer, their timeline entries and, with a ``request_key``,
        the guard naming them for that request, in one transaction that needs the customer and
        moves its version on."""
        first = subscriptions[0]
        t = first.tenant_id
        on_condition: list = []
        with translated("subscription", on_condition), self._transaction() as tx:
            for subscription in subscriptions:
                tx.save(subscription_item(subscription), condition=SubscriptionItem.pk.does_not_exist())
                on_condition.append(None)
            for event in events:
                tx.save(_event_item(t, event))
                on_condition.append(None)
            # The nightly planner finds the tenant here (written again with each order: no condition).
            tx.save(GuardItem(pk=keys.BILLING_TENANTS, sk=keys.tenant_pk(t), owner_id=t))
            on_condition.append(None)
            if request_key is not None:
                owners = ",".join(s.id for s in subscriptions)
                pk, sk = keys.request_guard(t, "subscription", request_key)
                guard = GuardItem(pk=pk, sk=sk, owner_id=owners)
                tx.save(guard, condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: RequestTaken(request_key))
            tx.update(
                customer_touch(t, first.customer_id),
                actions=[],
                condition=CustomerItem.pk.exists(),
                add_version_condition=False,
            )
            on_condition.append(lambda: ValidationFailed.of("customer_id", "the customer was deleted meanwhile"))
        return [replace(s, version=s.version + 1) for s in subscriptions]

    def for_request(self, tenant_id: str, request_key: str) -> list[Subscription] | None:
        with translated("subscription"):
            try:
                guard = GuardItem.get(*keys.request_guard(tenant_id, "subscription", request_key))
            except DoesNotExist:
                return None
        return [self.get(tenant_id, subscription_id) for subscription_id in guard.owner_id.split(",")]

    def get(self, tenant_id: str, subscription_id: str) -> Subscription:
        if not is_valid_id("subscription", subscription_id):
            raise NotFound(f"subscription {subscription_id} not found")
        with translated("subscription"):
            try:
                pk = keys.subscription_pk(tenant_id, subscription_id)
                item = BillowItem.get(pk, keys.META, consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"subscription {subscription_id} not found") from None
        return _subscription(item)

    def save(self, subscription: Subscription, event: TimelineEvent | None = None) -> Subscription:
        """Over the version read (StaleWrite otherwise), with its timeline entry."""
        with translated("subscription"), self._transaction() as tx:
            tx.save(subscription_item(subscription))
            if event is not None:
                tx.save(_event_item(subscription.tenant_id, event))
        return replace(subscription, version=subscription.version + 1)

    def delete(self, subscription: Subscription, event: TimelineEvent) -> None:
        with translated("subscription"), self._transaction() as tx:
            tx.delete(subscription_item(subscription))
            tx.save(_event_item(subscription.tenant_id, event))

    def claim_reminder(self, tenant_id: str, period_key: str) -> bool:
        """True the first time a period's reminder is claimed, False ever after (once per period)."""
        guard = GuardItem(pk=keys.tenant_pk(tenant_id), sk=keys.reminder_sk(period_key), owner_id=period_key)
        try:
            with translated("reminder"):
                guard.save(condition=GuardItem.pk.does_not_exist())
        except StaleWrite:
            return False
        return True

    def add_link(self, tenant_id: str, subscription_id: str, token: str, expires_at: datetime) -> None:
        item = SubscriptionLinkItem(
            pk=keys.method_link_pk(token),
            sk=keys.META,
            tenant_id=tenant_id,
            subscription_id=subscription_id,
            valid_until=expires_at,
            expires_at=expires_at,
        )
        with translated("payment-method link"):
            item.save(condition=SubscriptionLinkItem.pk.does_not_exist())

    def by_link(self, token: str) -> tuple[str, str, datetime] | None:
        with translated("payment-method link"):
            try:
                item = SubscriptionLinkItem.get(keys.method_link_pk(token), keys.META)
            except DoesNotExist:
                return None
        return item.tenant_id, item.subscription_id, item.valid_until

    def _list_pk(self, tenant_id: str) -> str:
        return keys.subscription_list_pk(tenant_id)

    def _item_of(self, record: Subscription) -> SubscriptionItem:
        return subscription_item(record)

    def _record_of(self, item: SubscriptionItem) -> Subscription:
        return _subscription(item)

    def _filter(self, where: SubscriptionFilter) -> Condition | None:
        return _filter(where)


def _filter(where: SubscriptionFilter) -> Condition | None:
    conditions: list[Condition] = []
    if where.statuses:
        conditions.append(SubscriptionItem.status.is_in(*where.statuses))
    if where.product_id:
        conditions.append(SubscriptionItem.product_ids.contains(where.product_id))
    if where.collection_method:
        conditions.append(SubscriptionItem.collection_method == where.collection_method)
    if where.next_from:
        conditions.append(SubscriptionItem.next_payment_on >= where.next_from)
    if where.next_to:
        conditions.append(SubscriptionItem.next_payment_on <= where.next_to)
    if where.ids:
        conditions.append(SubscriptionItem.id.is_in(*where.ids))
    return _and(*conditions)
