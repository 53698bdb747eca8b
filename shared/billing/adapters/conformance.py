"""Each adapter against the port it implements, for the type checker alone: a port and its adapter
that drift apart (a renamed method, another argument, a wider return) fail ``mypy -p billing``
here, whether or not the composition root (billing.bootstrap) happens to wire them together.

Nothing here runs: the module imports nothing at run time and is imported by nothing. The ports
the services declare for themselves (billing.services.billing_runs, billing.services.test_clocks)
are checked where the services are built."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing import ports
    from billing.adapters.dynamodb.invoices import DynamoInvoices
    from billing.adapters.dynamodb.payments import (
        DynamoPaymentMethods,
        DynamoPayments,
        DynamoProcessorConnections,
        DynamoWebhookLog,
    )
    from billing.adapters.dynamodb.repositories import (
        DynamoCatalogRepository,
        DynamoCustomerRepository,
        DynamoDocumentReader,
        DynamoSettingsRepository,
    )
    from billing.adapters.dynamodb.subscriptions import DynamoSubscriptions
    from billing.adapters.einvoice import EInvoices
    from billing.adapters.lazy import LazyEInvoices, LazyInvoicePdf
    from billing.adapters.pdf.invoice import InvoicePdf
    from billing.adapters.s3.files import S3FileStore
    from billing.adapters.ses.mailer import SesMailer
    from billing.adapters.stripe.gateway import StripeGateway
    from billing.adapters.xlsx import OpenpyxlWriter
    from billing.clock import SystemClock

    _clock: ports.Clock = SystemClock()

    _customers: ports.CustomerRepository = DynamoCustomerRepository()
    _catalog: ports.CatalogRepository = DynamoCatalogRepository()
    _settings: ports.SettingsRepository = DynamoSettingsRepository()
    _documents: ports.DocumentReader = DynamoDocumentReader()
    _invoices: ports.InvoiceRepository = DynamoInvoices()
    _subscriptions: ports.SubscriptionRepository = DynamoSubscriptions()
    _connections: ports.ProcessorConnections = DynamoProcessorConnections()
    _methods: ports.PaymentMethodRepository = DynamoPaymentMethods()
    _payments: ports.PaymentRepository = DynamoPayments()
    _webhooks: ports.WebhookLog = DynamoWebhookLog()

    _files: ports.FileStore = S3FileStore("bucket")
    _mailer: ports.Mailer = SesMailer("billing@example.com")
    _gateway: ports.PaymentGateway = StripeGateway()

    _pdf: ports.InvoiceRenderer = InvoicePdf()
    _lazy_pdf: ports.InvoiceRenderer = LazyInvoicePdf()
    _einvoices: ports.EInvoiceWriter = EInvoices()
    _lazy_einvoices: ports.EInvoiceWriter = LazyEInvoices()
    _spreadsheets: ports.SpreadsheetWriter = OpenpyxlWriter()
