"""The billing cycle: "this subscription, this period" billed once, whoever runs it (the API for a
first period due now, the nightly run, the test clock). The night's work for one subscription
comes in two halves around a batch's numbering: ``prepare_due_billing`` (activation, the end of a
canceled term, a dunning step, the period's invoice written as a draft in the write that moves
the subscription on), then ``number_invoices`` for the batch, then ``complete_due_billing``
(charged or sent, and what came of it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from billing.domain.access import Caller, Permission
from billing.domain.billing_runs import Outcome
from billing.domain.errors import DomainError, PaymentFailed
from billing.domain.invoices import MAX_FINALIZE_BATCH, Invoice, InvoiceStatus
from billing.domain.subscriptions import (
    CollectionMethod,
    DunningPolicy,
    PeriodInvoice,
    Subscription,
    SubscriptionStatus,
    activated,
    billed,
    ended_at_period_end,
    period_invoice,
    sent_for_payment,
)
from billing.domain.timeline import SYSTEM_ACTOR
from billing.observability import logger
from billing.ports import Clock, EventPublisher, SettingsRepository, SubscriptionRepository
from billing.services.invoices import Invoicing
from billing.services.payments import PaymentService
from billing.services.subscriptions.common import (
    SubscriptionChanged,
    changed_subscription,
    period_paid,
    subscription_event,
)
from billing.services.subscriptions.dunning import Dunning


@dataclass(frozen=True)
class DueBilling:
    """One subscription's due billing between its two halves: what happened so far, and the
    period to bill with its invoice as prepared (None: nothing to bill)."""

    subscription: Subscription
    outcomes: list[Outcome]
    number: int | None = None
    draft: Invoice | None = None


@dataclass(frozen=True)
class BillingCycle:
    subscriptions: SubscriptionRepository
    settings: SettingsRepository
    invoicing: Invoicing
    payments: PaymentService
    dunning: Dunning
    events: EventPublisher
    clock: Clock

    def prepare_due_billing(self, caller: Caller, subscription_id: str, run_date: date, hosted_base: str) -> DueBilling:
        """Everything up to the period's invoice, which is written as a draft (in the transaction
        that moves the subscription on), so that a batch of them takes its numbers in one
        transaction with the counter."""
        caller.require(Permission.WRITE)
        outcomes: list[Outcome] = []
        now = self.clock.now()

        read: list[Subscription] = []  # the version the change was decided on

        def due_change(subscription: Subscription) -> SubscriptionChanged:
            read[:] = [subscription]
            # A scheduled one has no period yet, so at most one of the two applies.
            after = ended_at_period_end(activated(subscription, run_date, now), run_date, now)
            if after is subscription:
                return subscription, None
            if after.status is SubscriptionStatus.CANCELED:
                summary = f"Canceled at the end of its period ({after.ended_on})"
                return after, subscription_event(after, "subscription.ended", SYSTEM_ACTOR, summary, self.clock)
            return after, subscription_event(
                after, "subscription.activated", SYSTEM_ACTOR, "Billing started", self.clock
            )

        subscription = changed_subscription(self.subscriptions, caller.tenant_id, subscription_id, due_change)
        if subscription.status is not read[-1].status:
            if subscription.status is SubscriptionStatus.CANCELED:
                return DueBilling(subscription, [Outcome.CANCELED])
            outcomes.append(Outcome.ACTIVATED)
        dunning = subscription.dunning_due
        if dunning and dunning.next_on is not None and dunning.next_on <= run_date:
            outcomes += self.dunning.step(caller, subscription, hosted_base)
            subscription = self.subscriptions.get(caller.tenant_id, subscription_id)
        next_on = subscription.next_payment_on
        billing_due = subscription.collecting_period is not None or (next_on is not None and next_on <= run_date)
        if not subscription.status.billable or not billing_due:
            return DueBilling(subscription, outcomes or [Outcome.SKIPPED])
        number = (
            subscription.periods_billed if subscription.collecting_period is None else subscription.collecting_period
        )
        draft = None
        if number == subscription.periods_billed:
            bill, key, moved = self._cycle_invoice(subscription, number)
            draft = self.invoicing.drafts.create_for_period(caller, bill, key, moved, finalize=False)
        return DueBilling(subscription, outcomes, number, draft)

    def number_invoices(self, caller: Caller, batch: list[DueBilling]) -> None:
        """The drafts a batch of due billings wrote take a block of numbers in one transaction with
        the counter. If that fails (another worker finalized one of them meanwhile), each is
        finalized on its own as it is finished: nothing is lost, only the batching."""
        drafts = [n.draft for n in batch if n.draft is not None and n.draft.status is InvoiceStatus.DRAFT]
        for start in range(0, len(drafts), MAX_FINALIZE_BATCH):
            try:
                self.invoicing.lifecycle.finalize_drafts(caller, drafts[start : start + MAX_FINALIZE_BATCH])
            except DomainError as failure:
                logger.info(
                    "numbering a batch of %s invoices failed (%s); each is numbered alone", len(drafts), failure
                )

    def complete_due_billing(self, caller: Caller, due: DueBilling, hosted_base: str) -> list[Outcome]:
        """The second half: the period's invoice numbered (if the batch did not), charged or sent,
        and what came of it."""
        if due.number is None:
            return due.outcomes
        subscription, outcomes = due.subscription, list(due.outcomes)
        try:
            invoice = self.bill_period(caller, subscription, hosted_base, due.number)
        except PaymentFailed:
            return [*outcomes, Outcome.INVOICED, Outcome.FAILED]
        outcomes.append(Outcome.INVOICED)
        if subscription.collection_method is CollectionMethod.SEND_INVOICE:
            outcomes.append(Outcome.SENT if invoice.last_sent_at else Outcome.FAILED)
        elif invoice.status is InvoiceStatus.PAID or invoice.amount_paid:
            outcomes.append(Outcome.CHARGED)
        last = subscription.payments is not None and subscription.payments - subscription.periods_billed <= 1
        if last and self.subscriptions.get(caller.tenant_id, subscription.id).status is SubscriptionStatus.EXPIRED:
            outcomes.append(Outcome.EXPIRED)  # the term's last payment was made
        return outcomes

    def bill_period(
        self, caller: Caller, subscription: Subscription, hosted_base: str, number: int | None = None
    ) -> Invoice:
        """Bill one subscription for its next period (or period ``number``), once: the period's
        invoice is written with a condition on the period's key, in the write that moves the
        subscription on; then it is charged (AutoPay; the charge is named by the invoice, so a
        resumed call finishes the same charge), paid by the first payment taken at creation, or
        sent. Called again for a period already invoiced, it finishes only what is left."""
        number = subscription.periods_billed if number is None else number
        billed_period = subscription.period(number)
        started = self.clock.now()
        paid_by = None
        if billed_period.number == 0 and subscription.first_payment_id:
            paid_by = self.payments.get_payment(caller, subscription.first_payment_id)
        collect = subscription.collection_method
        bill, key, moved = self._cycle_invoice(subscription, number)
        try:
            # What the charge's outcome sets off (the invoice paid, the period counted) is followed
            # when the issuing is done, before this period's billing reads the subscription again.
            with self.events.unit():
                invoice = self.invoicing.issuing.issue(
                    caller,
                    bill,
                    key,
                    collect=collect,
                    payment_method_id=subscription.payment_method_id,
                    hosted_base=hosted_base,
                    subscription=moved,
                    paid_by=paid_by,
                )
        except PaymentFailed as declined:
            self.dunning.payment_failed(
                caller.tenant_id, subscription.id, number, hosted_base, declined.payment_id, declined.decline_code
            )
            raise
        if invoice.status is InvoiceStatus.PAID and invoice.paid_at and invoice.paid_at < started:
            # Paid before this call (an earlier attempt stopped after it): count the period now. A
            # payment made in this call was counted as the invoice was paid (invoice_paid).
            period_paid(self.subscriptions, self.clock, caller.tenant_id, subscription.id, billed_period.number)
        elif collect is CollectionMethod.SEND_INVOICE and invoice.last_sent_at is not None:
            self._sent(caller.tenant_id, subscription.id, billed_period.number, invoice)
        return invoice

    def _cycle_invoice(self, subscription: Subscription, number: int) -> tuple[PeriodInvoice, str, Subscription | None]:
        """Period ``number``'s invoice, its request key, and the subscription moved past it (None
        when the period was billed already)."""
        billed_period = subscription.period(number)
        moved = billed(subscription, number, self.clock.now()) if number == subscription.periods_billed else None
        return period_invoice(subscription, billed_period), billed_period.key(subscription.id), moved

    def _sent(self, tenant_id: str, subscription_id: str, number: int, invoice: Invoice) -> None:
        """Invoice mode: the period's invoice is out; its overdue reminders are scheduled."""
        policy = DunningPolicy.of(self.settings.get(tenant_id))
        due_date = invoice.due_date or self.clock.now().date()

        def change(subscription: Subscription) -> SubscriptionChanged:
            if subscription.collecting_period != number:
                return subscription, None
            return sent_for_payment(subscription, number, due_date, policy, self.clock.now()), None

        changed_subscription(self.subscriptions, tenant_id, subscription_id, change)
