"""DynamoDB repositories: domain objects in, domain objects out, keys from keys.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import translated
from billing.adapters.dynamodb.models import (
    AddressMap,
    BillowItem,
    CounterItem,
    CustomerItem,
    CustomerRecordItem,
    GuardItem,
    ProductItem,
    SettingsItem,
    TaxRateItem,
    TimelineEventItem,
)
from billing.domain.catalog import Product, TaxRate, sku_identity
from billing.domain.customers import Address, Customer, CustomerRecords, CustomerType
from billing.domain.errors import DebtorNumberTaken, NotFound, SkuTaken, ValidationFailed
from billing.domain.ids import is_valid_id
from billing.domain.money import format_decimal
from billing.domain.paging import Page, decode_cursor, encode_cursor
from billing.domain.periods import BillingFrequency
from billing.domain.settings import TenantSettings
from billing.domain.timeline import TimelineEvent

ACTIVE_SUBSCRIPTION_STATUSES = ("scheduled", "active", "unpaid")


class _Table:
    @property
    def _connection(self) -> Connection:
        """The models' own connection: one botocore client per environment, not one per repository."""
        return BillowItem._get_connection().connection

    def _transaction(self) -> TransactWrite:
        return TransactWrite(connection=self._connection)


def _page(results, id_of) -> tuple[list, str | None]:
    items = list(results)
    if results.last_evaluated_key is None or not items:
        return items, None
    return items, encode_cursor({"after": id_of(items[-1])})


def _start_after(cursor: str | None, kind: str) -> str | None:
    if cursor is None:
        return None
    after = decode_cursor(cursor, {"after"})["after"]
    if not is_valid_id(kind, after):
        raise ValidationFailed.of("cursor", "is not a cursor this API issued")
    return after


def _search_filter(attribute, search: str):
    return attribute.contains(search) if search else None


def _and(*conditions):
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    combined = present[0]
    for condition in present[1:]:
        combined = combined & condition
    return combined


def _version(version: int) -> dict:
    """Optimistic locking: PynamoDB writes a versioned item only if its stored version is
    unchanged (or, with no version given, only if it does not exist yet)."""
    return {"version": version} if version else {}


def _utc(value):
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---------------------------------------------------------------- customers


def _customer_item(customer: Customer) -> CustomerItem:
    t = customer.tenant_id
    return CustomerItem(
        pk=keys.customer_pk(t, customer.id),
        sk=keys.META,
        gsi2pk=keys.customer_list_pk(t, customer.archived),
        gsi2sk=customer.id,
        gsi3pk=keys.external_id_key(t, "stripe", customer.processor_customer_id)
        if customer.processor_customer_id
        else None,
        tenant_id=t,
        customer_id=customer.id,
        type=customer.type.value,
        first_name=customer.first_name,
        last_name=customer.last_name,
        company_name=customer.company_name,
        email=customer.email,
        phone=customer.phone,
        vat_id=customer.vat_id,
        billing_email=customer.billing_email,
        addresses=[AddressMap(**vars(a)) for a in customer.addresses.values()],
        default_address_id=customer.default_address_id,
        billing_address_id=customer.billing_address_id,
        debtor_number=customer.debtor_number,
        archived=customer.archived,
        read_only=customer.read_only,
        default_payment_method=customer.default_payment_method,
        default_payment_method_id=customer.default_payment_method_id,
        processor_customer_id=customer.processor_customer_id,
        search_text=customer.search_text(),
        created_at=customer.created_at,
        updated_at=customer.updated_at,
        **_version(customer.version),
    )


def _customer(item: CustomerItem) -> Customer:
    return Customer(
        tenant_id=item.tenant_id,
        id=item.customer_id,
        type=CustomerType(item.type),
        created_at=_utc(item.created_at),
        updated_at=_utc(item.updated_at),
        first_name=item.first_name or "",
        last_name=item.last_name or "",
        company_name=item.company_name or "",
        email=item.email or "",
        phone=item.phone or "",
        vat_id=item.vat_id or "",
        billing_email=item.billing_email or "",
        addresses={a.id: Address(**{k: (v or "") for k, v in a.attribute_values.items()}) for a in item.addresses},
        default_address_id=item.default_address_id,
        billing_address_id=item.billing_address_id,
        debtor_number=int(item.debtor_number) if item.debtor_number is not None else None,
        archived=bool(item.archived),
        read_only=bool(item.read_only),
        default_payment_method=item.default_payment_method or "",
        default_payment_method_id=item.default_payment_method_id,
        processor_customer_id=item.processor_customer_id,
        version=int(item.version or 0),
    )


