"""Refunds: each request its own refund at Stripe, serialised by a claim saved on the payment."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, ProcessorUnavailable, StaleWrite
from billing.domain.payments import Payment, RefundClaim, refund_claimed
from billing.ports import Clock, PaymentGateway, PaymentRepository, ProcessorConnections
from billing.services.payment_methods import SYSTEM_ACTOR, connected_account
from billing.services.payments.ledger import PaymentLedger, at_processor

# How long a refund request waits for a concurrent one on the same payment before a 409.
REFUND_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class PaymentRefunds:
    payments: PaymentRepository
    connections: ProcessorConnections
    gateway: PaymentGateway
    ledger: PaymentLedger
    clock: Clock
    sleep: Callable[[float], None] = time.sleep

    def refund(self, caller: Caller, payment_id: str, amount: int | None) -> Payment:
        """Refund ``amount`` of a payment (everything not refunded yet when None). Each request is
        its own refund at Stripe: a claim saved on the payment first serialises concurrent
        requests (a later one waits for the earlier one, then finds what is left, or 409 when
        nothing is), and names the refund for Stripe's idempotency, so a refund is never merged
        with another and never answered as made when it was not."""
        caller.require(Permission.WRITE)
        account = connected_account(self.connections, caller.tenant_id)
        payment, claim = self._claim_refund(caller.tenant_id, payment_id, amount, account)
        try:
            self.gateway.refund(
                account,
                payment_reference=at_processor(payment),
                amount=claim.amount,
                idempotency_key=f"billow-refund-{claim.id}",
            )
        except ProcessorUnavailable:
            return self._refund_answer_lost(payment, claim, caller.user_id, account)
        except Exception:
            self._release_claim(payment, claim, account)  # Stripe refused it: nothing was refunded
            raise
        try:
            state = self.gateway.payment(account, at_processor(payment))
        except ProcessorUnavailable:
            raise ProcessorUnavailable("the refund was made; Stripe could not be reached to confirm it") from None
        return self.ledger.settle(payment, state, caller.user_id, account, release=claim.id)

    def _refund_answer_lost(self, payment: Payment, claim: RefundClaim, actor: str, account: str) -> Payment:
        """Stripe's answer to the refund never came: its state of the payment says whether the
        refund was made (then it is answered as made) or not (then it is a 503 to retry). While
        Stripe cannot be read either, the claim stays and a later request decides it."""
        try:
            state = self.gateway.payment(account, at_processor(payment))
        except ProcessorUnavailable:
            raise ProcessorUnavailable(
                "Stripe could not be reached; whether the refund was made is not known yet, look at the payment shortly"
            ) from None
        settled = self.ledger.settle(payment, state, actor, account, release=claim.id)
        if state.amount_refunded < claim.refunded_before + claim.amount:
            raise ProcessorUnavailable("Stripe could not be reached; the refund was not made, retry it")
        return settled

    def _claim_refund(
        self, tenant_id: str, payment_id: str, amount: int | None, account: str
    ) -> tuple[Payment, RefundClaim]:
        """The payment with this request's refund claimed on it, over the version read. A claim of
        a request still running is waited for; one left by a request that died is decided by
        Stripe's state of the payment first."""
        waited = 0.0
        while True:
            payment = self.payments.get(tenant_id, payment_id)
            running = payment.refund_claim
            if running is not None and running.stale(self.clock.now()):
                self._release_claim(payment, running, account)
                continue
            if running is not None:
                if waited >= REFUND_WAIT_SECONDS:
                    raise Conflict(f"another refund of payment {payment.id} is still being made; retry shortly")
                pause = min(0.05 + waited / 4, 0.5)
                self.sleep(pause)
                waited += pause
                continue
            claimed, claim = refund_claimed(payment, amount, self.clock.now())
            try:
                return self.payments.save(claimed, None), claim
            except StaleWrite:
                continue

    def _release_claim(self, payment: Payment, claim: RefundClaim, account: str) -> None:
        """End a claim: the payment follows Stripe's state, which says whether its refund was made."""
        try:
            state = self.gateway.payment(account, at_processor(payment))
        except ProcessorUnavailable:
            raise ProcessorUnavailable("Stripe could not be reached; retry the refund") from None
        self.ledger.settle(payment, state, SYSTEM_ACTOR, account, release=claim.id)
