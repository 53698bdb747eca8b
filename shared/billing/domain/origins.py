"""Where Billow may send a browser back to (an open redirect otherwise): a URL is allowed only on
an origin the deployment names, compared exactly by scheme, host and port.

A URL is read as strictly as a browser could read it differently: printable ASCII only (browsers
drop tabs and newlines inside a URL, and read a backslash as a slash), ``scheme://`` written out,
no user info (``https://good.example@evil.example``), a host, a valid port. Anything this cannot
read is refused, never guessed at."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from billing.domain.errors import ValidationFailed

_SCHEMES = {"http": 80, "https": 443}
# Printable ASCII but the backslash: what a URL written out as it travels may hold.
_PRINTABLE = {chr(c) for c in range(0x21, 0x7F)} - {"\\"}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, the default port left out;
    None when the URL is not one that names its origin unambiguously."""
    if not isinstance(url, str) or not url or not set(url) <= _PRINTABLE:
        return None
    scheme, separator, _ = url.partition("://")
    if not separator or scheme.lower() not in _SCHEMES:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a broken IPv6 host, a port that is no number or out of range
        return None
    if "@" in parts.netloc or not parts.hostname:
        return None
    if parts.netloc.endswith(":"):  # an empty port ("https://good.example:") reads differently elsewhere
        return None
    scheme = scheme.lower()
    host = parts.hostname  # lower-cased by urlsplit, IPv6 without its brackets
    host = f"[{host}]" if ":" in host else host
    default = _SCHEMES[scheme]
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


def allowed_origins(setting: str) -> frozenset[str]:
    """A deployment's list of origins (comma-separated, as ``ConsoleOrigins`` holds it). An entry
    must be an origin: a path other than ``/``, a query or a fragment makes it no origin, and an
    entry that is not one allows nothing."""
    found = set()
    for entry in (setting or "").split(","):
        entry = entry.strip()
        origin = origin_of(entry)
        authority = entry.removesuffix("/").partition("://")[2]
        if origin is not None and not any(mark in authority for mark in "/?#"):
            found.add(origin)
    return frozenset(found)


def checked_return_url(url: str, allowed: Collection[str], field: str = "return_url") -> str:
    """``url`` if it is on one of the ``allowed`` origins; otherwise a 422 naming ``field``."""
    origin = origin_of(url)
    if origin is None:
        raise ValidationFailed.of(
            field, "must be an absolute http or https URL of printable ASCII, without user info or backslashes"
        )
    if origin not in allowed:
        raise ValidationFailed.of(field, f"{origin} is not an origin this deployment allows to be returned to")
    return url


def is_allowed_return_url(url: str | None, allowed: Collection[str]) -> bool:
    return url is not None and origin_of(url) in allowed
