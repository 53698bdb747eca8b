"""Dunning: a failed payment makes the subscription unpaid and starts the retries (the buyer is
asked for a new method; the admins hear when the retries ran out); each retry day retries the
charge, reminds the buyer of an overdue invoice (invoice mode), or applies the final action."""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.access import Caller
from billing.domain.billing_runs import Outcome
from billing.domain.errors import NotFound, PaymentFailed
from billing.domain.invoices import InvoiceStatus
from billing.domain.orders import SendOrder
from billing.domain.subscriptions import (
    CollectionMethod,
    DunningPolicy,
    Subscription,
    SubscriptionStatus,
    dunning_exhausted,
    dunning_over,
    overdue_reminded,
    payment_failed,
)
from billing.domain.timeline import SYSTEM_ACTOR, TimelineEvent
from billing.observability import logger
from billing.ports import Clock, Mailer, SettingsRepository, SubscriptionRepository
from billing.services.invoices import Invoicing
from billing.services.notifications import send_as_tenant
from billing.services.subscriptions.common import SubscriptionChanged, changed_subscription, subscription_event
from billing.services.subscriptions.payment_method_link import PaymentMethodLinks


@dataclass(frozen=True)
class Dunning:
    subscriptions: SubscriptionRepository
    settings: SettingsRepository
    mailer: Mailer
    invoicing: Invoicing
    links: PaymentMethodLinks
    clock: Clock

    def payment_failed(
        self,
        tenant_id: str,
        subscription_id: str,
        number: int,
        hosted_base: str = "",
        payment_id: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        """Period ``number``'s charge failed (the first time, or a retry): unpaid, dunning on. The
        buyer is asked for a new method when it turns unpaid; the admins hear when the retries ran
        out. Reported twice (the decline, then the webhook), it is counted once."""
        policy = DunningPolicy.of(self.settings.get(tenant_id))
        before: list[Subscription] = []  # the version the change was decided on

        def change(subscription: Subscription) -> SubscriptionChanged:
            before[:] = [subscription]
            now = self.clock.now()
            after = payment_failed(subscription, number, now, policy, payment_id=payment_id, decline_code=decline_code)
            if after is subscription:
                return subscription, None
            if after.status is SubscriptionStatus.CANCELED:
                summary = f"Canceled: the payment of period {number + 1} failed and its retries ran out"
                return after, self._event(after, "subscription.canceled", summary)
            if subscription.status is SubscriptionStatus.UNPAID:
                summary = f"A retry of the payment of period {number + 1} failed"
                if after.dunning and after.dunning.next_on:
                    summary += f"; the next on {after.dunning.next_on}"
                return after, self._event(after, "subscription.retry_failed", summary)
            summary = "The payment of the current period failed; the buyer is asked to update the payment method"
            if after.dunning and after.dunning.next_on and not after.dunning.hard:
                summary += f"; it is retried on {after.dunning.next_on}"
            elif after.dunning and after.dunning.hard:
                summary += f" (declined: {decline_code}; not retried)"
            return after, self._event(after, "subscription.unpaid", summary)

        try:
            after = changed_subscription(self.subscriptions, tenant_id, subscription_id, change)
        except NotFound:
            return
        if after is before[-1]:
            return
        if before[-1].status is not SubscriptionStatus.UNPAID and after.status is SubscriptionStatus.UNPAID:
            self.links.ask_for_new_method(after, hosted_base)
        if after.status is SubscriptionStatus.CANCELED:
            self._tell_admins(after, f"Subscription {after.id} canceled after its payment failed")

    def step(self, caller: Caller, subscription: Subscription, hosted_base: str) -> list[Outcome]:
        """One day of dunning: retry the failed charge (its own charge per retry, so a worker run
        twice retries once), remind the buyer of an overdue invoice (invoice mode), or, after a
        hard decline, apply the final action on the last retry day."""
        dunning = subscription.dunning
        assert dunning is not None  # only a subscription in dunning takes a step
        invoice = self.invoicing.issuing.for_request(caller.tenant_id, f"{subscription.id}:{dunning.period}")
        now = self.clock.now()
        if invoice is None or not invoice.status.collectable or invoice.amount_due <= 0:
            changed_subscription(
                self.subscriptions, caller.tenant_id, subscription.id, lambda s: (dunning_over(s, now), None)
            )
            return [Outcome.SKIPPED]
        settings = self.settings.get(caller.tenant_id)
        policy = DunningPolicy.of(settings)
        if subscription.collection_method is CollectionMethod.SEND_INVOICE:
            # Once per step: an attempt that stopped after the email only moves the step on.
            step_key = f"{subscription.period(dunning.period).key(subscription.id)}:overdue-{dunning.steps + 1}"
            claimed = self.subscriptions.claim_reminder(caller.tenant_id, step_key)
            if claimed:
                days = (now.date() - dunning.since).days
                self.invoicing.delivery.send(caller, invoice.id, SendOrder(overdue_days=days), hosted_base)

            def reminded(current: Subscription) -> SubscriptionChanged:
                if current.dunning != dunning:
                    return current, None
                summary = f"Overdue reminder {dunning.steps + 1} of invoice {invoice.number} sent"
                after = overdue_reminded(current, policy, now)
                return after, self._event(after, "subscription.overdue_reminder_sent", summary)

            changed_subscription(self.subscriptions, caller.tenant_id, subscription.id, reminded)
            return [Outcome.REMINDERS] if claimed else [Outcome.SKIPPED]
        if dunning.hard:  # the last retry day after a hard decline: nothing was retried

            def ended(current: Subscription) -> SubscriptionChanged:
                if current.dunning != dunning:
                    return current, None
                after = dunning_exhausted(current, policy, now)
                summary = "The failed payment was not retried (a hard decline) and no new method came: " + (
                    "canceled" if after.status is SubscriptionStatus.CANCELED else "it stays unpaid"
                )
                return after, self._event(after, "subscription.dunning_ended", summary)

            after = changed_subscription(self.subscriptions, caller.tenant_id, subscription.id, ended)
            if after.status is SubscriptionStatus.CANCELED:
                self._tell_admins(after, f"Subscription {after.id} canceled after its payment failed")
                return [Outcome.CANCELED]
            return [Outcome.SKIPPED]
        try:
            charged = self.invoicing.collection.charge(
                caller, invoice.id, subscription.payment_method_id, attempt=dunning.steps + 1
            )
        except PaymentFailed as declined:
            self.payment_failed(
                caller.tenant_id,
                subscription.id,
                dunning.period,
                hosted_base,
                declined.payment_id,
                declined.decline_code,
            )
            after = self.subscriptions.get(caller.tenant_id, subscription.id)
            canceled_now = [Outcome.CANCELED] if after.status is SubscriptionStatus.CANCELED else []
            return [Outcome.RETRIED, Outcome.FAILED, *canceled_now]
        return [Outcome.RETRIED, Outcome.CHARGED] if charged.status is InvoiceStatus.PAID else [Outcome.RETRIED]

    def _tell_admins(self, subscription: Subscription, subject: str) -> None:
        """Admin notification (switchable), best effort: the change stands whatever the mail does."""
        settings = self.settings.get(subscription.tenant_id)
        if not (settings.admin_notifications_enabled and settings.admin_notification_emails):
            return
        try:
            send_as_tenant(
                self.mailer,
                settings,
                to=list(settings.admin_notification_emails),
                subject=subject,
                text=f"{subject}.\nCustomer: {subscription.customer_id}\nSubscription: {subscription.id}\n",
            )
        except Exception:  # the subscription's change stands; the log keeps the failure
            logger.exception("notifying the admins failed")

    def _event(self, subscription: Subscription, event_type: str, summary: str) -> TimelineEvent:
        return subscription_event(subscription, event_type, SYSTEM_ACTOR, summary, self.clock)
