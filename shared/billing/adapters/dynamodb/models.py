"""PynamoDB models of the single table. One base model owns the keys and the sparse indexes;
each item kind is a subclass told apart by the ``kind`` discriminator. The table itself is
defined in template.yaml (the local stack creates it from there)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from billing.config import config


class _FromEnvironment(type):
    """Table name, region and endpoint are read when PynamoDB builds its connection, not at import,
    so importing the models never fixes them too early (the local stack sets them on start)."""

    @property
    def table_name(cls) -> str:
        return config().table_name

    @property
    def region(cls) -> str:
        return config().region

    @property
    def host(cls) -> str | None:
        return config().dynamodb_endpoint


class _Meta(metaclass=_FromEnvironment):
    pass


class ByCustomerIndex(GlobalSecondaryIndex):
    """A customer's subscriptions, invoices, orders and payments, newest first."""

    class Meta(_Meta):
        index_name = "ByCustomer"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class ByStatusIndex(GlobalSecondaryIndex):
    """A tenant's records of one kind and status, by date."""

    class Meta(_Meta):
        index_name = "ByStatus"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class ByExternalIdIndex(GlobalSecondaryIndex):
    """Our record for a processor's id (Stripe ``cus_``, ``pm_``, ``pi_``, ``seti_``)."""

    class Meta(_Meta):
        index_name = "ByExternalId"
        # Keys plus the discriminator, so PynamoDB can tell which kind of item it found.
        projection = IncludeProjection(["kind"])

    gsi3pk = UnicodeAttribute(hash_key=True)


class DueForBillingIndex(GlobalSecondaryIndex):
    """Subscriptions due on a day, sharded: ``DUE#<date>#<shard>`` -> ``<due at>#<tenant>#<sub>``."""

    class Meta(_Meta):
        index_name = "DueForBilling"
        projection = IncludeProjection(["kind"])

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class InDunningIndex(GlobalSecondaryIndex):
    """Subscriptions whose failed or overdue payment is tried again on a day, sharded like
    the due index; sparse: only those in dunning have an entry."""

    class Meta(_Meta):
        index_name = "InDunning"
        projection = IncludeProjection(["kind"])

    gsi5pk = UnicodeAttribute(hash_key=True)
    gsi5sk = UnicodeAttribute(range_key=True)


class BillowItem(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi3pk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute(null=True)
    gsi4sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)
    gsi5sk = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    by_customer = ByCustomerIndex()
    by_status = ByStatusIndex()
    by_external_id = ByExternalIdIndex()
    due_for_billing = DueForBillingIndex()
    in_dunning = InDunningIndex()


class CustomerItem(BillowItem, discriminator="customer"):
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    first_name = UnicodeAttribute(default="")
    last_name = UnicodeAttribute(default="")
    company_name = UnicodeAttribute(default="")
    email = UnicodeAttribute(default="")
    phone = UnicodeAttribute(default="")
    vat_id = UnicodeAttribute(default="")
    billing_email = UnicodeAttribute(default="")
    addresses = JSONAttribute(default=dict)  # address id -> address, in the order added
    default_address_id = UnicodeAttribute()
    billing_address_id = UnicodeAttribute(null=True)
    debtor_number = NumberAttribute(null=True)
    archived = BooleanAttribute(default=False)
    read_only = BooleanAttribute(default=False)
    default_payment_method = UnicodeAttribute(default="")
    default_payment_method_id = UnicodeAttribute(null=True)
    processor_customer_id = UnicodeAttribute(null=True)
    vat_id_check = JSONAttribute(null=True)  # what VIES said of the VAT id, when
    vat_treatment = UnicodeAttribute(null=True)
    search_text = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class TimelineEventItem(BillowItem, discriminator="timeline_event"):
    id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    type = UnicodeAttribute()
    occurred_at = UTCDateTimeAttribute()
    actor = UnicodeAttribute(default="")
    summary = UnicodeAttribute(default="")
    data = JSONAttribute(default=dict)


class GuardItem(BillowItem, discriminator="guard"):
    """Holds a value unique per tenant (an SKU, a debtor number, an invoice number)."""

    owner_id = UnicodeAttribute()


class TestClockItem(BillowItem, discriminator="test_clock"):
    """A sandbox tenant's test clock: the day its work is done on."""

    today = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class CounterItem(BillowItem, discriminator="counter"):
    value = NumberAttribute(default=0)  # the last number drawn
    numbered = NumberAttribute(default=0)  # invoice counter: numbered invoices that still exist


class SettingsItem(BillowItem, discriminator="settings"):
    tenant_id = UnicodeAttribute()
    values = JSONAttribute(default=dict)
    version = VersionAttribute()


