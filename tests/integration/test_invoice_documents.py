"""What a person sees of an invoice: the PDF's text, read back with a PDF text extractor, and its
pages rendered to images with pdftoppm."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
import requests
from pypdf import PdfReader

SELLER = {
    "business_name": "Billow Demo GmbH",
    "business_address_line1": "Torstraße 1",
    "business_postal_code": "10119",
    "business_city": "Berlin",
    "business_country": "DE",
    "business_vat_id": "DE999999995",
    "bank_iban": "DE89 3704 0044 0532 0130 00",
    "bank_bic": "COBADEFFXXX",
    "locale": "de_DE",
}


def pdf_of(api, invoice_id: str) -> bytes:
    link = api.get(f"/v1/invoices/{invoice_id}/pdf")
    assert link.status_code == 200, link.text
    download = requests.get(link.json()["url"], timeout=30)
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF-")
    return download.content


def text_of(data: bytes) -> str:
    """The text of every page, with the locale's no-break spaces (19\u00a0%) as plain ones."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def german_shop(shop):
    legal = {
        "business_register_court": "Amtsgericht Charlottenburg",
        "business_register_number": "HRB 123456 B",
        "business_managing_directors": "Erika Muster",
        "business_tax_number": "30/123/45678",
    }
    assert shop.patch("/v1/settings", json=SELLER | legal).status_code == 200
    return shop


def test_the_pdf_shows_what_a_german_invoice_must_show(german_shop):
    shop = german_shop
    invoice = shop.post(
        "/v1/invoices",
        json={
            "customer_id": shop.customer["id"],
            "lines": [
                {
                    "product_id": shop.product["id"],
                    "discount": {"type": "percent", "value": "15"},
                    "tax_rate_id": shop.rate["id"],
                },
                {"name": "Einrichtung", "unit_price": "1234.5", "tax": {"name": "USt", "percentage": "7"}},
            ],
            "payment_terms": "net_14",
            "memo": "Vielen Dank für Ihren Auftrag.",
            "finalize": True,
        },
    ).json()
    text = text_of(pdf_of(shop, invoice["id"]))
    for expected in (
        "Billow Demo GmbH",
        "Torstraße 1",
        "Unsere USt-IdNr. DE999999995",  # the seller's VAT id, saying whose it is
        "Muster GmbH",
        "Hauptstr. 1",
        "10115 Berlin",
        "Ihre USt-IdNr.: DE123456788",  # the buyer's
        "Rechnung",
        "RE-2026-000001",
        "Rechnungsdatum",
        "Fällig am",
        "Leistungszeitraum",  # the monthly product's service period
        "11,90 €",  # unit price in the tenant's locale
        "1,78 €",  # the line's discount
        "10,12 €",
        "1.234,50 €",
        "19 %",
        "7 %",
        "USt. 19 %",  # the rate's name and percentage, once
        "1,92 €",  # tax at 19 %
        "86,42 €",  # tax at 7 % of 1,234.50
        "Gesamtbetrag",
        "1.332,96 €",  # 10.12 + 1.92 + 1234.50 + 86.42
        "Zahlbar innerhalb von 14 Tagen",
        "DE89370400440532013000",
        "Vielen Dank für Ihren Auftrag.",
        invoice["hosted_url"],
        "Registergericht Amtsgericht Charlottenburg, HRB 123456 B",
        "Geschäftsführung: Erika Muster",
        "Unsere Steuernummer: 30/123/45678",
    ):
        assert expected in " ".join(text.split()), expected  # the imprint may wrap
    assert invoice["total"] == 133296
    assert "\nDE\n" not in text and "Berlin · DE" not in text  # a domestic address prints no country
    assert "Subscription" not in text and shop.customer["id"] not in text  # no internal id


