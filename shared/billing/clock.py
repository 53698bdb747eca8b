"""The clock every service reads. A sandbox tenant's test clock (its own "today", moved on by
``POST /v1/test-clock/advance``) is set for the work done on that tenant's behalf - its requests,
its billing days - and nothing else: the date moves, the time of day is the real one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime

_TODAY: ContextVar[date | None] = ContextVar("test_clock_today", default=None)


class SystemClock:
    def now(self) -> datetime:
        real = datetime.now(UTC)
        today = _TODAY.get()
        return real if today is None else datetime.combine(today, real.timetz())


def clock_override() -> date | None:
    """The test clock's day in force here, if any."""
    return _TODAY.get()


def set_clock(today: date | None) -> None:
    """For the rest of the current request (the handler resets it when the request ends)."""
    _TODAY.set(today)


@contextmanager
def clock_at(today: date | None) -> Iterator[None]:
    token = _TODAY.set(today)
    try:
        yield
    finally:
        _TODAY.reset(token)
