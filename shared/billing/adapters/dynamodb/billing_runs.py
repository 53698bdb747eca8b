"""DynamoDB side of the billing run: the due index read shard by shard, and the run records whose
counts every worker moves with atomic ADDs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

from pynamodb.exceptions import DoesNotExist

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import translated
from billing.adapters.dynamodb.models import BillingRunItem, BillowItem, GuardItem, TestClockItem
from billing.adapters.dynamodb.repositories import _Table, domain_record
from billing.domain.billing_runs import BillingRun, Outcome
from billing.domain.errors import NotFound
from billing.domain.paging import Page

RUN_ID = re.compile(r"^run_\d{4}-\d{2}-\d{2}$")


def _run_key(tenant_id: str, run_id: str) -> BillingRunItem:
    return BillingRunItem(pk=keys.tenant_pk(tenant_id), sk=keys.billing_run_sk(run_id))


class DynamoBillingRuns(_Table):
    def due(self, tenant_id: str, shard: int, on_or_before: date, on: bool = False) -> Iterator[str]:
        """The ids of the tenant's subscriptions in one shard of the due index whose next payment
        (or start) is on or before the date (or, with ``on``, on that very date), oldest first."""
        day = on_or_before.isoformat()
        condition = BillowItem.gsi4sk.between(day, f"{day}~") if on else BillowItem.gsi4sk <= f"{day}~"
        with translated("due subscriptions"):
            for item in BillowItem.due_for_billing.query(keys.due_shard_pk(tenant_id, shard), condition):
                yield item.gsi4sk.split("#", 1)[1]

    def dunning(self, tenant_id: str, shard: int, on_or_before: date) -> Iterator[str]:
        """The ids of the tenant's subscriptions in one shard whose next retry (or overdue
        reminder, or final action) is on or before the date."""
        condition = BillowItem.gsi5sk <= f"{on_or_before.isoformat()}~"
        with translated("subscriptions in dunning"):
            for item in BillowItem.in_dunning.query(keys.dunning_shard_pk(tenant_id, shard), condition):
                yield item.gsi5sk.split("#", 1)[1]

    def scheduled(self, tenant_id: str, shard: int) -> Iterator[tuple[date, str, bool]]:
        """Everything one shard of the tenant has scheduled: (day, subscription, whether it is a
        dunning day) from its due index and its dunning index."""
        with translated("scheduled days"):
            for item in BillowItem.due_for_billing.query(keys.due_shard_pk(tenant_id, shard)):
                day, subscription_id = item.gsi4sk.split("#", 1)
                yield date.fromisoformat(day), subscription_id, False
            for item in BillowItem.in_dunning.query(keys.dunning_shard_pk(tenant_id, shard)):
                day, subscription_id = item.gsi5sk.split("#", 1)
                yield date.fromisoformat(day), subscription_id, True

    def scheduled_of(self, tenant_id: str, subscription_id: str) -> list[tuple[date, str, bool]]:
        """One subscription's entries in the two indexes, read from its item."""
        with translated("scheduled days"):
            try:
                item = BillowItem.get(keys.subscription_pk(tenant_id, subscription_id), keys.META, consistent_read=True)
            except DoesNotExist:
                return []
        entries = [(item.gsi4sk, False), (item.gsi5sk, True)]
        return [(date.fromisoformat(sk.split("#", 1)[0]), subscription_id, dunning) for sk, dunning in entries if sk]

    def tenants(self) -> Iterator[str]:
        """Every tenant that ever had a subscription."""
        with translated("billing tenants"):
            for item in GuardItem.query(keys.BILLING_TENANTS):
                yield item.owner_id

    def started(self, tenant_id: str, run_id: str, run_date: date, now: datetime) -> None:
        """The run's record, made by the first run of the date; later ones add to it."""
        item = _run_key(tenant_id, run_id)
        with translated("billing run"):
            item.update(
                actions=[
                    BillingRunItem.tenant_id.set(tenant_id),
                    BillingRunItem.id.set(run_id),
                    BillingRunItem.run_date.set(run_date.isoformat()),
                    BillingRunItem.started_at.set(BillingRunItem.started_at | now),
                    BillingRunItem.updated_at.set(now),
                    BillingRunItem.kind.set(BillingRunItem),
                ]
            )

    def counted(self, tenant_id: str, run_id: str, outcomes: dict[Outcome, int], now: datetime, error: str = ""):
        actions = [getattr(BillingRunItem, o.value).add(n) for o, n in outcomes.items() if n]
        actions.append(BillingRunItem.updated_at.set(now))
        if error:
            actions.append(BillingRunItem.last_error.set(error[:500]))
        with translated("billing run"):
            _run_key(tenant_id, run_id).update(actions=actions)

    def get(self, tenant_id: str, run_id: str) -> BillingRun:
        if not RUN_ID.match(run_id):
            raise NotFound(f"billing run {run_id} not found")
        with translated("billing run"):
            try:
                item = BillingRunItem.get(keys.tenant_pk(tenant_id), keys.billing_run_sk(run_id), consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"billing run {run_id} not found") from None
        return domain_record(BillingRun, item)

    def list(self, tenant_id: str, *, limit: int, cursor: str | None) -> Page[BillingRun]:
        start = None
        if cursor:
            if not RUN_ID.match(cursor):
                from billing.domain.errors import ValidationFailed

                raise ValidationFailed.of("cursor", "is not a cursor this API issued")
            start = {"pk": {"S": keys.tenant_pk(tenant_id)}, "sk": {"S": keys.billing_run_sk(cursor)}}
        with translated("billing runs"):
            results = BillingRunItem.query(
                keys.tenant_pk(tenant_id),
                BillingRunItem.sk.startswith(keys.RUN_PREFIX),
                scan_index_forward=False,
                limit=limit,
                last_evaluated_key=start,
            )
            items = list(results)
        next_cursor = items[-1].id if results.last_evaluated_key is not None and items else None
        return Page([domain_record(BillingRun, i) for i in items], next_cursor)


class DynamoTestClocks(_Table):
    """Sandbox tenants' test clocks, one item under each tenant's partition."""

    def today_of(self, tenant_id: str) -> date | None:
        with translated("test clock"):
            try:
                item = TestClockItem.get(keys.tenant_pk(tenant_id), keys.TEST_CLOCK, consistent_read=True)
            except DoesNotExist:
                return None
        return date.fromisoformat(item.today)

    def moved(self, tenant_id: str, today: date, now: datetime) -> None:
        item = TestClockItem(pk=keys.tenant_pk(tenant_id), sk=keys.TEST_CLOCK, today=today.isoformat(), updated_at=now)
        with translated("test clock"):
            item.save()