def test_a_paid_invoice_says_when_and_how_and_asks_for_nothing(german_shop):
    shop = german_shop
    invoice = shop.post(
        "/v1/invoices",
        json={
            "customer_id": shop.customer["id"],
            "lines": [{"name": "Beratung", "unit_price": "100"}],
            "finalize": True,
        },
    ).json()
    assert "Zahlbar" in text_of(pdf_of(shop, invoice["id"]))  # the open invoice's PDF, kept in S3
    paid = shop.post(
        f"/v1/invoices/{invoice['id']}/payments",
        json={"amount": invoice["total"], "paid_on": "2026-03-05", "method": "bank_transfer"},
    )
    assert paid.status_code in (200, 201), paid.text
    text = text_of(pdf_of(shop, invoice["id"]))
    assert "Bezahlt am 05.03.2026 per Überweisung. Vielen Dank." in text
    for asking in ("Zahlbar", "Verwendungszweck", "DE89370400440532013000", "Online bezahlen"):
        assert asking not in text, asking


def test_currencies_print_with_their_own_digits(shop):
    shop.patch("/v1/settings", json={"currencies": ["eur", "jpy", "kwd"], "locale": "en_US"})
    amounts = {}
    for currency, price in (("jpy", "1500"), ("kwd", "12.345")):
        invoice = shop.post(
            "/v1/invoices",
            json={
                "customer_id": shop.customer["id"],
                "currency": currency,
                "lines": [{"name": "x", "unit_price": price}],
            },
        ).json()
        amounts[currency] = (invoice["total"], text_of(pdf_of(shop, invoice["id"])))
    assert amounts["jpy"][0] == 1500 and "¥1,500" in amounts["jpy"][1]
    assert amounts["kwd"][0] == 12345 and "KWD" in amounts["kwd"][1] and "12.345" in amounts["kwd"][1]


def test_an_issued_pdf_is_kept_and_a_void_stamps_a_new_version(shop):
    invoice = shop.post(
        "/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [{"name": "x", "unit_price": "1"}]}
    ).json()
    assert "DRAFT" in text_of(pdf_of(shop, invoice["id"]))
    shop.post(f"/v1/invoices/{invoice['id']}/finalize")
    first = shop.get(f"/v1/invoices/{invoice['id']}/pdf").json()["url"]
    again = shop.get(f"/v1/invoices/{invoice['id']}/pdf").json()["url"]
    assert first.split("?")[0] == again.split("?")[0]  # the same stored document
    issued = requests.get(first, timeout=30).content
    assert "DRAFT" not in text_of(issued) and "VOID" not in text_of(issued)
    shop.patch("/v1/settings", json={"business_name": "Renamed Later AG"})
    assert "Renamed Later AG" not in text_of(pdf_of(shop, invoice["id"]))  # the seller as issued
    shop.post(f"/v1/invoices/{invoice['id']}/void")
    void = shop.get(f"/v1/invoices/{invoice['id']}/pdf").json()["url"]
    assert void.split("?")[0] != first.split("?")[0]
    assert "VOID" in text_of(requests.get(void, timeout=30).content)


