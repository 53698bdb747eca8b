"""Emails about payments: a receipt to the buyer for each successful payment, and a
note to the tenant's admins when a payment succeeds or fails, unless the tenant turned them off."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from billing.domain.customers import Customer
from billing.domain.payments import Payment, PaymentStatus
from billing.domain.settings import TenantSettings
from billing.domain.timeline import timeline_event
from billing.formatting import Formatter, format_amount
from billing.observability import logger
from billing.ports import Clock, CustomerRepository, Mailer, SettingsRepository
from billing.texts import Texts, paid_with, texts


def send_as_tenant(mailer: Mailer, settings: TenantSettings, **message: Any) -> str:
    """Mail from the platform's address in the tenant's name, replies going to the tenant."""
    return mailer.send(sender_name=settings.business_name, reply_to=settings.default_sender_email or None, **message)


def deliver_as_tenant(mailer: Mailer, settings: TenantSettings, **message: Any) -> str:
    """``send_as_tenant`` for a send the caller records only once the mail service took it: its
    refusal (or outage) is a DeliveryFailed to try again, and nothing is recorded."""
    from billing.domain.errors import DeliveryFailed

    try:
        return send_as_tenant(mailer, settings, **message)
    except Exception as error:
        logger.exception("sending an email failed")
        raise DeliveryFailed(f"the email could not be sent ({type(error).__name__}); try again") from error


def letter(words: Texts, business: str, *paragraphs: str) -> str:
    """An email to the buyer in the ``mail`` texts' language: the greeting, the paragraphs, and the
    closing signed with the business's name."""
    return "\n\n".join([words["greeting"], *paragraphs, words("closing", business=business)]) + "\n"


def facts(rows: list[tuple[str, str]]) -> str:
    """Label and value rows, the values aligned: "Betrag:      119,00 €"."""
    width = max(len(label) for label, _ in rows) + 2
    return "\n".join(f"{label + ':':<{width}}{value}" for label, value in rows)


def business_of(settings: TenantSettings, words: Texts) -> str:
    """Who the buyer's emails are from: the business's name, or "us" in the buyer's language."""
    return settings.business_name or words["us"]


@dataclass(frozen=True)
class PaymentNotifier:
    mailer: Mailer
    settings: SettingsRepository
    customers: CustomerRepository
    clock: Clock

    def payment_changed(self, payment: Payment, previous: PaymentStatus) -> None:
        """Called once per status change, after it was saved. Mail is best effort: a failure is
        logged and put on the timeline, never allowed to undo the payment."""
        if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED) or payment.status == previous:
            return
        settings = self.settings.get(payment.tenant_id)
        customer = self.customers.get(payment.tenant_id, payment.customer_id)
        if payment.status is PaymentStatus.SUCCEEDED and settings.receipts_enabled and customer.invoice_email:
            self._send(
                payment,
                customer,
                settings,
                "receipt",
                [customer.invoice_email],
                receipt_subject(settings),
                receipt_text(payment, settings),
            )
        if settings.admin_notifications_enabled and settings.admin_notification_emails:
            verb = "succeeded" if payment.status is PaymentStatus.SUCCEEDED else "failed"
            self._send(
                payment,
                customer,
                settings,
                "admin_notification",
                list(settings.admin_notification_emails),
                f"Payment {verb}: {format_amount(payment.amount, payment.currency, settings.locale)} "
                f"from {customer.display_name}",
                admin_text(payment, customer, settings),
            )

    def _send(
        self,
        payment: Payment,
        customer: Customer,
        settings: TenantSettings,
        kind: str,
        to: list[str],
        subject: str,
        text: str,
    ) -> None:
        try:
            message_id = send_as_tenant(
                self.mailer,
                settings,
                to=to,
                subject=subject,
                text=text,
            )
        except Exception as error:  # mail must never undo a recorded payment
            logger.exception("sending a %s failed", kind)
            entry = timeline_event(
                customer.id,
                f"{kind}.failed",
                self.clock.now(),
                "billow",
                f"Sending the {kind.replace('_', ' ')} failed: {error}",
                payment_id=payment.id,
            )
        else:
            entry = timeline_event(
                customer.id,
                f"{kind}.sent",
                self.clock.now(),
                "billow",
                f"{kind.replace('_', ' ').capitalize()} sent to {', '.join(to)}",
                payment_id=payment.id,
                message_id=message_id,
            )
        self.customers.add_event(payment.tenant_id, entry)


def receipt_letter(settings: TenantSettings, rows: list[tuple[str, str]]) -> str:
    """A receipt: thanks to the business, and what was paid, when and how, as aligned rows."""
    words = texts(settings.locale, "mail")
    business = business_of(settings, words)
    return letter(words, business, words("receipt_thanks", business=business), facts(rows))


def receipt_subject(settings: TenantSettings) -> str:
    words = texts(settings.locale, "mail")
    return words("receipt_subject", business=business_of(settings, words))


def receipt_text(payment: Payment, settings: TenantSettings) -> str:
    """The buyer's receipt for a payment Billow took: what, when and how, in the tenant's language."""
    words, document = texts(settings.locale, "mail"), texts(settings.locale, "document")
    formatter = Formatter(settings.locale, payment.currency)
    rows = [
        (words["receipt_amount"], formatter.money(payment.amount)),
        (words["receipt_date"], formatter.day(payment.updated_at.date())),
        (words["receipt_method"], paid_with(payment.method, "online", document)),
    ]
    if invoice := re.fullmatch(r"Invoice (\S+)", payment.description):  # Billow's words: the number
        rows.append((words["receipt_invoice"], invoice.group(1)))
    elif payment.description and not payment.subscription_ids:  # the tenant's words; a first payment's are Billow's
        rows.append((words["receipt_for"], payment.description))
    return receipt_letter(settings, rows)


def admin_text(payment: Payment, customer: Customer, settings: TenantSettings) -> str:
    text = (
        f"Customer: {customer.display_name} ({customer.id})\n"
        f"Amount: {format_amount(payment.amount, payment.currency, settings.locale)}\n"
        f"Status: {payment.status.value}\nPayment: {payment.id}\n"
    )
    if payment.failure_message:
        text += f"Reason: {payment.failure_message}\n"
    return text