class TeamItem(BillowItem, discriminator="team"):
    tenant_id = UnicodeAttribute()
    members = JSONAttribute(default=list)
    version = VersionAttribute()


class ProductItem(BillowItem, discriminator="product"):
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    sku = UnicodeAttribute(default="")
    unit_price = UnicodeAttribute()
    unit_cost = UnicodeAttribute(null=True)
    currency = UnicodeAttribute()
    billing_frequency = UnicodeAttribute()
    tax_rate_id = UnicodeAttribute(null=True)
    archived = BooleanAttribute(default=False)
    search_text = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class TaxRateItem(BillowItem, discriminator="tax_rate"):
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    country = UnicodeAttribute(default="")
    percentage = UnicodeAttribute()
    inclusive = BooleanAttribute(default=False)
    category = UnicodeAttribute(default="S")
    exemption_reason = UnicodeAttribute(default="")
    exemption_code = UnicodeAttribute(default="")
    archived = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class CustomerRecordItem(BillowItem, discriminator="customer_record"):
    """The part every record that refers to a customer shares (subscriptions, invoices, orders,
    payments): what the deletion guard counts on the "by customer" index. Later issues
    subclass it with their own attributes."""

    tenant_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    status = UnicodeAttribute()


class PaymentMethodItem(BillowItem, discriminator="payment_method"):
    tenant_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    id = UnicodeAttribute()
    type = UnicodeAttribute()
    brand = UnicodeAttribute(default="")
    last4 = UnicodeAttribute(default="")
    exp_month = NumberAttribute(default=0)
    exp_year = NumberAttribute(default=0)
    bank_code = UnicodeAttribute(default="")
    country = UnicodeAttribute(default="")
    mandate_reference = UnicodeAttribute(default="")
    is_default = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()


class PaymentItem(CustomerRecordItem, discriminator="payment"):
    id = UnicodeAttribute()
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    method = UnicodeAttribute(default="")
    payment_method_id = UnicodeAttribute(null=True)
    processor = UnicodeAttribute(default="stripe")
    processor_payment_id = UnicodeAttribute(null=True)
    processor_charge_id = UnicodeAttribute(null=True)
    amount_refunded = NumberAttribute(default=0)
    failure_code = UnicodeAttribute(null=True)
    decline_code = UnicodeAttribute(null=True)
    failure_message = UnicodeAttribute(null=True)
    description = UnicodeAttribute(default="")
    invoice_id = UnicodeAttribute(null=True)
    subscription_ids = JSONAttribute(default=list)
    applications = JSONAttribute(default=list)
    refund_claim = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class ConnectionItem(BillowItem, discriminator="processor_connection"):
    """A tenant's connected Stripe account (under the tenant) and its reverse entry (under the account)."""

    tenant_id = UnicodeAttribute()
    account = UnicodeAttribute()
    connected_at = UTCDateTimeAttribute()


class ConnectStateItem(BillowItem, discriminator="connect_state"):
    """A started Stripe Connect authorisation: the tenant the state was issued to, used once, and
    valid until ``expires_at`` (which DynamoDB's TTL also deletes it by, some time after)."""

    tenant_id = UnicodeAttribute()
    return_url = UnicodeAttribute(null=True)


class WebhookEventItem(BillowItem, discriminator="webhook_event"):
    event_type = UnicodeAttribute()
    status = UnicodeAttribute()  # processing, done, failed
    outcome = UnicodeAttribute(default="")
    attempts = NumberAttribute(default=0)
    claimed_at = NumberAttribute()


