"""Building blocks every request and response schema shares."""

from __future__ import annotations

import datetime as dt
import re
import typing
import unicodedata
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from billing.domain.limits import MAX_AMOUNT_SUM
from billing.domain.money import MAX_AMOUNT
from billing.http.contract import CODE_LIST_MARK
from billing.http.contract import omittable as omittable  # re-exported: the schemas take it from here

T = TypeVar("T")

# How text is accepted everywhere: NFC; no control characters (long texts keep newline and tab,
# and CRLF becomes LF); no lone surrogates; a non-blank value shows at least one visible character.
_LINE_BREAKS = {"Zl", "Zp"}
_NOT_SHOWN = {"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"}
# Letters that render as nothing (Hangul fillers, the braille blank): a favourite of fake names.
_BLANK_LETTERS = set("\u115f\u1160\u3164\uffa0\u2800")


def _text(value: str, *, multiline: bool) -> str:
    if multiline:
        value = value.replace("\r\n", "\n")
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            raise ValueError("must be valid Unicode text (it holds a lone surrogate)")
        if category == "Cc" and not (multiline and char in "\n\t"):
            raise ValueError(f"must not contain control characters (found U+{ord(char):04X})")
        if category in _LINE_BREAKS and not multiline:
            raise ValueError(f"must be a single line (found U+{ord(char):04X})")
    value = unicodedata.normalize("NFC", value)
    if value and all(unicodedata.category(c) in _NOT_SHOWN or c in _BLANK_LETTERS for c in value):
        raise ValueError("must contain visible characters")
    return value


def _single_line(value: str) -> str:
    return _text(value, multiline=False)


def _multi_line(value: str) -> str:
    return _text(value, multiline=True)


_NO_CONTROLS = r"^[^\x00-\x1f\x7f-\x9f]*$"
_NO_CONTROLS_BUT_NEWLINE_AND_TAB = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_single_line),
    Field(json_schema_extra={"pattern": _NO_CONTROLS}),
]
LongText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=5000),
    AfterValidator(_multi_line),
    Field(json_schema_extra={"pattern": _NO_CONTROLS_BUT_NEWLINE_AND_TAB}),
]


def _iso_country(value: str) -> str:
    from iso3166 import countries_by_alpha2

    if value and value not in countries_by_alpha2:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


CountryCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^([A-Za-z]{2})?$"),
    AfterValidator(_iso_country),
    Field(json_schema_extra={CODE_LIST_MARK: "CountryCode"}),
]

# Decimal strings (unit prices with up to six decimals, percentages, quantities): ASCII digits, an
# optional sign and point, no exponent, no separators. Each value's range is the domain's to check.
DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$"
_DECIMAL = re.compile(DECIMAL_PATTERN)


def _decimal_text(value: str) -> str:
    if not _DECIMAL.match(value):
        raise ValueError("must be a decimal number written with the digits 0-9 and an optional point, like 11.90")
    return value


DecimalString = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=29),
    AfterValidator(_decimal_text),
    Field(json_schema_extra={"pattern": DECIMAL_PATTERN}),
]

# Numbers and flags are taken as JSON writes them: true is not 1, 0 is not false, "12" is not 12.
RateCategory = Annotated[
    Literal["S", "Z", "E"],
    Field(description="S standard (above 0 %), Z zero-rated, E exempt (names its exemption); omitted: S, at 0 % E"),
]
VatCategoryCode = Annotated[
    Literal["S", "Z", "E", "AE", "G", "O"],
    Field(description="EN 16931's VAT category: S standard, Z zero, E exempt, AE reverse charge, G export, O outside"),
]
ExemptionReason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    Field(description="At 0 %: why no VAT is charged, as the buyer reads it, e.g. 'Steuerfrei nach § 4 Nr. 14 UStG'"),
]
ExemptionCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, max_length=30),
    Field(description="An exempt rate's VATEX code (CEF's list), e.g. VATEX-EU-132-1I"),
]


