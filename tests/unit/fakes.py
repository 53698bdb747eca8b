"""In-memory fakes of the ports: the services run against these in unit tests, no sockets."""

from __future__ import annotations

import itertools
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from billing.adapters.cognito import EmailTaken
from billing.adapters.dynamodb import keys
from billing.adapters.dynamodb.errors import Unavailable
from billing.adapters.dynamodb.invoices import COUNTER_ATTEMPTS
from billing.clock import clock_override
from billing.domain.billing_runs import BillingRun
from billing.domain.catalog import Product, TaxRate, sku_identity
from billing.domain.customers import Customer, CustomerRecords, VatIdCheck, VatIdStatus
from billing.domain.errors import (
    DebtorNumberTaken,
    NotFound,
    ProcessorUnavailable,
    RequestTaken,
    SkuTaken,
    StaleWrite,
    ValidationFailed,
)
from billing.domain.events import PaymentStatusChanged
from billing.domain.ids import is_valid_id
from billing.domain.invoices import MAX_FINALIZE_BATCH
from billing.domain.paging import Page, decode_cursor, encode_cursor
from billing.domain.payments import (
    AuthenticationRequired,
    Payment,
    PaymentDeclined,
    ProcessorPayment,
)
from billing.domain.settings import TenantSettings
from billing.domain.team import Team
from billing.domain.timeline import TimelineEvent
from billing.ports import DocumentInputs


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
    """An event publisher that keeps what it was given: every event, and each payment status
    change as (payment id, previous status, status)."""

    def __init__(self):
        self.events: list = []
        self.changes: list[tuple[str, str, str]] = []

    def publish(self, event) -> None:
        self.events.append(event)
        if isinstance(event, PaymentStatusChanged):
            self.changes.append((event.payment.id, event.previous.value, event.payment.status.value))

    def unit(self):
        return nullcontext()


# ---------------------------------------------------------------- the billing cycle's repositories
#
# In-memory twins of the DynamoDB adapters of invoices, subscriptions and billing runs
# (billing.adapters.dynamodb): each write checks what the adapter's transaction checks, in the
# order the adapter reports it, and changes nothing when a check fails. What another request
# may do between a service's read and its write is played with ``meanwhile`` (at the next
# write) and ``after_next_read`` (right after the next read).


class FilteredPages:
    """``list`` and ``all`` of a repository over its ``_matching(tenant_id, where)`` records,
    newest first, paged as the adapters page them."""

    def list(self, tenant_id, where, *, limit, cursor):
        items, next_cursor = _newest_first(
            list(self._matching(tenant_id, where)), limit, cursor, lambda i: self.get(tenant_id, i)
        )
        return Page(items, next_cursor)

    def all(self, tenant_id, where):
        return iter(_newest_first(list(self._matching(tenant_id, where)), None, None, None)[0])


class Interleaved:
    """Another request's work landing in the middle of one of this fake's writes."""

    def __init__(self):
        self._meanwhile: list = []

    def meanwhile(self, work) -> None:
        """Run ``work`` once, in the next write, after that write read what it decides on (the
        number counter) and before its conditions are checked."""
        self._meanwhile.append(work)

    def _interleave(self) -> None:
        while self._meanwhile:
            self._meanwhile.pop(0)()


def _on_timeline(customers: InMemoryCustomers | None, tenant_id: str, event: TimelineEvent | None, kept: list):
    """A timeline event written with a record: on the customer's timeline (no condition, as the
    adapters write it), and kept for the test to read."""
    if event is None:
        return
    kept.append(event)
    if customers is not None:
        customers.events.setdefault((tenant_id, event.customer_id), []).append(event)


def _customer_touched(customers: InMemoryCustomers | None, tenant_id: str, customer_id: str) -> None:
    """A new invoice or subscription needs its customer and moves the customer's version on
    (a delete that counted the customer's records before fails on the version)."""
    if customers is None:
        return

    key = (tenant_id, customer_id)
    if key not in customers.customers:
        raise ValidationFailed.of("customer_id", "the customer was deleted meanwhile")
    customers.customers[key] = replace(customers.customers[key], version=customers.customers[key].version + 1)


