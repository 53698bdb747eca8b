"""The DATEV export over HTTP, parsed as the tax adviser's DATEV would read it: turning DATEV on
numbers the customers that had none (once), and the ZIP of a period holds the EXTF
Buchungsstapel (header fields, bookings whose revenue sums are the invoices' totals less the
credit notes, the payments), the debtors' master data with umlauts intact in Windows-1252, and
the PDFs of the period's documents."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal

import requests

from tests.integration.test_einvoices import XRECHNUNG_SELLER

DATEV = {"datev_consultant_number": 29098, "datev_client_number": 55003, "datev_chart": "SKR03"}
REVENUE_ACCOUNTS = {8400, 8300, 8100, 8336, 8338, 8195, 8320}


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("cp1252")), delimiter=";"))


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_the_datev_export_of_a_period_is_what_the_adviser_imports(shop):
    api = shop
    off = api.post("/v1/exports/datev", json={"from": "2026-01-01", "to": "2026-01-31"})
    assert off.status_code == 409 and "settings.datev_enabled" in off.json()["error"]["message"]
    assert api.patch("/v1/settings", json=XRECHNUNG_SELLER | {"datev_enabled": True}).status_code == 200
    # Turned on, DATEV numbered the customer made before; asked again, it draws nothing.
    assert api.get(f"/v1/customers/{api.customer['id']}").json()["debtor_number"] == 10000
    assert api.patch("/v1/settings", json={"datev_enabled": True}).status_code == 200
    assert api.get(f"/v1/customers/{api.customer['id']}").json()["debtor_number"] == 10000
    unset = api.post("/v1/exports/datev", json={"from": "2026-01-01", "to": "2026-01-31"})
    assert unset.status_code == 409 and "settings.datev_consultant_number" in unset.json()["error"]["message"]
    assert api.patch("/v1/settings", json=DATEV).status_code == 200

    baker = api.post(
        "/v1/customers",
        json={
            "type": "company",
            "company_name": "Bäckerei Müller & Söhne",
            "billing_email": "buero@baeckerei-mueller.de",
            "address": {"line1": "Hauptstraße 5", "postal_code": "80331", "city": "München", "country": "DE"},
        },
    ).json()
    assert baker["debtor_number"] == 10001
    first = api.post(
        "/v1/invoices",
        json={
            "customer_id": baker["id"],
            "lines": [
                {"name": "Brötchen-Abo", "unit_price": "100.00", "tax": {"name": "USt.", "percentage": "19"}},
                {"name": "Fachbuch", "unit_price": "50.00", "tax": {"name": "USt.", "percentage": "7"}},
            ],
            "adjustments": [{"kind": "discount", "type": "percent", "value": "10", "name": "Rabatt"}],
            "finalize": True,
        },
    ).json()
    second = api.post(
        "/v1/invoices",
        json={
            "customer_id": api.customer["id"],
            "lines": [{"name": "Beratung", "unit_price": "100.00", "tax": {"name": "USt.", "percentage": "19"}}],
            "finalize": True,
        },
    ).json()
    note = api.post(
        f"/v1/invoices/{first['id']}/credit-notes", json={"reason": "order_change", "lines": [{"line": 1}]}
    ).json()
    recorded = api.post(
        f"/v1/invoices/{second['id']}/payments",
        json={"amount": 11900, "method": "bank_transfer", "reference": "Überweisung"},
    )
    assert recorded.status_code == 200, recorded.text
    today = date.fromisoformat(first["issued_on"]).isoformat()

    exported = api.post("/v1/exports/datev", json={"from": today, "to": today})
    assert exported.status_code == 201, exported.text
    archive = zipfile.ZipFile(io.BytesIO(requests.get(exported.json()["url"], timeout=30).content))
    assert sorted(archive.namelist()) == sorted(
        [
            "EXTF_Buchungsstapel.csv",
            "EXTF_Debitoren_Kreditoren.csv",
            f"Belege/{first['number']}.pdf",
            f"Belege/{second['number']}.pdf",
            f"Belege/{note['number']}.pdf",
        ]
    )
    header, columns, *bookings = rows_of(archive.read("EXTF_Buchungsstapel.csv"))
    compact = today.replace("-", "")
    assert header[:5] == ["EXTF", "700", "21", "Buchungsstapel", "13"]
    assert header[10:16] == ["29098", "55003", f"{compact[:4]}0101", "4", compact, compact]
    assert header[26] == "03" and len(columns) == 125 and exported.json()["rows"] == len(bookings)
    at = {name: i for i, name in enumerate(columns)}

    def signed(row: list[str]) -> Decimal:
        return amount(row[at["Umsatz (ohne Soll/Haben-Kz)"]]) * (1 if row[at["Soll/Haben-Kennzeichen"]] == "S" else -1)

    revenue = [r for r in bookings if int(r[at["Gegenkonto (ohne BU-Schlüssel)"]]) in REVENUE_ACCOUNTS]
    documents = Decimal(first["total"] + second["total"] - note["total"]) / 100
    assert sum(signed(r) for r in revenue) == documents == Decimal("226.10")  # 155.25 + 119.00 - 48.15
    assert {r[at["Belegfeld 1"]] for r in revenue} == {first["number"], second["number"], note["number"]}
    baker_texts = [r[at["Buchungstext"]] for r in revenue if r[at["Konto"]] == "10001"]
    assert f"Rechnung {first['number']} Bäckerei Müller & Söhne" in baker_texts
    (payment,) = [r for r in bookings if r[at["Konto"]] == "1200"]
    assert (payment[at["Umsatz (ohne Soll/Haben-Kz)"]], payment[at["Gegenkonto (ohne BU-Schlüssel)"]]) == (
        "119,00",
        "10000",
    )
    assert payment[at["Belegfeld 1"]] == second["number"]  # DATEV clears the invoice's open item

    _, names, *debtors = rows_of(archive.read("EXTF_Debitoren_Kreditoren.csv"))
    by_account = {row[0]: dict(zip(names, row, strict=True)) for row in debtors}
    assert set(by_account) == {"10000", "10001"}
    baker_row = by_account["10001"]
    assert (baker_row["Name (Adressatentyp Unternehmen)"], baker_row["Ort"]) == ("Bäckerei Müller & Söhne", "München")
    assert baker_row["Straße"] == "Hauptstraße 5"
    assert "Bäckerei".encode("cp1252") in archive.read("EXTF_Debitoren_Kreditoren.csv")

    backwards = api.post("/v1/exports/datev", json={"from": today, "to": "2020-01-01"})
    assert backwards.status_code == 422 and backwards.json()["error"]["fields"][0]["field"] == "to"
