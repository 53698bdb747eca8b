"""Composition root: the real adapters behind each service, built once per Lambda environment
from the one configuration (``billing.config``). The HTTP routers, the billing run's worker and
planner, and the webhook take their services from here."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing.adapters.dynamodb.payments import DynamoProcessorConnections
    from billing.adapters.ses.mailer import SesMailer
    from billing.ports import VatIdRegistry
    from billing.services.billing_runs import BillingRunService
    from billing.services.catalog import CatalogService
    from billing.services.customers import CustomerExport, CustomerService
    from billing.services.events import EventBus
    from billing.services.invoices import Invoicing
    from billing.services.notifications import PaymentNotifier
    from billing.services.payment_methods import PaymentMethodService
    from billing.services.payments import PaymentService
    from billing.services.pricing import PricingService
    from billing.services.publishing import (
        PublishingCustomers,
        PublishingInvoices,
        PublishingPayments,
        PublishingSubscriptions,
    )
    from billing.services.stripe_connect import StripeConnectService
    from billing.services.stripe_events import StripeEventService
    from billing.services.subscriptions import Subscriptions
    from billing.services.team import TeamService
    from billing.services.test_clocks import TestClockService


from billing.clock import SystemClock
from billing.config import config

# The records every service writes: each saved change is published on the bus (RecordChanged).


@cache
def customer_records() -> PublishingCustomers:
    from billing.adapters.dynamodb.repositories import DynamoCustomerRepository
    from billing.services.publishing import PublishingCustomers

    return PublishingCustomers(DynamoCustomerRepository(), events())


@cache
def invoice_records() -> PublishingInvoices:
    from billing.adapters.dynamodb.invoices import DynamoInvoices
    from billing.services.publishing import PublishingInvoices

    return PublishingInvoices(DynamoInvoices(), events())


@cache
def payment_records() -> PublishingPayments:
    from billing.adapters.dynamodb.payments import DynamoPayments
    from billing.services.publishing import PublishingPayments

    return PublishingPayments(DynamoPayments(), events())


@cache
def subscription_records() -> PublishingSubscriptions:
    from billing.adapters.dynamodb.subscriptions import DynamoSubscriptions
    from billing.services.publishing import PublishingSubscriptions

    return PublishingSubscriptions(DynamoSubscriptions(), events())


@cache
def customer_service() -> CustomerService:
    # Imports inside: each handler loads only the services and adapters its requests use.
    from billing.adapters.dynamodb.repositories import DynamoSettingsRepository
    from billing.services.customers import CustomerService

    return CustomerService(
        customer_records(),
        DynamoSettingsRepository(),
        SystemClock(),
        processor_sync=payment_method_service,
        vat_ids=vat_id_registry,
    )


@cache
def vat_id_registry() -> VatIdRegistry:
    from billing.adapters.vies import ViesRegistry

    return ViesRegistry(config().vies_url, SystemClock())


@cache
def customer_export() -> CustomerExport:
    from billing.adapters.s3.files import S3FileStore
    from billing.adapters.xlsx import OpenpyxlWriter
    from billing.services.customers import CustomerExport

    settings = config()
    return CustomerExport(
        customer_records(),
        S3FileStore(settings.export_bucket),
        OpenpyxlWriter(),
        SystemClock(),
        settings.export_link_seconds,
    )


@cache
def catalog_service() -> CatalogService:
    from billing.adapters.dynamodb.repositories import DynamoCatalogRepository, DynamoSettingsRepository
    from billing.services.catalog import CatalogService

    return CatalogService(DynamoCatalogRepository(), DynamoSettingsRepository(), SystemClock())


@cache
def pricing_service() -> PricingService:
    from billing.adapters.dynamodb.repositories import DynamoCatalogRepository, DynamoSettingsRepository
    from billing.services.pricing import PricingService

    return PricingService(DynamoCatalogRepository(), DynamoSettingsRepository(), SystemClock())


@cache
def processor_connections() -> DynamoProcessorConnections:
    from billing.adapters.dynamodb.payments import DynamoProcessorConnections

    return DynamoProcessorConnections()


@cache
def stripe_connect_service() -> StripeConnectService:
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.domain.origins import allowed_origins
    from billing.services.stripe_connect import StripeConnectService

    return StripeConnectService(
        processor_connections(),
        gateway_from_environment(),
        SystemClock(),
        # ConsoleOrigins: where a Connect return_url may lead besides the API's own origin.
        console_origins=allowed_origins(config().console_origins),
    )


@cache
def payment_method_service() -> PaymentMethodService:
    from billing.adapters.dynamodb.payments import DynamoPaymentMethods
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.services.payment_methods import PaymentMethodService

    return PaymentMethodService(
        customer_records(),
        DynamoPaymentMethods(),
        processor_connections(),
        gateway_from_environment(),
        SystemClock(),
    )


@cache
def payment_service() -> PaymentService:
    from billing.adapters.dynamodb.payments import DynamoPaymentMethods
    from billing.adapters.dynamodb.repositories import DynamoSettingsRepository
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.services.payments import build_payments

    return build_payments(
        customer_records(),
        DynamoPaymentMethods(),
        payment_records(),
        processor_connections(),
        gateway_from_environment(),
        payment_method_service(),
        DynamoSettingsRepository(),
        SystemClock(),
        events(),
    )


@cache
def events() -> EventBus:
    """The dispatcher every service publishes to, with who follows what (services.events)."""
    from billing.services.events import EventBus, follow_events

    bus = EventBus()
    follow_events(
        bus,
        subscriptions=subscription_cases,
        invoicing=invoicing,
        notifier=payment_notifier,
        # A follower runs in whatever request published (often a webhook): its links are built
        # on the configured public address, never on that request's.
        public_base=lambda: config().public_api_url,
    )
    return bus


class _SubscriptionSetups:
    """The webhook's completed setup sessions, handed to the subscriptions when one comes."""

    def settle_setup(self, tenant_id: str, account: str, session_id: str) -> str:
        return subscription_cases().payment_methods.setup.settle_setup(tenant_id, account, session_id)


