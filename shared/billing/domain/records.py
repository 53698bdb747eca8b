"""One mapping by field name between a domain record (a frozen dataclass) and the plain values a
store or a response holds: a field is written once in the domain, and every place that carries
it (the stored item, the JSON inside it, the response schema) takes it by its name.

``plain`` turns a value into what JSON and DynamoDB hold (enums by value, decimals as exact
strings, dates as ISO text, nested records as dicts); ``record_of`` reads such values back by the
dataclass's own type hints, so nothing lists a record's fields a second time."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def plain(value: Any, *, keep_datetimes: bool = False) -> Any:
    """``value`` as JSON holds it. ``keep_datetimes`` leaves datetimes as they are (PynamoDB's
    datetime attribute wants them); dates are ISO text either way."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value if keep_datetimes else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    raise TypeError(f"no plain form for {type(value).__name__}")


def values_of(record: Any, names: typing.Iterable[str], *, keep_datetimes: bool = False) -> dict[str, Any]:
    """The record's fields (and properties) among ``names``, each in its plain form."""
    return {
        name: plain(getattr(record, name), keep_datetimes=keep_datetimes) for name in names if hasattr(record, name)
    }


def record_of(cls: type[R], values: typing.Mapping[str, Any], **overrides: Any) -> R:
    """A ``cls`` from plain values: each dataclass field present in ``values`` is read back by its
    type hint; absent ones take their defaults; ``overrides`` are taken as they are."""
    hints = _hints(cls)
    arguments = {
        f.name: _read(hints[f.name], values[f.name])
        for f in dataclasses.fields(cls)
        if f.init and f.name in values and f.name not in overrides
    }
    return cls(**arguments, **overrides)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _read(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _read(inner, value)
    if origin in (tuple, list, set, frozenset):
        (inner, *_) = typing.get_args(hint)
        return origin(_read(inner, v) for v in value)
    if origin is dict:
        _, inner = typing.get_args(hint)
        return {k: _read(inner, v) for k, v in value.items()}
    if hint is typing.Any or hint is dict:
        return dict(value) if hint is dict else value
    if value is None:
        return hint() if hint in (str, int, bool, Decimal) else None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # a hint is a class, never an instance
        return value if isinstance(value, hint) else record_of(hint, value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is datetime:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if hint is date:
        return value if isinstance(value, date) else date.fromisoformat(value)
    if hint is Decimal:
        return Decimal(str(value))
    if hint in (int, bool, str):
        return hint(value)
    return value
