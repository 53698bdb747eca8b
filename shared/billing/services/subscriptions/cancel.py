"""Ending a subscription: canceled immediately, at the end of the paid period, or immediately
with the unused days of the paid period refunded through Stripe, by a credit note of the
period's invoice (a correction the books keep, refunded once however often it is retried);
deleted when nothing was ever billed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from billing.domain.access import Caller, Permission
from billing.domain.credit_notes import CreditNote, CreditReason, Settlement
from billing.domain.errors import Conflict
from billing.domain.invoices import Invoice, InvoicePayment, PaymentSource
from billing.domain.orders import CreditOrder
from billing.domain.paging import MAX_PAGE_SIZE
from billing.domain.payments import PaymentStatus
from billing.domain.subscriptions import CancelMode, Subscription, canceled, deletion_refusal, prorated_refund
from billing.domain.timeline import SYSTEM_ACTOR
from billing.formatting import Formatter, format_amount
from billing.ports import Clock, CustomerRepository, Mailer, SettingsRepository, SubscriptionRepository
from billing.services.invoices import Invoicing
from billing.services.notifications import business_of, letter, send_as_tenant
from billing.services.payments import PaymentService
from billing.services.subscriptions.common import subscription_event
from billing.texts import texts

# The credit note's line for the unused days, in the buyer's language.
UNUSED_DAYS = {
    "de": "Erstattung der ungenutzten Tage bis {end} (gekündigt am {today})",
    "en": "Refund of the unused days to {end} (canceled on {today})",
}


@dataclass(frozen=True)
class Refundable:
    """What a cancellation refunds: the unused days' amount of the period's invoice, on its payment."""

    invoice: Invoice
    payment_id: str
    amount: int
    paid_to: date  # the period's last day


@dataclass(frozen=True)
class Cancellation:
    subscription: Subscription
    refunded: int = 0
    credit_note: CreditNote | None = None  # the correction of the period's invoice that refunded it


@dataclass(frozen=True)
class SubscriptionCancellation:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    settings: SettingsRepository
    mailer: Mailer
    payments: PaymentService
    invoicing: Invoicing
    clock: Clock

    def cancel(self, caller: Caller, subscription_id: str, mode: str, *, confirm: bool) -> Cancellation:
        caller.require(Permission.WRITE)
        how = CancelMode(mode)
        now = self.clock.now()
        subscription = self.subscriptions.get(caller.tenant_id, subscription_id)
        after = canceled(subscription, how, now.date(), now, confirm=confirm)
        refund = None
        if how is CancelMode.IMMEDIATELY_WITH_REFUND:
            refund = self._refundable(caller, subscription, now.date())
        summary = {
            CancelMode.IMMEDIATELY: "Canceled now; no further payments",
            CancelMode.AT_PERIOD_END: f"Canceled at the end of the current period ({after.ends_on or now.date()})",
            CancelMode.IMMEDIATELY_WITH_REFUND: "Canceled now",
        }[how]
        if refund is not None and refund.amount > 0:
            summary += f"; {format_amount(refund.amount, subscription.currency)} refunded for the unused days"
        elif refund is not None:
            summary += "; no unused days to refund"
        event = subscription_event(after, "subscription.canceled", caller.user_id, summary, self.clock)
        saved = self.subscriptions.save(after, event)
        note = None
        if refund is not None and refund.amount > 0:
            note = self._credit_unused_days(caller, saved, refund)
            summary += f" (credit note {note.number})"
        self._email_cancellation(saved, how, refund.amount if refund else 0, note)
        return Cancellation(saved, refund.amount if refund else 0, note)

    def _credit_unused_days(self, caller: Caller, subscription: Subscription, refund: Refundable) -> CreditNote:
        """The credit note of the period's invoice that refunds the unused days through Stripe."""
        settings = self.settings.get(caller.tenant_id)
        days = Formatter(settings.locale, subscription.currency)
        line = UNUSED_DAYS.get(settings.language, UNUSED_DAYS["en"]).format(
            end=days.day(refund.paid_to), today=days.day(self.clock.now().date())
        )
        order = CreditOrder(
            reason=CreditReason.CANCELLATION.value,
            amount=refund.amount,
            description=line,
            settlement=Settlement.REFUND.value,
            payment_id=refund.payment_id,
        )
        key = f"cancellation-refund:{subscription.id}"
        return self.invoicing.credit_notes.create(caller, refund.invoice.id, order, key)

    def _refundable(self, caller: Caller, subscription: Subscription, today: date) -> Refundable:
        """The payment and amount to refund for the unused days of the current period; a period
        paid by hand, or by a bank debit still pending, is refused with the reason (409)."""
        current = subscription.current_period
        if current is None:
            raise Conflict("no period was billed yet; cancel immediately instead (nothing to refund)")
        invoice = self.invoicing.issuing.for_request(caller.tenant_id, current.key(subscription.id))
        if invoice is None or invoice.amount_paid == 0:
            if invoice is not None and self._debit_pending(caller, subscription, invoice):
                raise Conflict("the current period's bank debit is still pending; it is not refunded automatically")
            raise Conflict("the current period is not paid; cancel immediately instead (nothing to refund)")
        online: list[InvoicePayment] = [
            p for p in invoice.payments if p.source is PaymentSource.ONLINE and p.payment_id
        ]
        if len(online) != len(invoice.payments):
            raise Conflict(
                "the current period was paid by hand (or by invoice outside Stripe); Billow cannot refund it - "
                "cancel immediately and refund the customer yourself"
            )
        applied = online[-1]
        assert applied.payment_id is not None  # an online payment names its ledger payment
        payment = self.payments.get_payment(caller, applied.payment_id)
        if payment.status is PaymentStatus.PENDING:
            raise Conflict("the current period's bank debit is still pending; it is not refunded automatically")
        # The unused days of what the period was paid, never more than is left to refund on it.
        unused = prorated_refund(sum(p.amount for p in online), current, today)
        amount = min(unused, sum(p.standing for p in online), payment.refundable)
        return Refundable(invoice, payment.id, amount, current.end)

    def _debit_pending(self, caller: Caller, subscription: Subscription, invoice: Invoice) -> bool:
        """Whether a payment Billow took for this invoice (or the first payment, for the first
        period) is still pending at the bank."""
        pending = self.payments.ledger.list_payments(
            caller, status=PaymentStatus.PENDING.value, customer_id=subscription.customer_id, limit=MAX_PAGE_SIZE
        ).items
        return any(
            p.invoice_id == invoice.id or (p.id == subscription.first_payment_id and invoice.subscription_period == 0)
            for p in pending
        )

    def _email_cancellation(
        self, subscription: Subscription, how: CancelMode, refunded: int, note: CreditNote | None
    ) -> None:
        customer = self.customers.get(subscription.tenant_id, subscription.customer_id)
        if not customer.invoice_email:
            return
        settings = self.settings.get(subscription.tenant_id)
        words, formatter = texts(settings.locale, "mail"), Formatter(settings.locale, subscription.currency)
        business = business_of(settings, words)
        lines = ", ".join(line.name for line in subscription.lines)
        paragraphs = [
            words("cancel_at_period_end", lines=lines, date=formatter.day(subscription.ends_on))
            if how is CancelMode.AT_PERIOD_END
            else words("cancel_now", lines=lines)
        ]
        if refunded > 0 and note is not None:
            paragraphs.append(words("cancel_refund", amount=formatter.money(refunded), number=note.number))
        try:
            message_id = send_as_tenant(
                self.mailer,
                settings,
                to=[customer.invoice_email],
                subject=words("cancel_subject", business=business),
                text=letter(words, business, *paragraphs),
            )
            entry = subscription_event(
                subscription, "subscription.cancellation_sent", SYSTEM_ACTOR, "Cancellation emailed", self.clock
            )
            entry = replace(entry, data={**entry.data, "message_id": message_id})
        except Exception as error:  # the cancellation stands; the failed email is on the timeline
            entry = subscription_event(
                subscription, "subscription.cancellation_failed", SYSTEM_ACTOR, str(error), self.clock
            )
        self.customers.add_event(subscription.tenant_id, entry)

    def delete(self, caller: Caller, subscription_id: str) -> None:
        caller.require(Permission.WRITE)
        subscription = self.subscriptions.get(caller.tenant_id, subscription_id)
        refusal = deletion_refusal(subscription)
        if refusal:
            raise Conflict("; ".join(refusal.reasons))
        summary = f"Subscription {subscription.id} deleted"
        event = subscription_event(subscription, "subscription.deleted", caller.user_id, summary, self.clock)
        self.subscriptions.delete(subscription, event)
