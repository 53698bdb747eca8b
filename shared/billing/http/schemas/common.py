"""Building blocks every request and response schema shares."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^([A-Za-z]{2})?$")]
# Decimal strings (unit prices with up to six decimals, percentages): checked exactly by the domain.
DecimalString = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


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
CurrencyCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{3}$")]


# defer_build: a model's validator is built on first use, not at import (cold starts pay only for
# the models the request at hand needs).
class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ListPage(Response, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` to fetch the next page; null on the last page")


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
