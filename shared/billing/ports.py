"""The ports the services depend on. Adapters (DynamoDB, S3, XLSX) implement them; unit tests use
in-memory fakes (tests/unit/fakes.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from billing.domain.access import Role
from billing.domain.catalog import Product, TaxRate
from billing.domain.credit_notes import CreditNote, CreditNoteFilter
from billing.domain.customers import Customer, CustomerRecords, VatIdCheck
from billing.domain.events import DomainEvent
from billing.domain.invoices import HistoryEntry, Invoice, InvoiceFilter
from billing.domain.paging import Page
from billing.domain.payments import Payment, PaymentMethod, ProcessorPayment
from billing.domain.settings import Seller, TenantSettings
from billing.domain.subscriptions import Subscription, SubscriptionFilter
from billing.domain.team import Team
from billing.domain.timeline import TimelineEvent


class Clock(Protocol):
    def now(self) -> datetime: ...


class CustomerRepository(Protocol):
    def add(self, customer: Customer, event: TimelineEvent) -> None:
        """Store a new customer and its first timeline event together; raises DebtorNumberTaken."""

    def get(self, tenant_id: str, customer_id: str) -> Customer:
        """Raises NotFound."""

    def save(self, customer: Customer, event: TimelineEvent, *, previous_debtor_number: int | None) -> None:
        """Store a changed customer (optimistic on ``version``) and its timeline event together."""

    def list(
        self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None
    ) -> Page[Customer]: ...

    def all(self, tenant_id: str) -> Iterator[Customer]: ...

    def related_records(self, tenant_id: str, customer_id: str) -> CustomerRecords: ...

    def delete(self, customer: Customer) -> None: ...

    def timeline(self, tenant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[TimelineEvent]: ...

    def add_event(self, tenant_id: str, event: TimelineEvent) -> None:
        """An entry on a customer's timeline (a payment, an email, a subscription's change)."""

    def next_debtor_number(self, tenant_id: str, range_start: int) -> int:
        """Draw the next number of the tenant's debtor range; never the same one twice."""


class CatalogRepository(Protocol):
    def add_product(self, product: Product) -> None:
        """Raises SkuTaken."""

    def get_product(self, tenant_id: str, product_id: str) -> Product: ...

    def save_product(self, product: Product, *, previous_sku: str) -> None: ...

    def get_catalog(
        self, tenant_id: str, product_ids: set[str], rate_ids: set[str]
    ) -> tuple[dict[str, Product], dict[str, TaxRate]]:
        """The tenant's products and tax rates among these ids, read together (unknown ids are
        simply absent)."""

    def list_products(
        self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None
    ) -> Page[Product]: ...

    def add_tax_rate(self, rate: TaxRate) -> None: ...

    def get_tax_rate(self, tenant_id: str, rate_id: str) -> TaxRate: ...

    def save_tax_rate(self, rate: TaxRate) -> None: ...

    def list_tax_rates(self, tenant_id: str, *, archived: bool, limit: int, cursor: str | None) -> Page[TaxRate]: ...


class SettingsRepository(Protocol):
    def get(self, tenant_id: str) -> TenantSettings:
        """The tenant's settings, or the defaults when it has saved none."""

    def save(self, settings: TenantSettings) -> None: ...


class TeamRepository(Protocol):
    def get(self, tenant_id: str) -> Team:
        """The tenant's team (an empty one, version 0, for a tenant that has none yet)."""

    def save(self, team: Team) -> Team:
        """Saves over the version read (StaleWrite if it moved, or if a team of version 0 exists)."""