def _newest_first(records: list, limit: int | None, cursor: str | None, get_record):
    """A list page as the adapters' RecordList gives it: newest first by creation time, then id;
    the cursor names the last record given, whose position is rebuilt from the record itself."""

    def position(record):
        return (record.created_at.isoformat(), record.id)

    ordered = sorted(records, key=position, reverse=True)
    if cursor:
        after = decode_cursor(cursor, {"after"})["after"]
        kind = "invoice" if after.startswith("inv_") else "subscription"
        if not is_valid_id(kind, after):
            raise ValidationFailed.of("cursor", "is not a cursor this API issued")
        start = position(get_record(after))
        ordered = [r for r in ordered if position(r) < start]
    if limit is None:
        return ordered, None
    chunk = ordered[:limit]
    more = len(ordered) > limit
    return chunk, encode_cursor({"after": chunk[-1].id}) if more and chunk else None


def _created_between(record, created_from: str | None, created_to: str | None) -> bool:
    """The adapters' key condition on the list's position: ``<created iso>#<id>`` between the
    first day and the last day's "~" (which sorts after every time of that day)."""
    position = f"{record.created_at.isoformat()}#{record.id}"
    if created_from and position < created_from:
        return False
    return not (created_to and position > created_to + "~")


class InMemorySubscriptions(Interleaved, FilteredPages):
    """Subscriptions as DynamoSubscriptions keeps them: saved over the version read (StaleWrite),
    a request key naming one order's subscriptions (RequestTaken), a reminder claimed once per
    period key, payment-method links that stay readable past their expiry (DynamoDB's TTL
    deletes lazily: the service checks the time), and the due and dunning indexes derived from
    what is stored (InMemoryBillingRuns reads them)."""

    def __init__(self, customers: InMemoryCustomers | None = None):
        super().__init__()
        self.subscriptions: dict[tuple[str, str], object] = {}
        self.requests: dict[tuple[str, str], tuple[str, ...]] = {}
        self.reminders: set[tuple[str, str]] = set()
        self.links: dict[str, tuple[str, str, datetime]] = {}
        self.tenants: dict[str, None] = {}
        self.events: list[TimelineEvent] = []
        self.customers = customers
        self._after_read: list = []

    def after_next_read(self, work) -> None:
        """Run ``work`` once, right after the next ``get`` read its subscription: a change another
        request makes after this one read the version it decides on."""
        self._after_read.append(work)

    def _version_of(self, tenant_id: str, subscription_id: str) -> int:
        stored = self.subscriptions.get((tenant_id, subscription_id))
        return stored.version if stored is not None else 0

    def _store(self, subscription) -> None:
        """The write of one subscription over its version (checked by the caller)."""
        key = (subscription.tenant_id, subscription.id)
        self.subscriptions[key] = replace(subscription, version=subscription.version + 1)

    def add(self, subscriptions, events, request_key):
        self._interleave()
        first = subscriptions[0]
        t = first.tenant_id
        if any((t, s.id) in self.subscriptions for s in subscriptions):
            raise StaleWrite("subscription")
        if request_key is not None and (t, request_key) in self.requests:
            raise RequestTaken(request_key)
        _customer_touched(self.customers, t, first.customer_id)
        for subscription in subscriptions:
            self._store(subscription)
        for event in events:
            _on_timeline(self.customers, t, event, self.events)
        self.tenants[t] = None
        if request_key is not None:
            self.requests[(t, request_key)] = tuple(s.id for s in subscriptions)
        return [replace(s, version=s.version + 1) for s in subscriptions]

    def for_request(self, tenant_id, request_key):
        owners = self.requests.get((tenant_id, request_key))
        return None if owners is None else [self.get(tenant_id, s) for s in owners]

    def get(self, tenant_id, subscription_id):
        try:
            found = self.subscriptions[(tenant_id, subscription_id)]
        except KeyError:
            raise NotFound(f"subscription {subscription_id} not found") from None
        while self._after_read:
            self._after_read.pop(0)()
        return found

    def save(self, subscription, event=None):
        self._interleave()
        if self._version_of(subscription.tenant_id, subscription.id) != subscription.version:
            raise StaleWrite("subscription")
        self._store(subscription)
        _on_timeline(self.customers, subscription.tenant_id, event, self.events)
        return replace(subscription, version=subscription.version + 1)

    def delete(self, subscription, event):
        """Over its version, as the adapter deletes; the request key stays (as its guard does)."""
        self._interleave()
        key = (subscription.tenant_id, subscription.id)
        if key not in self.subscriptions or self.subscriptions[key].version != subscription.version:
            raise StaleWrite("subscription")
        del self.subscriptions[key]
        _on_timeline(self.customers, subscription.tenant_id, event, self.events)

    def claim_reminder(self, tenant_id, period_key):
        if (tenant_id, period_key) in self.reminders:
            return False
        self.reminders.add((tenant_id, period_key))
        return True

    def add_link(self, tenant_id, subscription_id, token, expires_at):
        if token in self.links:
            raise StaleWrite("payment-method link")
        self.links[token] = (tenant_id, subscription_id, expires_at)

    def by_link(self, token):
        return self.links.get(token)

    def _matching(self, tenant_id, where):
        for (t, _), s in self.subscriptions.items():
            if t != tenant_id or (where.customer_id and s.customer_id != where.customer_id):
                continue
            if not _created_between(s, where.created_from, where.created_to):
                continue
            if where.statuses and s.status.value not in where.statuses:
                continue
            if where.product_id and where.product_id not in s.product_ids:
                continue
            if where.collection_method and s.collection_method.value != where.collection_method:
                continue
            next_on = s.next_payment_on.isoformat() if s.next_payment_on else None
            if (where.next_from or where.next_to) and next_on is None:
                continue
            if where.next_from and next_on < where.next_from:
                continue
            if where.next_to and next_on > where.next_to:
                continue
            if where.ids and s.id not in where.ids:
                continue
            yield s

    # The sparse indexes, as subscription_item derives them: (shard partition, "<day>#<id>").

    def due_entries(self, tenant_id: str):

        for (t, _), s in self.subscriptions.items():
            if t == tenant_id and s.due_on is not None:
                yield keys.due_pk(t, s.id), keys.due_sk(s.due_on.isoformat(), s.id)

    def dunning_entries(self, tenant_id: str):

        for (t, _), s in self.subscriptions.items():
            if t == tenant_id and s.dunning_due is not None:
                yield keys.dunning_pk(t, s.id), keys.due_sk(s.dunning_due.next_on.isoformat(), s.id)


