"""The payments ledger: every payment kept in step with the processor's current state of it,
its status changes and refunds published as they happen."""

from __future__ import annotations

from dataclasses import dataclass, replace

from billing.domain.access import Caller, Permission
from billing.domain.errors import Conflict, StaleWrite
from billing.domain.events import PaymentRefunded, PaymentStatusChanged
from billing.domain.paging import MAX_PAGE_SIZE, Page
from billing.domain.payments import Payment, PaymentStatus, ProcessorPayment
from billing.domain.timeline import TimelineEvent, timeline_event
from billing.ports import Clock, EventPublisher, PaymentGateway, PaymentRepository
from billing.services.payment_methods import SYSTEM_ACTOR

MAX_SYNC_ATTEMPTS = 5


@dataclass(frozen=True)
class PaymentLedger:
    payments: PaymentRepository
    gateway: PaymentGateway
    clock: Clock
    events: EventPublisher

    def add(self, payment: Payment, event: TimelineEvent, request_key: str | None) -> Payment:
        """A new payment recorded (once per ``request_key``: RequestTaken when it is taken)."""
        return self.payments.add(payment, event, request_key=request_key)

    def for_request(self, tenant_id: str, request_key: str) -> Payment | None:
        return self.payments.for_request(tenant_id, request_key)

    def get_payment(self, caller: Caller, payment_id: str) -> Payment:
        caller.require(Permission.READ)
        return self.payments.get(caller.tenant_id, payment_id)

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
        return self.payments.list(
            caller.tenant_id, status=status, customer_id=customer_id, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor
        )

    def sync(self, tenant_id: str, account: str, reference: str) -> str:
        """Bring our record of processor payment ``reference`` in line with the processor. Our
        record is read before the processor is asked, so the state we apply is never older than
        the one the record holds (a delivery that waited must not undo a newer refund)."""
        payment = self.payments.by_processor_reference(tenant_id, reference)
        if payment is None:
            return "ignored: no payment of this tenant has that reference"
        after = self.settle(payment, self.gateway.payment(account, reference), SYSTEM_ACTOR, account)
        return "unchanged" if after.status == payment.status else f"{payment.status.value} -> {after.status.value}"

    def settle(
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
                payment = self.payments.get(payment.tenant_id, payment.id)
                if payment.processor_payment_id:
                    state = self.gateway.payment(account, at_processor(payment))
        else:
            raise Conflict(f"payment {payment.id} kept changing; the next delivery will settle it")
        if any(a.refunded for a in settled.applications):
            self.events.publish(PaymentRefunded(settled))
        return settled

    def _follow(self, payment: Payment, state: ProcessorPayment, actor: str, release: str | None = None) -> Payment:
        updated = payment.following(state, self.clock.now())
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
        saved = self.payments.save(updated, event)
        if saved.status != payment.status:
            self.events.publish(PaymentStatusChanged(saved, payment.status))
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


def at_processor(payment: Payment) -> str:
    """The processor's id of a payment a refund was asked for (only a payment made there is)."""
    assert payment.processor_payment_id is not None
    return payment.processor_payment_id
