"""Credit notes (Rechnungskorrekturen): a numbered correction of a finalized invoice that takes
back some of its lines, or an amount, or all of it (a Stornorechnung), and says what became of
the money.

A credit note is final when made and has its own gapless sequence. What it takes back is worked
out per VAT rate, as the invoice charged it:

- chosen lines and quantities: each line's net and tax in proportion to the quantity, and the
  one-time discounts and fees of the invoice on that line's rate in proportion to the lines'
  nets. Each is rounded as the difference of the cumulative amounts credited so far, so credit
  notes that take a line back in parts add up exactly to the line;
- an amount (what the buyer gets back, VAT included): split across the invoice's rates in
  proportion to what is left of each (largest remainder), each part's VAT in the proportion of
  what is left on its rate; the part that takes all that is left of a rate takes its net and VAT
  exactly.

The credited total never exceeds what is left of the invoice. Of it, the part the invoice still
asked for simply stops being due; the rest was paid, and goes back by a refund through Stripe,
by hand, or into the customer's credit balance, which their next invoices use first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from billing.domain.errors import Conflict, FieldError, ValidationFailed
from billing.domain.ids import new_id
from billing.domain.invoices import (
    AdjustmentShare,
    Correction,
    CreditedLine,
    CreditedRate,
    Invoice,
    InvoiceAdjustment,
    InvoiceCredit,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    PaymentSource,
    PaymentTerms,
    Recipient,
    TaxAmount,
    TaxSnapshot,
    Totals,
    VatLine,
    _status_for,
    adjustment_sign,
)
from billing.domain.money import minor_units, round_half_up, to_major
from billing.domain.pricing import split
from billing.domain.settings import Seller
from billing.domain.vat import VatTreatment

MAX_CREDIT_LINES = 500


class CreditReason(StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    ORDER_CHANGE = "order_change"
    PRODUCT_UNSATISFACTORY = "product_unsatisfactory"
    REFUND = "refund"  # made by a refund of a payment of the invoice
    CANCELLATION = "cancellation"  # a subscription canceled with its unused days refunded
    VOID = "void"  # the invoice voided after it was sent: a Stornorechnung keeps its number in the books
    OTHER = "other"


class Settlement(StrEnum):
    """What becomes of the money a credit note gives back of what was paid."""

    REFUND = "refund"  # refunded through Stripe on the invoice's online payment
    MANUAL_REFUND = "manual_refund"  # refunded by hand (a transfer, cash), recorded
    CREDIT_BALANCE = "credit_balance"  # kept as the customer's credit, used by their next invoices


class RefundStatus(StrEnum):
    PENDING = "pending"  # the note is made; Stripe's answer is outstanding (a retry finishes it)
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class CreditNoteLine(TaxSnapshot):
    """A line taken back, net of tax (whatever the invoice line's rate was), with that rate."""

    name: str
    quantity: Decimal
    unit_price: Decimal  # net, per unit
    net: int
    tax: int
    invoice_line: int | None = None  # the invoice line it takes back (from 0); None: an amount on one rate
    period_start: date | None = None
    period_end: date | None = None

    @property
    def total(self) -> int:
        return self.net + self.tax


@dataclass(frozen=True)
class CreditNoteAdjustment(TaxSnapshot):
    """The part of an invoice's one-time discount or fee on one rate that goes back with the lines:
    a discount makes the credit smaller, a fee larger. Net of tax."""

    kind: str
    name: str
    net: int
    tax: int

    @property
    def sign(self) -> int:
        return adjustment_sign(self.kind)


@dataclass(frozen=True)
class CreditRefund:
    """The Stripe refund a credit note made, on one ledger payment of its invoice."""

    payment_id: str
    amount: int
    status: RefundStatus = RefundStatus.PENDING
    failure: str = ""


@dataclass(frozen=True)
class CreditNote:
    tenant_id: str
    id: str
    number: str
    sequence: int
    invoice_id: str
    invoice_number: str
    invoice_issued_on: date
    customer_id: str
    currency: str
    recipient: Recipient
    issued_on: date
    created_at: datetime
    created_by: str
    reason: CreditReason
    lines: tuple[CreditNoteLine, ...]
    adjustments: tuple[CreditNoteAdjustment, ...] = ()
    rates: tuple[CreditedRate, ...] = ()  # of the invoice's rates, what it took back
    memo: str = ""
    full: bool = False  # it takes back the whole invoice at once: a Stornorechnung
    due_reduced: int = 0  # of its total, what the invoice no longer asks for
    settlement: Settlement | None = None  # what became of the rest, which had been paid
    settled: int = 0  # that rest
    refund: CreditRefund | None = None
    manual_reference: str = ""  # of a refund made by hand
    seller: Seller | None = None
    vat_treatment: VatTreatment = VatTreatment.DOMESTIC
    vat_treatment_note: str = ""
    last_sent_at: datetime | None = None
    version: int = 0

    @property
    def net(self) -> int:
        return sum(line.net for line in self.lines) + sum(a.sign * a.net for a in self.adjustments)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines) + sum(a.sign * a.tax for a in self.adjustments)

    @property
    def total(self) -> int:
        return self.net + self.tax

    @property
    def credited_to_balance(self) -> int:
        return self.settled if self.settlement is Settlement.CREDIT_BALANCE else 0

    @property
    def tax_amounts(self) -> list[TaxAmount]:
        return self.as_document().tax_amounts

    def as_document(self) -> Invoice:
        """The credit note in the shape of an invoice, as its PDF and e-invoice show it: its lines
        and adjustments (all net of tax), its totals, its seller and buyer. Never stored."""
        lines = tuple(
            InvoiceLine(
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount=line.net,
                discount=0,
                net=line.net,
                tax=line.tax,
                period_start=line.period_start,
                period_end=line.period_end,
                **_snapshot(line),
            )
            for line in self.lines
        )
        adjustments = tuple(
            InvoiceAdjustment(
                kind=a.kind,
                type="amount",
                value=to_major(a.net, self.currency),
                amount=a.net,
                name=a.name,
                shares=(_share(a),),
            )
            for a in self.adjustments
        )
        lines_net = sum(line.net for line in self.lines)
        totals = Totals(
            lines_amount=lines_net,
            subtotal=lines_net,
            one_time_discounts=sum(a.net for a in self.adjustments if a.sign < 0),
            fees=sum(a.net for a in self.adjustments if a.sign > 0),
            taxes=self.tax,
            total=self.total,
        )
        return Invoice(
            tenant_id=self.tenant_id,
            id=self.id,
            customer_id=self.customer_id,
            currency=self.currency,
            status=InvoiceStatus.PAID,  # it asks the buyer for nothing
            created_at=self.created_at,
            updated_at=self.created_at,
            recipient=self.recipient,
            lines=lines,
            totals=totals,
            adjustments=adjustments,
            issued_on=self.issued_on,
            number=self.number,
            sequence=self.sequence,
            memo=self.memo,
            finalized_at=self.created_at,
            seller=self.seller,
            vat_treatment=self.vat_treatment,
            vat_treatment_note=self.vat_treatment_note,
            payment_terms=PaymentTerms.DUE_ON_RECEIPT,
            days_until_due=0,
            corrects=Correction(
                invoice_number=self.invoice_number,
                invoice_issued_on=self.invoice_issued_on,
                full=self.full,
                reason=self.reason.value,
                due_reduced=self.due_reduced,
                settlement=self.settlement.value if self.settlement else "",
                settled=self.settled,
            ),
        )


