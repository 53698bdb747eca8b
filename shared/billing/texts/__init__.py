"""Every text a buyer reads, in one catalogue: the PDF (``document``), the hosted invoice and
payment-method pages (``page``) and every email (``mail``), in the tenant's language. Each language
is one module (en.py, de.py) holding the same keys with the same placeholders; a language Billow
does not have reads English. Billow's own records (histories, timelines, errors) stay English.

Placeholders are filled with ``str.format`` from Billow's own values only; a tenant's own email
templates go through billing.domain.templates instead."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import import_module
from typing import Any

from billing.domain.payments import PaymentMethod

LANGUAGES = ("en", "de")
FALLBACK = "en"
SECTIONS = ("document", "page", "mail")


class Texts(Mapping[str, str]):
    """One section of the catalogue in one language: ``texts["pay"]``, or ``texts("paid", date=…)``
    with its placeholders filled."""

    def __init__(self, language: str, section: str, words: Mapping[str, str]):
        self.language = language
        self.section = section
        self._words = words

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)

    def __call__(self, key: str, **values: Any) -> str:
        return self._words[key].format(**values)


def language_of(locale: str) -> str:
    """The catalogue language of a locale: de of de_DE or de-AT; English for any Billow lacks."""
    language = (locale or FALLBACK).replace("-", "_").split("_")[0].casefold()
    return language if language in LANGUAGES else FALLBACK


@cache
def catalogue(language: str) -> dict[str, dict[str, str]]:
    """All sections of one language."""
    texts: dict[str, dict[str, str]] = import_module(f"billing.texts.{language}").TEXTS
    return texts


@cache
def texts(locale: str, section: str) -> Texts:
    """The ``section`` of the catalogue in ``locale``'s language."""
    if section not in SECTIONS:
        raise KeyError(f"no section {section!r}; the sections are {', '.join(SECTIONS)}")
    language = language_of(locale)
    return Texts(language, section, catalogue(language)[section])


def tax_label(name: str, percentage: str, vat_word: str) -> str:
    """A tax line as the rate's name, or the language's word for VAT and the percentage, once:
    "USt. 19 %", not "USt 19 % 19 %" (a name that holds its percentage) or "Tax 19 %" (no name)."""
    if "%" in name:
        return name
    plain = name.strip().rstrip(".").casefold()
    if plain in ("", "tax", "vat", "ust", "mwst"):
        name = vat_word
    return f"{name} {percentage}"


def how_paid(method: str, source: str) -> str:
    """The ``document`` key of how a payment was made (card, sepa, transfer…), from what was
    recorded of it."""
    described = method.casefold()
    for words, label in (
        (("sepa", "direct_debit", "lastschrift"), "sepa"),
        (("card", "visa", "mastercard", "amex"), "card"),
        (("bank_transfer", "transfer"), "transfer"),
        (("cash",), "cash"),
        (("check", "cheque"), "cheque"),
    ):
        if any(word in described for word in words):
            return label
    return "card" if source == "online" else "other"


def paid_with(method: str, source: str, words: Texts) -> str:
    """How a payment was made, in the ``document`` texts: "Karte •••• 4242", "SEPA-Lastschrift"."""
    label = words[how_paid(method, source)]
    digits = re.search(r"•••• ?(\d{4})", method)
    return f"{label} •••• {digits.group(1)}" if digits else label


def method_label(method: PaymentMethod, words: Texts) -> str:
    """A saved payment method as the buyer reads it (``page`` texts): "Visa card •••• 4242,
    valid until 12/2029", "SEPA-Lastschrift von DE •••• 3000, BLZ 37040044"."""
    if method.type == "card":
        expiry = f"{method.exp_month:02d}/{method.exp_year}"
        return words("card", brand=method.brand.title(), last4=method.last4, expiry=expiry)
    if method.type == "sepa_debit":
        key = "sepa_debit_bank" if method.bank_code else "sepa_debit"
        return words(key, country=method.country, last4=method.last4, bank_code=method.bank_code)
    return words("other_method", type=method.type, last4=method.last4)
