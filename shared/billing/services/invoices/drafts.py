"""Making and editing invoices: a draft (or, with ``finalize``, an open invoice) for a customer,
an edit of a draft (or, where the tenant allows it, of a finalized invoice), and a clone.

Callers other than the API (a subscription's billing cycle) create with a request key and
``finalize: true``: a retry with the same key returns the invoice the first call made, and
finishes it when the first call stopped before finalizing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from billing.domain.access import Caller, Permission, Role
from billing.domain.catalog import Product, TaxRate
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
from billing.domain.orders import AdjustmentOrder, InvoiceOrder, LineOrder
from billing.domain.pricing import Adjustment, LineItem, summarize
from billing.domain.settings import TenantSettings
from billing.domain.subscriptions import PeriodInvoice, Subscription
from billing.domain.timeline import TimelineEvent
from billing.domain.treatments import TaxPosition, position_of, treated_items
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


@dataclass(frozen=True)
class InvoiceDrafts:
    invoices: InvoiceRepository
    customers: CustomerRepository
    pricing: PricingService
    settings: SettingsRepository
    documents: DocumentReader
    lifecycle: InvoiceLifecycle
    checkout: CheckoutCloser
    clock: Clock

    def create(self, caller: Caller, order: InvoiceOrder, request_key: str | None = None) -> Invoice:
        """A draft (or, with ``finalize``, an open invoice) for a customer; with a ``request_key``
        made once per key."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self.invoices.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._finished(caller, earlier, order.finalize)
        now = self.clock.now()
        # One round trip for customer, settings and library.
        inputs = self.documents.read(caller.tenant_id, order.customer_id, *library_ids(order.lines))
        customer = billable(inputs.customer, "customer_id")
        settings = inputs.settings
        currency = settings.billing_currency(order.currency or settings.default_currency)
        details = self._priced(
            caller,
            currency,
            order.lines,
            order.adjustments,
            now.date(),
            settings,
            position_of(settings, customer),
            (inputs.products, inputs.rates),
        )
        invoice = new_invoice(
            caller.tenant_id,
            customer,
            now,
            currency=currency,
            memo=order.memo,
            footer=order.footer,
            owner=order.owner or caller.user_id,
            associated_customer_ids=self._associations(caller, order.associated_customer_ids),
            **details,
            **_terms(order.payment_terms, order.days_until_due, order.due_date, settings.default_payment_terms_days),
        )
        return self._added(caller, invoice, now, request_key, None, order.finalize)

    def create_for_period(
        self,
        caller: Caller,
        bill: PeriodInvoice,
        request_key: str,
        subscription: Subscription | None,
        *,
        finalize: bool,
    ) -> Invoice:
        """The invoice of a subscription's period (a draft, numbered later with its batch, or with
        ``finalize`` open at once), its lines priced as they are (no library read, no parsing).
        ``subscription``, moved on to its next period, is saved in the same write, so a period is
        invoiced once (None: it was moved on already); a retry with the same key finishes the
        first call's invoice."""
        caller.require(Permission.WRITE)
        earlier = self.invoices.for_request(caller.tenant_id, request_key)
        if earlier is not None:
            return self._finished(caller, earlier, finalize)
        now = self.clock.now()
        inputs = self.documents.read(caller.tenant_id, bill.customer_id, set(), set())
        customer = billable(inputs.customer, "customer_id")
        period = bill.period
        address = customer.address_for_subscription(bill.address_id) if bill.address_id else None
        details = _priced_items(
            list(bill.lines),
            list(bill.adjustments),
            [(period.start, period.end)] * len(bill.lines),
            bill.currency,
            now.date(),
            position_of(inputs.settings, customer, bill.address_id),
            inputs.settings.language,
        )
        days = bill.days_until_due
        invoice = new_invoice(
            caller.tenant_id,
            customer,
            now,
            address=address,
            currency=bill.currency,
            memo=bill.memo,
            owner=caller.user_id,
            subscription_id=bill.subscription_id,
            subscription_period=period.number,
            payment_terms=PaymentTerms.NET_DAYS if days else PaymentTerms.DUE_ON_RECEIPT,
            days_until_due=days,
            due_date=None,
            **details,
        )
        return self._added(caller, invoice, now, request_key, subscription, finalize)

    def _added(
        self,
        caller: Caller,
        invoice: Invoice,
        now: datetime,
        request_key: str | None,
        subscription: Subscription | None,
        finalize: bool,
    ) -> Invoice:
        entry = history_entry(invoice.id, "created", now, caller.user_id, "Invoice created as a draft")
        summary = f"Invoice draft created ({amount_of(invoice)})"
        event = invoice_event(invoice, "invoice.created", caller.user_id, summary, now)
        try:
            invoice = self.invoices.add(invoice, entry, event, request_key, subscription)
        except (RequestTaken, StaleWrite):
            earlier = self.invoices.for_request(caller.tenant_id, request_key) if request_key else None
            if earlier is None:  # the subscription moved on meanwhile without this period's invoice
                raise
            return self._finished(caller, earlier, finalize)
        return self.lifecycle.finalize(caller, invoice.id) if finalize else invoice

    def _finished(self, caller: Caller, invoice: Invoice, finalize: bool) -> Invoice:
        """A repeated create: the first one's invoice, finalized now if it asked to be and is not yet."""
        if finalize and invoice.status is InvoiceStatus.DRAFT:
            return self.lifecycle.finalize(caller, invoice.id)
        return invoice

    def update(self, caller: Caller, invoice_id: str, changes: Mapping[str, Any]) -> Invoice:
        """``changes`` are the fields a PATCH sent, the lines and adjustments as written orders.
        A draft freely; a finalized one only with the tenant's setting, by an admin, never after a
        payment, never a subscription's invoice (an open checkout is cancelled)."""
        caller.require(Permission.WRITE)
        settings = self.settings.get(caller.tenant_id)

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
            now = self.clock.now()
            updates: dict[str, Any] = {}
            customer = None
            if "customer_id" in changes and changes["customer_id"] != invoice.customer_id:
                if invoice.status is not InvoiceStatus.DRAFT:
                    raise ValidationFailed.of("customer_id", "a finalized invoice keeps its customer")
                customer = self._customer(caller, changes["customer_id"], "customer_id")
                updates |= {"customer_id": customer.id, "recipient": recipient_of(customer)}
            if "currency" in changes:
                updates["currency"] = settings.billing_currency(changes["currency"])
            currency = updates.get("currency", invoice.currency)
            if {"lines", "adjustments", "currency"} & changes.keys():
                if changes.get("lines") is None:
                    raise ValidationFailed.of("lines", "send the lines again when the currency or adjustments change")
                adjustments = changes.get("adjustments") or ()
                buyer = customer or self._customer(caller, invoice.customer_id, "customer_id")
                updates |= self._priced(
                    caller,
                    currency,
                    changes["lines"],
                    adjustments,
                    invoice.issued_on or now.date(),
                    settings,
                    position_of(settings, buyer),
                )
            if {"payment_terms", "days_until_due", "due_date"} & changes.keys():
                updates |= _terms(
                    changes.get("payment_terms"),
                    changes.get("days_until_due"),
                    changes.get("due_date"),
                    settings.default_payment_terms_days,
                )
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

        updated = changed_invoice(self.invoices, caller.tenant_id, invoice_id, change)
        if seen["invoice"].status is not InvoiceStatus.DRAFT:
            self.checkout.close(seen["invoice"])
        return updated

    def clone(self, caller: Caller, invoice_id: str) -> Invoice:
        caller.require(Permission.WRITE)
        original = self.invoices.get(caller.tenant_id, invoice_id)
        now = self.clock.now()
        copy = cloned(original, now, caller.user_id)
        entry = history_entry(copy.id, "created", now, caller.user_id, f"Cloned from {original.number or original.id}")
        event = invoice_event(copy, "invoice.created", caller.user_id, f"Invoice draft cloned ({amount_of(copy)})", now)
        return self.invoices.add(copy, entry, event)

    def _customer(self, caller: Caller, customer_id: str, field_name: str) -> Customer:
        try:
            customer = self.customers.get(caller.tenant_id, customer_id)
        except NotFound:
            customer = None
        return billable(customer, field_name)

    def _associations(self, caller: Caller, customer_ids: Sequence[str]) -> tuple[str, ...]:
        """Further customers (contacts, companies) the invoice is associated with."""
        if len(customer_ids) > MAX_ASSOCIATIONS:
            raise ValidationFailed.of("associated_customer_ids", f"at most {MAX_ASSOCIATIONS}")
        errors = []
        for index, customer_id in enumerate(customer_ids):
            try:
                self.customers.get(caller.tenant_id, customer_id)
            except NotFound:
                errors.append(FieldError(f"associated_customer_ids.{index}", "no such customer"))
        if errors:
            raise ValidationFailed(errors)
        return tuple(dict.fromkeys(customer_ids))

    def _priced(
        self,
        caller: Caller,
        currency: str,
        lines: Sequence[LineOrder],
        adjustments: Sequence[AdjustmentOrder],
        today: date,
        settings: TenantSettings,
        position: TaxPosition,
        catalog: tuple[dict[str, Product], dict[str, TaxRate]] | None = None,
    ) -> dict[str, Any]:
        """Every line is billed once, now; a recurring product's line shows its service period."""
        errors = [
            FieldError(f"lines.{i}.billing_start", "an invoice bills every line now; give period_start/period_end")
            for i, line in enumerate(lines)
            if line.billing_start
        ]
        errors += [
            FieldError(f"lines.{i}.payments", "an invoice bills a line once")
            for i, line in enumerate(lines)
            if line.payments
        ]
        if errors:
            raise ValidationFailed(errors)
        items, priced_adjustments = self.pricing.document_items(
            caller.tenant_id,
            currency,
            lines,
            adjustments,
            catalog=catalog,
            default_tax_rate_id=settings.default_tax_rate_id,
        )
        periods = [
            service_period(item.frequency, today, line.period_start, line.period_end, f"lines.{i}")
            for i, (item, line) in enumerate(zip(items, lines, strict=True))
        ]
        return _priced_items(items, priced_adjustments, periods, currency, today, position, settings.language)


