"""The buyer's payment-method link: an emailed, unguessable, expiring link to a page where the
buyer saves a new card or bank account for the subscription (sent by a user, or by Billow when a
payment failed)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from billing.domain.access import Caller, Permission
from billing.domain.customers import Customer
from billing.domain.errors import Conflict, NotFound
from billing.domain.subscriptions import Subscription, SubscriptionStatus
from billing.domain.timeline import SYSTEM_ACTOR
from billing.formatting import Formatter
from billing.observability import logger
from billing.ports import (
    Clock,
    CustomerRepository,
    Mailer,
    ProcessorConnections,
    SettingsRepository,
    SubscriptionRepository,
)
from billing.services.notifications import business_of, letter, send_as_tenant
from billing.services.payment_methods import connected_account
from billing.services.subscriptions.common import subscription_event
from billing.texts import texts

LINK_DAYS = 7  # how long an emailed payment-method link opens its page


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime
    sent_to: str


def subscription_of_link(subscriptions: SubscriptionRepository, clock: Clock, token: str) -> Subscription:
    """The subscription a payment-method link opens, while the link has not expired."""
    found = subscriptions.by_link(token)
    if found is None or found[2] <= clock.now():
        raise NotFound("this link is not valid, or it expired; ask for a new one")
    return subscriptions.get(found[0], found[1])


@dataclass(frozen=True)
class PaymentMethodLinks:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    settings: SettingsRepository
    mailer: Mailer
    connections: ProcessorConnections
    clock: Clock
    link_days: int = LINK_DAYS

    def payment_method_link(self, caller: Caller, subscription_id: str, hosted_base: str) -> Link:
        """Email the buyer a link to a page where they save a new card or bank account, which
        becomes the subscription's method. The link's token is unguessable and expires."""
        caller.require(Permission.WRITE)
        subscription = self.subscriptions.get(caller.tenant_id, subscription_id)
        if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
            raise Conflict(
                f"subscription {subscription.id} is {subscription.status.value}; nothing is charged any more"
            )
        customer = self.customers.get(caller.tenant_id, subscription.customer_id)
        if not customer.invoice_email:
            raise Conflict("the customer has no billing email to send the link to")
        connected_account(self.connections, caller.tenant_id)  # the page saves at the tenant's Stripe account
        return self._send_link(subscription, customer, hosted_base, caller.user_id)

    def ask_for_new_method(self, subscription: Subscription, hosted_base: str) -> None:
        """An unpaid subscription's buyer is emailed the payment-method link. Best effort: the
        status stands whatever the mail does, and what did not happen is on the timeline."""
        customer = self.customers.get(subscription.tenant_id, subscription.customer_id)
        reason = None
        if not hosted_base:
            reason = "no public address to link to outside a request; the billing run's dunning sends it"
        elif not customer.invoice_email:
            reason = "the customer has no billing email"
        elif self.connections.account_of(subscription.tenant_id) is None:
            reason = "no Stripe account is connected"
        if reason is None:
            try:
                self._send_link(subscription, customer, hosted_base, SYSTEM_ACTOR)
                return
            except Exception as error:  # the unpaid status stands; the failed email is on the timeline
                logger.exception("sending the payment-method link failed")
                reason = f"sending it failed: {error}"
        summary = f"The payment-method link was not sent: {reason}"
        event = subscription_event(
            subscription, "subscription.payment_method_link_failed", SYSTEM_ACTOR, summary, self.clock
        )
        self.customers.add_event(subscription.tenant_id, event)

    def _send_link(self, subscription: Subscription, customer: Customer, hosted_base: str, actor: str) -> Link:
        now = self.clock.now()
        token = secrets.token_urlsafe(24)
        expires_at = now + timedelta(days=self.link_days)
        self.subscriptions.add_link(subscription.tenant_id, subscription.id, token, expires_at)
        url = f"{hosted_base}/s/{token}"
        self._email_method_link(subscription, customer, url, expires_at)
        summary = f"Payment-method link sent to {customer.invoice_email}"
        event = subscription_event(subscription, "subscription.payment_method_link_sent", actor, summary, self.clock)
        self.customers.add_event(subscription.tenant_id, event)
        return Link(url, expires_at, customer.invoice_email)

    def _email_method_link(
        self, subscription: Subscription, customer: Customer, url: str, expires_at: datetime
    ) -> None:
        settings = self.settings.get(subscription.tenant_id)
        words, formatter = texts(settings.locale, "mail"), Formatter(settings.locale, subscription.currency)
        business = business_of(settings, words)
        paragraphs = [words["method_link_failed"]] if subscription.status is SubscriptionStatus.UNPAID else []
        paragraphs += [f"{words['method_link']}\n{url}", words("method_link_until", until=formatter.moment(expires_at))]
        send_as_tenant(
            self.mailer,
            settings,
            to=[customer.invoice_email],
            subject=words("method_link_subject", business=business),
            text=letter(words, business, *paragraphs),
        )