class InMemoryInvoices(Interleaved, FilteredPages):
    """Invoices as DynamoInvoices keeps them: added once (a request key names one invoice,
    RequestTaken) with the subscription the period moves on saved over its version in the same
    write (StaleWrite), saved over their version (with a ledger payment over its own), and the
    tenant's number counter - the last number drawn and how many numbered invoices still exist -
    moved only from the values the write read (a lost race reads again, as the adapter retries),
    so numbers are gapless, a delete lowers the count and the last one gone resets the sequence.
    The hosted-token index may lag the table (``index_lags``), as a DynamoDB index does; a token
    found through it is checked against the invoice, as the adapter checks it.

    ``finalizations`` lists the ids each numbering transaction numbered."""

    def __init__(
        self,
        subscriptions: InMemorySubscriptions | None = None,
        customers: InMemoryCustomers | None = None,
        payments: InMemoryPayments | None = None,
    ):
        super().__init__()
        self.invoices: dict[tuple[str, str], object] = {}
        self.history_entries: dict[tuple[str, str], list] = {}
        self.requests: dict[tuple[str, str], str] = {}
        self.counters: dict[str, tuple[int, int]] = {}  # tenant -> (last number drawn, numbered that exist)
        self.token_index: dict[str, tuple[str, str]] = {}
        self.finalizations: list[list[str]] = []
        self.events: list[TimelineEvent] = []
        self.subscriptions = subscriptions
        self.customers = customers
        self.payments = payments
        self._lagging = False
        self._index_backlog: list = []

    # ------------------------------------------------------------ the hosted-token index

    def index_lags(self) -> None:
        """From now on the token index follows the table only when ``index_catches_up`` is called."""
        self._lagging = True

    def index_catches_up(self) -> None:
        self._lagging = False
        while self._index_backlog:
            self._index_backlog.pop(0)()

    def _indexed(self, before, after) -> None:
        def follow():
            revoked = before is not None and before.hosted_token
            if revoked and (after is None or after.hosted_token != before.hosted_token):
                self.token_index.pop(before.hosted_token, None)
            if after is not None and after.hosted_token:
                self.token_index[after.hosted_token] = (after.tenant_id, after.id)

        if self._lagging:
            self._index_backlog.append(follow)
        else:
            follow()

    def _write(self, invoice) -> None:
        key = (invoice.tenant_id, invoice.id)
        before = self.invoices.get(key)
        self.invoices[key] = replace(invoice, version=invoice.version + 1)
        self._indexed(before, self.invoices[key])

    def _version_of(self, invoice) -> int:
        stored = self.invoices.get((invoice.tenant_id, invoice.id))
        return stored.version if stored is not None else 0

    def _entry(self, tenant_id: str, entry) -> None:
        if entry is not None:
            self.history_entries.setdefault((tenant_id, entry.invoice_id), []).append(entry)

    # ------------------------------------------------------------ the port

    def add(self, invoice, entry, event, request_key=None, subscription=None):
        self._interleave()
        t = invoice.tenant_id
        if (t, invoice.id) in self.invoices:
            raise StaleWrite("invoice")
        if request_key is not None and (t, request_key) in self.requests:
            raise RequestTaken(request_key)
        if subscription is not None and (
            self.subscriptions is None
            or self.subscriptions._version_of(subscription.tenant_id, subscription.id) != subscription.version
        ):
            raise StaleWrite("subscription")
        _customer_touched(self.customers, t, invoice.customer_id)
        self._write(invoice)
        self._entry(t, entry)
        _on_timeline(self.customers, t, event, self.events)
        if request_key is not None:
            self.requests[(t, request_key)] = invoice.id
        if subscription is not None:
            self.subscriptions._store(subscription)
        return replace(invoice, version=invoice.version + 1)

    def for_request(self, tenant_id, request_key):
        invoice_id = self.requests.get((tenant_id, request_key))
        return None if invoice_id is None else self.get(tenant_id, invoice_id)

    def get(self, tenant_id, invoice_id):
        try:
            return self.invoices[(tenant_id, invoice_id)]
        except KeyError:
            raise NotFound(f"invoice {invoice_id} not found") from None

    def by_token(self, token):
        found = self.token_index.get(token)
        invoice = self.invoices.get(found) if found else None
        # The index follows the table a moment late: a token revoked just now opens nothing.
        return invoice if invoice is not None and invoice.hosted_token == token else None

    def save(self, invoice, entry, event=None, payment=None):
        self._interleave()
        if self._version_of(invoice) != invoice.version:
            raise StaleWrite("invoice")
        if payment is not None:
            stored = self.payments.payments.get((payment.tenant_id, payment.id)) if self.payments else None
            if (stored.version if stored else 0) != payment.version:
                raise StaleWrite("invoice")
        self._write(invoice)
        self._entry(invoice.tenant_id, entry)
        _on_timeline(self.customers, invoice.tenant_id, event, self.events)
        if payment is not None:
            self.payments.save(payment, None)
        return replace(invoice, version=invoice.version + 1)

    def _counter(self, tenant_id: str) -> tuple[int, int, bool]:
        if tenant_id not in self.counters:
            return 0, 0, False
        last, count = self.counters[tenant_id]
        return last, count, True

    def finalize(self, tenant_id, drafts, first_number, numbered):

        if not 1 <= len(drafts) <= MAX_FINALIZE_BATCH:
            raise ValueError(f"finalize 1 to {MAX_FINALIZE_BATCH} invoices at a time")
        for _ in range(COUNTER_ATTEMPTS):
            read = self._counter(tenant_id)
            last, count, _ = read
            start = max(last + 1, first_number)
            results = [numbered(draft, start + i) for i, draft in enumerate(drafts)]
            self._interleave()
            if any(self._version_of(invoice) != invoice.version for invoice, _, _ in results):
                raise StaleWrite("invoice")
            if self._counter(tenant_id) != read:
                continue  # another numbering or delete moved the counter: read it again
            self.counters[tenant_id] = (start + len(drafts) - 1, count + len(drafts))
            for invoice, entry, event in results:
                self._write(invoice)
                self._entry(tenant_id, entry)
                _on_timeline(self.customers, tenant_id, event, self.events)
            self.finalizations.append([invoice.id for invoice, _, _ in results])
            return [replace(invoice, version=invoice.version + 1) for invoice, _, _ in results]
        raise Unavailable("invoice numbers: too many finalizations at once, retry shortly")

    def delete(self, invoice, event):
        """Over its version; a numbered one lowers the count (its number stays a gap) and the last
        one gone resets the sequence. The request key stays, as its guard does: asked for again,
        it names an invoice that is not found."""

        t = invoice.tenant_id
        for _ in range(COUNTER_ATTEMPTS):
            read = self._counter(t) if invoice.number else None
            self._interleave()
            stored = self.invoices.get((t, invoice.id))
            if stored is None or stored.version != invoice.version:
                raise StaleWrite("invoice")
            if read is not None and (not read[2] or self._counter(t) != read):
                continue
            del self.invoices[(t, invoice.id)]
            self._indexed(stored, None)
            _on_timeline(self.customers, t, event, self.events)
            if read is not None:
                last, count, _ = read
                remaining = max(count - 1, 0)
                self.counters[t] = (last if remaining else 0, remaining)
            self.history_entries.pop((t, invoice.id), None)
            return
        raise Unavailable("invoice numbers: too many changes at once, retry shortly")

    def history(self, tenant_id, invoice_id, *, limit, cursor):
        entries = sorted(self.history_entries.get((tenant_id, invoice_id), []), key=lambda e: e.id, reverse=True)
        return _page(entries, limit, cursor, lambda e: e.id)

    def _matching(self, tenant_id, where):
        for (t, _), i in self.invoices.items():
            if t != tenant_id or (where.customer_id and i.customer_id != where.customer_id):
                continue
            if not _created_between(i, where.created_from, where.created_to):
                continue
            due = i.due_date.isoformat() if i.due_date else None
            checks = [
                not where.statuses or i.status.value in where.statuses,
                not where.number or i.number == where.number,
                not where.due_from or (due is not None and due >= where.due_from),
                not where.due_to or (due is not None and due <= where.due_to),
                where.total_min is None or i.total >= where.total_min,
                where.total_max is None or i.total <= where.total_max,
                not where.overdue_on
                or (i.status.value in ("open", "partially_paid") and due is not None and due < where.overdue_on),
                not where.ids or i.id in where.ids,
                not where.subscription_id or i.subscription_id == where.subscription_id,
            ]
            if all(checks):
                yield i


