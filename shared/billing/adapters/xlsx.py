"""XLSX files through openpyxl, imported only when a file is written (it costs cold-start time)."""

from __future__ import annotations

import io
from collections.abc import Sequence


class OpenpyxlWriter:
    def to_xlsx(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title)
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
