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
