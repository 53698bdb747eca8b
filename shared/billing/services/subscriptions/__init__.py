"""Subscriptions, one module per group of use cases:

- ``create``: the preview and the order (charge-first with AutoPay);
- ``queries``: one, its invoices, a filtered page;
- ``edit``: lines, next payment date, payment method, address;
- ``cycle``: one subscription's period billed once (the nightly run's two halves, the first
  period of a new order);
- ``dunning``: a failed payment, and each retry day;
- ``reminders``: the buyer hears of the next payment;
- ``outcomes``: what a payment's outcome does to its subscription;
- ``payment_method_link``, ``payment_method_page``, ``payment_method_setup``: the buyer's link,
  page and Checkout (setup mode) for a new payment method;
- ``cancel``: cancel three ways, delete;
- ``export``: XLSX or CSV of a selection.

``common`` holds what several of them share. ``Subscriptions`` is the set of them as the
composition root wires it."""

from __future__ import annotations

from dataclasses import dataclass

from billing.ports import (
    Clock,
    CustomerRepository,
    EventPublisher,
    FileStore,
    Mailer,
    PaymentGateway,
    PaymentMethodRepository,
    ProcessorConnections,
    SettingsRepository,
    SpreadsheetWriter,
    SubscriptionRepository,
)
from billing.services.invoices import Invoicing
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments import PaymentService
from billing.services.pricing import PricingService
from billing.services.subscriptions.cancel import SubscriptionCancellation
from billing.services.subscriptions.create import SubscriptionCreation
from billing.services.subscriptions.cycle import BillingCycle, DueBilling
from billing.services.subscriptions.dunning import Dunning
from billing.services.subscriptions.edit import SubscriptionEdits
from billing.services.subscriptions.export import SubscriptionExport
from billing.services.subscriptions.outcomes import SubscriptionPaymentOutcomes
from billing.services.subscriptions.payment_method_link import LINK_DAYS, PaymentMethodLinks
from billing.services.subscriptions.payment_method_page import PaymentMethodPage
from billing.services.subscriptions.payment_method_setup import PaymentMethodSetup
from billing.services.subscriptions.queries import SubscriptionQueries
from billing.services.subscriptions.reminders import PaymentReminders

__all__ = [
    "BillingCycle",
    "DueBilling",
    "PaymentMethodCases",
    "SubscriptionBilling",
    "Subscriptions",
    "build_subscriptions",
]


@dataclass(frozen=True)
class SubscriptionBilling:
    """Billing the periods: the cycle, dunning, payment reminders, and payments' outcomes."""

    cycle: BillingCycle
    dunning: Dunning
    reminders: PaymentReminders
    outcomes: SubscriptionPaymentOutcomes


@dataclass(frozen=True)
class PaymentMethodCases:
    """The buyer's own way to a new payment method: the emailed link, its page, the setup."""

    links: PaymentMethodLinks
    page: PaymentMethodPage
    setup: PaymentMethodSetup


@dataclass(frozen=True)
class Subscriptions:
    creation: SubscriptionCreation
    queries: SubscriptionQueries
    edits: SubscriptionEdits
    cancellation: SubscriptionCancellation
    export: SubscriptionExport
    billing: SubscriptionBilling
    payment_methods: PaymentMethodCases


def build_subscriptions(
    *,
    subscriptions: SubscriptionRepository,
    customers: CustomerRepository,
    methods: PaymentMethodRepository,
    settings: SettingsRepository,
    pricing: PricingService,
    invoicing: Invoicing,
    payments: PaymentService,
    method_service: PaymentMethodService,
    gateway: PaymentGateway,
    connections: ProcessorConnections,
    mailer: Mailer,
    exports: FileStore,
    spreadsheets: SpreadsheetWriter,
    events: EventPublisher,
    clock: Clock,
    export_link_seconds: int = 30 * 24 * 3600,
    link_days: int = LINK_DAYS,
) -> Subscriptions:
    """The subscription use cases wired to each other over the given ports (the composition
    root's adapters, or a test's fakes): each takes only what it uses."""
    links = PaymentMethodLinks(subscriptions, customers, settings, mailer, connections, clock, link_days)
    dunning = Dunning(subscriptions, settings, mailer, invoicing, links, clock)
    cycle = BillingCycle(subscriptions, settings, invoicing, payments, dunning, events, clock)
    setup = PaymentMethodSetup(
        subscriptions, customers, gateway, connections, settings, method_service, invoicing, clock
    )
    return Subscriptions(
        creation=SubscriptionCreation(subscriptions, customers, methods, pricing, settings, payments, cycle, clock),
        queries=SubscriptionQueries(subscriptions, invoicing.queries),
        edits=SubscriptionEdits(subscriptions, customers, methods, pricing, clock),
        cancellation=SubscriptionCancellation(subscriptions, customers, settings, mailer, payments, invoicing, clock),
        export=SubscriptionExport(subscriptions, exports, spreadsheets, clock, export_link_seconds),
        billing=SubscriptionBilling(
            cycle=cycle,
            dunning=dunning,
            reminders=PaymentReminders(subscriptions, customers, settings, mailer, clock),
            outcomes=SubscriptionPaymentOutcomes(subscriptions, customers, invoicing, dunning, clock),
        ),
        payment_methods=PaymentMethodCases(
            links=links,
            page=PaymentMethodPage(subscriptions, customers, methods, settings, connections, setup, clock),
            setup=setup,
        ),
    )