def _event_item(tenant_id: str, event: TimelineEvent) -> TimelineEventItem:
    return TimelineEventItem(
        pk=keys.customer_pk(tenant_id, event.customer_id),
        sk=keys.event_sk(event.id),
        event_id=event.id,
        customer_id=event.customer_id,
        type=event.type,
        occurred_at=event.occurred_at,
        actor=event.actor,
        summary=event.summary,
        data=event.data,
    )


def _event(item: TimelineEventItem) -> TimelineEvent:
    return TimelineEvent(
        item.event_id,
        item.customer_id,
        item.type,
        _utc(item.occurred_at),
        item.actor or "",
        item.summary or "",
        dict(item.data or {}),
    )


def _debtor_guard(tenant_id: str, number: int, owner_id: str) -> GuardItem:
    return GuardItem(pk=keys.tenant_pk(tenant_id), sk=keys.debtor_guard_sk(number), owner_id=owner_id)


class DynamoCustomerRepository(_Table):
    def add(self, customer: Customer, event: TimelineEvent) -> None:
        t = customer.tenant_id
        on_condition = [None, None]
        with translated("customer", on_condition), self._transaction() as tx:
            tx.save(_customer_item(customer))
            tx.save(_event_item(t, event))
            if customer.debtor_number is not None:
                tx.save(_debtor_guard(t, customer.debtor_number, customer.id), condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: DebtorNumberTaken(customer.debtor_number))

    def get(self, tenant_id: str, customer_id: str) -> Customer:
        if not is_valid_id("customer", customer_id):
            raise NotFound(f"customer {customer_id} not found")
        with translated("customer"):
            try:
                item = BillowItem.get(keys.customer_pk(tenant_id, customer_id), keys.META, consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"customer {customer_id} not found") from None
        return _customer(item)

    def save(self, customer: Customer, event: TimelineEvent, *, previous_debtor_number: int | None) -> None:
        t = customer.tenant_id
        on_condition = [None, None]
        with translated("customer", on_condition), self._transaction() as tx:
            tx.save(_customer_item(customer))
            tx.save(_event_item(t, event))
            if customer.debtor_number != previous_debtor_number:
                if previous_debtor_number is not None:
                    tx.delete(_debtor_guard(t, previous_debtor_number, customer.id))
                    on_condition.append(None)
                if customer.debtor_number is not None:
                    tx.save(
                        _debtor_guard(t, customer.debtor_number, customer.id), condition=GuardItem.pk.does_not_exist()
                    )
                    on_condition.append(lambda: DebtorNumberTaken(customer.debtor_number))

    def add_event(self, tenant_id: str, event: TimelineEvent) -> None:
        with translated("customer timeline"):
            _event_item(tenant_id, event).save()

    def list(self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None) -> Page[Customer]:
        after = _start_after(cursor, "customer")
        list_pk = keys.customer_list_pk(tenant_id, archived)
        start = None
        if after:
            start = {
                "pk": {"S": keys.customer_pk(tenant_id, after)},
                "sk": {"S": keys.META},
                "gsi2pk": {"S": list_pk},
                "gsi2sk": {"S": after},
            }
        with translated("customers"):
            results = BillowItem.by_status.query(
                list_pk,
                filter_condition=_search_filter(CustomerItem.search_text, search),
                limit=limit,
                last_evaluated_key=start,
                scan_index_forward=False,
            )
            items, next_cursor = _page(results, lambda i: i.customer_id)
        return Page([_customer(i) for i in items], next_cursor)

    def all(self, tenant_id: str) -> Iterator[Customer]:
        for archived in (False, True):
            with translated("customers"):
                for item in BillowItem.by_status.query(keys.customer_list_pk(tenant_id, archived)):
                    yield _customer(item)

    def related_records(self, tenant_id: str, customer_id: str) -> CustomerRecords:
        by_customer = keys.customer_pk(tenant_id, customer_id)

        def count(prefix: str, status_filter=None) -> int:
            return BillowItem.by_customer.count(
                by_customer, BillowItem.gsi1sk.startswith(prefix), filter_condition=status_filter
            )

        with translated("customer records"):
            return CustomerRecords(
                active_subscriptions=count(
                    keys.SUBSCRIPTION_PREFIX, CustomerRecordItem.status.is_in(*ACTIVE_SUBSCRIPTION_STATUSES)
                ),
                invoices=count(keys.INVOICE_PREFIX),
                completed_orders=count(keys.ORDER_PREFIX, CustomerRecordItem.status == "completed"),
                payments=count(keys.PAYMENT_PREFIX),
            )

    def delete(self, customer: Customer) -> None:
        t = customer.tenant_id
        pk = keys.customer_pk(t, customer.id)
        with translated("customer"), self._transaction() as tx:
            tx.delete(_customer_item(customer), condition=CustomerItem.pk.exists())
            if customer.debtor_number is not None:
                tx.delete(_debtor_guard(t, customer.debtor_number, customer.id))
        # The customer is gone; its timeline and saved payment methods go after it.
        with translated("customer records"), BillowItem.batch_write() as batch:
            for item in BillowItem.query(pk):
                batch.delete(item)

    def timeline(self, tenant_id: str, customer_id: str, *, limit: int, cursor: str | None) -> Page[TimelineEvent]:
        after = _start_after(cursor, "event")
        pk = keys.customer_pk(tenant_id, customer_id)
        start = {"pk": {"S": pk}, "sk": {"S": keys.event_sk(after)}} if after else None
        with translated("customer timeline"):
            results = TimelineEventItem.query(
                pk,
                TimelineEventItem.sk.startswith(keys.EVENT_PREFIX),
                limit=limit,
                last_evaluated_key=start,
                scan_index_forward=False,
            )
            items, next_cursor = _page(results, lambda i: i.event_id)
        return Page([_event(i) for i in items], next_cursor)

    def next_debtor_number(self, tenant_id: str, range_start: int) -> int:
        counter = CounterItem(pk=keys.tenant_pk(tenant_id), sk=keys.counter_sk("DEBTOR"))
        with translated("debtor number counter"):
            counter.update(actions=[CounterItem.value.add(1)])
        return range_start + int(counter.value) - 1


