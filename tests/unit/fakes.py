"""In-memory fakes of the ports: the services run against these in unit tests, no sockets."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from billing.domain.catalog import Product, TaxRate, sku_identity
from billing.domain.customers import Customer, CustomerRecords
from billing.domain.errors import DebtorNumberTaken, NotFound, SkuTaken, StaleWrite
from billing.domain.paging import Page, decode_cursor, encode_cursor
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

    def get_products(self, tenant_id, product_ids):
        return {i: self.products[(tenant_id, i)] for i in product_ids if (tenant_id, i) in self.products}

    def get_tax_rates(self, tenant_id, rate_ids):
        return {i: self.rates[(tenant_id, i)] for i in rate_ids if (tenant_id, i) in self.rates}

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

    def download_url(self, key, expires_in_seconds):
        return f"memory://{key}?expires={expires_in_seconds}"