def _priced_items(
    items: list[LineItem],
    adjustments: list[Adjustment],
    periods: list[tuple[date | None, date | None]],
    currency: str,
    today: date,
    position: TaxPosition,
    language: str,
) -> dict[str, Any]:
    """An invoice's lines, adjustments and totals: each line billed once, for its service period,
    its tax as the invoice's VAT treatment has it."""
    once = [item.as_one_time() for item in treated_items(items, position, language)]
    summary = summarize(once, adjustments, currency, today)
    lines_out, adjustments_out, totals = priced(summary, [item.frequency for item in items], periods)
    return {
        "lines": lines_out,
        "adjustments": adjustments_out,
        "totals": totals,
        "vat_treatment": position.treatment,
        "vat_treatment_note": position.why,
    }


def _terms(terms_written: str | None, days: int | None, due_date: date | None, default_days: int) -> dict[str, Any]:
    if due_date is not None:
        if terms_written not in (None, PaymentTerms.DUE_DATE.value):
            raise ValidationFailed.of("due_date", f"give a due date or payment terms {terms_written!r}, not both")
        return {"payment_terms": PaymentTerms.DUE_DATE, "days_until_due": None, "due_date": due_date}
    if terms_written is None:
        return {"payment_terms": terms_for_days(default_days), "days_until_due": default_days, "due_date": None}
    terms = PaymentTerms(terms_written)
    if terms is PaymentTerms.DUE_DATE:
        raise ValidationFailed.of("due_date", "required with payment_terms due_date")
    if terms is PaymentTerms.NET_DAYS:
        if days is None:
            raise ValidationFailed.of("days_until_due", "required with payment_terms net_days")
        return {"payment_terms": terms, "days_until_due": days, "due_date": None}
    return {"payment_terms": terms, "days_until_due": terms.days, "due_date": None}
