"""The XLSX writer: text stays text, and no stored character can break a file."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from billing.adapters.xlsx import OpenpyxlWriter


def written(*values: object) -> list:
    data = OpenpyxlWriter().to_xlsx("Sheet", ["h"] * len(values), [list(values)])
    return list(load_workbook(io.BytesIO(data)).active.iter_rows())[1]


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://evil.example/x","click")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"]
)
def test_formula_like_text_is_written_as_quote_prefixed_text(value):
    (cell,) = written(value)
    assert cell.data_type == "s"
    assert cell.quotePrefix
    assert cell.value == value  # lxml (pinned with factur-x) keeps a lone CR as written


def test_plain_text_numbers_and_dates_keep_their_types():
    text, number = written("Muster GmbH", 42)
    assert (text.data_type, text.value, text.quotePrefix) == ("s", "Muster GmbH", False)
    assert (number.data_type, number.value) == ("n", 42)


@pytest.mark.parametrize("value", ["A\u0000B", "A\u001bB", "\u0008"])
def test_control_characters_stored_before_the_text_rules_cannot_break_an_export(value):
    (cell,) = written(value)
    assert "\ufffd" in cell.value


def test_a_csv_with_decimal_comma_reads_as_german_spreadsheets_expect():
    from decimal import Decimal

    body = OpenpyxlWriter().to_csv(
        ["Nummer", "Betrag"], [["RE-1", Decimal("1234.50")], ["=1", Decimal("-0.05")]], decimal_comma=True
    )
    assert body.decode("utf-8-sig") == "Nummer;Betrag\r\nRE-1;1234,50\r\n'=1;-0,05\r\n"
    plain = OpenpyxlWriter().to_csv(["Betrag"], [[Decimal("1234.50")]])
    assert plain.decode("utf-8-sig") == "Betrag\r\n1234.50\r\n"


def test_each_rate_gets_a_net_and_a_vat_column_highest_rate_first_a_reverse_charge_apart():
    from datetime import date
    from decimal import Decimal

    from billing.domain.invoices import TaxAmount
    from billing.domain.vat import VatCategory
    from billing.services.exports import per_rate_columns, with_rates

    records = [
        [TaxAmount("USt", Decimal(7), False, 5000, 350), TaxAmount("USt", Decimal(19), False, 10000, 1900)],
        [TaxAmount("", Decimal(0), False, 2000, 0, category=VatCategory.REVERSE_CHARGE)],
    ]
    rates = per_rate_columns(records, lambda r: r, lambda _: "eur")
    assert list(rates) == ["net_19", "vat_19", "net_7", "vat_7", "net_0_AE", "vat_0_AE"]
    assert [rates[name](records[0], date.today()) for name in rates] == [100, 19, 50, Decimal("3.5"), 0, 0]
    assert with_rates(["number", "rates", "total"], ["number", "total"], rates)[1:3] == ["net_19", "vat_19"]
