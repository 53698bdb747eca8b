"""The tenant's email templates: text with named placeholders such as ``{number}``, and nothing
else. A placeholder is a name from a fixed list, replaced by its value as text: no attribute or
item access, no format specification, no expression, so a template written by a tenant's admin
can neither reach Python objects nor make a message of any size."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from billing.domain.errors import FieldError

# What an invoice email may say about its invoice; each value is short text made by Billow.
INVOICE_EMAIL_PLACEHOLDERS = ("number", "business_name", "total", "due_date")
# The longest subject and message a filled template may make (beyond that it is cut).
MAX_SUBJECT_LENGTH = 250
MAX_MESSAGE_LENGTH = 10_000

# A brace pair with anything but braces inside it: a placeholder, or something that looks like one.
_BRACED = re.compile(r"\{([^{}]*)\}")


def placeholder_errors(
    field: str, template: str, allowed: Sequence[str] = INVOICE_EMAIL_PLACEHOLDERS
) -> list[FieldError]:
    """One error naming each braced name of ``template`` that is not a placeholder."""
    unknown = [name for name in dict.fromkeys(_BRACED.findall(template)) if name not in allowed]
    if not unknown:
        return []
    known = ", ".join(f"{{{name}}}" for name in allowed)
    shown = ", ".join(f"{{{name}}}" for name in unknown)
    return [FieldError(field, f"unknown placeholder {shown}; the placeholders are {known}")]


def filled(template: str, values: Mapping[str, str], max_length: int) -> str:
    """The template with each known placeholder replaced by its value; anything else in braces
    stays as written (a template saved before placeholders were checked), and the result is cut
    at ``max_length``."""

    def value_of(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return _BRACED.sub(value_of, template)[:max_length]
