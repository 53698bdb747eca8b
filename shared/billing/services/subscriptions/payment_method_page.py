"""The page the payment-method link opens: what the subscription is and what it is charged to,
and, back from Checkout with this page's own setup session, that the new method is saved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.errors import NotFound
from billing.domain.payments import CHECKOUT_SESSION_ID, PaymentMethod
from billing.domain.pricing import LineItem
from billing.domain.subscriptions import Subscription
from billing.ports import (
    Clock,
    CustomerRepository,
    PaymentMethodRepository,
    ProcessorConnections,
    SettingsRepository,
    SubscriptionRepository,
)
from billing.services.subscriptions.payment_method_link import subscription_of_link
from billing.services.subscriptions.payment_method_setup import PaymentMethodSetup


@dataclass(frozen=True)
class MethodPage:
    """What the buyer's payment-method page shows."""

    business: str
    locale: str
    lines: tuple[LineItem, ...]
    next_payment_on: date | None
    method: PaymentMethod | None
    saved: bool  # the buyer is back from Checkout and the new method is the subscription's


@dataclass(frozen=True)
class PaymentMethodPage:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    methods: PaymentMethodRepository
    settings: SettingsRepository
    connections: ProcessorConnections
    setup: PaymentMethodSetup
    clock: Clock

    def method_page(self, token: str, setup_session_id: str | None) -> MethodPage:
        subscription = subscription_of_link(self.subscriptions, self.clock, token)
        saved = bool(setup_session_id) and self._returned_from_setup(subscription, setup_session_id or "")
        if saved:
            subscription = self.subscriptions.get(subscription.tenant_id, subscription.id)
        customer = self.customers.get(subscription.tenant_id, subscription.customer_id)
        chosen = subscription.payment_method_id or customer.default_payment_method_id
        method = next((m for m in self.methods.list(subscription.tenant_id, customer.id) if m.id == chosen), None)
        settings = self.settings.get(subscription.tenant_id)
        return MethodPage(
            business=settings.business_name,
            locale=settings.locale,
            lines=subscription.lines,
            next_payment_on=subscription.next_payment_on,
            method=method,
            saved=saved,
        )

    def _returned_from_setup(self, subscription: Subscription, session_id: str) -> bool:
        """The buyer is back from Checkout: settle the session now rather than wait for the webhook
        (both are idempotent), if it is this page's own. A value that is no session id, a session
        Stripe does not know, or one of another tenant or subscription is ignored: the page shows
        as without it."""
        account = self.connections.account_of(subscription.tenant_id)
        if account is None or not CHECKOUT_SESSION_ID.fullmatch(session_id):
            return False
        try:
            outcome = self.setup.settle_setup(subscription.tenant_id, account, session_id, only_for=subscription.id)
        except NotFound:
            return False
        return outcome.startswith("payment method")
