"""Emails about payments: a receipt to the buyer for each successful payment, and a
note to the tenant's admins when a payment succeeds or fails, unless the tenant turned them off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing.domain.customers import Customer
from billing.domain.payments import Payment, PaymentStatus
from billing.domain.settings import TenantSettings
from billing.domain.timeline import timeline_event
from billing.formatting import format_amount
from billing.observability import logger
from billing.ports import Clock, CustomerRepository, Mailer, SettingsRepository


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
                f"Receipt from {settings.business_name or 'your supplier'}",
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


def receipt_text(payment: Payment, settings: TenantSettings) -> str:
    lines = [
        f"Thank you for your payment to {settings.business_name or 'us'}.",
        "",
        f"Amount paid:   {format_amount(payment.amount, payment.currency, settings.locale)}",
        f"Paid with:     {payment.method}",
        f"Date:          {payment.updated_at:%Y-%m-%d}",
        f"Receipt:       {payment.id}",
    ]
    if payment.description:
        lines.append(f"For:           {payment.description}")
    return "\n".join(lines) + "\n"


def admin_text(payment: Payment, customer: Customer, settings: TenantSettings) -> str:
    text = (
        f"Customer: {customer.display_name} ({customer.id})\n"
        f"Amount: {format_amount(payment.amount, payment.currency, settings.locale)}\n"
        f"Status: {payment.status.value}\nPayment: {payment.id}\n"
    )
    if payment.failure_message:
        text += f"Reason: {payment.failure_message}\n"
    return text
