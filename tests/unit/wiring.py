"""The real services wired over the in-memory fakes as billing.bootstrap wires them over the
adapters: invoices, subscriptions, payments, the billing run and the test clock of one tenant
(``t``, connected to Stripe account acct_1) with one customer who has a card on file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from billing.adapters.dynamodb.keys import DUE_SHARDS
from billing.adapters.lazy import LazyEInvoices
from billing.adapters.sqs import SqsDispatch
from billing.adapters.xlsx import OpenpyxlWriter
from billing.domain.access import Caller, Role
from billing.domain.customers import CustomerType, new_customer
from billing.domain.events import RecordChanged
from billing.domain.invoices import InvoiceFilter
from billing.domain.payments import PaymentMethod
from billing.domain.subscriptions import Subscription
from billing.domain.timeline import timeline_event
from billing.http.schemas.subscriptions import SubscriptionCreate
from billing.services.billing_runs import BillingRunService
from billing.services.events import EventBus, follow_events
from billing.services.invoices import build_invoicing
from billing.services.notifications import PaymentNotifier
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments import build_payments
from billing.services.pricing import PricingService
from billing.services.publishing import (
    PublishingCustomers,
    PublishingInvoices,
    PublishingPayments,
    PublishingSubscriptions,
)
from billing.services.subscriptions import build_subscriptions
from billing.services.test_clocks import TestClockService as ClockService
from tests.unit.fakes import (
    CalendarClock,
    IdempotentStripe,
    InMemoryBillingRuns,
    InMemoryCatalog,
    InMemoryCreditNotes,
    InMemoryCustomers,
    InMemoryDocuments,
    InMemoryFiles,
    InMemoryInvoices,
    InMemoryMethods,
    InMemoryPayments,
    InMemorySettings,
    InMemorySubscriptions,
    InMemoryTestClocks,
    OneAccount,
    PdfStandIn,
    RecordingMailer,
)

TENANT = "t"
HOSTED = "https://api.billow.test"
ADMIN = Caller(TENANT, "user_1", Role.ADMIN)
SANDBOX = Caller(TENANT, "user_1", Role.ADMIN, sandbox=True)
MONTHLY = {"name": "Hosting", "unit_price": "29.00", "billing_frequency": "monthly"}
BILLING_EMAIL = "ap@muster.de"


class Queue:
    """SQS as SqsDispatch talks to it: the planned work's messages, to hand to the worker."""

    def __init__(self):
        self.messages: list[dict] = []

    def send_message_batch(self, QueueUrl, Entries):
        for entry in Entries:
            self.messages.append({"messageId": f"m{len(self.messages) + 1}", "body": entry["MessageBody"]})
        return {"Successful": [{"Id": e["Id"]} for e in Entries]}

    def sqs_event(self) -> dict:
        """The messages as the worker's event source hands them over (and the queue empty)."""
        records = [
            {
                "messageId": m["messageId"],
                "receiptHandle": f"rh-{m['messageId']}",
                "body": m["body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-central-1:000000000000:billing",
                "awsRegion": "eu-central-1",
            }
            for m in self.messages
        ]
        self.messages = []
        return {"Records": records}


class Billow:
    def __init__(self, stripe: IdempotentStripe | None = None, today: date = date(2026, 3, 1), queued: bool = False):
        self.clock = CalendarClock()
        self.clock.on(today)
        self.customers = InMemoryCustomers()
        self.settings = InMemorySettings()
        self.catalog = InMemoryCatalog()
        self.payments = InMemoryPayments()
        self.subscriptions = InMemorySubscriptions(self.customers)
        self.invoices = InMemoryInvoices(self.subscriptions, self.customers, self.payments)
        self.runs = InMemoryBillingRuns(self.subscriptions)
        self.clocks = InMemoryTestClocks()
        self.mailer = RecordingMailer()
        self.files = InMemoryFiles()
        self.stripe = stripe or IdempotentStripe()
        self.settings.save(replace(self.settings.get(TENANT), business_name="Billow Demo GmbH"))

        now = self.clock.now()
        customer = new_customer(
            TENANT, now, CustomerType.COMPANY, company_name="Muster GmbH", billing_email=BILLING_EMAIL
        )
        self.card = PaymentMethod("pm_1", customer.id, "card", "visa", "4242", 12, 2030, now, is_default=True)
        customer = replace(
            customer,
            default_payment_method_id=self.card.id,
            default_payment_method=self.card.describe(),
            processor_customer_id="cus_linked",
        )
        self.customers.add(customer, timeline_event(customer.id, "customer.created", now, "user_1", "created"))
        self.customer_id = customer.id
        methods = InMemoryMethods([self.card])
        connections = OneAccount()

        notifier = PaymentNotifier(self.mailer, self.settings, self.customers, self.clock)
        self.events = EventBus()
        follow_events(
            self.events,
            subscriptions=lambda: self.subscription_cases,
            invoicing=lambda: self.invoicing,
            notifier=lambda: notifier,
            public_base=lambda: HOSTED,
        )
        self.changes: list[RecordChanged] = []  # every saved change, as outbound webhooks will see them
        self.events.subscribe(RecordChanged, self.changes.append)
        customers = PublishingCustomers(self.customers, self.events)
        invoices = PublishingInvoices(self.invoices, self.events)
        payments = PublishingPayments(self.payments, self.events)
        subscriptions = PublishingSubscriptions(self.subscriptions, self.events)
        pricing = PricingService(self.catalog, self.settings, self.clock)
        self.method_service = PaymentMethodService(customers, methods, connections, self.stripe, self.clock)
        self.payment_service = build_payments(
            customers,
            methods,
            payments,
            connections,
            self.stripe,
            self.method_service,
            self.settings,
            self.clock,
            self.events,
        )
        self.credit_notes = InMemoryCreditNotes(self.invoices, self.payments)
        self.invoicing = build_invoicing(
            invoices=invoices,
            credit_notes=self.credit_notes,
            payments=payments,
            customers=customers,
            settings=self.settings,
            documents=InMemoryDocuments(self.customers, self.settings, self.catalog),
            pricing=pricing,
            payment_service=self.payment_service,
            gateway=self.stripe,
            connections=connections,
            events=self.events,
            mailer=self.mailer,
            files=self.files,
            renderer=PdfStandIn(),
            einvoices=LazyEInvoices(),
            exports=self.files,
            spreadsheets=OpenpyxlWriter(),
            clock=self.clock,
        )
        self.subscription_cases = build_subscriptions(
            subscriptions=subscriptions,
            customers=customers,
            methods=methods,
            settings=self.settings,
            pricing=pricing,
            invoicing=self.invoicing,
            payments=self.payment_service,
            method_service=self.method_service,
            gateway=self.stripe,
            connections=connections,
            mailer=self.mailer,
            exports=self.files,
            spreadsheets=OpenpyxlWriter(),
            events=self.events,
            clock=self.clock,
        )
        self.queue = None
        dispatch = None
        if queued:  # as on AWS: the planner queues the work, the worker (functions/billing_run) bills it
            self.queue = Queue()
            dispatch = SqsDispatch("billing")
            dispatch._client, dispatch._url = self.queue, "https://sqs.test/billing"
        self.billing_runs = BillingRunService(
            self.runs,
            self.subscription_cases.billing.cycle,
            self.subscription_cases.billing.reminders,
            self.clock,
            DUE_SHARDS,
            self.settings,
            self.events,
            dispatch,
        )
        self.test_clock = ClockService(self.clocks, self.billing_runs, self.runs, self.clock, DUE_SHARDS)

    # ------------------------------------------------------------ helpers

    def on(self, day: date, hour: int = 2) -> None:
        """The clock moves to ``hour`` of ``day`` (by default 02:00, when the nightly run starts)."""
        self.clock.on(day, hour)

    def change_settings(self, **changes) -> None:
        self.settings.save(replace(self.settings.get(TENANT), **changes))

    def subscribe(self, *lines: dict, **request) -> Subscription:
        """One subscription of the customer (AutoPay with the card unless told otherwise), its first
        period billed when it starts today."""
        body = {"customer_id": self.customer_id, "currency": "eur", "lines": list(lines or [MONTHLY])} | request
        order = SubscriptionCreate.model_validate_json(json.dumps(body, default=str)).order()  # as the API's edge
        (subscription,) = self.subscription_cases.creation.create(ADMIN, order, None, HOSTED)
        return subscription

    def subscription(self, subscription_id: str) -> Subscription:
        return self.subscriptions.get(TENANT, subscription_id)

    def invoices_of(self, subscription_id: str) -> list:
        """The subscription's invoices, oldest first."""
        where = InvoiceFilter(subscription_id=subscription_id)
        return sorted(self.invoices.all(TENANT, where), key=lambda i: i.subscription_period)

    def night(self, day: date):
        """The nightly run of ``day``, on that day; answers the run's record."""
        self.on(day)
        return self.billing_runs.start(ADMIN, day, HOSTED)
