"""In-memory fakes of the ports: the services run against these in unit tests, no sockets."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from billing.domain.catalog import Product, TaxRate, sku_identity
from billing.domain.customers import Customer, CustomerRecords
from billing.domain.errors import DebtorNumberTaken, NotFound, RequestTaken, SkuTaken, StaleWrite
from billing.domain.paging import Page, decode_cursor, encode_cursor
from billing.domain.payments import (
    AuthenticationRequired,
    Payment,
    PaymentDeclined,
    ProcessorPayment,
    ProcessorUnavailable,
)
from billing.domain.settings import TenantSettings
from billing.domain.timeline import TimelineEvent


class FixedClock:
    def __init__(self, start: datetime = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)):
        self.current = start

    def now(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


def _page(items: list, limit: int, cursor: str | None, id_of) -> Page:
    if cursor:
        after = decode_cursor(cursor, {"after"})["after"]
        items = [i for i in items if id_of(i) < after]
    chunk = items[:limit]
    more = len(items) > limit
    return Page(chunk, encode_cursor({"after": id_of(chunk[-1])}) if more and chunk else None)


class InMemoryCustomers:
    def __init__(self):
        self.customers: dict[tuple[str, str], Customer] = {}
        self.events: dict[tuple[str, str], list[TimelineEvent]] = {}
        self.debtor_numbers: dict[tuple[str, int], str] = {}
        self.records: dict[tuple[str, str], CustomerRecords] = {}
        self.counters: dict[str, itertools.count] = {}

    def add(self, customer: Customer, event: TimelineEvent) -> None:
        key = (customer.tenant_id, customer.id)
        self._claim_debtor(customer, None)
        self.customers[key] = replace(customer, version=1)
        self.events[key] = [event]

    def _claim_debtor(self, customer: Customer, previous: int | None) -> None:
        number = customer.debtor_number
        if number is not None and number != previous:
            if (customer.tenant_id, number) in self.debtor_numbers:
                raise DebtorNumberTaken(number)
            self.debtor_numbers[(customer.tenant_id, number)] = customer.id
        if previous is not None and previous != number:
            del self.debtor_numbers[(customer.tenant_id, previous)]

    def get(self, tenant_id: str, customer_id: str) -> Customer:
        try:
            return self.customers[(tenant_id, customer_id)]
        except KeyError:
            raise NotFound(f"customer {customer_id} not found") from None

    def save(self, customer: Customer, event: TimelineEvent, *, previous_debtor_number: int | None) -> None:
        key = (customer.tenant_id, customer.id)
        if self.customers[key].version != customer.version:
            raise StaleWrite("customer")
        self._claim_debtor(customer, previous_debtor_number)
        self.customers[key] = replace(customer, version=customer.version + 1)
        self.events[key].append(event)

    def add_event(self, tenant_id, event):
        self.events[(tenant_id, event.customer_id)].append(event)

    def list(self, tenant_id, *, archived, search, limit, cursor):
        matches = sorted(
            (
                c
                for (t, _), c in self.customers.items()
                if t == tenant_id and c.archived == archived and search in c.search_text()
            ),
            key=lambda c: c.id,
            reverse=True,
        )
        return _page(matches, limit, cursor, lambda c: c.id)

    def all(self, tenant_id):
        return iter([c for (t, _), c in sorted(self.customers.items()) if t == tenant_id])

    def related_records(self, tenant_id, customer_id):
        return self.records.get((tenant_id, customer_id), CustomerRecords())

    def delete(self, customer):
        key = (customer.tenant_id, customer.id)
        del self.customers[key]
        del self.events[key]
        if customer.debtor_number is not None:
            del self.debtor_numbers[(customer.tenant_id, customer.debtor_number)]

    def timeline(self, tenant_id, customer_id, *, limit, cursor):
        events = sorted(self.events[(tenant_id, customer_id)], key=lambda e: e.id, reverse=True)
        return _page(events, limit, cursor, lambda e: e.id)

    def next_debtor_number(self, tenant_id: str, range_start: int) -> int:
        counter = self.counters.setdefault(tenant_id, itertools.count(1))
        return range_start + next(counter) - 1


class InMemoryCatalog:
    def __init__(self):
        self.products: dict[tuple[str, str], Product] = {}
        self.skus: dict[tuple[str, str], str] = {}
        self.rates: dict[tuple[str, str], TaxRate] = {}

    def add_product(self, product: Product) -> None:
        self._claim_sku(product, "")
        self.products[(product.tenant_id, product.id)] = product

    def _claim_sku(self, product: Product, previous: str) -> None:
        sku, previous = sku_identity(product.sku), sku_identity(previous)
        if sku and sku != previous:
            if (product.tenant_id, sku) in self.skus:
                raise SkuTaken(product.sku)
            self.skus[(product.tenant_id, sku)] = product.id
        if previous and previous != sku:
            del self.skus[(product.tenant_id, previous)]

    def get_product(self, tenant_id, product_id):
        try:
            return self.products[(tenant_id, product_id)]
        except KeyError:
            raise NotFound(f"product {product_id} not found") from None

    def get_catalog(self, tenant_id, product_ids, rate_ids):
        products = {i: self.products[(tenant_id, i)] for i in product_ids if (tenant_id, i) in self.products}
        return products, {i: self.rates[(tenant_id, i)] for i in rate_ids if (tenant_id, i) in self.rates}

    def save_product(self, product, *, previous_sku):
        self._claim_sku(product, previous_sku)
        self.products[(product.tenant_id, product.id)] = product

    def list_products(self, tenant_id, *, archived, search, limit, cursor):
        matches = sorted(
            (
                p
                for (t, _), p in self.products.items()
                if t == tenant_id and p.archived == archived and search in p.search_text()
            ),
            key=lambda p: p.id,
            reverse=True,
        )
        return _page(matches, limit, cursor, lambda p: p.id)

    def add_tax_rate(self, rate):
        self.rates[(rate.tenant_id, rate.id)] = rate

    def get_tax_rate(self, tenant_id, rate_id):
        try:
            return self.rates[(tenant_id, rate_id)]
        except KeyError:
            raise NotFound(f"tax rate {rate_id} not found") from None

    def save_tax_rate(self, rate):
        self.rates[(rate.tenant_id, rate.id)] = rate

    def list_tax_rates(self, tenant_id, *, archived, limit, cursor):
        matches = sorted(
            (r for (t, _), r in self.rates.items() if t == tenant_id and r.archived == archived),
            key=lambda r: r.id,
            reverse=True,
        )
        return _page(matches, limit, cursor, lambda r: r.id)


class InMemorySettings:
    def __init__(self):
        self.saved: dict[str, TenantSettings] = {}

    def get(self, tenant_id):
        return self.saved.get(tenant_id, TenantSettings(tenant_id=tenant_id))

    def save(self, settings):
        self.saved[settings.tenant_id] = replace(settings, version=settings.version + 1)


class InMemoryFiles:
    def __init__(self):
        self.files: dict[str, tuple[bytes, str]] = {}

    def put(self, key, body, content_type):
        self.files[key] = (body, content_type)

    def put_new(self, key, body, content_type):
        if key in self.files:
            return False
        self.files[key] = (body, content_type)
        return True

    def exists(self, key):
        return key in self.files

    def get(self, key):
        return self.files[key][0] if key in self.files else None

    def download_url(self, key, expires_in_seconds, download_name=None):
        return f"memory://{key}?expires={expires_in_seconds}" + (f"&name={download_name}" if download_name else "")


class InMemoryPayments:
    """Payments saved over the version they were read at, and the request keys that name them."""

    def __init__(self):
        self.payments: dict[tuple[str, str], Payment] = {}
        self.requests: dict[tuple[str, str], str] = {}
        self.events: list[TimelineEvent] = []

    def add(self, payment, event, request_key=None):
        if request_key is not None:
            if (payment.tenant_id, request_key) in self.requests:
                raise RequestTaken(request_key)
            self.requests[(payment.tenant_id, request_key)] = payment.id
        return self.save(payment, event)

    def for_request(self, tenant_id, request_key):
        payment_id = self.requests.get((tenant_id, request_key))
        return self.payments[(tenant_id, payment_id)] if payment_id else None

    def get(self, tenant_id, payment_id):
        try:
            return self.payments[(tenant_id, payment_id)]
        except KeyError:
            raise NotFound(f"payment {payment_id} not found") from None

    def list(self, tenant_id, *, status, customer_id, limit, cursor):
        self.listed = {"tenant_id": tenant_id, "status": status, "customer_id": customer_id, "limit": limit}
        self.listed["cursor"] = cursor
        return Page([p for (t, _), p in self.payments.items() if t == tenant_id][:limit], None)

    def by_processor_reference(self, tenant_id, reference):
        return next(
            (p for (t, _), p in self.payments.items() if t == tenant_id and p.processor_payment_id == reference), None
        )

    def save(self, payment, event):
        assert event is None or isinstance(event, TimelineEvent), f"not a timeline event: {event!r}"
        stored = self.payments.get((payment.tenant_id, payment.id))
        if (stored.version if stored else 0) != payment.version:
            raise StaleWrite("payment")
        saved = replace(payment, version=payment.version + 1)
        self.payments[(payment.tenant_id, payment.id)] = saved
        if event is not None:
            self.events.append(event)
        return saved


class IdempotentStripe:
    """A processor that keeps its word on idempotency keys, as Stripe does: the same key replays the
    first answer. ``lose_answers`` drops that many answers after the work is done (a timeout on the
    way back), which the caller sees as the processor being unreachable."""

    ACCOUNT = "acct_1"
    STATE_MESSAGE = "Your card has insufficient funds."  # the PaymentIntent's last_payment_error

    def __init__(self, lose_answers: int = 0, decline: str | None = None, decline_state: bool = True):
        self.lose_answers = lose_answers
        self.lose_reads = 0  # reads of a payment that fail, after the answers lost
        self.decline = decline
        self.decline_state = decline_state
        self.answers: dict[str, object] = {}
        self.customers_created: list[dict] = []
        self.charges: dict[str, dict] = {}  # pi_... -> the charge's parameters, amount_refunded
        self.keys: list[str] = []
        self.params: dict[str, dict | None] = {}

    def _once(self, account, key, work, params=None):
        """Stripe's rule: a key seen before replays its first answer, and only for the same parameters."""
        assert account == self.ACCOUNT, f"asked Stripe for account {account!r}"
        self.keys.append(key)
        if key not in self.answers:
            self.answers[key] = work()
            self.params[key] = params
        assert self.params[key] == params, f"idempotency_error: {key} was first used with other parameters"
        if self.lose_answers:
            self.lose_answers -= 1
            raise ProcessorUnavailable("read timed out")
        answer = self.answers[key]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def create_customer(self, account, *, email, name, metadata, idempotency_key):
        def create():
            self.customers_created.append({"email": email, "name": name, "metadata": metadata})
            return f"cus_stripe{len(self.customers_created)}"

        return self._once(account, idempotency_key, create, {"email": email, "name": name, "metadata": metadata})

    def charge(self, account, *, idempotency_key, **params):
        def create():
            reference = f"pi_{len(self.charges) + 1}"
            if self.decline:
                failed = ProcessorPayment(
                    reference,
                    "requires_payment_method",
                    params["amount"],
                    params["currency"],
                    failure_code="card_declined",
                    failure_message=self.STATE_MESSAGE,
                )
                declined = AuthenticationRequired if self.decline == "authentication_required" else PaymentDeclined
                state = failed if self.decline_state else None
                return declined("card_declined", self.decline, "Your card was declined.", state)
            self.charges[reference] = {**params, "amount_refunded": 0}
            return self.payment(account, reference)

        return self._once(account, idempotency_key, create, params)

    def refund(self, account, *, payment_reference, amount, idempotency_key):
        def create():
            charge = self.charges[payment_reference]
            refunded = amount or charge["amount"] - charge["amount_refunded"]
            assert charge["amount_refunded"] + refunded <= charge["amount"], "refunded more than was charged"
            charge["amount_refunded"] += refunded
            return None

        return self._once(account, idempotency_key, create, {"payment_reference": payment_reference, "amount": amount})

    def payment(self, account, reference):
        assert account == self.ACCOUNT, f"asked Stripe for account {account!r}"
        if self.lose_reads:
            self.lose_reads -= 1
            raise ProcessorUnavailable("read timed out")
        charge = self.charges[reference]
        return ProcessorPayment(
            reference,
            charge.get("status", "succeeded"),
            charge["amount"],
            charge["currency"],
            charge_id=f"ch_{reference[3:]}",
            amount_refunded=charge["amount_refunded"],
        )


class InMemoryMethods:
    """Saved methods of tenant ``t``."""

    def __init__(self, methods=()):
        self.methods = list(methods)

    def list(self, tenant_id, customer_id):
        return [m for m in self.methods if m.customer_id == customer_id and tenant_id == "t"]


class OneAccount:
    """Tenant ``t`` is connected to Stripe account acct_1; no other tenant is connected."""

    def account_of(self, tenant_id):
        return IdempotentStripe.ACCOUNT if tenant_id == "t" else None


class RecordingNotifier:
    def __init__(self):
        self.changes: list[tuple[str, str, str]] = []

    def payment_changed(self, payment, previous):
        self.changes.append((payment.id, previous.value, payment.status.value))
