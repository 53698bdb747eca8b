"""The DATEV export: what a German tax adviser imports into DATEV Rechnungswesen for a period,
as EXTF files (format version 700): a "Buchungsstapel" (data category 21) of the period's
invoices, credit notes and payments, and the debtors' master data ("Debitoren/Kreditoren", data
category 16).

Each invoice is booked once per VAT rate: its gross amount at that rate on the customer's debtor
account (debit, "S") against the revenue account of the rate and the invoice's VAT treatment.
A credit note is booked the same way on the credit side ("H"). A payment on an invoice is booked
from the money account (Stripe's clearing account, or the bank for a payment recorded by hand)
to the debtor, with the invoice's number in "Belegfeld 1" so DATEV clears the open item; a
credit note's refund goes back the other way. Money held as the customer's credit balance
stays on the debtor account: using it books nothing.

The default accounts are those of the charts SKR03 and SKR04 whose tax DATEV derives from the
account itself ("Automatikkonten": 8400 is revenue at 19 % in SKR03), so a booking carries no
tax key ("BU-Schlüssel"); an account the tenant sets in its place may name one. Columns follow
DATEV's field lists for format version 700 (Buchungsstapel 13, Debitoren/Kreditoren 5); the
files are Windows-1252 with ";" and the decimal comma, as DATEV reads them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from billing.domain.errors import FieldError
from billing.domain.invoices import Invoice, PaymentSource, Recipient, TaxAmount
from billing.domain.money import to_major
from billing.domain.vat import VatCategory, VatTreatment

FORMAT_VERSION = 700
BOOKINGS_CATEGORY, BOOKINGS_VERSION = 21, 13
DEBTORS_CATEGORY, DEBTORS_VERSION = 16, 5
ACCOUNT_LENGTH = 4  # "Sachkontenlänge": debtor accounts are one digit longer (10000-69999)
ORIGIN = "BI"  # "Herkunft": who made the file (DATEV replaces it with SV on import)

# What each account books, and its number in each chart (DATEV's standard charts).
ACCOUNT_KEYS = {
    "revenue_19": "revenue at 19 % VAT",
    "revenue_7": "revenue at 7 % VAT",
    "revenue_exempt": "tax-exempt revenue (a 0 % rate with an exemption)",
    "revenue_reverse_charge": "revenue from services taxed in another EU country (reverse charge)",
    "revenue_outside_eu": "revenue not taxable in Germany (outside the EU)",
    "revenue_small_business": "revenue of a small business (§ 19 UStG)",
    "revenue_oss": "revenue taxed in another EU country (One-Stop-Shop)",
    "payments_online": "Stripe's clearing account (Geldtransit)",
    "payments_bank": "the bank, for payments and refunds recorded by hand",
}
CHARTS: dict[str, dict[str, int]] = {
    "SKR03": {
        "revenue_19": 8400,
        "revenue_7": 8300,
        "revenue_exempt": 8100,
        "revenue_reverse_charge": 8336,
        "revenue_outside_eu": 8338,
        "revenue_small_business": 8195,
        "revenue_oss": 8320,
        "payments_online": 1360,
        "payments_bank": 1200,
    },
    "SKR04": {
        "revenue_19": 4400,
        "revenue_7": 4300,
        "revenue_exempt": 4100,
        "revenue_reverse_charge": 4336,
        "revenue_outside_eu": 4338,
        "revenue_small_business": 4186,
        "revenue_oss": 4320,
        "payments_online": 1460,
        "payments_bank": 1800,
    },
}


@dataclass(frozen=True)
class DatevAccount:
    number: int
    tax_key: str = ""  # "BU-Schlüssel", only where the account does not imply the tax


@dataclass(frozen=True)
class DatevSetup:
    """The tenant's DATEV data: adviser and client number, chart, fiscal year, and the accounts
    it books to (the chart's, unless the tenant set others)."""

    consultant_number: int
    client_number: int
    chart: str
    fiscal_year_start_month: int
    accounts: Mapping[str, DatevAccount]

    def fiscal_year_start(self, day: date) -> date:
        start = date(day.year, self.fiscal_year_start_month, 1)
        return start if start <= day else date(day.year - 1, self.fiscal_year_start_month, 1)


def datev_setup(
    consultant_number: int | None,
    client_number: int | None,
    chart: str,
    fiscal_year_start_month: int,
    overrides: Mapping[str, Mapping[str, object]],
) -> tuple[DatevSetup | None, list[FieldError]]:
    """The setup from the settings, or the fields that keep a DATEV export from being made."""
    errors = []
    if consultant_number is None:
        errors.append(FieldError("settings.datev_consultant_number", "the tax adviser's DATEV number is missing"))
    if client_number is None:
        errors.append(FieldError("settings.datev_client_number", "the client's DATEV number is missing"))
    if errors or consultant_number is None or client_number is None:
        return None, errors
    accounts = {key: DatevAccount(number) for key, number in CHARTS[chart].items()}
    for key, given in overrides.items():
        accounts[key] = DatevAccount(int(str(given["account"])), str(given.get("tax_key") or ""))
    return DatevSetup(consultant_number, client_number, chart, fiscal_year_start_month, accounts), []


@dataclass(frozen=True)
class Booking:
    """One line of the Buchungsstapel as DATEV reads it: ``amount`` (positive, in the document's
    currency) on ``account``, debit (S) or credit (H), against ``contra``."""

    amount: Decimal
    side: str  # "S" (debit) or "H" (credit) of ``account``
    account: int
    contra: int
    tax_key: str
    on: date  # Belegdatum
    document: str  # Belegfeld 1: the invoice's number clears its open item
    reference: str  # Belegfeld 2
    text: str  # Buchungstext
    currency: str
    supplied_on: date | None = None  # Leistungsdatum
    vat_id: str = ""  # EU-Land u. USt-IdNr., for EU bookings


def revenue_key(treatment: VatTreatment, amount: TaxAmount, *, oss: bool = False) -> str:
    """Which revenue account a rate of a document goes to, by its treatment and rate (``oss``:
    the buyer country's standard rate was charged, One-Stop-Shop)."""
    if treatment is VatTreatment.REVERSE_CHARGE:
        return "revenue_reverse_charge"
    if treatment is VatTreatment.OUTSIDE_EU:
        return "revenue_outside_eu"
    if treatment is VatTreatment.SMALL_BUSINESS:
        return "revenue_small_business"
    if amount.category is not VatCategory.STANDARD or amount.percentage == 0:
        return "revenue_exempt"
    if oss:
        return "revenue_oss"
    return "revenue_7" if amount.percentage == Decimal(7) else "revenue_19"


def _rated(
    document: Invoice, debtor: int, setup: DatevSetup, side: str, number: str, reference: str, text: str
) -> list[Booking]:
    bookings = []
    # The invoice's treatment note says when the buyer country's rate was charged (see treatments).
    oss = document.vat_treatment is VatTreatment.EU_CONSUMER and document.vat_treatment_note.endswith("; OSS")
    for amount in document.tax_amounts:
        gross = amount.net + amount.tax
        if gross == 0:
            continue
        revenue = setup.accounts[revenue_key(document.vat_treatment, amount, oss=oss)]
        # A negative part (a discount larger than its rate's lines) books the other way round.
        booked_side = side if gross > 0 else {"S": "H", "H": "S"}[side]
        bookings.append(
            Booking(
                amount=to_major(abs(gross), document.currency),
                side=booked_side,
                account=debtor,
                contra=revenue.number,
                tax_key=revenue.tax_key,
                on=document.issued_on or document.created_at.date(),
                document=number,
                reference=reference,
                text=text[:60],
                currency=document.currency.upper(),
                supplied_on=_supplied_on(document),
                vat_id=document.recipient.vat_id if document.vat_treatment is VatTreatment.REVERSE_CHARGE else "",
            )
        )
    return bookings


def _supplied_on(document: Invoice) -> date | None:
    ends = [line.period_end for line in document.lines if line.period_end]
    return max(ends) if ends else document.issued_on


def invoice_bookings(invoice: Invoice, debtor: int, setup: DatevSetup) -> list[Booking]:
    """The invoice's revenue per rate, charged to the debtor."""
    text = f"Rechnung {invoice.number} {invoice.recipient.name}"
    return _rated(invoice, debtor, setup, "S", invoice.number or "", "", text)


def credit_note_bookings(document: Invoice, debtor: int, setup: DatevSetup, invoice_number: str) -> list[Booking]:
    """A credit note (drawn as a document) takes revenue back per rate, credited to the debtor."""
    text = f"Gutschrift {document.number} zu {invoice_number} {document.recipient.name}"
    return _rated(document, debtor, setup, "H", document.number or "", invoice_number, text)


def payment_bookings(invoice: Invoice, debtor: int, setup: DatevSetup, start: date, end: date) -> list[Booking]:
    """The payments on the invoice made in the period, each from its money account to the debtor
    (clearing the invoice's open item). Credit the customer held books nothing: it was on the
    debtor account already."""
    bookings = []
    for payment in invoice.payments:
        if not start <= payment.paid_on <= end or payment.source is PaymentSource.CREDIT_BALANCE:
            continue
        account = setup.accounts["payments_online" if payment.source is PaymentSource.ONLINE else "payments_bank"]
        bookings.append(
            Booking(
                amount=to_major(payment.amount, invoice.currency),
                side="S",
                account=account.number,
                contra=debtor,
                tax_key="",
                on=payment.paid_on,
                document=invoice.number or "",
                reference=payment.reference[:36],
                text=f"Zahlung {invoice.number} {invoice.recipient.name}"[:60],
                currency=invoice.currency.upper(),
            )
        )
    return bookings


def refund_booking(
    amount: int, currency: str, on: date, online: bool, debtor: int, setup: DatevSetup, note_number: str, name: str
) -> Booking:
    """Money a credit note gave back: from the debtor to the money account it went out of."""
    account = setup.accounts["payments_online" if online else "payments_bank"]
    return Booking(
        amount=to_major(amount, currency),
        side="H",
        account=account.number,
        contra=debtor,
        tax_key="",
        on=on,
        document=note_number,
        reference="",
        text=f"Erstattung {note_number} {name}"[:60],
        currency=currency.upper(),
    )


# ---------------------------------------------------------------- the files


def _header(
    category: int,
    name: str,
    version: int,
    setup: DatevSetup,
    created: datetime,
    user: str,
    start: date | None,
    end: date | None,
    title: str,
) -> list[object]:
    fiscal_start = setup.fiscal_year_start(start or created.date())
    dated = category == BOOKINGS_CATEGORY
    return [
        "EXTF",
        FORMAT_VERSION,
        category,
        name,
        version,
        created.strftime("%Y%m%d%H%M%S") + f"{created.microsecond // 1000:03d}",
        None,
        ORIGIN,
        user[:25],
        "",
        setup.consultant_number,
        setup.client_number,
        fiscal_start.strftime("%Y%m%d"),
        ACCOUNT_LENGTH,
        start.strftime("%Y%m%d") if dated and start else None,
        end.strftime("%Y%m%d") if dated and end else None,
        title[:30],
        "",
        1 if dated else None,  # Buchungstyp: financial accounting
        0 if dated else None,  # Rechnungslegungszweck: none in particular
        0 if dated else None,  # Festschreibung: the adviser fixes the bookings
        "EUR" if dated else "",
        None,
        "",
        None,
        None,
        setup.chart.removeprefix("SKR"),
        None,
        None,
        "",
        "",
    ]


BOOKING_COLUMNS = [
    "Umsatz (ohne Soll/Haben-Kz)",
    "Soll/Haben-Kennzeichen",
    "WKZ Umsatz",
    "Kurs",
    "Basis-Umsatz",
    "WKZ Basis-Umsatz",
    "Konto",
    "Gegenkonto (ohne BU-Schlüssel)",
    "BU-Schlüssel",
    "Belegdatum",
    "Belegfeld 1",
    "Belegfeld 2",
    "Skonto",
    "Buchungstext",
    "Postensperre",
    "Diverse Adressnummer",
    "Geschäftspartnerbank",
    "Sachverhalt",
    "Zinssperre",
    "Beleglink",
    *[f"Beleginfo - {part} {n}" for n in range(1, 9) for part in ("Art", "Inhalt")],
    "KOST1 - Kostenstelle",
    "KOST2 - Kostenstelle",
    "Kost-Menge",
    "EU-Land u. UStID (Bestimmung)",
    "EU-Steuersatz (Bestimmung)",
    "Abw. Versteuerungsart",
    "Sachverhalt L+L",
    "Funktionsergänzung L+L",
    "BU 49 Hauptfunktionstyp",
    "BU 49 Hauptfunktionsnummer",
    "BU 49 Funktionsergänzung",
    *[f"Zusatzinformation - {part} {n}" for n in range(1, 21) for part in ("Art", "Inhalt")],
    "Stück",
    "Gewicht",
    "Zahlweise",
    "Forderungsart",
    "Veranlagungsjahr",
    "Zugeordnete Fälligkeit",
    "Skontotyp",
    "Auftragsnummer",
    "Buchungstyp",
    "USt-Schlüssel (Anzahlungen)",
    "EU-Mitgliedstaat (Anzahlungen)",
    "Sachverhalt L+L (Anzahlungen)",
    "EU-Steuersatz (Anzahlungen)",
    "Erlöskonto (Anzahlungen)",
    "Herkunft-Kz",
    "Buchungs GUID",
    "KOST-Datum",
    "SEPA-Mandatsreferenz",
    "Skontosperre",
    "Gesellschaftername",
    "Beteiligtennummer",
    "Identifikationsnummer",
    "Zeichnernummer",
    "Postensperre bis",
    "Bezeichnung SoBil-Sachverhalt",
    "Kennzeichen SoBil-Buchung",
    "Festschreibung",
    "Leistungsdatum",
    "Datum Zuord. Steuerperiode",
    "Fälligkeit",
    "Generalumkehr (GU)",
    "Steuersatz",
    "Land",
    "Abrechnungsreferenz",
    "BVV-Position",
    "EU-Land u. UStID (Ursprung)",
    "EU-Steuersatz (Ursprung)",
    "Abw. Skontokonto",
]
_BOOKING_AT = {name: i for i, name in enumerate(BOOKING_COLUMNS)}


def _decimal(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f").replace(".", ",")


def booking_row(booking: Booking) -> list[object]:
    row: list[object] = [None] * len(BOOKING_COLUMNS)
    values = {
        "Umsatz (ohne Soll/Haben-Kz)": _decimal(booking.amount),
        "Soll/Haben-Kennzeichen": booking.side,
        "WKZ Umsatz": booking.currency,
        "Konto": booking.account,
        "Gegenkonto (ohne BU-Schlüssel)": booking.contra,
        "BU-Schlüssel": booking.tax_key,
        "Belegdatum": booking.on.strftime("%d%m"),
        "Belegfeld 1": booking.document[:36],
        "Belegfeld 2": booking.reference[:12],
        "Buchungstext": booking.text,
        "EU-Land u. UStID (Bestimmung)": booking.vat_id.replace(" ", "")[:15],
        "Festschreibung": 0,
        "Leistungsdatum": booking.supplied_on.strftime("%d%m%Y") if booking.supplied_on else None,
    }
    for name, value in values.items():
        row[_BOOKING_AT[name]] = value
    return row


DEBTOR_COLUMNS = [
    "Konto",
    "Name (Adressatentyp Unternehmen)",
    "Unternehmensgegenstand",
    "Name (Adressatentyp natürl. Person)",
    "Vorname (Adressatentyp natürl. Person)",
    "Name (Adressatentyp keine Angabe)",
    "Adressatentyp",
    "Kurzbezeichnung",
    "EU-Land",
    "EU-UStID",
    "Anrede",
    "Titel/Akad. Grad",
    "Adelstitel",
    "Namensvorsatz",
    "Adressart",
    "Straße",
    "Postfach",
    "Postleitzahl",
    "Ort",
    "Land",
    "Versandzusatz",
    "Adresszusatz",
    "Abweichende Anrede",
    "Abw. Zustellbezeichnung 1",
    "Abw. Zustellbezeichnung 2",
    "Kennz. Korrespondenzadresse",
    "Adresse Gültig von",
    "Adresse Gültig bis",
    "Telefon",
    "Bemerkung (Telefon)",
    "Telefon GL",
    "Bemerkung (Telefon GL)",
    "E-Mail",
    "Bemerkung (E-Mail)",
    "Internet",
    "Bemerkung (Internet)",
    "Fax",
    "Bemerkung (Fax)",
    "Sonstige",
    "Bemerkung (Sonstige)",
]
_DEBTOR_AT = {name: i for i, name in enumerate(DEBTOR_COLUMNS)}


@dataclass(frozen=True)
class Debtor:
    number: int
    recipient: Recipient
    company: bool


def debtor_row(debtor: Debtor) -> list[object]:
    """The debtor's master data: its account, name as company or person, VAT id and address."""
    r = debtor.recipient
    row: list[object] = [""] * len(DEBTOR_COLUMNS)
    vat_id = r.vat_id.replace(" ", "")
    values: dict[str, object] = {
        "Konto": debtor.number,
        "Adressatentyp": "2" if debtor.company else "1",
        "Kurzbezeichnung": (r.company_name or r.name)[:15],
        "EU-Land": vat_id[:2] if vat_id[:2].isalpha() else "",
        "EU-UStID": vat_id[2:] if vat_id[:2].isalpha() else "",
        "Adressart": "STR",
        "Straße": " ".join(p for p in (r.line1, r.line2) if p)[:36],
        "Postleitzahl": r.postal_code[:10],
        "Ort": r.city[:30],
        "Land": r.country[:2],
        "E-Mail": r.email[:60],
    }
    if debtor.company:
        values["Name (Adressatentyp Unternehmen)"] = (r.company_name or r.name)[:50]
    else:
        first, _, last = r.name.rpartition(" ")
        values["Name (Adressatentyp natürl. Person)"] = (last or r.name)[:30]
        values["Vorname (Adressatentyp natürl. Person)"] = first[:30]
    for name, value in values.items():
        row[_DEBTOR_AT[name]] = value
    return row


def extf_file(header: Sequence[object], columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An EXTF file as DATEV reads it: the header line, the column names, the rows; ";" between
    fields, text in double quotes, CRLF, Windows-1252 (a character it lacks becomes "?")."""

    def field(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return '"' + value.replace('"', '""') + '"'
        return str(value)

    lines = [";".join(field(v) for v in header), ";".join(columns)]
    lines += [";".join(field(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


def bookings_file(
    bookings: Sequence[Booking], setup: DatevSetup, created: datetime, user: str, start: date, end: date
) -> bytes:
    title = f"Billow {start.isoformat()} - {end.isoformat()}"
    header = _header(BOOKINGS_CATEGORY, "Buchungsstapel", BOOKINGS_VERSION, setup, created, user, start, end, title)
    return extf_file(header, BOOKING_COLUMNS, (booking_row(b) for b in bookings))


def debtors_file(debtors: Sequence[Debtor], setup: DatevSetup, created: datetime, user: str) -> bytes:
    header = _header(
        DEBTORS_CATEGORY, "Debitoren/Kreditoren", DEBTORS_VERSION, setup, created, user, None, None, "Debitoren"
    )
    return extf_file(header, DEBTOR_COLUMNS, (debtor_row(d) for d in debtors))
