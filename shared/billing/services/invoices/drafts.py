"""Making and editing invoices: a draft (or, with ``finalize``, an open invoice) for a customer,
an edit of a draft (or, where the tenant allows it, of a finalized invoice), and a clone.

Callers other than the API (a subscription's billing cycle) create with a request key and
``finalize: true``: a retry with the same key returns the invoice the first call made, and
finishes it when the first call stopped before finalizing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from billing.domain.access import Caller, Permission, Role
from billing.domain.customers import Customer, billable
from billing.domain.errors import Conflict, FieldError, NotFound, RequestTaken, StaleWrite, ValidationFailed
from billing.domain.invoices import (
    HistoryEntry,
    Invoice,
    InvoiceStatus,
    PaymentTerms,
    cloned,
    edit_refusal,
    history_entry,
    new_invoice,
    priced,
    recipient_of,
    service_period,
    terms_for_days,
)
from billing.domain.pricing import summarize
from billing.domain.subscriptions import Subscription
from billing.domain.timeline import TimelineEvent
from billing.ports import Clock, CustomerRepository, DocumentReader, InvoiceRepository, SettingsRepository
from billing.services.invoices.common import CheckoutCloser, amount_of, changed_invoice, invoice_event
from billing.services.invoices.lifecycle import InvoiceLifecycle
from billing.services.pricing import PricingService, library_ids

MAX_ASSOCIATIONS = 20

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


class InvoiceDrafts:
    def __init__(
        self,
        invoices: InvoiceRepository,
        customers: CustomerRepository,
        pricing: PricingService,
        settings: SettingsRepository,
        documents: DocumentReader,
        lifecycle: InvoiceLifecycle,
        checkout: CheckoutCloser,
        clock: Clock,
    ):
        self._invoices = invoices
        self._customers = customers
        self._pricing = pricing
        self._settings = settings
        self._documents = documents
        self._lifecycle = lifecycle
        self._checkout = checkout
        self._clock = clock

    def create(
        self, caller: Caller, request: dict, request_key: str | None = None, subscription: Subscription | None = None
    ) -> Invoice:
        """A draft (or, with ``finalize``, an open invoice) for a customer. With a ``request_key``
        the invoice is made once per key; a ``subscription`` (moved on to its next period) is saved
        in the same write, so a period is invoiced once."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self._invoices.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._finished(caller, earlier, request)
        now = self._clock.now()
        # One round trip for customer, settings and library.
        inputs = self._documents.read(caller.tenant_id, request["customer_id"], *library_ids(request["lines"]))
        customer = billable(inputs.customer, "customer_id")
        settings, catalog = inputs.settings, (inputs.products, inputs.rates)
        currency = settings.billing_currency(request.get("currency") or settings.default_currency)
        details = self._priced(caller, currency, request, now.date(), catalog)
        terms = _terms(request, settings.default_payment_terms_days)
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
        summary = f"Invoice draft created ({amount_of(invoice)})"
        event = invoice_event(invoice, "invoice.created", caller.user_id, summary, now)
        try:
            invoice = self._invoices.add(invoice, entry, event, request_key, subscription)
        except (RequestTaken, StaleWrite):
            earlier = self._invoices.for_request(caller.tenant_id, request_key) if request_key else None
            if earlier is None:  # the subscription moved on meanwhile without this period's invoice
                raise
            return self._finished(caller, earlier, request)
        return self._lifecycle.finalize(caller, invoice.id) if request.get("finalize") else invoice

    def _finished(self, caller: Caller, invoice: Invoice, request: dict) -> Invoice:
        """A repeated create: the first one's invoice, finalized now if it asked to be and is not yet."""
        if request.get("finalize") and invoice.status is InvoiceStatus.DRAFT:
            return self._lifecycle.finalize(caller, invoice.id)
        return invoice

    def update(self, caller: Caller, invoice_id: str, changes: dict) -> Invoice:
        """A draft freely; a finalized one only with the tenant's setting, by an admin, never after a
        payment, never a subscription's invoice (an open checkout is cancelled)."""
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
                updates |= _terms(changes, settings.default_payment_terms_days)
                if invoice.issued_on is not None and updates["payment_terms"] is not PaymentTerms.DUE_DATE:
                    updates["due_date"] = invoice.issued_on + timedelta(days=updates["days_until_due"])
            for name in ("memo", "footer", "owner"):
                if name in changes:
                    updates[name] = changes[name]
            if "associated_customer_ids" in changes:
                updates["associated_customer_ids"] = self._associations(caller, changes["associated_customer_ids"])
            if invoice.status is not InvoiceStatus.DRAFT:
                # An edit of a finalized invoice cancels an open checkout (the PDF follows the new content).
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

        updated = changed_invoice(self._invoices, caller.tenant_id, invoice_id, change)
        if seen["invoice"].status is not InvoiceStatus.DRAFT:
            self._checkout.close(seen["invoice"])
        return updated

    def clone(self, caller: Caller, invoice_id: str) -> Invoice:
        caller.require(Permission.WRITE)
        original = self._invoices.get(caller.tenant_id, invoice_id)
        now = self._clock.now()
        copy = cloned(original, now, caller.user_id)
        entry = history_entry(copy.id, "created", now, caller.user_id, f"Cloned from {original.number or original.id}")
        event = invoice_event(copy, "invoice.created", caller.user_id, f"Invoice draft cloned ({amount_of(copy)})", now)
        return self._invoices.add(copy, entry, event)

    def _customer(self, caller: Caller, customer_id: str, field_name: str) -> Customer:
        try:
            customer = self._customers.get(caller.tenant_id, customer_id)
        except NotFound:
            customer = None
        return billable(customer, field_name)

    def _associations(self, caller: Caller, customer_ids: list[str]) -> tuple[str, ...]:
        """Further customers (contacts, companies) the invoice is associated with."""
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
        """Every line is billed once, now; a recurring product's line shows its service period."""
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


def _terms(request: dict, default_days: int) -> dict:
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
