"""Subscriptions (SPEC S1-S12, S14, W3 where it touches a subscription): create in either collection
mode, list, read, edit, cancel three ways, delete, export, and the cycle that bills "this
subscription, this period" once, which the API (a first period due now) and the nightly run use.

Creating with AutoPay charges the first payment before anything is written (charge-first): a
decline leaves nothing but the failed payment in the ledger, and no invoice number is drawn for
an invoice that would only be voided. The subscriptions then hold that payment's id, so whoever
bills their first period (this request, its retry, or the nightly run) applies it instead of
charging again."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from billing.domain.access import Caller, Permission, Role
from billing.domain.billing_runs import Outcome
from billing.domain.customers import Customer
from billing.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    NotFound,
    PaymentFailed,
    RequestTaken,
    ValidationFailed,
)
from billing.domain.invoices import (
    MAX_FINALIZE_BATCH,
    Invoice,
    InvoiceFilter,
    InvoicePayment,
    InvoiceStatus,
    PaymentSource,
)
from billing.domain.paging import MAX_PAGE_SIZE
from billing.domain.payments import CHECKOUT_SESSION_ID, Payment, PaymentMethod, PaymentStatus
from billing.domain.periods import BillingFrequency, BillingStart
from billing.domain.pricing import AmountType, LineItem, subscription_groups, summarize
from billing.domain.subscriptions import (
    EXPORT_COLUMNS,
    CancelMode,
    CollectionMethod,
    DunningPolicy,
    Subscription,
    SubscriptionFilter,
    SubscriptionStatus,
    activated,
    billed,
    canceled,
    cycle_invoice_request,
    deletion_refusal,
    dunning_exhausted,
    dunning_over,
    ended_at_period_end,
    new_subscription,
    overdue_reminded,
    paid,
    payment_failed,
    prorated_refund,
    sent_for_payment,
)
from billing.domain.timeline import TimelineEvent, timeline_event
from billing.observability import logger
from billing.ports import (
    Clock,
    CustomerRepository,
    FileStore,
    Mailer,
    PaymentGateway,
    PaymentMethodRepository,
    ProcessorConnections,
    SettingsRepository,
    SpreadsheetWriter,
    SubscriptionRepository,
)
from billing.services.exports import Export, export_table, spreadsheet, stored_export
from billing.services.invoices import SYSTEM_ACTOR, InvoiceService
from billing.services.notifications import format_amount, send_as_tenant
from billing.services.optimistic import change_with_retry
from billing.services.payment_methods import PaymentMethodService, connected_account
from billing.services.payments import PaymentService
from billing.services.pricing import Preview, PricingService

MAX_SUBSCRIPTIONS_PER_ORDER = 20
MAX_DAYS_UNTIL_DUE = 365
LINK_DAYS = 7  # how long an emailed payment-method link opens its page


@dataclass(frozen=True)
class DueBilling:
    """One subscription's due billing between its two halves (see ``prepare_due_billing``): what
    happened so far, and the period to bill with its invoice as prepared (None: nothing to bill)."""

    subscription: Subscription
    outcomes: list[Outcome]
    number: int | None = None
    draft: Invoice | None = None


@dataclass(frozen=True)
class Link:
    url: str
    expires_at: datetime
    sent_to: str


@dataclass(frozen=True)
class MethodPage:
    """What the buyer's payment-method page shows."""

    business: str
    lines: list[str]
    next_payment: str
    method: str
    notice: str


