"""Every link Billow writes is built on the configured public address (the gateway's own locally,
PublicApiUrl in AWS), never on a request header; issued documents are stored once, under names
that reveal neither the tenant nor the invoice."""

from __future__ import annotations

import io
import os
from urllib.parse import unquote, urlsplit

import boto3
import pytest
import requests
from pypdf import PdfReader

from tests.integration.conftest import connect_stripe_account

FORGED = {
    "X-Forwarded-Proto": "https://evil.example/steal?",
    "Host": "evil.example",
    "X-Forwarded-Host": "evil.example",
}


@pytest.fixture
def issued(shop, standin):
    """A connected seller (e-invoice settings complete) and one open invoice of 119.00 EUR."""
    shop.patch(
        "/v1/settings",
        json={
            "business_address_line1": "Torstraße 1",
            "business_postal_code": "10119",
            "business_city": "Berlin",
            "business_country": "DE",
            "business_vat_id": "DE999999995",
        },
    )
    connect_stripe_account(shop)
    shop.invoice = shop.post(
        "/v1/invoices",
        json={
            "customer_id": shop.customer["id"],
            "lines": [{"name": "Beratung", "unit_price": "100.00", "tax_rate_id": shop.rate["id"]}],
            "finalize": True,
        },
    ).json()
    return shop


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_links(data: bytes) -> list[str]:
    links = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and "/URI" in action:
                links.append(str(action["/URI"]))
    return links


def test_a_forged_scheme_or_host_never_reaches_a_link(issued, stack):
    """X-Forwarded-Proto and Host are the caller's to write; links use the configured address."""
    viewer = issued.as_role("viewer")
    invoice = viewer.get(f"/v1/invoices/{issued.invoice['id']}", headers=FORGED).json()
    assert invoice["hosted_url"].startswith(f"{stack.url}/i/"), invoice["hosted_url"]
    assert "evil" not in invoice["hosted_url"]

    link = viewer.get(f"/v1/invoices/{issued.invoice['id']}/pdf", headers=FORGED)
    assert link.status_code == 200, link.text
    stored = requests.get(link.json()["url"], timeout=30).content
    public = requests.get(invoice["hosted_url"] + "/pdf", timeout=30)
    assert public.status_code == 200 and public.content == stored
    assert pdf_links(stored) and all(u.startswith(f"{stack.url}/i/") for u in pdf_links(stored)), pdf_links(stored)
    assert "evil" not in pdf_text(stored)

    page = requests.get(invoice["hosted_url"], headers={"Host": "evil.example"}, timeout=30)
    assert page.status_code == 200 and "evil.example" not in page.text

    to_checkout = requests.post(
        invoice["hosted_url"] + "/pay",
        headers={"X-Forwarded-Proto": "https://evil.example/x?"},
        allow_redirects=False,
        timeout=30,
    )
    assert to_checkout.status_code == 303
    session_id = urlsplit(to_checkout.headers["Location"]).path.rsplit("/", 1)[1]
    session = issued_session(stack, session_id)
    assert session["success_url"].startswith(f"{stack.url}/i/") and session["cancel_url"].startswith(stack.url)


def issued_session(stack, session_id: str) -> dict:
    """The Checkout Session as the stand-in holds it (any account)."""
    for account in stack.stripe.accounts.values():
        if session_id in account.objects:
            return account.objects[session_id]
    raise AssertionError(f"no checkout session {session_id}")


def test_the_connect_redirect_uri_is_the_configured_address(api, stack):
    start = api.post("/v1/settings/stripe/connect", headers=FORGED)
    assert start.status_code == 201, start.text
    redirect_uri = unquote(start.json()["authorize_url"].split("redirect_uri=")[1].split("&")[0])
    assert redirect_uri == f"{stack.url}/v1/stripe/oauth/callback"


def test_the_hosted_pdf_link_names_neither_tenant_nor_invoice(issued):
    """The public PDF redirect goes to a key of digests, downloaded under the number."""
    response = requests.get(issued.invoice["hosted_url"] + "/pdf", allow_redirects=False, timeout=30)
    assert response.status_code in (302, 303, 307), response.status_code
    location = unquote(response.headers["Location"])
    path = urlsplit(location).path
    assert issued.tenant not in location and issued.invoice["id"] not in location
    assert issued.invoice["hosted_url"].rsplit("/", 1)[1] not in location
    assert path.rsplit("/", 2)[-2] == "documents" and path.endswith(".pdf")
    assert f"filename*=UTF-8''{issued.invoice['number']}.pdf" in location  # saved as RE-2026-000001.pdf


def test_a_zugferd_e_invoice_leaves_the_stored_pdf_as_it_was(issued):
    """Making the ZUGFeRD file never writes over the invoice's stored PDF."""
    invoice_id = issued.invoice["id"]
    first = issued.get(f"/v1/invoices/{invoice_id}/pdf").json()["url"]
    key = unquote(urlsplit(first).path.split("/", 2)[2])
    bucket = os.environ["DOCUMENT_BUCKET"]
    s3 = boto3.client("s3")
    assert len(s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])) == 1
    for _ in range(2):
        einvoice = issued.get(f"/v1/invoices/{invoice_id}/e-invoice", params={"format": "zugferd"})
        assert einvoice.status_code == 200, einvoice.text
    issued.get(f"/v1/invoices/{invoice_id}/pdf", headers=FORGED)
    assert len(s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])) == 1
    versions = s3.list_object_versions(Bucket=bucket, Prefix="documents/").get("Versions", [])
    assert len({v["Key"] for v in versions}) == len(versions)  # no document was ever written twice
