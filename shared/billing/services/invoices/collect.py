"""Collecting an invoice: payments recorded by hand, ledger payments applied (and given back), the
card on file charged, online payments applied once, and refunds followed to the invoices they
reach. A subscription's invoice paid in full is handed to its subscription."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, NotFound, RequestTaken, StaleWrite, ValidationFailed
from billing.domain.events import InvoicePaid, PaymentStatusChanged
from billing.domain.invoices import (
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    PaymentSource,
    history_entry,
    new_invoice_payment,
    with_payment,
    with_refund_followed,
    without_payment,
)
from billing.domain.orders import PaymentEntry
from billing.domain.payments import (
    Charge,
    Payment,
    PaymentApplication,
    PaymentStatus,
    applied_to,
    new_payment,
    without_application,
)
from billing.domain.timeline import SYSTEM_ACTOR, timeline_event
from billing.formatting import format_amount
from billing.ports import (
    CheckoutSession,
    Clock,
    CustomerRepository,
    EventPublisher,
    InvoiceRepository,
    PaymentRepository,
)
from billing.services.credit_notes.issue import CreditNoteIssuing
from billing.services.invoices.common import (
    InvoiceChanged,
    LedgerDecided,
    changed_invoice,
    invoice_event,
    with_ledger_payment,
)
from billing.services.optimistic import SAVE_ATTEMPTS
from billing.services.payments import PaymentService


@dataclass(frozen=True)
class InvoiceCollection:
    invoices: InvoiceRepository
    payments: PaymentRepository
    customers: CustomerRepository
    payment_service: PaymentService
    events: EventPublisher
    clock: Clock
    credit_notes: CreditNoteIssuing

    # ------------------------------------------------------------ by hand, and from the ledger

    def record_payment(self, caller: Caller, invoice_id: str, entry: PaymentEntry) -> Invoice:
        """A payment recorded by hand, or a ledger payment applied: ``amount`` of it, by default
        what is left of it up to the amount due. No receipt is sent."""
        caller.require(Permission.WRITE)
        if entry.payment_id:
            return self._settled(self._apply_ledger_payment(caller, invoice_id, entry.payment_id, entry.amount))
        now = self.clock.now()

        def change(invoice: Invoice) -> InvoiceChanged:
            payment = new_invoice_payment(
                entry.amount,
                entry.paid_on or now.date(),
                PaymentSource.MANUAL,
                now,
                caller.user_id,
                method=entry.method,
                reference=entry.reference,
            )
            return self._payment_recorded(invoice, payment, caller.user_id, now)

        return self._settled(changed_invoice(self.invoices, caller.tenant_id, invoice_id, change))

    def _payment_recorded(self, invoice: Invoice, payment: InvoicePayment, actor: str, now: datetime) -> InvoiceChanged:
        updated = with_payment(invoice, payment, now)
        summary = f"Payment of {format_amount(payment.amount, invoice.currency)} recorded ({payment.method or 'other'})"
        entry = history_entry(invoice.id, "payment_recorded", now, actor, summary, payment=payment.id)
        event = invoice_event(updated, "invoice.payment_recorded", actor, f"Invoice {invoice.number}: {summary}", now)
        return updated, entry, event

    def _apply_ledger_payment(self, caller: Caller, invoice_id: str, payment_id: str, amount: int | None) -> Invoice:
        """A succeeded ledger payment applied to this invoice, recorded on both in one write."""
        try:
            self.payments.get(caller.tenant_id, payment_id)
        except NotFound:
            raise ValidationFailed.of("payment_id", "no such payment in the ledger") from None

        def decide(invoice: Invoice, ledger: Payment) -> LedgerDecided:
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
            now = self.clock.now()
            paid_from = applied_to(ledger, invoice.id, amount, invoice.amount_due, now)
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

        return with_ledger_payment(self.invoices, self.payments, caller.tenant_id, invoice_id, payment_id, decide)

    def _refuse_if_taken_for_another(self, invoice: Invoice, ledger: Payment) -> None:
        """A payment Billow took for an invoice (its charge, its Checkout) pays that invoice; it
        may pay another only when its own invoice never took it (voided or settled otherwise
        before the money came). A subscription's first payment pays its first invoices only."""
        if ledger.invoice_id and ledger.invoice_id != invoice.id:
            try:
                own = self.invoices.get(invoice.tenant_id, ledger.invoice_id)
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

    def _settled(self, invoice: Invoice) -> Invoice:
        """An invoice paid in full by this change is said so (a subscription's is its period paid)."""
        if invoice.status is InvoiceStatus.PAID:
            self.events.publish(InvoicePaid(invoice))
        return invoice

    def remove_payment(self, caller: Caller, invoice_id: str, payment_id: str) -> Invoice:
        """A payment recorded by hand, or a ledger payment's application, taken off the invoice;
        the ledger payment gets that part back to apply elsewhere."""
        caller.require(Permission.WRITE)
        for _ in range(SAVE_ATTEMPTS):
            invoice = self.invoices.get(caller.tenant_id, invoice_id)
            now = self.clock.now()
            updated, removed = without_payment(invoice, payment_id, now)
            paid_from = None
            if removed.payment_id:
                try:
                    ledger = self.payments.get(caller.tenant_id, removed.payment_id)
                except NotFound:
                    ledger = None
                if ledger is not None:
                    paid_from = without_application(ledger, invoice.id, now)
            summary = f"Payment of {format_amount(removed.amount, invoice.currency)} removed"
            entry = history_entry(invoice.id, "payment_removed", now, caller.user_id, summary, payment=payment_id)
            event = invoice_event(updated, "invoice.payment_removed", caller.user_id, summary, now)
            try:
                saved = self.invoices.save(updated, entry, event, payment=paid_from)
            except StaleWrite:
                continue
            if paid_from is not None and paid_from.amount_refunded:  # its refunds spread anew
                self.follow_refunds(paid_from)
            return saved
        raise StaleWrite(f"invoice {invoice_id}")

    def follow_refunds(self, payment: Payment) -> None:
        """A refund of a ledger payment reaches the invoices it was applied to (see
        ``refunds_spread`` for which part of it each gives back). What it gives back anew of an
        invoice is credited by a credit note (refunded already), up to what is left of the
        invoice; anything else (a part given back because another invoice took it, an invoice
        with nothing left to credit) no longer counts as paid."""
        for application in payment.applications:
            for _ in range(SAVE_ATTEMPTS):
                try:
                    invoice = self.invoices.get(payment.tenant_id, application.invoice_id)
                except NotFound:
                    break
                held = next((p for p in invoice.payments if p.payment_id == payment.id), None)
                if held is None or held.refunded == application.refunded:
                    break
                try:
                    if self.credit_notes.for_refund(invoice, payment, application.refunded, SYSTEM_ACTOR):
                        break
                    self._refund_followed(invoice, payment, application)
                except StaleWrite:
                    continue
                break

    def _refund_followed(self, invoice: Invoice, payment: Payment, application: PaymentApplication) -> None:
        held = next(p for p in invoice.payments if p.payment_id == payment.id)
        now = self.clock.now()
        updated = with_refund_followed(invoice, payment.id, application.refunded, now)
        if updated is invoice:
            return
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
        self.invoices.save(
            updated, entry, invoice_event(updated, "invoice.payment_refunded", SYSTEM_ACTOR, summary, now)
        )

    # ------------------------------------------------------------ online: the card on file, Checkout

    def charge(
        self, caller: Caller, invoice_id: str, payment_method_id: str | None = None, attempt: int = 0
    ) -> Invoice:
        """Charge the amount due to the customer's card on file (or the method given) and apply
        the payment. One charge per invoice, amount due and ``attempt`` (a dunning retry's
        number): a retry of the call, or a second worker, finishes that charge instead of starting
        another. A decline is a PaymentFailed (402)."""
        caller.require(Permission.WRITE)
        invoice = self.invoices.get(caller.tenant_id, invoice_id)
        if not invoice.status.collectable or invoice.amount_due <= 0:
            raise Conflict(f"invoice {invoice.number or invoice.id} is {invoice.status.value}; nothing is due")
        charge = Charge(
            customer_id=invoice.customer_id,
            amount=invoice.amount_due,
            currency=invoice.currency,
            payment_method_id=payment_method_id,
            description=f"Invoice {invoice.number}",
            invoice_id=invoice.id,
        )
        key = f"invoice:{invoice.id}:{invoice.amount_due}" + (f":retry-{attempt}" if attempt else "")
        payment = self.payment_service.charge(caller, charge, key)
        if payment.status is not PaymentStatus.SUCCEEDED:
            return invoice  # pending (a bank debit): the invoice stays open until it succeeds
        return self.paid_online(caller.tenant_id, invoice_id, payment, caller.user_id, "card on file")

    def apply_online_payment(self, tenant_id: str, invoice_id: str, payment: Payment) -> Invoice:
        """A succeeded ledger payment Billow took for this invoice, applied once."""
        return self.paid_online(tenant_id, invoice_id, payment, SYSTEM_ACTOR, payment.method or "card on file")

    def paid_at_checkout(self, tenant_id: str, invoice: Invoice, session: CheckoutSession) -> Invoice:
        """A paid Checkout Session's payment in the ledger, named by the session (recorded once,
        whoever comes first), applied to its invoice."""
        now = self.clock.now()
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
            payment = self.payments.add(payment, event, request_key=f"checkout:{session.id}")
        except RequestTaken:
            recorded = self.payments.for_request(tenant_id, f"checkout:{session.id}")
            assert recorded is not None  # a key is taken only by the payment it names
            payment = recorded
        else:  # recorded now, by this call only: the receipt and the admins' note go out once
            self.events.publish(PaymentStatusChanged(payment, PaymentStatus.PENDING))
        return self.paid_online(tenant_id, invoice.id, payment, SYSTEM_ACTOR, "Stripe Checkout")

    def paid_online(self, tenant_id: str, invoice_id: str, payment: Payment, actor: str, how: str) -> Invoice:
        """A succeeded ledger payment (Checkout, or a charge of the card on file) applied to its
        invoice once, recorded on both: an invoice already holding it is left as it is."""

        def decide(current: Invoice, ledger: Payment) -> LedgerDecided:
            if any(p.payment_id == ledger.id for p in current.payments):
                return None
            if ledger.status is not PaymentStatus.SUCCEEDED:
                return None
            at = self.clock.now()
            if not current.status.collectable or current.amount_due <= 0 or ledger.amount_unapplied <= 0:
                # Paid at Stripe after the invoice was voided or settled otherwise: the money is in
                # the ledger; a person decides on the refund.
                note = (
                    f"Payment {ledger.id} of {format_amount(ledger.amount, ledger.currency)} arrived for invoice "
                    f"{current.number}, which is {current.status.value}: refund it or apply it elsewhere"
                )
                self.customers.add_event(
                    tenant_id, invoice_event(current, "invoice.payment_unapplied", actor, note, at)
                )
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
            event = invoice_event(updated, "invoice.paid", actor, f"Invoice {current.number}: {summary}", at)
            return updated, entry, event, paid_from

        return self._settled(
            with_ledger_payment(self.invoices, self.payments, tenant_id, invoice_id, payment.id, decide)
        )

    def note_payment_outcome(self, tenant_id: str, invoice_id: str, payment: Payment) -> Invoice:
        """A payment of this invoice was refunded or disputed at the processor: its history says so."""

        def change(invoice: Invoice) -> InvoiceChanged:
            now = self.clock.now()
            summary = f"Payment {payment.id} {payment.status.value} at Stripe"
            entry = history_entry(invoice.id, f"payment_{payment.status.value}", now, SYSTEM_ACTOR, summary)
            return replace(invoice, updated_at=now), entry, None

        return changed_invoice(self.invoices, tenant_id, invoice_id, change)