class SubscriptionService:
    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        customers: CustomerRepository,
        methods: PaymentMethodRepository,
        pricing: PricingService,
        invoices: InvoiceService,
        payments: PaymentService,
        settings: SettingsRepository,
        clock: Clock,
        mailer: Mailer | None = None,
        exports: FileStore | None = None,
        spreadsheets: SpreadsheetWriter | None = None,
        export_seconds: int = 30 * 24 * 3600,
        gateway: PaymentGateway | None = None,
        connections: ProcessorConnections | None = None,
        method_service: PaymentMethodService | None = None,
        link_days: int = LINK_DAYS,
    ):
        self._subscriptions = subscriptions
        self._customers = customers
        self._methods = methods
        self._pricing = pricing
        self._invoices = invoices
        self._payments = payments
        self._settings = settings
        self._clock = clock
        self._mailer = mailer
        self._exports = exports
        self._spreadsheets = spreadsheets
        self._export_seconds = export_seconds
        self._gateway = gateway
        self._connections = connections
        self._method_service = method_service
        self._link_days = link_days

    # ------------------------------------------------------------ preview, create

    def preview(self, caller: Caller, request: dict) -> Preview:
        """S1: what the buyer will pay, the subscriptions the lines form and their schedule; writes nothing."""
        _recurring_only(request["lines"])
        preview = self._pricing.preview(caller, request)
        _recurring_only(request["lines"], [line.item for line in preview.summary.lines])
        return preview

    def create(self, caller: Caller, request: dict, request_key: str | None, hosted_base: str) -> list[Subscription]:
        """S1-S5: one subscription per group of lines (S5), the first period billed when it is due
        today: AutoPay charges it first (a decline is a 402 and creates nothing), invoice mode
        sends its invoice."""
        caller.require(Permission.WRITE)
        if request_key is not None:
            earlier = self._subscriptions.for_request(caller.tenant_id, request_key)
            if earlier is not None:
                return self._first_periods(caller, earlier, hosted_base)
        now = self._clock.now()
        today = now.date()
        settings = self._settings.get(caller.tenant_id)
        currency = settings.billing_currency(request["currency"])
        customer = self._customer(caller, request["customer_id"])
        _recurring_only(request["lines"])
        items, adjustments = self._pricing.document_items(
            caller.tenant_id, currency, request["lines"], request.get("adjustments") or []
        )
        _recurring_only(request["lines"], items)
        summary = summarize(items, adjustments, currency, today)
        groups = sorted(subscription_groups(summary.lines), key=lambda g: (g.starts_on, g.line_indexes))
        if len(groups) > MAX_SUBSCRIPTIONS_PER_ORDER:
            raise ValidationFailed.of("lines", f"the lines form {len(groups)} subscriptions; at most 20 per request")
        collection = CollectionMethod(request.get("collection_method") or CollectionMethod.CHARGE_AUTOMATICALLY)
        method = None
        if collection is CollectionMethod.CHARGE_AUTOMATICALLY:
            method = self._usable_method(caller, customer, request.get("payment_method_id"), today)
        elif not customer.invoice_email:
            raise ValidationFailed.of(
                "collection_method", "send_invoice emails each invoice: give the customer a billing email first"
            )
        address_id = request.get("address_id")
        if address_id is not None and address_id not in customer.addresses:
            raise ValidationFailed.of("address_id", "the customer has no such address")
        days = request.get("days_until_due")
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
                # P9: one-time adjustments go on the first invoices only: percentages on each
                # subscription starting first, amounts once.
                adjustments=tuple(
                    a
                    for a in adjustments
                    if group.starts_on == earliest and (index == 0 or a.type is AmountType.PERCENT)
                ),
                collection_method=collection,
                payment_method_id=request.get("payment_method_id"),
                days_until_due=days,
                address_id=address_id,
            )
            for index, group in enumerate(groups)
        ]
        due_now = [s for s in subscriptions if s.starts_on <= today]
        first_payment = None
        if method is not None and due_now:
            first_payment = self._charge_first(caller, customer, method, due_now, today, request_key)
            subscriptions = [
                replace(s, first_payment_id=first_payment.id) if s in due_now else s for s in subscriptions
            ]
        events = [self._event(s, "subscription.created", caller.user_id, _created_summary(s)) for s in subscriptions]
        try:
            subscriptions = self._subscriptions.add(subscriptions, events, request_key)
        except RequestTaken:
            return self._first_periods(
                caller, self._subscriptions.for_request(caller.tenant_id, request_key), hosted_base
            )
        except Exception:
            if first_payment is not None and first_payment.status is PaymentStatus.SUCCEEDED:
                self._payments.refund(caller, first_payment.id, None)  # nothing was created for it
            raise
        return self._first_periods(caller, subscriptions, hosted_base)

    def _charge_first(self, caller, customer, method, due_now, today, request_key) -> Payment:
        amount = sum(_first_total(s, today) for s in due_now)
        request = {
            "customer_id": customer.id,
            "amount": amount,
            "currency": due_now[0].currency,
            "payment_method_id": method.id,
            "description": "First payment of subscription " + ", ".join(s.id for s in due_now),
            "subscription_ids": [s.id for s in due_now],
        }
        # The payment is named by the creation request, so a retry finishes this charge.
        key = f"subscribe:{request_key or uuid.uuid4().hex}"
        return self._payments.charge(caller, request, key)

    def _first_periods(self, caller: Caller, subscriptions: list[Subscription], hosted_base: str):
        """Bill each first period that is due, or finish what an earlier attempt left of it (its
        invoice not yet paid by the first payment, or not yet sent); answer the subscriptions as
        they are now."""
        today = self._clock.now().date()
        for subscription in subscriptions:
            if subscription.starts_on <= today and subscription.status.billable:
                self.bill_period(caller, subscription, hosted_base, number=0)
        return [self._subscriptions.get(caller.tenant_id, s.id) for s in subscriptions]

    # ------------------------------------------------------------ the cycle (S7)

    def prepare_due_billing(self, caller: Caller, subscription_id: str, run_date: date, hosted_base: str) -> DueBilling:
        """The billing due for one subscription comes in two halves around a batch's numbering
        (this, then ``complete_due_billing``): a scheduled one whose start came is activated, one canceled
        at period end whose period is over is canceled, a dunning step due is taken, and a period
        due on or before the run's date is billed, once, whoever else runs it.

        Everything up to the period's invoice, which is written as a draft (in the
        transaction that moves the subscription on), so that a batch of them takes its numbers
        in one transaction with the counter (B4)."""
        caller.require(Permission.WRITE)
        outcomes: list[Outcome] = []
        now = self._clock.now()

        read: list[Subscription] = []  # the version the change was decided on

        def due_change(subscription: Subscription):
            read[:] = [subscription]
            # A scheduled one has no period yet, so at most one of the two applies.
            after = ended_at_period_end(activated(subscription, run_date, now), run_date, now)
            if after is subscription:
                return subscription, None
            if after.status is SubscriptionStatus.CANCELED:
                summary = f"Canceled at the end of its period ({after.ended_on})"
                return after, self._event(after, "subscription.ended", SYSTEM_ACTOR, summary)
            return after, self._event(after, "subscription.activated", SYSTEM_ACTOR, "Billing started")

        subscription = self._change(caller.tenant_id, subscription_id, due_change)
        if subscription.status is not read[-1].status:
            if subscription.status is SubscriptionStatus.CANCELED:
                return DueBilling(subscription, [Outcome.CANCELED])
            outcomes.append(Outcome.ACTIVATED)
        if subscription.dunning_due and subscription.dunning_due.next_on <= run_date:
            outcomes += self._dunning_step(caller, subscription, hosted_base)
            subscription = self._subscriptions.get(caller.tenant_id, subscription_id)
        next_on = subscription.next_payment_on
        billing_due = subscription.collecting_period is not None or (next_on is not None and next_on <= run_date)
        if not subscription.status.billable or not billing_due:
            return DueBilling(subscription, outcomes or [Outcome.SKIPPED])
        number = (
            subscription.periods_billed if subscription.collecting_period is None else subscription.collecting_period
        )
        draft = None
        if number == subscription.periods_billed:
            request, key, moved = self._cycle_invoice(subscription, number)
            draft = self._invoices.create(caller, request, key, moved)
        return DueBilling(subscription, outcomes, number, draft)

    def number_invoices(self, caller: Caller, batch: list[DueBilling]) -> None:
        """The drafts a batch of due billings wrote take a block of numbers in one transaction with
        the counter. If that fails (another worker finalized one of them meanwhile), each is
        finalized on its own as it is finished: nothing is lost, only the batching."""
        drafts = [n.draft for n in batch if n.draft is not None and n.draft.status is InvoiceStatus.DRAFT]
        for start in range(0, len(drafts), MAX_FINALIZE_BATCH):
            try:
                self._invoices.finalize_drafts(caller, drafts[start : start + MAX_FINALIZE_BATCH])
            except DomainError as failure:
                logger.info(
                    "numbering a batch of %s invoices failed (%s); each is numbered alone", len(drafts), failure
                )

    def complete_due_billing(self, caller: Caller, due: DueBilling, hosted_base: str) -> list[Outcome]:
        """The second half of the due billing: the period's invoice numbered (if the batch did not), charged
        or sent, and what came of it."""
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
        if last and self._subscriptions.get(caller.tenant_id, subscription.id).status is SubscriptionStatus.EXPIRED:
            outcomes.append(Outcome.EXPIRED)  # B2: the term's last payment was made
        return outcomes

    def _dunning_step(self, caller: Caller, subscription: Subscription, hosted_base: str) -> list[Outcome]:
        """W3, one day of dunning: retry the failed charge (its own charge per retry, so a worker
        run twice retries once), remind the buyer of an overdue invoice (invoice mode), or, after
        a hard decline, apply the final action on the last retry day."""
        dunning = subscription.dunning
        invoice = self._invoices.for_request(caller.tenant_id, f"{subscription.id}:{dunning.period}")
        now = self._clock.now()
        if invoice is None or not invoice.status.collectable or invoice.amount_due <= 0:
            self._change(caller.tenant_id, subscription.id, lambda s: (dunning_over(s, now), None))
            return [Outcome.SKIPPED]
        policy = DunningPolicy.of(self._settings.get(caller.tenant_id))
        if subscription.collection_method is CollectionMethod.SEND_INVOICE:
            # Once per step: an attempt that stopped after the email only moves the step on.
            step_key = f"{subscription.period(dunning.period).key(subscription.id)}:overdue-{dunning.steps + 1}"
            claimed = self._subscriptions.claim_reminder(caller.tenant_id, step_key)
            if claimed:
                days = (now.date() - dunning.since).days
                message = (
                    f"Invoice {invoice.number} of {format_amount(invoice.amount_due, invoice.currency)} was due on "
                    f"{dunning.since} and is {days} day{'s' if days != 1 else ''} overdue. Please pay it by the "
                    "link below."
                )
                subject = f"Overdue: invoice {invoice.number}"
                self._invoices.send(caller, invoice.id, {"subject": subject, "message": message}, hosted_base)

            def reminded(current: Subscription):
                if current.dunning != dunning:
                    return current, None
                summary = f"Overdue reminder {dunning.steps + 1} of invoice {invoice.number} sent"
                after = overdue_reminded(current, policy, now)
                return after, self._event(after, "subscription.overdue_reminder_sent", SYSTEM_ACTOR, summary)

            self._change(caller.tenant_id, subscription.id, reminded)
            return [Outcome.REMINDERS] if claimed else [Outcome.SKIPPED]
        if dunning.hard:  # the last retry day after a hard decline: nothing was retried

            def ended(current: Subscription):
                if current.dunning != dunning:
                    return current, None
                after = dunning_exhausted(current, policy, now)
                summary = "The failed payment was not retried (a hard decline) and no new method came: " + (
                    "canceled" if after.status is SubscriptionStatus.CANCELED else "it stays unpaid"
                )
                return after, self._event(after, "subscription.dunning_ended", SYSTEM_ACTOR, summary)

            after = self._change(caller.tenant_id, subscription.id, ended)
            if after.status is SubscriptionStatus.CANCELED:
                self._tell_admins(after, f"Subscription {after.id} canceled after its payment failed")
                return [Outcome.CANCELED]
            return [Outcome.SKIPPED]
        try:
            charged = self._invoices.charge(
                caller, invoice.id, subscription.payment_method_id, attempt=dunning.steps + 1
            )
        except PaymentFailed as declined:
            self._payment_failed(
                caller.tenant_id,
                subscription.id,
                dunning.period,
                hosted_base,
                declined.payment_id,
                declined.decline_code,
            )
            after = self._subscriptions.get(caller.tenant_id, subscription.id)
            canceled_now = [Outcome.CANCELED] if after.status is SubscriptionStatus.CANCELED else []
            return [Outcome.RETRIED, Outcome.FAILED, *canceled_now]
        return [Outcome.RETRIED, Outcome.CHARGED] if charged.status is InvoiceStatus.PAID else [Outcome.RETRIED]

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
        started = self._clock.now()
        paid_by = None
        if billed_period.number == 0 and subscription.first_payment_id:
            paid_by = self._payments.get_payment(caller, subscription.first_payment_id)
        collect = "send" if subscription.collection_method is CollectionMethod.SEND_INVOICE else "charge"
        request, key, moved = self._cycle_invoice(subscription, number)
        try:
            invoice = self._invoices.issue(
                caller,
                request,
                key,
                collect=collect,
                hosted_base=hosted_base,
                subscription=moved,
                paid_by=paid_by,
            )
        except PaymentFailed as declined:
            self._payment_failed(
                caller.tenant_id, subscription.id, number, hosted_base, declined.payment_id, declined.decline_code
            )
            raise
        if invoice.status is InvoiceStatus.PAID and invoice.paid_at and invoice.paid_at < started:
            # Paid before this call (an earlier attempt stopped after it): count the period now. A
            # payment made in this call was counted as the invoice was paid (invoice_paid).
            self._period_paid(caller.tenant_id, subscription.id, billed_period.number)
        elif collect == "send" and invoice.last_sent_at is not None:
            self._sent(caller.tenant_id, subscription.id, billed_period.number, invoice)
        return invoice

    def _cycle_invoice(self, subscription: Subscription, number: int) -> tuple[dict, str, Subscription | None]:
        """Period ``number``'s invoice as the invoice service takes it, its request key, and the
        subscription moved past it (None when the period was billed already)."""
        billed_period = subscription.period(number)
        request = cycle_invoice_request(subscription, billed_period)
        request["payment_method_id"] = subscription.payment_method_id
        moved = billed(subscription, number, self._clock.now()) if number == subscription.periods_billed else None
        return request, billed_period.key(subscription.id), moved

    def _sent(self, tenant_id: str, subscription_id: str, number: int, invoice: Invoice) -> None:
        """Invoice mode: the period's invoice is out; its overdue reminders are scheduled."""
        policy = DunningPolicy.of(self._settings.get(tenant_id))
        due_date = invoice.due_date or self._clock.now().date()

        def change(subscription: Subscription):
            if subscription.collecting_period != number:
                return subscription, None
            return sent_for_payment(subscription, number, due_date, policy, self._clock.now()), None

        self._change(tenant_id, subscription_id, change)

    def payment_changed(self, payment: Payment, previous: PaymentStatus, hosted_base: str = "") -> None:
        """W2/W3: a payment Billow took for a subscription's invoice changed at the processor (a
        bank debit succeeded or failed days later, a card charge answered): the invoice and the
        subscription follow, once, whatever the order the outcomes arrive in."""
        if payment.status == previous or payment.status is PaymentStatus.PENDING:
            return
        if payment.status in (PaymentStatus.REFUNDED, PaymentStatus.DISPUTED):
            self._money_returned(payment)
            return
        invoices = []
        if payment.invoice_id:
            invoices.append(self._invoice_or_none(payment.tenant_id, payment.invoice_id))
        for subscription_id in payment.subscription_ids:  # a first payment, taken before the invoices
            invoices.append(self._invoices.for_request(payment.tenant_id, f"{subscription_id}:0"))
            if invoices[-1] is None and payment.status is PaymentStatus.FAILED:
                self._payment_failed(
                    payment.tenant_id, subscription_id, 0, hosted_base, payment.id, payment.decline_code
                )
        for invoice in invoices:
            if invoice is None or invoice.subscription_id is None:
                continue
            if payment.status is PaymentStatus.FAILED:
                number = invoice.subscription_period or 0
                self._payment_failed(
                    payment.tenant_id, invoice.subscription_id, number, hosted_base, payment.id, payment.decline_code
                )
                continue
            self._invoices.apply_online_payment(payment.tenant_id, invoice.id, payment)  # paid: invoice_paid follows

    def _money_returned(self, payment: Payment) -> None:
        """A payment of a subscription's invoice refunded in full or disputed: the invoice's
        history and the subscription's timeline say so (what to do is a person's decision)."""
        invoice_ids = [payment.invoice_id] if payment.invoice_id else []
        for subscription_id in payment.subscription_ids:
            first = self._invoices.for_request(payment.tenant_id, f"{subscription_id}:0")
            invoice_ids += [first.id] if first else []
        for invoice_id in invoice_ids:
            invoice = self._invoices.note_payment_outcome(payment.tenant_id, invoice_id, payment)
            if invoice.subscription_id:
                summary = f"The payment of invoice {invoice.number} was {payment.status.value}"
                event = timeline_event(
                    invoice.customer_id,
                    f"subscription.payment_{payment.status.value}",
                    self._clock.now(),
                    SYSTEM_ACTOR,
                    summary,
                    subscription_id=invoice.subscription_id,
                    payment_id=payment.id,
                )
                self._customers.add_event(payment.tenant_id, event)

    def invoice_paid(self, invoice: Invoice) -> None:
        """S7: the invoice of a period was paid in full (charged, paid online, or recorded by hand)."""
        if invoice.subscription_id and invoice.subscription_period is not None:
            try:
                self._period_paid(invoice.tenant_id, invoice.subscription_id, invoice.subscription_period)
            except NotFound:  # the subscription was deleted since; the invoice stands on its own
                return

    def remind(self, caller: Caller, subscription_id: str, payment_on: date) -> list[Outcome]:
        """S8: the buyer hears of the payment due on ``payment_on``, once per period."""
        caller.require(Permission.WRITE)
        subscription = self._subscriptions.get(caller.tenant_id, subscription_id)
        live = subscription.status.billable or subscription.status is SubscriptionStatus.SCHEDULED
        if not live or subscription.next_payment_on != payment_on:
            return [Outcome.SKIPPED]
        customer = self._customers.get(caller.tenant_id, subscription.customer_id)
        upcoming = subscription.next_period
        if not customer.invoice_email or not self._subscriptions.claim_reminder(
            caller.tenant_id, upcoming.key(subscription.id)
        ):
            return [Outcome.SKIPPED]
        settings = self._settings.get(caller.tenant_id)
        amount = format_amount(_period_total(subscription, upcoming.number, payment_on), subscription.currency)
        how = (
            "charged to your payment method on file"
            if subscription.collection_method is CollectionMethod.CHARGE_AUTOMATICALLY
            else "invoiced"
        )
        lines = "\n".join(f"  {line.quantity} x {line.name}" for line in subscription.lines)
        send_as_tenant(
            self._mailer,
            settings,
            to=[customer.invoice_email],
            subject=f"Your next payment to {settings.business_name or 'us'} on {payment_on}",
            text=f"Your subscription's next payment of {amount} will be {how} on {payment_on}, for "
            f"{upcoming.start} to {upcoming.end}:\n{lines}\n",
        )
        summary = f"Payment reminder sent to {customer.invoice_email} ({amount} on {payment_on})"
        self._customers.add_event(
            caller.tenant_id, self._event(subscription, "subscription.reminder_sent", SYSTEM_ACTOR, summary)
        )
        return [Outcome.REMINDERS]

    def _invoice_or_none(self, tenant_id: str, invoice_id: str) -> Invoice | None:
        try:
            return self._invoices.get(system_caller(tenant_id), invoice_id)
        except NotFound:
            return None

    def _period_paid(self, tenant_id: str, subscription_id: str, number: int) -> None:
        def change(subscription: Subscription):
            after = paid(subscription, subscription.period(number), self._clock.now())
            if after is subscription:
                return subscription, None
            summary = f"Period {number + 1} paid"
            if after.status is SubscriptionStatus.EXPIRED:
                summary += "; every payment of the term is made, the subscription expired"
            return after, self._event(after, "subscription.period_paid", SYSTEM_ACTOR, summary)

        self._change(tenant_id, subscription_id, change)

    def _payment_failed(
        self,
        tenant_id: str,
        subscription_id: str,
        number: int,
        hosted_base: str = "",
        payment_id: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        """W3: period ``number``'s charge failed (the first time, or a retry): unpaid, dunning on.
        The buyer is asked for a new method when it turns unpaid; the admins hear when the
        retries ran out. Reported twice (the decline, then the webhook), it is counted once."""
        policy = DunningPolicy.of(self._settings.get(tenant_id))
        before: list[Subscription] = []  # the version the change was decided on

        def change(subscription: Subscription):
            before[:] = [subscription]
            now = self._clock.now()
            after = payment_failed(subscription, number, now, policy, payment_id=payment_id, decline_code=decline_code)
            if after is subscription:
                return subscription, None
            if after.status is SubscriptionStatus.CANCELED:
                summary = f"Canceled: the payment of period {number + 1} failed and its retries ran out"
                return after, self._event(after, "subscription.canceled", SYSTEM_ACTOR, summary)
            if subscription.status is SubscriptionStatus.UNPAID:
                summary = f"A retry of the payment of period {number + 1} failed"
                if after.dunning and after.dunning.next_on:
                    summary += f"; the next on {after.dunning.next_on}"
                return after, self._event(after, "subscription.retry_failed", SYSTEM_ACTOR, summary)
            summary = "The payment of the current period failed; the buyer is asked to update the payment method"
            if after.dunning and after.dunning.next_on and not after.dunning.hard:
                summary += f"; it is retried on {after.dunning.next_on}"
            elif after.dunning and after.dunning.hard:
                summary += f" (declined: {decline_code}; not retried)"
            return after, self._event(after, "subscription.unpaid", SYSTEM_ACTOR, summary)

        try:
            after = self._change(tenant_id, subscription_id, change)
        except NotFound:
            return
        if after is before[-1]:
            return
        if before[-1].status is not SubscriptionStatus.UNPAID and after.status is SubscriptionStatus.UNPAID:
            self._ask_for_new_method(after, hosted_base)
        if after.status is SubscriptionStatus.CANCELED:
            self._tell_admins(after, f"Subscription {after.id} canceled after its payment failed")

    def _tell_admins(self, subscription: Subscription, subject: str) -> None:
        """Admin notification (switchable), best effort: the change stands whatever the mail does."""
        settings = self._settings.get(subscription.tenant_id)
        if not (settings.admin_notifications_enabled and settings.admin_notification_emails):
            return
        try:
            send_as_tenant(
                self._mailer,
                settings,
                to=list(settings.admin_notification_emails),
                subject=subject,
                text=f"{subject}.\nCustomer: {subscription.customer_id}\nSubscription: {subscription.id}\n",
            )
        except Exception:  # the subscription's change stands; the log keeps the failure
            logger.exception("notifying the admins failed")

    def _change(self, tenant_id: str, subscription_id: str, change) -> Subscription:
        return change_with_retry(
            lambda: self._subscriptions.get(tenant_id, subscription_id),
            change,
            self._subscriptions.save,
            f"subscription {subscription_id}",
        )

    # ------------------------------------------------------------ read

    def get(self, caller: Caller, subscription_id: str) -> Subscription:
        caller.require(Permission.READ)
        return self._subscriptions.get(caller.tenant_id, subscription_id)

    def invoices_of(self, caller: Caller, subscription: Subscription) -> list[Invoice]:
        """The subscription's invoices, newest first (the latest 100)."""
        where = InvoiceFilter(customer_id=subscription.customer_id, subscription_id=subscription.id)
        return self._invoices.list(caller, where, limit=MAX_PAGE_SIZE, cursor=None).items

    def filter(
        self,
        *,
        statuses: tuple[str, ...] = (),
        customer_id: str | None = None,
        product_id: str | None = None,
        collection_method: str | None = None,
        next_from: date | None = None,
        next_to: date | None = None,
        created_from: date | None = None,
        created_to: date | None = None,
        ids: tuple[str, ...] = (),
    ) -> SubscriptionFilter:
        if next_from and next_to and next_from > next_to:
            raise ValidationFailed.of("next_payment_to", "must not be before next_payment_from")
        if created_from and created_to and created_from > created_to:
            raise ValidationFailed.of("created_to", "must not be before created_from")
        return SubscriptionFilter(
            statuses=tuple(dict.fromkeys(statuses)),
            customer_id=customer_id,
            product_id=product_id,
            collection_method=collection_method,
            next_from=next_from.isoformat() if next_from else None,
            next_to=next_to.isoformat() if next_to else None,
            created_from=created_from.isoformat() if created_from else None,
            created_to=created_to.isoformat() if created_to else None,
            ids=ids,
        )

    def list(self, caller: Caller, where: SubscriptionFilter, *, limit: int, cursor: str | None):
        caller.require(Permission.READ)
        return self._subscriptions.list(caller.tenant_id, where, limit=min(limit, MAX_PAGE_SIZE), cursor=cursor)

    def export(self, caller: Caller, where: SubscriptionFilter, file_format: str) -> Export:
        """S12: the subscriptions the filter selects as XLSX or CSV, behind a link valid 30 days."""
        caller.require(Permission.READ)
        records = self._subscriptions.all(caller.tenant_id, where)
        headers, rows = export_table(EXPORT_COLUMNS, records, self._clock.now().date())
        body = spreadsheet(self._spreadsheets, file_format, "Subscriptions", headers, rows)
        return stored_export(
            self._exports,
            self._clock,
            caller.tenant_id,
            "subscriptions",
            file_format,
            body,
            len(rows),
            self._export_seconds,
        )

    # ------------------------------------------------------------ edit (S9)

    def update(self, caller: Caller, subscription_id: str, changes: dict) -> Subscription:
        """S9: lines (from the next period on), the next payment date, the payment method, the
        address the subscription bills to (the customer's, C5)."""
        caller.require(Permission.WRITE)
        today = self._clock.now().date()

        def change(subscription: Subscription):
            if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
                raise Conflict(f"subscription {subscription.id} is {subscription.status.value}; it is not edited")
            updates: dict = {}
            said = []
            if "lines" in changes:
                updates["lines"] = self._edited_lines(caller, subscription, changes["lines"])
                said.append("line items (from the next period on)")
            if "payment_method_id" in changes:
                customer = self._customers.get(caller.tenant_id, subscription.customer_id)
                method = self._usable_method(caller, customer, changes["payment_method_id"], today)
                updates["payment_method_id"] = method.id
                said.append(f"payment method {method.describe()}")
            if "address_id" in changes:
                customer = self._customers.get(caller.tenant_id, subscription.customer_id)
                address_id = changes["address_id"]
                if address_id is not None and address_id not in customer.addresses:
                    raise ValidationFailed.of("address_id", "the customer has no such address")
                updates["address_id"] = address_id
                said.append("billing address")
            if "next_payment_date" in changes:
                updates |= _moved_schedule(subscription, changes["next_payment_date"], today)
                said.append(f"next payment date {changes['next_payment_date']}")
            if not updates:
                return subscription, None
            after = replace(subscription, **updates, updated_at=self._clock.now())
            return after, self._event(after, "subscription.updated", caller.user_id, "Changed " + ", ".join(said))

        return self._change(caller.tenant_id, subscription_id, change)

    def _edited_lines(self, caller: Caller, subscription: Subscription, lines: list[dict]):
        items, _ = self._pricing.document_items(caller.tenant_id, subscription.currency, lines, [])
        _recurring_only(lines, items)
        errors = [
            FieldError(f"lines.{i}.billing_frequency", f"must be {subscription.frequency.value}, as the subscription")
            for i, item in enumerate(items)
            if item.frequency is not subscription.frequency
        ]
        errors += [
            FieldError(f"lines.{i}.{name}", "is the subscription's; not set per line when editing")
            for i, line in enumerate(lines)
            for name in ("payments", "billing_start")
            if line.get(name)
        ]
        if errors:
            raise ValidationFailed(errors)
        summarize(items, [], subscription.currency, self._clock.now().date())  # every line priceable
        return tuple(replace(item, payments=subscription.payments) for item in items)

    # ------------------------------------------------------------ the buyer's payment method (S9, W3)

    def payment_method_link(self, caller: Caller, subscription_id: str, hosted_base: str) -> Link:
        """Email the buyer a link to a page where they save a new card or bank account, which
        becomes the subscription's method. The link's token is unguessable and expires."""
        caller.require(Permission.WRITE)
        subscription = self._subscriptions.get(caller.tenant_id, subscription_id)
        if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
            raise Conflict(
                f"subscription {subscription.id} is {subscription.status.value}; nothing is charged any more"
            )
        customer = self._customers.get(caller.tenant_id, subscription.customer_id)
        if not customer.invoice_email:
            raise Conflict("the customer has no billing email to send the link to")
        connected_account(self._connections, caller.tenant_id)  # the page saves at the tenant's Stripe account
        return self._send_link(subscription, customer, hosted_base, caller.user_id)

    def _send_link(self, subscription: Subscription, customer: Customer, hosted_base: str, actor: str) -> Link:
        now = self._clock.now()
        token = secrets.token_urlsafe(24)
        expires_at = now + timedelta(days=self._link_days)
        self._subscriptions.add_link(subscription.tenant_id, subscription.id, token, expires_at)
        url = f"{hosted_base}/s/{token}"
        self._email_method_link(subscription, customer, url, expires_at)
        summary = f"Payment-method link sent to {customer.invoice_email}"
        event = self._event(subscription, "subscription.payment_method_link_sent", actor, summary)
        self._customers.add_event(subscription.tenant_id, event)
        return Link(url, expires_at, customer.invoice_email)

    def _ask_for_new_method(self, subscription: Subscription, hosted_base: str) -> None:
        """W3: an unpaid subscription's buyer is emailed the payment-method link. Best effort: the
        status stands whatever the mail does, and what did not happen is on the timeline."""
        customer = self._customers.get(subscription.tenant_id, subscription.customer_id)
        reason = None
        if not hosted_base:
            reason = "no public address to link to outside a request; the billing run's dunning sends it"
        elif not customer.invoice_email:
            reason = "the customer has no billing email"
        elif self._connections.account_of(subscription.tenant_id) is None:
            reason = "no Stripe account is connected"
        if reason is None:
            try:
                self._send_link(subscription, customer, hosted_base, SYSTEM_ACTOR)
                return
            except Exception as error:  # the unpaid status stands; the failed email is on the timeline
                logger.exception("sending the payment-method link failed")
                reason = f"sending it failed: {error}"
        summary = f"The payment-method link was not sent: {reason}"
        event = self._event(subscription, "subscription.payment_method_link_failed", SYSTEM_ACTOR, summary)
        self._customers.add_event(subscription.tenant_id, event)

    def _email_method_link(self, subscription: Subscription, customer: Customer, url: str, expires_at: datetime):
        settings = self._settings.get(subscription.tenant_id)
        business = settings.business_name or "us"
        problem = (
            "The last payment of your subscription did not go through. "
            if subscription.status is SubscriptionStatus.UNPAID
            else ""
        )
        send_as_tenant(
            self._mailer,
            settings,
            to=[customer.invoice_email],
            subject=f"Update the payment method of your subscription with {business}",
            text=f"{problem}You can update the card or bank account we charge for your subscription here:\n\n"
            f"{url}\n\nThe link works until {expires_at:%Y-%m-%d %H:%M} UTC.\n",
        )

    def _by_link(self, token: str) -> Subscription:
        found = self._subscriptions.by_link(token)
        if found is None or found[2] <= self._clock.now():
            raise NotFound("this link is not valid, or it expired; ask for a new one")
        return self._subscriptions.get(found[0], found[1])

    def method_page(self, token: str, setup_session_id: str | None) -> MethodPage:
        subscription = self._by_link(token)
        notice = ""
        if setup_session_id and self._returned_from_setup(subscription, setup_session_id):
            notice = "Your new payment method is saved."
            subscription = self._subscriptions.get(subscription.tenant_id, subscription.id)
        customer = self._customers.get(subscription.tenant_id, subscription.customer_id)
        chosen = subscription.payment_method_id or customer.default_payment_method_id
        method = next((m for m in self._methods.list(subscription.tenant_id, customer.id) if m.id == chosen), None)
        settings = self._settings.get(subscription.tenant_id)
        return MethodPage(
            business=settings.business_name or "Your subscription",
            lines=[f"{line.quantity} x {line.name}" for line in subscription.lines],
            next_payment=subscription.next_payment_on.isoformat() if subscription.next_payment_on else "none",
            method=method.describe() if method else "none on file",
            notice=notice,
        )

    def _returned_from_setup(self, subscription: Subscription, session_id: str) -> bool:
        """The buyer is back from Checkout: settle the session now rather than wait for the webhook
        (both are idempotent), if it is this page's own. A value that is no session id, a session
        Stripe does not know, or one of another tenant or subscription is ignored: the page shows
        as without it."""
        account = self._connections.account_of(subscription.tenant_id)
        if account is None or not CHECKOUT_SESSION_ID.fullmatch(session_id):
            return False
        try:
            outcome = self.settle_setup(subscription.tenant_id, account, session_id, only_for=subscription.id)
        except NotFound:
            return False
        return outcome.startswith("payment method")

    def start_method_setup(self, token: str, hosted_base: str) -> str:
        subscription = self._by_link(token)
        if subscription.status in (SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED):
            raise Conflict(f"the subscription is {subscription.status.value}")
        tenant_id = subscription.tenant_id
        account = connected_account(self._connections, tenant_id)
        customer = self._customers.get(tenant_id, subscription.customer_id)
        customer = self._method_service.processor_customer(system_caller(tenant_id), customer, account)
        page = f"{hosted_base}/s/{token}"
        session = self._gateway.create_setup_checkout(
            account,
            processor_customer_id=customer.processor_customer_id,
            success_url=f"{page}?setup={{CHECKOUT_SESSION_ID}}",
            cancel_url=page,
            metadata={"billow_tenant": tenant_id, "billow_subscription": subscription.id},
            idempotency_key=f"setup:{subscription.id}:{token}:{subscription.version}",
        )
        return session.url

    def settle_setup(self, tenant_id: str, account: str, session_id: str, *, only_for: str | None = None) -> str:
        """A completed setup session: its method becomes the subscription's (the webhook and the
        buyer's return both come here; the second finds it done). An unpaid subscription's open
        invoice is charged to the new method at once (W3). ``only_for``: settle it only if it is
        that subscription's session."""
        session = self._gateway.checkout(account, session_id)
        subscription_id = session.metadata.get("billow_subscription")
        if session.metadata.get("billow_tenant") != tenant_id or not subscription_id:
            return "ignored: the session is not for a Billow subscription of this tenant"
        if only_for is not None and subscription_id != only_for:
            return "ignored: the session is another subscription's"
        if session.status != "complete" or not session.setup_reference:
            return f"ignored: the session is {session.status}"
        method_id = self._gateway.setup_method(account, session.setup_reference)
        if method_id is None:
            return "ignored: the setup did not succeed"
        self._method_service.reconcile(tenant_id, account, method_id)

        def change(subscription: Subscription):
            if subscription.payment_method_id == method_id:
                return subscription, None
            after = replace(subscription, payment_method_id=method_id, updated_at=self._clock.now())
            return after, self._event(
                after, "subscription.payment_method_updated", "buyer", "The buyer saved a new payment method"
            )

        subscription = self._change(tenant_id, subscription_id, change)
        if subscription.status is SubscriptionStatus.UNPAID and subscription.current_period is not None:
            invoice = self._invoices.for_request(tenant_id, subscription.current_period.key(subscription.id))
            if invoice is not None and invoice.status.collectable:
                try:
                    self._invoices.charge(system_caller(tenant_id), invoice.id, method_id)
                except PaymentFailed:
                    return "payment method updated; the open invoice was declined again"
        return "payment method updated"

    # ------------------------------------------------------------ cancel (S10), delete (S11)

    def cancel(self, caller: Caller, subscription_id: str, mode: str, *, confirm: bool) -> Subscription:
        """S10: immediately, at the end of the paid period, or immediately with the unused days
        of the paid period refunded through Stripe on that period's payment."""
        caller.require(Permission.WRITE)
        mode = CancelMode(mode)
        now = self._clock.now()
        subscription = self._subscriptions.get(caller.tenant_id, subscription_id)
        after = canceled(subscription, mode, now.date(), now, confirm=confirm)
        refund = None
        if mode is CancelMode.IMMEDIATELY_WITH_REFUND:
            refund = self._refundable(caller, subscription, now.date())
        summary = {
            CancelMode.IMMEDIATELY: "Canceled now; no further payments",
            CancelMode.AT_PERIOD_END: f"Canceled at the end of the current period ({after.ends_on or now.date()})",
            CancelMode.IMMEDIATELY_WITH_REFUND: "Canceled now",
        }[mode]
        if refund is not None and refund[1] > 0:
            summary += f"; {format_amount(refund[1], subscription.currency)} refunded for the unused days"
        elif refund is not None:
            summary += "; no unused days to refund"
        saved = self._subscriptions.save(after, self._event(after, "subscription.canceled", caller.user_id, summary))
        if refund is not None and refund[1] > 0:
            self._payments.refund(caller, refund[0], refund[1])
        self._email_cancellation(saved, summary)
        return saved

    def _refundable(self, caller: Caller, subscription: Subscription, today: date) -> tuple[str, int]:
        """The payment and amount to refund for the unused days of the current period; a period
        paid by hand, or by a bank debit still pending, is refused with the reason (409)."""
        current = subscription.current_period
        if current is None:
            raise Conflict("no period was billed yet; cancel immediately instead (nothing to refund)")
        invoice = self._invoices.for_request(caller.tenant_id, current.key(subscription.id))
        if invoice is None or invoice.amount_paid == 0:
            if invoice is not None and self._debit_pending(caller, subscription, invoice):
                raise Conflict("the current period's bank debit is still pending; it is not refunded automatically")
            raise Conflict("the current period is not paid; cancel immediately instead (nothing to refund)")
        online: list[InvoicePayment] = [
            p for p in invoice.payments if p.source is PaymentSource.ONLINE and p.payment_id
        ]
        if len(online) != len(invoice.payments):
            raise Conflict(
                "the current period was paid by hand (or by invoice outside Stripe); Billow cannot refund it - "
                "cancel immediately and refund the customer yourself"
            )
        applied = online[-1]
        payment = self._payments.get_payment(caller, applied.payment_id)
        if payment.status is PaymentStatus.PENDING:
            raise Conflict("the current period's bank debit is still pending; it is not refunded automatically")
        # The unused days of what the period was paid, never more than is left to refund on it.
        unused = prorated_refund(sum(p.amount for p in online), current, today)
        return payment.id, min(unused, sum(p.standing for p in online), payment.refundable)

    def _debit_pending(self, caller: Caller, subscription: Subscription, invoice: Invoice) -> bool:
        """Whether a payment Billow took for this invoice (or the first payment, for the first
        period) is still pending at the bank."""
        pending = self._payments.list_payments(
            caller, status=PaymentStatus.PENDING.value, customer_id=subscription.customer_id, limit=MAX_PAGE_SIZE
        ).items
        return any(
            p.invoice_id == invoice.id or (p.id == subscription.first_payment_id and invoice.subscription_period == 0)
            for p in pending
        )

    def _email_cancellation(self, subscription: Subscription, summary: str) -> None:
        if self._mailer is None:
            return
        customer = self._customers.get(subscription.tenant_id, subscription.customer_id)
        if not customer.invoice_email:
            return
        settings = self._settings.get(subscription.tenant_id)
        lines = ", ".join(line.name for line in subscription.lines)
        try:
            message_id = send_as_tenant(
                self._mailer,
                settings,
                to=[customer.invoice_email],
                subject=f"Your subscription with {settings.business_name or 'us'} is canceled",
                text=f"Your subscription ({lines}) is canceled.\n\n{summary}.\n\nYou will not be charged again.\n",
            )
            entry = self._event(subscription, "subscription.cancellation_sent", SYSTEM_ACTOR, "Cancellation emailed")
            entry = replace(entry, data={**entry.data, "message_id": message_id})
        except Exception as error:  # the cancellation stands; the failed email is on the timeline
            entry = self._event(subscription, "subscription.cancellation_failed", SYSTEM_ACTOR, str(error))
        self._customers.add_event(subscription.tenant_id, entry)

    def delete(self, caller: Caller, subscription_id: str) -> None:
        caller.require(Permission.WRITE)
        subscription = self._subscriptions.get(caller.tenant_id, subscription_id)
        refusal = deletion_refusal(subscription)
        if refusal:
            raise Conflict("; ".join(refusal.reasons))
        event = self._event(
            subscription, "subscription.deleted", caller.user_id, f"Subscription {subscription.id} deleted"
        )
        self._subscriptions.delete(subscription, event)

    # ------------------------------------------------------------ helpers

    def _customer(self, caller: Caller, customer_id: str) -> Customer:
        try:
            customer = self._customers.get(caller.tenant_id, customer_id)
        except NotFound:
            raise ValidationFailed.of("customer_id", "no such customer") from None
        if customer.archived:
            raise ValidationFailed.of("customer_id", "the customer is archived; restore it first")
        return customer

    def _usable_method(self, caller: Caller, customer: Customer, method_id: str | None, today: date) -> PaymentMethod:
        """S4: AutoPay needs a method on file that has not expired."""
        methods = self._methods.list(caller.tenant_id, customer.id)
        chosen = method_id or customer.default_payment_method_id
        method = next((m for m in methods if m.id == chosen), None)
        if method is None:
            raise ValidationFailed.of(
                "payment_method_id",
                "the customer has no such payment method on file"
                if method_id
                else "AutoPay needs a payment method on file: save one for the customer, give payment_method_id, "
                "or choose collection_method send_invoice",
            )
        if method.exp_year and (method.exp_year, method.exp_month) < (today.year, today.month):
            raise ValidationFailed.of("payment_method_id", f"{method.describe()} has expired; choose or add another")
        return method

    def _event(self, subscription: Subscription, event_type: str, actor: str, summary: str) -> TimelineEvent:
        return timeline_event(
            subscription.customer_id, event_type, self._clock.now(), actor, summary, subscription_id=subscription.id
        )


def system_caller(tenant_id: str) -> Caller:
    """Billow itself acting for the tenant (a webhook, the buyer's page, the nightly run)."""
    return Caller(tenant_id, SYSTEM_ACTOR, Role.ADMIN)


def _recurring_only(lines: list[dict], items: list[LineItem] | None = None) -> None:
    """A subscription bills recurring lines (a library product's frequency counts when the line
    gives none); one-time lines go on an invoice."""
    message = "a subscription bills recurring lines; put one-time lines on an invoice"
    if items is None:
        refused = [i for i, line in enumerate(lines) if line.get("billing_frequency") == BillingFrequency.ONE_TIME]
    else:
        refused = [i for i, item in enumerate(items) if not item.frequency.is_recurring]
    if refused:
        raise ValidationFailed([FieldError(f"lines.{i}.billing_frequency", message) for i in refused])


def _first_total(subscription: Subscription, today: date) -> int:
    """What the first period's invoice will total: the same engine, lines and adjustments."""
    return _period_total(subscription, 0, today)


def _period_total(subscription: Subscription, number: int, today: date) -> int:
    """What period ``number``'s invoice will total (one-time adjustments on the first only). The
    lines are priced as that period's invoice prices them: billed once, their start long decided
    (a delayed or chosen start would otherwise price a later first payment at nothing, or refuse
    a start that is now past)."""
    items = [replace(item.as_one_time(), billing_start=BillingStart()) for item in subscription.lines]
    adjustments = subscription.adjustments if number == 0 else ()
    return summarize(items, adjustments, subscription.currency, today).due_now.total


def _created_summary(subscription: Subscription) -> str:
    lines = ", ".join(line.name for line in subscription.lines)
    when = "now" if subscription.status is SubscriptionStatus.ACTIVE else f"on {subscription.starts_on}"
    return f"Subscription created: {lines}, {subscription.frequency.value}, billing starts {when}"


def _moved_schedule(subscription: Subscription, next_on: date, today: date) -> dict:
    """S9: a new next payment date: the schedule continues from it (the periods billed so far keep
    their dates)."""
    if next_on < today:
        raise ValidationFailed.of("next_payment_date", "must not lie in the past")
    current = subscription.current_period
    if current is not None and next_on <= current.start:
        raise ValidationFailed.of("next_payment_date", "must be after the start of the period billed last")
    updates: dict = {"anchor_on": next_on, "anchor_period": subscription.periods_billed}
    if subscription.periods_billed == 0:
        updates = {"starts_on": next_on, "anchor_on": None, "anchor_period": 0}
        if subscription.status is SubscriptionStatus.SCHEDULED and next_on <= today:
            updates["status"] = SubscriptionStatus.ACTIVE
        if subscription.status is SubscriptionStatus.ACTIVE and next_on > today:
            updates["status"] = SubscriptionStatus.SCHEDULED
    return updates