# ---------------------------------------------------------------- catalog


def _product_item(p: Product) -> ProductItem:
    return ProductItem(
        pk=keys.tenant_pk(p.tenant_id),
        sk=keys.product_sk(p.id),
        tenant_id=p.tenant_id,
        product_id=p.id,
        name=p.name,
        description=p.description,
        sku=p.sku,
        unit_price=format_decimal(p.unit_price),
        unit_cost=None if p.unit_cost is None else format_decimal(p.unit_cost),
        currency=p.currency,
        billing_frequency=p.billing_frequency.value,
        archived=p.archived,
        search_text=p.search_text(),
        created_at=p.created_at,
        updated_at=p.updated_at,
        **_version(p.version),
    )


def _product(i: ProductItem) -> Product:
    return Product(
        tenant_id=i.tenant_id,
        id=i.product_id,
        name=i.name,
        unit_price=Decimal(i.unit_price),
        currency=i.currency,
        billing_frequency=BillingFrequency(i.billing_frequency),
        created_at=_utc(i.created_at),
        updated_at=_utc(i.updated_at),
        description=i.description or "",
        sku=i.sku or "",
        unit_cost=None if i.unit_cost is None else Decimal(i.unit_cost),
        archived=bool(i.archived),
        version=int(i.version or 0),
    )


def _tax_rate_item(r: TaxRate) -> TaxRateItem:
    return TaxRateItem(
        pk=keys.tenant_pk(r.tenant_id),
        sk=keys.tax_rate_sk(r.id),
        tenant_id=r.tenant_id,
        rate_id=r.id,
        name=r.name,
        description=r.description,
        country=r.country,
        percentage=format(r.percentage, "f"),
        inclusive=r.inclusive,
        archived=r.archived,
        created_at=r.created_at,
        updated_at=r.updated_at,
        **_version(r.version),
    )


def _tax_rate(i: TaxRateItem) -> TaxRate:
    return TaxRate(
        tenant_id=i.tenant_id,
        id=i.rate_id,
        name=i.name,
        percentage=Decimal(i.percentage),
        inclusive=bool(i.inclusive),
        created_at=_utc(i.created_at),
        updated_at=_utc(i.updated_at),
        description=i.description or "",
        country=i.country or "",
        archived=bool(i.archived),
        version=int(i.version or 0),
    )


def _sku_guard(tenant_id: str, sku: str, owner_id: str) -> GuardItem:
    return GuardItem(pk=keys.tenant_pk(tenant_id), sk=keys.sku_guard_sk(sku_identity(sku)), owner_id=owner_id)


