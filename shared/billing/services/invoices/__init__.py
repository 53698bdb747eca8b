"""Invoices, one module per group of use cases:

- ``queries``: one invoice, a filtered page, one's history;
- ``drafts``: create (a draft, or finalized at once), edit, clone;
- ``lifecycle``: finalize with gapless numbers (alone or a batch), void, delete;
- ``collect``: payments by hand, ledger payments applied and given back, the card on file,
  online payments, refunds followed;
- ``documents``: the PDF and the EN 16931 e-invoices;
- ``hosted``: the buyer's page, Pay, the return from Checkout;
- ``delivery``: the invoice email and receipts;
- ``export``: XLSX or CSV of a selection;
- ``issue``: create, finalize and collect in one idempotent call (the billing cycle).

``common`` holds what several of them share. ``Invoicing`` is the set of them as the
composition root wires it, for the callers that use several (the subscriptions)."""

from __future__ import annotations

from dataclasses import dataclass

from billing.ports import (
    Clock,
    CreditNoteRepository,
    CustomerRepository,
    DocumentReader,
    EInvoiceWriter,
    EventPublisher,
    FileStore,
    InvoiceRenderer,
    InvoiceRepository,
    Mailer,
    PaymentGateway,
    PaymentRepository,
    ProcessorConnections,
    SettingsRepository,
    SpreadsheetWriter,
)
from billing.services.credit_notes.balances import CreditBalances
from billing.services.credit_notes.delivery import CreditNoteDelivery
from billing.services.credit_notes.documents import CreditNoteDocuments
from billing.services.credit_notes.export import CreditNoteExport
from billing.services.credit_notes.issue import CreditNoteIssuing
from billing.services.credit_notes.queries import CreditNoteQueries
from billing.services.datev import DatevExport
from billing.services.invoices.collect import InvoiceCollection
from billing.services.invoices.common import CheckoutCloser
from billing.services.invoices.delivery import InvoiceDelivery
from billing.services.invoices.documents import InvoiceDocuments
from billing.services.invoices.drafts import InvoiceDrafts
from billing.services.invoices.export import InvoiceExport
from billing.services.invoices.hosted import HostedInvoices
from billing.services.invoices.issue import InvoiceIssuing
from billing.services.invoices.lifecycle import InvoiceLifecycle
from billing.services.invoices.queries import InvoiceQueries
from billing.services.payments import PaymentService
from billing.services.pricing import PricingService


@dataclass(frozen=True)
class Invoicing:
    queries: InvoiceQueries
    drafts: InvoiceDrafts
    lifecycle: InvoiceLifecycle
    collection: InvoiceCollection
    documents: InvoiceDocuments
    hosted: HostedInvoices
    delivery: InvoiceDelivery
    export: InvoiceExport
    credit_notes: CreditNoteIssuing
    credit_note_queries: CreditNoteQueries
    credit_note_documents: CreditNoteDocuments
    credit_note_delivery: CreditNoteDelivery
    credit_note_export: CreditNoteExport
    datev: DatevExport
    balances: CreditBalances

    @property
    def issuing(self) -> InvoiceIssuing:
        """A period's invoice issued in one call, for the billing cycle (made of the cases above)."""
        return InvoiceIssuing(self.queries.invoices, self.drafts, self.collection, self.delivery, self.balances)


def build_invoicing(
    *,
    invoices: InvoiceRepository,
    credit_notes: CreditNoteRepository,
    payments: PaymentRepository,
    customers: CustomerRepository,
    settings: SettingsRepository,
    documents: DocumentReader,
    pricing: PricingService,
    payment_service: PaymentService,
    gateway: PaymentGateway,
    connections: ProcessorConnections,
    events: EventPublisher,
    mailer: Mailer,
    files: FileStore,
    renderer: InvoiceRenderer,
    einvoices: EInvoiceWriter,
    exports: FileStore,
    spreadsheets: SpreadsheetWriter,
    clock: Clock,
    document_link_seconds: int = 3600,
    export_link_seconds: int = 3600,
) -> Invoicing:
    """The invoice use cases wired to each other over the given ports (the composition root's
    adapters, or a test's fakes): each takes only what it uses."""
    checkout = CheckoutCloser(gateway, connections)
    issuing = CreditNoteIssuing(
        credit_notes, invoices, payments, settings, connections, gateway, payment_service.ledger, events, clock
    )
    balances = CreditBalances(credit_notes, invoices, customers, events, clock)
    lifecycle = InvoiceLifecycle(invoices, settings, checkout, clock, issuing, credit_notes, balances)
    drafts = InvoiceDrafts(invoices, customers, pricing, settings, documents, lifecycle, checkout, clock)
    collection = InvoiceCollection(invoices, payments, customers, payment_service, events, clock, issuing)
    rendered = InvoiceDocuments(invoices, settings, files, renderer, einvoices, clock, document_link_seconds)
    delivery = InvoiceDelivery(invoices, settings, mailer, rendered, lifecycle, clock)
    return Invoicing(
        queries=InvoiceQueries(invoices, clock),
        drafts=drafts,
        lifecycle=lifecycle,
        collection=collection,
        documents=rendered,
        hosted=HostedInvoices(invoices, settings, gateway, connections, collection, rendered, clock),
        delivery=delivery,
        export=InvoiceExport(invoices, exports, spreadsheets, clock, export_link_seconds),
        credit_notes=issuing,
        credit_note_queries=CreditNoteQueries(credit_notes),
        credit_note_documents=CreditNoteDocuments(credit_notes, rendered),
        credit_note_delivery=CreditNoteDelivery(credit_notes, customers, settings, mailer, rendered, clock),
        credit_note_export=CreditNoteExport(credit_notes, exports, spreadsheets, clock, export_link_seconds),
        datev=DatevExport(invoices, credit_notes, customers, settings, rendered, exports, clock, export_link_seconds),
        balances=balances,
    )