def _snapshot(taxed: TaxSnapshot) -> dict[str, Any]:
    """A tax snapshot's fields, net of tax: a credit note lists every amount without its VAT."""
    return {
        "tax_name": taxed.tax_name,
        "tax_percentage": taxed.tax_percentage,
        "tax_inclusive": False,
        "tax_category": taxed.tax_category,
        "tax_exemption_reason": taxed.tax_exemption_reason,
        "tax_exemption_code": taxed.tax_exemption_code,
    }


def _share(adjustment: CreditNoteAdjustment) -> AdjustmentShare:
    return AdjustmentShare(adjustment.net, adjustment.tax, **_snapshot(adjustment))


# ---------------------------------------------------------------- what a credit note takes back


@dataclass(frozen=True)
class LineCredit:
    """Take back ``quantity`` of the invoice's line ``line`` (from 0); all that is left of it when None."""

    line: int
    quantity: Decimal | None = None


@dataclass(frozen=True)
class Credit:
    """What a credit note takes back, before it has a number."""

    lines: tuple[CreditNoteLine, ...]
    adjustments: tuple[CreditNoteAdjustment, ...]
    rates: tuple[CreditedRate, ...]
    quantities: tuple[CreditedLine, ...]

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines) + sum(a.sign * (a.net + a.tax) for a in self.adjustments)