class Directory(Protocol):
    """The user pool: who can sign in, to which tenant, in which role (the token's claims)."""

    def add_person(
        self, email: str, tenant_id: str, role: Role, *, sandbox: bool, password: str, permanent: bool
    ) -> str:
        """Creates the sign-in and answers its user id; a ``permanent`` password is the person's own
        (sign-up, ValidationFailed on ``password`` if the pool's policy refuses it), otherwise a
        temporary one to change at the first sign-in. Conflict ``email_taken`` if the email has one."""

    def set_role(self, user_id: str, role: Role) -> None:
        """Changes the role the person's next tokens name and ends their sessions."""

    def remove_person(self, user_id: str) -> None:
        """Deletes the sign-in (a person already gone is no error)."""

    def has_signed_in(self, user_id: str) -> bool:
        """Whether the person has replaced their temporary password."""

    def reset_invitation(self, user_id: str, password: str) -> None:
        """Gives an invited person a new temporary password."""


@dataclass(frozen=True)
class DocumentInputs:
    """What pricing a document for a customer reads: the customer (None when there is none),
    the tenant's settings, and the library products and tax rates its lines name."""

    customer: Customer | None
    settings: TenantSettings
    products: dict[str, Product]
    rates: dict[str, TaxRate]


class DocumentReader(Protocol):
    def read(self, tenant_id: str, customer_id: str, product_ids: set[str], rate_ids: set[str]) -> DocumentInputs:
        """All of it in one round trip."""


class FileStore(Protocol):
    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def put_new(self, key: str, body: bytes, content_type: str) -> bool:
        """Store the bytes unless something is stored under the key already (then nothing is
        written: an issued document never changes); True when this call stored them."""

    def exists(self, key: str) -> bool: ...

    def get(self, key: str) -> bytes | None:
        """The stored bytes; None when nothing is stored under the key."""

    def download_url(self, key: str, expires_in_seconds: int, download_name: str | None = None) -> str:
        """An expiring link to the stored bytes; ``download_name`` is the file name a browser saves."""


class InvoiceRenderer(Protocol):
    def render(self, invoice: Invoice, seller: Seller, hosted_url: str | None) -> bytes:
        """The invoice as a PDF."""


class EInvoiceWriter(Protocol):
    def xml(self, invoice: Invoice, seller: Seller, *, xrechnung: bool, payment_url: str | None) -> bytes:
        """The invoice as EN 16931 CII XML (XRechnung's when asked)."""

    def zugferd(self, invoice: Invoice, seller: Seller, pdf: bytes, *, payment_url: str | None) -> bytes:
        """The PDF with the EN 16931 XML embedded (Factur-X/ZUGFeRD, PDF/A-3)."""


