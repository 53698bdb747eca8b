"""DynamoDB repositories for processor connections, payment methods, payments and the webhook log."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import OnCondition, translated
from billing.adapters.dynamodb.models import (
    BillowItem,
    ByCustomerIndex,
    ByStatusIndex,
    ConnectionItem,
    ConnectStateItem,
    GuardItem,
    PaymentItem,
    PaymentMethodItem,
    WebhookEventItem,
)
from billing.adapters.dynamodb.repositories import _event_item, _page, _start_after, _Table, domain_record, stored_item
from billing.domain.errors import Conflict, NotFound, RequestTaken
from billing.domain.ids import is_valid_id
from billing.domain.paging import Page
from billing.domain.payments import Payment, PaymentMethod
from billing.domain.timeline import TimelineEvent

PROVIDER = "stripe"
WEBHOOK_RECORD_DAYS = 30
STALLED_CLAIM_SECONDS = 120


def _by_external_id(tenant_id: str, external_id: str) -> BillowItem | None:
    """The item a processor id belongs to (keys and kind only: the index projects no more)."""
    with translated("processor id"):
        found = list(BillowItem.by_external_id.query(keys.external_id_key(tenant_id, PROVIDER, external_id), limit=1))
    return found[0] if found else None


class DynamoProcessorConnections(_Table):
    def account_of(self, tenant_id: str) -> str | None:
        with translated("stripe connection"):
            try:
                # The connection's keys hold a ConnectionItem (its discriminator picks the class).
                item = cast(ConnectionItem, BillowItem.get(keys.tenant_pk(tenant_id), keys.connection_sk(PROVIDER)))
                return item.account
            except DoesNotExist:
                return None

    def tenant_of(self, account: str) -> str | None:
        with translated("stripe connection"):
            try:
                reverse = cast(ConnectionItem, BillowItem.get(keys.account_pk(PROVIDER, account), keys.META))
                return reverse.tenant_id
            except DoesNotExist:
                return None

    def remember_state(self, state: str, tenant_id: str, return_url: str | None, expires_at: datetime) -> None:
        item = ConnectStateItem(
            pk=keys.connect_state_pk(state),
            sk=keys.META,
            tenant_id=tenant_id,
            return_url=return_url,
            expires_at=expires_at,
        )
        with translated("stripe connect state"):
            item.save(condition=ConnectStateItem.pk.does_not_exist())

    def take_state(self, state: str) -> tuple[str, str | None] | None:
        """The tenant and return URL a state was issued for, once: taking it deletes it, and a
        second callback with the same state (or one past its time) finds nothing."""
        try:
            with translated("stripe connect state"):
                item = ConnectStateItem.get(keys.connect_state_pk(state), keys.META, consistent_read=True)
                item.delete(condition=ConnectStateItem.pk.exists())
        except (DoesNotExist, Conflict):
            return None
        if item.expires_at < datetime.now(UTC):  # TTL deletes lazily: an expired state may still be there
            return None
        return item.tenant_id, item.return_url

    def connect(self, tenant_id: str, account: str, previous: str | None) -> None:
        """Both directions in one transaction; an account serves one tenant only."""
        now = datetime.now(UTC)
        forward = ConnectionItem(
            pk=keys.tenant_pk(tenant_id),
            sk=keys.connection_sk(PROVIDER),
            tenant_id=tenant_id,
            account=account,
            connected_at=now,
        )
        reverse = ConnectionItem(
            pk=keys.account_pk(PROVIDER, account), sk=keys.META, tenant_id=tenant_id, account=account, connected_at=now
        )
        on_condition: OnCondition = [None]
        with translated("stripe connection", on_condition), self._transaction() as tx:
            tx.save(forward)
            if previous and previous != account:
                tx.delete(ConnectionItem(pk=keys.account_pk(PROVIDER, previous), sk=keys.META))
                on_condition.append(None)
            tx.save(reverse, condition=ConnectionItem.pk.does_not_exist() | (ConnectionItem.tenant_id == tenant_id))
            on_condition.append(lambda: Conflict(f"Stripe account {account} is connected to another tenant"))


def _method_item(tenant_id: str, m: PaymentMethod) -> PaymentMethodItem:
    return stored_item(
        PaymentMethodItem,
        m,
        pk=keys.customer_pk(tenant_id, m.customer_id),
        sk=keys.payment_method_sk(m.id),
        gsi3pk=keys.external_id_key(tenant_id, PROVIDER, m.id),
        tenant_id=tenant_id,
    )


class DynamoPaymentMethods(_Table):
    def list(self, tenant_id: str, customer_id: str) -> list[PaymentMethod]:
        with translated("payment methods"):
            items = PaymentMethodItem.query(
                keys.customer_pk(tenant_id, customer_id), PaymentMethodItem.sk.startswith(keys.PAYMENT_METHOD_PREFIX)
            )
            return sorted((domain_record(PaymentMethod, i) for i in items), key=lambda m: m.created_at)

    def owner_of(self, tenant_id: str, method_id: str) -> str | None:
        found = _by_external_id(tenant_id, method_id)
        return found.pk.rsplit("#CUS#", 1)[1] if found else None

    def customer_of_processor_customer(self, tenant_id: str, processor_customer_id: str) -> str | None:
        found = _by_external_id(tenant_id, processor_customer_id) if processor_customer_id else None
        return found.pk.rsplit("#CUS#", 1)[1] if found and found.sk == keys.META else None

    def save(self, tenant_id: str, method: PaymentMethod, event: TimelineEvent | None) -> None:
        with translated("payment method"), self._transaction() as tx:
            tx.save(_method_item(tenant_id, method))
            if event is not None:
                tx.save(_event_item(tenant_id, event))

    def add(self, tenant_id: str, method: PaymentMethod, event: TimelineEvent) -> None:
        with translated("payment method"), self._transaction() as tx:
            tx.save(_method_item(tenant_id, method), condition=PaymentMethodItem.pk.does_not_exist())
            tx.save(_event_item(tenant_id, event))

    def remove(self, tenant_id: str, method: PaymentMethod, event: TimelineEvent) -> None:
        with translated("payment method"), self._transaction() as tx:
            tx.delete(_method_item(tenant_id, method))
            tx.save(_event_item(tenant_id, event))


def payment_item(p: Payment) -> PaymentItem:
    t = p.tenant_id
    created = p.created_at.isoformat()
    return stored_item(
        PaymentItem,
        p,
        pk=keys.payment_pk(t, p.id),
        sk=keys.META,
        gsi1pk=keys.customer_pk(t, p.customer_id),
        gsi1sk=keys.by_customer_sk(keys.PAYMENT_PREFIX, created, p.id),
        gsi2pk=keys.payment_list_pk(t),
        gsi2sk=f"{created}#{p.id}",
        gsi3pk=keys.external_id_key(t, PROVIDER, p.processor_payment_id) if p.processor_payment_id else None,
    )


class DynamoPayments(_Table):
    def add(self, payment: Payment, event: TimelineEvent, request_key: str | None = None) -> Payment:
        return self._write(payment, event, request_key)

    def for_request(self, tenant_id: str, request_key: str) -> Payment | None:
        with translated("payment"):
            try:
                guard = GuardItem.get(*keys.request_guard(tenant_id, "charge", request_key), consistent_read=True)
            except DoesNotExist:
                return None
        return self.get(tenant_id, guard.owner_id)

    def get(self, tenant_id: str, payment_id: str) -> Payment:
        if not is_valid_id("payment", payment_id):
            raise NotFound(f"payment {payment_id} not found")
        with translated("payment"):
            try:
                item = BillowItem.get(keys.payment_pk(tenant_id, payment_id), keys.META, consistent_read=True)
                return domain_record(Payment, item)
            except DoesNotExist:
                raise NotFound(f"payment {payment_id} not found") from None

    def by_processor_reference(self, tenant_id: str, reference: str) -> Payment | None:
        found = _by_external_id(tenant_id, reference)
        if found is None:
            return None
        with translated("payment"):
            try:
                return domain_record(Payment, BillowItem.get(found.pk, found.sk, consistent_read=True))
            except DoesNotExist:
                return None

    def save(self, payment: Payment, event: TimelineEvent | None) -> Payment:
        return self._write(payment, event)

    def _write(self, payment: Payment, event: TimelineEvent | None, request_key: str | None = None) -> Payment:
        """The payment (over its version), its timeline entry, and the guard naming it for a request."""
        on_condition: OnCondition = [None]
        with translated("payment", on_condition), self._transaction() as tx:
            tx.save(payment_item(payment))
            if event is not None:
                tx.save(_event_item(payment.tenant_id, event))
                on_condition.append(None)
            if request_key is not None:
                pk, sk = keys.request_guard(payment.tenant_id, "charge", request_key)
                guard = GuardItem(pk=pk, sk=sk, owner_id=payment.id)
                tx.save(guard, condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: RequestTaken(request_key))
        return replace(payment, version=payment.version + 1)

    def list(
        self, tenant_id: str, *, status: str | None, customer_id: str | None, limit: int, cursor: str | None
    ) -> Page[Payment]:
        after = _start_after(cursor, "payment")
        status_filter = PaymentItem.status == status if status else None
        index: ByCustomerIndex | ByStatusIndex
        with translated("payments"):
            if customer_id:
                index, hash_key = BillowItem.by_customer, keys.customer_pk(tenant_id, customer_id)
                range_condition = BillowItem.gsi1sk.startswith(keys.PAYMENT_PREFIX)
            else:
                index, hash_key, range_condition = BillowItem.by_status, keys.payment_list_pk(tenant_id), None
            start = self._start_key(tenant_id, after) if after else None
            results = index.query(
                hash_key,
                range_condition,
                filter_condition=status_filter,
                limit=limit,
                last_evaluated_key=start,
                scan_index_forward=False,
            )
            items, next_cursor = _page(results, lambda i: i.id)
        return Page([domain_record(Payment, i) for i in items], next_cursor)

    def _start_key(self, tenant_id: str, payment_id: str) -> dict:
        """Index positions are rebuilt from the payment itself, never taken from the client."""
        payment = self.get(tenant_id, payment_id)
        item = payment_item(payment)
        return {name: {"S": getattr(item, name)} for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")}


class DynamoWebhookLog(_Table):
    def claim(self, event_id: str, event_type: str) -> bool:
        now = int(time.time())
        item = WebhookEventItem(
            pk=keys.webhook_event_pk(PROVIDER, event_id),
            sk=keys.META,
            event_type=event_type,
            status="processing",
            claimed_at=now,
            attempts=1,
            expires_at=timedelta(days=WEBHOOK_RECORD_DAYS),
        )
        condition = (
            WebhookEventItem.pk.does_not_exist()
            | (WebhookEventItem.status == "failed")
            | ((WebhookEventItem.status == "processing") & (WebhookEventItem.claimed_at < now - STALLED_CLAIM_SECONDS))
        )
        try:
            with translated("webhook event"):
                item.save(condition=condition)
        except Conflict:
            return False
        return True

    def finish(self, event_id: str, outcome: str) -> None:
        self._set(event_id, "done", outcome)

    def fail(self, event_id: str, error: str) -> None:
        self._set(event_id, "failed", error[:500])

    def _set(self, event_id: str, status: str, outcome: str) -> None:
        item = WebhookEventItem(pk=keys.webhook_event_pk(PROVIDER, event_id), sk=keys.META)
        with translated("webhook event"):
            item.update(actions=[WebhookEventItem.status.set(status), WebhookEventItem.outcome.set(outcome)])