class DynamoCatalogRepository(_Table):
    def add_product(self, product: Product) -> None:
        on_condition = [None]
        with translated("product", on_condition), self._transaction() as tx:
            tx.save(_product_item(product))
            if product.sku:
                tx.save(_sku_guard(product.tenant_id, product.sku, product.id), condition=GuardItem.pk.does_not_exist())
                on_condition.append(lambda: SkuTaken(product.sku))

    def get_product(self, tenant_id: str, product_id: str) -> Product:
        return _product(self._get(tenant_id, "product", product_id, keys.product_sk))

    def get_products(self, tenant_id: str, product_ids: set[str]) -> dict[str, Product]:
        items = self._batch_get(tenant_id, "product", product_ids, keys.product_sk)
        return {p.id: p for p in map(_product, items)}

    def get_tax_rates(self, tenant_id: str, rate_ids: set[str]) -> dict[str, TaxRate]:
        items = self._batch_get(tenant_id, "tax_rate", rate_ids, keys.tax_rate_sk)
        return {r.id: r for r in map(_tax_rate, items)}

    def _batch_get(self, tenant_id: str, kind: str, record_ids: set[str], sort_key) -> list:
        wanted = [(keys.tenant_pk(tenant_id), sort_key(i)) for i in sorted(record_ids) if is_valid_id(kind, i)]
        if not wanted:
            return []
        with translated(kind.replace("_", " ")):
            return list(BillowItem.batch_get(wanted))

    def save_product(self, product: Product, *, previous_sku: str) -> None:
        t = product.tenant_id
        on_condition = [None]
        with translated("product", on_condition), self._transaction() as tx:
            tx.save(_product_item(product))
            if sku_identity(product.sku) != sku_identity(previous_sku):
                if previous_sku:
                    tx.delete(_sku_guard(t, previous_sku, product.id))
                    on_condition.append(None)
                if product.sku:
                    tx.save(_sku_guard(t, product.sku, product.id), condition=GuardItem.pk.does_not_exist())
                    on_condition.append(lambda: SkuTaken(product.sku))

    def list_products(
        self, tenant_id: str, *, archived: bool, search: str, limit: int, cursor: str | None
    ) -> Page[Product]:
        items, next_cursor = self._list(
            tenant_id,
            "product",
            keys.PRODUCT_PREFIX,
            keys.product_sk,
            cursor,
            limit,
            _and(ProductItem.archived == archived, _search_filter(ProductItem.search_text, search)),
            lambda i: i.product_id,
        )
        return Page([_product(i) for i in items], next_cursor)

    def add_tax_rate(self, rate: TaxRate) -> None:
        with translated("tax rate"):
            _tax_rate_item(rate).save()

    def get_tax_rate(self, tenant_id: str, rate_id: str) -> TaxRate:
        return _tax_rate(self._get(tenant_id, "tax_rate", rate_id, keys.tax_rate_sk))

    def save_tax_rate(self, rate: TaxRate) -> None:
        with translated("tax rate"):
            _tax_rate_item(rate).save()

    def list_tax_rates(self, tenant_id: str, *, archived: bool, limit: int, cursor: str | None) -> Page[TaxRate]:
        items, next_cursor = self._list(
            tenant_id,
            "tax_rate",
            keys.TAX_PREFIX,
            keys.tax_rate_sk,
            cursor,
            limit,
            TaxRateItem.archived == archived,
            lambda i: i.rate_id,
        )
        return Page([_tax_rate(i) for i in items], next_cursor)

    def _get(self, tenant_id: str, kind: str, record_id: str, sort_key):
        label = kind.replace("_", " ")
        if not is_valid_id(kind, record_id):
            raise NotFound(f"{label} {record_id} not found")
        with translated(label):
            try:
                return BillowItem.get(keys.tenant_pk(tenant_id), sort_key(record_id), consistent_read=True)
            except DoesNotExist:
                raise NotFound(f"{label} {record_id} not found") from None

    def _list(self, tenant_id, kind, prefix, sort_key, cursor, limit, filter_condition, id_of):
        after = _start_after(cursor, kind)
        pk = keys.tenant_pk(tenant_id)
        start = {"pk": {"S": pk}, "sk": {"S": sort_key(after)}} if after else None
        with translated(kind.replace("_", " ")):
            results = BillowItem.query(
                pk,
                BillowItem.sk.startswith(prefix),
                filter_condition=filter_condition,
                limit=limit,
                last_evaluated_key=start,
                scan_index_forward=False,
            )
            return _page(results, id_of)


# ---------------------------------------------------------------- settings


class DynamoSettingsRepository(_Table):
    def get(self, tenant_id: str) -> TenantSettings:
        with translated("settings"):
            try:
                item = SettingsItem.get(keys.tenant_pk(tenant_id), keys.SETTINGS, consistent_read=True)
            except DoesNotExist:
                return TenantSettings(tenant_id=tenant_id)
        values = dict(item.values or {})
        for name in ("currencies", "admin_notification_emails"):
            if name in values:
                values[name] = tuple(values[name])
        return TenantSettings(tenant_id=tenant_id, version=int(item.version or 0), **values)

    def save(self, settings: TenantSettings) -> None:
        values = {k: v for k, v in vars(settings).items() if k not in ("tenant_id", "version")}
        values["currencies"] = list(values["currencies"])
        values["admin_notification_emails"] = list(values["admin_notification_emails"])
        item = SettingsItem(
            pk=keys.tenant_pk(settings.tenant_id),
            sk=keys.SETTINGS,
            tenant_id=settings.tenant_id,
            values=values,
            **_version(settings.version),
        )
        with translated("settings"):
            item.save()
