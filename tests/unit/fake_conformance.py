"""Each in-memory fake against the port it stands in for, for the type checker alone (``make lint``
runs mypy over this module): a fake that drifts from its port (a renamed method, another argument)
fails here, before a unit test passes against a fake that no adapter matches.

Three fakes are partial on purpose and not listed: ``IdempotentStripe`` (PaymentGateway),
``InMemoryMethods`` (PaymentMethodRepository) and ``OneAccount`` (ProcessorConnections) play only
the calls the unit tests reach (charges, refunds, payment reads; a customer's methods; the one
connected account); Connect, Checkout and setup sessions are tested against the Stripe stand-in
and moto, over HTTP. Any other call on them fails loudly (AttributeError).

Nothing here runs; the module is imported by nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing import ports
    from billing.services.billing_runs import BillingRunRepository
    from billing.services.test_clocks import TestClockRepository
    from tests.unit.fakes import (
        FixedClock,
        InMemoryBillingRuns,
        InMemoryCatalog,
        InMemoryCreditNotes,
        InMemoryCustomers,
        InMemoryDirectory,
        InMemoryDocuments,
        InMemoryFiles,
        InMemoryInvoices,
        InMemoryPayments,
        InMemorySettings,
        InMemorySubscriptions,
        InMemoryTeams,
        InMemoryTestClocks,
        NoProcessor,
        PdfStandIn,
        RecordingMailer,
        RegisteredVatIds,
    )

    _clock: ports.Clock = FixedClock()
    _customers: ports.CustomerRepository = InMemoryCustomers()
    _catalog: ports.CatalogRepository = InMemoryCatalog()
    _settings: ports.SettingsRepository = InMemorySettings()
    _teams: ports.TeamRepository = InMemoryTeams()
    _directory: ports.Directory = InMemoryDirectory()
    _files: ports.FileStore = InMemoryFiles()
    _payments: ports.PaymentRepository = InMemoryPayments()
    _subscriptions: ports.SubscriptionRepository = InMemorySubscriptions(InMemoryCustomers())
    _invoices: ports.InvoiceRepository = InMemoryInvoices(
        InMemorySubscriptions(InMemoryCustomers()), InMemoryCustomers(), InMemoryPayments()
    )
    _credit_notes: ports.CreditNoteRepository = InMemoryCreditNotes(InMemoryInvoices())
    _runs: BillingRunRepository = InMemoryBillingRuns(InMemorySubscriptions(InMemoryCustomers()))
    _clocks: TestClockRepository = InMemoryTestClocks()
    _documents: ports.DocumentReader = InMemoryDocuments(InMemoryCustomers(), InMemorySettings(), InMemoryCatalog())
    _mailer: ports.Mailer = RecordingMailer()
    _renderer: ports.InvoiceRenderer = PdfStandIn()
    _sync: ports.ProcessorCustomerSync = NoProcessor()
    _vat_ids: ports.VatIdRegistry = RegisteredVatIds()
