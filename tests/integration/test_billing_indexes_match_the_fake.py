"""The billing run's indexes over moto's server against the in-memory twin the unit tests plan
from (tests/unit/fakes.py): the same subscriptions stored in both give the same ids for every
query the planner and the test clock make - due on or before a day, due on a day, in dunning,
everything scheduled, one subscription's entries - shard by shard, in the same order."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from billing.adapters.dynamodb.billing_runs import DynamoBillingRuns
from billing.adapters.dynamodb.keys import DUE_SHARDS
from billing.adapters.dynamodb.repositories import DynamoCustomerRepository
from billing.adapters.dynamodb.subscriptions import DynamoSubscriptions
from billing.domain.customers import CustomerType, new_customer
from billing.domain.periods import BillingFrequency
from billing.domain.pricing import LineItem
from billing.domain.subscriptions import (
    CancelMode,
    CollectionMethod,
    DunningPolicy,
    billed,
    canceled,
    collected,
    new_subscription,
    payment_failed,
)
from billing.domain.timeline import timeline_event
from tests.unit.fakes import InMemoryBillingRuns, InMemorySubscriptions

NOW = datetime(2026, 3, 1, 2, tzinfo=UTC)
DAYS = [date(2026, 3, 1), date(2026, 3, 21), date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 2), date(2026, 5, 1)]


def subscriptions_in_every_state(tenant_id: str, customer_id: str) -> list:
    line = LineItem("Hosting", Decimal(1), Decimal(29), BillingFrequency.MONTHLY)

    def subscription(starts_on=NOW.date(), **details):
        return new_subscription(
            tenant_id,
            customer_id,
            "eur",
            NOW,
            frequency=BillingFrequency.MONTHLY,
            starts_on=starts_on,
            lines=(line,),
            collection_method=CollectionMethod.CHARGE_AUTOMATICALLY,
            **details,
        )

    def paid_period():
        return collected(billed(subscription(), 0, NOW), 0, NOW)  # next payment 1 April

    collecting = billed(subscription(), 0, NOW)  # its first period's charge not finished
    scheduled = subscription(starts_on=date(2026, 3, 21))
    in_dunning = payment_failed(billed(subscription(), 0, NOW), 0, NOW, DunningPolicy(), payment_id="pay_x")
    ending = canceled(paid_period(), CancelMode.AT_PERIOD_END, NOW.date(), NOW, confirm=True)  # ended on 1 April
    ended = canceled(subscription(), CancelMode.IMMEDIATELY, NOW.date(), NOW, confirm=True)
    return [paid_period(), collecting, scheduled, in_dunning, ending, ended]


def answers(runs, tenant_id: str, ids: list[str]) -> dict:
    found = {}
    for shard in range(DUE_SHARDS):
        for day in DAYS:
            found[("due", shard, day)] = list(runs.due(tenant_id, shard, day))
            found[("due on", shard, day)] = list(runs.due(tenant_id, shard, day, on=True))
            found[("dunning", shard, day)] = list(runs.dunning(tenant_id, shard, day))
        found[("scheduled", shard)] = sorted(runs.scheduled(tenant_id, shard))
    for subscription_id in ids:
        found[("scheduled of", subscription_id)] = sorted(runs.scheduled_of(tenant_id, subscription_id))
    return found


def test_the_due_and_dunning_indexes_answer_as_the_in_memory_twin_does(stack):
    tenant_id = f"t{uuid.uuid4().hex[:12]}"
    customer = new_customer(tenant_id, NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    DynamoCustomerRepository().add(customer, timeline_event(customer.id, "customer.created", NOW, "u", "created"))
    stored = subscriptions_in_every_state(tenant_id, customer.id)
    dynamo, memory = DynamoSubscriptions(), InMemorySubscriptions()
    for subscription in stored:
        dynamo.add([subscription], [], None)
        memory.add([subscription], [], None)
    ids = [s.id for s in stored]

    expected = answers(DynamoBillingRuns(), tenant_id, ids)
    assert answers(InMemoryBillingRuns(memory), tenant_id, ids) == expected
    planned = {s for key, found in expected.items() if key[0] == "due" and key[2] == date(2026, 4, 1) for s in found}
    assert planned == set(ids[:5])  # all but the one canceled for good
    assert {s for key, found in expected.items() if key[0] == "dunning" for s in found} == {ids[3]}
    assert list(DynamoBillingRuns().tenants()).count(tenant_id) == 1
    assert list(InMemoryBillingRuns(memory).tenants()) == [tenant_id]
