"""The nightly billing run at scale: N subscriptions of one tenant seeded straight into
the embedded table, all due on one date, planned by the run and billed in the worker's batches of
ten, as on AWS (handed over in process: moto's SQS walks its whole queue for every message it
hands out). Prints the wall time, the DynamoDB requests and written items per billed subscription,
the Stripe requests per charge, the partition key that took the most writes, and from it the
projected time of a million subscriptions on AWS.

    make bench                                   (all benchmarks; this one last)
    BENCH_SUBSCRIPTIONS=20000 .venv/bin/python -m bench billing_run

BENCH_SUBSCRIPTIONS (10,000) are billed in invoice mode, BENCH_AUTOPAY_SUBSCRIPTIONS (1,000; each
costs a Stripe stand-in charge too) with AutoPay; 0 skips either.

moto is the floor here, not DynamoDB: every GSI query walks its whole table, and one Python
process plays DynamoDB, SQS, SES, S3, Stripe and the workers on two cores."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime

import botocore.client

from local.auth import issue_token

CUSTOMERS = 50  # the subscriptions are spread over this many customers, each with a card
# The projection to AWS: its limits and typical latencies (stated, not measured here).
PARTITION_WRITE_UNITS = 1000  # per partition and second
WORKERS = 1000  # the worker function's concurrency: an account's default 1,000, reserved for the night
DYNAMODB_SECONDS = 0.006  # a request within the region
STRIPE_SECONDS = 0.5  # a confirmed off-session PaymentIntent
SES_SECONDS = 0.05  # SendRawEmail
PDF_SECONDS = 0.056  # rendering a 10-line invoice, as `make bench` measures it on this machine
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
_original = botocore.client.BaseClient._make_api_call


class Recorder:
    """Counts the DynamoDB requests (reads and writes apart), the items written, and the writes
    per partition key, at the botocore client every handler in this process uses."""

    def __init__(self):
        self.requests: Counter = Counter()
        self.items_written = 0
        self.per_key: Counter = Counter()
        self.per_item: Counter = Counter()  # (pk, sk prefix) of the hottest key's items, to say what they are

    def __call__(self, client, operation: str, params: dict):
        if client.meta.service_model.service_name == "dynamodb" and "Idempotency" not in str(params.get("TableName")):
            kind = "write" if operation in WRITES | {"TransactWriteItems", "BatchWriteItem"} else "read"
            self.requests[kind] += 1
            for key, sort_key in _written_keys(operation, params):
                self.items_written += 1
                self.per_key[key] += 1
                self.per_item[(key, sort_key.split("#")[0])] += 1
        return _original(client, operation, params)


def _written_keys(operation: str, params: dict) -> list[tuple[str, str]]:
    if operation in WRITES:
        return [_pk(params.get("Item") or params.get("Key"))]
    if operation == "TransactWriteItems":
        keys = []
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            if kind != "ConditionCheck":
                keys.append(_pk(body.get("Item") or body.get("Key")))
        return keys
    if operation == "BatchWriteItem":
        return [
            _pk(r.get("PutRequest", {}).get("Item") or r["DeleteRequest"]["Key"])
            for t in params["RequestItems"].values()
            for r in t
        ]
    return []


def _pk(item: dict) -> tuple[str, str]:
    return item["pk"]["S"], item["sk"]["S"]


def report() -> None:
    from local.run import LocalStack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stack = LocalStack(in_process=True).start()
    try:
        # AutoPay first: its webhook phase looks payments up through an index, which moto walks
        # whole, so it must not come after the 10,000 invoices.
        for variable, default, collection in (
            ("BENCH_AUTOPAY_SUBSCRIPTIONS", "1000", "charge_automatically"),
            ("BENCH_SUBSCRIPTIONS", "10000", "send_invoice"),
        ):
            count = int(os.environ.get(variable, default))
            if count:
                measure(stack, count, collection)
    finally:
        stack.stop()


def measure(stack, count: int, collection: str) -> None:
    """One tenant's run of ``count`` subscriptions in the collection mode, on the running stack."""
    import requests
    import stripe

    from billing.bootstrap import billing_run_service
    from billing.services.subscriptions.common import system_caller
    from local.run import STRIPE_SECRET_KEY
    from tests.integration.conftest import authorize_at_stripe

    tenant = f"bench{uuid.uuid4().hex[:8]}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {issue_token(tenant, 'admin')}"
    url = stack.url
    session.patch(f"{url}/v1/settings", json={"business_name": "Bench GmbH", "reminders_enabled": False})
    start = session.post(f"{url}/v1/settings/stripe/connect").json()
    session.get(authorize_at_stripe(start["authorize_url"]).headers["Location"])
    account = session.get(f"{url}/v1/settings/stripe").json()["account_id"]
    client = stripe.StripeClient(STRIPE_SECRET_KEY, base_addresses={"api": stack.stripe_url})
    customers = []
    for n in range(CUSTOMERS):
        body = {
            "type": "company",
            "company_name": f"Kunde {n}",
            "email": f"k{n}@kunde.de",
            "billing_email": f"k{n}@kunde.de",
        }
        customer = session.post(f"{url}/v1/customers", json=body).json()
        if collection == "charge_automatically":
            setup = session.post(f"{url}/v1/customers/{customer['id']}/payment-methods/setup").json()
            client.v1.setup_intents.confirm(
                setup["setup_intent_id"], params={"payment_method": "pm_card_visa"}, options={"stripe_account": account}
            )
        customers.append(customer["id"])
    stack.stripe.drain()
    run_date = datetime.now(UTC).date()
    seeded = time.perf_counter()
    _seed(session, url, tenant, customers, count, collection, run_date)
    seeded = time.perf_counter() - seeded

    recorder = Recorder()
    stripe_before = len(stack.stripe.requests_seen)
    stack.stripe.switches.hold = True  # Stripe's events wait: the run is measured alone first
    botocore.client.BaseClient._make_api_call = lambda c, op, params: recorder(c, op, params)
    began = time.perf_counter()
    # The worker's batches of ten, handed over in process: moto's SQS walks its whole queue for
    # every message it hands out, which at 10,000 messages takes longer than the billing.
    started = billing_run_service().start(system_caller(tenant), run_date, url, in_process=True)
    wall = time.perf_counter() - began
    stripe_requests = len(stack.stripe.requests_seen) - stripe_before
    webhooks = Recorder()
    botocore.client.BaseClient._make_api_call = lambda c, op, params: webhooks(c, op, params)
    stripe_before = len(stack.stripe.requests_seen)
    stack.stripe.switches.hold = False
    events = requests.post(f"{stack.stripe_url}/_standin/release", json={}, timeout=3600).json()["released"]
    webhook_stripe_requests = len(stack.stripe.requests_seen) - stripe_before
    botocore.client.BaseClient._make_api_call = _original
    run = session.get(f"{url}/v1/billing-runs/{started.id}").json()
    _print(count, collection, seeded, wall, run, recorder, stripe_requests)
    if events:
        charged = run["charged"] or 1
        print(
            f"  afterwards, Stripe's {events:,} events through the webhook, per charge: "
            f"{webhooks.requests['read'] / charged:.2f} DynamoDB reads, {webhooks.requests['write'] / charged:.2f} "
            f"writes, {webhook_stripe_requests / charged:.2f} Stripe requests (the handler reads each PaymentIntent "
            "back)"
        )


