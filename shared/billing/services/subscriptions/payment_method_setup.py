"""Saving the buyer's new payment method: the payment-method page's button starts a Stripe
Checkout Session in setup mode on the tenant's account; the completed session (from the webhook
or the buyer's return, whichever comes first) makes its method the subscription's, and an unpaid
subscription's open invoice is charged to it at once."""

from __future__ import annotations

from dataclasses import dataclass, replace

from billing.domain.errors import PaymentFailed, PublicRefusal
from billing.domain.subscriptions import Subscription, SubscriptionStatus
from billing.ports import (
    Clock,
    CustomerRepository,
    PaymentGateway,
    ProcessorConnections,
    SettingsRepository,
    SubscriptionRepository,
)
from billing.services.invoices import Invoicing
from billing.services.payment_methods import PaymentMethodService
from billing.services.subscriptions.common import (
    SubscriptionChanged,
    changed_subscription,
    subscription_event,
    system_caller,
)
from billing.services.subscriptions.payment_method_link import subscription_of_link


@dataclass(frozen=True)
class PaymentMethodSetup:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    gateway: PaymentGateway
    connections: ProcessorConnections
    settings: SettingsRepository
    method_service: PaymentMethodService
    invoicing: Invoicing
    clock: Clock

    def start_method_setup(self, token: str, hosted_base: str) -> str:
        subscription = subscription_of_link(self.subscriptions, self.clock, token)
        tenant_id = subscription.tenant_id

        def refusal(reason: str, message: str) -> PublicRefusal:  # the tenant's language, read only to refuse
            return PublicRefusal(reason, message, self.settings.get(tenant_id).locale)

        if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
            raise refusal("subscription_ended", f"the subscription is {subscription.status.value}")
        account = self.connections.account_of(tenant_id)
        if account is None:
            raise refusal("no_online_payments", "no Stripe account is connected")
        customer = self.customers.get(tenant_id, subscription.customer_id)
        customer = self.method_service.processor_customer(system_caller(tenant_id), customer, account)
        assert customer.processor_customer_id is not None  # processor_customer made sure of it
        page = f"{hosted_base}/s/{token}"
        session = self.gateway.create_setup_checkout(
            account,
            processor_customer_id=customer.processor_customer_id,
            success_url=f"{page}?setup={{CHECKOUT_SESSION_ID}}",
            cancel_url=page,
            metadata={"billow_tenant": tenant_id, "billow_subscription": subscription.id},
            idempotency_key=f"setup:{subscription.id}:{token}:{subscription.version}",
        )
        assert session.url is not None  # an open session has its page
        return session.url

    def settle_setup(self, tenant_id: str, account: str, session_id: str, *, only_for: str | None = None) -> str:
        """A completed setup session: its method becomes the subscription's (the webhook and the
        buyer's return both come here; the second finds it done). An unpaid subscription's open
        invoice is charged to the new method at once. ``only_for``: settle it only if it is that
        subscription's session."""
        session = self.gateway.checkout(account, session_id)
        subscription_id = session.metadata.get("billow_subscription")
        if session.metadata.get("billow_tenant") != tenant_id or not subscription_id:
            return "ignored: the session is not for a Billow subscription of this tenant"
        if only_for is not None and subscription_id != only_for:
            return "ignored: the session is another subscription's"
        if session.status != "complete" or not session.setup_reference:
            return f"ignored: the session is {session.status}"
        saved = self.gateway.setup_method(account, session.setup_reference)
        if saved is None:
            return "ignored: the setup did not succeed"
        method_id = saved.method_id
        self.method_service.reconcile(tenant_id, account, method_id, mandate_id=saved.mandate_id)

        def change(subscription: Subscription) -> SubscriptionChanged:
            if subscription.payment_method_id == method_id:
                return subscription, None
            after = replace(subscription, payment_method_id=method_id, updated_at=self.clock.now())
            summary = "The buyer saved a new payment method"
            return after, subscription_event(after, "subscription.payment_method_updated", "buyer", summary, self.clock)

        subscription = changed_subscription(self.subscriptions, tenant_id, subscription_id, change)
        if subscription.status is SubscriptionStatus.UNPAID and subscription.current_period is not None:
            key = subscription.current_period.key(subscription.id)
            invoice = self.invoicing.issuing.for_request(tenant_id, key)
            if invoice is not None and invoice.status.collectable:
                try:
                    self.invoicing.collection.charge(system_caller(tenant_id), invoice.id, method_id)
                except PaymentFailed:
                    return "payment method updated; the open invoice was declined again"
        return "payment method updated"
