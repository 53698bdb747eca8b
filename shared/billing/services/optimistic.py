"""Optimistic concurrency: read, change and save over the version read; a concurrent save
makes it read and decide again (up to SAVE_ATTEMPTS times)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from billing.domain.errors import StaleWrite

R = TypeVar("R")
SAVE_ATTEMPTS = 5


def change_with_retry(
    read: Callable[[], R], change: Callable[[R], tuple[Any, ...]], save: Callable[..., R], what: str
) -> R:
    """``change(record)`` answers the changed record and what is saved with it (history and
    timeline entries), or the record itself when there is nothing to change."""
    for _ in range(SAVE_ATTEMPTS):
        record = read()
        updated, *entries = change(record)
        if updated is record:
            return record
        try:
            return save(updated, *entries)
        except StaleWrite:
            continue
    raise StaleWrite(what)
