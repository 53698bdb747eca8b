"""The safety rules of the DynamoDB adapters over real HTTP (moto's server): optimistic saves,
stalled webhook claims, processor ids and request keys kept per tenant."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.models import WebhookEventItem
from billing.adapters.dynamodb.payments import STALLED_CLAIM_SECONDS, DynamoPayments, DynamoWebhookLog
from billing.adapters.dynamodb.repositories import DynamoCustomerRepository
from billing.domain.customers import CustomerType, new_customer
from billing.domain.errors import RequestTaken, StaleWrite
from billing.domain.payments import PaymentStatus, ProcessorPayment, new_payment
from billing.domain.timeline import timeline_event

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def tenant() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


def entry(customer_id: str, what: str = "customer.updated"):
    return timeline_event(customer_id, what, NOW, "user_1", what)


def stored_payment(payments: DynamoPayments, tenant_id: str, reference: str | None = None, request_key=None):
    payment = new_payment(tenant_id, "cus_01JD3Q6W5X8Y9Z0A1B2C3D4E5F", 1000, "eur", NOW)
    payment = payments.add(payment, entry(payment.customer_id, "payment.created"), request_key=request_key)
    if reference:
        state = ProcessorPayment(reference, "succeeded", 1000, "eur")
        payment = payments.save(payment.following(state, NOW), None)
    return payment


def test_two_edits_of_one_customer_read_at_the_same_version_the_second_is_refused(stack):
    customers = DynamoCustomerRepository()
    customer = new_customer(tenant(), NOW, CustomerType.COMPANY, company_name="Muster GmbH")
    customers.add(customer, entry(customer.id, "customer.created"))
    first, second = customers.get(customer.tenant_id, customer.id), customers.get(customer.tenant_id, customer.id)
    customers.save(replace(first, company_name="Muster AG"), entry(customer.id), previous_debtor_number=None)
    with pytest.raises(StaleWrite):
        customers.save(replace(second, company_name="Lost Update"), entry(customer.id), previous_debtor_number=None)
    assert customers.get(customer.tenant_id, customer.id).company_name == "Muster AG"


def test_two_saves_of_one_payment_read_at_the_same_version_the_second_is_refused(stack):
    payments = DynamoPayments()
    payment = stored_payment(payments, tenant())
    first = payments.get(payment.tenant_id, payment.id)
    second = payments.get(payment.tenant_id, payment.id)
    payments.save(first.following(ProcessorPayment("pi_1", "succeeded", 1000, "eur"), NOW), None)
    stale = second.following(ProcessorPayment("pi_1", "requires_payment_method", 1000, "eur", failure_code="x"), NOW)
    with pytest.raises(StaleWrite):
        payments.save(stale, None)
    assert payments.get(payment.tenant_id, payment.id).status is PaymentStatus.SUCCEEDED


def test_a_claim_stalled_past_its_time_is_taken_over_and_a_fresh_one_is_not(stack):
    log = DynamoWebhookLog()
    event_id = f"evt_{uuid.uuid4().hex}"
    assert log.claim(event_id, "payment_intent.succeeded")
    assert not log.claim(event_id, "payment_intent.succeeded")  # being processed right now
    item = WebhookEventItem.get(keys.webhook_event_pk("stripe", event_id), keys.META)
    item.update(actions=[WebhookEventItem.claimed_at.set(item.claimed_at - STALLED_CLAIM_SECONDS + 5)])
    assert not log.claim(event_id, "payment_intent.succeeded")  # slow, not stalled
    item.update(actions=[WebhookEventItem.claimed_at.set(item.claimed_at - STALLED_CLAIM_SECONDS - 10)])
    assert log.claim(event_id, "payment_intent.succeeded")  # the worker died: take it over
    assert not log.claim(event_id, "payment_intent.succeeded")


def test_a_processor_reference_finds_the_payment_of_its_own_tenant_only(stack):
    payments = DynamoPayments()
    reference = f"pi_{uuid.uuid4().hex}"
    mine, other = tenant(), tenant()
    payment = stored_payment(payments, mine, reference)
    assert payments.by_processor_reference(mine, reference).id == payment.id
    assert payments.by_processor_reference(other, reference) is None


def test_a_request_key_names_one_payment_of_one_tenant(stack):
    payments = DynamoPayments()
    mine, other = tenant(), tenant()
    payment = stored_payment(payments, mine, request_key="order-7")
    with pytest.raises(RequestTaken):
        stored_payment(payments, mine, request_key="order-7")
    assert payments.for_request(mine, "order-7").id == payment.id
    assert payments.for_request(other, "order-7") is None
    assert stored_payment(payments, other, request_key="order-7").id != payment.id
