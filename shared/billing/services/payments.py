"""The payments ledger: charges of a card on file, refunds, and every payment kept
in step with the processor's current state of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from billing.domain.access import Caller, Permission
from billing.domain.errors import (
    REQUEST_KEY_FIELD,
    Conflict,
    PaymentFailed,
    ProcessorUnavailable,
    RequestTaken,
    StaleWrite,
    ValidationFailed,
)
from billing.domain.events import PaymentRefunded, PaymentStatusChanged
from billing.domain.money import normalize_currency
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.domain.payments import (
    AuthenticationRequired,
    Payment,
    PaymentDeclined,
    PaymentStatus,
    ProcessorPayment,
    RefundClaim,
    new_payment,
    refund_claimed,
)
from billing.domain.timeline import timeline_event
from billing.ports import (
    Clock,
    CustomerRepository,
    EventPublisher,
    PaymentGateway,
    PaymentMethodRepository,
    PaymentRepository,
    ProcessorConnections,
    SettingsRepository,
)
from billing.services.payment_methods import SYSTEM_ACTOR, PaymentMethodService, connected_account

MAX_SYNC_ATTEMPTS = 5
# How long a refund request waits for a concurrent one on the same payment before a 409.
REFUND_WAIT_SECONDS = 10.0
# Stripe keeps an idempotency key for at least 24 hours; within that time a request may be replayed.
PROCESSOR_KEY_LIFETIME = timedelta(hours=23)


class PaymentService:
    def __init__(
        self,
        customers: CustomerRepository,
        methods: PaymentMethodRepository,
        payments: PaymentRepository,
        connections: ProcessorConnections,
        gateway: PaymentGateway,
        method_service: PaymentMethodService,
        settings: SettingsRepository,
        clock: Clock,
        events: EventPublisher,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._customers = customers
        self._methods = methods
        self._payments = payments
        self._connections = connections
        self._gateway = gateway
        self._method_service = method_service
        self._clock = clock
        self._events = events
        self._settings = settings
        self._sleep = sleep

    def charge(self, caller: Caller, request: dict, request_key: str | None = None) -> Payment:
        """Charge a customer's card on file, off-session. The payment is recorded (pending) before
        the processor is asked, with an idempotency key derived from it, so a retry after a crash
        never charges twice. With ``request_key`` (the caller's Idempotency-Key) a retry of a
        request whose first attempt never answered finishes that attempt's charge."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self._payments.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._resume(caller, earlier, request)
        currency = self._settings.get(caller.tenant_id).billing_currency(request["currency"])
        account = connected_account(self._connections, caller.tenant_id)
        customer = self._customers.get(caller.tenant_id, request["customer_id"])
        methods = self._methods.list(caller.tenant_id, customer.id)
        method_id = request.get("payment_method_id") or customer.default_payment_method_id
        method = next((m for m in methods if m.id == method_id), None)
        if method is None and request.get("payment_method_id"):
            raise ValidationFailed.of("payment_method_id", "the customer has no such payment method on file")
        if method is None:
            raise ValidationFailed.of(
                "customer_id",
                "the customer has no payment method on file to charge; save a card first "
                f"(POST /v1/customers/{customer.id}/payment-methods/setup)",
            )
        customer = self._method_service.processor_customer(caller, customer, account)
        now = self._clock.now()
        payment = new_payment(
            caller.tenant_id,
            customer.id,
            request["amount"],
            currency,
            now,
            method=method.describe(),
            payment_method_id=method.id,
            description=request.get("description", ""),
            invoice_id=request.get("invoice_id"),
            subscription_ids=tuple(request.get("subscription_ids", ())),
        )
        event = timeline_event(
            customer.id, "payment.created", now, caller.user_id, f"Payment {payment.id} started", payment_id=payment.id
        )
        try:
            payment = self._payments.add(payment, event, request_key=request_key)
        except RequestTaken:  # a concurrent retry recorded its payment first: finish that one
            assert request_key is not None  # only a request key can be taken
            earlier = self._payments.for_request(caller.tenant_id, request_key)
            assert earlier is not None  # taken by the payment it names
            return self._resume(caller, earlier, request)
        return self._ask_processor(caller.user_id, account, customer.processor_customer_id, payment)

    def _ask_processor(self, actor: str, account: str, processor_customer_id: str | None, payment: Payment) -> Payment:
        """The processor call of a recorded payment. Its idempotency key and parameters come from
        the record alone, so asking again for the same payment replays the first answer."""
        # A charge is recorded only for a customer and a method the processor knows.
        assert processor_customer_id is not None and payment.payment_method_id is not None
        try:
            state = self._gateway.charge(
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
            failed = self._settle(payment, state, actor, account)
            raise PaymentFailed(
                failed.id,
                failed.failure_message or declined.message,
                declined.decline_code,
                isinstance(declined, AuthenticationRequired),
            ) from None
        except ProcessorUnavailable:
            raise ProcessorUnavailable("Stripe could not be reached; retry with the same Idempotency-Key") from None
        return self._settle(payment, state, actor, account)

    def _resume(self, caller: Caller, payment: Payment, request: dict) -> Payment:
        """A retry of a charge request: the same payment, never a second one. While the processor
        still keeps its idempotency key, ask it again (it replays the first answer, charge or
        decline); after that, only read what it holds."""
        same_charge = (
            (request["customer_id"], request["amount"], normalize_currency(request["currency"]))
            == (payment.customer_id, payment.amount, payment.currency)
        ) and request.get("payment_method_id") in (None, payment.payment_method_id)
        if not same_charge:
            raise ValidationFailed.of(REQUEST_KEY_FIELD, f"was already used for payment {payment.id} of other details")
        account = connected_account(self._connections, caller.tenant_id)
        replayable = self._clock.now() - payment.created_at < PROCESSOR_KEY_LIFETIME
        if replayable and (payment.status is PaymentStatus.FAILED or not payment.processor_payment_id):
            customer = self._customers.get(caller.tenant_id, payment.customer_id)
            return self._ask_processor(caller.user_id, account, customer.processor_customer_id, payment)
        if payment.status is PaymentStatus.FAILED:
            raise PaymentFailed(payment.id, payment.failure_message, payment.failure_code, False)
        if not payment.processor_payment_id:
            raise Conflict(
                f"payment {payment.id} was started at {payment.created_at.isoformat()} and Stripe never answered; "
                "look it up in Stripe before charging again"
            )
        state = self._gateway.payment(account, payment.processor_payment_id)
        return self._settle(payment, state, caller.user_id, account)

    def refund(self, caller: Caller, payment_id: str, amount: int | None) -> Payment:
        """Refund ``amount`` of a payment (everything not refunded yet when None). Each request is
        its own refund at Stripe: a claim saved on the payment first serialises concurrent
        requests (a later one waits for the earlier one, then finds what is left, or 409 when
        nothing is), and names the refund for Stripe's idempotency, so a refund is never merged
        with another and never answered as made when it was not."""
        caller.require(Permission.WRITE)
        account = connected_account(self._connections, caller.tenant_id)
        payment, claim = self._claim_refund(caller.tenant_id, payment_id, amount, account)
        try:
            self._gateway.refund(
                account,
                payment_reference=payment.processor_payment_id,
                amount=claim.amount,
                idempotency_key=f"billow-refund-{claim.id}",
            )
        except ProcessorUnavailable:
            return self._refund_answer_lost(payment, claim, caller.user_id, account)
        except Exception:
            self._release_claim(payment, claim, account)  # Stripe refused it: nothing was refunded
            raise
        try:
            state = self._gateway.payment(account, _at_processor(payment))
        except ProcessorUnavailable:
            raise ProcessorUnavailable("the refund was made; Stripe could not be reached to confirm it") from None
        return self._settle(payment, state, caller.user_id, account, release=claim.id)

    def _refund_answer_lost(self, payment: Payment, claim: RefundClaim, actor: str, account: str) -> Payment:
        """Stripe's answer to the refund never came: its state of the payment says whether the
        refund was made (then it is answered as made) or not (then it is a 503 to retry). While
        Stripe cannot be read either, the claim stays and a later request decides it."""
        try:
            state = self._gateway.payment(account, _at_processor(payment))
        except ProcessorUnavailable:
            raise ProcessorUnavailable(
                "Stripe could not be reached; whether the refund was made is not known yet, look at the payment shortly"
            ) from None
        settled = self._settle(payment, state, actor, account, release=claim.id)
        if state.amount_refunded < claim.refunded_before + claim.amount:
            raise ProcessorUnavailable("Stripe could not be reached; the refund was not made, retry it")
        return settled

    def _claim_refund(self, tenant_id: str, payment_id: str, amount: int | None, account: str):
        """The payment with this request's refund claimed on it, over the version read. A claim of
        a request still running is waited for; one left by a request that died is decided by
        Stripe's state of the payment first."""
        waited = 0.0
        while True:
            payment = self._payments.get(tenant_id, payment_id)
            running = payment.refund_claim
            if running is not None and running.stale(self._clock.now()):
                self._release_claim(payment, running, account)
                continue
            if running is not None:
                if waited >= REFUND_WAIT_SECONDS:
                    raise Conflict(f"another refund of payment {payment.id} is still being made; retry shortly")
                pause = min(0.05 + waited / 4, 0.5)
                self._sleep(pause)
                waited += pause
                continue
            claimed, claim = refund_claimed(payment, amount, self._clock.now())
            try:
                return self._payments.save(claimed, None), claim
            except StaleWrite:
                continue

    def _release_claim(self, payment: Payment, claim: RefundClaim, account: str) -> None:
        """End a claim: the payment follows Stripe's state, which says whether its refund was made."""
        try:
            state = self._gateway.payment(account, _at_processor(payment))
        except ProcessorUnavailable:
            raise ProcessorUnavailable("Stripe could not be reached; retry the refund") from None
        self._settle(payment, state, SYSTEM_ACTOR, account, release=claim.id)

    def get_payment(self, caller: Caller, payment_id: str) -> Payment:
        caller.require(Permission.READ)
        return self._payments.get(caller.tenant_id, payment_id)

    def list_payments(
        self,
        caller: Caller,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[Payment]:
        caller.require(Permission.READ)
        return self._payments.list(
            caller.tenant_id, status=status, customer_id=customer_id, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor
        )

    def sync(self, tenant_id: str, account: str, reference: str) -> str:
        """Bring our record of processor payment ``reference`` in line with the processor. Our
        record is read before the processor is asked, so the state we apply is never older than
        the one the record holds (a delivery that waited must not undo a newer refund)."""
        payment = self._payments.by_processor_reference(tenant_id, reference)
        if payment is None:
            return "ignored: no payment of this tenant has that reference"
        after = self._settle(payment, self._gateway.payment(account, reference), SYSTEM_ACTOR, account)
        return "unchanged" if after.status == payment.status else f"{payment.status.value} -> {after.status.value}"

    def _settle(
        self, payment: Payment, state: ProcessorPayment, actor: str, account: str, release: str | None = None
    ) -> Payment:
        """Follow the processor's state (and end the refund claim ``release`` names); when someone
        saved the payment meanwhile, read it again, ask the processor again (its state only moves
        forward) and decide anew. A refund reaches the invoices the payment was applied to."""
        for _ in range(MAX_SYNC_ATTEMPTS):
            try:
                settled = self._follow(payment, state, actor, release)
                break
            except StaleWrite:
                payment = self._payments.get(payment.tenant_id, payment.id)
                if payment.processor_payment_id:
                    state = self._gateway.payment(account, _at_processor(payment))
        else:
            raise Conflict(f"payment {payment.id} kept changing; the next delivery will settle it")
        if any(a.refunded for a in settled.applications):
            self._events.publish(PaymentRefunded(settled))
        return settled

    def _follow(self, payment: Payment, state: ProcessorPayment, actor: str, release: str | None = None) -> Payment:
        updated = payment.following(state, self._clock.now())
        if release is not None and payment.refund_claim is not None and payment.refund_claim.id == release:
            updated = replace(updated, refund_claim=None)
        if updated == payment or (updated.status == payment.status and _same_facts(updated, payment)):
            return payment
        event = None
        refunded_now = updated.amount_refunded - payment.amount_refunded
        if refunded_now > 0:
            # Each refund is its own entry with its own amount, partial or the last one.
            whole = "in full" if updated.amount_refunded >= payment.amount else "in part"
            event = timeline_event(
                payment.customer_id,
                "payment.refunded",
                updated.updated_at,
                actor,
                f"Payment {payment.id} refunded {whole}: {refunded_now} of {payment.amount} {payment.currency}",
                payment_id=payment.id,
                amount=refunded_now,
                amount_refunded=updated.amount_refunded,
                currency=payment.currency,
            )
        elif updated.status != payment.status:
            summary = f"Payment {payment.id} {updated.status.value}"
            if updated.failure_message and updated.status is PaymentStatus.FAILED:
                summary += f": {updated.failure_message}"
            event = timeline_event(
                payment.customer_id,
                f"payment.{updated.status.value}",
                updated.updated_at,
                actor,
                summary,
                payment_id=payment.id,
                amount=payment.amount,
                currency=payment.currency,
            )
        saved = self._payments.save(updated, event)
        if saved.status != payment.status:
            self._events.publish(PaymentStatusChanged(saved, payment.status))
        return saved


def _same_facts(a: Payment, b: Payment) -> bool:
    fields = (
        "refund_claim",
        "applications",
        "processor_payment_id",
        "processor_charge_id",
        "amount_refunded",
        "failure_code",
        "decline_code",
        "failure_message",
    )
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _at_processor(payment: Payment) -> str:
    """The processor's id of a payment a refund was asked for (only a payment made there is)."""
    assert payment.processor_payment_id is not None
    return payment.processor_payment_id
