"""Exports: a file in the export bucket behind a presigned link that expires."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from billing.domain.errors import FieldError, ValidationFailed
from billing.domain.ids import new_id
from billing.domain.invoices import TaxAmount
from billing.domain.money import to_major
from billing.domain.vat import VatCategory
from billing.ports import Clock, FileStore, SpreadsheetWriter

R = TypeVar("R")

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}


@dataclass(frozen=True)
class Export:
    url: str
    expires_at: str
    rows: int


def export_table(
    columns: Mapping[str, Callable[[R, date], object]],
    records: Iterable[R],
    today: date,
    chosen: Sequence[str] = (),
) -> tuple[list[str], list[list[object]]]:
    """The header row and one row per record: the ``chosen`` columns (all when none), each cell
    read from the record as it stands ``today``. Every export declares its columns this one way."""
    headers = list(chosen or columns)
    return headers, [[columns[name](record, today) for name in headers] for record in records]


def per_rate_columns(
    records: Sequence[R], tax_amounts: Callable[[R], Sequence[TaxAmount]], currency: Callable[[R], str]
) -> dict[str, Callable[[R, date], object]]:
    """A net and a VAT column for each VAT rate the records hold, highest rate first: "net_19" and
    "vat_19" for 19 % standard-rated, "net_0_AE" for a reverse charge's, so a bookkeeper sees what
    was booked per rate (a record without the rate shows 0)."""
    rates: dict[str, tuple[Decimal, str]] = {}
    for record in records:
        for amount in tax_amounts(record):
            rates.setdefault(rate_label(amount), (amount.percentage, amount.category.value))
    columns: dict[str, Callable[[R, date], object]] = {}
    for label in sorted(rates, key=lambda name: (-rates[name][0], rates[name][1])):
        for part in ("net", "vat"):
            columns[f"{part}_{label}"] = _rate_cell(label, part, tax_amounts, currency)
    return columns


RATES = "rates"  # a chosen column that stands for the net and VAT columns of every rate


def rated_table(
    columns: Mapping[str, Callable[[R, date], object]],
    records: Iterable[R],
    today: date,
    chosen: Sequence[str],
    tax_amounts: Callable[[R], Sequence[TaxAmount]],
    currency: Callable[[R], str],
) -> tuple[list[str], list[list[object]]]:
    """``export_table`` of documents that charge VAT: ``rates`` (and, when no column is chosen, the
    end of the table) is a net and a VAT column per rate. 422 names each column there is not."""
    unknown = [
        FieldError(f"columns.{i}", "no such column") for i, c in enumerate(chosen) if c not in columns and c != RATES
    ]
    if unknown:
        raise ValidationFailed(unknown)
    held = list(records)
    rates = per_rate_columns(held, tax_amounts, currency)
    return export_table({**columns, **rates}, held, today, with_rates(chosen, list(columns), rates))


def with_rates(chosen: Sequence[str], every: Sequence[str], rates: Mapping[str, object]) -> list[str]:
    """The columns to write: those chosen (all, then the rates, when none), ``rates`` expanded."""
    names: list[str] = []
    for name in chosen or [*every, RATES]:
        names.extend(rates if name == RATES else [name])
    return names


def rate_label(amount: TaxAmount) -> str:
    percent = format(amount.percentage.normalize(), "f")
    return percent if amount.category is VatCategory.STANDARD else f"{percent}_{amount.category.value}"


def _rate_cell(
    label: str, part: str, tax_amounts: Callable[[R], Sequence[TaxAmount]], currency: Callable[[R], str]
) -> Callable[[R, date], object]:
    def cell(record: R, _: date) -> object:
        held = [a for a in tax_amounts(record) if rate_label(a) == label]
        minor = sum(a.net if part == "net" else a.tax for a in held)
        return to_major(minor, currency(record))

    return cell


def spreadsheet(
    writer: SpreadsheetWriter,
    file_format: str,
    sheet: str,
    headers: list[str],
    rows: list[list[object]],
    *,
    decimal_comma: bool = False,
) -> bytes:
    if file_format == "csv":
        return writer.to_csv(headers, rows, decimal_comma=decimal_comma)
    return writer.to_xlsx(sheet, headers, rows)


def stored_export(
    files: FileStore, clock: Clock, tenant_id: str, what: str, file_format: str, body: bytes, rows: int, seconds: int
) -> Export:
    key = f"exports/{tenant_id}/{what}/{new_id('export')}.{file_format}"
    files.put(key, body, CONTENT_TYPES[file_format])
    expires_at = (clock.now() + timedelta(seconds=seconds)).isoformat()
    return Export(url=files.download_url(key, seconds), expires_at=expires_at, rows=rows)