RateKey = tuple[Any, ...]  # a rate as the invoice groups by it (billing.domain.invoices.VatLine's fields)


def _rate_key(vat: VatLine) -> RateKey:
    return tuple(asdict(vat).values())


def _amount_key(amount: TaxAmount) -> RateKey:
    return (
        amount.name,
        amount.percentage,
        amount.inclusive,
        amount.category,
        amount.exemption_reason,
        amount.exemption_code,
    )


def _excluding_tax(amount: int, tax: int, inclusive: bool) -> int:
    return amount - tax if inclusive else amount


def _portion(value: int, part: Decimal, whole: Decimal) -> int:
    return round_half_up(Decimal(value) * part / whole) if whole else 0


def credited_quantities(invoice: Invoice) -> dict[int, Decimal]:
    """Of each line (by index), the quantity credit notes took back so far."""
    taken: dict[int, Decimal] = {}
    for credit in invoice.credits:
        for line in credit.lines:
            taken[line.index] = taken.get(line.index, Decimal(0)) + line.quantity
    return taken


def rates_left(invoice: Invoice) -> list[tuple[TaxAmount, int, int]]:
    """Each of the invoice's rates (``tax_amounts``, in order) with the net and tax credit notes
    have not taken back yet."""
    taken: dict[int, list[int]] = {}
    for credit in invoice.credits:
        for rate in credit.rates:
            net, tax = taken.setdefault(rate.index, [0, 0])
            taken[rate.index] = [net + rate.net, tax + rate.tax]
    return [
        (amount, amount.net - taken.get(i, [0, 0])[0], amount.tax - taken.get(i, [0, 0])[1])
        for i, amount in enumerate(invoice.tax_amounts)
    ]


def credit_of_lines(invoice: Invoice, wanted: Sequence[LineCredit]) -> Credit:
    """The chosen lines and quantities taken back, with their rates' one-time discounts and fees."""
    before = credited_quantities(invoice)
    after = dict(before)
    errors: list[FieldError] = []
    chosen: dict[int, Decimal] = {}
    for k, credit in enumerate(wanted):
        where = f"lines.{k}"
        if not 0 <= credit.line < len(invoice.lines):
            errors.append(FieldError(f"{where}.line", f"the invoice has lines 0 to {len(invoice.lines) - 1}"))
            continue
        if credit.line in chosen:
            errors.append(FieldError(f"{where}.line", "names a line already chosen"))
            continue
        line = invoice.lines[credit.line]
        left = line.quantity - before.get(credit.line, Decimal(0))
        quantity = left if credit.quantity is None else credit.quantity
        if left <= 0:
            errors.append(FieldError(f"{where}.line", "was taken back in full already"))
        elif not 0 < quantity <= left:
            errors.append(FieldError(f"{where}.quantity", f"must be above 0 and at most {left}, what is left"))
        else:
            chosen[credit.line] = quantity
            after[credit.line] = before.get(credit.line, Decimal(0)) + quantity
    if errors:
        raise ValidationFailed(errors)
    if not chosen:
        raise ValidationFailed.of("lines", "choose at least one line")

    lines: list[CreditNoteLine] = []
    pieces: list[tuple[RateKey, int, int]] = []
    for index, quantity in chosen.items():
        line = invoice.lines[index]
        base_net = _excluding_tax(line.net, line.tax, line.tax_inclusive)
        was, now = before.get(index, Decimal(0)), after[index]
        net = _portion(base_net, now, line.quantity) - _portion(base_net, was, line.quantity)
        tax = _portion(line.tax, now, line.quantity) - _portion(line.tax, was, line.quantity)
        pieces.append((_rate_key(line.vat), net, tax))
        lines.append(
            CreditNoteLine(
                name=line.name,
                quantity=quantity,
                unit_price=(Decimal(net).scaleb(-minor_units(invoice.currency)) / quantity).quantize(
                    Decimal("0.000001")
                ),
                net=net,
                tax=tax,
                invoice_line=index,
                period_start=line.period_start,
                period_end=line.period_end,
                **_snapshot(line),
            )
        )

    # A rate's one-time discounts and fees go back in the proportion of its lines' nets taken back.
    def taken_of_rate(key: RateKey, quantities: dict[int, Decimal]) -> tuple[Decimal, Decimal]:
        taken, whole = Decimal(0), Decimal(0)
        for i, line in enumerate(invoice.lines):
            if _rate_key(line.vat) == key and line.quantity:
                base = Decimal(_excluding_tax(line.net, line.tax, line.tax_inclusive))
                whole += base
                taken += base * quantities.get(i, Decimal(0)) / line.quantity
        return taken, whole

    adjustments = []
    for adjustment in invoice.adjustments:
        for share in adjustment.shares:
            key = _rate_key(share.vat)
            was, whole = taken_of_rate(key, before)
            now, _ = taken_of_rate(key, after)
            base_net = _excluding_tax(share.amount, share.tax, share.tax_inclusive)
            net = _portion(base_net, now, whole) - _portion(base_net, was, whole)
            tax = _portion(share.tax, now, whole) - _portion(share.tax, was, whole)
            if net or tax:
                pieces.append((key, adjustment.sign * net, adjustment.sign * tax))
                adjustments.append(
                    CreditNoteAdjustment(
                        kind=adjustment.kind, name=adjustment.name, net=net, tax=tax, **_snapshot(share)
                    )
                )
    rates = _rates_taken(invoice, pieces)
    return Credit(tuple(lines), tuple(adjustments), rates, tuple(CreditedLine(i, q) for i, q in chosen.items()))