class InMemoryCreditNotes(Interleaved, FilteredPages):
    """Credit notes as DynamoCreditNotes keeps them: each written with the next number of the
    tenant's counter, moved only from the value the write read (a lost race reads again), in one
    write with its invoice over the invoice's version, the ledger payment over its own, a request
    key's guard and the customer's balance; balances used only when they hold enough."""

    def __init__(self, invoices: InMemoryInvoices, payments: InMemoryPayments | None = None):
        super().__init__()
        self.invoices = invoices
        self.payments = payments
        self.notes: dict[tuple[str, str], object] = {}
        self.requests: dict[tuple[str, str], str] = {}
        self.counters: dict[str, int] = {}
        self.credit: dict[tuple[str, str, str], int] = {}  # (tenant, customer, currency) -> balance

    def add(self, tenant_id, first_number, issue, request_key=None):
        for _ in range(COUNTER_ATTEMPTS):
            last = self.counters.get(tenant_id)
            issued = issue(max((last or 0) + 1, first_number))
            self._interleave()
            if request_key is not None and (tenant_id, request_key) in self.requests:
                raise RequestTaken(request_key)
            if self.invoices._version_of(issued.invoice) != issued.invoice.version:
                raise StaleWrite("invoice")
            if issued.payment is not None:
                stored = self.payments.payments.get((tenant_id, issued.payment.id)) if self.payments else None
                if (stored.version if stored else 0) != issued.payment.version:
                    raise StaleWrite("payment")
            if self.counters.get(tenant_id) != last:
                continue
            note = issued.note
            self.counters[tenant_id] = note.sequence
            self.notes[(tenant_id, note.id)] = replace(note, version=note.version + 1)
            self.invoices._write(issued.invoice)
            self.invoices._entry(tenant_id, issued.entry)
            _on_timeline(self.invoices.customers, tenant_id, issued.event, self.invoices.events)
            if issued.payment is not None and self.payments is not None:
                self.payments.save(issued.payment, None)
            if request_key is not None:
                self.requests[(tenant_id, request_key)] = note.id
            if issued.balance:
                key = (tenant_id, note.customer_id, note.currency)
                self.credit[key] = self.credit.get(key, 0) + issued.balance
            return self.notes[(tenant_id, note.id)]
        raise Unavailable("credit note numbers: too many credit notes at once, retry shortly")

    def for_request(self, tenant_id, request_key):
        note_id = self.requests.get((tenant_id, request_key))
        return None if note_id is None else self.get(tenant_id, note_id)

    def get(self, tenant_id, credit_note_id):
        try:
            return self.notes[(tenant_id, credit_note_id)]
        except KeyError:
            raise NotFound(f"credit note {credit_note_id} not found") from None

    def save(self, note):
        stored = self.notes.get((note.tenant_id, note.id))
        if stored is None or stored.version != note.version:
            raise StaleWrite("credit note")
        self.notes[(note.tenant_id, note.id)] = replace(note, version=note.version + 1)
        return self.notes[(note.tenant_id, note.id)]

    def balances(self, tenant_id, customer_id):
        return {
            c: amount for (t, cus, c), amount in self.credit.items() if (t, cus) == (tenant_id, customer_id) and amount
        }

    def use_balance(self, invoice, entry, event, amount):
        from billing.domain.errors import Conflict

        key = (invoice.tenant_id, invoice.customer_id, invoice.currency)
        self._interleave()
        if self.credit.get(key, 0) < amount:
            raise Conflict("the customer's credit balance holds less than that now")
        saved = self.invoices.save(invoice, entry, event)
        self.credit[key] -= amount
        return saved

    def _matching(self, tenant_id, where):
        for (t, _), note in self.notes.items():
            if t != tenant_id or (where.customer_id and note.customer_id != where.customer_id):
                continue
            if not _created_between(note, where.created_from, where.created_to):
                continue
            checks = [
                not where.invoice_id or note.invoice_id == where.invoice_id,
                not where.reasons or note.reason.value in where.reasons,
                not where.settlements or (note.settlement is not None and note.settlement.value in where.settlements),
                not where.ids or note.id in where.ids,
            ]
            if all(checks):
                yield note