def _seed(session, url: str, tenant: str, customers: list[str], count: int, collection: str, run_date: date) -> None:
    """One subscription made through the API (scheduled, so nothing is billed), then ``count``
    copies of it written straight into the table, each of a customer, all starting on the date."""
    from billing.adapters.dynamodb.models import BillowItem
    from billing.adapters.dynamodb.subscriptions import DynamoSubscriptions, subscription_item
    from billing.domain.ids import new_id
    from billing.domain.subscriptions import CollectionMethod, SubscriptionStatus

    line = {"name": "Hosting", "unit_price": "29.00", "billing_frequency": "monthly"}
    order = {
        "customer_id": customers[0],
        "currency": "eur",
        "lines": [{**line, "billing_start": {"type": "delay_days", "days": 30}}],
        "collection_method": collection,
    }
    answer = session.post(f"{url}/v1/subscriptions", json=order)
    assert answer.status_code == 201, answer.text
    template = DynamoSubscriptions().get(tenant, answer.json()["data"][0]["id"])
    with BillowItem.batch_write() as batch:
        for n in range(count):
            copy = replace(
                template,
                id=new_id("subscription"),
                customer_id=customers[n % len(customers)],
                status=SubscriptionStatus.ACTIVE,
                starts_on=run_date,
                collection_method=CollectionMethod(collection),
                version=0,
            )
            batch.save(subscription_item(copy))
    session.delete(f"{url}/v1/subscriptions/{template.id}")  # scheduled: refused; it is simply not due