def _rates_taken(invoice: Invoice, pieces: Sequence[tuple[RateKey, int, int]]) -> tuple[CreditedRate, ...]:
    """What the pieces (a rate's key, net, tax) take back of each of the invoice's rates; never
    more than is left of one."""
    left = rates_left(invoice)
    index = {_amount_key(amount): i for i, (amount, _, _) in enumerate(left)}
    taken: dict[int, list[int]] = {}
    for key, net, tax in pieces:
        so_far = taken.setdefault(index[key], [0, 0])
        so_far[0] += net
        so_far[1] += tax
    for i, (net, tax) in taken.items():
        amount, net_left, tax_left = left[i]
        if net + tax > net_left + tax_left:
            rate = amount.name or "the lines without tax"
            raise ValidationFailed.of("lines", f"takes back more on {rate} than is left of the invoice there")
    return tuple(CreditedRate(i, net, tax) for i, (net, tax) in sorted(taken.items()))


def credit_of_amount(invoice: Invoice, amount: int, name: str) -> Credit:
    """``amount`` (VAT included) taken back across the invoice's rates, one line per rate."""
    left = [(rate, net, tax) for rate, net, tax in rates_left(invoice)]
    gross_left = [net + tax for _, net, tax in left]
    if amount <= 0:
        raise ValidationFailed.of("amount", "must be above 0")
    if amount > sum(gross_left):
        raise ValidationFailed.of("amount", f"exceeds what is left of the invoice to credit ({sum(gross_left)})")
    lines, rates = [], []
    for i, ((rate, net_left, tax_left), part) in enumerate(zip(left, split(amount, gross_left), strict=True)):
        if not part:
            continue
        gross = net_left + tax_left
        tax = tax_left if part == gross else _portion(tax_left, Decimal(part), Decimal(gross))
        net = part - tax
        rates.append(CreditedRate(i, net, tax))
        lines.append(
            CreditNoteLine(
                name=name,
                quantity=Decimal(1),
                unit_price=to_major(net, invoice.currency),
                net=net,
                tax=tax,
                tax_name=rate.name or None,
                tax_percentage=rate.percentage if (rate.name or rate.percentage) else None,
                tax_category=rate.category,
                tax_exemption_reason=rate.exemption_reason,
                tax_exemption_code=rate.exemption_code,
            )
        )
    return Credit(tuple(lines), (), tuple(rates), ())


