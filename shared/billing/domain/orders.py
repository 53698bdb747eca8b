"""What a caller asks for, as typed values: the lines of a document before they are priced, a
document's one-time adjustments, an invoice, a subscription order, a price preview.

The HTTP schemas build these once, at the edge; the services take nothing else. Decimal fields
stay in their written form (``"19.99"``) until pricing parses them, so every badly written number
of a document is named at once, with its place (``lines.3.quantity``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the API's schemas import this module on every cold start
    from datetime import date

    from billing.domain.credit_notes import LineCredit
    from billing.domain.periods import BillingFrequency, BillingStart
    from billing.domain.pricing import AdjustmentKind, AmountType
    from billing.domain.subscriptions import CollectionMethod
    from billing.domain.vat import VatCategory


@dataclass(frozen=True)
class DiscountOrder:
    """A discount on each unit: a percentage of the unit price, or an amount off it."""

    type: AmountType
    value: str


@dataclass(frozen=True)
class TaxOrder:
    """A tax written on the line instead of a library rate."""

    percentage: str
    name: str = "Tax"
    inclusive: bool = False
    category: VatCategory | None = None
    exemption_reason: str = ""
    exemption_code: str = ""


@dataclass(frozen=True)
class LineOrder:
    """One line as written: a library product (its values unless the line overrides them) or a
    custom line. ``period_start``/``period_end`` are an invoice line's service period."""

    product_id: str | None = None
    name: str | None = None
    description: str | None = None
    quantity: str = "1"
    unit_price: str | None = None
    unit_cost: str | None = None
    billing_frequency: BillingFrequency | None = None
    payments: int | None = None
    billing_start: BillingStart | None = None
    discount: DiscountOrder | None = None
    tax_rate_id: str | None = None
    tax: TaxOrder | None = None
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class AdjustmentOrder:
    """A one-time discount, fee or tax on the subtotal, as written."""

    kind: AdjustmentKind
    type: AmountType
    value: str
    name: str = ""


@dataclass(frozen=True)
class PreviewOrder:
    """What a line-item editor asks while its user types: the price of these lines."""

    currency: str
    lines: Sequence[LineOrder]
    adjustments: Sequence[AdjustmentOrder] = ()
    on: date | None = None  # the day the document is created; today when None
    for_invoice: bool = False  # recurring lines priced once, as an invoice bills them
    schedule_length: int = 12


@dataclass(frozen=True)
class InvoiceOrder:
    """An invoice for a customer: a draft, or with ``finalize`` numbered and opened at once."""

    customer_id: str
    lines: Sequence[LineOrder]
    adjustments: Sequence[AdjustmentOrder] = ()
    currency: str | None = None  # the tenant's default when None
    payment_terms: str | None = None  # a PaymentTerms value; the tenant's default when None
    days_until_due: int | None = None
    due_date: date | None = None
    memo: str = ""
    footer: str = ""
    owner: str | None = None  # the caller when None
    associated_customer_ids: Sequence[str] = ()
    finalize: bool = False


@dataclass(frozen=True)
class SubscriptionOrder:
    """Recurring lines for a customer; lines that differ in frequency, start or number of
    payments become separate subscriptions."""

    customer_id: str
    currency: str
    lines: Sequence[LineOrder]
    adjustments: Sequence[AdjustmentOrder] = ()
    collection_method: CollectionMethod | None = None  # AutoPay (charge_automatically) when None
    payment_method_id: str | None = None
    days_until_due: int | None = None
    address_id: str | None = None


@dataclass(frozen=True)
class PaymentEntry:
    """A payment applied to an invoice: recorded by hand, or a succeeded ledger payment
    (``payment_id``) of which ``amount`` (by default what is left of it, up to the amount due)."""

    amount: int | None = None
    paid_on: date | None = None
    method: str = "other"
    reference: str = ""
    payment_id: str | None = None


@dataclass(frozen=True)
class SendOrder:
    """How an invoice is emailed: to the customer's billing address unless ``to`` is given."""

    to: str = ""
    cc: Sequence[str] = field(default_factory=tuple)
    subject: str = ""  # the tenant's template when empty
    message: str = ""
    # Dunning's reminder of an invoice overdue this many days: Billow's words say so (never the API's)
    overdue_days: int | None = None


@dataclass(frozen=True)
class CreditOrder:
    """A credit note asked for: chosen lines (``LineCredit``), or an amount VAT included, or (neither)
    all that is left of the invoice; with its reason and what becomes of money already paid."""

    reason: str
    lines: tuple[LineCredit, ...] = ()
    amount: int | None = None
    description: str = ""  # the line of an amount credit; a sentence naming the invoice when empty
    memo: str = ""
    settlement: str | None = None
    payment_id: str | None = None
    reference: str = ""  # of a refund made by hand