def _print(count, collection, seeded, wall, run, recorder: Recorder, stripe_requests: int) -> None:
    billed = run["invoiced"] or 1
    hot_key, hot_writes = recorder.per_key.most_common(1)[0] if recorder.per_key else ("-", 0)
    print(f"\nBilling run of {count:,} due subscriptions ({collection}), one tenant, moto on this machine")
    print(f"  seeded straight into the table in {seeded:.1f} s")
    print(
        f"  run: due {run['due']}, invoiced {run['invoiced']}, charged {run['charged']}, sent {run['sent']}, "
        f"failed {run['failed']}, skipped {run['skipped']}"
    )
    print(f"  wall time {wall:.1f} s = {count / wall:.1f} subscriptions/s (moto is the floor here, not DynamoDB)")
    print(
        f"  DynamoDB requests per billed subscription: {recorder.requests['read'] / billed:.2f} reads, "
        f"{recorder.requests['write'] / billed:.2f} writes (items written {recorder.items_written / billed:.2f})"
    )
    charged = run["charged"]
    if charged:
        print(f"  Stripe requests per charged subscription: {stripe_requests / charged:.2f}")
    share = hot_writes / billed
    print(f"  hottest partition key: {hot_key} took {hot_writes:,} writes ({share:.2f} per subscription):")
    for (key, kind), writes in recorder.per_item.most_common():
        if key == hot_key:
            print(f"    {kind or '(item)'}: {writes:,}")
    # A partition takes 1,000 write units a second; an item written in a transaction costs 2.
    key_rate = PARTITION_WRITE_UNITS / 2 / share if share else float("inf")
    # Each worker bills its batch one subscription after another, at AWS's typical latencies.
    requests_per = (recorder.requests["read"] + recorder.requests["write"]) / billed
    stripe_per = stripe_requests / billed
    seconds_per = requests_per * DYNAMODB_SECONDS + stripe_per * STRIPE_SECONDS
    parts = f"{requests_per:.1f} DynamoDB requests x {DYNAMODB_SECONDS * 1000:.0f} ms"
    if stripe_per:
        parts += f", {stripe_per:.2f} Stripe x {STRIPE_SECONDS * 1000:.0f} ms"
    if collection == "send_invoice":
        seconds_per += SES_SECONDS + PDF_SECONDS
        parts += f", SES {SES_SECONDS * 1000:.0f} ms, PDF {PDF_SECONDS * 1000:.0f} ms"
    worker_rate = WORKERS / seconds_per
    minutes = 1_000_000 / min(key_rate, worker_rate) / 60
    print(f"  1,000,000 subscriptions of one tenant on AWS: the hottest key allows {key_rate:,.0f} a second;")
    print(f"    {WORKERS} workers at {seconds_per * 1000:.0f} ms a subscription ({parts}) allow {worker_rate:,.0f}")
    print(f"    a second: {minutes:.1f} min (target 15)")
    if collection == "charge_automatically":
        print(
            f"    if Stripe takes it: a live account's default is 25 PaymentIntent creates a second "
            f"({1_000_000 / 25 / 3600:.1f} h for a million); agree a limit of {min(key_rate, worker_rate):,.0f}/s first"
        )