class InMemoryBillingRuns:
    """The billing run's side of the table, as DynamoBillingRuns reads it: the due and dunning
    indexes of the subscriptions stored in ``subscriptions``, shard by shard and oldest first, and
    one record per tenant and run date whose counts grow by addition. ``counted_writes`` lists
    every count write (tenant, run, outcomes)."""

    def __init__(self, subscriptions: InMemorySubscriptions):
        self.subscriptions = subscriptions
        self.records: dict[tuple[str, str], dict] = {}
        self.counted_writes: list[tuple[str, str, dict]] = []

    def _shard(self, entries, tenant_id: str, shard: int):

        partition = keys.due_shard_pk(tenant_id, shard)
        return sorted(sk for pk, sk in entries if pk == partition)

    def _dunning_shard(self, tenant_id: str, shard: int):

        partition = keys.dunning_shard_pk(tenant_id, shard)
        return sorted(sk for pk, sk in self.subscriptions.dunning_entries(tenant_id) if pk == partition)

    def due(self, tenant_id, shard, on_or_before, on=False):
        day = on_or_before.isoformat()
        for sk in self._shard(self.subscriptions.due_entries(tenant_id), tenant_id, shard):
            if (day <= sk <= f"{day}~") if on else sk <= f"{day}~":
                yield sk.split("#", 1)[1]

    def dunning(self, tenant_id, shard, on_or_before):
        for sk in self._dunning_shard(tenant_id, shard):
            if sk <= f"{on_or_before.isoformat()}~":
                yield sk.split("#", 1)[1]

    def scheduled(self, tenant_id, shard):

        for sk in self._shard(self.subscriptions.due_entries(tenant_id), tenant_id, shard):
            day, subscription_id = sk.split("#", 1)
            yield date.fromisoformat(day), subscription_id, False
        for sk in self._dunning_shard(tenant_id, shard):
            day, subscription_id = sk.split("#", 1)
            yield date.fromisoformat(day), subscription_id, True

    def scheduled_of(self, tenant_id, subscription_id):
        found = self.subscriptions.subscriptions.get((tenant_id, subscription_id))
        if found is None:
            return []
        entries = [(found.due_on, False), (found.dunning_due.next_on if found.dunning_due else None, True)]
        return [(day, subscription_id, dunning) for day, dunning in entries if day is not None]

    def tenants(self):
        return iter(list(self.subscriptions.tenants))

    def started(self, tenant_id, run_id, run_date, now):
        record = self.records.setdefault((tenant_id, run_id), {})
        record.update(tenant_id=tenant_id, id=run_id, run_date=run_date, updated_at=now)
        record.setdefault("started_at", now)

    def counted(self, tenant_id, run_id, outcomes, now, error=""):
        self.counted_writes.append((tenant_id, run_id, {o.value: n for o, n in outcomes.items() if n}))
        record = self.records.setdefault((tenant_id, run_id), {})
        for outcome, n in outcomes.items():
            if n:
                record[outcome.value] = record.get(outcome.value, 0) + n
        record["updated_at"] = now
        if error:
            record["last_error"] = error[:500]

    def get(self, tenant_id, run_id):

        record = self.records.get((tenant_id, run_id))
        if record is None:
            raise NotFound(f"billing run {run_id} not found")
        return BillingRun(**record)

    def list(self, tenant_id, *, limit, cursor):
        runs = sorted((r for (t, r) in self.records if t == tenant_id), reverse=True)
        if cursor:
            runs = [r for r in runs if r < cursor]
        chunk = runs[:limit]
        return Page([self.get(tenant_id, r) for r in chunk], chunk[-1] if len(runs) > limit and chunk else None)


