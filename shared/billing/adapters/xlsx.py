"""XLSX files through openpyxl, imported only when a file is written (it costs cold-start time), and CSV.

Every text cell is written as text, never as a formula: a value that starts with ``=``, ``+``,
``-``, ``@``, tab or carriage return (OWASP's CSV-injection list) is also marked quote-prefixed,
so a spreadsheet program keeps it text even when the cell is edited. Characters XML cannot hold
become U+FFFD instead of breaking the file."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class OpenpyxlWriter:
    def to_xlsx(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title)

        def cell(value: object) -> object:
            if not isinstance(value, str):
                return value
            text = WriteOnlyCell(sheet, value=None)
            text.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
            text.data_type = "s"
            text.quotePrefix = value.startswith(FORMULA_TRIGGERS)
            return text

        for row in (headers, *rows):
            sheet.append([cell(v) for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def to_csv(self, headers: Sequence[str], rows: Sequence[Sequence[object]], *, decimal_comma: bool = False) -> bytes:
        """UTF-8 with a byte-order mark (spreadsheet programs then read umlauts right); a text that
        would start a formula is prefixed with an apostrophe, as OWASP advises for CSV. With a
        decimal comma (German spreadsheets), amounts read 1234,50 and fields are split by ";"."""
        import csv

        def field(value: object) -> object:
            if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                return "'" + value
            if decimal_comma and isinstance(value, Decimal):
                return format(value, "f").replace(".", ",")
            return value

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", delimiter=";" if decimal_comma else ",")
        for row in (headers, *rows):
            writer.writerow([field(v) for v in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