@cache
def stripe_event_service() -> StripeEventService:
    from billing.adapters.dynamodb.payments import DynamoPaymentMethods, DynamoWebhookLog
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.services.stripe_events import (
        CheckoutEvents,
        PaymentEvents,
        PaymentMethodEvents,
        StripeEventService,
        event_handlers,
    )

    handlers = event_handlers(
        PaymentMethodEvents(customer_records(), DynamoPaymentMethods(), payment_method_service(), SystemClock()),
        PaymentEvents(payment_service()),
        CheckoutEvents(invoicing().hosted, _SubscriptionSetups()),
    )
    return StripeEventService(gateway_from_environment(), DynamoWebhookLog(), processor_connections(), handlers)


@cache
def team_service() -> TeamService:
    from billing.adapters.cognito import CognitoDirectory
    from billing.adapters.dynamodb.repositories import DynamoSettingsRepository, DynamoTeamRepository
    from billing.services.team import TeamService

    settings = config()
    return TeamService(
        DynamoTeamRepository(),
        CognitoDirectory(settings.user_pool_id) if settings.user_pool_id else None,
        DynamoSettingsRepository(),
        mailer(),
        SystemClock(),
        sign_up_open=settings.self_sign_up,
        console_url=settings.public_api_url,
    )


@cache
def mailer() -> SesMailer:
    """One SES client per environment: receipts, invoices and notifications share it."""
    from billing.adapters.ses.mailer import SesMailer

    return SesMailer(config().mail_from)


@cache
def payment_notifier() -> PaymentNotifier:
    from billing.adapters.dynamodb.repositories import DynamoSettingsRepository
    from billing.services.notifications import PaymentNotifier

    return PaymentNotifier(mailer(), DynamoSettingsRepository(), customer_records(), SystemClock())


