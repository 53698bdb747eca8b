"""Cards on file: set-up through the processor, then kept in step
with it. What the processor says a payment method is attached to decides; events only say when
to look, so duplicates and reordering change nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import uuid4

from billing.domain.access import Caller, Permission
from billing.domain.customers import Customer
from billing.domain.errors import Conflict, NotFound, ProcessorUnavailable, StaleWrite, ValidationFailed
from billing.domain.payments import PaymentMethod
from billing.domain.timeline import timeline_event
from billing.ports import (
    Clock,
    CustomerRepository,
    PaymentGateway,
    PaymentMethodRepository,
    ProcessorConnections,
    SetupSession,
)

SYSTEM_ACTOR = "stripe"
MAKE_DEFAULT = "billow_make_default"


def connected_account(connections: ProcessorConnections, tenant_id: str) -> str:
    account = connections.account_of(tenant_id)
    if account is None:
        raise Conflict("connect a Stripe account first (POST /v1/settings/stripe/connect)")
    return account


@dataclass(frozen=True)
class PaymentMethodService:
    customers: CustomerRepository
    methods: PaymentMethodRepository
    connections: ProcessorConnections
    gateway: PaymentGateway
    clock: Clock

    def start_setup(
        self, caller: Caller, customer_id: str, *, make_default: bool = False
    ) -> tuple[SetupSession, str, str]:
        """A SetupIntent for saving a card; returns it with the account and processor customer.
        The wish to make the card the default travels in the intent's metadata."""
        caller.require(Permission.WRITE)
        account = connected_account(self.connections, caller.tenant_id)
        customer = self.processor_customer(caller, self.customers.get(caller.tenant_id, customer_id), account)
        metadata = {"billow_tenant": caller.tenant_id, "billow_customer": customer.id}
        if make_default:
            metadata[MAKE_DEFAULT] = "true"
        assert customer.processor_customer_id is not None  # processor_customer made sure of it
        session = self.gateway.create_setup_intent(
            account,
            processor_customer_id=customer.processor_customer_id,
            metadata=metadata,
            idempotency_key=f"billow-setup-{caller.tenant_id}-{customer.id}-{uuid4().hex}",
        )
        return session, account, customer.processor_customer_id

    def processor_customer(self, caller: Caller, customer: Customer, account: str) -> Customer:
        """The customer, with its processor customer created on first need."""
        if customer.processor_customer_id:
            return customer
        processor_id = self.gateway.create_customer(
            account,
            email=customer.invoice_email,
            name=customer.display_name,
            metadata={"billow_tenant": caller.tenant_id, "billow_customer": customer.id},
            idempotency_key=f"billow-customer-{caller.tenant_id}-{customer.id}",
        )
        linked = replace(customer, processor_customer_id=processor_id, updated_at=self.clock.now())
        event = timeline_event(
            customer.id,
            "customer.processor_linked",
            linked.updated_at,
            caller.user_id,
            "Customer created at Stripe",
            processor_customer_id=processor_id,
        )
        self.customers.save(linked, event, previous_debtor_number=customer.debtor_number)
        return replace(linked, version=customer.version + 1)

    def list_methods(self, caller: Caller, customer_id: str) -> list[PaymentMethod]:
        caller.require(Permission.READ)
        self.customers.get(caller.tenant_id, customer_id)
        return self.methods.list(caller.tenant_id, customer_id)

    def set_default(self, caller: Caller, customer_id: str, method_id: str) -> list[PaymentMethod]:
        caller.require(Permission.WRITE)
        customer = self.customers.get(caller.tenant_id, customer_id)
        methods = self.methods.list(caller.tenant_id, customer_id)
        if method_id not in {m.id for m in methods}:
            raise NotFound(f"payment method {method_id} not found")
        return self._make_default(customer, methods, method_id, caller.user_id)

    def delete_method(self, caller: Caller, customer_id: str, method_id: str) -> None:
        caller.require(Permission.WRITE)
        customer = self.customers.get(caller.tenant_id, customer_id)
        method = next((m for m in self.methods.list(caller.tenant_id, customer_id) if m.id == method_id), None)
        if method is None:
            raise NotFound(f"payment method {method_id} not found")
        self.gateway.detach_payment_method(connected_account(self.connections, caller.tenant_id), method_id)
        self._forget(customer, method, caller.user_id)

    # ------------------------------------------------------------------ the processor's customer

    def before_delete(self, customer: Customer) -> None:
        """Detach every saved method at the processor before the customer is deleted, so no card of
        a deleted customer stays chargeable. Detaching one already detached is fine."""
        methods = self.methods.list(customer.tenant_id, customer.id)
        if not methods:
            return
        account = connected_account(self.connections, customer.tenant_id)
        for method in methods:
            try:
                self.gateway.detach_payment_method(account, method.id)
            except (NotFound, ValidationFailed):
                pass  # gone at Stripe, or attached to nobody already
            except ProcessorUnavailable:
                raise ProcessorUnavailable(
                    "Stripe could not be reached to detach the cards; nothing was deleted"
                ) from None

    def after_update(self, before: Customer, after: Customer, actor: str) -> None:
        details = (after.display_name, after.invoice_email)
        if not after.processor_customer_id or details == (before.display_name, before.invoice_email):
            return
        account = self.connections.account_of(after.tenant_id)
        if account is None:
            return
        try:
            self.gateway.update_customer(
                account, after.processor_customer_id, email=after.invoice_email, name=after.display_name
            )
        except (ProcessorUnavailable, NotFound, ValidationFailed) as error:
            message = getattr(error, "message", str(error))
            self.customers.add_event(
                after.tenant_id,
                timeline_event(
                    after.id,
                    "customer.processor_sync_failed",
                    self.clock.now(),
                    actor,
                    f"Stripe still has the old name or email: {message}",
                ),
            )

    # ------------------------------------------------------------------ kept in step with the processor

    def reconcile(
        self,
        tenant_id: str,
        account: str,
        method_id: str,
        *,
        make_default: bool = False,
        mandate_id: str | None = None,
    ) -> str:
        """Make our record of ``method_id`` match the processor's: saved under the customer it is
        attached to, or gone when it is attached to none of ours. A customer's first card becomes
        its default, and so does one saved with ``make_default``. A bank account's mandate is
        named by the setup that saved it (``mandate_id``); later deliveries keep it. Two deliveries about one new
        card (setup_intent.succeeded, payment_method.attached) may run at once: one adds it, the
        other finds it added and looks again."""
        try:
            return self._reconcile(tenant_id, account, method_id, make_default, mandate_id)
        except StaleWrite:
            return self._reconcile(tenant_id, account, method_id, make_default, mandate_id)

    def _reconcile(
        self, tenant_id: str, account: str, method_id: str, make_default: bool, mandate_id: str | None
    ) -> str:
        details = self.gateway.payment_method(account, method_id, mandate_id)
        owner = (
            self.methods.customer_of_processor_customer(tenant_id, details.processor_customer_id)
            if details.processor_customer_id
            else None
        )
        holder = self.methods.owner_of(tenant_id, method_id)
        if holder and holder != owner:
            customer = self.customers.get(tenant_id, holder)
            method = next(m for m in self.methods.list(tenant_id, holder) if m.id == method_id)
            self._forget(customer, method, SYSTEM_ACTOR)
        if owner is None:
            return "detached" if holder else "ignored"
        customer = self.customers.get(tenant_id, owner)
        methods = self.methods.list(tenant_id, owner)
        known = next((m for m in methods if m.id == method_id), None)
        method = PaymentMethod(
            id=details.id,
            customer_id=owner,
            type=details.type,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
            bank_code=details.bank_code,
            country=details.country,
            mandate_reference=details.mandate_reference or (known.mandate_reference if known else ""),
            created_at=known.created_at if known else self.clock.now(),
            is_default=bool(known and known.is_default),
        )
        outcome = "unchanged" if known == method else ("saved" if known is None else "updated")
        if known is None:
            added = timeline_event(
                owner,
                "payment_method.added",
                self.clock.now(),
                SYSTEM_ACTOR,
                f"Payment method {method.describe()} saved",
                payment_method_id=method.id,
            )
            self.methods.add(tenant_id, method, added)
        elif known != method:
            self.methods.save(tenant_id, method, None)
        methods = [m for m in methods if m.id != method.id] + [method]
        if not method.is_default and (make_default or not any(m.is_default for m in methods)):
            self._make_default(customer, methods, method.id, SYSTEM_ACTOR)
        elif method.is_default and known != method:
            self._describe_default(customer, method, SYSTEM_ACTOR)
        return outcome

    def _make_default(
        self, customer: Customer, methods: list[PaymentMethod], method_id: str, actor: str
    ) -> list[PaymentMethod]:
        result = []
        for method in methods:
            wanted = method.id == method_id
            if method.is_default != wanted:
                method = replace(method, is_default=wanted)
                self.methods.save(customer.tenant_id, method, None)
            result.append(method)
        chosen = next(m for m in result if m.id == method_id)
        self._describe_default(customer, chosen, actor)
        return result

    def _describe_default(self, customer: Customer, method: PaymentMethod | None, actor: str) -> None:
        description = method.describe() if method else ""
        method_id = method.id if method else None
        if customer.default_payment_method == description and customer.default_payment_method_id == method_id:
            return
        updated = replace(
            customer,
            default_payment_method=description,
            default_payment_method_id=method_id,
            updated_at=self.clock.now(),
        )
        summary = f"Default payment method: {description}" if method else "No default payment method"
        event = timeline_event(
            customer.id,
            "payment_method.default_changed",
            updated.updated_at,
            actor,
            summary,
            payment_method_id=method_id,
        )
        self.customers.save(updated, event, previous_debtor_number=customer.debtor_number)

    def _forget(self, customer: Customer, method: PaymentMethod, actor: str) -> None:
        event = timeline_event(
            customer.id,
            "payment_method.removed",
            self.clock.now(),
            actor,
            f"Payment method {method.describe()} removed",
            payment_method_id=method.id,
        )
        self.methods.remove(customer.tenant_id, method, event)
        if method.is_default:
            remaining = [m for m in self.methods.list(customer.tenant_id, customer.id) if m.id != method.id]
            fresh = self.customers.get(customer.tenant_id, customer.id)
            if remaining:
                self._make_default(fresh, remaining, remaining[0].id, actor)
            else:
                self._describe_default(fresh, None, actor)
