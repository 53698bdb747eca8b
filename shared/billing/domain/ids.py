"""Sortable, prefixed identifiers (``cus_01J...``): a ULID keeps creation order in the id."""

from __future__ import annotations

import re

from ulid import ULID

PREFIXES = {
    "customer": "cus",
    "address": "adr",
    "product": "prod",
    "tax_rate": "txr",
    "event": "evt",
    "export": "exp",
    "subscription": "sub",
    "invoice": "inv",
    "payment": "pay",
    "invoice_payment": "ipay",
    "refund": "rfd",
    "credit_note": "cn",
}

_ID_PATTERN = re.compile(r"^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$")


def new_id(kind: str) -> str:
    return f"{PREFIXES[kind]}_{ULID()}"


def is_valid_id(kind: str, value: str) -> bool:
    return bool(_ID_PATTERN.match(value)) and value.startswith(PREFIXES[kind] + "_")