class InMemoryTestClocks:
    """Sandbox tenants' test clocks; ``moves`` lists every day saved, in order."""

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self):
        self.days: dict[str, object] = {}
        self.moves: list = []

    def today_of(self, tenant_id):
        return self.days.get(tenant_id)

    def moved(self, tenant_id, today, now):
        self.days[tenant_id] = today
        self.moves.append(today)


class InMemoryDocuments:
    """What pricing a document reads, in one go (DynamoDocumentReader)."""

    def __init__(self, customers: InMemoryCustomers, settings: InMemorySettings, catalog: InMemoryCatalog):
        self.customers, self.settings, self.catalog = customers, settings, catalog

    def read(self, tenant_id, customer_id, product_ids, rate_ids):

        customer = self.customers.customers.get((tenant_id, customer_id))
        products, rates = self.catalog.get_catalog(tenant_id, product_ids, rate_ids)
        return DocumentInputs(customer, self.settings.get(tenant_id), products, rates)


class RecordingMailer:
    """The mail service: ``sent`` holds every message taken; ``refuse`` makes it refuse messages
    whose subject contains the text."""

    def __init__(self):
        self.sent: list[dict] = []
        self.refuse: str | None = None

    def send(self, *, sender_name, reply_to, to, subject, text, cc=(), attachments=()):
        if self.refuse is not None and self.refuse in subject:
            raise RuntimeError("the mail service refused the message")
        message = {"to": list(to), "subject": subject, "text": text, "cc": list(cc)}
        self.sent.append(message | {"attachments": [a.filename for a in attachments]})
        return f"msg-{len(self.sent)}"

    def subjects(self) -> list[str]:
        return [m["subject"] for m in self.sent]