@cache
def invoicing() -> Invoicing:
    """The invoice use cases, wired once: each takes only what it uses."""
    from billing.adapters.dynamodb.credit_notes import DynamoCreditNotes
    from billing.adapters.dynamodb.repositories import (
        DynamoDocumentReader,
        DynamoSettingsRepository,
    )
    from billing.adapters.lazy import LazyEInvoices, LazyInvoicePdf
    from billing.adapters.s3.files import S3FileStore
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.adapters.xlsx import OpenpyxlWriter
    from billing.services.invoices import build_invoicing

    settings = config()
    return build_invoicing(
        invoices=invoice_records(),
        credit_notes=DynamoCreditNotes(),
        payments=payment_records(),
        customers=customer_records(),
        settings=DynamoSettingsRepository(),
        documents=DynamoDocumentReader(),
        pricing=pricing_service(),
        payment_service=payment_service(),
        gateway=gateway_from_environment(),
        connections=processor_connections(),
        events=events(),
        mailer=mailer(),
        files=S3FileStore(settings.document_bucket),
        renderer=LazyInvoicePdf(),
        einvoices=LazyEInvoices(),
        exports=S3FileStore(settings.export_bucket),
        spreadsheets=OpenpyxlWriter(),
        clock=SystemClock(),
        document_link_seconds=settings.document_link_seconds,
        export_link_seconds=settings.export_link_seconds,
    )


@cache
def subscription_cases() -> Subscriptions:
    """The subscription use cases, wired once: each takes only what it uses."""
    from billing.adapters.dynamodb.payments import DynamoPaymentMethods
    from billing.adapters.dynamodb.repositories import DynamoSettingsRepository
    from billing.adapters.s3.files import S3FileStore
    from billing.adapters.stripe.gateway import gateway_from_environment
    from billing.adapters.xlsx import OpenpyxlWriter
    from billing.services.subscriptions import build_subscriptions

    return build_subscriptions(
        subscriptions=subscription_records(),
        customers=customer_records(),
        methods=DynamoPaymentMethods(),
        settings=DynamoSettingsRepository(),
        pricing=pricing_service(),
        invoicing=invoicing(),
        payments=payment_service(),
        method_service=payment_method_service(),
        gateway=gateway_from_environment(),
        connections=processor_connections(),
        mailer=mailer(),
        exports=S3FileStore(config().export_bucket),
        spreadsheets=OpenpyxlWriter(),
        events=events(),
        clock=SystemClock(),
        export_link_seconds=config().subscription_export_link_seconds,
    )


@cache
def billing_run_service() -> BillingRunService:
    from billing.adapters.dynamodb.billing_runs import DynamoBillingRuns
    from billing.adapters.dynamodb.keys import DUE_SHARDS
    from billing.services.billing_runs import BillingRunService

    queue = config().billing_queue_url
    dispatch = None
    if queue:  # else the work runs in the request that starts it
        from billing.adapters.sqs import SqsDispatch

        dispatch = SqsDispatch(queue)
    from billing.adapters.dynamodb.repositories import DynamoSettingsRepository

    return BillingRunService(
        DynamoBillingRuns(),
        subscription_cases().billing.cycle,
        subscription_cases().billing.reminders,
        SystemClock(),
        DUE_SHARDS,
        DynamoSettingsRepository(),
        events(),
        dispatch,
    )


@cache
def test_clock_service() -> TestClockService:
    from billing.adapters.dynamodb.billing_runs import DynamoBillingRuns, DynamoTestClocks
    from billing.adapters.dynamodb.keys import DUE_SHARDS
    from billing.services.test_clocks import TestClockService

    return TestClockService(DynamoTestClocks(), billing_run_service(), DynamoBillingRuns(), SystemClock(), DUE_SHARDS)