def credit_of_rest(invoice: Invoice, name: str) -> Credit:
    """All that is left: the invoice's lines when nothing was taken back yet, else the amount left."""
    if invoice.credits:
        return credit_of_amount(invoice, invoice.creditable, name)
    return credit_of_lines(invoice, [LineCredit(i) for i, line in enumerate(invoice.lines) if line.quantity > 0])


# ---------------------------------------------------------------- issuing it


def credit_refusal(invoice: Invoice) -> list[str]:
    """Why this invoice takes no credit note."""
    if invoice.status is InvoiceStatus.DRAFT:
        return ["a draft has no number to correct; edit or delete it instead"]
    if invoice.status is InvoiceStatus.VOID:
        return ["the invoice is void"]
    if invoice.creditable <= 0:
        return ["nothing is left of the invoice to credit"]
    return []


def refundable_payment(invoice: Invoice, amount: int, payment_id: str | None) -> str:
    """The ledger payment of the invoice a Stripe refund of ``amount`` goes to: the one named, else
    the latest that holds enough of it."""
    online = [p for p in invoice.payments if p.payment_id and p.source in (PaymentSource.ONLINE, PaymentSource.LEDGER)]
    if payment_id is not None:
        named = next((p for p in online if payment_id in (p.payment_id, p.id)), None)
        if named is None:
            raise ValidationFailed.of("payment_id", "is not a payment of the invoice made through Stripe")
        if named.standing < amount:
            raise ValidationFailed.of("payment_id", f"holds {named.standing} of the invoice, less than {amount}")
        assert named.payment_id is not None
        return named.payment_id
    for held in reversed(online):
        if held.standing >= amount and held.payment_id:
            return held.payment_id
    raise Conflict(
        f"no payment of the invoice made through Stripe holds {amount} to refund; refund it by hand "
        "(manual_refund) or keep it as the customer's credit (credit_balance)"
    )


@dataclass(frozen=True)
class CreditTerms:
    """What the caller chose for a credit note beyond what it takes back."""

    reason: CreditReason
    memo: str = ""
    settlement: Settlement | None = None
    payment_id: str | None = None  # the payment a Stripe refund goes to
    manual_reference: str = ""
    refund_made: bool = False  # the money went back through Stripe already (a refund made the note)


def credit_note(
    invoice: Invoice,
    credit: Credit,
    terms: CreditTerms,
    *,
    number: str,
    sequence: int,
    now: datetime,
    actor: str,
    seller: Seller,
) -> tuple[CreditNote, Invoice]:
    """The numbered credit note and the invoice as it stands after it."""
    refusal = credit_refusal(invoice)
    if refusal and not (invoice.status is InvoiceStatus.VOID and terms.reason is CreditReason.VOID):
        raise Conflict("; ".join(refusal))
    total = credit.total
    if total <= 0:
        raise ValidationFailed.of("lines", "the credit note would take back nothing")
    if total > invoice.creditable:
        raise ValidationFailed.of("amount", f"exceeds what is left of the invoice to credit ({invoice.creditable})")
    due_before = invoice.amount_due if invoice.status.collectable else 0
    # A refund made at Stripe gave all of it back in money; what was due stays due.
    due_reduced = 0 if terms.refund_made else min(total, due_before)
    settled = total - due_reduced
    settlement = terms.settlement if settled else None
    if settled and settlement is None:
        raise ValidationFailed.of(
            "settlement",
            f"the credit note gives back {settled} already paid: choose refund, manual_refund or credit_balance",
        )
    payments = invoice.payments
    refund = None
    if settlement is Settlement.REFUND:
        payment_id = terms.payment_id
        if terms.refund_made:
            assert payment_id is not None
            refund = CreditRefund(payment_id, settled, RefundStatus.SUCCEEDED)
        else:
            payment_id = refundable_payment(invoice, settled, payment_id)
            refund = CreditRefund(payment_id, settled)
            payments = _given_back(payments, payment_id, settled)
    note = CreditNote(
        tenant_id=invoice.tenant_id,
        id=new_id("credit_note"),
        number=number,
        sequence=sequence,
        invoice_id=invoice.id,
        invoice_number=invoice.number or "",
        invoice_issued_on=invoice.issued_on or now.date(),
        customer_id=invoice.customer_id,
        currency=invoice.currency,
        recipient=invoice.recipient,
        issued_on=now.date(),
        created_at=now,
        created_by=actor,
        reason=terms.reason,
        lines=credit.lines,
        adjustments=credit.adjustments,
        rates=credit.rates,
        memo=terms.memo,
        full=not invoice.credits and total == invoice.total,
        due_reduced=due_reduced,
        settlement=settlement,
        settled=settled,
        refund=refund,
        manual_reference=terms.manual_reference if settlement is Settlement.MANUAL_REFUND else "",
        seller=seller,
        vat_treatment=invoice.vat_treatment,
        vat_treatment_note=invoice.vat_treatment_note,
    )
    return note, credited(invoice, note, payments, credit.quantities, now)


