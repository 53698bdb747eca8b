"""The payment adapters against real HTTP: concurrent webhook claims on DynamoDB, and Stripe
network failures translated into the retryable domain error."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from billing.adapters.dynamodb.payments import DynamoWebhookLog
from billing.adapters.stripe.gateway import StripeGateway
from billing.domain.errors import ProcessorUnavailable
from local.stack import free_port


def test_ten_concurrent_deliveries_of_one_event_are_claimed_once(stack):
    log = DynamoWebhookLog()
    event_id = f"evt_{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=10) as pool:
        claims = list(pool.map(lambda _: log.claim(event_id, "payment_intent.succeeded"), range(10)))
    assert claims.count(True) == 1
    log.finish(event_id, "done")
    assert log.claim(event_id, "payment_intent.succeeded") is False


def test_a_failed_claim_can_be_taken_again(stack):
    log = DynamoWebhookLog()
    event_id = f"evt_{uuid.uuid4().hex}"
    assert log.claim(event_id, "charge.refunded")
    log.fail(event_id, "RuntimeError: boom")
    assert log.claim(event_id, "charge.refunded")


def test_an_unreachable_stripe_is_a_retryable_error(stack):
    dead = StripeGateway("sk_test_x", "whsec_x", api_base=f"http://127.0.0.1:{free_port()}", max_network_retries=0)
    with pytest.raises(ProcessorUnavailable):
        dead.charge(
            "acct_x",
            processor_customer_id="cus_x",
            method_id="pm_x",
            amount=100,
            currency="eur",
            idempotency_key="k",
            metadata={},
            description="",
        )
