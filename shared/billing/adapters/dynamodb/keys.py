"""Every key of the single table is built here and nowhere else (see ARCHITECTURE.md, "Data")."""

from __future__ import annotations

import hashlib

META = "#META"
SETTINGS = "SETTINGS"
TEAM = "TEAM"

# Sort-key prefixes of the "by customer" index: what refers to a customer.
SUBSCRIPTION_PREFIX = "SUB#"
INVOICE_PREFIX = "INV#"
ORDER_PREFIX = "ORD#"
PAYMENT_PREFIX = "PAY#"
CREDIT_NOTE_PREFIX = "CN#"

PRODUCT_PREFIX = "PRODUCT#"
TAX_PREFIX = "TAX#"
EVENT_PREFIX = "EVT#"
PAYMENT_METHOD_PREFIX = "PM#"
HISTORY_PREFIX = "HIST#"


def tenant_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def counter_sk(name: str) -> str:
    return f"COUNTER#{name}"


def customer_pk(tenant_id: str, customer_id: str) -> str:
    return f"T#{tenant_id}#CUS#{customer_id}"


def payment_pk(tenant_id: str, payment_id: str) -> str:
    return f"T#{tenant_id}#PAY#{payment_id}"


def payment_list_pk(tenant_id: str) -> str:
    """ "By status" index partition of a tenant's payments, newest first."""
    return f"T#{tenant_id}#PAYMENTS"


def invoice_pk(tenant_id: str, invoice_id: str) -> str:
    """An invoice (``#META``) and its history (``HIST#...``) share one partition."""
    return f"T#{tenant_id}#INV#{invoice_id}"


def invoice_list_pk(tenant_id: str) -> str:
    """ "By status" index partition of a tenant's invoices, newest first."""
    return f"T#{tenant_id}#INVOICES"


def created_sk(created_iso: str, record_id: str) -> str:
    """Index position of a record in its list: by creation time, then id."""
    return f"{created_iso}#{record_id}"


def history_sk(entry_id: str) -> str:
    return f"{HISTORY_PREFIX}{entry_id}"


def request_guard(tenant_id: str, kind: str, request_key: str) -> tuple[str, str]:
    """The key of the guard naming what a request made: the invoice of a create request (its
    Idempotency-Key, or a subscription's period), the payment of a charge, the subscriptions of
    an order. Each guard is its own partition: the billing run writes one per invoice and
    charge, which under the tenant's partition would make that partition the run's hot key."""
    return f"T#{tenant_id}#REQUEST#{kind}#{request_key}", "REQUEST"


def hosted_token_key(token: str) -> str:
    """The invoice a hosted-page token opens, tenant-free: the token is its own capability."""
    return f"TOKEN#{token}"


INVOICE_COUNTER = "INVOICE"
CREDIT_NOTE_COUNTER = "CREDIT_NOTE"


def credit_note_pk(tenant_id: str, credit_note_id: str) -> str:
    return f"T#{tenant_id}#CN#{credit_note_id}"


def credit_note_list_pk(tenant_id: str) -> str:
    """ "By status" index partition of a tenant's credit notes, newest first."""
    return f"T#{tenant_id}#CREDITNOTES"


def balance_sk(currency: str) -> str:
    """A customer's credit balance in one currency, under the customer."""
    return f"BALANCE#{currency}"


BALANCE_PREFIX = "BALANCE#"


def subscription_pk(tenant_id: str, subscription_id: str) -> str:
    return f"T#{tenant_id}#SUB#{subscription_id}"


def subscription_list_pk(tenant_id: str) -> str:
    """ "By status" index partition of a tenant's subscriptions, newest first."""
    return f"T#{tenant_id}#SUBSCRIPTIONS"


# The tenants that have subscriptions: the nightly planner runs each of them.
BILLING_TENANTS = "BILLING#TENANTS"
TEST_CLOCK = "TEST_CLOCK"

RUN_PREFIX = "RUN#"


def billing_run_sk(run_id: str) -> str:
    """A tenant's billing run of one date, under the tenant; the ids sort by date."""
    return f"{RUN_PREFIX}{run_id}"


def reminder_sk(period_key: str) -> str:
    """The reminder of one subscription period, sent once."""
    return f"REMINDER#{period_key}"


def method_link_pk(token: str) -> str:
    """A payment-method link, tenant-free: the token is its own capability."""
    return f"LINK#{token}"


# The due index spreads a tenant's subscriptions over this many partitions, so the nightly run
# reads them in parallel and no one index partition takes all of a large tenant's writes.
DUE_SHARDS = 16


def _shard_of(subscription_id: str) -> int:
    return int(hashlib.blake2b(subscription_id.encode(), digest_size=4).hexdigest(), 16) % DUE_SHARDS


def due_pk(tenant_id: str, subscription_id: str) -> str:
    return due_shard_pk(tenant_id, _shard_of(subscription_id))


def due_shard_pk(tenant_id: str, shard: int) -> str:
    return f"T#{tenant_id}#DUE#{shard:02d}"


def dunning_pk(tenant_id: str, subscription_id: str) -> str:
    return dunning_shard_pk(tenant_id, _shard_of(subscription_id))


def dunning_shard_pk(tenant_id: str, shard: int) -> str:
    return f"T#{tenant_id}#DUNNING#{shard:02d}"


def due_sk(next_payment_on: str, subscription_id: str) -> str:
    """Position in the due index: by next payment date, so "due on or before" is one range."""
    return f"{next_payment_on}#{subscription_id}"


def payment_method_sk(method_id: str) -> str:
    return f"{PAYMENT_METHOD_PREFIX}{method_id}"


def connection_sk(provider: str) -> str:
    return f"CONNECTION#{provider}"


def account_pk(provider: str, account: str) -> str:
    return f"ACCT#{provider}#{account}"


def event_sk(event_id: str) -> str:
    return f"{EVENT_PREFIX}{event_id}"


def product_sk(product_id: str) -> str:
    return f"{PRODUCT_PREFIX}{product_id}"


def tax_rate_sk(rate_id: str) -> str:
    return f"{TAX_PREFIX}{rate_id}"


def sku_guard_sk(sku: str) -> str:
    return f"SKU#{sku}"


def debtor_guard_sk(number: int) -> str:
    return f"DEBTOR#{number:012d}"


def customer_list_pk(tenant_id: str, archived: bool) -> str:
    """ "By status" index partition of a tenant's customers; archived ones live apart."""
    return f"T#{tenant_id}#CUSTOMERS#{'ARCHIVED' if archived else 'ACTIVE'}"


def by_customer_sk(prefix: str, created_iso: str, record_id: str) -> str:
    return f"{prefix}{created_iso}#{record_id}"


def external_id_key(tenant_id: str, provider: str, external_id: str) -> str:
    """Our record for a processor id, within one tenant (processor ids are unique per account)."""
    return f"T#{tenant_id}#{provider}#{external_id}"


def webhook_event_pk(provider: str, event_id: str) -> str:
    return f"WH#{provider}#{event_id}"


def connect_state_pk(state: str) -> str:
    """A pending Stripe Connect authorisation, found by the state Stripe hands back."""
    return f"CONNECT#{state}"