class PdfStandIn:
    """An invoice renderer that makes a few bytes per invoice, not a PDF."""

    def render(self, invoice, seller, hosted_url):
        return f"%PDF invoice {invoice.number}".encode()


class CalendarClock(FixedClock):
    """A clock put on a day (``on``) that moves a second per reading, and follows a sandbox
    tenant's test clock (``billing.clock.clock_at``) as the system clock does."""

    def on(self, day, hour: int = 2) -> None:
        self.current = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)

    def now(self) -> datetime:

        moment = super().now()
        today = clock_override()
        return moment if today is None else datetime.combine(today, moment.timetz())


class DebitStripe(IdempotentStripe):
    """Stripe taking SEPA Direct Debits: a charge is processing until the bank settles it (``settle``)."""

    def __init__(self, **options):
        super().__init__(**options)
        self.settled: set[str] = set()

    def payment(self, account, reference):
        state = super().payment(account, reference)
        return state if reference in self.settled else replace(state, status="processing")

    def settle(self, reference: str) -> None:
        self.settled.add(reference)


class NoProcessor:
    """A processor-customer sync for customers no processor knows: nothing to keep in step."""

    def before_delete(self, customer: Customer) -> None:
        assert customer.processor_customer_id is None, "a processor's customer needs the real sync"

    def after_update(self, before: Customer, after: Customer, actor: str) -> None:
        assert after.processor_customer_id is None, "a processor's customer needs the real sync"


