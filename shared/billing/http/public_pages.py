"""What every public page (the hosted invoice under /i, the payment-method page under /s, and
their redirects) answers with: HTML that is never framed, sniffed, cached, indexed or referred,
under a Content-Security-Policy that allows nothing but the page's own stylesheet and its forms'
way on to Stripe Checkout."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from billing.config import config

TEMPLATES = Path(__file__).resolve().parent / "templates"
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
HTML = "text/html; charset=utf-8"  # with nosniff, the charset is what the browser goes by
HTML_PAGE: OpenAPIResponse = {"description": "The page", "content": {"text/html": {"schema": {"type": "string"}}}}


def page_saying(description: str) -> OpenAPIResponse:
    """An OpenAPI response of an HTML page that says ``description``."""
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def checkout_origin() -> str:
    """Where Stripe Checkout's pages are served: Stripe's own, or the stand-in's (STRIPE_API_BASE)."""
    configured = config().stripe_api_base
    if not configured:
        return STRIPE_CHECKOUT_ORIGIN
    parts = urlsplit(configured)
    return f"{parts.scheme}://{parts.netloc}"


@cache
def _style_hashes() -> tuple[str, ...]:
    """The CSP hash of each inline stylesheet the public templates carry: those styles apply, no
    other (and no 'unsafe-inline')."""
    styles = []
    for template in sorted(TEMPLATES.glob("*.html")):
        for block in re.findall(r"<style>(.*?)</style>", template.read_text(encoding="utf-8"), re.S):
            digest = base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode()
            styles.append(f"'sha256-{digest}'")
    return tuple(styles)


def content_security_policy() -> str:
    directives = {
        "default-src": "'none'",
        "style-src": " ".join(_style_hashes()) or "'none'",
        "form-action": f"'self' {checkout_origin()}",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
    }
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
        "Referrer-Policy": "no-referrer",
    }


def page(status: int, body: str) -> Response[str]:
    return Response(status_code=status, content_type=HTML, body=body, headers=security_headers())


@cache
def _templates():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def rendered(status: int, template: str, **context: Any) -> Response[str]:
    """A page of one of the public templates (each one extends _page.html, the one stylesheet)."""
    return page(status, _templates().get_template(template).render(**context))


def message_page(status: int, reason: str, locale: str) -> Response[str]:
    """A page that says one thing to the buyer: the catalogue's page text ``reason`` in ``locale``."""
    from billing.texts import texts

    words = texts(locale, "page")
    return rendered(status, "message.html", language=words.language, message=words[reason])


def dead_link_page(router: Any, reason: str) -> Response[str]:
    """The 404 of a link that opens nothing: no tenant is known, so it speaks the browser's language."""
    return message_page(404, reason, browser_locale(router.current_event.headers.get("accept-language")))


def browser_locale(accept_language: str | None) -> str:
    """The buyer's language from the browser's Accept-Language, for a page no tenant is known for
    (a link that opens nothing): the first one Billow has, by preference, else English."""
    from billing.texts import FALLBACK, LANGUAGES

    weighted = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag.strip().replace("-", "_").split("_")[0].casefold()))
    return next((language for _, _, language in sorted(weighted) if language in LANGUAGES), FALLBACK)


def redirect(status: int, location: str) -> Response[str]:
    return Response(status_code=status, headers={**security_headers(), "Location": location}, body="")
