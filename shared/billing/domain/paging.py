"""Opaque list cursors. A cursor carries only the last item's sort position; the adapter rebuilds
the full start key from the caller's tenant, so a cursor can never reach another tenant's data."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from billing.domain.errors import ValidationFailed

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(position: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, expected_keys: set[str]) -> dict[str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ValidationFailed.of("cursor", "is not a cursor this API issued") from None
    if (
        not isinstance(position, dict)
        or set(position) != expected_keys
        or not all(isinstance(v, str) and 0 < len(v) <= 200 for v in position.values())
    ):
        raise ValidationFailed.of("cursor", "is not a cursor this API issued")
    return position
