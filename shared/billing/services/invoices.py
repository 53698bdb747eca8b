"""Invoices (SPEC I1-I12): create, edit, finalize with gapless numbers, void, clone, delete, payments
recorded by hand or applied from the ledger, and the history of every change.

Callers other than the API (a subscription's billing cycle) use ``create`` with a request key
and ``finalize: true``: a retry with the same key returns the invoice the first call made, and
finishes it when the first call stopped before finalizing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from billing.domain.access import Caller, Permission, Role
from billing.domain.customers import Customer
from billing.domain.errors import (
    Conflict,
    DeliveryFailed,
    FieldError,
    NotFound,
    RequestTaken,
    StaleWrite,
    ValidationFailed,
)
from billing.domain.invoices import (
    EXPORT_COLUMNS,
    MAX_FINALIZE_BATCH,
    EInvoiceFormat,
    HistoryEntry,
    Invoice,
    InvoiceFilter,
    InvoiceStatus,
    PaymentSource,
    PaymentTerms,
    cc_errors,
    cloned,
    deletion_refusal,
    document_key,
    edit_refusal,
    einvoice_refusal,
    finalized,
    format_number,
    history_entry,
    hosted_url,
    new_invoice,
    new_invoice_payment,
    priced,
    recipient_of,
    service_period,
    terms_for_days,
    voided,
    with_payment,
    with_refund_followed,
    without_payment,
)
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.domain.payments import Payment, PaymentStatus, applied_to, new_payment, without_application
from billing.domain.pricing import summarize
from billing.domain.settings import Seller
from billing.domain.subscriptions import Subscription
from billing.domain.templates import MAX_MESSAGE_LENGTH, MAX_SUBJECT_LENGTH, filled
from billing.domain.timeline import TimelineEvent, timeline_event
from billing.ports import (
    Attachment,
    Clock,
    CustomerRepository,
    DocumentReader,
    EInvoiceWriter,
    FileStore,
    InvoiceRenderer,
    InvoiceRepository,
    Mailer,
    PaymentGateway,
    PaymentListener,
    PaymentRepository,
    ProcessorConnections,
    SettingsRepository,
    SpreadsheetWriter,
    SubscriptionInvoices,
)
from billing.services.exports import Export, export_table, spreadsheet, stored_export
from billing.services.notifications import format_amount, send_as_tenant
from billing.services.optimistic import SAVE_ATTEMPTS, change_with_retry
from billing.services.payments import PaymentService
from billing.services.pricing import PricingService, library_ids

MAX_ASSOCIATIONS = 20
SYSTEM_ACTOR = "billow"


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime


# What a PATCH may change; the money fields re-price the invoice.
EDITABLE = (
    "customer_id",
    "currency",
    "lines",
    "adjustments",
    "payment_terms",
    "days_until_due",
    "due_date",
    "memo",
    "footer",
    "owner",
    "associated_customer_ids",
)


class InvoiceService:
    def __init__(
        self,
        invoices: InvoiceRepository,
        customers: CustomerRepository,
        pricing: PricingService,
        settings: SettingsRepository,
        clock: Clock,
        payments: PaymentRepository | None = None,
        files: FileStore | None = None,
        renderer: InvoiceRenderer | None = None,
        link_seconds: int = 3600,
        mailer: Mailer | None = None,
        gateway: PaymentGateway | None = None,
        connections: ProcessorConnections | None = None,
        payment_service: PaymentService | None = None,
        exports: FileStore | None = None,
        spreadsheets: SpreadsheetWriter | None = None,
        export_seconds: int = 3600,
        einvoices: EInvoiceWriter | None = None,
        documents: DocumentReader | None = None,
        notifier: PaymentListener | None = None,
        subscriptions: SubscriptionInvoices | None = None,
    ):
        self._invoices = invoices
        self._customers = customers
        self._pricing = pricing
        self._settings = settings
        self._clock = clock
        self._payments = payments
        self._files = files
        self._renderer = renderer
        self._link_seconds = link_seconds
        self._mailer = mailer
        self._gateway = gateway
        self._connections = connections
        self._payment_service = payment_service
        self._exports = exports
        self._spreadsheets = spreadsheets
        self._export_seconds = export_seconds
        self._einvoices = einvoices
        self._documents = documents
        self._notifier = notifier
        self._subscriptions = subscriptions

    # ------------------------------------------------------------ create, read

    def create(
        self, caller: Caller, request: dict, request_key: str | None = None, subscription: Subscription | None = None
    ) -> Invoice:
        """I1: a draft (or, with ``finalize``, an open invoice) for a customer. With a
        ``request_key`` the invoice is made once per key; a ``subscription`` (moved on to its next
        period) is saved in the same write, so a period is invoiced once."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self._invoices.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._finished(caller, earlier, request)
        now = self._clock.now()
        if self._documents is not None:  # one round trip for customer, settings and library
            inputs = self._documents.read(caller.tenant_id, request["customer_id"], *library_ids(request["lines"]))
            customer = self._usable(inputs.customer, "customer_id")
            settings, catalog = inputs.settings, (inputs.products, inputs.rates)
        else:
            customer = self._customer(caller, request["customer_id"], "customer_id")
            settings, catalog = self._settings.get(caller.tenant_id), None
        currency = settings.billing_currency(request.get("currency") or settings.default_currency)
        details = self._priced(caller, currency, request, now.date(), catalog)
        terms = self._terms(request, settings.default_payment_terms_days)
        address = customer.address_for_subscription(request["address_id"]) if request.get("address_id") else None
        invoice = new_invoice(
            caller.tenant_id,
            customer,
            now,
            address=address,
            currency=currency,
            memo=request.get("memo", ""),
            footer=request.get("footer", ""),
            owner=request.get("owner") or caller.user_id,
            associated_customer_ids=self._associations(caller, request.get("associated_customer_ids", [])),
            subscription_id=request.get("subscription_id"),
            subscription_period=request.get("subscription_period"),
            **details,
            **terms,
        )
        entry = history_entry(invoice.id, "created", now, caller.user_id, "Invoice created as a draft")
        event = self._event(invoice, "invoice.created", caller.user_id, f"Invoice draft created ({_amount(invoice)})")
        try:
            invoice = self._invoices.add(invoice, entry, event, request_key, subscription)
        except (RequestTaken, StaleWrite):
            earlier = self._invoices.for_request(caller.tenant_id, request_key) if request_key else None
            if earlier is None:  # the subscription moved on meanwhile without this period's invoice
                raise
            return self._finished(caller, earlier, request)
        return self.finalize(caller, invoice.id) if request.get("finalize") else invoice

    def _finished(self, caller: Caller, invoice: Invoice, request: dict) -> Invoice:
        """A repeated create: the first one's invoice, finalized now if it asked to be and is not yet."""
        if request.get("finalize") and invoice.status is InvoiceStatus.DRAFT:
            return self.finalize(caller, invoice.id)
        return invoice

    def today(self) -> date:
        return self._clock.now().date()

    def filter(
        self,
        *,
        statuses: tuple[str, ...] = (),
        customer_id: str | None = None,
        number: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        created_from: date | None = None,
        created_to: date | None = None,
        total_min: int | None = None,
        total_max: int | None = None,
        overdue: bool = False,
        ids: tuple[str, ...] = (),
    ) -> InvoiceFilter:
        """I11: the list's filters, AND across properties and OR within ``statuses``."""
        if due_from and due_to and due_from > due_to:
            raise ValidationFailed.of("due_to", "must not be before due_from")
        if created_from and created_to and created_from > created_to:
            raise ValidationFailed.of("created_to", "must not be before created_from")
        if total_min is not None and total_max is not None and total_min > total_max:
            raise ValidationFailed.of("amount_max", "must not be below amount_min")
        return InvoiceFilter(
            statuses=tuple(dict.fromkeys(statuses)),
            customer_id=customer_id,
            number=number,
            due_from=due_from.isoformat() if due_from else None,
            due_to=due_to.isoformat() if due_to else None,
            created_from=created_from.isoformat() if created_from else None,
            created_to=created_to.isoformat() if created_to else None,
            total_min=total_min,
            total_max=total_max,
            overdue_on=self.today().isoformat() if overdue else None,
            ids=ids,
        )

    def get(self, caller: Caller, invoice_id: str) -> Invoice:
        caller.require(Permission.READ)
        return self._invoices.get(caller.tenant_id, invoice_id)

    def list(self, caller: Caller, where, *, limit: int, cursor: str | None) -> Page[Invoice]:
        caller.require(Permission.READ)
        return self._invoices.list(caller.tenant_id, where, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)

    def history(self, caller: Caller, invoice_id: str, *, limit: int, cursor: str | None) -> Page[HistoryEntry]:
        caller.require(Permission.READ)
        self._invoices.get(caller.tenant_id, invoice_id)
        return self._invoices.history(caller.tenant_id, invoice_id, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)

    # ------------------------------------------------------------ edit

    def update(self, caller: Caller, invoice_id: str, changes: dict) -> Invoice:
        """I2 (drafts), I4 (finalized: tenant setting, admin, never after a payment, never a
        subscription's invoice; an open checkout is cancelled)."""
        caller.require(Permission.WRITE)
        settings = self._settings.get(caller.tenant_id)

        seen: dict[str, Invoice] = {}  # the version the saved change was made from

        def change(invoice: Invoice) -> tuple[Invoice, HistoryEntry, TimelineEvent | None]:
            seen["invoice"] = invoice
            refusal = edit_refusal(
                invoice,
                editing_allowed=settings.invoice_editing_allowed,
                may_edit_finalized=caller.role is Role.ADMIN,
            )
            if refusal:
                raise Conflict("; ".join(refusal.reasons))
            now = self._clock.now()
            updates: dict = {}
            if "customer_id" in changes and changes["customer_id"] != invoice.customer_id:
                if invoice.status is not InvoiceStatus.DRAFT:
                    raise ValidationFailed.of("customer_id", "a finalized invoice keeps its customer")
                customer = self._customer(caller, changes["customer_id"], "customer_id")
                updates |= {"customer_id": customer.id, "recipient": recipient_of(customer)}
            if "currency" in changes:
                updates["currency"] = settings.billing_currency(changes["currency"])
            currency = updates.get("currency", invoice.currency)
            if {"lines", "adjustments", "currency"} & changes.keys():
                request = {"lines": changes.get("lines"), "adjustments": changes.get("adjustments")}
                if request["lines"] is None:
                    raise ValidationFailed.of("lines", "send the lines again when the currency or adjustments change")
                request["adjustments"] = request["adjustments"] or []
                updates |= self._priced(caller, currency, request, invoice.issued_on or now.date())
            if {"payment_terms", "days_until_due", "due_date"} & changes.keys():
                updates |= self._terms(changes, settings.default_payment_terms_days)
                if invoice.issued_on is not None and updates["payment_terms"] is not PaymentTerms.DUE_DATE:
                    updates["due_date"] = invoice.issued_on + timedelta(days=updates["days_until_due"])
            for name in ("memo", "footer", "owner"):
                if name in changes:
                    updates[name] = changes[name]
            if "associated_customer_ids" in changes:
                updates["associated_customer_ids"] = self._associations(caller, changes["associated_customer_ids"])
            if invoice.status is not InvoiceStatus.DRAFT:
                # I4: an edit cancels an open checkout (the PDF follows the document's new content).
                updates["checkout_session_id"] = None
            updated = replace(invoice, updated_at=now, **updates)
            entry = history_entry(
                invoice.id,
                "updated",
                now,
                caller.user_id,
                "Invoice edited",
                fields=sorted(changes.keys() & set(EDITABLE)),
            )
            return updated, entry, None

        updated = self._change(caller, invoice_id, change)
        if seen["invoice"].status is not InvoiceStatus.DRAFT:
            self._close_checkout(seen["invoice"])
        return updated

    def _change(self, caller: Caller, invoice_id: str, change) -> Invoice:
        return self._change_as_system(caller.tenant_id, invoice_id, change)

    # ------------------------------------------------------------ finalize (I3)

    def finalize(self, caller: Caller, invoice_id: str) -> Invoice:
        """Number the draft and open it. Finalizing an invoice finalized meanwhile answers it."""
        caller.require(Permission.WRITE)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self._invoices.get(caller.tenant_id, invoice_id)
            if invoice.status is not InvoiceStatus.DRAFT:
                if invoice.finalized_at is None or invoice.status is InvoiceStatus.VOID:
                    raise Conflict(f"invoice {invoice_id} is {invoice.status.value}; only a draft is finalized")
                return invoice
            try:
                return self.finalize_drafts(caller, [invoice])[0]
            except StaleWrite:
                continue
        raise StaleWrite(f"invoice {invoice_id}")

    def finalize_drafts(self, caller: Caller, drafts: list[Invoice]) -> list[Invoice]:
        """The batch path (the billing run): up to 99 drafts take a block of numbers in one
        transaction with the counter, in the order given."""
        caller.require(Permission.WRITE)
        if len(drafts) > MAX_FINALIZE_BATCH:
            raise ValueError(f"at most {MAX_FINALIZE_BATCH} invoices per batch")
        settings = self._settings.get(caller.tenant_id)
        now = self._clock.now()
        for draft in drafts:
            if not draft.lines:
                raise ValidationFailed.of("lines", "an invoice needs at least one line to be finalized")

        def numbered(draft: Invoice, sequence: int):
            number = format_number(settings.invoice_number_prefix, settings.invoice_number_digits, sequence)
            invoice = finalized(draft, number, sequence, now, now.date(), settings.seller)
            summary = f"Invoice {number} finalized ({_amount(invoice)})"
            entry = history_entry(draft.id, "finalized", now, caller.user_id, summary, number=number)
            return invoice, entry, self._event(invoice, "invoice.finalized", caller.user_id, summary)

        return self._invoices.finalize(caller.tenant_id, drafts, settings.invoice_number_start, numbered)

    # ------------------------------------------------------------ void, clone, delete

    def void(self, caller: Caller, invoice_id: str) -> Invoice:
        """I9: irreversible; the hosted link stops working and an open checkout is closed."""
        caller.require(Permission.WRITE)
        seen: dict[str, Invoice] = {}  # the version the void was made from: its checkout is closed

        def change(invoice: Invoice):
            seen["invoice"] = invoice
            now = self._clock.now()
            updated = voided(invoice, now)
            summary = f"Invoice {invoice.number} voided"
            entry = history_entry(invoice.id, "voided", now, caller.user_id, summary)
            return updated, entry, self._event(updated, "invoice.voided", caller.user_id, summary)

        void = self._change(caller, invoice_id, change)
        self._close_checkout(seen["invoice"])
        return void

    def _close_checkout(self, invoice: Invoice) -> None:
        """Expire the invoice's open Checkout Session so it can no longer be paid (best effort: a
        payment that still arrives is kept in the ledger and put on the timeline to refund)."""
        if not invoice.checkout_session_id or self._gateway is None or self._connections is None:
            return
        account = self._connections.account_of(invoice.tenant_id)
        if account is None:
            return
        try:
            self._gateway.expire_checkout(account, invoice.checkout_session_id)
        except Exception:  # the void or edit stands; the session expires by itself within 24 hours
            from billing.observability import logger

            logger.exception("expiring checkout session %s failed", invoice.checkout_session_id)

    def clone(self, caller: Caller, invoice_id: str) -> Invoice:
        caller.require(Permission.WRITE)
        original = self._invoices.get(caller.tenant_id, invoice_id)
        now = self._clock.now()
        copy = cloned(original, now, caller.user_id)
        entry = history_entry(copy.id, "created", now, caller.user_id, f"Cloned from {original.number or original.id}")
        event = self._event(copy, "invoice.created", caller.user_id, f"Invoice draft cloned ({_amount(copy)})")
        return self._invoices.add(copy, entry, event)

    def delete(self, caller: Caller, invoice_id: str) -> None:
        """I2: drafts (billing); I8: finalized ones when the tenant allows it and unpaid (admin)."""
        caller.require(Permission.WRITE)
        settings = self._settings.get(caller.tenant_id)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self._invoices.get(caller.tenant_id, invoice_id)
            if invoice.status is not InvoiceStatus.DRAFT:
                caller.require(Permission.ADMINISTER)
            refusal = deletion_refusal(invoice, deleting_allowed=settings.invoice_deleting_allowed)
            if refusal:
                raise Conflict("; ".join(refusal.reasons))
            what = f"Invoice {invoice.number}" if invoice.number else "Invoice draft"
            event = self._event(invoice, "invoice.deleted", caller.user_id, f"{what} deleted")
            try:
                self._invoices.delete(invoice, event)
                return
            except StaleWrite:
                continue
        raise StaleWrite(f"invoice {invoice_id}")

    # ------------------------------------------------------------ payments (I5)

    def record_payment(self, caller: Caller, invoice_id: str, request: dict) -> Invoice:
        """A payment recorded by hand, or a ledger payment applied: ``amount`` of it, by default
        what is left of it up to the amount due. No receipt is sent."""
        caller.require(Permission.WRITE)
        if request.get("payment_id"):
            return self._settled(self._apply_ledger_payment(caller, invoice_id, request["payment_id"], request))
        now = self._clock.now()

        def change(invoice: Invoice):
            payment = new_invoice_payment(
                request["amount"],
                request.get("paid_on") or now.date(),
                PaymentSource.MANUAL,
                now,
                caller.user_id,
                method=request.get("method", "other"),
                reference=request.get("reference", ""),
            )
            return self._payment_recorded(invoice, payment, caller.user_id, now)

        return self._settled(self._change(caller, invoice_id, change))

    def _payment_recorded(self, invoice: Invoice, payment, actor: str, now: datetime):
        updated = with_payment(invoice, payment, now)
        summary = f"Payment of {format_amount(payment.amount, invoice.currency)} recorded ({payment.method or 'other'})"
        entry = history_entry(invoice.id, "payment_recorded", now, actor, summary, payment=payment.id)
        event = self._event(updated, "invoice.payment_recorded", actor, f"Invoice {invoice.number}: {summary}")
        return updated, entry, event

    def _apply_ledger_payment(self, caller: Caller, invoice_id: str, payment_id: str, request: dict) -> Invoice:
        """I5: a succeeded ledger payment applied to this invoice, recorded on both in one write."""
        self._ledger_payment(caller, payment_id)  # 422 naming payment_id when there is no such payment

        def decide(invoice: Invoice, ledger: Payment):
            if ledger.customer_id != invoice.customer_id:
                raise ValidationFailed.of("payment_id", "the payment is from another customer")
            if ledger.currency != invoice.currency:
                raise ValidationFailed.of("payment_id", f"the payment is in {ledger.currency}")
            if ledger.status is not PaymentStatus.SUCCEEDED:
                raise ValidationFailed.of("payment_id", f"the payment is {ledger.status.value}, not succeeded")
            if any(p.payment_id == ledger.id for p in invoice.payments):
                raise Conflict(f"payment {ledger.id} is already applied to this invoice")
            if not invoice.status.collectable:
                raise Conflict(f"invoice {invoice.id} is {invoice.status.value}; only an open invoice takes payments")
            self._refuse_if_taken_for_another(invoice, ledger)
            now = self._clock.now()
            paid_from = applied_to(ledger, invoice.id, request.get("amount"), invoice.amount_due, now)
            payment = new_invoice_payment(
                paid_from.applications[-1].amount,
                ledger.created_at.date(),
                PaymentSource.LEDGER,
                now,
                caller.user_id,
                method=ledger.method,
                reference=ledger.processor_payment_id or "",
                payment_id=ledger.id,
            )
            return *self._payment_recorded(invoice, payment, caller.user_id, now), paid_from

        return self._with_ledger_payment(caller.tenant_id, invoice_id, payment_id, decide)

    def _refuse_if_taken_for_another(self, invoice: Invoice, ledger: Payment) -> None:
        """A payment Billow took for an invoice (its charge, its Checkout) pays that invoice; it
        may pay another only when its own invoice never took it (voided or settled otherwise
        before the money came). A subscription's first payment pays its first invoices only."""
        if ledger.invoice_id and ledger.invoice_id != invoice.id:
            try:
                own = self._invoices.get(invoice.tenant_id, ledger.invoice_id)
            except NotFound:
                return
            if own.status.collectable or any(p.payment_id == ledger.id for p in own.payments):
                raise Conflict(
                    f"payment {ledger.id} was taken for invoice {own.number or own.id}; it cannot pay another invoice"
                )
        if ledger.subscription_ids and not (
            invoice.subscription_id in ledger.subscription_ids and invoice.subscription_period == 0
        ):
            raise Conflict(
                f"payment {ledger.id} was taken for the first payment of subscription "
                f"{', '.join(ledger.subscription_ids)}; it cannot pay another invoice"
            )

    def _with_ledger_payment(self, tenant_id: str, invoice_id: str, payment_id: str, decide) -> Invoice:
        """Read the invoice and the ledger payment, ``decide(invoice, payment)`` what becomes of both
        (the changed invoice, its history and timeline entries and the changed payment, or None
        for nothing to do), and save both over the versions read in one write: racing applications
        of one payment read again, so together they never apply more than the payment is."""
        for _ in range(SAVE_ATTEMPTS):
            invoice = self._invoices.get(tenant_id, invoice_id)
            ledger = self._payments.get(tenant_id, payment_id)
            decided = decide(invoice, ledger)
            if decided is None:
                return invoice
            updated, entry, event, paid_from = decided
            try:
                return self._invoices.save(updated, entry, event, payment=paid_from)
            except StaleWrite:
                continue
        raise StaleWrite(f"invoice {invoice_id}")

    def _settled(self, invoice: Invoice) -> Invoice:
        """A subscription's invoice paid in full is that subscription's period paid (S7)."""
        if invoice.status is InvoiceStatus.PAID and invoice.subscription_id and self._subscriptions is not None:
            self._subscriptions.invoice_paid(invoice)
        return invoice

    def remove_payment(self, caller: Caller, invoice_id: str, payment_id: str) -> Invoice:
        """I5: a payment recorded by hand, or a ledger payment's application, taken off the
        invoice; the ledger payment gets that part back to apply elsewhere."""
        caller.require(Permission.WRITE)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self._invoices.get(caller.tenant_id, invoice_id)
            now = self._clock.now()
            updated, removed = without_payment(invoice, payment_id, now)
            paid_from = None
            if removed.payment_id and self._payments is not None:
                try:
                    ledger = self._payments.get(caller.tenant_id, removed.payment_id)
                except NotFound:
                    ledger = None
                if ledger is not None:
                    paid_from = without_application(ledger, invoice.id, now)
            summary = f"Payment of {format_amount(removed.amount, invoice.currency)} removed"
            entry = history_entry(invoice.id, "payment_removed", now, caller.user_id, summary, payment=payment_id)
            event = self._event(updated, "invoice.payment_removed", caller.user_id, summary)
            try:
                saved = self._invoices.save(updated, entry, event, payment=paid_from)
            except StaleWrite:
                continue
            if paid_from is not None and paid_from.amount_refunded:  # its refunds spread anew
                self.follow_refunds(paid_from)
            return saved
        raise StaleWrite(f"invoice {invoice_id}")

    def follow_refunds(self, payment: Payment) -> None:
        """A refund of a ledger payment reaches the invoices it was applied to: on each, the part
        the refund took back no longer counts as paid (see ``refunds_spread`` for which part)."""
        for application in payment.applications:

            def change(invoice: Invoice, application=application):
                held = next((p for p in invoice.payments if p.payment_id == payment.id), None)
                if held is None or held.refunded == application.refunded:
                    return invoice, None, None
                now = self._clock.now()
                updated = with_refund_followed(invoice, payment.id, application.refunded, now)
                if updated is invoice:
                    return invoice, None, None
                given_back, of = (format_amount(a, invoice.currency) for a in (application.refunded, held.amount))
                due = format_amount(updated.amount_due, invoice.currency)
                summary = f"Payment {payment.id} refunded: {given_back} of its {of} no longer counts as paid"
                if application.refunded < held.refunded:  # another invoice gave its part of the payment back
                    summary = f"Payment {payment.id}: {given_back} of its {of} counts as refunded now"
                summary += f" (amount due {due})"
                entry = history_entry(
                    invoice.id,
                    "payment_refunded",
                    now,
                    SYSTEM_ACTOR,
                    summary,
                    payment=payment.id,
                    refunded=application.refunded,
                )
                return updated, entry, self._event(updated, "invoice.payment_refunded", SYSTEM_ACTOR, summary)

            try:
                self._change_as_system(payment.tenant_id, application.invoice_id, change)
            except NotFound:
                continue

    def _ledger_payment(self, caller: Caller, payment_id: str):
        if self._payments is None:
            raise ValidationFailed.of("payment_id", "the payments ledger is not available here")
        try:
            return self._payments.get(caller.tenant_id, payment_id)
        except NotFound:
            raise ValidationFailed.of("payment_id", "no such payment in the ledger") from None

    # ------------------------------------------------------------ the PDF (I6)

    def pdf_link(self, caller: Caller, invoice_id: str, hosted_base: str) -> Link:
        """A presigned link to the invoice's PDF. Each version of the document is rendered once
        and kept: the same content is the same file (a void, or an I4 edit, makes a new one)."""
        caller.require(Permission.READ)
        invoice = self._invoices.get(caller.tenant_id, invoice_id)
        return self._document_link(invoice, self.stored_pdf(invoice, hosted_base)[0], "pdf", self._link_seconds)

    def _document_link(self, invoice: Invoice, key: str, extension: str, seconds: int) -> Link:
        """The stored document behind an expiring link, downloaded under the invoice's number."""
        name = f"{invoice.number or 'draft'}.{extension}"
        url = self._files.download_url(key, seconds, download_name=name)
        return Link(url, self._clock.now() + timedelta(seconds=seconds))

    def stored_pdf(
        self, invoice: Invoice, hosted_base: str, *, with_bytes: bool = False, first_send: bool = False
    ) -> tuple[str, bytes | None]:
        """The key of the invoice's PDF in the document store (rendered and stored when new), and
        its bytes when asked for. Once stored, a document is never written again. ``first_send``
        (an invoice never sent, whose email wants the bytes) renders it without first asking the
        store what cannot be there yet."""
        key = document_key(invoice, hosted_base, "pdf", "pdf")
        if not first_send:
            if not with_bytes and self._files.exists(key):
                return key, None
            if with_bytes and (stored := self._files.get(key)) is not None:
                return key, stored
        seller = invoice.seller or self._settings.get(invoice.tenant_id).seller
        body = self._renderer.render(invoice, seller, hosted_url(invoice, hosted_base))
        self._files.put_new(key, body, "application/pdf")
        return key, body

    # ------------------------------------------------------------ the hosted page and online payment (I6, W1)

    def hosted(self, token: str) -> Invoice:
        """The invoice a hosted-page token opens: the token is the only credential (any tenant)."""
        well_formed = 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
        invoice = self._invoices.by_token(token) if well_formed else None
        if invoice is None:
            raise NotFound("this invoice link is not valid (or the invoice was voided)")
        return invoice

    def seller_of(self, tenant_id: str) -> Seller:
        return self._settings.get(tenant_id).seller

    def hosted_pdf_link(self, token: str, hosted_base: str) -> Link:
        invoice = self.hosted(token)
        return self._document_link(invoice, self.stored_pdf(invoice, hosted_base)[0], "pdf", 300)

    def return_from_checkout(self, invoice: Invoice, session_id: str) -> tuple[Invoice, bool]:
        """The buyer is back from Checkout: settle the session now if it is this invoice's own open
        session (the webhook does the same; whichever comes second finds it done). Answers the
        invoice as it now stands and whether its payment is still being confirmed; any other
        session id (made up, another invoice's, another tenant's) is ignored."""
        if not invoice.status.collectable or session_id != invoice.checkout_session_id or self._connections is None:
            return invoice, False
        account = self._connections.account_of(invoice.tenant_id)
        if account is None:
            return invoice, False
        self.settle_checkout(invoice.tenant_id, account, session_id)
        invoice = self._invoices.get(invoice.tenant_id, invoice.id)
        return invoice, invoice.status.collectable and invoice.checkout_session_id == session_id

    def pay_online(self, token: str, hosted_base: str) -> str:
        """A Stripe Checkout Session on the tenant's connected account for the amount due; the
        buyer's browser goes to its URL. An open session for the same amount is used again."""
        invoice = self.hosted(token)
        if not invoice.status.collectable or invoice.amount_due <= 0:
            raise Conflict(f"invoice {invoice.number} is {invoice.status.value}; nothing is due")
        account = self._connections.account_of(invoice.tenant_id) if self._connections else None
        if account is None:
            raise Conflict("this business has not set up online payment; please pay by bank transfer")
        if invoice.checkout_session_id:
            current = self._gateway.checkout(account, invoice.checkout_session_id)
            if current.status == "open" and current.amount == invoice.amount_due and current.url:
                return current.url
        page = f"{hosted_base}/i/{token}"
        session = self._gateway.create_checkout(
            account,
            amount=invoice.amount_due,
            currency=invoice.currency,
            name=f"Invoice {invoice.number}",
            success_url=f"{page}?checkout={{CHECKOUT_SESSION_ID}}",
            cancel_url=page,
            metadata={"billow_tenant": invoice.tenant_id, "billow_invoice": invoice.id},
            customer_email=invoice.recipient.email or None,
            # One session per invoice state: a retry reuses it, a payment or an edit starts another.
            idempotency_key=f"checkout:{invoice.id}:{invoice.version}:{invoice.amount_due}",
        )

        def change(current: Invoice):
            now = self._clock.now()
            entry = history_entry(current.id, "checkout_started", now, "buyer", "The buyer opened online payment")
            return replace(current, checkout_session_id=session.id, updated_at=now), entry, None

        self._change_as_system(invoice.tenant_id, invoice.id, change)
        return session.url

    def settle_checkout(self, tenant_id: str, account: str, session_id: str) -> str:
        """A completed Checkout Session pays its invoice, once, whichever of the webhook and the
        buyer's return comes first: the session is re-read from Stripe, the ledger payment is
        named by the session, and an invoice already holding its payment is left as it is."""
        session = self._gateway.checkout(account, session_id)
        invoice_id = session.metadata.get("billow_invoice")
        if session.metadata.get("billow_tenant") != tenant_id or not invoice_id:
            return "ignored: the session is not for a Billow invoice of this tenant"
        if session.payment_status != "paid" or not session.payment_reference:
            return f"ignored: the session is {session.status}/{session.payment_status}"
        invoice = self._invoices.get(tenant_id, invoice_id)
        if any(p.reference == session.payment_reference for p in invoice.payments):
            return f"invoice {invoice.number} already holds this payment"
        now = self._clock.now()
        payment = new_payment(
            tenant_id,
            invoice.customer_id,
            session.amount,
            session.currency,
            now,
            processor_payment_id=session.payment_reference,
            method="card (Stripe Checkout)",
            description=f"Invoice {invoice.number}",
            invoice_id=invoice.id,
        )
        payment = replace(payment, status=PaymentStatus.SUCCEEDED)
        event = timeline_event(
            invoice.customer_id,
            "payment.created",
            now,
            SYSTEM_ACTOR,
            f"Paid invoice {invoice.number} online",
            payment_id=payment.id,
            invoice_id=invoice.id,
        )
        try:
            payment = self._payments.add(payment, event, request_key=f"checkout:{session.id}")
        except RequestTaken:
            payment = self._payments.for_request(tenant_id, f"checkout:{session.id}")
        else:  # recorded now, by this call only: the receipt and the admins' note go out once (W4)
            if self._notifier is not None:
                self._notifier.payment_changed(payment, PaymentStatus.PENDING)
        self._paid_online(tenant_id, invoice_id, payment, SYSTEM_ACTOR, "Stripe Checkout")
        return f"invoice {invoice.number} paid online"

    def _paid_online(self, tenant_id: str, invoice_id: str, payment: Payment, actor: str, how: str) -> Invoice:
        """A succeeded ledger payment (Checkout, or a charge of the card on file) applied to its
        invoice once, recorded on both: an invoice already holding it is left as it is."""

        def decide(current: Invoice, ledger: Payment):
            if any(p.payment_id == ledger.id for p in current.payments):
                return None
            if ledger.status is not PaymentStatus.SUCCEEDED:
                return None
            at = self._clock.now()
            if not current.status.collectable or current.amount_due <= 0 or ledger.amount_unapplied <= 0:
                # Paid at Stripe after the invoice was voided or settled otherwise: the money is in
                # the ledger; a person decides on the refund.
                note = (
                    f"Payment {ledger.id} of {format_amount(ledger.amount, ledger.currency)} arrived for invoice "
                    f"{current.number}, which is {current.status.value}: refund it or apply it elsewhere"
                )
                self._customers.add_event(tenant_id, self._event(current, "invoice.payment_unapplied", actor, note))
                return None
            paid_from = applied_to(ledger, current.id, None, current.amount_due, at)
            applied = new_invoice_payment(
                paid_from.applications[-1].amount,
                at.date(),
                PaymentSource.ONLINE,
                at,
                actor,
                method=ledger.method or "card",
                reference=ledger.processor_payment_id or "",
                payment_id=ledger.id,
            )
            updated = with_payment(current, applied, at)
            summary = f"Paid online: {format_amount(applied.amount, current.currency)} ({how})"
            entry = history_entry(current.id, "paid_online", at, actor, summary, payment=ledger.id)
            event = self._event(updated, "invoice.paid", actor, f"Invoice {current.number}: {summary}")
            return updated, entry, event, paid_from

        return self._settled(self._with_ledger_payment(tenant_id, invoice_id, payment.id, decide))

    # ------------------------------------------------------------ collection (the card on file)

    def charge(
        self, caller: Caller, invoice_id: str, payment_method_id: str | None = None, attempt: int = 0
    ) -> Invoice:
        """Charge the amount due to the customer's card on file (or the method given) and apply
        the payment. One charge per invoice, amount due and ``attempt`` (a dunning retry's
        number): a retry of the call, or a second worker, finishes that charge instead of starting
        another. A decline is a PaymentFailed (402)."""
        caller.require(Permission.WRITE)
        invoice = self._invoices.get(caller.tenant_id, invoice_id)
        if not invoice.status.collectable or invoice.amount_due <= 0:
            raise Conflict(f"invoice {invoice.number or invoice.id} is {invoice.status.value}; nothing is due")
        request = {
            "customer_id": invoice.customer_id,
            "amount": invoice.amount_due,
            "currency": invoice.currency,
            "payment_method_id": payment_method_id,
            "description": f"Invoice {invoice.number}",
            "invoice_id": invoice.id,
        }
        key = f"invoice:{invoice.id}:{invoice.amount_due}" + (f":retry-{attempt}" if attempt else "")
        payment = self._payment_service.charge(caller, request, key)
        if payment.status is not PaymentStatus.SUCCEEDED:
            return invoice  # pending (a bank debit): the invoice stays open until it succeeds
        return self._paid_online(caller.tenant_id, invoice_id, payment, caller.user_id, "card on file")

    def issue(
        self,
        caller: Caller,
        request: dict,
        request_key: str,
        *,
        collect: str | None,
        hosted_base: str,
        subscription: Subscription | None = None,
        paid_by: Payment | None = None,
    ) -> Invoice:
        """For callers other than the API (a subscription's billing cycle): create, finalize and
        charge or send in one call, idempotently. Repeated with the same ``request_key`` it returns
        the same invoice and does only what the first call did not finish: a charge is never made
        twice, and an invoice already sent is not sent again. ``paid_by``, a payment taken before
        the invoice existed (a subscription's first), is applied instead of a charge."""
        invoice = self.create(caller, {**request, "finalize": True}, request_key, subscription)
        if paid_by is not None:
            if paid_by.status is PaymentStatus.SUCCEEDED:
                invoice = self.apply_online_payment(caller.tenant_id, invoice.id, paid_by)
        elif collect == "charge" and invoice.status.collectable:
            invoice = self.charge(caller, invoice.id, request.get("payment_method_id"))
        elif collect == "send" and invoice.last_sent_at is None:
            invoice = self.send(caller, invoice.id, {}, hosted_base)
        return invoice

    def for_request(self, tenant_id: str, request_key: str) -> Invoice | None:
        return self._invoices.for_request(tenant_id, request_key)

    def note_payment_outcome(self, tenant_id: str, invoice_id: str, payment: Payment) -> Invoice:
        """A payment of this invoice was refunded or disputed at the processor: its history says so."""

        def change(invoice: Invoice):
            now = self._clock.now()
            summary = f"Payment {payment.id} {payment.status.value} at Stripe"
            entry = history_entry(invoice.id, f"payment_{payment.status.value}", now, SYSTEM_ACTOR, summary)
            return replace(invoice, updated_at=now), entry, None

        return self._change_as_system(tenant_id, invoice_id, change)

    def apply_online_payment(self, tenant_id: str, invoice_id: str, payment: Payment) -> Invoice:
        """A succeeded ledger payment Billow took for this invoice, applied once."""
        return self._paid_online(tenant_id, invoice_id, payment, SYSTEM_ACTOR, payment.method or "card on file")

    def _change_as_system(self, tenant_id: str, invoice_id: str, change) -> Invoice:
        """Read, change and save over the version read; a concurrent change makes it read again.
        ``change`` answers the invoice itself when there is nothing to change."""
        return change_with_retry(
            lambda: self._invoices.get(tenant_id, invoice_id), change, self._invoices.save, f"invoice {invoice_id}"
        )

    # ------------------------------------------------------------ EN 16931 e-invoices

    def einvoice_link(self, caller: Caller, invoice_id: str, fmt: EInvoiceFormat, hosted_base: str) -> Link:
        """ZUGFeRD/Factur-X (PDF/A-3 with the XML) or XRechnung (CII XML), made once per version of
        the document and kept beside its PDF; 409 with every reason when the invoice cannot be one."""
        caller.require(Permission.READ)
        invoice = self._invoices.get(caller.tenant_id, invoice_id)
        seller = invoice.seller or self.seller_of(caller.tenant_id)
        refusal = einvoice_refusal(invoice, seller, fmt)
        if refusal:
            raise Conflict("; ".join(refusal.reasons))
        extension = "pdf" if fmt is EInvoiceFormat.ZUGFERD else "xml"
        key = document_key(invoice, hosted_base, fmt.value, extension)
        if not self._files.exists(key):
            payment_url = hosted_url(invoice, hosted_base)
            if fmt is EInvoiceFormat.ZUGFERD:
                _, pdf = self.stored_pdf(invoice, hosted_base, with_bytes=True)
                body = self._einvoices.zugferd(invoice, seller, pdf, payment_url=payment_url)
                self._files.put_new(key, body, "application/pdf")
            else:
                body = self._einvoices.xml(invoice, seller, xrechnung=True, payment_url=payment_url)
                self._files.put_new(key, body, "application/xml")
        return self._document_link(invoice, key, extension, self._link_seconds)

    # ------------------------------------------------------------ email (I7)

    def send(self, caller: Caller, invoice_id: str, request: dict, hosted_base: str) -> Invoice:
        """Email the invoice: to its billing email (or ``to``), up to 9 copies, the tenant's
        subject and message unless given, the hosted link and the PDF attached. A draft is
        finalized first. The send is recorded only once the mail service took the message."""
        caller.require(Permission.WRITE)
        errors = cc_errors(request.get("cc") or [])
        if errors:
            raise ValidationFailed(errors)
        invoice = self._invoices.get(caller.tenant_id, invoice_id)
        if invoice.status is InvoiceStatus.VOID:
            raise Conflict(f"invoice {invoice_id} is void; a void invoice is not sent")
        to = request.get("to") or invoice.recipient.email
        if not to:
            raise ValidationFailed.of("to", "the customer has no billing email; give one")
        if invoice.status is InvoiceStatus.DRAFT:
            invoice = self.finalize(caller, invoice_id)
        settings = self._settings.get(caller.tenant_id)
        values = {
            "number": invoice.number,
            "business_name": settings.business_name or "us",
            "total": format_amount(invoice.total, invoice.currency),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
        }
        subject = request.get("subject") or filled(settings.invoice_email_subject, values, MAX_SUBJECT_LENGTH)
        message = request.get("message") or filled(settings.invoice_email_message, values, MAX_MESSAGE_LENGTH)
        text = f"{message}\n\nView and pay online: {hosted_url(invoice, hosted_base)}\n"
        _, pdf = self.stored_pdf(invoice, hosted_base, with_bytes=True, first_send=invoice.last_sent_at is None)
        cc = list(dict.fromkeys(request.get("cc") or []))
        message_id = self._mail(
            settings,
            to=[to],
            cc=cc,
            subject=subject,
            text=text,
            attachments=[Attachment(f"{invoice.number}.pdf", "application/pdf", pdf)],
        )

        def change(current: Invoice):
            now = self._clock.now()
            summary = f"Invoice {current.number} sent to {', '.join([to, *cc])}"
            entry = history_entry(current.id, "sent", now, caller.user_id, summary, to=to, cc=cc, message_id=message_id)
            event = self._event(current, "invoice.sent", caller.user_id, summary)
            return replace(current, last_sent_at=now, updated_at=now), entry, event

        return self._change(caller, invoice_id, change)

    def send_receipt(self, caller: Caller, invoice_id: str, payment_id: str, to: str | None = None) -> Invoice:
        """I5: a receipt for a payment recorded on the invoice, sent only when asked for."""
        caller.require(Permission.WRITE)
        invoice = self._invoices.get(caller.tenant_id, invoice_id)
        payment = next((p for p in invoice.payments if p.id == payment_id), None)
        if payment is None:
            raise NotFound(f"payment {payment_id} not found on invoice {invoice_id}")
        to = to or invoice.recipient.email
        if not to:
            raise ValidationFailed.of("to", "the customer has no billing email; give one")
        settings = self._settings.get(caller.tenant_id)
        amount = format_amount(payment.amount, invoice.currency)
        text = (
            f"Thank you for your payment to {settings.business_name or 'us'}.\n\n"
            f"Amount paid:   {amount}\nPaid on:       {payment.paid_on.isoformat()}\n"
            f"Method:        {payment.method.replace('_', ' ')}\nInvoice:       {invoice.number}\n"
            f"Still due:     {format_amount(invoice.amount_due, invoice.currency)}\n"
        )
        message_id = self._mail(settings, to=[to], subject=f"Receipt for invoice {invoice.number}", text=text)

        def change(current: Invoice):
            now = self._clock.now()
            summary = f"Receipt for {amount} sent to {to}"
            details = {"payment": payment_id, "message_id": message_id}
            entry = history_entry(current.id, "receipt_sent", now, caller.user_id, summary, **details)
            event = self._event(current, "receipt.sent", caller.user_id, summary)
            return replace(current, updated_at=now), entry, event

        return self._change(caller, invoice_id, change)

    def _mail(self, settings, **message) -> str:
        try:
            return send_as_tenant(self._mailer, settings, **message)
        except Exception as error:  # the mail service refused or is down: nothing is recorded as sent
            from billing.observability import logger

            logger.exception("sending an invoice email failed")
            raise DeliveryFailed(f"the email could not be sent ({type(error).__name__}); try again") from error

    # ------------------------------------------------------------ export (I11)

    def export(self, caller: Caller, where: InvoiceFilter, columns: list[str], file_format: str) -> Export:
        """The invoices the filter (or its ids) selects, newest first, with the chosen columns,
        as XLSX or CSV behind an expiring link."""
        caller.require(Permission.READ)
        unknown = [
            FieldError(f"columns.{i}", "no such column") for i, c in enumerate(columns) if c not in EXPORT_COLUMNS
        ]
        if unknown:
            raise ValidationFailed(unknown)
        records = self._invoices.all(caller.tenant_id, where)
        headers, rows = export_table(EXPORT_COLUMNS, records, self.today(), columns)
        body = spreadsheet(self._spreadsheets, file_format, "Invoices", headers, rows)
        return stored_export(
            self._exports, self._clock, caller.tenant_id, "invoices", file_format, body, len(rows), self._export_seconds
        )

    # ------------------------------------------------------------ helpers

    def _customer(self, caller: Caller, customer_id: str, field_name: str) -> Customer:
        try:
            customer = self._customers.get(caller.tenant_id, customer_id)
        except NotFound:
            customer = None
        return self._usable(customer, field_name)

    @staticmethod
    def _usable(customer: Customer | None, field_name: str) -> Customer:
        if customer is None:
            raise ValidationFailed.of(field_name, "no such customer")
        if customer.archived:
            raise ValidationFailed.of(field_name, "the customer is archived; restore it first")
        return customer

    def _associations(self, caller: Caller, customer_ids: list[str]) -> tuple[str, ...]:
        """I12: further customers (contacts, companies) the invoice is associated with."""
        if len(customer_ids) > MAX_ASSOCIATIONS:
            raise ValidationFailed.of("associated_customer_ids", f"at most {MAX_ASSOCIATIONS}")
        errors = []
        for index, customer_id in enumerate(customer_ids):
            try:
                self._customers.get(caller.tenant_id, customer_id)
            except NotFound:
                errors.append(FieldError(f"associated_customer_ids.{index}", "no such customer"))
        if errors:
            raise ValidationFailed(errors)
        return tuple(dict.fromkeys(customer_ids))

    def _priced(self, caller: Caller, currency: str, request: dict, today: date, catalog=None) -> dict:
        """P6: every line is billed once, now; a recurring product's line shows its service period."""
        lines = request["lines"]
        errors = [
            FieldError(f"lines.{i}.billing_start", "an invoice bills every line now; give period_start/period_end")
            for i, line in enumerate(lines)
            if line.get("billing_start")
        ]
        errors += [
            FieldError(f"lines.{i}.payments", "an invoice bills a line once")
            for i, line in enumerate(lines)
            if line.get("payments")
        ]
        if errors:
            raise ValidationFailed(errors)
        items, adjustments = self._pricing.document_items(
            caller.tenant_id, currency, lines, request.get("adjustments") or [], catalog=catalog
        )
        periods = [
            service_period(item.frequency, today, line.get("period_start"), line.get("period_end"), f"lines.{i}")
            for i, (item, line) in enumerate(zip(items, lines, strict=True))
        ]
        summary = summarize([item.as_one_time() for item in items], adjustments, currency, today)
        lines_out, adjustments_out, totals = priced(summary, [item.frequency for item in items], periods)
        return {"lines": lines_out, "adjustments": adjustments_out, "totals": totals}

    def _terms(self, request: dict, default_days: int) -> dict:
        terms = request.get("payment_terms")
        if request.get("due_date") is not None:
            if terms not in (None, PaymentTerms.DUE_DATE.value):
                raise ValidationFailed.of("due_date", f"give a due date or payment terms {terms!r}, not both")
            return {"payment_terms": PaymentTerms.DUE_DATE, "days_until_due": None, "due_date": request["due_date"]}
        if terms is None:
            return {"payment_terms": terms_for_days(default_days), "days_until_due": default_days, "due_date": None}
        terms = PaymentTerms(terms)
        if terms is PaymentTerms.DUE_DATE:
            raise ValidationFailed.of("due_date", "required with payment_terms due_date")
        if terms is PaymentTerms.NET_DAYS:
            days = request.get("days_until_due")
            if days is None:
                raise ValidationFailed.of("days_until_due", "required with payment_terms net_days")
            return {"payment_terms": terms, "days_until_due": days, "due_date": None}
        return {"payment_terms": terms, "days_until_due": terms.days, "due_date": None}

    def _event(self, invoice: Invoice, event_type: str, actor: str, summary: str) -> TimelineEvent:
        return timeline_event(
            invoice.customer_id,
            event_type,
            self._clock.now(),
            actor,
            summary,
            invoice_id=invoice.id,
            number=invoice.number,
        )


def _amount(invoice: Invoice) -> str:
    return format_amount(invoice.total, invoice.currency)
