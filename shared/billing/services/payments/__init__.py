"""Payments: charges of a method on file, refunds, and the ledger that follows the processor.

``PaymentService`` is the door the other services and the API use (its ``ledger`` lists and reads
payments); each use case lives in its own module."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from billing.domain.access import Caller
from billing.domain.payments import Charge, Payment
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
from billing.services.payment_methods import PaymentMethodService
from billing.services.payments.charges import PaymentCharges
from billing.services.payments.ledger import PaymentLedger
from billing.services.payments.refunds import PaymentRefunds

__all__ = ["PaymentService", "build_payments"]


@dataclass(frozen=True)
class PaymentService:
    charges: PaymentCharges
    refunds: PaymentRefunds
    ledger: PaymentLedger

    def charge(self, caller: Caller, charge: Charge, request_key: str | None = None) -> Payment:
        return self.charges.charge(caller, charge, request_key)

    def refund(self, caller: Caller, payment_id: str, amount: int | None) -> Payment:
        return self.refunds.refund(caller, payment_id, amount)

    def get_payment(self, caller: Caller, payment_id: str) -> Payment:
        return self.ledger.get_payment(caller, payment_id)

    def sync(self, tenant_id: str, account: str, reference: str) -> str:
        return self.ledger.sync(tenant_id, account, reference)


def build_payments(
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
) -> PaymentService:
    ledger = PaymentLedger(payments, gateway, clock, events)
    return PaymentService(
        PaymentCharges(customers, methods, connections, gateway, method_service, settings, ledger, clock),
        PaymentRefunds(payments, connections, gateway, ledger, clock, sleep),
        ledger,
    )