class InvoiceItem(CustomerRecordItem, discriminator="invoice"):
    id = UnicodeAttribute()
    currency = UnicodeAttribute()
    recipient = JSONAttribute()
    lines = JSONAttribute()
    totals = JSONAttribute()
    adjustments = JSONAttribute(default=list)
    payment_terms = UnicodeAttribute()
    days_until_due = NumberAttribute(null=True)
    due_date = UnicodeAttribute(null=True)  # ISO dates compare as text: the due-date filters use it
    issued_on = UnicodeAttribute(null=True)
    number = UnicodeAttribute(null=True)
    sequence = NumberAttribute(null=True)
    total = NumberAttribute()  # for the amount filters
    memo = UnicodeAttribute(default="")
    footer = UnicodeAttribute(default="")
    owner = UnicodeAttribute(default="")
    associated_customer_ids = JSONAttribute(default=list)
    payments = JSONAttribute(default=list)
    online_payment_made = BooleanAttribute(default=False)
    subscription_id = UnicodeAttribute(null=True)
    subscription_period = NumberAttribute(null=True)
    hosted_token = UnicodeAttribute(null=True)
    checkout_session_id = UnicodeAttribute(null=True)
    last_sent_at = UTCDateTimeAttribute(null=True)
    finalized_at = UTCDateTimeAttribute(null=True)
    paid_at = UTCDateTimeAttribute(null=True)
    voided_at = UTCDateTimeAttribute(null=True)
    cloned_from = UnicodeAttribute(null=True)
    seller = JSONAttribute(null=True)
    vat_treatment = UnicodeAttribute(default="domestic")
    vat_treatment_note = UnicodeAttribute(default="")
    credits = JSONAttribute(default=list)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class CreditNoteItem(BillowItem, discriminator="credit_note"):
    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    sequence = NumberAttribute()
    invoice_id = UnicodeAttribute()
    invoice_number = UnicodeAttribute()
    invoice_issued_on = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    currency = UnicodeAttribute()
    recipient = JSONAttribute()
    issued_on = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute(default="")
    reason = UnicodeAttribute()
    lines = JSONAttribute()
    adjustments = JSONAttribute(default=list)
    rates = JSONAttribute(default=list)
    memo = UnicodeAttribute(default="")
    full = BooleanAttribute(default=False)
    due_reduced = NumberAttribute(default=0)
    settlement = UnicodeAttribute(null=True)
    settled = NumberAttribute(default=0)
    refund = JSONAttribute(null=True)
    manual_reference = UnicodeAttribute(default="")
    seller = JSONAttribute(null=True)
    vat_treatment = UnicodeAttribute(default="domestic")
    vat_treatment_note = UnicodeAttribute(default="")
    last_sent_at = UTCDateTimeAttribute(null=True)
    total = NumberAttribute()  # for the filters and exports
    version = VersionAttribute()


class CreditBalanceItem(BillowItem, discriminator="credit_balance"):
    """A customer's credit in one currency: credit notes add to it, invoices use it up."""

    amount = NumberAttribute(default=0)


class InvoiceHistoryItem(BillowItem, discriminator="invoice_history"):
    id = UnicodeAttribute()
    invoice_id = UnicodeAttribute()
    type = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute(default="")
    summary = UnicodeAttribute(default="")
    data = JSONAttribute(default=dict)


class SubscriptionItem(CustomerRecordItem, discriminator="subscription"):
    id = UnicodeAttribute()
    currency = UnicodeAttribute()
    frequency = UnicodeAttribute()
    starts_on = UnicodeAttribute()
    collection_method = UnicodeAttribute()
    lines = JSONAttribute()
    adjustments = JSONAttribute(default=list)
    product_ids = JSONAttribute(default=list)  # for the product filter
    payments = NumberAttribute(null=True)
    periods_billed = NumberAttribute(default=0)
    payments_made = NumberAttribute(default=0)
    last_paid_period = NumberAttribute(default=-1)
    collecting_period = NumberAttribute(null=True)
    dunning = JSONAttribute(null=True)
    anchor_on = UnicodeAttribute(null=True)
    anchor_period = NumberAttribute(default=0)
    last_payment_on = UnicodeAttribute(null=True)
    next_payment_on = UnicodeAttribute(null=True)  # ISO dates compare as text: the filters use it
    payment_method_id = UnicodeAttribute(null=True)
    first_payment_id = UnicodeAttribute(null=True)
    days_until_due = NumberAttribute(null=True)
    address_id = UnicodeAttribute(null=True)
    cancel_at_period_end = BooleanAttribute(default=False)
    canceled_at = UTCDateTimeAttribute(null=True)
    ended_on = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()


class SubscriptionLinkItem(BillowItem, discriminator="subscription_link"):
    """A payment-method link's token: the subscription it opens, until ``expires_at`` (DynamoDB's
    TTL deletes it some time after; reads check the time themselves)."""

    tenant_id = UnicodeAttribute()
    subscription_id = UnicodeAttribute()
    valid_until = UTCDateTimeAttribute()


class BillingRunItem(BillowItem, discriminator="billing_run"):
    """A tenant's billing run of one date; its counts grow by atomic ADDs from every worker."""

    tenant_id = UnicodeAttribute()
    id = UnicodeAttribute()
    run_date = UnicodeAttribute()
    started_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    due = NumberAttribute(default=0)
    invoiced = NumberAttribute(default=0)
    charged = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    skipped = NumberAttribute(default=0)
    activated = NumberAttribute(default=0)
    canceled = NumberAttribute(default=0)
    expired = NumberAttribute(default=0)
    reminders = NumberAttribute(default=0)
    retried = NumberAttribute(default=0)
    last_error = UnicodeAttribute(default="")