def test_a_ten_line_invoice_renders_to_a_page_that_is_not_blank(shop, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing: `make test` installs poppler-utils when it runs as root")
    lines = [{"name": f"Position {i}", "unit_price": "9.99", "quantity": str(i)} for i in range(1, 11)]
    invoice = shop.post(
        "/v1/invoices", json={"customer_id": shop.customer["id"], "lines": lines, "finalize": True}
    ).json()
    (tmp_path / "invoice.pdf").write_bytes(pdf_of(shop, invoice["id"]))
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(tmp_path / "invoice.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    from PIL import Image

    image = Image.open(pages[0]).convert("L")
    dark = sum(1 for value in image.getdata() if value < 128)
    assert dark > 0.01 * image.width * image.height  # text and table lines, not an empty page


def raw_mail_to(address: str) -> list:
    """Raw (MIME) messages moto's SES took for ``address``, parsed."""
    from email import message_from_string, policy

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID]["eu-central-1"].sent_messages
    parsed = [message_from_string(m.raw_data, policy=policy.default) for m in sent if isinstance(m, RawMessage)]
    return [m for m in parsed if address in str(m["To"]) + str(m["Cc"] or "")]


def test_sending_emails_the_invoice_with_its_link_and_pdf_and_records_it(german_shop):
    shop = german_shop
    shop.patch("/v1/settings", json={"default_sender_email": "buchhaltung@billow-demo.de"})
    invoice = shop.post(
        "/v1/invoices", json={"customer_id": shop.customer["id"], "lines": [{"name": "Beratung", "unit_price": "150"}]}
    ).json()
    copies = [f"cc{i}-{invoice['id'][-6:].lower()}@muster.de" for i in range(9)]
    sent = shop.as_role("billing").post(f"/v1/invoices/{invoice['id']}/send", json={"cc": copies})
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["status"] == "open" and body["number"] and body["last_sent_at"]  # the draft was finalized first
    (mail,) = raw_mail_to(copies[0])
    assert mail["To"] == "ap@muster.de" and mail["Cc"] == ", ".join(copies)
    assert mail["Reply-To"] == "buchhaltung@billow-demo.de"
    assert mail["Subject"] == f"Rechnung {body['number']} von Billow Demo GmbH"  # the tenant's locale is de_DE
    text = mail.get_body(("plain",)).get_content()
    assert text.startswith(f"Guten Tag,\n\nanbei erhalten Sie die Rechnung {body['number']} über 150,00\xa0€")
    assert f"Online ansehen und bezahlen: {body['hosted_url']}" in text
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == f"{body['number']}.pdf"
    assert body["number"] in text_of(attachment.get_content())
    history = shop.get(f"/v1/invoices/{invoice['id']}/history").json()["data"]
    assert history[0]["type"] == "sent" and history[0]["data"]["cc"] == copies
    timeline = shop.get(f"/v1/customers/{shop.customer['id']}/timeline").json()["data"]
    assert timeline[0]["type"] == "invoice.sent"


def test_an_eleventh_address_or_a_void_invoice_is_refused_and_nothing_is_sent(shop):
    invoice = shop.post(
        "/v1/invoices",
        json={"customer_id": shop.customer["id"], "lines": [{"name": "x", "unit_price": "1"}], "finalize": True},
    ).json()
    ten = [f"c{i}@example.com" for i in range(10)]
    refused = shop.post(f"/v1/invoices/{invoice['id']}/send", json={"cc": ten})
    assert refused.status_code == 422 and [f["field"] for f in refused.json()["error"]["fields"]] == ["cc"]
    assert shop.get(f"/v1/invoices/{invoice['id']}").json()["last_sent_at"] is None
    shop.post(f"/v1/invoices/{invoice['id']}/void")
    assert shop.post(f"/v1/invoices/{invoice['id']}/send").status_code == 409


def test_a_receipt_for_a_payment_by_hand_is_sent_only_when_asked(shop):
    invoice = shop.post(
        "/v1/invoices",
        json={"customer_id": shop.customer["id"], "lines": [{"name": "x", "unit_price": "100"}], "finalize": True},
    ).json()
    address = f"kasse-{invoice['id'][-8:].lower()}@muster.de"
    recorded = shop.post(f"/v1/invoices/{invoice['id']}/payments", json={"amount": 4000, "method": "cash"}).json()
    payment_id = recorded["payments"][0]["id"]
    assert raw_mail_to(address) == []
    receipt = shop.post(f"/v1/invoices/{invoice['id']}/payments/{payment_id}/receipt", json={"to": address})
    assert receipt.status_code == 200, receipt.text
    sent = receipt.json()  # what was sent, not the invoice
    assert (sent["object"], sent["payment_id"], sent["amount"], sent["sent_to"]) == (
        "receipt",
        payment_id,
        4000,
        address,
    )
    assert sent["message_id"]
    from tests.integration.test_payments_api import mail_to

    (mail,) = mail_to(address)
    assert mail.subject == f"Receipt for invoice {invoice['number']}" and "€40.00" in mail.body
    assert "€60.00" in mail.body  # still due
