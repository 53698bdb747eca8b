"""Charges of a customer's payment method on file, off-session: recorded before the processor is
asked, so a retry never charges twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from billing.domain.access import Caller, Permission
from billing.domain.errors import (
    REQUEST_KEY_FIELD,
    Conflict,
    PaymentFailed,
    ProcessorUnavailable,
    RequestTaken,
    ValidationFailed,
)
from billing.domain.money import normalize_currency
from billing.domain.payments import (
    AuthenticationRequired,
    Charge,
    Payment,
    PaymentDeclined,
    PaymentStatus,
    ProcessorPayment,
    new_payment,
)
from billing.domain.timeline import timeline_event
from billing.ports import (
    Clock,
    CustomerRepository,
    PaymentGateway,
    PaymentMethodRepository,
    ProcessorConnections,
    SettingsRepository,
)
from billing.services.payment_methods import PaymentMethodService, connected_account
from billing.services.payments.ledger import PaymentLedger

# Stripe keeps an idempotency key for at least 24 hours; within that time a request may be replayed.
PROCESSOR_KEY_LIFETIME = timedelta(hours=23)


@dataclass(frozen=True)
class PaymentCharges:
    customers: CustomerRepository
    methods: PaymentMethodRepository
    connections: ProcessorConnections
    gateway: PaymentGateway
    method_service: PaymentMethodService
    settings: SettingsRepository
    ledger: PaymentLedger
    clock: Clock

    def charge(self, caller: Caller, charge: Charge, request_key: str | None = None) -> Payment:
        """Charge a customer's card on file, off-session. The payment is recorded (pending) before
        the processor is asked, with an idempotency key derived from it, so a retry after a crash
        never charges twice. With ``request_key`` (the caller's Idempotency-Key) a retry of a
        request whose first attempt never answered finishes that attempt's charge."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self.ledger.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._resume(caller, earlier, charge)
        currency = self.settings.get(caller.tenant_id).billing_currency(charge.currency)
        account = connected_account(self.connections, caller.tenant_id)
        customer = self.customers.get(caller.tenant_id, charge.customer_id)
        methods = self.methods.list(caller.tenant_id, customer.id)
        method_id = charge.payment_method_id or customer.default_payment_method_id
        method = next((m for m in methods if m.id == method_id), None)
        if method is None and charge.payment_method_id:
            raise ValidationFailed.of("payment_method_id", "the customer has no such payment method on file")
        if method is None:
            raise ValidationFailed.of(
                "customer_id",
                "the customer has no payment method on file to charge; save a card first "
                f"(POST /v1/customers/{customer.id}/payment-methods/setup)",
            )
        customer = self.method_service.processor_customer(caller, customer, account)
        now = self.clock.now()
        payment = new_payment(
            caller.tenant_id,
            customer.id,
            charge.amount,
            currency,
            now,
            method=method.describe(),
            payment_method_id=method.id,
            description=charge.description,
            invoice_id=charge.invoice_id,
            subscription_ids=charge.subscription_ids,
        )
        event = timeline_event(
            customer.id, "payment.created", now, caller.user_id, f"Payment {payment.id} started", payment_id=payment.id
        )
        try:
            payment = self.ledger.add(payment, event, request_key)
        except RequestTaken:  # a concurrent retry recorded its payment first: finish that one
            assert request_key is not None  # only a request key can be taken
            earlier = self.ledger.for_request(caller.tenant_id, request_key)
            assert earlier is not None  # taken by the payment it names
            return self._resume(caller, earlier, charge)
        return self._ask_processor(caller.user_id, account, customer.processor_customer_id, payment)

    def _ask_processor(self, actor: str, account: str, processor_customer_id: str | None, payment: Payment) -> Payment:
        """The processor call of a recorded payment. Its idempotency key and parameters come from
        the record alone, so asking again for the same payment replays the first answer."""
        # A charge is recorded only for a customer and a method the processor knows.
        assert processor_customer_id is not None and payment.payment_method_id is not None
        try:
            state = self.gateway.charge(
                account,
                processor_customer_id=processor_customer_id,
                method_id=payment.payment_method_id,
                amount=payment.amount,
                currency=payment.currency,
                idempotency_key=f"billow-charge-{payment.id}",
                metadata={
                    "billow_tenant": payment.tenant_id,
                    "billow_payment": payment.id,
                    "billow_customer": payment.customer_id,
                },
                description=payment.description,
            )
        except PaymentDeclined as declined:
            state = declined.state or ProcessorPayment(
                reference=payment.processor_payment_id or "",
                status="requires_payment_method",
                amount=payment.amount,
                currency=payment.currency,
                failure_code=declined.code,
                decline_code=declined.decline_code,
                failure_message=declined.message,
            )
            failed = self.ledger.settle(payment, state, actor, account)
            raise PaymentFailed(
                failed.id,
                failed.failure_message or declined.message,
                declined.decline_code,
                isinstance(declined, AuthenticationRequired),
            ) from None
        except ProcessorUnavailable:
            raise ProcessorUnavailable("Stripe could not be reached; retry with the same Idempotency-Key") from None
        return self.ledger.settle(payment, state, actor, account)

    def _resume(self, caller: Caller, payment: Payment, charge: Charge) -> Payment:
        """A retry of a charge request: the same payment, never a second one. While the processor
        still keeps its idempotency key, ask it again (it replays the first answer, charge or
        decline); after that, only read what it holds."""
        same_charge = (
            (charge.customer_id, charge.amount, normalize_currency(charge.currency))
            == (payment.customer_id, payment.amount, payment.currency)
        ) and charge.payment_method_id in (None, payment.payment_method_id)
        if not same_charge:
            raise ValidationFailed.of(REQUEST_KEY_FIELD, f"was already used for payment {payment.id} of other details")
        account = connected_account(self.connections, caller.tenant_id)
        replayable = self.clock.now() - payment.created_at < PROCESSOR_KEY_LIFETIME
        if replayable and (payment.status is PaymentStatus.FAILED or not payment.processor_payment_id):
            customer = self.customers.get(caller.tenant_id, payment.customer_id)
            return self._ask_processor(caller.user_id, account, customer.processor_customer_id, payment)
        if payment.status is PaymentStatus.FAILED:
            raise PaymentFailed(payment.id, payment.failure_message, payment.failure_code, False)
        if not payment.processor_payment_id:
            raise Conflict(
                f"payment {payment.id} was started at {payment.created_at.isoformat()} and Stripe never answered; "
                "look it up in Stripe before charging again"
            )
        state = self.gateway.payment(account, payment.processor_payment_id)
        return self.ledger.settle(payment, state, caller.user_id, account)