class SpreadsheetWriter(Protocol):
    def to_xlsx(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes: ...

    def to_csv(self, headers: Sequence[str], rows: Sequence[Sequence[object]], *, decimal_comma: bool = False) -> bytes:
        """With ``decimal_comma``, amounts as German spreadsheets read them: 1234,50, fields split by ";"."""


# ---------------------------------------------------------------- payments


@dataclass(frozen=True)
class SetupSession:
    """What a web client needs to confirm a card with Stripe.js."""

    id: str
    client_secret: str
    publishable_key: str  # the platform's; Stripe.js is initialised with it and the connected account


@dataclass(frozen=True)
class MethodDetails:
    id: str
    type: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    processor_customer_id: str | None  # None once detached
    bank_code: str = ""  # of a SEPA bank account: its bank and country instead of a brand and expiry
    country: str = ""
    mandate_reference: str = ""  # of a SEPA bank account, when its mandate was named


@dataclass(frozen=True)
class SavedSetup:
    """What a SetupIntent that succeeded saved: the method, and a bank account's mandate."""

    method_id: str
    mandate_id: str | None = None


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted payment page at the processor (Stripe Checkout) for one invoice."""

    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid, no_payment_required
    payment_reference: str | None  # pi_...
    amount: int
    currency: str
    metadata: dict
    setup_reference: str | None = None  # seti_...: what a session in setup mode saved


@dataclass(frozen=True)
class ProcessorEvent:
    id: str
    type: str
    account: str | None
    created: int
    object: dict


class PaymentGateway(Protocol):
    """The payment processor, acting for one tenant's connected account."""

    def create_customer(self, account: str, *, email: str, name: str, metadata: dict, idempotency_key: str) -> str: ...

    def update_customer(self, account: str, processor_customer_id: str, *, email: str, name: str) -> None: ...

    def connect_authorize_url(self, *, state: str, redirect_uri: str) -> str:
        """Where a tenant's admin grants the platform access to their Stripe account (Connect OAuth)."""

    def connected_account(self, code: str) -> str:
        """The account an authorisation code grants (``acct_...``); ValidationFailed on a bad code."""

    def create_setup_intent(
        self, account: str, *, processor_customer_id: str, metadata: dict, idempotency_key: str
    ) -> SetupSession: ...

    def payment_method(self, account: str, method_id: str, mandate_id: str | None = None) -> MethodDetails:
        """The method as the processor holds it; with ``mandate_id``, a bank account's mandate reference too."""

    def detach_payment_method(self, account: str, method_id: str) -> None: ...

    def charge(
        self,
        account: str,
        *,
        processor_customer_id: str,
        method_id: str,
        amount: int,
        currency: str,
        idempotency_key: str,
        metadata: dict,
        description: str,
    ) -> ProcessorPayment:
        """An off-session charge; raises PaymentDeclined, AuthenticationRequired, ProcessorUnavailable."""

    def refund(self, account: str, *, payment_reference: str, amount: int | None, idempotency_key: str) -> None: ...

    def payment(self, account: str, reference: str) -> ProcessorPayment: ...

    def create_checkout(
        self,
        account: str,
        *,
        amount: int,
        currency: str,
        name: str,
        success_url: str,
        cancel_url: str,
        metadata: dict,
        customer_email: str | None,
        idempotency_key: str,
    ) -> CheckoutSession: ...

    def checkout(self, account: str, session_id: str) -> CheckoutSession: ...

    def create_setup_checkout(
        self,
        account: str,
        *,
        processor_customer_id: str,
        success_url: str,
        cancel_url: str,
        metadata: dict,
        idempotency_key: str,
    ) -> CheckoutSession:
        """A hosted page where the buyer saves a card or a bank account (a mandate) to the customer."""

    def setup_method(self, account: str, setup_reference: str) -> SavedSetup | None:
        """What a SetupIntent saved, once it succeeded."""

    def expire_checkout(self, account: str, session_id: str) -> None:
        """Close an open session so it can no longer be paid (an edit or a void of its invoice)."""

    def verified_event(self, payload: str, signature: str | None) -> ProcessorEvent:
        """Raises billing.domain.errors.InvalidSignature."""


class ProcessorConnections(Protocol):
    """Each tenant's connected processor account, both ways."""

    def account_of(self, tenant_id: str) -> str | None: ...

    def tenant_of(self, account: str) -> str | None: ...

    def connect(self, tenant_id: str, account: str, previous: str | None) -> None: ...

    def remember_state(self, state: str, tenant_id: str, return_url: str | None, expires_at: datetime) -> None: ...

    def take_state(self, state: str) -> tuple[str, str | None] | None:
        """(tenant, return URL) of a state issued and not yet used or expired; it is used up."""


class PaymentMethodRepository(Protocol):
    def list(self, tenant_id: str, customer_id: str) -> list[PaymentMethod]: ...

    def owner_of(self, tenant_id: str, method_id: str) -> str | None:
        """The customer holding a saved method, if any."""

    def save(self, tenant_id: str, method: PaymentMethod, event: TimelineEvent | None) -> None: ...

    def add(self, tenant_id: str, method: PaymentMethod, event: TimelineEvent) -> None:
        """Store a method not saved before; raises StaleWrite when a concurrent delivery saved it first."""

    def remove(self, tenant_id: str, method: PaymentMethod, event: TimelineEvent) -> None: ...

    def customer_of_processor_customer(self, tenant_id: str, processor_customer_id: str) -> str | None: ...


class PaymentRepository(Protocol):
    def add(self, payment: Payment, event: TimelineEvent, request_key: str | None = None) -> Payment:
        """Returns the payment as stored (its new version). A ``request_key`` names the payment
        for ``for_request``; raises RequestTaken when it already names one."""

    def for_request(self, tenant_id: str, request_key: str) -> Payment | None:
        """The payment a charge request with this key recorded, if any."""

    def get(self, tenant_id: str, payment_id: str) -> Payment: ...

    def by_processor_reference(self, tenant_id: str, reference: str) -> Payment | None: ...

    def save(self, payment: Payment, event: TimelineEvent | None) -> Payment:
        """Optimistic on ``version``; raises StaleWrite when someone saved it meanwhile. Returns the
        payment as stored."""

    def list(
        self, tenant_id: str, *, status: str | None, customer_id: str | None, limit: int, cursor: str | None
    ) -> Page[Payment]: ...


class InvoiceRepository(Protocol):
    """Invoices, their history and the tenant's number sequence."""

    def add(
        self,
        invoice: Invoice,
        entry: HistoryEntry,
        event: TimelineEvent,
        request_key: str | None = None,
        subscription: Subscription | None = None,
    ) -> Invoice:
        """A new invoice with its first history and timeline entries; raises RequestTaken when
        ``request_key`` already names an invoice. A ``subscription`` is saved over its version in
        the same write (StaleWrite when it changed)."""

    def for_request(self, tenant_id: str, request_key: str) -> Invoice | None: ...

    def get(self, tenant_id: str, invoice_id: str) -> Invoice:
        """Raises NotFound."""

    def by_token(self, token: str) -> Invoice | None:
        """The invoice a hosted-page token opens (any tenant), or None once revoked."""

    def save(
        self,
        invoice: Invoice,
        entry: HistoryEntry | None,
        event: TimelineEvent | None = None,
        payment: Payment | None = None,
    ) -> Invoice:
        """Optimistic on ``version``; raises StaleWrite. Returns the invoice as stored. A ledger
        ``payment`` applied to it (or given back) is saved over its version in the same write."""

    def finalize(
        self,
        tenant_id: str,
        drafts: Sequence[Invoice],
        first_number: int,
        numbered: Callable[[Invoice, int], tuple[Invoice, HistoryEntry, TimelineEvent]],
    ) -> list[Invoice]:
        """Number up to 99 drafts gaplessly, in one write with the tenant's counter."""

    def delete(self, invoice: Invoice, event: TimelineEvent) -> None: ...

    def history(self, tenant_id: str, invoice_id: str, *, limit: int, cursor: str | None) -> Page[HistoryEntry]: ...

    def list(self, tenant_id: str, where: InvoiceFilter, *, limit: int, cursor: str | None) -> Page[Invoice]: ...

    def all(self, tenant_id: str, where: InvoiceFilter) -> Iterator[Invoice]: ...


@dataclass(frozen=True)
class CreditIssue:
    """A credit note as it is written: with its invoice (over the version read), the invoice's
    history entry, the customer's timeline entry, the ledger payment a Stripe refund comes from
    (over its version), and what it adds to the customer's credit balance in its currency."""

    note: CreditNote
    invoice: Invoice
    entry: HistoryEntry
    event: TimelineEvent
    payment: Payment | None = None
    balance: int = 0


class CreditNoteRepository(Protocol):
    """Credit notes, their gapless sequence, and customers' credit balances."""

    def add(
        self, tenant_id: str, first_number: int, issue: Callable[[int], CreditIssue], request_key: str | None = None
    ) -> CreditNote:
        """The credit note ``issue(sequence)`` makes with the tenant's next credit-note number, in
        one write with the counter and everything the issue names. RequestTaken when
        ``request_key`` already names a credit note; StaleWrite when the invoice or payment
        changed since read."""

    def for_request(self, tenant_id: str, request_key: str) -> CreditNote | None: ...

    def get(self, tenant_id: str, credit_note_id: str) -> CreditNote:
        """Raises NotFound."""

    def save(self, note: CreditNote) -> CreditNote:
        """What happens after a note is made (its refund's outcome, when it was sent); StaleWrite."""

    def list(self, tenant_id: str, where: CreditNoteFilter, *, limit: int, cursor: str | None) -> Page[CreditNote]: ...

    def all(self, tenant_id: str, where: CreditNoteFilter) -> Iterator[CreditNote]: ...

    def balances(self, tenant_id: str, customer_id: str) -> dict[str, int]:
        """The customer's credit balance per currency (none: {})."""

    def use_balance(self, invoice: Invoice, entry: HistoryEntry, event: TimelineEvent, amount: int) -> Invoice:
        """The invoice paid ``amount`` from its customer's balance in its currency, in one write
        that takes it off the balance; Conflict when the balance holds less, StaleWrite when the
        invoice changed."""


class SubscriptionRepository(Protocol):
    """Subscriptions."""

    def add(
        self, subscriptions: Sequence[Subscription], events: Sequence[TimelineEvent], request_key: str | None
    ) -> list[Subscription]:
        """New subscriptions of one customer in one write that needs the customer; raises
        RequestTaken when ``request_key`` already names subscriptions."""

    def for_request(self, tenant_id: str, request_key: str) -> list[Subscription] | None: ...

    def get(self, tenant_id: str, subscription_id: str) -> Subscription:
        """Raises NotFound."""

    def save(self, subscription: Subscription, event: TimelineEvent | None = None) -> Subscription:
        """Optimistic on ``version``; raises StaleWrite. Returns the subscription as stored."""

    def delete(self, subscription: Subscription, event: TimelineEvent) -> None: ...

    def claim_reminder(self, tenant_id: str, period_key: str) -> bool:
        """True the first time, False ever after."""

    def add_link(self, tenant_id: str, subscription_id: str, token: str, expires_at: datetime) -> None:
        """A payment-method link's token, valid until ``expires_at``."""

    def by_link(self, token: str) -> tuple[str, str, datetime] | None:
        """(tenant, subscription, expiry) of a link's token, or None."""

    def list(
        self, tenant_id: str, where: SubscriptionFilter, *, limit: int, cursor: str | None
    ) -> Page[Subscription]: ...

    def all(self, tenant_id: str, where: SubscriptionFilter) -> Iterator[Subscription]: ...


class EventPublisher(Protocol):
    def publish(self, event: DomainEvent) -> None:
        """Hand what happened to whoever follows it (after it was saved)."""

    def unit(self) -> AbstractContextManager[None]:
        """A unit of work: what is published inside is followed when it ends."""


class WebhookLog(Protocol):
    """Processed-once bookkeeping for inbound processor events."""

    def claim(self, event_id: str, event_type: str) -> bool:
        """True when this delivery may process the event: first seen, or an earlier attempt failed
        or stalled. False when it is done or being processed right now."""

    def finish(self, event_id: str, outcome: str) -> None: ...

    def fail(self, event_id: str, error: str) -> None: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


class Mailer(Protocol):
    def send(
        self,
        *,
        sender_name: str,
        reply_to: str | None,
        to: list[str],
        subject: str,
        text: str,
        cc: Sequence[str] = (),
        attachments: Sequence[Attachment] = (),
    ) -> str:
        """Send a text email (with copies and files) from the platform's address; returns the message id."""


class ProcessorCustomerSync(Protocol):
    """Keeps the processor's copy of a customer in step with ours (PaymentMethodService)."""

    def before_delete(self, customer: Customer) -> None:
        """Detach the customer's saved methods at the processor; raises ProcessorUnavailable if it cannot."""

    def after_update(self, before: Customer, after: Customer, actor: str) -> None:
        """Push a changed name or email to the processor's customer (best effort, on the timeline)."""


class VatIdRegistry(Protocol):
    """The EU's register of VAT ids (VIES), asked whether a VAT id is valid there."""

    def check(self, vat_id: str, requester_vat_id: str) -> VatIdCheck:
        """What the register says of ``vat_id`` (asked on behalf of ``requester_vat_id``, the seller's,
        which earns a consultation number): confirmed, not confirmed, or unavailable; never raises."""