def _checked_vat_id(value: str) -> str:
    """An EU VAT id (its member state's prefix, EL for Greece, XI for Northern Ireland) must pass
    its country's format and check digit (python-stdnum); another country's tax id is kept as written."""
    from stdnum.eu import vat

    from billing.domain.customers import checkable_vat_id

    compact = vat.compact(value) if value else value
    if checkable_vat_id(compact):
        if not vat.is_valid(compact):
            raise ValueError(f"{value!r} is not a valid VAT id of {compact[:2]} (its format or check digit)")
        return compact
    return value


VatId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, max_length=30, pattern=r"^[A-Za-z0-9 .\-]*$"),
    AfterValidator(_checked_vat_id),
]
Integer = StrictInt
Flag = StrictBool

# Money in minor units. What one payment carries is bounded once (billing.domain.money.MAX_AMOUNT):
# an amount taken is refused above it; an amount answered (a line, an adjustment, a total) never
# exceeds it, since the money engine refuses a document that would. A sum over a document's payments
# (future payments, contract values, metrics, a day of a schedule) is bounded by MAX_AMOUNT_SUM.
# The document states both as int64 with their maximum; answers are not checked against them
# again, so a record stored before the bound still reads.
AmountIn = Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT, json_schema_extra={"format": "int64"})]
Amount = Annotated[int, Field(json_schema_extra={"format": "int64", "maximum": MAX_AMOUNT})]
AmountSum = Annotated[int, Field(json_schema_extra={"format": "int64", "maximum": MAX_AMOUNT_SUM})]

# Billing happens between these days; anything outside is a typo (and far dates overflow schedules).
EARLIEST_DAY, LATEST_DAY = dt.date(2000, 1, 1), dt.date(2199, 12, 31)


def _day_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


Day = Annotated[dt.date, BeforeValidator(_day_text), Field(ge=EARLIEST_DAY, le=LATEST_DAY)]


def _email_or_blank(value: str) -> str:
    if not value:
        return value
    from email_validator import EmailNotValidError, validate_email  # on first use: ~40 ms of import

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from None


# Optional email: blank, or an address email-validator accepts (normalised, e.g. the domain lower-cased).
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_email_or_blank)]
# Checked against ISO 4217 by the domain; documented as the CurrencyCode enum (billing.http.contract).
CurrencyCode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^([a-z]{3}|[A-Z]{3})$"),
    Field(json_schema_extra={CODE_LIST_MARK: "CurrencyCode"}),
]


# defer_build: a model's validator is built on first use, not at import (cold starts pay only for
# the models the request at hand needs).
class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ListPage(Response, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to fetch the next page; null on the last page")


M = TypeVar("M", bound=BaseModel)


def out(model: type[M], record: Any, **derived: Any) -> M:
    """A response from a domain record by field name: each field of ``model`` the record has (a
    field or a property) in its plain form (billing.domain.records), nested responses likewise;
    what the record does not hold by that name is given as ``derived``."""
    values = {
        name: _shaped(info.annotation, getattr(record, name))
        for name, info in model.model_fields.items()
        if name not in derived and hasattr(record, name)
    }
    return model.model_validate({**values, **derived})


def _shaped(annotation: Any, value: Any) -> Any:
    from billing.domain.records import plain

    nested = _response_model_in(annotation)
    if nested is None or value is None:
        return plain(value, keep_datetimes=True)
    if isinstance(value, list | tuple):
        return [out(nested, v) for v in value]
    return out(nested, value)


def _response_model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _response_model_in(argument)
        if found is not None:
            return found
    return None


def page_of(page, convert) -> dict:
    return {"data": [convert(i) for i in page.items], "next_cursor": page.next_cursor}


def changes_of(body: BaseModel, nullable: tuple[str, ...] = ()) -> dict:
    """The fields a PATCH body sets. ``null`` clears a field only where clearing means something."""
    from billing.domain.errors import FieldError, ValidationFailed

    changes = body.model_dump(exclude_unset=True)
    errors = [FieldError(k, "must not be null") for k, v in changes.items() if v is None and k not in nullable]
    if errors:
        raise ValidationFailed(errors)
    return changes
