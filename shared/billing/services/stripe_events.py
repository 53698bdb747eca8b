"""Inbound Stripe events: verified, processed once, dispatched by type, tenant found from
the event's connected account. Handlers re-read the object's current state from Stripe, so the
order in which events arrive never decides an outcome."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from billing.domain.errors import NotFound
from billing.domain.timeline import timeline_event
from billing.ports import (
    Clock,
    CustomerRepository,
    PaymentGateway,
    PaymentMethodRepository,
    ProcessorConnections,
    ProcessorEvent,
    WebhookLog,
)
from billing.services.payment_methods import MAKE_DEFAULT, SYSTEM_ACTOR, PaymentMethodService
from billing.services.payments import PaymentService


@dataclass(frozen=True)
class Receipt:
    """What became of one delivery (the webhook answers 200 with it)."""

    event_id: str
    outcome: str


EventHandler = Callable[[str, str, ProcessorEvent], str]  # (tenant, account, event) -> outcome


@dataclass(frozen=True)
class StripeEventService:
    """Verifies a delivery, finds its tenant, processes it once with the handler of its type."""

    gateway: PaymentGateway
    log: WebhookLog
    connections: ProcessorConnections
    handlers: Mapping[str, EventHandler]

    def receive(self, payload: str, signature: str | None) -> Receipt:
        """Verify, then process once. Raises InvalidSignature before anything is read or written."""
        event = self.gateway.verified_event(payload, signature)
        handler = self.handlers.get(event.type)
        if handler is None:
            return Receipt(event.id, "ignored: unhandled event type")
        tenant_id = self.connections.tenant_of(event.account) if event.account else None
        if tenant_id is None or event.account is None:
            return Receipt(event.id, "ignored: no tenant is connected to this account")
        if not self.log.claim(event.id, event.type):
            return Receipt(event.id, "duplicate: already processed")
        try:
            outcome = handler(tenant_id, event.account, event)
        except NotFound as missing:
            # Not in this tenant's account (or gone): a retry would find nothing either.
            outcome = f"ignored: {missing.message}"
        except Exception as error:
            self.log.fail(event.id, f"{type(error).__name__}: {error}")
            raise
        self.log.finish(event.id, outcome)
        return Receipt(event.id, outcome)


@dataclass(frozen=True)
class PaymentMethodEvents:
    """Saved, changed, removed and failed payment methods."""

    customers: CustomerRepository
    methods: PaymentMethodRepository
    method_service: PaymentMethodService
    clock: Clock

    def handlers(self) -> dict[str, EventHandler]:
        return {
            "setup_intent.succeeded": self._payment_method_from_setup,
            "setup_intent.setup_failed": self._setup_failed,
            "payment_method.attached": self._payment_method,
            "payment_method.detached": self._payment_method,
            "payment_method.updated": self._payment_method,
        }

    def _payment_method_from_setup(self, tenant_id: str, account: str, event: ProcessorEvent) -> str:
        method_id = _reference(event, "payment_method")
        if method_id is None:
            return "no payment method"
        metadata = event.object.get("metadata")
        make_default = isinstance(metadata, dict) and metadata.get(MAKE_DEFAULT) == "true"
        return self.method_service.reconcile(
            tenant_id, account, method_id, make_default=make_default, mandate_id=_reference(event, "mandate")
        )

    def _payment_method(self, tenant_id: str, account: str, event: ProcessorEvent) -> str:
        method_id = _reference(event, "id")
        return self.method_service.reconcile(tenant_id, account, method_id) if method_id else NO_OBJECT

    def _setup_failed(self, tenant_id: str, account: str, event: ProcessorEvent) -> str:
        processor_customer = _reference(event, "customer")
        if processor_customer is None:
            return NO_OBJECT
        customer_id = self.methods.customer_of_processor_customer(tenant_id, processor_customer)
        if customer_id is None:
            return "ignored: unknown customer"
        error = event.object.get("last_setup_error")
        error = error if isinstance(error, dict) else {}
        entry = timeline_event(
            customer_id,
            "payment_method.setup_failed",
            self.clock.now(),
            SYSTEM_ACTOR,
            f"Saving a payment method failed: {error.get('message', 'unknown reason')}",
            decline_code=error.get("decline_code"),
        )
        self.customers.add_event(tenant_id, entry)
        return "recorded setup failure"


@dataclass(frozen=True)
class PaymentEvents:
    """A payment's progress, refunds and disputes: the ledger re-reads the payment from Stripe."""

    payment_service: PaymentService

    def handlers(self) -> dict[str, EventHandler]:
        return {
            "payment_intent.succeeded": self._payment_intent,
            "payment_intent.payment_failed": self._payment_intent,
            "payment_intent.processing": self._payment_intent,
            "charge.refunded": self._charge,
            "charge.dispute.created": self._charge,
        }

    def _payment_intent(self, tenant_id: str, account: str, event: ProcessorEvent) -> str:
        reference = _reference(event, "id")
        return self.payment_service.sync(tenant_id, account, reference) if reference else NO_OBJECT

    def _charge(self, tenant_id: str, account: str, event: ProcessorEvent) -> str:
        reference = _reference(event, "payment_intent")
        return self.payment_service.sync(tenant_id, account, reference) if reference else "no payment intent"


@dataclass(frozen=True)
class CheckoutEvents:
    """A completed Checkout Session: an invoice paid, or a subscription's method saved."""

    invoices: CheckoutSettlement
    subscriptions: SetupSettlement

    def handlers(self) -> dict[str, EventHandler]:
        return {
            "checkout.session.completed": self._checkout,
            "checkout.session.async_payment_succeeded": self._checkout,
        }

    def _checkout(self, tenant_id: str, account: str, event: ProcessorEvent) -> str:
        session_id = _reference(event, "id")
        if session_id is None:
            return NO_OBJECT
        metadata = event.object.get("metadata")
        if isinstance(metadata, dict) and metadata.get("billow_subscription"):
            return self.subscriptions.settle_setup(tenant_id, account, session_id)
        return self.invoices.settle_checkout(tenant_id, account, session_id)


def event_handlers(*groups: PaymentMethodEvents | PaymentEvents | CheckoutEvents) -> dict[str, EventHandler]:
    """Every group's handlers by event type; a type no group handles is acknowledged as ignored."""
    return {event_type: handler for group in groups for event_type, handler in group.handlers().items()}


class CheckoutSettlement(Protocol):
    def settle_checkout(self, tenant_id: str, account: str, session_id: str) -> str:
        """Pay the invoice a completed Checkout Session names, once (InvoiceService)."""


class SetupSettlement(Protocol):
    def settle_setup(self, tenant_id: str, account: str, session_id: str) -> str:
        """Make the method a completed setup session saved the subscription's."""


NO_OBJECT = "ignored: the event names no object"


def _reference(event: ProcessorEvent, key: str) -> str | None:
    """An id the event's object names, if it names one (a signed payload can still be malformed)."""
    value = event.object.get(key)
    return value if isinstance(value, str) and value else None
