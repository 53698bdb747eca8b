"""Creating subscriptions: the preview of what the buyer will pay, and the order itself, one
subscription per group of lines (frequency, start date, number of payments), the first period
billed when it is due today.

Creating with AutoPay charges the first payment before anything is written (charge-first): a
decline leaves nothing but the failed payment in the ledger, and no invoice number is drawn for
an invoice that would only be voided. The subscriptions then hold that payment's id, so whoever
bills their first period (this request, its retry, or the nightly run) applies it instead of
charging again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date

from billing.domain.access import Caller, Permission
from billing.domain.customers import Customer
from billing.domain.errors import RequestTaken, ValidationFailed
from billing.domain.orders import PreviewOrder, SubscriptionOrder
from billing.domain.payments import Charge, Payment, PaymentMethod, PaymentStatus
from billing.domain.pricing import AmountType, subscription_groups, summarize
from billing.domain.settings import TenantSettings
from billing.domain.subscriptions import CollectionMethod, Subscription, SubscriptionStatus, new_subscription
from billing.ports import (
    Clock,
    CustomerRepository,
    PaymentMethodRepository,
    SettingsRepository,
    SubscriptionRepository,
)
from billing.services.payments import PaymentService
from billing.services.pricing import Preview, PricingService
from billing.services.subscriptions.common import (
    period_total,
    recurring_only,
    subscription_event,
    usable_customer,
    usable_method,
)
from billing.services.subscriptions.cycle import BillingCycle

MAX_SUBSCRIPTIONS_PER_ORDER = 20


@dataclass(frozen=True)
class SubscriptionCreation:
    subscriptions: SubscriptionRepository
    customers: CustomerRepository
    methods: PaymentMethodRepository
    pricing: PricingService
    settings: SettingsRepository
    payments: PaymentService
    cycle: BillingCycle
    clock: Clock

    def preview(self, caller: Caller, order: PreviewOrder) -> Preview:
        """What the buyer will pay, the subscriptions the lines form and their schedule; writes nothing."""
        recurring_only(order.lines)
        preview = self.pricing.preview(caller, order)
        recurring_only(order.lines, [line.item for line in preview.summary.lines])
        return preview

    def create(
        self, caller: Caller, order: SubscriptionOrder, request_key: str | None, hosted_base: str
    ) -> list[Subscription]:
        """One subscription per group of lines, the first period billed when it is due today:
        AutoPay charges it first (a decline is a 402 and creates nothing), invoice mode sends its
        invoice."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self.subscriptions.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._first_periods(caller, earlier, hosted_base)
        now = self.clock.now()
        today = now.date()
        settings = self.settings.get(caller.tenant_id)
        currency = settings.billing_currency(order.currency)
        customer = usable_customer(self.customers, caller, order.customer_id)
        recurring_only(order.lines)
        items, adjustments = self.pricing.document_items(
            caller.tenant_id, currency, order.lines, order.adjustments, default_tax_rate_id=settings.default_tax_rate_id
        )
        recurring_only(order.lines, items)
        summary = summarize(items, adjustments, currency, today)
        groups = sorted(subscription_groups(summary.lines), key=lambda g: (g.starts_on, g.line_indexes))
        if len(groups) > MAX_SUBSCRIPTIONS_PER_ORDER:
            raise ValidationFailed.of("lines", f"the lines form {len(groups)} subscriptions; at most 20 per request")
        collection = order.collection_method or CollectionMethod.CHARGE_AUTOMATICALLY
        method = None
        if collection is CollectionMethod.CHARGE_AUTOMATICALLY:
            method = usable_method(self.methods, caller, customer, order.payment_method_id, today)
        elif not customer.invoice_email:
            raise ValidationFailed.of(
                "collection_method", "send_invoice emails each invoice: give the customer a billing email first"
            )
        address_id = order.address_id
        if address_id is not None and address_id not in customer.addresses:
            raise ValidationFailed.of("address_id", "the customer has no such address")
        days = order.days_until_due
        if days is not None and collection is not CollectionMethod.SEND_INVOICE:
            raise ValidationFailed.of("days_until_due", "only for collection_method send_invoice")
        earliest = groups[0].starts_on
        subscriptions = [
            new_subscription(
                caller.tenant_id,
                customer.id,
                currency,
                now,
                frequency=group.frequency,
                starts_on=group.starts_on,
                payments=group.payments,
                lines=tuple(items[i] for i in group.line_indexes),
                # One-time adjustments go on the first invoices only: percentages on each
                # subscription starting first, amounts once.
                adjustments=tuple(
                    a
                    for a in adjustments
                    if group.starts_on == earliest and (index == 0 or a.type is AmountType.PERCENT)
                ),
                collection_method=collection,
                payment_method_id=order.payment_method_id,
                days_until_due=days,
                address_id=address_id,
            )
            for index, group in enumerate(groups)
        ]
        due_now = [s for s in subscriptions if s.starts_on <= today]
        first_payment = None
        if method is not None and due_now:
            first_payment = self._charge_first(caller, customer, settings, method, due_now, today, request_key)
            subscriptions = [
                replace(s, first_payment_id=first_payment.id) if s in due_now else s for s in subscriptions
            ]
        events = [
            subscription_event(s, "subscription.created", caller.user_id, _created_summary(s), self.clock)
            for s in subscriptions
        ]
        try:
            subscriptions = self.subscriptions.add(subscriptions, events, request_key)
        except RequestTaken:
            assert request_key is not None  # only a request key can be taken
            earlier = self.subscriptions.for_request(caller.tenant_id, request_key)
            assert earlier is not None  # taken by the subscriptions it names
            return self._first_periods(caller, earlier, hosted_base)
        except Exception:
            if first_payment is not None and first_payment.status is PaymentStatus.SUCCEEDED:
                self.payments.refund(caller, first_payment.id, None)  # nothing was created for it
            raise
        return self._first_periods(caller, subscriptions, hosted_base)

    def _charge_first(
        self,
        caller: Caller,
        customer: Customer,
        settings: TenantSettings,
        method: PaymentMethod,
        due_now: list[Subscription],
        today: date,
        request_key: str | None,
    ) -> Payment:
        charge = Charge(
            customer_id=customer.id,
            amount=sum(period_total(s, 0, today, settings, customer) for s in due_now),
            currency=due_now[0].currency,
            payment_method_id=method.id,
            description="First payment of subscription " + ", ".join(s.id for s in due_now),
            subscription_ids=tuple(s.id for s in due_now),
        )
        # The payment is named by the creation request, so a retry finishes this charge.
        key = f"subscribe:{request_key or uuid.uuid4().hex}"
        return self.payments.charge(caller, charge, key)

    def _first_periods(self, caller: Caller, subscriptions: list[Subscription], hosted_base: str) -> list[Subscription]:
        """Bill each first period that is due, or finish what an earlier attempt left of it (its
        invoice not yet paid by the first payment, or not yet sent); answer the subscriptions as
        they are now."""
        today = self.clock.now().date()
        for subscription in subscriptions:
            if subscription.starts_on <= today and subscription.status.billable:
                self.cycle.bill_period(caller, subscription, hosted_base, number=0)
        return [self.subscriptions.get(caller.tenant_id, s.id) for s in subscriptions]


def _created_summary(subscription: Subscription) -> str:
    lines = ", ".join(line.name for line in subscription.lines)
    when = "now" if subscription.status is SubscriptionStatus.ACTIVE else f"on {subscription.starts_on}"
    return f"Subscription created: {lines}, {subscription.frequency.value}, billing starts {when}"
