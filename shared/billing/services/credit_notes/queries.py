"""Reading credit notes: one, and a filtered page, newest first."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from billing.domain.access import Caller, Permission
from billing.domain.credit_notes import CreditNote, CreditNoteFilter
from billing.domain.paging import Page
from billing.ports import CreditNoteRepository


@dataclass(frozen=True)
class CreditNoteQueries:
    notes: CreditNoteRepository

    def get(self, caller: Caller, credit_note_id: str) -> CreditNote:
        caller.require(Permission.READ)
        return self.notes.get(caller.tenant_id, credit_note_id)

    def list(self, caller: Caller, where: CreditNoteFilter, *, limit: int, cursor: str | None) -> Page[CreditNote]:
        caller.require(Permission.READ)
        return self.notes.list(caller.tenant_id, where, limit=limit, cursor=cursor)

    def all(self, caller: Caller, where: CreditNoteFilter) -> Iterator[CreditNote]:
        caller.require(Permission.READ)
        return self.notes.all(caller.tenant_id, where)