class RegisteredVatIds:
    """VIES as a test wants it: the ids in ``registered`` are confirmed, any other is not; with
    ``down`` the register cannot be asked. Remembers what it was asked."""

    def __init__(self, *registered: str, down: bool = False):
        self.registered = set(registered)
        self.down = down
        self.asked: list[tuple[str, str]] = []

    def check(self, vat_id: str, requester_vat_id: str) -> VatIdCheck:
        self.asked.append((vat_id, requester_vat_id))
        now = datetime(2026, 3, 1, 9, tzinfo=UTC)
        if self.down:
            return VatIdCheck(vat_id, VatIdStatus.UNAVAILABLE, now)
        status = VatIdStatus.CONFIRMED if vat_id in self.registered else VatIdStatus.NOT_CONFIRMED
        return VatIdCheck(vat_id, status, now, f"WAPI{len(self.asked):06d}" if requester_vat_id else "")


class InMemoryTeams:
    def __init__(self):
        self.saved: dict[str, Team] = {}

    def get(self, tenant_id):
        return self.saved.get(tenant_id, Team(tenant_id))

    def save(self, team):
        if self.get(team.tenant_id).version != team.version:
            raise StaleWrite("team")
        self.saved[team.tenant_id] = replace(team, version=team.version + 1)
        return self.saved[team.tenant_id]


class InMemoryDirectory:
    """The user pool: ``people`` maps a user id to its email, tenant, role, password and whether it
    is still the temporary one; the password policy is the template's."""

    def __init__(self):
        self.people: dict[str, dict] = {}
        self.signed_out: list[str] = []

    def add_person(self, email, tenant_id, role, *, sandbox, password, permanent):
        if any(p["email"].lower() == email.lower() for p in self.people.values()):
            raise EmailTaken(email)
        if len(password) < 12 or not any(c.isdigit() for c in password) or password.lower() == password:
            raise ValidationFailed.of("password", "too weak")
        user_id = f"user-{len(self.people) + 1}"
        self.people[user_id] = {
            "email": email,
            "tenant_id": tenant_id,
            "role": role,
            "sandbox": sandbox,
            "password": password,
            "temporary": not permanent,
        }
        return user_id

    def set_role(self, user_id, role):
        self.people[user_id]["role"] = role
        self.signed_out.append(user_id)

    def remove_person(self, user_id):
        self.people.pop(user_id, None)

    def has_signed_in(self, user_id):
        return user_id in self.people and not self.people[user_id]["temporary"]

    def reset_invitation(self, user_id, password):
        self.people[user_id] |= {"password": password, "temporary": True}