def _given_back(payments: tuple[InvoicePayment, ...], payment_id: str, amount: int) -> tuple[InvoicePayment, ...]:
    """The invoice's payments once ``amount`` of the ledger payment is refunded by a credit note."""
    return tuple(replace(p, refunded=p.refunded + amount) if p.payment_id == payment_id else p for p in payments)


def credited(
    invoice: Invoice,
    note: CreditNote,
    payments: tuple[InvoicePayment, ...],
    quantities: tuple[CreditedLine, ...],
    now: datetime,
) -> Invoice:
    """The invoice with the note's credit on it: its status follows (credited when nothing is left)."""
    record = InvoiceCredit(note.id, note.number, note.issued_on, note.total, quantities, note.rates)
    with_credit = replace(invoice, credits=(*invoice.credits, record), payments=payments)
    status = _status_for(with_credit, payments)
    return replace(
        with_credit,
        status=status,
        paid_at=invoice.paid_at or (now if status is InvoiceStatus.PAID else None),
        checkout_session_id=None if not status.collectable else invoice.checkout_session_id,
        updated_at=now,
    )


@dataclass(frozen=True)
class CreditNoteFilter:
    """AND across properties, OR within one (``reasons``)."""

    invoice_id: str | None = None
    customer_id: str | None = None
    reasons: tuple[str, ...] = ()
    settlements: tuple[str, ...] = ()
    created_from: str | None = None  # ISO dates: a note is issued the day it is made
    created_to: str | None = None
    ids: tuple[str, ...] = ()


# The credit-note export's columns, each read from the note (amounts in major units).
EXPORT_COLUMNS: dict[str, Callable[[CreditNote, date], object]] = {
    "id": lambda n, _: n.id,
    "number": lambda n, _: n.number,
    "issued_on": lambda n, _: n.issued_on.isoformat(),
    "invoice_id": lambda n, _: n.invoice_id,
    "invoice_number": lambda n, _: n.invoice_number,
    "invoice_issued_on": lambda n, _: n.invoice_issued_on.isoformat(),
    "reason": lambda n, _: n.reason.value,
    "full": lambda n, _: n.full,
    "customer_id": lambda n, _: n.customer_id,
    "customer_name": lambda n, _: n.recipient.name,
    "debtor_number": lambda n, _: n.recipient.debtor_number,
    "customer_vat_id": lambda n, _: n.recipient.vat_id,
    "vat_treatment": lambda n, _: n.vat_treatment.value,
    "currency": lambda n, _: n.currency.upper(),
    "net": lambda n, _: to_major(n.net, n.currency),
    "tax": lambda n, _: to_major(n.tax, n.currency),
    "total": lambda n, _: to_major(n.total, n.currency),
    "due_reduced": lambda n, _: to_major(n.due_reduced, n.currency),
    "settlement": lambda n, _: n.settlement.value if n.settlement else "",
    "settled": lambda n, _: to_major(n.settled, n.currency),
    "refund_status": lambda n, _: n.refund.status.value if n.refund else "",
    "manual_reference": lambda n, _: n.manual_reference,
    "last_sent_at": lambda n, _: n.last_sent_at.isoformat() if n.last_sent_at else "",
    "created_at": lambda n, _: n.created_at.isoformat(),
    "memo": lambda n, _: n.memo,
}
