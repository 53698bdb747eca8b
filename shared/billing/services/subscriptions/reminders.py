"""Payment reminders: the buyer hears of the payment due on a day, once per period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.access import Caller, Permission
from billing.domain.billing_runs import Outcome
from billing.domain.subscriptions import CollectionMethod, SubscriptionStatus
from billing.domain.timeline import SYSTEM_ACTOR
from billing.formatting import Formatter, format_amount
from billing.ports import Clock, CustomerRepository, Mailer, SettingsRepository, SubscriptionRepository
from billing.services.notifications import business_of, letter, send_as_tenant
from billing.services.subscriptions.common import period_total, subscription_event
from billing.texts import texts


@dataclass(frozen=True)
class PaymentReminders:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    settings: SettingsRepository
    mailer: Mailer
    clock: Clock

    def remind(self, caller: Caller, subscription_id: str, payment_on: date) -> list[Outcome]:
        caller.require(Permission.WRITE)
        subscription = self.subscriptions.get(caller.tenant_id, subscription_id)
        live = subscription.status.billable or subscription.status is SubscriptionStatus.SCHEDULED
        if not live or subscription.next_payment_on != payment_on:
            return [Outcome.SKIPPED]
        customer = self.customers.get(caller.tenant_id, subscription.customer_id)
        upcoming = subscription.next_period
        if not customer.invoice_email or not self.subscriptions.claim_reminder(
            caller.tenant_id, upcoming.key(subscription.id)
        ):
            return [Outcome.SKIPPED]
        settings = self.settings.get(caller.tenant_id)
        total = period_total(subscription, upcoming.number, payment_on, settings, customer)
        amount = format_amount(total, subscription.currency, settings.locale)
        words, formatter = texts(settings.locale, "mail"), Formatter(settings.locale, subscription.currency)
        business = business_of(settings, words)
        automatic = subscription.collection_method is CollectionMethod.CHARGE_AUTOMATICALLY
        paragraph = words(
            "reminder_charge" if automatic else "reminder_invoice",
            amount=amount,
            date=formatter.day(payment_on),
            start=formatter.day(upcoming.start),
            end=formatter.day(upcoming.end),
        )
        lines = "\n".join(f"  {formatter.number(line.quantity)} × {line.name}" for line in subscription.lines)
        send_as_tenant(
            self.mailer,
            settings,
            to=[customer.invoice_email],
            subject=words("reminder_subject", business=business, date=formatter.day(payment_on)),
            text=letter(words, business, f"{paragraph}\n{lines}"),
        )
        summary = f"Payment reminder sent to {customer.invoice_email} ({amount} on {payment_on})"
        event = subscription_event(subscription, "subscription.reminder_sent", SYSTEM_ACTOR, summary, self.clock)
        self.customers.add_event(caller.tenant_id, event)
        return [Outcome.REMINDERS]
